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

use std::fs;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::optim::OptimizerRecord;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use descent_files as atomic;
use serde::{Deserialize, Serialize};

use crate::averaging::AveragingState;
use crate::error::TrainError;
use crate::evaluate::MetricsSum;
use crate::history::EpochRecord;
use crate::rules::RulesState;

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

/// File names inside a checkpoint folder.
pub mod files {
    /// The module's record.
    pub const MODEL: &str = "model.bpk";
    /// The optimizer's record.
    pub const OPTIMIZER: &str = "optimizer.bpk";
    /// The schedule's record.
    pub const SCHEDULER: &str = "scheduler.bpk";
    /// The trainer's state.
    pub const STATE: &str = "state.json";
    /// The model's configuration.
    pub const MODEL_CONFIG: &str = "model.json";
}

/// Writes a checkpoint folder atomically: the old folder at `dir` survives until the new one
/// is complete on disk.
pub fn save(dir: &Path, parts: &CheckpointParts) -> Result<(), TrainError> {
    atomic::write_dir(dir, |tmp| {
        atomic::write_file(&tmp.join(files::MODEL), &parts.model)?;
        atomic::write_file(&tmp.join(files::OPTIMIZER), &parts.optimizer)?;
        atomic::write_file(&tmp.join(files::SCHEDULER), &parts.scheduler)?;
        for (name, bytes) in &parts.extra_models {
            atomic::write_file(&tmp.join(name), bytes)?;
        }
        if let Some(config) = &parts.model_config {
            let text = serde_json::to_vec_pretty(config).map_err(|e| bad(tmp, e))?;
            atomic::write_file(&tmp.join(files::MODEL_CONFIG), &text)?;
        }
        let state = serde_json::to_vec_pretty(&parts.state).map_err(|e| bad(tmp, e))?;
        atomic::write_file(&tmp.join(files::STATE), &state)?;
        Ok(())
    })
}

/// Reads a whole file of a checkpoint, naming the file on failure.
pub fn read(dir: &Path, name: &str) -> Result<Vec<u8>, TrainError> {
    let path = dir.join(name);
    if !path.exists() {
        return Err(TrainError::BadCheckpoint {
            path: dir.to_path_buf(),
            reason: format!("{name} is missing"),
        });
    }
    fs::read(&path).map_err(|e| TrainError::io("reading", path, e))
}

/// Reads `state.json` of a checkpoint folder.
pub fn read_state(dir: &Path) -> Result<TrainerState, TrainError> {
    let bytes = read(dir, files::STATE)?;
    parse_state(&bytes, &dir.join(files::STATE))
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

/// The highest parameter rank Burn's `ModuleOptimizer::load_record` restores; a record
/// claiming more makes it panic.
pub const MAX_OPTIMIZER_RANK: usize = 8;

/// Parses the bytes of an `optimizer.bpk`; `path` only names the file in errors.
///
/// Besides what `OptimizerRecord::from_bytes` checks, this refuses the records that would make
/// `ModuleOptimizer::load_record` panic instead of returning an error: a state tensor that
/// names no parameter (found by the `checkpoint` fuzz target: one byte of a real file
/// changed) and a parameter rank (`<id>.__rank`, or a tensor's dimensions) above
/// [`MAX_OPTIMIZER_RANK`].
///
/// # Errors
///
/// [`TrainError::BadCheckpoint`] saying what is wrong.
pub fn parse_optimizer(bytes: Vec<u8>, path: &Path) -> Result<OptimizerRecord, TrainError> {
    let bad = |reason: String| TrainError::BadCheckpoint {
        path: path.to_path_buf(),
        reason,
    };
    let not_state = |e: &dyn std::fmt::Display| bad(format!("not an optimizer state: {e}"));
    let reader = burn_pack::Reader::from_bytes(Bytes::from_bytes_vec(bytes.clone()))
        .map_err(|e| not_state(&e))?;
    for (key, value) in reader.scalars() {
        if key.ends_with(".__rank")
            && !usize::try_from(*value).is_ok_and(|rank| rank <= MAX_OPTIMIZER_RANK)
        {
            return Err(bad(format!(
                "parameter rank {value:?} of `{key}` is not a whole number up to {MAX_OPTIMIZER_RANK}"
            )));
        }
    }
    for tensor in reader.into_tensors().map_err(|e| not_state(&e))? {
        let (name, _, shape, param_id, _) = tensor.into_parts().map_err(|e| not_state(&e))?;
        if param_id.is_none() {
            return Err(bad(format!("state tensor `{name}` names no parameter")));
        }
        if shape.num_dims() > MAX_OPTIMIZER_RANK {
            return Err(bad(format!(
                "state tensor `{name}` has {} dimensions, more than {MAX_OPTIMIZER_RANK}",
                shape.num_dims()
            )));
        }
    }
    OptimizerRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| not_state(&e))
}

/// Loads a module's parameters from a burnpack file, refusing a record of another
/// architecture with a clear error.
pub fn load_module<M: Module>(module: M, path: &Path) -> Result<M, TrainError> {
    let bytes = fs::read(path).map_err(|e| TrainError::io("reading", path, e))?;
    load_module_bytes(module, bytes, path)
}

/// [`load_module`] from the burnpack file's bytes; `path` only names the file in errors.
///
/// # Errors
///
/// [`TrainError::BadCheckpoint`] if the bytes are not a burnpack record or do not fit
/// `module`.
pub fn load_module_bytes<M: Module>(
    module: M,
    bytes: Vec<u8>,
    path: &Path,
) -> Result<M, TrainError> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| {
        TrainError::BadCheckpoint {
            path: path.to_path_buf(),
            reason: format!("not a model file: {e}"),
        }
    })?;
    module
        .try_load_record(record)
        .map_err(|e| TrainError::BadCheckpoint {
            path: path.to_path_buf(),
            reason: format!(
                "does not fit this model (another architecture?): {}",
                first_mismatches(&e.to_string())
            ),
        })
}

/// Burn lists every tensor that does not fit (`Apply errors: ["a: ...", "b: ..."]`), dozens
/// for a VGG: keep the first two and count the rest, with Burn's `Shape { dims: [..] }`
/// shortened to `[..]`.
fn first_mismatches(text: &str) -> String {
    let text = text.replace("Shape { dims: ", "").replace("] }", "]");
    let (Some(open), Some(close)) = (text.find("[\""), text.rfind("\"]")) else {
        return text;
    };
    let items: Vec<&str> = text[open + 2..close].split("\", \"").collect();
    let shown = items[..items.len().min(2)].join("; ");
    match items.len() {
        0..=2 => shown,
        n => format!("{shown}; and {} more tensors", n - 2),
    }
}

/// The first tensor of `module` (parameters and batch-norm statistics, in module order) that
/// holds a NaN or an infinity: its description (`tensor 3 of 8, [64, 32]`) and one such
/// value. `None` when every value is finite.
pub fn first_non_finite<M: Module>(module: &M) -> Option<(String, f32)> {
    use burn::module::{ModuleVisitor, Param};
    use burn::tensor::Tensor;
    struct Find {
        index: usize,
        found: Option<(usize, Vec<usize>, f32)>,
    }
    impl ModuleVisitor for Find {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.index += 1;
            if self.found.is_some() {
                return;
            }
            let tensor = param.val();
            let all_finite = tensor.clone().is_finite().all().into_scalar::<bool>();
            if !all_finite {
                let value = tensor
                    .clone()
                    .into_data()
                    .iter::<f32>()
                    .find(|v| !v.is_finite())
                    .unwrap_or(f32::NAN);
                self.found = Some((self.index, tensor.dims().to_vec(), value));
            }
        }
    }
    let _ = module.valid();
    let mut find = Find {
        index: 0,
        found: None,
    };
    module.visit(&mut find);
    let total = find.index;
    find.found
        .map(|(index, dims, value)| (format!("tensor {index} of {total}, shape {dims:?}"), value))
}

/// Serializes a module's parameters to burnpack bytes.
pub fn module_bytes<M: Module>(module: &M) -> Result<Bytes, TrainError> {
    // A Burn `RunningState` (batch-norm statistics) keeps its latest update pending until it
    // is synced, and the record reads the synced value: without this, a checkpoint taken
    // between epochs' evaluations would hold statistics one step old, and a run resumed from
    // it would drift from the uninterrupted one. `valid()` syncs the shared state in place.
    let _ = module.valid();
    module
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| TrainError::BadCheckpoint {
            path: PathBuf::from("<memory>"),
            reason: format!("cannot serialize the model: {e}"),
        })
}

fn bad(path: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::BadCheckpoint {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_of_mismatches_is_cut_to_the_first_two() {
        let burn = "Record validation error: Apply errors: [\"Mlp.hidden.0.weight: shape \
                    mismatch, expected Shape { dims: [2, 8] } but record has Shape { dims: [2, \
                    16] }\", \"Mlp.hidden.0.bias: shape mismatch, expected Shape { dims: [8] } \
                    but record has Shape { dims: [16] }\", \"Mlp.output.weight: x\"]";
        assert_eq!(
            first_mismatches(burn),
            "Mlp.hidden.0.weight: shape mismatch, expected [2, 8] but record has [2, 16]; \
             Mlp.hidden.0.bias: shape mismatch, expected [8] but record has [16]; and 1 more \
             tensors"
        );
        assert_eq!(first_mismatches("no list here"), "no list here");
    }

    /// An `optimizer.bpk` as Burn writes one for a momentum optimizer: one state tensor
    /// `"7.momentum"` of parameter 7 (a `[2, 3]` weight), and the parameter's rank.
    fn optimizer_bytes(rank: usize) -> Vec<u8> {
        let data: Vec<u8> = [0.5f32; 6].iter().flat_map(|x| x.to_le_bytes()).collect();
        let tensor = burn_pack::Tensor::new(
            "7.momentum".into(),
            burn_pack::DType::F32,
            [2, 3],
            Some(7),
            Bytes::from_bytes_vec(data),
        );
        let bytes = burn_pack::Writer::new(vec![tensor])
            .with_scalar("7.__rank", burn_pack::Scalar::from(rank))
            .into_bytes()
            .expect("writes");
        bytes.to_vec()
    }

    #[test]
    fn optimizer_records_that_would_panic_burn_are_errors() {
        let path = Path::new("run/checkpoint/optimizer.bpk");
        let record = parse_optimizer(optimizer_bytes(2), path).expect("a valid record");
        assert_eq!(record.len(), 1);

        // The checkpoint fuzz target's finding: one byte of the key `param_id` changed
        // (`qaram_id`), so the tensor names no parameter and `load_record` panicked.
        let mut bytes = optimizer_bytes(2);
        let at = bytes
            .windows(8)
            .position(|w| w == b"param_id")
            .expect("the key is in the file");
        bytes[at] = b'q';
        let err = parse_optimizer(bytes, path).expect_err("no parameter id");
        let text = err.to_string();
        assert!(text.contains("`7.momentum` names no parameter"), "{text}");
        assert!(text.contains("optimizer.bpk"), "{text}");

        let err = parse_optimizer(optimizer_bytes(9), path).expect_err("rank 9");
        assert!(err.to_string().contains("`7.__rank`"), "{err}");
        let err = parse_optimizer(b"not a burnpack file".to_vec(), path).expect_err("garbage");
        assert!(err.to_string().contains("not an optimizer state"), "{err}");
    }
}
