//! Weight decay, coupled (L2 in the gradient) or decoupled (shrink the weights).

use core::fmt;
use core::str::FromStr;

use burn::config::Config;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::validate::{invalid, non_negative};
use crate::OptimError;

/// How a weight-decay penalty `λ` enters the update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightDecayMode {
    /// L2 regularisation: `λ·p` is added to the gradient before momentum or adaptive scaling,
    /// as `weight_decay` does in `torch.optim.SGD`, `RMSprop` and `Adam`.
    #[default]
    Coupled,
    /// Decoupled decay (Loshchilov & Hutter, "Decoupled Weight Decay Regularization",
    /// <https://arxiv.org/abs/1711.05101>): before the gradient update the weights shrink,
    /// `p ← p · (1 − lr·λ)`, i.e. `p -= lr·λ·p`, and the gradient is left alone.
    ///
    /// The decay is multiplied by the step's learning rate, exactly as `torch.optim.AdamW`
    /// does (the paper multiplies by the schedule factor `η_t` only, not by `lr`). With SGD
    /// this is "SGDW" in the same convention; PyTorch has no SGDW, so our SGD test checks it
    /// against `p.mul_(1 - lr * λ)` followed by `torch.optim.SGD` without decay.
    Decoupled,
}

impl WeightDecayMode {
    /// The name used by `FromStr`, `Display`, serde and the CLI.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Coupled => "coupled",
            Self::Decoupled => "decoupled",
        }
    }
}

impl fmt::Display for WeightDecayMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WeightDecayMode {
    type Err = OptimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "coupled" | "l2" => Ok(Self::Coupled),
            "decoupled" => Ok(Self::Decoupled),
            _ => Err(invalid(
                "weight_decay_mode",
                s,
                "expected one of coupled, decoupled",
            )),
        }
    }
}

/// Weight decay for [`SgdConfig`](super::SgdConfig), [`RmsPropConfig`](super::RmsPropConfig)
/// and [`AdamConfig`](super::AdamConfig).
#[derive(Config, Debug, PartialEq)]
pub struct WeightDecayConfig {
    /// The penalty `λ >= 0` (PyTorch's `weight_decay`).
    pub penalty: f64,
    /// Coupled (L2, the default, as PyTorch's `weight_decay`) or decoupled (as AdamW).
    #[config(default = "WeightDecayMode::Coupled")]
    pub mode: WeightDecayMode,
}

impl WeightDecayConfig {
    /// Decoupled decay with penalty `penalty` (shorthand).
    pub fn decoupled(penalty: f64) -> Self {
        Self::new(penalty).with_mode(WeightDecayMode::Decoupled)
    }

    /// Check the penalty.
    pub fn validate(&self) -> Result<(), OptimError> {
        non_negative("weight_decay", self.penalty)
    }

    /// The runtime piece; `None` when the penalty is 0 (no work, like PyTorch's `!= 0` test).
    pub(crate) fn build(&self) -> Option<WeightDecay> {
        (self.penalty != 0.0).then_some(WeightDecay {
            penalty: self.penalty,
            mode: self.mode,
        })
    }
}

/// Runtime weight decay (built from a [`WeightDecayConfig`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct WeightDecay {
    pub(crate) penalty: f64,
    pub(crate) mode: WeightDecayMode,
}

impl WeightDecay {
    /// Apply the decay for one step: returns the (maybe shrunk) parameter and the (maybe
    /// penalised) gradient. Coupled: `g + λ·p`; decoupled: `p · (1 − lr·λ)`.
    pub(crate) fn apply<const D: usize>(
        &self,
        lr: f64,
        param: Tensor<D>,
        grad: Tensor<D>,
    ) -> (Tensor<D>, Tensor<D>) {
        match self.mode {
            WeightDecayMode::Coupled => {
                let grad = grad.add(param.clone().mul_scalar(self.penalty));
                (param, grad)
            }
            WeightDecayMode::Decoupled => (param.mul_scalar(1.0 - lr * self.penalty), grad),
        }
    }
}

/// Apply an optional weight decay.
pub(crate) fn apply_weight_decay<const D: usize>(
    decay: Option<&WeightDecay>,
    lr: f64,
    param: Tensor<D>,
    grad: Tensor<D>,
) -> (Tensor<D>, Tensor<D>) {
    match decay {
        Some(decay) => decay.apply(lr, param, grad),
        None => (param, grad),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_round_trips_through_display_and_from_str() {
        for mode in [WeightDecayMode::Coupled, WeightDecayMode::Decoupled] {
            assert_eq!(mode.to_string().parse::<WeightDecayMode>(), Ok(mode));
        }
        assert_eq!(
            "L2".parse::<WeightDecayMode>(),
            Ok(WeightDecayMode::Coupled)
        );
        let err = "sideways".parse::<WeightDecayMode>().unwrap_err();
        assert!(matches!(
            err,
            OptimError::InvalidConfig {
                field: "weight_decay_mode",
                ..
            }
        ));
    }

    #[test]
    fn negative_penalty_is_rejected() {
        let err = WeightDecayConfig::new(-0.1).validate().unwrap_err();
        assert!(matches!(
            err,
            OptimError::InvalidConfig {
                field: "weight_decay",
                ..
            }
        ));
        assert!(WeightDecayConfig::decoupled(0.0).validate().is_ok());
        assert!(WeightDecayConfig::new(0.0).build().is_none());
    }

    #[test]
    fn config_serde_round_trip() {
        let config = WeightDecayConfig::decoupled(0.05);
        let json = serde_json::to_string(&config).unwrap();
        assert!(json.contains("\"decoupled\""), "{json}");
        let back: WeightDecayConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config);
    }
}
