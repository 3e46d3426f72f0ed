//! Heavy-ball and Nesterov momentum settings for SGD.

use burn::config::Config;

use super::validate::{closed_unit_interval, invalid, unit_interval};
use crate::OptimError;

/// Momentum for [`SgdConfig`](super::SgdConfig), with `torch.optim.SGD` semantics.
///
/// The buffer starts as the first gradient (no dampening on the first step), then
/// `b ← μ·b + (1 − τ)·g`; the update direction is `b` (heavy ball) or `g + μ·b` (Nesterov,
/// the Sutskever et al. form PyTorch uses).
///
/// Differs from Burn's `MomentumConfig` on purpose: dampening defaults to 0 (Burn: 0.1,
/// PyTorch: 0), the momentum factor has no default, and Nesterov requires `momentum > 0` and
/// zero dampening (a [`OptimError::InvalidConfig`], as PyTorch raises).
#[derive(Config, Debug, PartialEq)]
pub struct MomentumConfig {
    /// The momentum factor `μ`, in `[0, 1)`. `0` means no momentum (plain SGD).
    pub momentum: f64,
    /// The dampening `τ`, in `[0, 1]`, applied to the gradient from the second step on.
    #[config(default = 0.0)]
    pub dampening: f64,
    /// Use Nesterov momentum (needs `momentum > 0` and `dampening = 0`).
    #[config(default = false)]
    pub nesterov: bool,
}

impl MomentumConfig {
    /// Check the ranges and the Nesterov conditions.
    pub fn validate(&self) -> Result<(), OptimError> {
        unit_interval("momentum", self.momentum)?;
        closed_unit_interval("dampening", self.dampening)?;
        if self.nesterov {
            if self.momentum <= 0.0 {
                return Err(invalid(
                    "momentum",
                    self.momentum,
                    "must be > 0 with nesterov momentum",
                ));
            }
            if self.dampening != 0.0 {
                return Err(invalid(
                    "dampening",
                    self.dampening,
                    "must be 0 with nesterov momentum",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(config: MomentumConfig) -> &'static str {
        match config.validate() {
            Err(OptimError::InvalidConfig { field, .. }) => field,
            Err(other) => panic!("unexpected error: {other}"),
            Ok(()) => "ok",
        }
    }

    #[test]
    fn defaults_follow_pytorch() {
        let config = MomentumConfig::new(0.9);
        assert_eq!(config.dampening, 0.0);
        assert!(!config.nesterov);
        assert!(config.validate().is_ok());
    }

    #[test]
    fn invalid_settings_name_their_field() {
        assert_eq!(field(MomentumConfig::new(1.0)), "momentum");
        assert_eq!(field(MomentumConfig::new(-0.1)), "momentum");
        assert_eq!(
            field(MomentumConfig::new(0.9).with_dampening(1.5)),
            "dampening"
        );
        assert_eq!(
            field(MomentumConfig::new(0.9).with_dampening(-0.5)),
            "dampening"
        );
        assert_eq!(
            field(
                MomentumConfig::new(0.9)
                    .with_dampening(0.1)
                    .with_nesterov(true)
            ),
            "dampening"
        );
        assert_eq!(
            field(MomentumConfig::new(0.0).with_nesterov(true)),
            "momentum"
        );
        assert_eq!(field(MomentumConfig::new(0.9).with_nesterov(true)), "ok");
        assert_eq!(field(MomentumConfig::new(0.0)), "ok");
    }
}
