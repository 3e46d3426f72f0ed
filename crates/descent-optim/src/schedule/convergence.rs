//! Stop when the loss changes by less than a tolerance between epochs.

use burn::config::Config;
use serde::{Deserialize, Serialize};

use super::validate::{at_least_one, positive};
use super::{StopDecision, StopReason, StopRule, ThresholdMode};
use crate::OptimError;

/// Configuration of [`Convergence`].
#[derive(Config, Debug, PartialEq)]
pub struct ConvergenceConfig {
    /// The tolerance on `|loss_t - loss_(t-1)|` (finite, > 0).
    pub tol: f64,
    /// Whether `tol` is absolute (the default) or relative to `|loss_(t-1)|`.
    #[config(default = "ThresholdMode::Abs")]
    pub threshold_mode: ThresholdMode,
    /// Consecutive epochs the change must stay below `tol` (>= 1).
    #[config(default = 1)]
    pub patience: usize,
}

impl ConvergenceConfig {
    /// Builds the rule.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `tol` or `patience`.
    pub fn init(&self) -> Result<Convergence, OptimError> {
        Ok(Convergence {
            tol: positive("tol", self.tol)?,
            threshold_mode: self.threshold_mode,
            patience: at_least_one("patience", self.patience)?,
            state: ConvergenceRecord::default(),
        })
    }
}

/// The saved state of a [`Convergence`] rule (serde).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConvergenceRecord {
    /// The previous epoch's value, `None` at the start or after a non-finite value.
    pub previous: Option<f64>,
    /// Consecutive epochs with a change below the tolerance.
    pub streak: usize,
}

/// Stops when `|loss_t - loss_(t-1)| < tol` (or `< tol * |loss_(t-1)|` when relative) for
/// `patience` consecutive epochs. The first epoch never converges; a non-finite value resets the
/// streak.
#[derive(Clone, Debug, PartialEq)]
pub struct Convergence {
    tol: f64,
    threshold_mode: ThresholdMode,
    patience: usize,
    state: ConvergenceRecord,
}

impl Convergence {
    /// The rule's state, to save with a checkpoint.
    pub fn to_record(&self) -> ConvergenceRecord {
        self.state.clone()
    }

    /// Restores a state saved by [`to_record`](Self::to_record).
    pub fn load_record(&mut self, record: ConvergenceRecord) {
        self.state = record;
    }
}

impl StopRule for Convergence {
    fn observe(&mut self, epoch: usize, value: f64) -> StopDecision {
        let previous = self.state.previous;
        self.state.previous = value.is_finite().then_some(value);
        let Some(previous) = previous.filter(|_| value.is_finite()) else {
            self.state.streak = 0;
            return StopDecision::Continue { improved: false };
        };
        let change = (value - previous).abs();
        let tol = match self.threshold_mode {
            ThresholdMode::Abs => self.tol,
            ThresholdMode::Rel => self.tol * previous.abs(),
        };
        if change < tol {
            self.state.streak = self.state.streak.saturating_add(1);
        } else {
            self.state.streak = 0;
        }
        if self.state.streak >= self.patience {
            StopDecision::Stop(StopReason::Converged { epoch, change, tol })
        } else {
            StopDecision::Continue { improved: false }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::assert_invalid;

    #[test]
    fn stops_when_the_change_stays_below_tol() {
        let mut rule = ConvergenceConfig::new(0.01)
            .with_patience(2)
            .init()
            .expect("valid");
        let losses = [1.0, 0.5, 0.495, 0.3, 0.295, 0.291];
        let stops: Vec<bool> = losses
            .iter()
            .enumerate()
            .map(|(epoch, &loss)| rule.observe(epoch, loss).should_stop())
            .collect();
        assert_eq!(stops, [false, false, false, false, false, true]);
        let mut again = ConvergenceConfig::new(0.01).init().expect("valid");
        again.observe(0, 1.0);
        match again.observe(1, 0.995) {
            StopDecision::Stop(StopReason::Converged { epoch, change, tol }) => {
                assert_eq!((epoch, tol), (1, 0.01));
                assert!((change - 0.005).abs() < 1e-12);
            }
            other => panic!("expected convergence, got {other:?}"),
        }
    }

    #[test]
    fn relative_tolerance_and_non_finite_values() {
        let mut rule = ConvergenceConfig::new(0.01)
            .with_threshold_mode(ThresholdMode::Rel)
            .init()
            .expect("valid");
        assert!(!rule.observe(0, 100.0).should_stop());
        assert!(!rule.observe(1, 98.0).should_stop(), "2% change");
        assert!(!rule.observe(2, f64::NAN).should_stop());
        assert!(
            !rule.observe(3, 98.0).should_stop(),
            "no previous value after NaN"
        );
        assert!(rule.observe(4, 97.5).should_stop(), "0.5% change");
    }

    #[test]
    fn resumes_through_json() {
        let mut original = ConvergenceConfig::new(0.01)
            .with_patience(2)
            .init()
            .expect("valid");
        original.observe(0, 1.0);
        original.observe(1, 0.995);
        let json = serde_json::to_string(&original.to_record()).expect("serializes");
        let mut resumed = ConvergenceConfig::new(0.01)
            .with_patience(2)
            .init()
            .expect("valid");
        resumed.load_record(serde_json::from_str(&json).expect("deserializes"));
        assert_eq!(resumed, original);
        assert!(resumed.observe(2, 0.99).should_stop());
    }

    #[test]
    fn rejects_invalid_configs() {
        assert_invalid(ConvergenceConfig::new(0.0).init(), "tol");
        assert_invalid(
            ConvergenceConfig::new(1e-3).with_patience(0).init(),
            "patience",
        );
    }
}
