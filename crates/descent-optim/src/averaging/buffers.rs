//! [`BufferPolicy`]: what an averaged model does with batch-norm running statistics.

use core::fmt;
use core::str::FromStr;

use crate::OptimError;

/// What [`AveragedModel::update`](super::AveragedModel::update) does with the buffers
/// (batch-norm running mean and variance, Burn `RunningState`s) of the averaged copy.
///
/// Parameters (weights, biases, BN `gamma`/`beta`) are always averaged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BufferPolicy {
    /// Copy the live model's buffers at each update (`copy`). The averaged weights then run
    /// with statistics of other weights: recompute them afterwards with
    /// [`recompute_batch_norm`](super::recompute_batch_norm), as the SWA paper does.
    #[default]
    Copy,
    /// Average the buffers with the same rule as the parameters (`average`; PyTorch's
    /// `AveragedModel(use_buffers=True)`).
    Average,
}

impl BufferPolicy {
    /// Every variant, in declaration order.
    pub const ALL: &[BufferPolicy] = &[BufferPolicy::Copy, BufferPolicy::Average];

    /// The canonical name, as printed by `Display` and accepted by `FromStr`.
    pub fn name(self) -> &'static str {
        match self {
            BufferPolicy::Copy => "copy",
            BufferPolicy::Average => "average",
        }
    }
}

impl fmt::Display for BufferPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BufferPolicy {
    type Err = OptimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "copy" => Ok(BufferPolicy::Copy),
            "average" | "avg" => Ok(BufferPolicy::Average),
            _ => Err(OptimError::InvalidConfig {
                field: "buffers",
                value: s.to_string(),
                reason: "expected one of: copy, average".into(),
            }),
        }
    }
}

impl serde::Serialize for BufferPolicy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for BufferPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &policy in BufferPolicy::ALL {
            assert_eq!(policy.to_string().parse::<BufferPolicy>(), Ok(policy));
            let json = serde_json::to_string(&policy).expect("serializes");
            assert_eq!(json, format!("\"{policy}\""));
        }
        assert_eq!(" AVG ".parse::<BufferPolicy>(), Ok(BufferPolicy::Average));
        let err = "mean".parse::<BufferPolicy>().expect_err("unknown name");
        assert!(err.to_string().contains("buffers"), "{err}");
    }
}
