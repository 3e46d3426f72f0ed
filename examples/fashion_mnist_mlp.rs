//! An MLP (784-256-128-10) on the real Fashion-MNIST, with momentum SGD and a cosine schedule.
//!
//! ```sh
//! sudo apt-get install dataset-fashion-mnist        # /usr/share/datasets/fashion-mnist
//! cargo run --example fashion_mnist_mlp [DATA_DIR] [--device wgpu]
//! ```

use std::path::PathBuf;

use descent::data::{DatasetKind, Normalization};
use descent::models::{MlpConfig, ModelConfig};
use descent::optim::schedule::ScheduleConfig;
use descent::optim::{OptimizerConfig, OptimizerKind, OptimizerParams};
use descent::train::{
    ConsoleObserver, DataConfig, DeviceChoice, NormalizationChoice, RunConfig, TrainOptions,
    train_run,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (dir, device) = parse_args()?;
    let config = RunConfig {
        model: ModelConfig::Mlp(MlpConfig::new(784, vec![256, 128], 10)),
        data: DataConfig {
            dataset: DatasetKind::FashionMnist,
            dir,
            train_samples: None,
            test_samples: None,
            normalization: NormalizationChoice::Fixed(Normalization::fashion_mnist()),
            augmentation: None,
            validation: None,
        },
        optimizer: OptimizerConfig::from_kind(
            OptimizerKind::Momentum,
            &OptimizerParams::default(),
        )?,
        schedule: ScheduleConfig::Cosine {
            t_max: None,
            eta_min: 0.0,
            unit: Default::default(),
        },
        learning_rate: 0.05,
        training: TrainOptions {
            epochs: 5,
            batch_size: 128,
            ..TrainOptions::default()
        },
    };
    let out = PathBuf::from("runs/example-fashion-mnist-mlp");
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

fn parse_args() -> Result<(Option<PathBuf>, DeviceChoice), Box<dyn std::error::Error>> {
    let mut dir = None;
    let mut device = DeviceChoice::Cpu;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--device" {
            device = args.next().ok_or("--device needs a value")?.parse()?;
        } else {
            dir = Some(PathBuf::from(arg));
        }
    }
    Ok((dir, device))
}
