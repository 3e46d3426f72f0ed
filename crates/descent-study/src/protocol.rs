//! A study's protocol: the claim, its source, and the runs that test it, fixed before any
//! run starts and written to `protocol.json` so a resumed study checks it runs the same one.

use std::path::{Path, PathBuf};

use descent_train::RunConfig;
use serde::{Deserialize, Serialize};

use crate::{Scale, StudyName};

/// One configuration of a study, run once per seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    /// A short label (`step`, `sgdr`, ...): the name of its folder and of its table row.
    pub label: String,
    /// What the arm is, in a sentence.
    pub what: String,
    /// The run; its `training.seed` is replaced by each of the protocol's seeds.
    pub config: RunConfig,
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
