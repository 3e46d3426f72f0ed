//! One module per subcommand.

pub mod devices;
pub mod docs;
pub mod eval;
pub mod export;
pub mod import;
pub mod landscape;
pub mod report;
pub mod schedule;
pub mod study;
pub mod toy;
pub mod train;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;

use crate::args::{Cli, Command};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    // The commands open the device by its canonical name (`gpu` is `wgpu`).
    let device = cli.device.to_string();
    match cli.command {
        Command::Train(args) => train::run(&device, *args),
        Command::Eval(args) => eval::run(&device, *args),
        Command::Devices => devices::run(),
        Command::Landscape(args) => landscape::run(&device, *args),
        Command::Toy(args) => toy::run(&device, *args),
        Command::Schedule(args) => schedule::run(*args),
        Command::Report(args) => report::run(*args),
        Command::Study(args) => study::run(&device, *args),
        Command::Import(args) => import::run(&device, *args),
        Command::Export(args) => export::run(&device, args),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man => docs::man(),
    }
}

/// Parses the `--device` name and opens it.
pub fn open_device(
    name: &str,
) -> anyhow::Result<(descent_train::DeviceChoice, burn::tensor::Device)> {
    let choice: descent_train::DeviceChoice = name.parse()?;
    let device = choice.open()?;
    Ok((choice, device))
}

/// A flag raised by the first Ctrl-C (SIGINT) or SIGTERM, for a long job to stop at its next
/// safe point after saving (a training step, a scan point). A second signal ends the process
/// at once (exit 130); the files on disk are whole either way, as every write is atomic.
pub fn interrupt_flag() -> anyhow::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        // Registered first, so it sees the flag as the previous signal left it.
        signal_hook::flag::register_conditional_shutdown(
            signal,
            i32::from(crate::exit::INTERRUPTED),
            Arc::clone(&flag),
        )
        .context("installing the Ctrl-C handler")?;
        signal_hook::flag::register(signal, Arc::clone(&flag))
            .context("installing the Ctrl-C handler")?;
    }
    Ok(flag)
}
