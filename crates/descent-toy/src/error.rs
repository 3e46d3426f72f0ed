//! The crate's one error type.

use std::path::PathBuf;

/// What can go wrong while configuring a walk, writing its path or drawing it.
///
/// A walk that diverges is *not* an error: it is recorded in the
/// [`Path`](crate::Path) (see [`Divergence`](crate::Divergence)), since "too large a learning
/// rate diverges" is one of the things these surfaces show.
#[derive(Debug, thiserror::Error)]
pub enum ToyError {
    /// An option is outside its domain (a function name, a start point, a noise scale, ...).
    #[error("invalid {field} = {value}: {reason}")]
    InvalidOption {
        /// The option's name as the user writes it.
        field: &'static str,
        /// The offending value, printed.
        value: String,
        /// Why it is rejected.
        reason: String,
    },
    /// The optimizer or schedule configuration is invalid.
    #[error(transparent)]
    Optim(#[from] descent_optim::OptimError),
    /// An output file has an extension this crate does not write.
    #[error("unsupported output {path}: {reason}")]
    UnsupportedOutput {
        /// The file.
        path: PathBuf,
        /// Which extensions are supported.
        reason: String,
    },
    /// Serializing a path to JSON failed.
    #[error("serializing paths for {path}: {source}")]
    Json {
        /// The file being written.
        path: PathBuf,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
    /// The device failed (reading a tensor back to the host).
    #[error("device error: {reason}")]
    Device {
        /// What failed.
        reason: String,
    },
    /// Writing an output file (atomically) failed.
    #[error(transparent)]
    Write(#[from] descent_files::FilesError),
    /// Drawing a figure failed (feature `plot`).
    #[cfg(feature = "plot")]
    #[error(transparent)]
    Plot(#[from] descent_plot::PlotError),
}

impl ToyError {
    /// An [`ToyError::InvalidOption`].
    pub fn invalid(field: &'static str, value: impl ToString, reason: impl Into<String>) -> Self {
        ToyError::InvalidOption {
            field,
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}
