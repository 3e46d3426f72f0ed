//! `descent landscape curve`: a curve between two trained models (Garipov et al. 2018), its
//! bend trained, both it and the straight line measured, their loss barriers reported.

use std::path::PathBuf;

use clap::Args;
use descent_data::{DatasetKind, Split};
use descent_landscape::curve::job::{CurveJob, CurveObserver, run_curve_job};
use descent_landscape::curve::plane_scan::{PLANE_SCAN_FILE, PlaneGrid, scan_curve_plane};
use descent_landscape::curve::plot::draw_plane_scan;
use descent_landscape::curve::train::{CurveEpoch, CurveSchedule, CurveTrainConfig};
use descent_landscape::{BnPolicy, CurveKind, EvalOptions, TrainingImages};
use descent_train::observer::log_line;

use super::progress::ScanProgress;
use crate::values::{listed, named};

/// `descent landscape curve`.
#[derive(Debug, Clone, Args)]
pub struct CurveArgs {
    /// The model at t = 0 (A): a run folder, checkpoint folder, or model .bpk.
    pub a: PathBuf,
    /// The model at t = 1 (C), same architecture.
    pub b: PathBuf,
    /// Trainable bends between the ends (only 1, a quadratic Bezier curve or a two-segment chain).
    #[arg(long, default_value_t = 1, help_heading = "Curve")]
    pub bends: usize,
    /// Use the polygonal chain A -> bend -> C instead of the Bezier curve.
    #[arg(long, help_heading = "Curve")]
    pub chain: bool,
    /// Passes over the training split while training the bend.
    #[arg(long, default_value_t = 10, help_heading = "Training the bend")]
    pub epochs: usize,
    /// Base learning rate of the bend's SGD (Garipov et al.'s default).
    #[arg(long, default_value_t = 0.01, help_heading = "Training the bend")]
    pub lr: f64,
    /// Heavy-ball momentum of the bend's SGD (PyTorch's, dampening 0).
    #[arg(long, default_value_t = 0.9, help_heading = "Training the bend")]
    pub momentum: f64,
    /// Weight of 0.5 |phi(t)|^2 in the loss (their --wd, on the point's weights).
    #[arg(long, default_value_t = 1e-4, help_heading = "Training the bend")]
    pub weight_decay: f64,
    /// Rate over the epochs: garipov (flat for half, down to 1% by 90%) or constant.
    #[arg(long, default_value = "garipov", value_parser = listed::<CurveSchedule>(&["garipov", "constant"]), help_heading = "Training the bend")]
    pub schedule: CurveSchedule,
    /// Seed of the t draws, the data order and the training subset.
    #[arg(long, default_value_t = 0, help_heading = "Training the bend")]
    pub seed: u64,
    /// Samples per training step.
    #[arg(long, default_value_t = 128, help_heading = "Training the bend")]
    pub batch_size: usize,
    /// Train on a seeded subset of this many training samples (default: all).
    #[arg(long, help_heading = "Training the bend")]
    pub train_samples: Option<usize>,
    /// Points along each path, t evenly spaced from 0 to 1 (as eval_curve.py).
    #[arg(long, default_value_t = 61, help_heading = "Evaluation")]
    pub points: usize,
    /// Splits measured at each point, comma-separated: train, test (the barrier is the first's).
    #[arg(long, value_delimiter = ',', default_value = "train", value_parser = named(Split::ALL, Split::as_str), help_heading = "Evaluation")]
    pub split: Vec<Split>,
    /// Measure each point on a seeded subset of this many samples per split (default: all).
    #[arg(long, help_heading = "Evaluation")]
    pub samples: Option<usize>,
    /// Seed of the evaluation subset.
    #[arg(long, default_value_t = 0, help_heading = "Evaluation")]
    pub subset_seed: u64,
    /// Samples per forward pass when measuring (and per batch-norm recompute batch).
    #[arg(long, default_value_t = 256, help_heading = "Evaluation")]
    pub eval_batch_size: usize,
    /// Dataset (default: the one in the model card).
    #[arg(long, value_parser = named(DatasetKind::ALL, DatasetKind::as_str), help_heading = "Evaluation")]
    pub dataset: Option<DatasetKind>,
    /// Dataset folder (default: the one in the model card).
    #[arg(long, help_heading = "Evaluation")]
    pub data_dir: Option<PathBuf>,
    /// Also scan the loss on the plane of A, bend and C on NxN points, paths drawn over it.
    #[arg(long, help_heading = "Plane of A, bend, C")]
    pub plane_resolution: Option<usize>,
    /// The plane scan spans the three models plus this share of their extent on each side.
    #[arg(long, default_value_t = 0.2, help_heading = "Plane of A, bend, C")]
    pub plane_margin: f64,
    /// Output folder (curve.json, bend/, profile.svg, plane.svg); a finished one is refused.
    #[arg(long, short)]
    pub out: PathBuf,
    /// The architecture of PyTorch weights files given as A or C.
    #[command(flatten)]
    pub torch: crate::model_args::TorchModelArgs,
}

/// Log lines per epoch and every 10% of the points.
struct CurveLog {
    last: usize,
}

impl CurveObserver for CurveLog {
    fn epoch(&mut self, e: &CurveEpoch, epochs: usize) {
        log_line(format_args!(
            "bend epoch {}/{epochs}: lr {:.3e}, loss along the curve {:.4}",
            e.epoch, e.lr, e.loss
        ));
    }

    fn point(&mut self, done: usize, total: usize) {
        let tenth = done * 10 / total.max(1);
        if tenth > self.last || done == total {
            self.last = tenth;
            log_line(format_args!("measured {done}/{total} path points"));
        }
    }
}

/// Runs `descent landscape curve`.
pub fn run(device_name: &str, args: &CurveArgs) -> anyhow::Result<()> {
    if args.bends != 1 {
        anyhow::bail!(descent_landscape::LandscapeError::invalid(
            "bends",
            args.bends,
            "only one bend is implemented (a quadratic Bezier curve or a two-segment chain)"
        ));
    }
    let job = CurveJob {
        checkpoints: [args.a.clone(), args.b.clone()],
        imported: args.torch.card(args.dataset, args.data_dir.clone())?,
        kind: if args.chain {
            CurveKind::Chain
        } else {
            CurveKind::Bezier
        },
        train: CurveTrainConfig {
            epochs: args.epochs,
            batch_size: args.batch_size,
            lr: args.lr,
            momentum: args.momentum,
            weight_decay: args.weight_decay,
            seed: args.seed,
            schedule: args.schedule,
        },
        train_samples: args.train_samples,
        points: args.points,
        eval: EvalOptions {
            splits: args.split.clone(),
            samples: args.samples,
            subset_seed: args.subset_seed,
            batch_size: args.eval_batch_size,
            dataset: args.dataset,
            data_dir: args.data_dir.clone(),
            bn: BnPolicy::Recompute,
            // The bend trains on the training split (or its --train-samples subset); its
            // paths and plane are evaluated on the same split, not on one end's run.
            training_images: TrainingImages::Split,
        },
        out: args.out.clone(),
    };
    if args.eval_batch_size == 0 {
        anyhow::bail!(descent_landscape::LandscapeError::invalid(
            "eval_batch_size",
            0,
            "must be at least 1"
        ));
    }
    let (choice, device) = crate::commands::open_device(device_name)?;
    let result = run_curve_job(
        &job,
        &device,
        &choice.to_string(),
        &mut CurveLog { last: 0 },
    )?;
    let p = &result.profiles;
    let metric = p.barrier_metric.clone().unwrap_or_default();
    let ends = |values: Option<&Vec<f64>>| {
        values.map_or((f64::NAN, f64::NAN, f64::NAN), |v| {
            (
                v.first().copied().unwrap_or(f64::NAN),
                v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                v.last().copied().unwrap_or(f64::NAN),
            )
        })
    };
    for (name, profile) in [
        (result.kind.to_string(), &p.curve),
        ("line".to_string(), &p.line),
    ] {
        let (first, max, last) = ends(profile.values.get(&metric));
        println!(
            "{name:>6}: {metric} at A {first:.4}, max {max:.4}, at C {last:.4}; barrier {}",
            profile
                .barrier
                .map_or("n/a".to_string(), |b| format!("{b:.4}"))
        );
    }
    if let (Some(c), Some(l)) = (p.curve.barrier, p.line.barrier)
        && l > 0.0
    {
        println!("curve barrier / line barrier = {:.4}", c / l);
    }
    println!(
        "{}",
        args.out
            .join(descent_landscape::curve::job::CURVE_FILE)
            .display()
    );
    if let Some(resolution) = args.plane_resolution {
        let outcome = scan_curve_plane(
            &result,
            &job,
            PlaneGrid {
                resolution,
                margin: args.plane_margin,
            },
            &device,
            &choice.to_string(),
            &mut ScanProgress::new(),
        )?;
        let figure = args.out.join("plane-loss.svg");
        draw_plane_scan(&result, &outcome.file, &figure)?;
        println!("{}", args.out.join(PLANE_SCAN_FILE).display());
        println!("{}", figure.display());
    }
    Ok(())
}
