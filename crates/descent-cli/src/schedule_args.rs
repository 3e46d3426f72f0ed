//! [`ScheduleArgs`]: the learning-rate schedule flags, one clap struct flattened into
//! `descent train`, `descent toy` and `descent schedule`. What each flag sets, which
//! schedules use it and the defaults of the rest live in `descent_optim::schedule`
//! ([`ScheduleParams`], [`SCHEDULE_PARAMS`], [`ScheduleConfig::from_kind`]); this file only
//! names the flags.

use clap::Args;
use descent_optim::OptimError;
use descent_optim::schedule::{
    CooldownShape, CyclicMode, SCHEDULE_PARAMS, ScheduleConfig, ScheduleKind, ScheduleParams,
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
    /// Lowest rate (cosine, sgdr, timm-cosine's lr_min, wsd's final rate; cyclic: the base rate).
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
    /// cyclic, onecycle: cycle the momentum (Adam's beta1) inversely to the rate, as PyTorch does by default (default true; false keeps the optimizer's).
    #[arg(long, value_name = "BOOL")]
    pub cycle_momentum: Option<bool>,
    /// cyclic, onecycle: momentum at the rate's peak (default 0.8 cyclic, 0.85 onecycle: PyTorch's).
    #[arg(long)]
    pub base_momentum: Option<f64>,
    /// cyclic, onecycle: momentum at the rate's floor (default 0.9 cyclic, 0.95 onecycle: PyTorch's).
    #[arg(long)]
    pub max_momentum: Option<f64>,
    /// timm-cosine: epochs of the first cycle (timm's t_initial; default the whole training).
    #[arg(long)]
    pub t_initial: Option<usize>,
    /// timm-cosine: each cycle this many times longer than the last, a float (cycle_mul, default 1).
    #[arg(long)]
    pub cycle_mul: Option<f64>,
    /// timm-cosine: factor of the peak rate per cycle (cycle_decay, default 1).
    #[arg(long)]
    pub cycle_decay: Option<f64>,
    /// timm-cosine: cycles run, then the rate stays at --min-lr (cycle_limit, default 1).
    #[arg(long)]
    pub cycle_limit: Option<usize>,
    /// timm-cosine: epochs of linear warm-up (warmup_t, default 0).
    #[arg(long)]
    pub warmup_t: Option<usize>,
    /// timm-cosine: the warm-up's first rate (warmup_lr_init, default 0).
    #[arg(long)]
    pub warmup_lr_init: Option<f64>,
    /// timm-cosine: start the cosine after the warm-up instead of under it (warmup_prefix, default false).
    #[arg(long, value_name = "BOOL")]
    pub warmup_prefix: Option<bool>,
    /// timm-cosine: k-decay exponent k, phase pi t^k / T^k (Zhang et al. 2020; default 1).
    #[arg(long)]
    pub k_decay: Option<f64>,
    /// timm-cosine: relative rate noise from epoch START, or over START,END (noise_range_t).
    #[arg(long, value_delimiter = ',', value_name = "START[,END]")]
    pub noise_range_t: Vec<usize>,
    /// timm-cosine: bound of the relative noise (noise_pct, default 0.67).
    #[arg(long)]
    pub noise_pct: Option<f64>,
    /// timm-cosine: scale of the normal noise draw (noise_std, default 1; timm ignores it).
    #[arg(long)]
    pub noise_std: Option<f64>,
    /// timm-cosine: seed of the noise (noise_seed, default 42; epoch t draws with seed + t).
    #[arg(long)]
    pub noise_seed: Option<u64>,
    /// wsd: fraction of training spent in linear warm-up (default 0.05).
    #[arg(long)]
    pub warmup_fraction: Option<f64>,
    /// wsd: fraction of training spent cooling down at the end (default 0.2, Hägele et al. 2024).
    #[arg(long)]
    pub decay_fraction: Option<f64>,
    /// wsd: the warm-up starts at the rate divided by this (default 100).
    #[arg(long)]
    pub init_div_factor: Option<f64>,
    /// wsd: the cooldown's shape: 1-sqrt (default, Hägele et al. 2024), linear or cosine.
    #[arg(long, value_parser = named(CooldownShape::ALL.iter().copied(), |s| s.name()))]
    pub cooldown: Option<CooldownShape>,
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
            cycle_momentum: self.cycle_momentum,
            base_momentum: self.base_momentum,
            max_momentum: self.max_momentum,
            t_initial: self.t_initial,
            cycle_mul: self.cycle_mul,
            cycle_decay: self.cycle_decay,
            cycle_limit: self.cycle_limit,
            warmup_t: self.warmup_t,
            warmup_lr_init: self.warmup_lr_init,
            warmup_prefix: self.warmup_prefix,
            k_decay: self.k_decay,
            noise_range_t: self.noise_range_t.clone(),
            noise_pct: self.noise_pct,
            noise_std: self.noise_std,
            noise_seed: self.noise_seed,
            warmup_fraction: self.warmup_fraction,
            decay_fraction: self.decay_fraction,
            init_div_factor: self.init_div_factor,
            cooldown: self.cooldown,
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
            "milestones" | "noise-range-t" => "3,7",
            "cyclic-mode" => "triangular2",
            "cooldown" => "linear",
            "cycle-momentum" => "false",
            "warmup-prefix" => "true",
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
