//! Train a small network, scan the loss on a 2-D plane of filter-normalized random directions
//! around it (Li et al. 2018), and draw the contour plot.
//!
//! ```sh
//! cargo run --example landscape [-- OUT_DIR]   # default: runs/example-landscape
//! ```
//!
//! Writes `OUT_DIR/run/` (the trained model, as `descent train` would), `OUT_DIR/scan.npz`
//! (the scan file: numpy reads it with `numpy.load`), `OUT_DIR/scan.directions.npz` (the two
//! directions, to redo or extend the scan) and the contour plot `OUT_DIR/scan-contour.svg`
//! (and `.png`). `descent landscape plot OUT_DIR/scan.npz --style filled,surface` draws more.
//! Running it again resumes the scan where it stopped.

use std::path::PathBuf;

use descent::data::DatasetKind;
use descent::landscape::plot::SurfaceStyle;
use descent::landscape::scan_plot::{ScanFigureFormat, ScanPlotRequest, draw_scan};
use descent::landscape::{
    BiasBn, DirectionChoice, DirectionConfig, EvalOptions, Grid, Normalization, ScanJob, ScanKind,
    ScanOptions, SilentScan, run_job,
};
use descent::models::{MlpConfig, ModelConfig};
use descent::optim::schedule::ScheduleConfig;
use descent::optim::{OptimizerConfig, OptimizerKind, OptimizerParams};
use descent::train::{
    ConsoleObserver, DataConfig, DeviceChoice, NormalizationChoice, RunConfig, TrainOptions,
    train_run,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("runs/example-landscape"), PathBuf::from);
    let device = DeviceChoice::Cpu.open()?;

    // 1. Train: an MLP 2-32-32-3 on 2-D spirals, momentum SGD.
    let run = out.join("run");
    if !run.join("model.bpk").is_file() {
        let config = RunConfig {
            model: ModelConfig::Mlp(MlpConfig::new(0, vec![32, 32], 0)),
            data: DataConfig {
                dataset: DatasetKind::Spirals,
                dir: None,
                train_samples: None,
                test_samples: None,
                normalization: NormalizationChoice::None,
                augmentation: None,
                validation: None,
            },
            optimizer: OptimizerConfig::from_kind(
                OptimizerKind::Momentum,
                &OptimizerParams::default(),
            )?,
            schedule: ScheduleConfig::Constant,
            learning_rate: 0.05,
            training: TrainOptions {
                epochs: 30,
                batch_size: 32,
                ..TrainOptions::default()
            },
        };
        let resume = run.join("config.json").exists();
        train_run(
            &config,
            &run,
            &device,
            resume,
            None,
            &mut ConsoleObserver::new(),
        )?;
    }

    // 2. Scan a 21 x 21 plane of filter-normalized directions (biases ignored) on the training
    // set (the default split: the loss that was minimized, as Li et al. plot it).
    let scan_path = out.join("scan.npz");
    let job = ScanJob {
        kind: ScanKind::Random,
        checkpoints: vec![run.clone()],
        imported: None,
        grid: Grid {
            x: "-1:1:21".parse()?,
            y: Some("-1:1:21".parse()?),
        },
        directions: DirectionChoice::Random(DirectionConfig {
            seed: 1,
            normalization: Normalization::Filter,
            bias_bn: BiasBn::Ignore,
            orthogonalize: false,
        }),
        eval: EvalOptions::default(),
        plane_axes: Default::default(),
        out: scan_path.clone(),
        shard: None,
        options: ScanOptions::default(),
    };
    let result = run_job(&job, &device, "cpu", &mut SilentScan)?;
    let file = &result.file;
    let loss = &file.values["loss_train"];
    let centre = loss[loss.len() / 2];
    let (min, max) = loss
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    println!(
        "scan {}: {} points, training loss {centre:.4} at the centre, {min:.4} .. {max:.4} over the plane",
        scan_path.display(),
        file.done_count()
    );
    if let Some(cos) = file.meta.cosine {
        println!("cosine between the directions: {cos:.4}");
    }

    // 3. The contour plot (SVG and PNG), drawn from the file alone.
    let request = ScanPlotRequest {
        formats: vec![ScanFigureFormat::Svg, ScanFigureFormat::Png],
        styles: vec![SurfaceStyle::Contour],
        ..Default::default()
    };
    for path in draw_scan(file, &out.join("scan"), &request)? {
        println!("wrote {}", path.display());
    }
    Ok(())
}
