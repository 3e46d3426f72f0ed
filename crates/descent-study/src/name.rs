//! Which study, at which scale.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::StudyError;

/// A claim of the field, made into a study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StudyName {
    /// Small batches find flatter minima; weight decay changes the picture (Keskar et al.
    /// 2017; Li et al. 2018, Fig. 3).
    BatchSize,
    /// Shortcuts smooth the landscape of deep networks (Li et al. 2018, Fig. 5 and 7).
    SkipConnections,
    /// SWA lands in a wider region and generalizes better (Izmailov et al. 2018).
    Swa,
    /// Warm restarts and snapshot ensembles beat step decay at a fixed budget (Loshchilov and
    /// Hutter 2017; Huang et al. 2017).
    Restarts,
    /// The toy lessons: rates too small and too large, momentum in a valley, restarts, noise.
    Optimizers,
}

impl StudyName {
    /// Every study, in the order of issue 24's table.
    pub const ALL: [StudyName; 5] = [
        StudyName::BatchSize,
        StudyName::SkipConnections,
        StudyName::Swa,
        StudyName::Restarts,
        StudyName::Optimizers,
    ];

    /// The name `descent study` takes.
    pub fn name(&self) -> &'static str {
        match self {
            StudyName::BatchSize => "batch-size",
            StudyName::SkipConnections => "skip-connections",
            StudyName::Swa => "swa",
            StudyName::Restarts => "restarts",
            StudyName::Optimizers => "optimizers",
        }
    }
}

impl fmt::Display for StudyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for StudyName {
    type Err = StudyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StudyName::ALL
            .into_iter()
            .find(|n| n.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| StudyError::Unknown {
                what: "study",
                input: s.to_string(),
                expected: StudyName::ALL.map(|n| n.name()).join(", "),
            })
    }
}

/// How much of a study runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// A minute or two on tiny subsets: proves the study works end to end (CI runs it). Its
    /// numbers are not results.
    Smoke,
    /// Fashion-MNIST on 2 CPU cores in about an hour: the results committed under
    /// `docs/studies/`.
    Small,
    /// The paper's protocol (CIFAR-10 from `--data-dir`), for a GPU or a lot of time.
    Full,
}

impl Scale {
    /// Every scale, smallest first.
    pub const ALL: [Scale; 3] = [Scale::Smoke, Scale::Small, Scale::Full];

    /// The name `--scale` takes.
    pub fn name(&self) -> &'static str {
        match self {
            Scale::Smoke => "smoke",
            Scale::Small => "small",
            Scale::Full => "full",
        }
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scale {
    type Err = StudyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scale::ALL
            .into_iter()
            .find(|n| n.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| StudyError::Unknown {
                what: "scale",
                input: s.to_string(),
                expected: "smoke, small, full".into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_say_what_is_expected() {
        for name in StudyName::ALL {
            assert_eq!(name.name().parse::<StudyName>().expect("known"), name);
        }
        for scale in Scale::ALL {
            assert_eq!(scale.to_string().parse::<Scale>().expect("known"), scale);
        }
        let err = "lottery".parse::<StudyName>().expect_err("unknown");
        assert!(err.to_string().contains("restarts"), "{err}");
        assert!("huge".parse::<Scale>().is_err());
    }
}
