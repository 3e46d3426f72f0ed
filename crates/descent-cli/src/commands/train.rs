//! `descent train`: command-line flags -> [`RunConfig`] -> [`train_run`].

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::bail;
use descent_data::Augmentation;
use descent_optim::averaging::BufferPolicy;
use descent_optim::schedule::{AnnealStrategy, ScheduleConfig, ScheduleUnit};
use descent_optim::{ConvergenceConfig, EarlyStoppingConfig, ReduceLrOnPlateauConfig};
use descent_optim::{OptimizerConfig, OptimizerKind, SamConfig};
use descent_train::{
    AveragingOptions, ConsoleObserver, DataConfig, EarlyStoppingOptions, EmaOptions, EpochRules,
    Monitor, NormalizationChoice, PlateauOptions, RunConfig, Snapshots, SwaOptions, SwaRate,
    SwagOptions, TrainOptions, ValidationSplit, train_run,
};

use crate::args::TrainArgs;
use descent_train::observer::log_line;

/// The momentum `descent train` gives momentum, nesterov and rmsprop when --momentum is not
/// given.
const TRAIN_MOMENTUM: f64 = 0.9;

/// Runs `descent train`.
pub fn run(device_name: &str, args: TrainArgs) -> anyhow::Result<()> {
    let config = run_config(&args)?;
    let (choice, device) = super::open_device(device_name)?;
    // Without --out, a folder of its own, claimed now so that runs started in the same
    // second do not share one; removed again if the run is refused before writing to it.
    let (folder, claimed) = match &args.out {
        Some(out) => (out.clone(), false),
        None => (claim_default_out()?, true),
    };
    let mut observer = match args.log_every {
        Some(n) => ConsoleObserver::with_terminal(false).log_every(n),
        None => ConsoleObserver::new(),
    }
    .with_interrupt(super::interrupt_flag()?)
    .with_device(choice.describe().unwrap_or_else(|_| choice.to_string()));
    // On resume the run's config.json gives every setting; an explicit --epochs extends it.
    let epochs_override = if args.resume { args.epochs } else { None };
    let outcome = train_run(
        &config,
        &folder,
        &device,
        args.resume,
        epochs_override,
        &mut observer,
    )
    .inspect_err(|e| {
        if matches!(e, descent_train::TrainError::Interrupted { .. }) {
            log_line(format_args!(
                "continue with: descent train --resume --out {}",
                folder.display()
            ));
        }
        if claimed {
            // Only an empty folder goes: a refused run wrote nothing into it.
            let _ = std::fs::remove_dir(&folder);
        }
    })?;
    match outcome.report.final_test {
        Some(test) => println!(
            "test accuracy {:.2}% (loss {:.4}) on {} samples; run folder {}",
            100.0 * test.accuracy,
            test.loss,
            test.samples,
            outcome.folder.display()
        ),
        None => println!("done; run folder {}", outcome.folder.display()),
    }
    for average in &outcome.report.averages {
        let folder = outcome.folder.join(&average.name);
        match average.test {
            Some(test) => println!(
                "{} average of {} updates: test accuracy {:.2}% (loss {:.4}); {}",
                average.name.to_uppercase(),
                average.updates,
                100.0 * test.accuracy,
                test.loss,
                folder.display()
            ),
            None => println!(
                "{} average of {} updates: {}",
                average.name.to_uppercase(),
                average.updates,
                folder.display()
            ),
        }
    }
    let swag = outcome.folder.join(descent_train::layout::SWAG_FILE);
    if swag.is_file() {
        println!(
            "SWAG posterior: {} (its Bayesian model average: descent eval {} --swag)",
            swag.display(),
            outcome.folder.display()
        );
    }
    if let Some(ensemble) = &outcome.report.ensemble {
        let epochs: Vec<String> = ensemble.epochs.iter().map(ToString::to_string).collect();
        match ensemble.test {
            Some(test) => println!(
                "snapshot ensemble of epochs {}: test accuracy {:.2}% (loss {:.4})",
                epochs.join(", "),
                100.0 * test.accuracy,
                test.loss
            ),
            None => println!("snapshots kept at epochs {}", epochs.join(", ")),
        }
    }
    println!(
        "its report (curves, checkpoints, landscape files): descent report {} (writes {})",
        super::report::shell_word(&outcome.folder),
        super::report::default_out(std::slice::from_ref(&outcome.folder)).display()
    );
    Ok(())
}

/// `runs/train-YYYYMMDD-HHMMSS` (UTC), or the same with `-2`, `-3`, ... when taken: created
/// here with `create_dir`, which fails when the folder exists, so of several runs started in
/// the same second each gets its own.
fn claim_default_out() -> anyhow::Result<PathBuf> {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = crate::date::civil_from_days(days as i64);
    let stem = format!(
        "train-{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    let parent = PathBuf::from("runs");
    std::fs::create_dir_all(&parent)
        .map_err(|e| descent_train::TrainError::io("creating", &parent, e))?;
    let mut n = 1u32;
    loop {
        let path = match n {
            1 => parent.join(&stem),
            n => parent.join(format!("{stem}-{n}")),
        };
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 10_000 => n += 1,
            Err(e) => return Err(descent_train::TrainError::io("creating", &path, e).into()),
        }
    }
}

/// Converts the flags into the library's run configuration, validating each.
pub fn run_config(args: &TrainArgs) -> anyhow::Result<RunConfig> {
    let dataset = args.dataset;
    let model = crate::model_args::model_config(&crate::model_args::ModelFlags {
        model: args.model,
        hidden: &args.hidden_sizes(),
        activation: args.activation,
        dropout: args.dropout,
        width: args.width,
        no_batch_norm: args.no_batch_norm,
        no_shortcuts: args.no_shortcuts,
        shortcut: args.shortcut,
    })?;
    let augmentation = (args.crop_padding.is_some() || args.flip).then_some(Augmentation {
        crop_padding: args.crop_padding,
        horizontal_flip: args.flip,
    });
    let data = DataConfig {
        dataset,
        dir: args.data_dir.clone(),
        train_samples: args.train_samples,
        test_samples: args.test_samples,
        normalization: if args.no_normalize {
            NormalizationChoice::None
        } else {
            NormalizationChoice::FromTrainingSet
        },
        augmentation,
        validation: match (args.val_split, args.val_samples) {
            (Some(fraction), _) => Some(ValidationSplit::Fraction(fraction)),
            (None, Some(n)) => Some(ValidationSplit::Samples(n)),
            (None, None) => None,
        },
    };
    data.validate()?;
    let kind = args.optimizer.optimizer;
    // `descent train`'s own defaults (kept from before the optimizer flags were shared with
    // `descent toy`, which takes each optimizer's): momentum 0.9 (rmsprop's too), no weight
    // decay (adamw's too), plain SGD without momentum whatever --momentum says, and Adam
    // without a momentum.
    let mut params = args.optimizer.params();
    params.momentum = match kind {
        OptimizerKind::Sgd => Some(0.0),
        OptimizerKind::Adam | OptimizerKind::AdamW => None,
        _ => Some(params.momentum.unwrap_or(TRAIN_MOMENTUM)),
    };
    params.weight_decay = Some(params.weight_decay.unwrap_or(0.0));
    let optimizer = OptimizerConfig::from_kind(kind, &params)?;
    let schedule = args.schedule.to_config()?;
    let training = TrainOptions {
        epochs: args.epochs.unwrap_or(crate::args::DEFAULT_EPOCHS),
        batch_size: args.batch_size,
        eval_batch_size: args.eval_batch_size,
        seed: args.seed,
        shuffle: true,
        checkpoint_every_steps: args.checkpoint_every_steps,
        rules: epoch_rules(args, data.validation.is_some())?,
        trajectory: args
            .trajectory_every
            .map(|every| descent_train::TrajectoryConfig {
                every,
                per: args.trajectory_per,
            }),
        averaging: averaging_options(args, &schedule)?,
        sam: args.sam.map(|rho| {
            let config = SamConfig::new(rho).with_adaptive(args.sam_adaptive);
            match args.sam_eta {
                Some(eta) => config.with_eta(eta),
                None => config,
            }
        }),
    };
    training.validate()?;
    if !(args.optimizer.lr.is_finite() && args.optimizer.lr > 0.0) {
        bail!(descent_train::TrainError::InvalidOption {
            field: "lr",
            value: args.optimizer.lr.to_string(),
            reason: "must be a positive finite number".into(),
        });
    }
    Ok(RunConfig {
        model,
        data,
        optimizer,
        schedule,
        learning_rate: args.optimizer.lr,
        training,
    })
}

/// Builds the end-of-epoch rules from `--plateau*`, `--early-stopping`, `--converge-*` and
/// `--stop-below-lr`; the rules' modes follow the monitored metric, which is `val-loss` by
/// default when the run holds out a validation split (`validation`), else `test-loss`.
fn epoch_rules(args: &TrainArgs, validation: bool) -> anyhow::Result<EpochRules> {
    let monitor = match (args.monitor, validation) {
        (Some(monitor), _) => monitor,
        (None, true) => Monitor::ValLoss,
        (None, false) => Monitor::TestLoss,
    };
    if monitor.needs_validation_set() && !validation {
        bail!(descent_train::TrainError::InvalidOption {
            field: "monitor",
            value: monitor.to_string(),
            reason: "needs a validation split: give --val-split or --val-samples".into(),
        });
    }
    let plateau = args.plateau.then(|| {
        let defaults = ReduceLrOnPlateauConfig::new();
        PlateauOptions {
            monitor,
            rule: ReduceLrOnPlateauConfig {
                mode: monitor.mode(),
                factor: args.plateau_factor.unwrap_or(defaults.factor),
                patience: args.plateau_patience.unwrap_or(defaults.patience),
                threshold: args.plateau_threshold.unwrap_or(defaults.threshold),
                cooldown: args.plateau_cooldown.unwrap_or(defaults.cooldown),
                min_lr: args.plateau_min_lr.unwrap_or(defaults.min_lr),
                ..defaults
            },
        }
    });
    let early_stopping = args.early_stopping.map(|patience| EarlyStoppingOptions {
        monitor,
        rule: EarlyStoppingConfig::new()
            .with_mode(monitor.mode())
            .with_patience(patience)
            .with_min_delta(args.min_delta.unwrap_or(0.0))
            .with_restore_best(args.restore_best),
    });
    let convergence = args
        .converge_tol
        .map(|tol| ConvergenceConfig::new(tol).with_patience(args.converge_patience.unwrap_or(1)));
    let rules = EpochRules {
        plateau,
        early_stopping,
        convergence,
        min_lr: args.stop_below_lr,
    };
    rules.validate()?;
    Ok(rules)
}

/// Builds the averaging options from `--swa-*`, `--swag*`, `--ema*`, `--snapshots`/`--snapshot-epochs`,
/// `--average-buffers` and `--no-bn-recompute`. `--snapshots` takes the cycle lengths of the
/// SGDR `schedule`, so it needs `--schedule sgdr` counted in epochs and without warm-up.
fn averaging_options(
    args: &TrainArgs,
    schedule: &ScheduleConfig,
) -> anyhow::Result<AveragingOptions> {
    let swa = args.swa_start.map(|start_epoch| SwaOptions {
        start_epoch,
        every_steps: args.swa_every_steps,
        lr: args.swa_lr.map(|swa_lr| SwaRate {
            swa_lr,
            anneal_epochs: args.swa_anneal_epochs.unwrap_or(10),
            anneal: args.swa_anneal.unwrap_or(AnnealStrategy::Cos),
        }),
    });
    let ema = args.ema.map(|decay| EmaOptions {
        decay,
        every_steps: args.ema_every_steps.unwrap_or(1),
    });
    let snapshots = if args.snapshots {
        match schedule {
            ScheduleConfig::WarmRestarts {
                t_0, t_mult, unit, ..
            } if *unit != ScheduleUnit::Batch => Some(Snapshots::CycleEnds {
                t_0: *t_0,
                t_mult: *t_mult,
            }),
            _ => bail!(descent_train::TrainError::InvalidOption {
                field: "snapshots",
                value: format!("with --schedule {}", args.schedule.schedule),
                reason: "keeps the weights at the end of each warm-restart cycle, so it needs \
                         --schedule sgdr counted in epochs and without --warmup-epochs; give \
                         the epochs with --snapshot-epochs instead"
                    .into(),
            }),
        }
    } else if !args.snapshot_epochs.is_empty() {
        Some(Snapshots::Epochs {
            epochs: args.snapshot_epochs.clone(),
        })
    } else {
        None
    };
    let buffers = args.average_buffers.unwrap_or(BufferPolicy::Copy);
    let swag = args.swag.then_some(SwagOptions {
        rank: args.swag_rank as usize,
    });
    Ok(AveragingOptions {
        swa,
        swag,
        ema,
        snapshots,
        buffers,
        recompute_batch_norm: !args.no_bn_recompute,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;
    use descent_data::DatasetKind;
    use descent_models::ModelConfig;

    fn train_args(extra: &[&str]) -> TrainArgs {
        let mut line = vec!["descent", "train"];
        line.extend_from_slice(extra);
        match Cli::try_parse_from(line).expect("parses").command {
            Command::Train(args) => *args,
            other => panic!("not train: {other:?}"),
        }
    }

    #[test]
    fn default_flags_make_a_valid_config() {
        let config = run_config(&train_args(&[])).expect("valid");
        assert!(matches!(config.model, ModelConfig::Vgg(_)));
        assert_eq!(config.data.dataset, DatasetKind::SyntheticImages);
    }

    #[test]
    fn schedules_take_their_flags_and_refuse_others() {
        let config = run_config(&train_args(&[
            "--schedule",
            "sgdr",
            "--t0",
            "2",
            "--t-mult",
            "2",
        ]))
        .expect("valid");
        assert!(matches!(
            config.schedule,
            ScheduleConfig::WarmRestarts {
                t_0: 2,
                t_mult: 2,
                ..
            }
        ));
        let err = run_config(&train_args(&["--schedule", "step", "--t0", "2"]))
            .expect_err("t0 is sgdr's");
        assert!(err.to_string().contains("t_0"), "{err}");
        run_config(&train_args(&[
            "--schedule",
            "cosine",
            "--warmup-epochs",
            "1",
        ]))
        .expect("warm-up");
    }

    #[test]
    fn bad_values_are_refused_with_the_flag_name() {
        for (flags, needle) in [
            (&["--lr", "-1"][..], "lr"),
            (&["--lr", "NaN"][..], "lr"),
            (&["--epochs", "0"][..], "epochs"),
        ] {
            let err = run_config(&train_args(flags)).expect_err("refused");
            let text = format!("{err:#}");
            assert!(text.contains(needle), "{flags:?}: {text}");
        }
        // A typed value (`--optimizer` lists its choices): refused while parsing, by the
        // library's own FromStr, with clap's usage exit code.
        for (flag, value) in [
            ("--optimizer", "lbfgs"),
            ("--dataset", "imagenet"),
            ("--model", "vgg12"),
            ("--model", "resnet18"),
            ("--activation", "swish"),
            ("--average-buffers", "median"),
        ] {
            let err = Cli::try_parse_from(["descent", "train", flag, value]).expect_err("refused");
            assert!(err.to_string().contains(value), "{err}");
            assert_eq!(err.exit_code(), 2);
        }
    }

    #[test]
    fn stopping_flags_make_rules_whose_mode_follows_the_monitor() {
        let config = run_config(&train_args(&[
            "--monitor",
            "test-accuracy",
            "--plateau",
            "--plateau-patience",
            "2",
            "--early-stopping",
            "4",
            "--restore-best",
            "--converge-tol",
            "1e-4",
            "--stop-below-lr",
            "1e-5",
        ]))
        .expect("valid");
        let rules = &config.training.rules;
        let plateau = rules.plateau.as_ref().expect("plateau");
        assert_eq!(plateau.monitor, Monitor::TestAccuracy);
        assert_eq!(plateau.rule.mode, descent_optim::MetricMode::Max);
        assert_eq!(plateau.rule.patience, 2);
        assert_eq!(plateau.rule.factor, 0.1);
        let early = rules.early_stopping.as_ref().expect("early stopping");
        assert_eq!(early.rule.mode, descent_optim::MetricMode::Max);
        assert_eq!(early.rule.patience, 4);
        assert!(early.rule.restore_best);
        assert_eq!(rules.convergence.as_ref().map(|c| c.tol), Some(1e-4));
        // The validation split is the default monitor when there is one.
        let monitored = |flags: &[&str]| {
            let config = run_config(&train_args(flags)).expect("valid");
            let plateau = config.training.rules.plateau.expect("plateau");
            (plateau.monitor, plateau.rule.mode)
        };
        let min = descent_optim::MetricMode::Min;
        assert_eq!(monitored(&["--plateau"]), (Monitor::TestLoss, min));
        let with_split = monitored(&["--plateau", "--val-split", "0.1"]);
        assert_eq!(with_split, (Monitor::ValLoss, min));
        let accuracy = monitored(&["--plateau", "--val-samples", "9", "--monitor", "val-acc"]);
        assert_eq!(
            accuracy,
            (Monitor::ValAccuracy, descent_optim::MetricMode::Max)
        );
        assert_eq!(rules.min_lr, Some(1e-5));
        for (flags, needle) in [
            (&["--plateau", "--plateau-factor", "1.5"][..], "factor"),
            (&["--early-stopping", "0"][..], "patience"),
            (&["--converge-tol", "-1"][..], "tol"),
            (&["--monitor", "val-loss"][..], "monitor"),
        ] {
            let err = run_config(&train_args(flags)).expect_err("refused");
            let text = format!("{err:#}");
            assert!(text.contains(needle), "{flags:?}: {text}");
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(crate::date::civil_from_days(0), (1970, 1, 1));
        assert_eq!(crate::date::civil_from_days(20_779), (2026, 11, 22));
    }
}
