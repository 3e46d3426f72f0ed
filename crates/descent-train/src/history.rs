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
    /// Loss and accuracy on the held-out set after the epoch, in eval mode.
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

/// The history as CSV with a header line; empty test columns when there is no test set.
pub fn to_csv(history: &[EpochRecord]) -> String {
    let mut csv = String::from(
        "epoch,global_step,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds\n",
    );
    for r in history {
        let (test_loss, test_acc) = match &r.test {
            Some(m) => (m.loss.to_string(), m.accuracy.to_string()),
            None => (String::new(), String::new()),
        };
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{:.3}",
            r.epoch,
            r.global_step,
            r.lr,
            r.train.loss,
            r.train.accuracy,
            test_loss,
            test_acc,
            r.seconds
        );
    }
    csv
}
