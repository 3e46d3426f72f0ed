//! How failures are reported: one line on stderr and a stable exit code.
//!
//! | code | meaning                                                                     |
//! |------|-----------------------------------------------------------------------------|
//! | 0    | success                                                                     |
//! | 1    | any other failure                                                           |
//! | 2    | bad command line: a flag or value that is not valid (an unknown device name, a model too large for memory, ...) |
//! | 3    | bad input data or files (dataset, checkpoint, config, scan file)            |
//! | 4    | a known device not compiled into this build, or that cannot be opened here  |
//! | 5    | training diverged (loss or weights became NaN or infinite)                  |
//! | 6    | an output could not be written (full disk, read-only, or in use by another descent process) |
//! | 130  | interrupted (Ctrl-C or SIGTERM) after saving a checkpoint                   |
//! | 141  | stdout was closed by its reader (`descent ... \| head`)                      |
//!
//! The README's table says the same; `tests/bad_input.rs` checks a row of each.

use descent_landscape::LandscapeError;
use descent_models::ModelError;
use descent_train::TrainError;

/// A bad flag or value.
pub const USAGE: u8 = 2;
/// A bad input data file, checkpoint or config.
pub const BAD_INPUT: u8 = 3;
/// A device problem.
pub const DEVICE: u8 = 4;
/// The loss diverged.
pub const DIVERGED: u8 = 5;
/// An output could not be written.
pub const OUTPUT: u8 = 6;
/// Interrupted by Ctrl-C (SIGINT) or SIGTERM: 128 + 2, as a shell reports a Ctrl-C.
pub const INTERRUPTED: u8 = 130;

/// stdout was closed by its reader: what a shell reports for a process killed by SIGPIPE.
/// (A closed stderr ends nothing: its lines are dropped and the work goes on.)
pub const CLOSED_STDOUT: u8 = 141;

/// Whether `err` comes from writing to a pipe whose reader went away.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A job other than training stopped on Ctrl-C after saving what it had (exit 130).
#[derive(Debug, thiserror::Error)]
#[error("interrupted; {saved}")]
pub struct Interrupted {
    /// What was saved and how to continue.
    pub saved: String,
}

/// The exit code for an error.
pub fn code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<Interrupted>().is_some() {
        return INTERRUPTED;
    }
    // A training-crate error, also inside a landscape error (loading a checkpoint, the data
    // or a device).
    let train = err
        .downcast_ref::<TrainError>()
        .or(match err.downcast_ref::<LandscapeError>() {
            Some(LandscapeError::Train(inner)) => Some(inner),
            _ => None,
        });
    // A PyTorch file that cannot be read or does not fit is bad input; one that cannot be
    // written is an output failure, whether or not the training crate wrapped the error.
    let model_error = err.downcast_ref::<ModelError>().or(match train {
        Some(TrainError::Model(inner)) => Some(inner),
        _ => None,
    });
    match model_error {
        Some(
            ModelError::TorchRead { .. }
            | ModelError::TorchMismatch { .. }
            | ModelError::TorchMissing { .. }
            | ModelError::TorchUnexpected { .. }
            | ModelError::TorchShape { .. },
        ) => {
            return BAD_INPUT;
        }
        Some(ModelError::TorchWrite { .. }) => return OUTPUT,
        _ => {}
    }
    match train {
        // A name that is no device is a bad value like any other.
        Some(TrainError::UnknownDevice { .. }) => USAGE,
        Some(TrainError::DeviceNotCompiled { .. }) | Some(TrainError::DeviceUnavailable { .. }) => {
            DEVICE
        }
        Some(TrainError::InUse { .. }) => OUTPUT,
        // Model and optimizer settings come from flags; the same errors from a file are
        // reported as a bad checkpoint or config (3) where the file is read.
        Some(TrainError::Model(_)) | Some(TrainError::Optim(_)) => USAGE,
        Some(TrainError::Diverged { .. }) | Some(TrainError::NonFiniteWeights { .. }) => DIVERGED,
        Some(TrainError::Interrupted { .. }) => INTERRUPTED,
        Some(TrainError::Io { action, .. }) if action.starts_with("read") => BAD_INPUT,
        Some(TrainError::Io { .. }) => OUTPUT,
        Some(TrainError::InvalidOption { .. }) => USAGE,
        Some(_) => BAD_INPUT,
        None if landscape_code(err).is_some() => landscape_code(err).unwrap_or(1),
        None if err.downcast_ref::<descent_report::ReportError>().is_some() => report_code(err),
        // An atomic write's failure not wrapped in a crate's error: as TrainError::Io.
        None if err.downcast_ref::<descent_files::FilesError>().is_some() => files_code(err),
        None if err.downcast_ref::<descent_data::DataError>().is_some() => BAD_INPUT,
        None if err.downcast_ref::<descent_study::StudyError>().is_some() => study_code(err),
        None if err.downcast_ref::<descent_models::ModelError>().is_some()
            || err.downcast_ref::<descent_optim::OptimError>().is_some() =>
        {
            USAGE
        }
        None => 1,
    }
}

fn study_code(err: &anyhow::Error) -> u8 {
    use descent_study::StudyError;
    match err.downcast_ref::<StudyError>() {
        Some(StudyError::Unknown { .. })
        | Some(StudyError::NotYet { .. })
        | Some(StudyError::OtherProtocol { .. })
        | Some(StudyError::Optim(_)) => USAGE,
        Some(StudyError::Output { .. }) | Some(StudyError::Files(_)) => OUTPUT,
        Some(StudyError::Plot(descent_plot::PlotError::Io { .. })) => OUTPUT,
        _ => BAD_INPUT,
    }
}

fn files_code(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<descent_files::FilesError>() {
        Some(descent_files::FilesError::Io { action, .. }) if action.starts_with("read") => {
            BAD_INPUT
        }
        _ => OUTPUT,
    }
}

fn report_code(err: &anyhow::Error) -> u8 {
    use descent_report::ReportError;
    match err.downcast_ref::<ReportError>() {
        Some(ReportError::Write(_)) => OUTPUT,
        Some(_) => BAD_INPUT,
        None => 1,
    }
}

fn landscape_code(err: &anyhow::Error) -> Option<u8> {
    err.downcast_ref::<LandscapeError>()
        .and_then(landscape_exit_code)
}

/// The exit code for a landscape error; `None` for a wrapped training error, which
/// `commands::landscape` unwraps first.
fn landscape_exit_code(err: &LandscapeError) -> Option<u8> {
    Some(match err {
        LandscapeError::InvalidOption { .. } => USAGE,
        LandscapeError::Mismatch { .. }
        | LandscapeError::BadFile { .. }
        | LandscapeError::Incompatible { .. }
        | LandscapeError::Data(_) => BAD_INPUT,
        LandscapeError::Plot(descent_plot::PlotError::Io { .. }) => OUTPUT,
        LandscapeError::Plot(_) => BAD_INPUT,
        LandscapeError::Io { action, .. } if action.starts_with("read") => BAD_INPUT,
        LandscapeError::Io { .. } => OUTPUT,
        LandscapeError::Train(_) => return None,
    })
}

/// The error and its causes on one line, `outer: inner: innermost`.
pub fn describe(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}
