//! [`RunConfig`]: everything that defines a training run, saved as `config.json` in the run
//! folder, and the data part of it ([`DataConfig`]). A leaf of the crate's run: the observer,
//! `train_run` and the CLI read it, it reads none of them.

use std::path::{Path, PathBuf};

use descent_data::{
    Augmentation, DatasetKind, ImageBatcher, ImageDataset, LoadOptions, Normalization, Split,
};
use descent_models::ModelConfig;
use descent_optim::{OptimizerConfig, ScheduleConfig};
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::options::TrainOptions;
use crate::seed::{SeedPurpose, derive};

/// Which data a run trains and tests on, and how it is prepared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataConfig {
    /// The dataset.
    pub dataset: DatasetKind,
    /// Its folder; `None` is the dataset's usual place (synthetic sets need none).
    pub dir: Option<PathBuf>,
    /// Train on a seeded random subset of this size (synthetic sets: generate this many).
    pub train_samples: Option<usize>,
    /// Test on the first this many test samples.
    pub test_samples: Option<usize>,
    /// How inputs are normalized.
    pub normalization: NormalizationChoice,
    /// Random crops and flips of training images.
    pub augmentation: Option<Augmentation>,
}

/// How a run normalizes its inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NormalizationChoice {
    /// Raw inputs (pixels in `[0, 1]`).
    None,
    /// Per-channel mean and std of the training set, computed at the start of the run and
    /// then stored in `config.json` as [`NormalizationChoice::Fixed`].
    FromTrainingSet,
    /// Given per-channel mean and std.
    Fixed(Normalization),
}

/// The training and test sets of a run and the batcher that prepares them.
pub struct RunData {
    /// The training set.
    pub train: ImageDataset,
    /// The test set.
    pub test: ImageDataset,
    /// Normalization (and augmentation for training batches).
    pub batcher: ImageBatcher,
    /// The normalization actually used.
    pub normalization: Option<Normalization>,
}

impl DataConfig {
    /// Checks the fields that need no files: subset sizes of at least one sample.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidOption`] naming `train_samples` or `test_samples`.
    pub fn validate(&self) -> Result<(), TrainError> {
        for (field, value) in [
            ("train_samples", self.train_samples),
            ("test_samples", self.test_samples),
        ] {
            if value == Some(0) {
                return Err(TrainError::InvalidOption {
                    field,
                    value: "0".into(),
                    reason: "must be at least 1 (or absent, for the whole split)".into(),
                });
            }
        }
        Ok(())
    }

    /// Loads both splits, takes the subsets and resolves the normalization.
    pub fn load(&self, seed: u64) -> Result<RunData, TrainError> {
        let options = LoadOptions {
            synthetic_samples: self.train_samples,
            seed,
        };
        let mut train =
            descent_data::load(self.dataset, self.dir.as_deref(), Split::Train, &options)?;
        let test_options = LoadOptions {
            synthetic_samples: self.test_samples,
            seed,
        };
        let mut test = descent_data::load(
            self.dataset,
            self.dir.as_deref(),
            Split::Test,
            &test_options,
        )?;
        if let Some(n) = self.train_samples
            && n < train.len()
        {
            train = train.random_subset(n, seed);
        }
        if let Some(n) = self.test_samples {
            test = test.take(n);
        }
        let normalization = match &self.normalization {
            NormalizationChoice::None => None,
            NormalizationChoice::FromTrainingSet => Some(train.channel_stats()),
            NormalizationChoice::Fixed(n) => Some(n.clone()),
        };
        let batcher = ImageBatcher::new(
            normalization.clone(),
            self.augmentation,
            derive(seed, SeedPurpose::Augment, u64::MAX),
        );
        Ok(RunData {
            train,
            test,
            batcher,
            normalization,
        })
    }
}

/// Everything that defines a training run; saved as `config.json` in the run folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The architecture.
    pub model: ModelConfig,
    /// The data.
    pub data: DataConfig,
    /// The optimizer.
    pub optimizer: OptimizerConfig,
    /// The learning-rate schedule.
    pub schedule: ScheduleConfig,
    /// The base (peak) learning rate the schedule scales.
    pub learning_rate: f64,
    /// Epochs, batch size, seed, checkpoints.
    pub training: TrainOptions,
}

impl RunConfig {
    /// Parses the bytes of a run's `config.json`; `path` only names the file in errors.
    ///
    /// # Errors
    ///
    /// [`TrainError::BadCheckpoint`] if the bytes are not a run configuration.
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<RunConfig, TrainError> {
        serde_json::from_slice(bytes).map_err(|e| TrainError::BadCheckpoint {
            path: path.to_path_buf(),
            reason: format!("not a run configuration: {e}"),
        })
    }
}
