//! [`RunSummary`]: what a run folder holds, read from its files (never from Burn): the
//! configuration, the per-epoch history, the checkpoints and the final averages.

use std::path::{Path, PathBuf};

use descent_train::averaging::AverageReport;
use descent_train::{EpochRecord, RunConfig, layout};

use crate::ReportError;

/// One model kept by a run: a checkpoint, the best epoch, an average, a snapshot, the final
/// weights.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointEntry {
    /// Its path relative to the run folder (`checkpoint/model.bpk`, `swa/model.bpk`, ...).
    pub path: String,
    /// What it is, for people.
    pub what: String,
    /// The size of its weights file in bytes.
    pub bytes: u64,
}

/// A run folder, read.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The run folder.
    pub dir: PathBuf,
    /// Its name in the report: the folder's name.
    pub name: String,
    /// `config.json`, parsed.
    pub config: RunConfig,
    /// `config.json` as written, for the page.
    pub config_text: String,
    /// `metrics.jsonl`, one record per finished epoch (empty before the first ends).
    pub history: Vec<EpochRecord>,
    /// The models the run kept.
    pub checkpoints: Vec<CheckpointEntry>,
    /// The final SWA and EMA models' `averaging.json`, when the run kept them.
    pub averages: Vec<AverageReport>,
    /// Weight snapshots kept for a trajectory plot (`trajectory/`).
    pub trajectory_snapshots: usize,
}

/// Whether `dir` is a run folder: a folder holding `config.json`.
pub fn is_run_folder(dir: &Path) -> bool {
    dir.join(layout::CONFIG).is_file()
}

/// The error for a path that is not a run folder, saying what it is instead.
pub(crate) fn not_a_run(dir: &Path) -> ReportError {
    let reason = if !dir.exists() {
        "does not exist".to_string()
    } else if !dir.is_dir() {
        "is a file, not a run folder".to_string()
    } else {
        format!(
            "holds no {}: not a run folder (made by `descent train --out DIR`) nor a folder of \
             run folders",
            layout::CONFIG
        )
    };
    ReportError::NotARun {
        path: dir.to_path_buf(),
        reason,
    }
}

/// The name a run or study is shown under: its folder's own name (of the resolved path, so
/// `.` and `runs/a/` name the folder), or the path as given when it cannot be resolved.
pub(crate) fn folder_name(dir: &Path) -> String {
    dir.canonicalize()
        .ok()
        .as_deref()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

fn read(path: &Path) -> Result<Vec<u8>, ReportError> {
    std::fs::read(path).map_err(|e| ReportError::io("reading", path, e))
}

fn file_size(path: &Path) -> Option<u64> {
    std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len())
}

/// Reads the run folder `dir`.
///
/// # Errors
///
/// [`ReportError::NotARun`] if `dir` has no `config.json`; [`ReportError::Io`] for a file that
/// cannot be read; [`ReportError::BadFile`] for a `config.json`, `metrics.jsonl` or
/// `averaging.json` that does not parse (naming the file and the line).
pub fn read_run(dir: &Path) -> Result<RunSummary, ReportError> {
    if !is_run_folder(dir) {
        return Err(not_a_run(dir));
    }
    let config_path = dir.join(layout::CONFIG);
    let bytes = read(&config_path)?;
    let config = RunConfig::from_json(&bytes, &config_path)
        .map_err(|e| ReportError::bad_file(&config_path, e))?;
    let config_text = String::from_utf8_lossy(&bytes).into_owned();

    let metrics_path = dir.join(layout::METRICS_JSONL);
    let mut history = Vec::new();
    if metrics_path.exists() {
        let text = String::from_utf8(read(&metrics_path)?)
            .map_err(|e| ReportError::bad_file(&metrics_path, e))?;
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let record: EpochRecord = serde_json::from_str(line).map_err(|e| {
                ReportError::bad_file(&metrics_path, format!("line {}: {e}", index + 1))
            })?;
            history.push(record);
        }
    }

    let mut checkpoints = Vec::new();
    let mut push = |relative: String, what: String| {
        if let Some(bytes) = file_size(&dir.join(&relative)) {
            checkpoints.push(CheckpointEntry {
                path: relative,
                what,
                bytes,
            });
        }
    };
    push(layout::MODEL.into(), "the final weights".into());
    push(
        format!("{}/{}", layout::CHECKPOINT_DIR, layout::MODEL),
        "the newest checkpoint (where --resume continues)".into(),
    );
    push(
        format!("{}/{}", layout::BEST_DIR, layout::MODEL),
        "the best epoch's weights (early stopping)".into(),
    );
    push(
        format!("{}/{}", layout::SWA_DIR, layout::MODEL),
        "the SWA average".into(),
    );
    push(
        format!("{}/{}", layout::EMA_DIR, layout::MODEL),
        "the exponential moving average".into(),
    );
    let snapshots = dir.join(layout::SNAPSHOTS_DIR);
    if snapshots.is_dir() {
        let mut epochs: Vec<usize> = std::fs::read_dir(&snapshots)
            .map_err(|e| ReportError::io("listing", &snapshots, e))?
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| layout::snapshot_epoch(&entry.file_name().to_string_lossy()))
            .collect();
        epochs.sort_unstable();
        for epoch in epochs {
            let folder = layout::snapshot_dir(Path::new(""), epoch);
            push(
                format!("{}/{}", folder.display(), layout::MODEL),
                format!("the snapshot of epoch {epoch}"),
            );
        }
    }

    let mut averages = Vec::new();
    for name in [layout::SWA_DIR, layout::EMA_DIR] {
        let path = dir.join(name).join(layout::AVERAGING);
        if path.is_file() {
            let report: AverageReport = serde_json::from_slice(&read(&path)?)
                .map_err(|e| ReportError::bad_file(&path, e))?;
            averages.push(report);
        }
    }

    let trajectory = dir.join(layout::TRAJECTORY_DIR);
    let trajectory_snapshots = if trajectory.is_dir() {
        std::fs::read_dir(&trajectory)
            .map_err(|e| ReportError::io("listing", &trajectory, e))?
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.path().extension().is_some_and(|x| x == "bpk"))
            .count()
    } else {
        0
    };

    let name = folder_name(dir);
    Ok(RunSummary {
        dir: dir.to_path_buf(),
        name,
        config,
        config_text,
        history,
        checkpoints,
        averages,
        trajectory_snapshots,
    })
}

impl RunSummary {
    /// Optimizer steps per epoch, from the first epoch's record.
    pub fn steps_per_epoch(&self) -> Option<usize> {
        self.history
            .first()
            .filter(|r| r.epoch == 1 && r.global_step > 0)
            .map(|r| r.global_step as usize)
    }

    /// The learning rate of every step the run took, from its schedule (the schedule is a
    /// function of the configuration; a plateau rule's run-time scaling is not in it).
    /// `None` without a finished epoch or for a schedule that does not rebuild.
    pub fn lr_per_step(&self) -> Option<Vec<f64>> {
        let spe = self.steps_per_epoch()?;
        let steps = self.history.last()?.global_step as usize;
        let mut schedule = descent_train::run_schedule(&self.config, spe).ok()?;
        Some(descent_optim::trace(&mut schedule, steps))
    }
}
