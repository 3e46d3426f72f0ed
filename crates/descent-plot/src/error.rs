//! The crate's one error type.

use std::path::PathBuf;

/// What can go wrong while drawing a plot or exporting a surface.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The plot's data or options are unusable: mismatched lengths, nothing to draw, all NaN,
    /// a non-increasing axis, ... `field` names the offending field (e.g. `series[1].y`).
    #[error("invalid plot input {field}: {reason}")]
    InvalidInput {
        /// The field, as a path into the plot struct (`values`, `series[0].x`, ...).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The output path's extension names no format this function writes.
    #[error("unsupported output file {path}: {reason}")]
    UnsupportedFormat {
        /// The output path.
        path: PathBuf,
        /// Which extensions are accepted.
        reason: String,
    },
    /// Turning the drawing into pixels failed (an internal error, reported rather than hidden).
    #[error("rendering {path}: {reason}")]
    Render {
        /// The output path.
        path: PathBuf,
        /// What the renderer said.
        reason: String,
    },
    /// Writing the output file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`writing`, ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl PlotError {
    /// A [`PlotError::InvalidInput`] for `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        PlotError::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<descent_files::FilesError> for PlotError {
    /// An atomic write's failure as [`PlotError::Io`], with the same action and path.
    fn from(err: descent_files::FilesError) -> Self {
        match err {
            descent_files::FilesError::Io {
                action,
                path,
                source,
            } => PlotError::Io {
                action,
                path,
                source,
            },
        }
    }
}
