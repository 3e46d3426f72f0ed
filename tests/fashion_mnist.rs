//! Training on the real Fashion-MNIST that Debian's `dataset-fashion-mnist` package ships
//! (`scripts/test` installs it).

use descent::data::{DatasetKind, Normalization};
use descent::models::{MlpConfig, ModelConfig};
use descent::optim::schedule::ScheduleConfig;
use descent::optim::{OptimizerConfig, OptimizerKind, OptimizerParams};
use descent::train::{
    DataConfig, DeviceChoice, NormalizationChoice, RunConfig, Silent, TrainOptions, train_run,
};

#[test]
fn mlp_reaches_85_percent_on_fashion_mnist_in_3_epochs() {
    let device = DeviceChoice::Cpu.open().expect("cpu");
    let config = RunConfig {
        model: ModelConfig::Mlp(MlpConfig::new(784, vec![256, 128], 10)),
        data: DataConfig {
            dataset: DatasetKind::FashionMnist,
            dir: None,
            train_samples: None,
            test_samples: None,
            normalization: NormalizationChoice::Fixed(Normalization::fashion_mnist()),
            augmentation: None,
            validation: None,
        },
        optimizer: OptimizerConfig::from_kind(OptimizerKind::Momentum, &OptimizerParams::default())
            .expect("valid"),
        schedule: ScheduleConfig::Constant,
        learning_rate: 0.05,
        training: TrainOptions {
            epochs: 3,
            batch_size: 128,
            eval_batch_size: 1000,
            seed: 1,
            shuffle: true,
            checkpoint_every_steps: None,
            rules: Default::default(),
            trajectory: None,
            averaging: Default::default(),
            sam: None,
        },
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let outcome = train_run(&config, dir.path(), &device, false, None, &mut Silent)
        .expect("Fashion-MNIST is installed (apt-get install dataset-fashion-mnist) and trains");
    let test = outcome.report.final_test.expect("a test set");
    assert_eq!(test.samples, 10_000);
    assert!(test.accuracy >= 0.85, "test accuracy {:.4}", test.accuracy);
    for record in &outcome.report.history {
        eprintln!(
            "epoch {} train {:.4} test {:.4} in {:.1}s",
            record.epoch,
            record.train.accuracy,
            record.test.map_or(f64::NAN, |m| m.accuracy),
            record.seconds
        );
    }
}
