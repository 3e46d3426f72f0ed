//! The per-epoch record of a run and the log files written from it.
//!
//! `metrics.jsonl` (one JSON object per epoch) and `metrics.csv` are rewritten atomically from
//! the full history after every epoch, so after a crash and `--resume` they hold exactly the
//! epochs of the checkpoint the run continued from, never a duplicated or half-written line.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::evaluate::Metrics;
use crate::layout;
use descent_files as atomic;

/// What happened in one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Optimizer steps completed since the start of the run, at the end of this epoch.
    pub global_step: u64,
    /// The learning rate of the epoch's last step.
    pub lr: f64,
    /// Training loss and accuracy, averaged over the epoch's steps as they were taken
    /// (training mode: dropout on, augmentation on, weights changing along the way).
    pub train: Metrics,
    /// Loss and accuracy on the validation split (held out of the training set) after the
    /// epoch, in eval mode, when the run has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Metrics>,
    /// Loss and accuracy on the test set after the epoch, in eval mode.
    pub test: Option<Metrics>,
    /// Wall-clock seconds the epoch's training steps took (evaluation excluded).
    pub seconds: f64,
}

/// Rewrites `metrics.jsonl` and `metrics.csv` in `dir` from `history`.
pub fn write_logs(dir: &Path, history: &[EpochRecord]) -> Result<(), TrainError> {
    let mut jsonl = String::new();
    for record in history {
        let line = serde_json::to_string(record).map_err(|e| TrainError::BadCheckpoint {
            path: dir.join(layout::METRICS_JSONL),
            reason: e.to_string(),
        })?;
        jsonl.push_str(&line);
        jsonl.push('\n');
    }
    atomic::write_file(&dir.join(layout::METRICS_JSONL), jsonl.as_bytes())?;
    atomic::write_file(&dir.join(layout::METRICS_CSV), to_csv(history).as_bytes())?;
    Ok(())
}

/// The history as CSV with a header line; empty validation or test columns when the run
/// has no validation split or no test set.
pub fn to_csv(history: &[EpochRecord]) -> String {
    let mut csv = String::from(
        "epoch,global_step,lr,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,\
         test_accuracy,seconds\n",
    );
    let columns = |metrics: &Option<Metrics>| match metrics {
        Some(m) => (m.loss.to_string(), m.accuracy.to_string()),
        None => (String::new(), String::new()),
    };
    for r in history {
        let (val_loss, val_acc) = columns(&r.validation);
        let (test_loss, test_acc) = columns(&r.test);
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{:.3}",
            r.epoch,
            r.global_step,
            r.lr,
            r.train.loss,
            r.train.accuracy,
            val_loss,
            val_acc,
            test_loss,
            test_acc,
            r.seconds
        );
    }
    csv
}
