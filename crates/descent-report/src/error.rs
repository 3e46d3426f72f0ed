//! [`ReportError`]: what can go wrong when making a report, each naming the path at fault.

use std::path::PathBuf;

/// The error of every fallible function of the crate.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A path given as input is neither a run folder nor a folder of run folders.
    #[error("{path}: {reason}")]
    NotARun {
        /// The path given.
        path: PathBuf,
        /// What it is instead.
        reason: String,
    },
    /// A file could not be read or listed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`reading`, `listing`).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file was read but its contents are not what its name promises.
    #[error("{path}: {reason}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A figure could not be drawn from a file's data.
    #[error("drawing {what}: {source}")]
    Plot {
        /// The figure (and the file it comes from).
        what: String,
        /// The cause.
        #[source]
        source: descent_plot::PlotError,
    },
    /// The report could not be written.
    #[error(transparent)]
    Write(#[from] descent_files::FilesError),
}

impl ReportError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        ReportError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn bad_file(path: impl Into<PathBuf>, reason: impl std::fmt::Display) -> Self {
        ReportError::BadFile {
            path: path.into(),
            reason: reason.to_string(),
        }
    }
}
