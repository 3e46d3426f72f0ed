//! Writing a file or a whole folder atomically: temporary name, flush to disk, rename.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use crate::error::FilesError;
use crate::temporary;

/// Writes `bytes` to `path` atomically: to a temporary file in the same folder, flushed to
/// disk (`fsync`), then renamed over `path`. A reader sees the old complete file or the new
/// one, never a mix; on failure the temporary is removed and `path` is untouched.
///
/// # Errors
/// [`FilesError::Io`] naming `path` (never the temporary) and the step that failed.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), FilesError> {
    let tmp = temporary::sibling(path);
    let result = (|| {
        let mut file = File::create(&tmp).map_err(|e| FilesError::io("creating", path, e))?;
        file.write_all(bytes)
            .map_err(|e| FilesError::io("writing", path, e))?;
        file.sync_all()
            .map_err(|e| FilesError::io("syncing", path, e))?;
        fs::rename(&tmp, path).map_err(|e| FilesError::io("renaming into", path, e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Builds a folder with `fill` under a temporary name next to `path`, then renames it to
/// `path`, replacing an older folder of that name only once the new one is complete.
///
/// `fill` gets the temporary folder and writes into it (with [`write_file`], which names
/// its files by their final path inside `path` in errors). Its error type is the caller's,
/// so `fill` can fail for the caller's own reasons; this crate's errors convert into it.
/// On any failure the temporary folder is removed and an older `path` is kept.
///
/// Between the two renames that replace an older folder, the old one is moved aside as
/// `path.old`; a process killed there leaves only that, which [`recover_dir`](crate::recover_dir)
/// puts back.
///
/// # Errors
/// `fill`'s error, or [`FilesError::Io`] (converted into `E`) naming the step that failed.
pub fn write_dir<E: From<FilesError>>(
    path: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let tmp = temporary::sibling(path);
    if tmp.exists() {
        // A leftover of this very process: name it as it is, not by its final path.
        fs::remove_dir_all(&tmp).map_err(|source| FilesError::Io {
            action: "removing",
            path: tmp.clone(),
            source,
        })?;
    }
    fs::create_dir_all(&tmp).map_err(|e| FilesError::io("creating", path, e))?;
    let result = fill(&tmp).and_then(|()| {
        sync_dir(&tmp)?;
        if path.exists() {
            // Move the old folder aside first: rename cannot replace a non-empty folder.
            let old = path.with_extension("old");
            let _ = fs::remove_dir_all(&old);
            fs::rename(path, &old).map_err(|e| FilesError::io("moving aside", path, e))?;
            fs::rename(&tmp, path).map_err(|e| FilesError::io("renaming into", path, e))?;
            let _ = fs::remove_dir_all(&old);
        } else {
            fs::rename(&tmp, path).map_err(|e| FilesError::io("renaming into", path, e))?;
        }
        Ok(())
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    if let Some(parent) = path.parent() {
        let _ = sync_dir(parent);
    }
    result
}

/// Flushes a file to disk (e.g. one written into a [`write_dir`] folder by other means than
/// [`write_file`]).
///
/// # Errors
/// [`FilesError::Io`] naming `path`.
pub fn sync_file(path: &Path) -> Result<(), FilesError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| FilesError::io("syncing", path, e))
}

/// Flushes a folder's entries (new names, renames) to disk.
fn sync_dir(path: &Path) -> Result<(), FilesError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| FilesError::io("syncing", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A caller's own error type, as `write_dir` sees it.
    #[derive(Debug)]
    enum CallerError {
        Files(FilesError),
        Simulated,
    }

    impl From<FilesError> for CallerError {
        fn from(e: FilesError) -> Self {
            CallerError::Files(e)
        }
    }

    fn names(dir: &Path) -> Vec<std::ffi::OsString> {
        fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect()
    }

    #[test]
    fn write_file_replaces_contents_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.json");
        write_file(&path, b"first").expect("write");
        write_file(&path, b"second").expect("rewrite");
        assert_eq!(fs::read(&path).expect("read"), b"second");
        assert_eq!(names(dir.path()).len(), 1, "{:?}", names(dir.path()));
    }

    #[test]
    fn failed_fill_keeps_the_old_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ckpt");
        write_dir(&path, |tmp| write_file(&tmp.join("x"), b"old")).expect("first");
        let err = write_dir(&path, |tmp| {
            write_file(&tmp.join("x"), b"new")?;
            Err(CallerError::Simulated)
        });
        assert!(matches!(err, Err(CallerError::Simulated)), "{err:?}");
        assert_eq!(fs::read(path.join("x")).expect("read"), b"old");
        assert_eq!(names(dir.path()).len(), 1, "{:?}", names(dir.path()));
    }

    #[test]
    fn a_second_folder_replaces_the_first_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ckpt");
        write_dir(&path, |tmp| {
            write_file(&tmp.join("a"), b"1")?;
            write_file(&tmp.join("b"), b"1")
        })
        .expect("first");
        write_dir(&path, |tmp| write_file(&tmp.join("a"), b"2")).expect("second");
        assert_eq!(fs::read(path.join("a")).expect("read"), b"2");
        assert!(
            !path.join("b").exists(),
            "nothing of the old folder is left"
        );
        assert_eq!(names(dir.path()).len(), 1, "{:?}", names(dir.path()));
    }

    #[test]
    fn errors_inside_a_folder_name_the_final_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ckpt");
        // Through the caller's own error type, as a checkpoint writer sees it.
        let err = write_dir(&path, |tmp| -> Result<(), CallerError> {
            write_file(&tmp.join("sub").join("x"), b"x")?;
            Ok(())
        })
        .expect_err("no sub folder");
        let CallerError::Files(err) = err else {
            panic!("{err:?}");
        };
        let text = err.to_string();
        assert!(
            text.contains(&format!("{}", path.join("sub").join("x").display())),
            "{text}"
        );
        assert!(!text.contains(".tmp-"), "{text}");
        assert!(text.starts_with("creating "), "{text}");
    }

    #[test]
    fn unwritable_folder_is_an_error_naming_the_path() {
        let err = write_file(Path::new("/nonexistent-folder/x.json"), b"x").expect_err("fails");
        assert!(err.to_string().contains("/nonexistent-folder"), "{err}");
    }
}
