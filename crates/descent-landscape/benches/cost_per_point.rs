//! Cost per grid point of a scan versus the same number of plain evaluations (forward passes
//! over the same batches, weights fixed), in one process: the overhead of setting
//! `theta + a d + b e` into the model and of the bookkeeping.
//!
//! Workload: VGG-11 at width 1/4 (batch norm), 2048 synthetic 3x32x32 images, batch 512, CPU
//! (flex). Run with `cargo bench -p descent-landscape --profile dev` (never the release
//! profile here). Environment: `POINTS` (default 6), `ROUNDS` (default 2).

use std::time::Instant;

use burn::module::Module;
use burn::tensor::Device;
use descent_data::ImageBatcher;
use descent_data::synthetic::SyntheticImagesConfig;
use descent_landscape::scan_file::example_meta;
use descent_landscape::{
    ClassifierEvaluator, DirectionConfig, Grid, ParamVector, PointEvaluator, PreparedSet, ScanFile,
    ScanOptions, SilentScan, Surface, run_scan,
};
use descent_models::{ModelConfig, VggConfig, VggDepth};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let points = env("POINTS", 6);
    let rounds = env("ROUNDS", 2);
    let device = Device::flex();
    device.seed(0);
    let model = ModelConfig::from(VggConfig::new(VggDepth::Vgg11).with_width(0.25))
        .init(&device)?
        .valid();
    let data = SyntheticImagesConfig::new(2048).with_seed(1).generate()?;
    let batcher = ImageBatcher::new(None, None, 0);
    let t = Instant::now();
    let set = PreparedSet::new("train", &data, &batcher, 512, &device)?;
    let prepare = t.elapsed().as_secs_f64();
    let mut evaluator = ClassifierEvaluator::new(vec![set]);
    let theta = ParamVector::from_module(&model);
    let (dirs, _) = DirectionConfig::default().directions(&theta, 2);
    let mut surface = Surface::new(model.clone(), dirs)?;

    // Warm-up: one evaluation (allocations, thread pool).
    PointEvaluator::evaluate(&mut evaluator, &model)?;

    println!("VGG-11 x0.25, 2048 synthetic 3x32x32 images, batch 512, flex (CPU)");
    println!("data prepared once in {prepare:.3} s; {points} points per round, {rounds} rounds");
    println!(
        "{:>5} {:>16} {:>16} {:>14} {:>8}",
        "round", "plain s/eval", "scan s/point", "set s/point", "ratio"
    );
    let mut plain_total = 0.0;
    let mut scan_total = 0.0;
    for round in 0..rounds {
        let t = Instant::now();
        for _ in 0..points {
            std::hint::black_box(PointEvaluator::evaluate(&mut evaluator, &model)?);
        }
        let plain = t.elapsed().as_secs_f64() / points as f64;

        let grid = Grid {
            x: format!("-1:1:{points}").parse()?,
            y: Some("0.5:0.5:1".parse()?),
        };
        let mut file = ScanFile::new(example_meta(grid, &["loss_train", "acc_train"]));
        let t = Instant::now();
        run_scan(
            &mut surface,
            &mut evaluator,
            &mut file,
            None,
            &ScanOptions::default(),
            &mut SilentScan,
        )?;
        let scan = t.elapsed().as_secs_f64() / points as f64;

        // Setting the parameters alone (forced to completion by reading one value back).
        let t = Instant::now();
        for k in 0..points {
            let m = surface.model_at(k as f64 * 0.1, 0.5)?;
            let v = ParamVector::from_module(m);
            std::hint::black_box(v.entries()[0].value.clone().sum().into_scalar::<f32>());
        }
        let set = t.elapsed().as_secs_f64() / points as f64;
        println!(
            "{round:>5} {plain:>16.4} {scan:>16.4} {set:>14.4} {:>8.3}",
            scan / plain
        );
        plain_total += plain;
        scan_total += scan;
    }
    println!(
        "mean: plain {:.4} s/eval, scan {:.4} s/point, ratio {:.3} (overhead {:+.1}%)",
        plain_total / rounds as f64,
        scan_total / rounds as f64,
        scan_total / plain_total,
        100.0 * (scan_total / plain_total - 1.0)
    );
    Ok(())
}
