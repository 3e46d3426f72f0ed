//! The crate's error type.

use std::path::PathBuf;

/// What can go wrong when choosing, running or reporting a study.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// A name that is not a study or a scale.
    #[error("unknown {what} `{input}` (expected one of: {expected})")]
    Unknown {
        /// `"study"` or `"scale"`.
        what: &'static str,
        /// The name given.
        input: String,
        /// The accepted names.
        expected: String,
    },
    /// A study that cannot run yet, and why.
    #[error("the `{study}` study is not implemented yet: {reason}")]
    NotYet {
        /// The study.
        study: String,
        /// What it waits for.
        reason: String,
    },
    /// The output folder holds another study, or the same study under another protocol.
    #[error(
        "{path} holds {found}; choose another --out (a study resumes only under its own protocol)"
    )]
    OtherProtocol {
        /// The protocol file found.
        path: PathBuf,
        /// What it holds.
        found: String,
    },
    /// A file could not be read or parsed.
    #[error("{path}: {reason}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// An optimizer setting of a protocol was refused.
    #[error(transparent)]
    Optim(#[from] descent_optim::OptimError),
    /// A folder of the study could not be made.
    #[error("{path}: {reason}")]
    Output {
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A toy walk of a lesson failed.
    #[error(transparent)]
    Toy(#[from] descent_toy::ToyError),
    /// A run of the study failed.
    #[error(transparent)]
    Train(#[from] descent_train::TrainError),
    /// Writing a result failed.
    #[error(transparent)]
    Files(#[from] descent_files::FilesError),
    /// A landscape measurement (scan, curvature, map) failed.
    #[error(transparent)]
    Landscape(#[from] descent_landscape::LandscapeError),
    /// Drawing a figure failed.
    #[error(transparent)]
    Plot(#[from] descent_plot::PlotError),
}
