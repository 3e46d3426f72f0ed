//! Advisory locks: one process at a time on a run folder or a scan file.
//!
//! Two `descent train --resume` of the same run used to race, and one failed with a rename
//! error. A [`PathLock`] holds an exclusive advisory lock (`File::try_lock`, `flock` on Linux)
//! on a small lock file: inside a run folder (`.lock`), or beside an output file
//! (`.NAME.lock`). The lock file holds the holder's process id, which the refusal names. The
//! operating system releases the lock when the holder ends, even by `kill -9`, so a lock
//! never outlives its process; the file itself is removed when the lock is dropped.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::TrainError;

/// An exclusive lock, held until dropped.
#[derive(Debug)]
pub struct PathLock {
    file: File,
    path: PathBuf,
}

impl PathLock {
    /// Locks the run folder `dir` (which must exist) through `dir/.lock`.
    ///
    /// # Errors
    ///
    /// [`TrainError::InUse`] naming the folder and the process that holds it;
    /// [`TrainError::Io`] if the lock file cannot be created.
    pub fn run_folder(dir: &Path) -> Result<PathLock, TrainError> {
        PathLock::acquire(&dir.join(crate::layout::LOCK), dir)
    }

    /// Locks the output file `path` through `.NAME.lock` beside it (the file itself need not
    /// exist yet).
    ///
    /// # Errors
    ///
    /// As [`PathLock::run_folder`].
    pub fn beside(path: &Path) -> Result<PathLock, TrainError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        PathLock::acquire(&path.with_file_name(format!(".{name}.lock")), path)
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn acquire(lock: &Path, guarded: &Path) -> Result<PathLock, TrainError> {
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(lock)
                .map_err(|e| TrainError::io("creating", lock, e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut text = String::new();
                    let _ = file.read_to_string(&mut text);
                    return Err(TrainError::InUse {
                        path: guarded.to_path_buf(),
                        pid: text.trim().parse().ok(),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(TrainError::io("locking", lock, e)),
            }
            // The last holder removes the file before it lets go: a lock taken on a file that
            // is no longer at `lock` guards nothing, so take the one there now.
            if !same_file(&file, lock) {
                continue;
            }
            let pid = std::process::id().to_string();
            file.set_len(0)
                .and_then(|()| file.rewind())
                .and_then(|()| file.write_all(pid.as_bytes()))
                .map_err(|e| TrainError::io("writing", lock, e))?;
            return Ok(PathLock {
                file,
                path: lock.to_path_buf(),
            });
        }
    }
}

impl Drop for PathLock {
    fn drop(&mut self) {
        // Removed while still locked; closing the file then releases the lock.
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// Whether the open `file` is the file now at `path`.
fn same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_and_freed_on_drop() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = PathLock::run_folder(dir.path()).expect("free");
        assert_eq!(
            fs::read_to_string(first.path()).expect("pid"),
            std::process::id().to_string()
        );
        // flock locks belong to the open file, so a second open in this process conflicts
        // as another process's would.
        let err = PathLock::run_folder(dir.path()).expect_err("held");
        let text = err.to_string();
        assert!(
            text.contains(&format!("in use by PID {}", std::process::id())),
            "{text}"
        );
        drop(first);
        assert!(
            !dir.path().join(crate::layout::LOCK).exists(),
            "removed on drop"
        );
        let again = PathLock::run_folder(dir.path()).expect("free again");
        drop(again);

        let out = dir.path().join("scan.npz");
        let lock = PathLock::beside(&out).expect("free");
        assert_eq!(lock.path(), dir.path().join(".scan.npz.lock"));
        assert!(matches!(
            PathLock::beside(&out),
            Err(TrainError::InUse { .. })
        ));
    }
}
