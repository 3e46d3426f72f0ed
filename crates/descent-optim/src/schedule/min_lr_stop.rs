//! Stop when the learning rate has fallen to a threshold.

use burn::config::Config;

use super::validate::non_negative;
use super::{StopDecision, StopReason, StopRule};
use crate::OptimError;

/// Configuration of [`MinLrStop`].
#[derive(Config, Debug)]
pub struct MinLrStopConfig {
    /// Training stops once the rate is at or below this (finite, >= 0).
    pub threshold: f64,
}

impl MinLrStopConfig {
    /// Builds the rule.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `threshold`.
    pub fn init(&self) -> Result<MinLrStop, OptimError> {
        Ok(MinLrStop {
            threshold: non_negative("threshold", self.threshold)?,
        })
    }
}

/// Stops once the learning rate is at or below `threshold`: "at or below", so that a threshold
/// equal to a [`ReduceLrOnPlateau`](super::ReduceLrOnPlateau)'s `min_lr` fires when the floor is
/// reached. Feed it [`ReduceLrOnPlateau::lr`](super::ReduceLrOnPlateau::lr) (or the last rate of
/// any schedule) once per epoch. It has no state to save.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MinLrStop {
    threshold: f64,
}

impl StopRule for MinLrStop {
    fn observe(&mut self, _epoch: usize, lr: f64) -> StopDecision {
        if lr <= self.threshold {
            StopDecision::Stop(StopReason::LrBelowThreshold {
                lr,
                threshold: self.threshold,
            })
        } else {
            StopDecision::Continue { improved: false }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::ReduceLrOnPlateauConfig;
    use crate::schedule::test_utils::assert_invalid;

    #[test]
    fn stops_when_a_plateau_rule_reaches_its_floor() {
        let mut plateau = ReduceLrOnPlateauConfig::new()
            .with_patience(0)
            .with_factor(0.5)
            .with_min_lr(0.1)
            .init(1.0)
            .expect("valid");
        let mut stop = MinLrStopConfig::new(0.1).init().expect("valid");
        let mut stopped_at = None;
        for epoch in 0..10 {
            plateau.observe(1.0);
            if stop.observe(epoch, plateau.lr()).should_stop() {
                stopped_at = Some(epoch);
                break;
            }
        }
        // 1.0 (improved), 0.5, 0.25, 0.125, then the floor 0.1 at epoch 4.
        assert_eq!(stopped_at, Some(4));
    }

    #[test]
    fn rejects_a_negative_threshold() {
        assert_invalid(MinLrStopConfig::new(-1.0).init(), "threshold");
    }
}
