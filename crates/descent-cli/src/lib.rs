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
pub mod exit;

use clap::Parser;

/// Runs the program with the process's arguments and returns its exit code.
pub fn main() -> std::process::ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", exit::describe(&err));
            std::process::ExitCode::from(exit::code(&err))
        }
    }
}
