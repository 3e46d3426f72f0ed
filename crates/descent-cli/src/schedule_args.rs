//! [`ScheduleArgs`]: the learning-rate schedule flags, one clap struct flattened into
//! `descent train`, `descent toy` and `descent schedule`. What each flag sets, which
//! schedules use it and the defaults of the rest live in `descent_optim::schedule`
//! ([`ScheduleParams`], [`SCHEDULE_PARAMS`], [`ScheduleConfig::from_kind`]); this file only
//! names the flags.

use clap::Args;
use descent_optim::OptimError;
use descent_optim::schedule::{
    CyclicMode, SCHEDULE_PARAMS, ScheduleConfig, ScheduleKind, ScheduleParams,
};

use crate::values::named;

/// The learning-rate schedule and its settings. Durations count epochs in `descent train`
/// and `descent schedule`, steps in `descent toy` (where an epoch is one step).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Schedule")]
pub struct ScheduleArgs {
    /// Learning-rate schedule.
    #[arg(
        long,
        default_value = "constant",
        value_parser = named(ScheduleKind::ALL.iter().copied(), |k| k.name())
    )]
    pub schedule: ScheduleKind,
    /// step: epochs between decays; cyclic: batches per rising half cycle.
    #[arg(long)]
    pub step_size: Option<usize>,
    /// multistep: epochs at which the rate decays, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub milestones: Vec<usize>,
    /// Decay factor (step, multistep, exponential; cyclic exp_range).
    #[arg(long)]
    pub gamma: Option<f64>,
    /// Lowest rate (cosine, sgdr; cyclic: the base rate).
    #[arg(long)]
    pub min_lr: Option<f64>,
    /// sgdr: epochs of the first cycle (T_0).
    #[arg(long)]
    pub t0: Option<usize>,
    /// sgdr: factor by which each cycle is longer than the last (T_mult).
    #[arg(long)]
    pub t_mult: Option<usize>,
    /// sgdr: factor applied to the peak rate at each restart.
    #[arg(long)]
    pub restart_decay: Option<f64>,
    /// cyclic: the amplitude policy.
    #[arg(long, value_parser = named(CyclicMode::ALL.iter().copied(), |m| m.name()))]
    pub cyclic_mode: Option<CyclicMode>,
    /// Linear warm-up over this many epochs before the schedule.
    #[arg(long)]
    pub warmup_epochs: Option<usize>,
    /// poly: the power.
    #[arg(long)]
    pub power: Option<f64>,
}

impl ScheduleArgs {
    /// The flags as the library's flat settings.
    pub fn params(&self) -> ScheduleParams {
        ScheduleParams {
            step_size: self.step_size,
            milestones: self.milestones.clone(),
            gamma: self.gamma,
            min_lr: self.min_lr,
            t0: self.t0,
            t_mult: self.t_mult,
            restart_decay: self.restart_decay,
            cyclic_mode: self.cyclic_mode,
            power: self.power,
            warmup_epochs: self.warmup_epochs,
        }
    }

    /// Builds the schedule; a flag the chosen schedule does not use is an error rather than
    /// silently ignored.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming the flag and the schedules that use it.
    pub fn to_config(&self) -> Result<ScheduleConfig, OptimError> {
        ScheduleConfig::from_kind(self.schedule, &self.params())
    }
}

/// Every flag of [`ScheduleArgs`] that [`SCHEDULE_PARAMS`] lists (all but `--schedule` and
/// `--warmup-epochs`), for tests that check the two agree.
pub fn mapped_flags() -> impl Iterator<Item = &'static str> {
    SCHEDULE_PARAMS.iter().map(|p| p.flag)
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};
    use descent_optim::schedule::SCHEDULE_PARAMS;

    use crate::args::{Cli, Command};

    /// A value each kind of setting parses.
    fn example(flag: &str) -> &'static str {
        match flag {
            "milestones" => "3,7",
            "cyclic-mode" => "triangular2",
            _ => "7",
        }
    }

    /// One home: a schedule setting is added once, to the library's map
    /// (`descent_optim::schedule::SCHEDULE_PARAMS`: flag, fields, parsing), and once here, to
    /// [`super::ScheduleArgs`]. This test goes through the map and asks each of the three
    /// commands that flatten `ScheduleArgs` (train, toy, schedule) for every flag: `--help`
    /// lists it, a command line with it parses, and the parsed settings hold it. A flag added
    /// to the map but not to `ScheduleArgs` (or the other way round, see the last check) fails
    /// here for all three commands.
    #[test]
    fn every_mapped_setting_is_a_flag_of_all_three_commands() {
        for command in ["train", "toy", "schedule"] {
            let mut cli = Cli::command();
            let help = cli
                .find_subcommand_mut(command)
                .expect("a subcommand")
                .render_long_help()
                .to_string();
            for param in SCHEDULE_PARAMS {
                let flag = format!("--{}", param.flag);
                assert!(help.contains(&flag), "{command} --help lacks {flag}");
                let line = ["descent", command, flag.as_str(), example(param.flag)];
                let parsed = Cli::try_parse_from(line)
                    .unwrap_or_else(|e| panic!("{line:?}: {e}"))
                    .command;
                let args = match parsed {
                    Command::Train(a) => a.schedule,
                    Command::Toy(a) => a.schedule,
                    Command::Schedule(a) => a.schedule,
                    other => panic!("{other:?}"),
                };
                assert!((param.given)(&args.params()), "{line:?} lost {flag}");
            }
        }
        // Every per-kind flag of ScheduleArgs is in the map (the others are --schedule and
        // --warmup-epochs, which apply to every kind).
        let cli = Cli::command();
        let train = cli.find_subcommand("train").expect("train");
        for arg in train.get_arguments() {
            if arg.get_help_heading() == Some("Schedule") {
                let long = arg.get_long().expect("a long flag");
                assert!(
                    long == "schedule"
                        || long == "warmup-epochs"
                        || super::mapped_flags().any(|f| f == long),
                    "--{long} is not in SCHEDULE_PARAMS"
                );
            }
        }
    }

    /// The toy keeps its own defaults for the shared optimizer flags.
    #[test]
    fn the_toy_keeps_its_optimizer_defaults() {
        let Command::Toy(toy) = Cli::try_parse_from(["descent", "toy"])
            .expect("parses")
            .command
        else {
            panic!("not toy");
        };
        assert_eq!(toy.optimizer.optimizer, descent_optim::OptimizerKind::Sgd);
        assert_eq!(toy.optimizer.lr, 0.001);
        let Command::Train(train) = Cli::try_parse_from(["descent", "train"])
            .expect("parses")
            .command
        else {
            panic!("not train");
        };
        assert_eq!(
            train.optimizer.optimizer,
            descent_optim::OptimizerKind::Momentum
        );
        assert_eq!(train.optimizer.lr, 0.05);
    }
}
