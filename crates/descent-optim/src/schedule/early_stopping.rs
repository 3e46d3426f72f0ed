//! Early stopping on a validation metric, with the best epoch reported for restoring.

use burn::config::Config;
use serde::{Deserialize, Serialize};

use super::validate::{at_least_one, non_negative};
use super::{MetricMode, StopDecision, StopReason, StopRule, ThresholdMode};
use crate::OptimError;

/// Configuration of [`EarlyStopping`].
#[derive(Config, Debug, PartialEq)]
pub struct EarlyStoppingConfig {
    /// Whether the metric should decrease (`min`) or increase (`max`).
    #[config(default = "MetricMode::Min")]
    pub mode: MetricMode,
    /// Training stops after this many consecutive epochs without improvement (>= 1).
    #[config(default = 10)]
    pub patience: usize,
    /// Smallest change that counts as an improvement (finite, >= 0).
    #[config(default = 0.0)]
    pub min_delta: f64,
    /// Whether `min_delta` is absolute (the default, as Keras and Lightning) or relative.
    #[config(default = "ThresholdMode::Abs")]
    pub threshold_mode: ThresholdMode,
    /// Whether the trainer should restore the best epoch's weights when stopping; the rule reports
    /// that epoch in [`StopReason::restore_epoch`].
    #[config(default = false)]
    pub restore_best: bool,
}

impl EarlyStoppingConfig {
    /// Builds the rule.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `patience` or `min_delta`.
    pub fn init(&self) -> Result<EarlyStopping, OptimError> {
        Ok(EarlyStopping {
            mode: self.mode,
            patience: at_least_one("patience", self.patience)?,
            min_delta: non_negative("min_delta", self.min_delta)?,
            threshold_mode: self.threshold_mode,
            restore_best: self.restore_best,
            state: EarlyStoppingRecord::default(),
        })
    }
}

/// The saved state of an [`EarlyStopping`] rule (serde; JSON-safe: no infinities).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EarlyStoppingRecord {
    /// The best value so far.
    pub best: Option<f64>,
    /// The epoch of the best value.
    pub best_epoch: Option<usize>,
    /// Consecutive epochs without improvement.
    pub wait: usize,
}

/// Stops when a metric has not improved by more than `min_delta` for `patience` consecutive
/// epochs (Keras/Lightning semantics: `value < best - min_delta` is an improvement in `min` mode).
///
/// It says which epoch was best ([`best_epoch`](Self::best_epoch), and
/// [`StopDecision::Continue { improved: true }`](StopDecision::Continue) on the epoch itself) so
/// the trainer can checkpoint it and, with `restore_best`, restore it when stopping. Non-finite
/// values (NaN, infinities) never count as improvements.
#[derive(Clone, Debug, PartialEq)]
pub struct EarlyStopping {
    mode: MetricMode,
    patience: usize,
    min_delta: f64,
    threshold_mode: ThresholdMode,
    restore_best: bool,
    state: EarlyStoppingRecord,
}

impl EarlyStopping {
    /// The best value so far.
    pub fn best(&self) -> Option<f64> {
        self.state.best
    }

    /// The epoch of the best value.
    pub fn best_epoch(&self) -> Option<usize> {
        self.state.best_epoch
    }

    /// Consecutive epochs without improvement so far.
    pub fn wait(&self) -> usize {
        self.state.wait
    }

    /// The rule's state, to save with a checkpoint.
    pub fn to_record(&self) -> EarlyStoppingRecord {
        self.state.clone()
    }

    /// Restores a state saved by [`to_record`](Self::to_record).
    pub fn load_record(&mut self, record: EarlyStoppingRecord) {
        self.state = record;
    }
}

impl StopRule for EarlyStopping {
    fn observe(&mut self, epoch: usize, value: f64) -> StopDecision {
        let best = self.state.best.unwrap_or(self.mode.worst());
        let improved = value.is_finite()
            && self
                .mode
                .is_better(value, best, self.min_delta, self.threshold_mode);
        if improved {
            self.state = EarlyStoppingRecord {
                best: Some(value),
                best_epoch: Some(epoch),
                wait: 0,
            };
            return StopDecision::Continue { improved: true };
        }
        self.state.wait = self.state.wait.saturating_add(1);
        if self.state.wait >= self.patience {
            StopDecision::Stop(StopReason::NoImprovement {
                epochs_without_improvement: self.state.wait,
                best: self.state.best,
                best_epoch: self.state.best_epoch,
                restore_best: self.restore_best,
            })
        } else {
            StopDecision::Continue { improved: false }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::assert_invalid;

    /// Observes `values` from epoch 1 and returns the decisions.
    fn feed(rule: &mut EarlyStopping, values: &[f64]) -> Vec<StopDecision> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| rule.observe(i + 1, v))
            .collect()
    }

    #[test]
    fn stops_after_patience_epochs_without_improvement() {
        let mut rule = EarlyStoppingConfig::new()
            .with_patience(3)
            .with_min_delta(0.01)
            .with_restore_best(true)
            .init()
            .expect("valid");
        // 0.495 is not 0.01 below 0.5; neither are the next two.
        let decisions = feed(&mut rule, &[1.0, 0.7, 0.5, 0.495, 0.6, 0.499]);
        let improved: Vec<bool> = decisions.iter().map(StopDecision::improved).collect();
        assert_eq!(improved, [true, true, true, false, false, false]);
        assert!(decisions[..5].iter().all(|d| !d.should_stop()));
        let reason = decisions[5].reason().expect("stops");
        assert_eq!(
            *reason,
            StopReason::NoImprovement {
                epochs_without_improvement: 3,
                best: Some(0.5),
                best_epoch: Some(3),
                restore_best: true,
            }
        );
        assert_eq!(reason.restore_epoch(), Some(3));
        assert_eq!(
            reason.to_string(),
            "no improvement in 3 epochs (best 0.5 at epoch 3)"
        );
    }

    #[test]
    fn improvement_resets_the_wait_in_max_mode() {
        let mut rule = EarlyStoppingConfig::new()
            .with_mode(MetricMode::Max)
            .with_patience(2)
            .init()
            .expect("valid");
        let decisions = feed(&mut rule, &[0.5, 0.4, 0.6, 0.6, 0.55]);
        assert!(decisions[..4].iter().all(|d| !d.should_stop()));
        assert_eq!(rule.best_epoch(), Some(3));
        let reason = decisions[4].reason().expect("stops");
        assert_eq!(reason.restore_epoch(), None, "restore_best is off");
    }

    #[test]
    fn non_finite_values_never_improve() {
        let mut rule = EarlyStoppingConfig::new()
            .with_mode(MetricMode::Max)
            .with_patience(2)
            .init()
            .expect("valid");
        let decisions = feed(&mut rule, &[f64::NAN, f64::INFINITY]);
        assert_eq!(rule.best(), None);
        assert!(decisions[1].should_stop());
    }

    #[test]
    fn relative_min_delta() {
        let mut rule = EarlyStoppingConfig::new()
            .with_patience(1)
            .with_min_delta(0.1)
            .with_threshold_mode(ThresholdMode::Rel)
            .init()
            .expect("valid");
        assert!(rule.observe(0, 10.0).improved());
        assert!(rule.observe(1, 8.9).improved());
        assert!(
            rule.observe(2, 8.1).should_stop(),
            "8.1 is not below 8.9 * 0.9"
        );
    }

    #[test]
    fn resumes_through_json() {
        let values = [1.0, 0.9, 0.95, 0.8, 0.85, 0.86, 0.87, 0.84, 0.9];
        for k in 0..values.len() {
            let mut original = EarlyStoppingConfig::new()
                .with_patience(3)
                .init()
                .expect("valid");
            for (epoch, &v) in values[..k].iter().enumerate() {
                original.observe(epoch, v);
            }
            let json = serde_json::to_string(&original.to_record()).expect("serializes");
            let mut resumed = EarlyStoppingConfig::new()
                .with_patience(3)
                .init()
                .expect("valid");
            resumed.load_record(serde_json::from_str(&json).expect("deserializes"));
            assert_eq!(resumed, original);
            for (epoch, &v) in values.iter().enumerate().skip(k) {
                assert_eq!(original.observe(epoch, v), resumed.observe(epoch, v));
            }
        }
    }

    #[test]
    fn rejects_invalid_configs() {
        assert_invalid(
            EarlyStoppingConfig::new().with_patience(0).init(),
            "patience",
        );
        assert_invalid(
            EarlyStoppingConfig::new().with_min_delta(-0.1).init(),
            "min_delta",
        );
    }
}
