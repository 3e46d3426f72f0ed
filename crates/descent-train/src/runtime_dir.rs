//! A private runtime folder for GPU drivers when the session gives none.
//!
//! Without a usable `XDG_RUNTIME_DIR` (a job under a batch system, a container, `sudo`),
//! Mesa's Vulkan driver (lavapipe, what wgpu opens on a machine without a GPU) loads
//! libwayland, which prints `error: XDG_RUNTIME_DIR is invalid or not set in the
//! environment.` several times and then works: users read those lines as failures. A
//! private folder (mode 0700, under the temporary folder, owned by this user) stands in,
//! set by the `relaunch` module before any device opens.

use std::path::{Path, PathBuf};

/// The variable.
pub const VARIABLE: &str = "XDG_RUNTIME_DIR";

/// Whether `value` is usable as a runtime folder: an absolute path of an existing folder
/// (libwayland requires the first, the XDG base-directory spec both).
pub fn is_valid(value: &Path) -> bool {
    value.is_absolute() && value.is_dir()
}

/// The private runtime folder to set when the environment's is unset or invalid, made if
/// needed: `$TMPDIR/descent-runtime-UID`. `None` when the environment's is fine, or when the
/// folder cannot be made or is not this user's alone (then nothing changes).
pub fn needed() -> Option<PathBuf> {
    if std::env::var_os(VARIABLE).is_some_and(|v| is_valid(Path::new(&v))) {
        return None;
    }
    private_dir()
}

#[cfg(unix)]
fn private_dir() -> Option<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    // The uid of this process: /proc/self belongs to it.
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let dir = std::env::temp_dir().join(format!("descent-runtime-{uid}"));
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(_) => return None,
    }
    // Never another user's folder, nor a link to one, nor one others can enter.
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    let private = meta.is_dir() && meta.uid() == uid && meta.permissions().mode() & 0o777 == 0o700;
    (private && dir.is_absolute()).then_some(dir)
}

#[cfg(not(unix))]
fn private_dir() -> Option<PathBuf> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_existing_folders_are_valid() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(is_valid(dir.path()));
        assert!(!is_valid(Path::new("relative/dir")));
        assert!(!is_valid(&dir.path().join("missing")));
    }

    #[cfg(unix)]
    #[test]
    fn the_private_folder_is_this_users_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = private_dir().expect("made");
        let meta = std::fs::symlink_metadata(&dir).expect("exists");
        assert!(meta.is_dir());
        assert_eq!(meta.permissions().mode() & 0o777, 0o700);
        assert!(is_valid(&dir));
        // Asked again, the same folder.
        assert_eq!(private_dir(), Some(dir));
    }
}
