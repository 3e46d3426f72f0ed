//! The optimizer families the CLI and run configs name.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use super::validate::invalid;
use crate::OptimError;

/// An optimizer family, as written on the command line (`--optimizer nesterov`).
///
/// [`OptimizerConfig::from_kind`](super::OptimizerConfig::from_kind) turns it and an
/// [`OptimizerParams`](super::OptimizerParams) into a full config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Plain SGD (`sgd`); heavy-ball momentum only if a momentum is given.
    Sgd,
    /// SGD with heavy-ball momentum (`momentum`, default factor 0.9).
    Momentum,
    /// SGD with Nesterov momentum (`nesterov`, default factor 0.9).
    Nesterov,
    /// RMSProp (`rmsprop`).
    RmsProp,
    /// Adam (`adam`), coupled weight decay unless told otherwise.
    Adam,
    /// AdamW (`adamw`), decoupled weight decay (default 0.01).
    AdamW,
}

impl OptimizerKind {
    /// Every kind, in a stable order (for help texts and tests).
    pub const ALL: [Self; 6] = [
        Self::Sgd,
        Self::Momentum,
        Self::Nesterov,
        Self::RmsProp,
        Self::Adam,
        Self::AdamW,
    ];

    /// The name used by `FromStr`, `Display`, serde and the CLI.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Sgd => "sgd",
            Self::Momentum => "momentum",
            Self::Nesterov => "nesterov",
            Self::RmsProp => "rmsprop",
            Self::Adam => "adam",
            Self::AdamW => "adamw",
        }
    }
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OptimizerKind {
    type Err = OptimError;

    /// Parse a name (ASCII case-insensitive): `sgd`, `momentum`, `nesterov`, `rmsprop`,
    /// `adam`, `adamw`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == lower)
            .ok_or_else(|| {
                invalid(
                    "optimizer",
                    s,
                    "expected one of sgd, momentum, nesterov, rmsprop, adam, adamw",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in OptimizerKind::ALL {
            assert_eq!(kind.to_string().parse::<OptimizerKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
            assert_eq!(serde_json::from_str::<OptimizerKind>(&json).unwrap(), kind);
        }
        assert_eq!("AdamW".parse::<OptimizerKind>(), Ok(OptimizerKind::AdamW));
    }

    #[test]
    fn unknown_name_is_a_typed_error() {
        let err = "adagrad".parse::<OptimizerKind>().unwrap_err();
        assert!(matches!(
            err,
            OptimError::InvalidConfig { field: "optimizer", ref value, .. } if value == "adagrad"
        ));
    }
}
