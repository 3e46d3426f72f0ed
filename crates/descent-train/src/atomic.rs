//! Writing files and folders so that a crash never leaves a half-written one behind.
//!
//! Every output goes to a temporary name in the same folder first, is flushed to disk, and is
//! then renamed over the final name: a reader sees either the old complete file or the new
//! complete file, never a mix.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::TrainError;

/// Writes `bytes` to `path` atomically (temporary file, `fsync`, rename).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let tmp = temporary_sibling(path);
    let result = (|| {
        // Errors name the file the user asked for; the temporary name means nothing to them.
        let mut file = File::create(&tmp).map_err(|e| TrainError::io("creating", path, e))?;
        file.write_all(bytes)
            .map_err(|e| TrainError::io("writing", path, e))?;
        file.sync_all()
            .map_err(|e| TrainError::io("syncing", path, e))?;
        fs::rename(&tmp, path).map_err(|e| TrainError::io("renaming into", path, e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Builds a folder with `fill` under a temporary name next to `path`, then renames it to
/// `path`, replacing an older folder of that name only once the new one is complete.
pub fn write_dir(
    path: &Path,
    fill: impl FnOnce(&Path) -> Result<(), TrainError>,
) -> Result<(), TrainError> {
    let tmp = temporary_sibling(path);
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(|e| TrainError::io("removing", &tmp, e))?;
    }
    fs::create_dir_all(&tmp).map_err(|e| TrainError::io("creating", path, e))?;
    // Errors about files inside the temporary folder name them inside `path` instead.
    let result = fill(&tmp).map_err(|err| match err {
        TrainError::Io {
            action,
            path: inner,
            source,
        } => TrainError::Io {
            action,
            path: untemporary(&inner, &tmp, path),
            source,
        },
        other => other,
    });
    let result = result.and_then(|()| {
        sync_dir(&tmp)?;
        if path.exists() {
            // Move the old folder aside first: rename cannot replace a non-empty folder.
            let old = path.with_extension("old");
            let _ = fs::remove_dir_all(&old);
            fs::rename(path, &old).map_err(|e| TrainError::io("moving aside", path, e))?;
            fs::rename(&tmp, path).map_err(|e| TrainError::io("renaming into", path, e))?;
            let _ = fs::remove_dir_all(&old);
            Ok(())
        } else {
            fs::rename(&tmp, path).map_err(|e| TrainError::io("renaming into", path, e))
        }
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    if let Some(parent) = path.parent() {
        let _ = sync_dir(parent);
    }
    result
}

/// Flushes a file inside a folder being filled by [`write_dir`].
pub fn sync_file(path: &Path) -> Result<(), TrainError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| TrainError::io("syncing", path, e))
}

fn sync_dir(path: &Path) -> Result<(), TrainError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| TrainError::io("syncing", path, e))
}

/// `inner` (a file in the temporary folder `tmp`, or a temporary sibling of one) as the path
/// it will have inside `dir` once written: what an error message should name.
fn untemporary(inner: &Path, tmp: &Path, dir: &Path) -> PathBuf {
    match inner.strip_prefix(tmp) {
        Ok(rest) => dir.join(rest),
        Err(_) => inner.to_path_buf(),
    }
}

fn temporary_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Puts back a folder that [`write_dir`] had moved aside (`NAME.old`) when the process was
/// killed between its two renames, so the last complete version is found again. Returns
/// whether it did.
pub fn recover_dir(path: &Path) -> Result<bool, TrainError> {
    let old = path.with_extension("old");
    if path.exists() || !old.is_dir() {
        return Ok(false);
    }
    fs::rename(&old, path).map_err(|e| TrainError::io("restoring", path, e))?;
    Ok(true)
}

/// Removes the temporaries (`.NAME.tmp-PID`) that processes killed in the middle of
/// [`write_file`] or [`write_dir`] left in `dir` and its immediate subfolders; those of a
/// process still running are kept. Returns how many it removed. Never fails: a temporary
/// that cannot be removed is harmless, as nothing reads it.
pub fn remove_stale_temporaries(dir: &Path) -> usize {
    let mut removed = 0;
    let mut folders = vec![dir.to_path_buf()];
    if let Ok(entries) = fs::read_dir(dir) {
        folders.extend(
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir() && !is_temporary(p)),
        );
    }
    for folder in folders {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            let Some(pid) = temporary_pid(&path) else {
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

fn is_temporary(path: &Path) -> bool {
    temporary_pid(path).is_some()
}

/// The process id in a temporary's name `.NAME.tmp-PID`.
fn temporary_pid(path: &Path) -> Option<u32> {
    let name = path.file_name()?.to_str()?;
    let (head, pid) = name.rsplit_once(".tmp-")?;
    if !head.starts_with('.') {
        return None;
    }
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_file_replaces_contents_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.json");
        write_file(&path, b"first").expect("write");
        write_file(&path, b"second").expect("rewrite");
        assert_eq!(fs::read(&path).expect("read"), b"second");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn failed_fill_keeps_the_old_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ckpt");
        write_dir(&path, |tmp| write_file(&tmp.join("x"), b"old")).expect("first");
        let err = write_dir(&path, |tmp| {
            write_file(&tmp.join("x"), b"new")?;
            Err(TrainError::BadCheckpoint {
                path: tmp.to_path_buf(),
                reason: "simulated failure".into(),
            })
        });
        assert!(err.is_err());
        assert_eq!(fs::read(path.join("x")).expect("read"), b"old");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn errors_inside_a_folder_name_the_final_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ckpt");
        let err = write_dir(&path, |tmp| write_file(&tmp.join("sub").join("x"), b"x"))
            .expect_err("no sub folder");
        let text = err.to_string();
        assert!(
            text.contains(&format!("{}", path.join("sub").join("x").display())),
            "{text}"
        );
        assert!(!text.contains(".tmp-"), "{text}");
    }

    #[test]
    fn unwritable_folder_is_an_error_naming_the_path() {
        let err = write_file(Path::new("/nonexistent-folder/x.json"), b"x").expect_err("fails");
        assert!(err.to_string().contains("/nonexistent-folder"), "{err}");
    }

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
