//! How a run trains: epochs, batch size, seed, evaluation and checkpoint cadence.

use descent_optim::SamConfig;
use serde::{Deserialize, Serialize};

use crate::averaging::AveragingOptions;
use crate::error::TrainError;
use crate::rules::EpochRules;
use crate::trajectory::TrajectoryConfig;

/// The loop's settings. Batch size `N` decides the flavour of gradient descent: `N` equal to
/// (or larger than) the training set is full-batch gradient descent, `N = 1` is per-example
/// stochastic gradient descent, anything between is mini-batch SGD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Number of passes over the training set.
    pub epochs: usize,
    /// Samples per optimizer step.
    pub batch_size: usize,
    /// Samples per forward pass when evaluating (no effect on results, only on speed/memory).
    pub eval_batch_size: usize,
    /// The run seed: initial weights, data order, augmentation and dropout derive from it.
    pub seed: u64,
    /// Visit the training set in a new seeded random order each epoch (otherwise in order).
    pub shuffle: bool,
    /// Also write a checkpoint every this many steps (besides the one at each epoch's end).
    pub checkpoint_every_steps: Option<u64>,
    /// End-of-epoch rules: reduce the rate on a plateau, stop early, stop on convergence or at
    /// a rate floor. All off by default.
    #[serde(default)]
    pub rules: EpochRules,
    /// Keep the weights every `K` steps or epochs in the run folder's `trajectory/` (for the
    /// PCA plots of `descent landscape trajectory`). Off by default; needs a run folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trajectory: Option<TrajectoryConfig>,
    /// Weight averaging (SWA, EMA) and snapshots for an ensemble. Off by default.
    #[serde(default, skip_serializing_if = "is_off")]
    pub averaging: AveragingOptions,
    /// Sharpness-aware minimization around the run's optimizer (two gradients per step, see
    /// [`SamConfig`]). Off by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sam: Option<SamConfig>,
}

fn is_off(averaging: &AveragingOptions) -> bool {
    *averaging == AveragingOptions::default()
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            epochs: 10,
            batch_size: 128,
            eval_batch_size: 512,
            seed: 42,
            shuffle: true,
            checkpoint_every_steps: None,
            rules: EpochRules::default(),
            trajectory: None,
            averaging: AveragingOptions::default(),
            sam: None,
        }
    }
}

impl TrainOptions {
    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<(), TrainError> {
        let positive = |field: &'static str, value: usize| {
            if value == 0 {
                Err(TrainError::InvalidOption {
                    field,
                    value: value.to_string(),
                    reason: "must be at least 1".into(),
                })
            } else {
                Ok(())
            }
        };
        if let Some(trajectory) = &self.trajectory {
            trajectory.validate()?;
        }
        positive("epochs", self.epochs)?;
        positive("batch_size", self.batch_size)?;
        positive("eval_batch_size", self.eval_batch_size)?;
        if self.checkpoint_every_steps == Some(0) {
            return Err(TrainError::InvalidOption {
                field: "checkpoint_every_steps",
                value: "0".into(),
                reason: "must be at least 1 (or absent)".into(),
            });
        }
        self.averaging.validate(self.epochs)?;
        if let Some(sam) = &self.sam {
            sam.validate()?;
        }
        self.rules.validate()
    }

    /// Optimizer steps in one epoch over `train_len` samples (the last batch may be short).
    pub fn steps_per_epoch(&self, train_len: usize) -> usize {
        train_len.div_ceil(self.batch_size.max(1))
    }
}
