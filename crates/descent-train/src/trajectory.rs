//! Trajectory snapshots: the weights every `K` steps or epochs, kept in the run folder for
//! the PCA plots of Li et al. (2018, sec. 7).
//!
//! Layout: `RUN/trajectory/0000.bpk`, `0001.bpk`, ... (the model's parameters, burnpack) and
//! `RUN/trajectory/index.json` ([`TrajectoryIndex`]: which file holds the weights after
//! which epoch and step). Snapshot 0 is the starting weights. Every file is written
//! atomically, the index last, so an interrupted run never lists a missing or partial file.
//! On resume, snapshots taken after the checkpoint being resumed are dropped from the index
//! (they belong to the interrupted future) and are overwritten as the run takes them again.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use burn::module::Module;
use serde::{Deserialize, Serialize};

use crate::TrainError;
use crate::layout::{TRAJECTORY_DIR, TRAJECTORY_INDEX};
use crate::records::module_bytes;

/// The index's format tag.
pub const TRAJECTORY_FORMAT: &str = "descent-trajectory";

/// What `every` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrajectoryUnit {
    /// Optimizer steps.
    Step,
    /// Epochs (a snapshot at the end of every `every`-th epoch).
    #[default]
    Epoch,
}

impl fmt::Display for TrajectoryUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrajectoryUnit::Step => "step",
            TrajectoryUnit::Epoch => "epoch",
        })
    }
}

impl FromStr for TrajectoryUnit {
    type Err = TrainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "step" => Ok(TrajectoryUnit::Step),
            "epoch" => Ok(TrajectoryUnit::Epoch),
            _ => Err(TrainError::InvalidOption {
                field: "trajectory_per",
                value: s.to_string(),
                reason: "expected step or epoch".into(),
            }),
        }
    }
}

/// How often to keep the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrajectoryConfig {
    /// Every this many units (at least 1).
    pub every: usize,
    /// Steps or epochs.
    pub per: TrajectoryUnit,
}

impl TrajectoryConfig {
    /// Checks the options.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidOption`] for `every = 0`.
    pub fn validate(&self) -> Result<(), TrainError> {
        if self.every == 0 {
            return Err(TrainError::InvalidOption {
                field: "trajectory_every",
                value: "0".into(),
                reason: "must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// Whether a snapshot is due after `global_step` (within an epoch) or at the end of
    /// `epoch`.
    pub fn due_after_step(&self, global_step: u64) -> bool {
        self.per == TrajectoryUnit::Step && global_step.is_multiple_of(self.every as u64)
    }

    /// Whether a snapshot is due at the end of `epoch`.
    pub fn due_after_epoch(&self, epoch: usize) -> bool {
        self.per == TrajectoryUnit::Epoch && epoch.is_multiple_of(self.every)
    }
}

/// One snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The file, relative to the trajectory folder.
    pub file: String,
    /// Epochs finished when it was taken (0 for the start).
    pub epoch: usize,
    /// Optimizer steps taken when it was taken.
    pub global_step: u64,
}

/// `trajectory/index.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrajectoryIndex {
    /// Always [`TRAJECTORY_FORMAT`].
    pub format: String,
    /// Version of this layout.
    pub version: u32,
    /// How the snapshots were taken.
    pub config: TrajectoryConfig,
    /// The snapshots, in training order.
    pub snapshots: Vec<Snapshot>,
}

impl TrajectoryIndex {
    /// Reads a run's index.
    ///
    /// # Errors
    ///
    /// [`TrainError::BadCheckpoint`] if the run has no trajectory or its index is unreadable.
    pub fn load(run_dir: &Path) -> Result<TrajectoryIndex, TrainError> {
        let path = run_dir.join(TRAJECTORY_DIR).join(TRAJECTORY_INDEX);
        let bytes = std::fs::read(&path).map_err(|e| TrainError::BadCheckpoint {
            path: path.clone(),
            reason: format!("no trajectory ({e}); train with --trajectory-every K to keep one"),
        })?;
        let index: TrajectoryIndex =
            serde_json::from_slice(&bytes).map_err(|e| TrainError::BadCheckpoint {
                path: path.clone(),
                reason: format!("not a trajectory index: {e}"),
            })?;
        if index.format != TRAJECTORY_FORMAT {
            return Err(TrainError::BadCheckpoint {
                path,
                reason: format!("format is {:?}, not a trajectory index", index.format),
            });
        }
        Ok(index)
    }

    /// The snapshot files, as paths.
    pub fn paths(&self, run_dir: &Path) -> Vec<PathBuf> {
        let dir = run_dir.join(TRAJECTORY_DIR);
        self.snapshots.iter().map(|s| dir.join(&s.file)).collect()
    }
}

/// Writes the snapshots of one run.
#[derive(Debug, Clone)]
pub struct TrajectoryRecorder {
    dir: PathBuf,
    index: TrajectoryIndex,
}

impl TrajectoryRecorder {
    /// A recorder for the run in `run_dir`, resuming an existing index: snapshots taken
    /// after `global_step` (the checkpoint being resumed) are dropped.
    ///
    /// # Errors
    ///
    /// Bad options; an existing index that is unreadable or was taken with other options.
    pub fn open(
        run_dir: &Path,
        config: TrajectoryConfig,
        global_step: u64,
    ) -> Result<TrajectoryRecorder, TrainError> {
        config.validate()?;
        let dir = run_dir.join(TRAJECTORY_DIR);
        let index = if dir.join(TRAJECTORY_INDEX).exists() {
            let mut index = TrajectoryIndex::load(run_dir)?;
            if index.config != config {
                return Err(TrainError::InvalidOption {
                    field: "trajectory_every",
                    value: format!("{} per {}", config.every, config.per),
                    reason: format!(
                        "the run's trajectory was kept every {} per {}",
                        index.config.every, index.config.per
                    ),
                });
            }
            index.snapshots.retain(|s| s.global_step <= global_step);
            index
        } else {
            TrajectoryIndex {
                format: TRAJECTORY_FORMAT.into(),
                version: 1,
                config,
                snapshots: Vec::new(),
            }
        };
        Ok(TrajectoryRecorder { dir, index })
    }

    /// The config.
    pub fn config(&self) -> TrajectoryConfig {
        self.index.config
    }

    /// The snapshots so far.
    pub fn index(&self) -> &TrajectoryIndex {
        &self.index
    }

    /// Keeps `model`'s weights as the next snapshot (nothing if one at this step exists).
    ///
    /// # Errors
    ///
    /// Serialization or write errors.
    pub fn record<M: Module>(
        &mut self,
        model: &M,
        epoch: usize,
        global_step: u64,
    ) -> Result<(), TrainError> {
        if self
            .index
            .snapshots
            .last()
            .is_some_and(|s| s.global_step == global_step)
        {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| TrainError::io("creating", &self.dir, e))?;
        let file = format!("{:04}.bpk", self.index.snapshots.len());
        let bytes = module_bytes(model)?;
        descent_files::write_file(&self.dir.join(&file), &bytes)?;
        self.index.snapshots.push(Snapshot {
            file,
            epoch,
            global_step,
        });
        let json =
            serde_json::to_vec_pretty(&self.index).map_err(|e| TrainError::InvalidOption {
                field: "trajectory",
                value: "index".into(),
                reason: e.to_string(),
            })?;
        descent_files::write_file(&self.dir.join(TRAJECTORY_INDEX), &json)?;
        Ok(())
    }
}
