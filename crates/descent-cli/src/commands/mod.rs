//! One module per subcommand.

pub mod devices;
pub mod eval;
pub mod landscape;
pub mod schedule;
pub mod toy;
pub mod train;

use crate::args::{Cli, Command};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Train(args) => train::run(&cli.device, *args),
        Command::Eval(args) => eval::run(&cli.device, args),
        Command::Devices => devices::run(),
        Command::Landscape(args) => landscape::run(&cli.device, *args),
        Command::Toy(args) => toy::run(&cli.device, *args),
        Command::Schedule(args) => schedule::run(*args),
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
