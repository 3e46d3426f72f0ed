//! A study's protocol: the claim, its source, and the runs that test it, fixed before any
//! run starts and written to `protocol.json` so a resumed study checks it runs the same one.

use std::path::{Path, PathBuf};

use descent_train::RunConfig;
use serde::{Deserialize, Serialize};

use crate::measures::Measures;
use crate::{Scale, StudyName};

/// One configuration of a study, run once per seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    /// A short label (`step`, `sgdr`, ...): the name of its folder and of its table row.
    pub label: String,
    /// What the arm is, in a sentence.
    pub what: String,
    /// The run; its `training.seed` is replaced by each of the protocol's seeds. With
    /// [`Arm::train_to`], its `training.epochs` is the first stretch.
    pub config: RunConfig,
    /// Train until a target instead of for a fixed number of epochs (the `batch-size` study).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_to: Option<TrainTo>,
}

/// Training to a comparable end: the run is extended `every_epochs` at a time (an exact
/// resume: the studies that use it hold the rate constant) until the mean training loss over
/// an epoch's steps is at or below `train_loss`, or until `max_epochs`. A run stopped by the
/// cap is reported as not converged and left out of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainTo {
    /// The target: the mean training loss over the last epoch's steps.
    pub train_loss: f64,
    /// The target is checked at the end of every this many epochs.
    pub every_epochs: usize,
    /// The cap.
    pub max_epochs: usize,
}

/// Everything a study runs and how its result is judged, decided before it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// The study.
    pub study: StudyName,
    /// The scale it runs at.
    pub scale: Scale,
    /// The claim, as its source states it.
    pub claim: String,
    /// Where the claim comes from.
    pub source: String,
    /// Models, data, budget and measurements, and how this scale differs from the paper's.
    pub description: String,
    /// The rule that turns the measurements into "reproduced", "not reproduced" or "mixed",
    /// written before the study runs.
    pub verdict_rule: String,
    /// Each arm runs once per seed.
    pub seeds: Vec<u64>,
    /// The configurations compared.
    pub arms: Vec<Arm>,
    /// The landscape measurements of every run, for the studies that take them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measures: Option<Measures>,
}

/// The name of the protocol file in a study folder.
pub const PROTOCOL_FILE: &str = "protocol.json";

impl Protocol {
    /// The run folder of `arm` with `seed` inside the study folder `out`.
    pub fn run_folder(out: &Path, arm: &Arm, seed: u64) -> PathBuf {
        out.join("runs")
            .join(&arm.label)
            .join(format!("seed{seed}"))
    }

    /// The arm's configuration for one seed.
    pub fn config_for(arm: &Arm, seed: u64) -> RunConfig {
        let mut config = arm.config.clone();
        config.training.seed = seed;
        config
    }

    /// The command that runs this study.
    pub fn command(&self) -> String {
        format!("descent study {} --scale {}", self.study, self.scale)
    }
}
