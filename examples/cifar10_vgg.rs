//! A VGG on CIFAR-10 from a local folder, with the usual augmentation (4-pixel crops and
//! flips), momentum SGD with weight decay, and a cosine schedule.
//!
//! Download the binary version of CIFAR-10 (`cifar-10-binary.tar.gz`) from
//! <https://www.cs.toronto.edu/~kriz/cifar.html> and unpack it, then:
//!
//! ```sh
//! cargo run --example cifar10_vgg -- ~/data/cifar-10-batches-bin [--width 0.25] [--device wgpu]
//! ```

use std::path::PathBuf;

use descent::data::{Augmentation, DatasetKind, Normalization};
use descent::models::{ModelConfig, VggConfig, VggDepth};
use descent::optim::schedule::ScheduleConfig;
use descent::optim::{OptimizerConfig, OptimizerKind, OptimizerParams};
use descent::train::{
    ConsoleObserver, DataConfig, DeviceChoice, NormalizationChoice, RunConfig, TrainOptions,
    train_run,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut dir = None;
    let mut width = 0.25;
    let mut device = DeviceChoice::Cpu;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--width" => width = args.next().ok_or("--width needs a value")?.parse()?,
            "--device" => device = args.next().ok_or("--device needs a value")?.parse()?,
            _ => dir = Some(PathBuf::from(arg)),
        }
    }
    let dir = dir.ok_or("usage: cifar10_vgg CIFAR10_DIR [--width W] [--device D]")?;
    let mut vgg = VggConfig::new(VggDepth::Vgg11);
    vgg.width = width;
    let params = OptimizerParams {
        weight_decay: Some(5e-4),
        ..OptimizerParams::default()
    };
    let config = RunConfig {
        model: ModelConfig::Vgg(vgg),
        data: DataConfig {
            dataset: DatasetKind::Cifar10,
            dir: Some(dir),
            train_samples: None,
            test_samples: None,
            normalization: NormalizationChoice::Fixed(Normalization::cifar10()),
            augmentation: Some(Augmentation {
                crop_padding: Some(4),
                horizontal_flip: true,
            }),
            validation: None,
        },
        optimizer: OptimizerConfig::from_kind(OptimizerKind::Momentum, &params)?,
        schedule: ScheduleConfig::Cosine {
            t_max: None,
            eta_min: 0.0,
            unit: Default::default(),
        },
        learning_rate: 0.05,
        training: TrainOptions {
            epochs: 30,
            batch_size: 128,
            ..TrainOptions::default()
        },
    };
    let out = PathBuf::from(format!("runs/example-cifar10-vgg11-x{width}"));
    let resume = out.join("config.json").exists();
    let outcome = train_run(
        &config,
        &out,
        &device.open()?,
        resume,
        None,
        &mut ConsoleObserver::new(),
    )?;
    if let Some(test) = outcome.report.final_test {
        println!(
            "test accuracy {:.2}% ({})",
            100.0 * test.accuracy,
            out.display()
        );
    }
    Ok(())
}
