//! The crate's one error type.

use std::path::PathBuf;

/// What can go wrong while writing a file or folder atomically.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// Creating, writing, syncing, renaming or removing a file or folder failed.
    ///
    /// `path` is the file the caller asked for, never the temporary name it was written
    /// under first: a file inside a folder being built by [`write_dir`](crate::write_dir) is
    /// named by the path it will have inside the finished folder.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`creating`, `writing`, `syncing`, `renaming into`, ...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl FilesError {
    /// Wraps an I/O error with what was being done and to which path; a path inside a
    /// temporary folder of this process is named by its final path (see
    /// [`FilesError::Io`]).
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        FilesError::Io {
            action,
            path: crate::temporary::final_path(&path.into()),
            source,
        }
    }
}
