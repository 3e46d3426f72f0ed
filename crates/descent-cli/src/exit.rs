//! How failures are reported: one line on stderr and a stable exit code.
//!
//! | code | meaning                                                   |
//! |------|-----------------------------------------------------------|
//! | 0    | success                                                   |
//! | 1    | any other failure                                         |
//! | 2    | bad command line: a flag or value that is not valid       |
//! | 3    | bad input data or files (dataset, checkpoint, config)     |
//! | 4    | device unknown, not compiled in, or unavailable           |
//! | 5    | training diverged (loss became NaN or infinite)           |
//! | 6    | an output could not be written                            |
//! | 130  | interrupted (Ctrl-C or SIGTERM) after saving a checkpoint |
//! | 141  | stdout was closed by its reader (`descent ... \| head`)    |

use descent_train::TrainError;

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
    match err.downcast_ref::<TrainError>() {
        Some(TrainError::UnknownDevice { .. })
        | Some(TrainError::DeviceNotCompiled { .. })
        | Some(TrainError::DeviceUnavailable { .. }) => DEVICE,
        Some(TrainError::Diverged { .. }) | Some(TrainError::NonFiniteWeights { .. }) => DIVERGED,
        Some(TrainError::Interrupted { .. }) => INTERRUPTED,
        Some(TrainError::Io { action, .. }) if action.starts_with("read") => BAD_INPUT,
        Some(TrainError::Io { .. }) => OUTPUT,
        Some(TrainError::InvalidOption { .. }) => 2,
        Some(_) => BAD_INPUT,
        None if landscape_code(err).is_some() => landscape_code(err).unwrap_or(1),
        // An atomic write's failure not wrapped in a crate's error: as TrainError::Io.
        None if err.downcast_ref::<descent_files::FilesError>().is_some() => files_code(err),
        None if err.downcast_ref::<descent_data::DataError>().is_some() => BAD_INPUT,
        None if err.downcast_ref::<descent_models::ModelError>().is_some()
            || err.downcast_ref::<descent_optim::OptimError>().is_some() =>
        {
            2
        }
        None => 1,
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

fn landscape_code(err: &anyhow::Error) -> Option<u8> {
    err.downcast_ref::<descent_landscape::LandscapeError>()
        .and_then(crate::commands::landscape::exit_code)
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
