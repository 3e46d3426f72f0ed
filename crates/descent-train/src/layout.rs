//! The run folder's layout: the name of every file and folder a run writes, in one place.
//!
//! ```text
//! RUN/
//!   config.json              the whole RunConfig, written once at the start
//!   metrics.jsonl, .csv      one line per epoch, rewritten after each
//!   checkpoint/              replaced atomically after each epoch (and every k steps):
//!     model.bpk                the weights and batch-norm statistics
//!     optimizer.bpk            the optimizer's state
//!     scheduler.bpk            the schedule's counters
//!     swa.bpk, ema.bpk         the running weight averages, when averaging
//!     swag.bin                 the SWAG posterior collected so far, with --swag
//!     state.json               progress, the epoch's sums, history, rules, checksums
//!     model.json               the model card, so the folder stands alone
//!   best/                    the best epoch's model.bpk and model.json (early stopping)
//!   swa/, ema/               the final averages: model.bpk, model.json, averaging.json
//!   swag.bin                 the final SWAG posterior (moments, last K deviations)
//!   snapshots/epoch-NNNN/    a snapshot ensemble's members: model.bpk, model.json
//!   trajectory/              kept weights for PCA plots: index.json and their .bpk files
//!   model.bpk, model.json    the final weights and their card
//!   .lock                    held by the process writing the run
//! ```

use std::path::{Path, PathBuf};

/// The run's configuration.
pub const CONFIG: &str = "config.json";
/// One JSON object per epoch.
pub const METRICS_JSONL: &str = "metrics.jsonl";
/// The same as a table.
pub const METRICS_CSV: &str = "metrics.csv";
/// A model's weights (burnpack), in a run, checkpoint or model folder.
pub const MODEL: &str = "model.bpk";
/// A model's card (architecture, input, normalization), beside its weights.
pub const MODEL_CARD: &str = "model.json";
/// The optimizer's record in a checkpoint.
pub const OPTIMIZER: &str = "optimizer.bpk";
/// The schedule's record in a checkpoint.
pub const SCHEDULER: &str = "scheduler.bpk";
/// The trainer's state in a checkpoint.
pub const STATE: &str = "state.json";
/// The running SWA average in a checkpoint.
pub const SWA_RECORD: &str = "swa.bpk";
/// The running moving average in a checkpoint.
pub const EMA_RECORD: &str = "ema.bpk";
/// The SWAG posterior (moments and deviation matrix), in a run folder and a checkpoint.
pub const SWAG_FILE: &str = "swag.bin";
/// The newest checkpoint's folder.
pub const CHECKPOINT_DIR: &str = "checkpoint";
/// The best epoch's folder.
pub const BEST_DIR: &str = "best";
/// The final SWA model's folder.
pub const SWA_DIR: &str = "swa";
/// The final moving average's folder.
pub const EMA_DIR: &str = "ema";
/// What an average's folder says about it.
pub const AVERAGING: &str = "averaging.json";
/// The folder of snapshots.
pub const SNAPSHOTS_DIR: &str = "snapshots";
/// The folder of trajectory snapshots.
pub const TRAJECTORY_DIR: &str = "trajectory";
/// The trajectory's index.
pub const TRAJECTORY_INDEX: &str = "index.json";
/// The lock file of the process writing the run.
pub const LOCK: &str = ".lock";

/// A run folder and the paths inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFolder {
    /// The run's folder.
    pub dir: PathBuf,
}

impl RunFolder {
    /// The run folder `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        RunFolder { dir: dir.into() }
    }

    /// `config.json`.
    pub fn config(&self) -> PathBuf {
        self.dir.join(CONFIG)
    }

    /// The folder of the newest checkpoint.
    pub fn checkpoint(&self) -> PathBuf {
        self.dir.join(CHECKPOINT_DIR)
    }

    /// The folder holding the best epoch's weights (`model.bpk`, `model.json`), kept when early
    /// stopping is to restore them.
    pub fn best(&self) -> PathBuf {
        self.dir.join(BEST_DIR)
    }

    /// The folder of an average's final model (`swa` or `ema`).
    pub fn average(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The folder of the snapshot taken at the end of `epoch` (1-based).
    pub fn snapshot(&self, epoch: usize) -> PathBuf {
        snapshot_dir(&self.dir, epoch)
    }

    /// The folder of trajectory snapshots.
    pub fn trajectory(&self) -> PathBuf {
        self.dir.join(TRAJECTORY_DIR)
    }
}

/// The folder of the snapshot taken at the end of `epoch` in the run folder `run`
/// (`snapshots/epoch-0005`).
pub fn snapshot_dir(run: &Path, epoch: usize) -> PathBuf {
    run.join(SNAPSHOTS_DIR).join(format!("epoch-{epoch:04}"))
}

/// The epoch of a snapshot folder's name (`epoch-0005` -> 5).
pub fn snapshot_epoch(name: &str) -> Option<usize> {
    name.strip_prefix("epoch-").and_then(|n| n.parse().ok())
}
