//! The crate's one error type.

use std::path::PathBuf;

/// What can go wrong while building directions, scanning, or reading and writing scan files.
#[derive(Debug, thiserror::Error)]
pub enum LandscapeError {
    /// An option is outside its domain (a grid axis, a shard, a normalization name, ...).
    #[error("invalid {field} = {value}: {reason}")]
    InvalidOption {
        /// The option's name as the user writes it.
        field: &'static str,
        /// The offending value, printed.
        value: String,
        /// Why it is rejected.
        reason: String,
    },
    /// Two parameter sets (a model and a direction, or two checkpoints) do not have the same
    /// parameters: another architecture.
    #[error("parameter mismatch between {left} and {right}: {detail}")]
    Mismatch {
        /// What the first set is (e.g. `the model`).
        left: String,
        /// What the second set is (e.g. `directions file d.npz`).
        right: String,
        /// The first difference found, naming the parameter path.
        detail: String,
    },
    /// A file exists but is not a usable scan or direction file.
    #[error("bad file {path}: {reason}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Scan files that cannot be merged or resumed together.
    #[error("incompatible scan files: {reason}")]
    Incompatible {
        /// Which field differs, or which point conflicts.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`reading`, `writing`, `renaming into`, ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Loading a checkpoint, evaluation data or a device failed.
    #[error(transparent)]
    Train(#[from] descent_train::TrainError),
    /// Loading the evaluation data failed.
    #[error(transparent)]
    Data(#[from] descent_data::DataError),
    /// Drawing or writing a figure failed (feature `plot`).
    #[cfg(feature = "plot")]
    #[error(transparent)]
    Plot(#[from] descent_plot::PlotError),
}

impl From<descent_files::FilesError> for LandscapeError {
    /// An atomic write's failure as [`LandscapeError::Io`], with the same action and path.
    fn from(err: descent_files::FilesError) -> Self {
        match err {
            descent_files::FilesError::Io {
                action,
                path,
                source,
            } => LandscapeError::Io {
                action,
                path,
                source,
            },
        }
    }
}

impl LandscapeError {
    /// Wraps an I/O error with what was being done and to which path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        LandscapeError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// A [`LandscapeError::BadFile`] for `path`.
    pub fn bad_file(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        LandscapeError::BadFile {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// A [`LandscapeError::InvalidOption`].
    pub fn invalid(field: &'static str, value: impl ToString, reason: impl Into<String>) -> Self {
        LandscapeError::InvalidOption {
            field,
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}
