//! The `descent` command-line tool: a thin clap layer over the descent crates.
//!
//! Parsing happens in [`args`], each subcommand converts its arguments into library types
//! and calls the library in [`commands`]; nothing here computes anything itself.
//!
//! ```
//! use clap::Parser;
//! let cli = descent_cli::args::Cli::try_parse_from(["descent", "train", "--epochs", "1"]).unwrap();
//! assert!(matches!(cli.command, descent_cli::args::Command::Train(_)));
//! ```

pub mod args;
pub mod commands;
pub mod date;
pub mod exit;
pub mod model_args;
pub mod optimizer_args;
pub mod schedule_args;
pub mod values;

use clap::Parser;
use clap::error::ErrorKind;
use descent_train::observer::log_line;

/// Runs the program with the process's arguments and returns its exit code.
pub fn main() -> std::process::ExitCode {
    // Keeps Burn's per-step buffers in the heap (see `descent_train::allocator`) and gives GPU
    // drivers a runtime folder (`descent_train::runtime_dir`): runs this binary again with
    // the settings the environment lacks.
    descent_train::relaunch::apply();
    quiet_on_closed_stdout();
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => match err.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => err.exit(),
            // A bad flag or value is one `error:` line, like every other failure.
            _ => {
                log_line(format_args!("{}", values::one_line(&err)));
                return std::process::ExitCode::from(exit::USAGE);
            }
        },
    };
    match commands::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // The reader of stdout went away (`| head`): nothing to report.
        Err(err) if exit::is_broken_pipe(&err) => std::process::ExitCode::from(exit::CLOSED_STDOUT),
        Err(err) => {
            log_line(format_args!("error: {}", exit::describe(&err)));
            std::process::ExitCode::from(exit::code(&err))
        }
    }
}

/// `descent devices | head -1`: when the reader of stdout goes away, `println!` panics with
/// "failed printing to stdout: Broken pipe". End quietly instead, with the code a shell gives a
/// process killed by SIGPIPE (128 + 13); the same for a print to a closed stderr that did not
/// go through [`log_line`]. Every other panic is reported as usual.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(i32::from(exit::CLOSED_STDOUT));
        }
        // Our own lines go through `log_line`, which drops what a closed stderr refuses; a
        // `eprintln!` elsewhere (a dependency's) must not turn that into a crash report no
        // one can read either. The files on disk are whole: every write is atomic.
        if message.starts_with("failed printing to stderr") {
            std::process::exit(i32::from(exit::CLOSED_STDOUT));
        }
        default(info);
    }));
}
