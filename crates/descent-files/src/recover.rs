//! Cleaning up after a process killed in the middle of a write: putting back a folder moved
//! aside, removing temporaries nobody will finish.

use std::fs;
use std::path::Path;

use crate::error::FilesError;
use crate::temporary;

/// Puts back a folder that [`write_dir`](crate::write_dir) had moved aside (`NAME.old`) when
/// the process was killed between its two renames, so the last complete version is found
/// again. Returns whether it did.
///
/// # Errors
/// [`FilesError::Io`] when the rename fails.
pub fn recover_dir(path: &Path) -> Result<bool, FilesError> {
    let old = path.with_extension("old");
    if path.exists() || !old.is_dir() {
        return Ok(false);
    }
    fs::rename(&old, path).map_err(|e| FilesError::io("restoring", path, e))?;
    Ok(true)
}

/// Removes the temporaries (`.NAME.tmp-PID`) that processes killed in the middle of
/// [`write_file`](crate::write_file) or [`write_dir`](crate::write_dir) left in `dir` and
/// its immediate subfolders; those of a process still running are kept (checked in
/// `/proc`). Returns how many it removed. Never fails: a temporary that cannot be removed is
/// harmless, as nothing reads it.
pub fn remove_stale_temporaries(dir: &Path) -> usize {
    let mut removed = 0;
    let mut folders = vec![dir.to_path_buf()];
    if let Ok(entries) = fs::read_dir(dir) {
        folders.extend(
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir() && temporary::pid(p).is_none()),
        );
    }
    for folder in folders {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            let Some(pid) = temporary::pid(&path) else {
                continue;
            };
            if pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists() {
                continue;
            }
            let gone = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            removed += usize::from(gone.is_ok());
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{write_dir, write_file};

    #[test]
    fn a_folder_moved_aside_by_a_killed_write_is_put_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("checkpoint");
        write_dir(&path, |tmp| write_file(&tmp.join("a"), b"1")).expect("first");
        // What a kill between the two renames of a second write leaves: only `.old`.
        fs::rename(&path, path.with_extension("old")).expect("rename");
        assert!(recover_dir(&path).expect("recovers"));
        assert_eq!(fs::read(path.join("a")).expect("read"), b"1");
        assert!(!recover_dir(&path).expect("nothing to do"));
    }

    #[test]
    fn stale_temporaries_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("snapshots");
        fs::create_dir_all(&sub).expect("mkdir");
        // No process has pid 4194304 + 1 (above Linux's pid_max).
        let dead = 4_194_305;
        let stale_file = dir.path().join(format!(".model.bpk.tmp-{dead}"));
        let stale_dir = sub.join(format!(".epoch-0001.tmp-{dead}"));
        let live = dir
            .path()
            .join(format!(".config.json.tmp-{}", std::process::id()));
        let ordinary = dir.path().join("model.bpk");
        fs::write(&stale_file, b"x").expect("write");
        fs::create_dir_all(&stale_dir).expect("mkdir");
        fs::write(&live, b"x").expect("write");
        fs::write(&ordinary, b"x").expect("write");
        assert_eq!(remove_stale_temporaries(dir.path()), 2);
        assert!(!stale_file.exists() && !stale_dir.exists());
        assert!(live.exists() && ordinary.exists() && sub.exists());
    }
}
