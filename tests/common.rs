//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

use descent::data::{DatasetKind, synthetic::SyntheticImagesConfig};
use descent::models::{MlpConfig, ModelConfig};
use descent::optim::schedule::ScheduleConfig;
use descent::optim::{OptimizerConfig, OptimizerKind, OptimizerParams};
use descent::train::{DataConfig, NormalizationChoice, RunConfig, TrainOptions};

/// A small, fast run: an MLP with dropout on 16x16 synthetic images, augmented, with momentum
/// SGD on a cosine schedule, so that resume has to get data order, augmentation, dropout,
/// optimizer state and schedule state all right.
pub fn small_run(epochs: usize) -> RunConfig {
    let mut mlp = MlpConfig::new(0, vec![32], 0);
    mlp.dropout = Some(0.2);
    RunConfig {
        model: ModelConfig::Mlp(mlp),
        data: DataConfig {
            dataset: DatasetKind::Spirals,
            dir: None,
            train_samples: Some(300),
            test_samples: Some(100),
            normalization: NormalizationChoice::FromTrainingSet,
            augmentation: None,
        },
        optimizer: OptimizerConfig::from_kind(OptimizerKind::Momentum, &OptimizerParams::default())
            .expect("valid optimizer"),
        schedule: ScheduleConfig::Cosine {
            t_max: None,
            eta_min: 0.0,
            unit: Default::default(),
        },
        learning_rate: 0.1,
        training: TrainOptions {
            epochs,
            batch_size: 32,
            eval_batch_size: 64,
            seed: 5,
            shuffle: true,
            checkpoint_every_steps: None,
            rules: Default::default(),
            trajectory: None,
        },
    }
}

/// A synthetic image set of `n` samples with the given seed.
pub fn synthetic(n: usize, seed: u64) -> descent::data::ImageDataset {
    SyntheticImagesConfig::new(n)
        .with_seed(seed)
        .generate()
        .expect("generates")
}

/// Burn's CPU backends seed one process-wide random generator (`Device::seed`), which the
/// runs draw their initial weights and dropout masks from. Tests that compare runs bit for bit
/// hold this lock so that runs in parallel test threads do not draw from it in between.
pub fn one_run_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
