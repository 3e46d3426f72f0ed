//! `descent schedule`: the learning rate of every step or epoch of a schedule, as CSV or
//! JSON, and optionally a plot, so a user sees a schedule before training with it. Schedules
//! that cycle the momentum (`cyclic`, `onecycle`) add a `momentum` column and draw it on the
//! plot's right axis.
//!
//! ```text
//! descent schedule --schedule sgdr --t0 10 --t-mult 2 --epochs 70 --steps-per-epoch 391
//! descent schedule --schedule onecycle --lr 0.1 --epochs 30 --train-samples 50000 \
//!                  --batch-size 128 --per step --format json --out onecycle.json --plot onecycle.png
//! ```
//!
//! The schedule flags are [`ScheduleArgs`], shared with `descent train` and `descent toy`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use descent_optim::schedule::{ScheduleConfig, trace};
use descent_plot::{LinePlot, PlotError, Series, YAxis, draw_lines};
use descent_train::TrainError;
use serde_json::{Value, json};

use crate::schedule_args::ScheduleArgs;

/// One rate per step (batch) or one per epoch (the rate of its first step).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Per {
    /// One row per epoch.
    Epoch,
    /// One row per optimizer step.
    Step,
}

/// The table's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    /// `epoch,lr` or `step,epoch,lr` with a header line.
    Csv,
    /// One object: the schedule's config, the budget, and the rates.
    Json,
}

/// `descent schedule`: print or plot the learning rate of every step or epoch of a schedule.
#[derive(Debug, Clone, Args)]
pub struct ScheduleCmdArgs {
    /// The schedule and its flags (the same as `descent train`'s).
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    /// The base learning rate (the peak rate for schedules that vary it).
    #[arg(
        long,
        default_value_t = 0.05,
        allow_negative_numbers = true,
        help_heading = "Budget"
    )]
    pub lr: f64,
    /// Epochs of training.
    #[arg(long, default_value_t = 2, help_heading = "Budget")]
    pub epochs: usize,
    /// Optimizer steps (batches) per epoch; or give --train-samples and --batch-size.
    #[arg(long, conflicts_with = "train_samples", help_heading = "Budget")]
    pub steps_per_epoch: Option<usize>,
    /// Training-set size: with --batch-size, steps per epoch = ceil(samples / batch).
    #[arg(long, requires = "batch_size", help_heading = "Budget")]
    pub train_samples: Option<usize>,
    /// Samples per step (with --train-samples).
    #[arg(long, requires = "train_samples", help_heading = "Budget")]
    pub batch_size: Option<usize>,
    /// One row per epoch or per step.
    #[arg(long, value_enum, default_value = "epoch", help_heading = "Output")]
    pub per: Per,
    /// The table's format.
    #[arg(long, value_enum, default_value = "csv", help_heading = "Output")]
    pub format: TableFormat,
    /// Write the table to this file (atomically) instead of standard output.
    #[arg(long, short, help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// Also draw the rates to this .svg or .png file.
    #[arg(long, help_heading = "Output")]
    pub plot: Option<PathBuf>,
}

/// The rates of a schedule over a training budget.
#[derive(Debug, Clone, PartialEq)]
pub struct RateTable {
    /// The schedule's name (`sgdr`, ...).
    pub name: String,
    /// Batches per epoch.
    pub steps_per_epoch: usize,
    /// One row per step or epoch.
    pub per: Per,
    /// `(step, epoch, lr)`, both counted from 0; per epoch, `step` is the epoch's first step.
    pub rows: Vec<(usize, usize, f64)>,
    /// The momentum of each row when the schedule cycles it (`None` where the optimizer keeps
    /// its own, e.g. during a warm-up); `None` when it does not.
    pub momenta: Option<Vec<Option<f64>>>,
}

/// Steps per epoch from `--steps-per-epoch`, or `--train-samples` / `--batch-size`
/// (rounded up: a short last batch is a step), or 1.
fn steps_per_epoch(args: &ScheduleCmdArgs) -> anyhow::Result<usize> {
    let invalid = |field: &'static str, value: usize| TrainError::InvalidOption {
        field,
        value: value.to_string(),
        reason: "must be at least 1".into(),
    };
    let n = match (args.steps_per_epoch, args.train_samples, args.batch_size) {
        (Some(n), _, _) => n,
        (None, Some(samples), Some(batch)) => {
            if batch == 0 {
                return Err(invalid("batch-size", 0).into());
            }
            samples.div_ceil(batch)
        }
        _ => 1,
    };
    if n == 0 {
        let field = if args.steps_per_epoch.is_some() {
            "steps-per-epoch"
        } else {
            "train-samples"
        };
        return Err(invalid(field, 0).into());
    }
    Ok(n)
}

/// Builds the schedule the flags describe and reads its rates, without training.
///
/// # Errors
/// Bad schedule flags, a zero budget, or a schedule that rejects the budget.
pub fn rate_table(args: &ScheduleCmdArgs) -> anyhow::Result<RateTable> {
    let config = args.schedule.to_config()?;
    if args.epochs == 0 {
        return Err(TrainError::InvalidOption {
            field: "epochs",
            value: "0".into(),
            reason: "must be at least 1".into(),
        }
        .into());
    }
    if !(args.lr.is_finite() && args.lr > 0.0) {
        return Err(TrainError::InvalidOption {
            field: "lr",
            value: args.lr.to_string(),
            reason: "must be a positive finite number".into(),
        }
        .into());
    }
    let spe = steps_per_epoch(args)?;
    let total = args
        .epochs
        .checked_mul(spe)
        .filter(|t| *t <= 100_000_000)
        .ok_or_else(|| TrainError::InvalidOption {
            field: "epochs",
            value: args.epochs.to_string(),
            reason: format!(
                "{} epochs of {spe} steps is more than 1e8 steps",
                args.epochs
            ),
        })?;
    let mut schedule = config.init(args.lr, spe, args.epochs)?;
    let rates = trace(&mut schedule, total);
    let momentum = config.momentum(args.lr, spe, args.epochs)?;
    let rows: Vec<(usize, usize, f64)> = match args.per {
        Per::Step => rates
            .iter()
            .enumerate()
            .map(|(s, lr)| (s, s / spe, *lr))
            .collect(),
        Per::Epoch => (0..args.epochs)
            .map(|e| (e * spe, e, rates[e * spe]))
            .collect(),
    };
    let momenta = momentum.map(|m| rows.iter().map(|&(step, _, _)| m.at(step)).collect());
    Ok(RateTable {
        name: config.kind().to_string(),
        steps_per_epoch: spe,
        per: args.per,
        rows,
        momenta,
    })
}

impl RateTable {
    /// The CSV text: `epoch,lr` per epoch, `step,epoch,lr` per step, rates printed exactly
    /// (shortest round-trip form).
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let momentum_header = if self.momenta.is_some() {
            ",momentum"
        } else {
            ""
        };
        match self.per {
            Per::Epoch => out.push_str(&format!("epoch,lr{momentum_header}\n")),
            Per::Step => out.push_str(&format!("step,epoch,lr{momentum_header}\n")),
        }
        for (index, (s, e, lr)) in self.rows.iter().enumerate() {
            match self.per {
                Per::Epoch => out.push_str(&format!("{e},{lr}")),
                Per::Step => out.push_str(&format!("{s},{e},{lr}")),
            }
            if let Some(momenta) = &self.momenta {
                // Empty where the optimizer keeps its own momentum.
                let m = momenta[index].map(|m| m.to_string()).unwrap_or_default();
                out.push_str(&format!(",{m}"));
            }
            out.push('\n');
        }
        out
    }

    /// The JSON document: the schedule's config and budget, then the rows.
    pub fn to_json(
        &self,
        config: &ScheduleConfig,
        args: &ScheduleCmdArgs,
    ) -> anyhow::Result<String> {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .enumerate()
            .map(|(index, (s, e, lr))| {
                let mut row = match self.per {
                    Per::Epoch => json!({ "epoch": e, "lr": lr }),
                    Per::Step => json!({ "step": s, "epoch": e, "lr": lr }),
                };
                if let Some(momenta) = &self.momenta {
                    row["momentum"] = json!(momenta[index]);
                }
                row
            })
            .collect();
        let doc = json!({
            "schedule": serde_json::to_value(config)?,
            "lr": args.lr,
            "epochs": args.epochs,
            "steps_per_epoch": self.steps_per_epoch,
            "per": match self.per { Per::Epoch => "epoch", Per::Step => "step" },
            "rates": rows,
        });
        Ok(serde_json::to_string_pretty(&doc)? + "\n")
    }

    /// The rates as a line plot over epochs (fractional per step).
    pub fn plot(&self) -> LinePlot {
        let x = self
            .rows
            .iter()
            .map(|(s, e, _)| match self.per {
                Per::Epoch => *e as f64,
                Per::Step => *s as f64 / self.steps_per_epoch as f64,
            })
            .collect();
        let y = self.rows.iter().map(|r| r.2).collect();
        let mut series = vec![Series::new(self.name.clone(), x, y)];
        let mut y_label_right = None;
        if let Some(momenta) = &self.momenta {
            // The momentum where the schedule sets it (not where the optimizer keeps its own).
            let (x, y): (Vec<f64>, Vec<f64>) = self
                .rows
                .iter()
                .zip(momenta)
                .filter_map(|((s, e, _), m)| {
                    let x = match self.per {
                        Per::Epoch => *e as f64,
                        Per::Step => *s as f64 / self.steps_per_epoch as f64,
                    };
                    m.map(|m| (x, m))
                })
                .unzip();
            series.push(Series::new("momentum", x, y).on(YAxis::Right));
            y_label_right = Some("momentum (Adam: beta1)".into());
        }
        LinePlot {
            title: format!("learning-rate schedule: {}", self.name),
            x_label: "epoch".into(),
            y_label_left: "learning rate".into(),
            y_label_right,
            series,
            ..Default::default()
        }
    }
}

/// Runs `descent schedule`.
pub fn run(args: ScheduleCmdArgs) -> anyhow::Result<()> {
    // Check the plot's extension before any output, so a typo writes nothing.
    if let Some(path) = &args.plot {
        descent_plot::ImageFormat::from_path(path).map_err(plot_error)?;
    }
    let table = rate_table(&args)?;
    let config = args.schedule.to_config()?;
    let text = match args.format {
        TableFormat::Csv => table.to_csv(),
        TableFormat::Json => table.to_json(&config, &args)?,
    };
    match &args.out {
        Some(path) => descent_files::write_file(path, text.as_bytes())?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| TrainError::io("writing", Path::new("<stdout>"), e))?;
        }
    }
    if let Some(path) = &args.plot {
        draw_lines(&table.plot(), path).map_err(plot_error)?;
    }
    Ok(())
}

/// Plot errors as the CLI's typed errors: a bad extension or input is a usage error (exit
/// 2), a failed write an output error (exit 6).
fn plot_error(err: PlotError) -> anyhow::Error {
    match err {
        PlotError::Io {
            action,
            path,
            source,
        } => TrainError::Io {
            action,
            path,
            source,
        }
        .into(),
        PlotError::UnsupportedFormat { path, reason } => TrainError::InvalidOption {
            field: "plot",
            value: path.display().to_string(),
            reason,
        }
        .into(),
        other => anyhow::Error::new(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;
    use descent_optim::schedule::ScheduleKind;

    fn parse(extra: &[&str]) -> ScheduleCmdArgs {
        let mut line = vec!["descent", "schedule"];
        line.extend_from_slice(extra);
        match Cli::try_parse_from(line).expect("parses").command {
            Command::Schedule(args) => *args,
            other => panic!("not schedule: {other:?}"),
        }
    }

    #[test]
    fn step_schedule_per_epoch_matches_the_closed_form() {
        // StepLR(lr=0.1, step_size=2, gamma=0.5) stepped once per epoch: 0.1 * 0.5^(e // 2).
        let t = rate_table(&parse(&[
            "--schedule",
            "step",
            "--lr",
            "0.1",
            "--step-size",
            "2",
            "--gamma",
            "0.5",
            "--epochs",
            "5",
            "--steps-per-epoch",
            "3",
        ]))
        .expect("table");
        let lrs: Vec<f64> = t.rows.iter().map(|r| r.2).collect();
        let expected = [0.1, 0.1, 0.05, 0.05, 0.025];
        assert!(
            lrs.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-12),
            "{lrs:?}"
        );
        assert_eq!(t.rows[4].0, 12, "epoch 4 starts at step 12");
    }

    #[test]
    fn cosine_per_step_follows_the_formula() {
        // CosineAnnealingLR with T_max = 4 epochs, eta_min = 0, stepped per epoch; per step the
        // rate holds within an epoch (the default unit is the epoch).
        let t = rate_table(&parse(&[
            "--schedule",
            "cosine",
            "--lr",
            "1",
            "--epochs",
            "4",
            "--train-samples",
            "10",
            "--batch-size",
            "4",
            "--per",
            "step",
        ]))
        .expect("table");
        assert_eq!(t.steps_per_epoch, 3, "ceil(10 / 4)");
        assert_eq!(t.rows.len(), 12);
        for (s, e, lr) in &t.rows {
            let want = 0.5 * (1.0 + (std::f64::consts::PI * *e as f64 / 4.0).cos());
            assert!((lr - want).abs() < 1e-9, "step {s}: {lr} vs {want}");
        }
        let csv = t.to_csv();
        assert!(csv.starts_with("step,epoch,lr\n0,0,1\n"), "{csv}");
    }

    /// PyTorch's `OneCycleLR(max_lr=0.1, total_steps=20)` momenta (cycle_momentum=True), from
    /// the script `momentum_reference.py` pasted in descent-optim's
    /// `schedule/momentum/tests.rs`.
    const TORCH_ONECYCLE_MOMENTA: [f64; 6] = [
        0.95,
        0.9404508497187474,
        0.9154508497187474,
        0.8845491502812526,
        0.8595491502812526,
        0.85,
    ];

    #[test]
    fn cycled_momentum_gets_a_column_and_a_plot_series() {
        let base = [
            "--schedule",
            "onecycle",
            "--epochs",
            "20",
            "--steps-per-epoch",
            "1",
        ];
        let t = rate_table(&parse(&base)).expect("table");
        let momenta: Vec<f64> = t
            .momenta
            .as_ref()
            .expect("cycled")
            .iter()
            .flatten()
            .copied()
            .collect();
        assert_eq!(momenta.len(), 20);
        for (got, want) in momenta.iter().zip(TORCH_ONECYCLE_MOMENTA) {
            assert!((got - want).abs() <= 1e-6 * want, "{momenta:?}");
        }
        let csv = t.to_csv();
        assert!(
            csv.starts_with("epoch,lr,momentum\n0,0.002,0.95\n"),
            "{csv}"
        );
        let plot = t.plot();
        assert_eq!(plot.series.len(), 2);
        assert_eq!(plot.series[1].axis, YAxis::Right);
        // Switched off: no column, one series.
        let mut off = base.to_vec();
        off.extend(["--cycle-momentum", "false"]);
        let t = rate_table(&parse(&off)).expect("table");
        assert!(t.momenta.is_none() && t.to_csv().starts_with("epoch,lr\n"));
        assert_eq!(t.plot().series.len(), 1);
    }

    /// A config written by `descent schedule --format json` reads back as the same config, for
    /// every kind at its defaults and for one with flags given.
    #[test]
    fn a_written_config_round_trips() {
        let mut lines: Vec<Vec<String>> = ScheduleKind::ALL
            .iter()
            .map(|k| vec!["--schedule".to_string(), k.to_string()])
            .collect();
        lines.push(
            "--schedule timm-cosine --warmup-t 2 --cycle-mul 1.5 --noise-range-t 3,7 --k-decay 2"
                .split(' ')
                .map(String::from)
                .collect(),
        );
        lines.push(
            "--schedule wsd --cooldown linear --decay-fraction 0.3 --warmup-epochs 1"
                .split(' ')
                .map(String::from)
                .collect(),
        );
        for line in lines {
            let mut line: Vec<&str> = line.iter().map(String::as_str).collect();
            line.extend([
                "--epochs",
                "20",
                "--steps-per-epoch",
                "3",
                "--format",
                "json",
            ]);
            let args = parse(&line);
            let config = args.schedule.to_config().expect("valid");
            let doc = rate_table(&args)
                .and_then(|t| t.to_json(&config, &args))
                .expect("json");
            let doc: Value = serde_json::from_str(&doc).expect("json");
            let back: ScheduleConfig =
                serde_json::from_value(doc["schedule"].clone()).expect("reads back");
            assert_eq!(back, config, "{line:?}");
        }
    }

    #[test]
    fn flags_of_another_schedule_are_usage_errors() {
        let err = rate_table(&parse(&["--schedule", "step", "--t0", "2"])).expect_err("t0");
        assert!(err.to_string().contains("--t0"), "{err}");
        assert_eq!(crate::exit::code(&err), 2);
        let err = rate_table(&parse(&["--epochs", "0"])).expect_err("zero");
        assert_eq!(crate::exit::code(&err), 2);
        let err = rate_table(&parse(&["--steps-per-epoch", "0"])).expect_err("zero");
        assert!(err.to_string().contains("steps-per-epoch"), "{err}");
    }
}
