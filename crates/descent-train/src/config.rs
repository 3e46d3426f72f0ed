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

use descent_data::shuffled_indices;

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
    /// Samples held out of the training set (after `train_samples`) for validation: never
    /// trained on, evaluated after every epoch. `None`: no validation split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<ValidationSplit>,
}

/// How many training samples a run holds out for validation.
///
/// The held-out samples are the first `n` of a permutation of the training set seeded by the
/// run seed ([`SeedPurpose::Validation`]), so a run and its resumption hold out the same
/// ones; the rest, in their original order, is the training set. Normalization statistics
/// are computed from the rest only.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidationSplit {
    /// This fraction of the training samples, in `(0, 1)`, rounded to the nearest whole
    /// number (at least 1).
    Fraction(f64),
    /// This many training samples.
    Samples(usize),
}

impl ValidationSplit {
    /// Checks the value alone: a fraction strictly between 0 and 1, at least one sample.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidOption`] naming `val_split` or `val_samples`.
    pub fn validate(&self) -> Result<(), TrainError> {
        match *self {
            ValidationSplit::Fraction(f) if !(f > 0.0 && f < 1.0) => {
                Err(TrainError::InvalidOption {
                    field: "val_split",
                    value: f.to_string(),
                    reason: "must be a fraction strictly between 0 and 1".into(),
                })
            }
            ValidationSplit::Samples(0) => Err(TrainError::InvalidOption {
                field: "val_samples",
                value: "0".into(),
                reason: "must be at least 1".into(),
            }),
            _ => Ok(()),
        }
    }

    /// The number of samples held out of a training set of `len`.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidOption`] when the split would leave no training sample.
    pub fn held_out(&self, len: usize) -> Result<usize, TrainError> {
        self.validate()?;
        let (field, value, n) = match *self {
            ValidationSplit::Fraction(f) => (
                "val_split",
                f.to_string(),
                ((f * len as f64).round() as usize).max(1),
            ),
            ValidationSplit::Samples(n) => ("val_samples", n.to_string(), n),
        };
        if n >= len {
            return Err(TrainError::InvalidOption {
                field,
                value,
                reason: format!(
                    "holds out {n} of the {len} training samples, leaving none to train on"
                ),
            });
        }
        Ok(n)
    }

    /// The indices (into a training set of `len`) held out with seed `seed`, ascending.
    ///
    /// # Errors
    ///
    /// As [`ValidationSplit::held_out`].
    pub fn indices(&self, len: usize, seed: u64) -> Result<Vec<usize>, TrainError> {
        let n = self.held_out(len)?;
        let mut order = shuffled_indices(len, derive(seed, SeedPurpose::Validation, 0));
        order.truncate(n);
        order.sort_unstable();
        Ok(order)
    }
}

/// Which samples a run held out, as saved in its checkpoints: their number and a fingerprint
/// of their indices (FNV-1a), so a resumed run can check it holds out the same ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldOut {
    /// Samples held out.
    pub samples: usize,
    /// FNV-1a (64 bits) of the held-out indices, ascending, as little-endian `u64`s.
    pub fingerprint: u64,
}

impl HeldOut {
    /// The record of the held-out `indices`.
    pub fn of(indices: &[usize]) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for &index in indices {
            for byte in (index as u64).to_le_bytes() {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        HeldOut {
            samples: indices.len(),
            fingerprint: hash,
        }
    }
}

/// A validation split: the samples and which they were.
pub struct ValidationData {
    /// The held-out samples.
    pub data: ImageDataset,
    /// Their record, for the checkpoints.
    pub held_out: HeldOut,
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
    /// The validation split held out of the training set, if asked for.
    pub validation: Option<ValidationData>,
    /// Normalization (and augmentation for training batches).
    pub batcher: ImageBatcher,
    /// The normalization actually used.
    pub normalization: Option<Normalization>,
}

impl DataConfig {
    /// Checks the fields that need no files: subset sizes of at least one sample, a
    /// validation split that holds out something.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidOption`] naming `train_samples`, `test_samples`, `val_split` or
    /// `val_samples`.
    pub fn validate(&self) -> Result<(), TrainError> {
        if let Some(split) = &self.validation {
            split.validate()?;
        }
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
        let validation = match &self.validation {
            None => None,
            Some(split) => {
                let held = split.indices(train.len(), seed)?;
                let mut is_held = vec![false; train.len()];
                for &i in &held {
                    is_held[i] = true;
                }
                let kept: Vec<usize> = (0..train.len()).filter(|&i| !is_held[i]).collect();
                let data = train
                    .subset(&held)?
                    .with_name(format!("{} (validation)", train.name()));
                train = train.subset(&kept)?;
                Some(ValidationData {
                    data,
                    held_out: HeldOut::of(&held),
                })
            }
        };
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
            validation,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn spirals(validation: Option<ValidationSplit>) -> DataConfig {
        DataConfig {
            dataset: DatasetKind::Spirals,
            dir: None,
            train_samples: Some(300),
            test_samples: Some(10),
            normalization: NormalizationChoice::None,
            augmentation: None,
            validation,
        }
    }

    /// Every sample of `set` as its bit pattern, with its label.
    fn samples(set: &ImageDataset) -> Vec<(Vec<u32>, usize)> {
        (0..set.len())
            .map(|i| {
                let item = set.item(i).expect("in range");
                (item.image.iter().map(|v| v.to_bits()).collect(), item.label)
            })
            .collect()
    }

    #[test]
    fn the_split_is_disjoint_from_training_covers_the_set_and_follows_the_seed() {
        let whole = samples(&spirals(None).load(3).expect("loads").train);
        let split = |fraction, seed| {
            let data = spirals(Some(ValidationSplit::Fraction(fraction)))
                .load(seed)
                .expect("loads");
            let validation = data.validation.expect("a split");
            (
                samples(&data.train),
                samples(&validation.data),
                validation.held_out,
            )
        };
        let (train, held, record) = split(0.2, 3);
        assert_eq!(held.len(), 60);
        assert_eq!(train.len(), 240);
        assert_eq!(record.samples, 60);
        for sample in &held {
            assert!(!train.contains(sample), "a held-out sample is trained on");
        }
        let mut union: Vec<_> = train.iter().chain(&held).cloned().collect();
        let mut expected = whole.clone();
        union.sort();
        expected.sort();
        assert_eq!(union, expected, "train and validation make the whole set");
        // The training samples keep their order.
        let order: Vec<_> = whole
            .iter()
            .filter(|s| !held.contains(s))
            .cloned()
            .collect();
        assert_eq!(order, train);

        let (_, again, again_record) = split(0.2, 3);
        assert_eq!(again, held, "the same seed holds out the same samples");
        assert_eq!(again_record, record);
        let (_, other, other_record) = split(0.2, 4);
        assert_ne!(other, held, "another seed holds out others");
        assert_ne!(other_record.fingerprint, record.fingerprint);
    }

    #[test]
    fn sizes_round_and_bad_splits_name_their_flag() {
        assert_eq!(ValidationSplit::Fraction(0.1).held_out(55).expect("ok"), 6);
        assert_eq!(
            ValidationSplit::Fraction(0.001).held_out(55).expect("ok"),
            1
        );
        assert_eq!(ValidationSplit::Samples(54).held_out(55).expect("ok"), 54);
        for (split, len, field) in [
            (ValidationSplit::Fraction(0.0), 100, "val_split"),
            (ValidationSplit::Fraction(1.0), 100, "val_split"),
            (ValidationSplit::Fraction(-0.2), 100, "val_split"),
            (ValidationSplit::Fraction(f64::NAN), 100, "val_split"),
            (ValidationSplit::Fraction(0.999), 100, "val_split"),
            (ValidationSplit::Samples(0), 100, "val_samples"),
            (ValidationSplit::Samples(100), 100, "val_samples"),
            (ValidationSplit::Samples(1000), 100, "val_samples"),
        ] {
            match split.held_out(len) {
                Err(TrainError::InvalidOption { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{split:?} of {len}: {other:?}"),
            }
        }
        let text = serde_json::to_string(&ValidationSplit::Fraction(0.1)).expect("json");
        assert_eq!(text, r#"{"fraction":0.1}"#);
    }
}
