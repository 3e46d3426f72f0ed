//! Checkpoints: everything needed to continue a run exactly where it stopped.
//!
//! A checkpoint is a folder written atomically (see [`descent_files::write_dir`]):
//!
//! | file            | holds                                                         |
//! |-----------------|---------------------------------------------------------------|
//! | `model.bpk`     | the module's parameters and buffers (burnpack)                |
//! | `optimizer.bpk` | the optimizer's per-parameter state, keyed by parameter id    |
//! | `scheduler.bpk` | the learning-rate schedule's counters                         |
//! | `state.json`    | epoch, step, partial epoch sums and the metrics history       |
//! | `model.json`    | (optional) the model's configuration, so the folder stands alone |
//! | `swa.bpk`, `ema.bpk` | (when averaging) the running weight averages ([`crate::averaging`]) |
//!
//! Data order, augmentation and dropout are drawn from seeds derived from the run seed and
//! the epoch/step (see [`crate::seed`]), so no random-generator state needs saving.

use std::collections::BTreeMap;
use std::path::Path;

use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};

use crate::averaging::AveragingState;
use crate::config::HeldOut;
use crate::error::TrainError;
use crate::evaluate::MetricsSum;
use crate::history::EpochRecord;
use crate::layout;
use crate::records::{bad, checksum, read};
use crate::rules::RulesState;
use descent_files as atomic;

/// Version of the `state.json` layout; bumped when it changes incompatibly.
pub const STATE_FORMAT: u32 = 1;

/// Where a run stands: how much of it is done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Number of completed epochs.
    pub epoch: usize,
    /// Number of completed steps in the current (not yet completed) epoch.
    pub step_in_epoch: usize,
    /// Number of completed optimizer steps since the start of the run.
    pub global_step: u64,
}

/// The non-tensor part of a checkpoint (`state.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainerState {
    /// Layout version, [`STATE_FORMAT`].
    pub format: u32,
    /// Where the run stands.
    pub progress: Progress,
    /// Running sums of the current, unfinished epoch (for its training metrics).
    pub epoch_loss_sum: f64,
    /// Correct predictions so far in the current epoch.
    pub epoch_correct: u64,
    /// Samples seen so far in the current epoch.
    pub epoch_samples: usize,
    /// One record per completed epoch.
    pub history: Vec<EpochRecord>,
    /// The end-of-epoch rules' state (early stopping, convergence) and whether one stopped the
    /// run.
    #[serde(default)]
    pub rules: RulesState,
    /// How far the running weight averages (SWA, EMA) have got; their weights are the
    /// checkpoint's `swa.bpk` and `ema.bpk`.
    #[serde(default, skip_serializing_if = "AveragingState::is_empty")]
    pub averaging: AveragingState,
    /// CRC-32 of each record file of the checkpoint (`model.bpk`: `"crc32:1a2b3c4d"`), written
    /// with them and checked before they are loaded, so a flipped byte is refused instead of
    /// loading into weights that then diverge. Checkpoints written before this field have
    /// none, and load unchecked.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checksums: BTreeMap<String, String>,
    /// The samples the run holds out for validation, checked on resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<HeldOut>,
}

impl TrainerState {
    /// The running sums of the current epoch.
    pub fn epoch_sum(&self) -> MetricsSum {
        MetricsSum {
            loss_sum: self.epoch_loss_sum,
            correct: self.epoch_correct,
            samples: self.epoch_samples,
        }
    }
}

/// The tensor-holding parts of a checkpoint, as burnpack bytes.
pub struct CheckpointParts {
    /// `model.bpk`.
    pub model: Bytes,
    /// `optimizer.bpk`.
    pub optimizer: Bytes,
    /// `scheduler.bpk`.
    pub scheduler: Bytes,
    /// `state.json`.
    pub state: TrainerState,
    /// `model.json`, if the caller knows the model's configuration.
    pub model_config: Option<serde_json::Value>,
    /// Further model files by name (the running averages `swa.bpk`, `ema.bpk`).
    pub extra_models: Vec<(&'static str, Bytes)>,
}

/// Writes a checkpoint folder atomically: the old folder at `dir` survives until the new one
/// is complete on disk.
pub fn save(dir: &Path, parts: &CheckpointParts) -> Result<(), TrainError> {
    let mut state = parts.state.clone();
    state.checksums = [
        (layout::MODEL, &parts.model),
        (layout::OPTIMIZER, &parts.optimizer),
        (layout::SCHEDULER, &parts.scheduler),
    ]
    .into_iter()
    .chain(
        parts
            .extra_models
            .iter()
            .map(|(name, bytes)| (*name, bytes)),
    )
    .map(|(name, bytes)| (name.to_string(), checksum(bytes)))
    .collect();
    atomic::write_dir(dir, |tmp| {
        atomic::write_file(&tmp.join(layout::MODEL), &parts.model)?;
        atomic::write_file(&tmp.join(layout::OPTIMIZER), &parts.optimizer)?;
        atomic::write_file(&tmp.join(layout::SCHEDULER), &parts.scheduler)?;
        for (name, bytes) in &parts.extra_models {
            atomic::write_file(&tmp.join(name), bytes)?;
        }
        if let Some(config) = &parts.model_config {
            let text = serde_json::to_vec_pretty(config).map_err(|e| bad(tmp, e))?;
            atomic::write_file(&tmp.join(layout::MODEL_CARD), &text)?;
        }
        let state = serde_json::to_vec_pretty(&state).map_err(|e| bad(tmp, e))?;
        atomic::write_file(&tmp.join(layout::STATE), &state)?;
        Ok(())
    })
}

/// Reads `state.json` of a checkpoint folder.
pub fn read_state(dir: &Path) -> Result<TrainerState, TrainError> {
    let bytes = read(dir, layout::STATE)?;
    parse_state(&bytes, &dir.join(layout::STATE))
}

/// Parses the bytes of a `state.json`; `path` only names the file in errors.
///
/// # Errors
///
/// [`TrainError::BadCheckpoint`] if the bytes are not a trainer state of [`STATE_FORMAT`].
pub fn parse_state(bytes: &[u8], path: &Path) -> Result<TrainerState, TrainError> {
    let state: TrainerState =
        serde_json::from_slice(bytes).map_err(|e| TrainError::BadCheckpoint {
            path: path.to_path_buf(),
            reason: format!("not a trainer state: {e}"),
        })?;
    if state.format != STATE_FORMAT {
        return Err(TrainError::BadCheckpoint {
            path: path.to_path_buf(),
            reason: format!(
                "state format {} is not the supported format {STATE_FORMAT}",
                state.format
            ),
        });
    }
    Ok(state)
}
