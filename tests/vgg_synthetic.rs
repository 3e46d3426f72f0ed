//! A narrow VGG learns the built-in synthetic 10-class image set.

use descent::data::DatasetKind;
use descent::models::{ModelConfig, VggConfig, VggDepth};
use descent::optim::schedule::ScheduleConfig;
use descent::optim::{OptimizerConfig, OptimizerKind, OptimizerParams};
use descent::train::{
    DataConfig, DeviceChoice, NormalizationChoice, RunConfig, Silent, TrainOptions, train_run,
};

#[test]
fn narrow_vgg11_learns_the_synthetic_set_to_90_percent() {
    let device = DeviceChoice::Cpu.open().expect("cpu");
    let mut vgg = VggConfig::new(VggDepth::Vgg11);
    vgg.width = 0.25;
    let config = RunConfig {
        model: ModelConfig::Vgg(vgg),
        data: DataConfig {
            dataset: DatasetKind::SyntheticImages,
            dir: None,
            train_samples: Some(2000),
            test_samples: Some(500),
            normalization: NormalizationChoice::FromTrainingSet,
            augmentation: None,
            validation: None,
        },
        optimizer: OptimizerConfig::from_kind(OptimizerKind::Momentum, &OptimizerParams::default())
            .expect("valid"),
        schedule: ScheduleConfig::Constant,
        learning_rate: 0.02,
        training: TrainOptions {
            epochs: 2,
            batch_size: 64,
            eval_batch_size: 250,
            seed: 3,
            shuffle: true,
            checkpoint_every_steps: None,
            rules: Default::default(),
            trajectory: None,
            averaging: Default::default(),
            sam: None,
        },
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let outcome =
        train_run(&config, dir.path(), &device, false, None, &mut Silent).expect("trains");
    let test = outcome.report.final_test.expect("test set");
    assert!(test.accuracy >= 0.90, "test accuracy {:.4}", test.accuracy);
}
