//! The crate's one error type.

use std::path::PathBuf;

/// What can go wrong while setting up, running, saving or resuming a training run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The device name is not one this program knows.
    #[error("unknown device `{name}` (this build offers: {compiled})")]
    UnknownDevice {
        /// What the user asked for.
        name: String,
        /// The device names compiled into this build.
        compiled: String,
    },
    /// The device is known but its backend was not compiled into this build.
    #[error("device `{device}` is not compiled into this build (it offers: {compiled})")]
    DeviceNotCompiled {
        /// The device asked for.
        device: String,
        /// The device names compiled into this build.
        compiled: String,
    },
    /// The device exists in this build but cannot be opened on this machine.
    #[error("device `{device}` is unavailable: {reason}; {hint}")]
    DeviceUnavailable {
        /// The device asked for.
        device: String,
        /// What the backend reported.
        reason: String,
        /// What the user can do instead.
        hint: String,
    },
    /// A training option is outside its domain.
    #[error("invalid {field} = {value}: {reason}")]
    InvalidOption {
        /// The option's name as the user writes it.
        field: &'static str,
        /// The offending value, printed.
        value: String,
        /// Why it is rejected.
        reason: String,
    },
    /// The loss stopped being a finite number.
    #[error(
        "the loss became {value} at epoch {epoch}, step {step} (global step {global_step}); \
         training stopped and {}; try a smaller learning rate",
        kept(checkpoint)
    )]
    Diverged {
        /// 1-based epoch in which it happened.
        epoch: usize,
        /// 1-based step within that epoch.
        step: usize,
        /// 1-based step counted from the start of the run.
        global_step: u64,
        /// The non-finite value (`NaN`, `inf`, `-inf`).
        value: f32,
        /// The last good checkpoint, kept as it was; `None` when none had been written.
        checkpoint: Option<PathBuf>,
    },
    /// The weights stopped being finite numbers after an optimizer step whose loss was still
    /// finite; they were not saved.
    #[error(
        "the weights became non-finite ({tensor} holds {value}) in epoch {epoch}, by global \
         step {global_step}; training stopped and {}; try a smaller learning rate",
        kept(checkpoint)
    )]
    NonFiniteWeights {
        /// 1-based epoch of the last step taken.
        epoch: usize,
        /// Steps taken since the start of the run.
        global_step: u64,
        /// Which tensor, by its position in the module (`tensor 3 of 8`).
        tensor: String,
        /// A non-finite value it holds (`NaN`, `inf`, `-inf`).
        value: f32,
        /// The last good checkpoint, kept as it was; `None` when none had been written.
        checkpoint: Option<PathBuf>,
    },
    /// The run was asked to stop (Ctrl-C) and did, after saving a checkpoint of its last step
    /// when it has a run folder.
    #[error(
        "interrupted in epoch {epoch} after step {step} (global step {global_step}); {}",
        match checkpoint {
            Some(path) => format!("the checkpoint {} holds that step, resume from it", path.display()),
            None => "no run folder, so nothing was saved".to_string(),
        }
    )]
    Interrupted {
        /// 1-based epoch of the last step taken.
        epoch: usize,
        /// 1-based step within that epoch (the epoch's step count once it is evaluated).
        step: usize,
        /// Steps taken since the start of the run.
        global_step: u64,
        /// The checkpoint folder written, if the run has a folder.
        checkpoint: Option<PathBuf>,
    },
    /// Reading or writing a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`writing`, `reading`, `renaming`, ...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the lock on a run folder or output file (see the `lock` module).
    #[error(
        "{} is in use by {}: another descent process is writing to it; wait for it to end, or \
         stop it",
        path.display(),
        match pid {
            Some(pid) => format!("PID {pid}"),
            None => "another process".to_string(),
        }
    )]
    InUse {
        /// The run folder or file.
        path: PathBuf,
        /// The holder's process id, as it wrote it in the lock file.
        pid: Option<u32>,
    },
    /// A checkpoint or run file exists but cannot be used.
    #[error("bad checkpoint {path}: {reason}")]
    BadCheckpoint {
        /// The checkpoint folder or file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A dataset could not be loaded or is unusable for this model.
    #[error(transparent)]
    Data(#[from] descent_data::DataError),
    /// A model configuration is invalid.
    #[error(transparent)]
    Model(#[from] descent_models::ModelError),
    /// An optimizer or schedule configuration is invalid.
    #[error(transparent)]
    Optim(#[from] descent_optim::OptimError),
}

/// What a stopped run leaves to go back to, for the messages of divergence.
fn kept(checkpoint: &Option<PathBuf>) -> String {
    match checkpoint {
        Some(path) => format!("the last good checkpoint {} was kept", path.display()),
        None => "no checkpoint was written before it, so there is none to go back to".into(),
    }
}

impl TrainError {
    /// Wraps an I/O error with what was being done and to which path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TrainError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

impl From<descent_files::FilesError> for TrainError {
    /// An atomic write's failure as [`TrainError::Io`], with the same action and path (so
    /// the message and the CLI's exit code are those of any other write).
    fn from(err: descent_files::FilesError) -> Self {
        match err {
            descent_files::FilesError::Io {
                action,
                path,
                source,
            } => TrainError::Io {
                action,
                path,
                source,
            },
        }
    }
}
