//! The names of temporaries: `.NAME.tmp-PID` next to (or, for folders, in place of) the
//! final `NAME`, so a reader never mistakes one for a finished output and a cleanup can tell
//! whose it is.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// The temporary name `path` is written under first: `.NAME.tmp-PID` in the same folder
/// (the same file system, so the final rename is atomic).
pub(crate) fn sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// The process id in a temporary's name `.NAME.tmp-PID`, `None` for any other name.
pub(crate) fn pid(path: &Path) -> Option<u32> {
    let name = path.file_name()?.to_str()?;
    split(name).map(|(_, pid)| pid)
}

/// `.NAME.tmp-PID` as `(NAME, PID)`.
fn split(name: &str) -> Option<(&str, u32)> {
    let (head, pid) = name.rsplit_once(".tmp-")?;
    let stem = head.strip_prefix('.')?;
    Some((stem, pid.parse().ok()?))
}

/// `path` with every component that is a temporary of this process (`.NAME.tmp-PID`, PID
/// ours) replaced by its final `NAME`: the path a file written inside a folder under
/// construction will have once the folder is renamed into place. Error messages name this
/// path; the temporary name means nothing to the user.
pub(crate) fn final_path(path: &Path) -> PathBuf {
    let ours = std::process::id();
    path.components()
        .map(|c| match c {
            Component::Normal(name) => match name.to_str().and_then(split) {
                Some((stem, pid)) if pid == ours => OsString::from(stem),
                _ => name.to_os_string(),
            },
            other => other.as_os_str().to_os_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_only_our_temporaries_are_renamed() {
        let tmp = sibling(Path::new("/runs/a/checkpoint"));
        assert_eq!(pid(&tmp), Some(std::process::id()));
        assert_eq!(pid(Path::new("/runs/a/checkpoint")), None);
        assert_eq!(pid(Path::new("/runs/a/x.tmp-12")), None, "no leading dot");
        assert_eq!(
            final_path(&tmp.join("model.bpk")),
            Path::new("/runs/a/checkpoint/model.bpk")
        );
        let theirs = Path::new("/runs/a/.checkpoint.tmp-4194305/model.bpk");
        assert_eq!(final_path(theirs), theirs, "another process's temporary");
        assert_eq!(final_path(Path::new("rel/x")), Path::new("rel/x"));
    }
}
