//! Skip connections and the shape of the loss (Li et al. 2018, arXiv:1712.09913, figure 5):
//! train a ResNet with and without its shortcuts on Fashion-MNIST, scan the loss of each on a
//! 2-D plane of filter-normalized random directions around the trained weights, and draw the
//! two contour plots side by side, on the same levels.
//!
//! ```sh
//! cargo run --example skip_connections                       # a short run (minutes here)
//! cargo run --example skip_connections -- --depth 56 --epochs 20 --train-samples 60000 \
//!     --grid 51 --samples 10000 --out runs/skip-connections-56   # the paper's setting, on FMNIST
//! ```
//!
//! Flags: `--out DIR` (default `runs/example-skip-connections`), `--depth N` (ResNet-N,
//! N = 6n + 2; default 20), `--width W` (default 1), `--epochs N` (default 2),
//! `--train-samples N` (default 2000; 60000 is the whole set), `--lr R` (default 0.05, with
//! momentum 0.9 and weight decay 5e-4), `--grid N` (points per axis, default 11),
//! `--samples N` (training images per point, default 500; the training loss, as Li et al. plot).
//!
//! Writes `DIR/{short,noshort}/` (the trained models, as `descent train` would),
//! `DIR/{short,noshort}.npz` (the scans, resumable: running again continues them), each
//! contour plot (`DIR/{short,noshort}-contour.svg`, `.png`) and both side by side in
//! `DIR/skip_connections.svg`. Li et al. see the ResNet-56 landscape stay convex-looking
//! around the minimum and the one without shortcuts turn chaotic; at depth 20 the difference
//! is milder (their figure 5 shows ResNet-20, -56 and -110).

use std::path::{Path, PathBuf};

use descent::data::DatasetKind;
use descent::landscape::plot::{SurfaceStyle, draw_surface};
use descent::landscape::scan_plot::scan_surface_plot;
use descent::landscape::{
    BiasBn, DirectionChoice, DirectionConfig, EvalOptions, Grid, Normalization, PlaneAxes,
    ScanFile, ScanJob, ScanKind, ScanOptions, SilentScan, run_job,
};
use descent::models::{ModelConfig, ResNetConfig, Shortcut};
use descent::optim::schedule::ScheduleConfig;
use descent::optim::{OptimizerConfig, OptimizerKind, OptimizerParams};
use descent::train::{
    ConsoleObserver, DataConfig, DeviceChoice, NormalizationChoice, RunConfig, TrainOptions,
    train_run,
};

/// The command line.
struct Args {
    out: PathBuf,
    depth: usize,
    width: f64,
    epochs: usize,
    train_samples: usize,
    lr: f64,
    grid: usize,
    samples: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: PathBuf::from("runs/example-skip-connections"),
        depth: 20,
        width: 1.0,
        epochs: 2,
        train_samples: 2000,
        lr: 0.05,
        grid: 11,
        samples: 500,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| v.parse::<usize>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--out" => args.out = PathBuf::from(value()?),
            "--depth" => args.depth = number(value()?)?,
            "--width" => args.width = value()?.parse().map_err(|e| format!("--width: {e}"))?,
            "--epochs" => args.epochs = number(value()?)?,
            "--train-samples" => args.train_samples = number(value()?)?,
            "--lr" => args.lr = value()?.parse().map_err(|e| format!("--lr: {e}"))?,
            "--grid" => args.grid = number(value()?)?,
            "--samples" => args.samples = number(value()?)?,
            other => return Err(format!("unknown flag {other} (see the example's docs)")),
        }
    }
    if args.grid < 2 {
        return Err("--grid needs at least 2 points per axis".into());
    }
    Ok(args)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let device = DeviceChoice::Cpu.open()?;
    let mut scans = Vec::new();
    for (name, shortcut) in [("short", Shortcut::Projection), ("noshort", Shortcut::None)] {
        let run = args.out.join(name);
        train(&args, shortcut, &run)?;
        let scan = scan(&args, &run, &args.out.join(format!("{name}.npz")), &device)?;
        scans.push((name, scan));
    }

    // The same levels on both panels: from the lowest loss of either up to 10 (Li et al.'s
    // plots stop there too), so the two landscapes are compared on one scale.
    let low = scans
        .iter()
        .flat_map(|(_, f)| f.values["loss_train"].iter().copied())
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    let high = scans
        .iter()
        .flat_map(|(_, f)| f.values["loss_train"].iter().copied())
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max)
        .min(10.0);
    let mut panels = Vec::new();
    for (name, file) in &scans {
        let mut plot = scan_surface_plot(file, Some("loss_train"), SurfaceStyle::Contour, false)?;
        plot.title = format!(
            "ResNet-{}{}: training loss",
            args.depth,
            if *name == "noshort" {
                " without shortcuts"
            } else {
                ""
            }
        );
        if high > low {
            plot.value_range = Some([low, high]);
        }
        plot.width = 620;
        plot.height = 560;
        for ext in ["svg", "png"] {
            let path = args.out.join(format!("{name}-contour.{ext}"));
            draw_surface(&plot, &path)?;
            println!("wrote {}", path.display());
        }
        panels.push(args.out.join(format!("{name}-contour.svg")));
        let loss = &file.values["loss_train"];
        println!(
            "{name}: training loss {:.4} at the centre, {:.4} .. {:.4} over the plane",
            loss[loss.len() / 2],
            loss.iter().copied().fold(f64::INFINITY, f64::min),
            loss.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        );
    }
    let both = args.out.join("skip_connections.svg");
    side_by_side(&panels, &both)?;
    println!("wrote {}", both.display());
    Ok(())
}

/// Trains (or resumes, or keeps) the run in `run`.
fn train(args: &Args, shortcut: Shortcut, run: &Path) -> Result<(), Box<dyn std::error::Error>> {
    if run.join("model.bpk").is_file() {
        return Ok(());
    }
    let mut resnet = ResNetConfig::new(args.depth)
        .with_shortcut(shortcut)
        .with_width(args.width);
    // Filled from the dataset (1x28x28, 10 classes).
    resnet.in_channels = 0;
    resnet.image_size = 0;
    resnet.num_classes = 0;
    let params = OptimizerParams {
        momentum: Some(0.9),
        weight_decay: Some(5e-4),
        ..OptimizerParams::default()
    };
    let config = RunConfig {
        model: ModelConfig::ResNet(resnet),
        data: DataConfig {
            dataset: DatasetKind::FashionMnist,
            dir: None,
            train_samples: Some(args.train_samples),
            test_samples: None,
            normalization: NormalizationChoice::FromTrainingSet,
            augmentation: None,
            validation: None,
        },
        optimizer: OptimizerConfig::from_kind(OptimizerKind::Momentum, &params)?,
        schedule: ScheduleConfig::Constant,
        learning_rate: args.lr,
        training: TrainOptions {
            epochs: args.epochs,
            batch_size: 128,
            ..TrainOptions::default()
        },
    };
    let resume = run.join("config.json").exists();
    train_run(
        &config,
        run,
        &DeviceChoice::Cpu.open()?,
        resume,
        None,
        &mut ConsoleObserver::new(),
    )?;
    Ok(())
}

/// Scans the plane of two filter-normalized directions (biases and batch norm left out, the
/// paper's "ignore biasbn") around the model in `run`, on a fixed subset of the training set (the loss that was minimized).
fn scan(
    args: &Args,
    run: &Path,
    out: &Path,
    device: &burn::tensor::Device,
) -> Result<ScanFile, Box<dyn std::error::Error>> {
    let axis = format!("-1:1:{}", args.grid);
    let job = ScanJob {
        kind: ScanKind::Random,
        checkpoints: vec![run.to_path_buf()],
        imported: None,
        grid: Grid {
            x: axis.parse()?,
            y: Some(axis.parse()?),
        },
        directions: DirectionChoice::Random(DirectionConfig {
            seed: 1,
            normalization: Normalization::Filter,
            bias_bn: BiasBn::Ignore,
            orthogonalize: false,
        }),
        plane_axes: PlaneAxes::default(),
        eval: EvalOptions {
            samples: Some(args.samples),
            batch_size: 500,
            ..EvalOptions::default()
        },
        out: out.to_path_buf(),
        shard: None,
        options: ScanOptions::default(),
    };
    println!(
        "scanning {} ({}x{} points)",
        run.display(),
        args.grid,
        args.grid
    );
    Ok(run_job(&job, device, "cpu", &mut SilentScan)?.file)
}

/// Puts the SVG files `panels` next to each other, left to right, in one SVG file.
fn side_by_side(panels: &[PathBuf], out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let texts = panels
        .iter()
        .map(std::fs::read_to_string)
        .collect::<Result<Vec<_>, _>>()?;
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let svg = descent::plot::panels::side_by_side(&texts)?;
    let tmp = out.with_extension("svg.tmp");
    std::fs::write(&tmp, svg)?;
    std::fs::rename(&tmp, out)?;
    Ok(())
}
