//! The settings the training studies share, so each study states only what it varies:
//! momentum SGD (0.9, weight decay 5e-4) in batches of 128, on Fashion-MNIST at the smoke
//! and small scales and on CIFAR-10 with 4-pixel crops and flips at the full scale.

use std::path::PathBuf;

use descent_data::DatasetKind;
use descent_models::ModelConfig;
use descent_optim::schedule::ScheduleConfig;
use descent_optim::{OptimizerConfig, OptimizerKind, OptimizerParams};
use descent_train::{DataConfig, NormalizationChoice, RunConfig, TrainOptions};

use crate::StudyError;

/// What a study chooses; [`run_config`] fills in the rest.
pub struct BaseRun {
    /// The network (sizes 0: filled from the data).
    pub model: ModelConfig,
    /// CIFAR-10 with augmentation (the full scale) instead of Fashion-MNIST.
    pub full: bool,
    /// The dataset's folder (its usual place when `None`).
    pub data_dir: Option<PathBuf>,
    /// Training images used (all when `None`).
    pub train_samples: Option<usize>,
    /// Test images used (all when `None`).
    pub test_samples: Option<usize>,
    /// The schedule.
    pub schedule: ScheduleConfig,
    /// The peak learning rate.
    pub lr: f64,
    /// The epochs.
    pub epochs: usize,
}

/// The run configuration of `base` with the shared settings.
///
/// # Errors
///
/// [`StudyError::Optim`] if the optimizer settings are refused (they are constants).
pub fn run_config(base: BaseRun) -> Result<RunConfig, StudyError> {
    let optimizer = momentum_sgd(5e-4)?;
    Ok(RunConfig {
        model: base.model,
        data: DataConfig {
            dataset: if base.full {
                DatasetKind::Cifar10
            } else {
                DatasetKind::FashionMnist
            },
            dir: base.data_dir,
            train_samples: base.train_samples,
            test_samples: base.test_samples,
            normalization: NormalizationChoice::FromTrainingSet,
            augmentation: base.full.then_some(descent_data::Augmentation {
                crop_padding: Some(4),
                horizontal_flip: true,
            }),
            validation: None,
        },
        optimizer,
        schedule: base.schedule,
        learning_rate: base.lr,
        training: TrainOptions {
            epochs: base.epochs,
            batch_size: 128,
            ..TrainOptions::default()
        },
    })
}

/// The studies' optimizer: SGD with momentum 0.9 and `weight_decay`.
///
/// # Errors
///
/// [`StudyError::Optim`] if the weight decay is refused (negative or not finite).
pub fn momentum_sgd(weight_decay: f64) -> Result<OptimizerConfig, StudyError> {
    Ok(OptimizerConfig::from_kind(
        OptimizerKind::Momentum,
        &OptimizerParams {
            momentum: Some(0.9),
            weight_decay: Some(weight_decay),
            ..OptimizerParams::default()
        },
    )?)
}

/// A VGG with batch norm at `width`, its input and classes left for the data to fill in (the
/// studies' VGGs).
pub fn vgg_bn(depth: descent_models::VggDepth, width: f64) -> ModelConfig {
    let mut vgg = descent_models::VggConfig::new(depth);
    vgg.width = width;
    vgg.batch_norm = true;
    vgg.num_classes = 0;
    vgg.in_channels = 0;
    vgg.image_size = 0;
    ModelConfig::Vgg(vgg)
}
