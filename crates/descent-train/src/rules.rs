//! Rules applied at the end of every epoch: reduce the learning rate on a plateau, stop early,
//! stop when the loss has converged, stop when the rate has fallen to a floor.
//!
//! The rules themselves live in `descent-optim` ([`ReduceLrOnPlateau`], [`EarlyStopping`],
//! [`Convergence`], [`MinLrStop`]); this module says which epoch metric each one watches
//! ([`Monitor`]), holds their configuration in a run's [`TrainOptions`](crate::TrainOptions)
//! ([`EpochRules`]), and saves their state in every checkpoint ([`RulesState`]) so that a
//! resumed run decides exactly as an uninterrupted one.

use std::fmt;
use std::str::FromStr;

use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};
use descent_optim::{
    Convergence, ConvergenceConfig, ConvergenceRecord, EarlyStopping, EarlyStoppingConfig,
    EarlyStoppingRecord, MetricMode, MinLrStop, MinLrStopConfig, PlateauDecision,
    ReduceLrOnPlateau, ReduceLrOnPlateauConfig, Schedule, StopReason, StopRule,
};
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::history::EpochRecord;

/// An epoch metric a rule watches.
///
/// The validation metrics are those of the split held out of the training set
/// ([`ValidationSplit`](crate::ValidationSplit)), the right thing to tune on. The test metrics
/// are those of the test set, evaluated after every epoch: a run that monitors them to decide
/// when to stop has used that set for model selection (the trainer warns through its
/// observer), so its final test accuracy is no longer an unbiased test error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Monitor {
    /// Mean training loss over the epoch's steps: `train-loss`.
    TrainLoss,
    /// Training accuracy over the epoch's steps: `train-accuracy`.
    TrainAccuracy,
    /// Loss on the test set after the epoch: `test-loss`.
    TestLoss,
    /// Accuracy on the test set after the epoch: `test-accuracy`.
    TestAccuracy,
    /// Loss on the validation split after the epoch: `val-loss`.
    ValLoss,
    /// Accuracy on the validation split after the epoch: `val-accuracy`.
    ValAccuracy,
}

impl Monitor {
    /// Every monitor, in the order the help text lists them.
    pub const ALL: [Monitor; 6] = [
        Monitor::ValLoss,
        Monitor::ValAccuracy,
        Monitor::TestLoss,
        Monitor::TestAccuracy,
        Monitor::TrainLoss,
        Monitor::TrainAccuracy,
    ];

    /// Whether the metric should go down (a loss) or up (an accuracy).
    pub fn mode(self) -> MetricMode {
        match self {
            Monitor::TrainLoss | Monitor::TestLoss | Monitor::ValLoss => MetricMode::Min,
            Monitor::TrainAccuracy | Monitor::TestAccuracy | Monitor::ValAccuracy => {
                MetricMode::Max
            }
        }
    }

    /// Whether the metric is the test set's.
    pub fn needs_test_set(self) -> bool {
        matches!(self, Monitor::TestLoss | Monitor::TestAccuracy)
    }

    /// Whether the metric is the validation split's.
    pub fn needs_validation_set(self) -> bool {
        matches!(self, Monitor::ValLoss | Monitor::ValAccuracy)
    }

    /// The metric's value in an epoch's record (`None` for a test metric without a test set).
    pub fn read(self, record: &EpochRecord) -> Option<f64> {
        match self {
            Monitor::TrainLoss => Some(record.train.loss),
            Monitor::TrainAccuracy => Some(record.train.accuracy),
            Monitor::TestLoss => record.test.map(|m| m.loss),
            Monitor::TestAccuracy => record.test.map(|m| m.accuracy),
            Monitor::ValLoss => record.validation.map(|m| m.loss),
            Monitor::ValAccuracy => record.validation.map(|m| m.accuracy),
        }
    }

    /// The name [`FromStr`] takes and [`Display`](fmt::Display) prints, e.g. `val-loss`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Monitor::TrainLoss => "train-loss",
            Monitor::TrainAccuracy => "train-accuracy",
            Monitor::TestLoss => "test-loss",
            Monitor::TestAccuracy => "test-accuracy",
            Monitor::ValLoss => "val-loss",
            Monitor::ValAccuracy => "val-accuracy",
        }
    }
}

impl fmt::Display for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Monitor {
    type Err = TrainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        match wanted.as_str() {
            "train-loss" => Some(Monitor::TrainLoss),
            "train-accuracy" | "train-acc" => Some(Monitor::TrainAccuracy),
            "test-loss" => Some(Monitor::TestLoss),
            "test-accuracy" | "test-acc" => Some(Monitor::TestAccuracy),
            "val-loss" | "validation-loss" => Some(Monitor::ValLoss),
            "val-accuracy" | "val-acc" | "validation-accuracy" => Some(Monitor::ValAccuracy),
            _ => None,
        }
        .ok_or_else(|| TrainError::InvalidOption {
            field: "monitor",
            value: s.to_string(),
            reason: "expected val-loss, val-accuracy, test-loss, test-accuracy, train-loss or \
                     train-accuracy"
                .into(),
        })
    }
}

impl Serialize for Monitor {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Monitor {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Reduce the learning rate when `monitor` stops improving (PyTorch's `ReduceLROnPlateau`),
/// scaling whatever schedule the run uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlateauOptions {
    /// The metric watched.
    pub monitor: Monitor,
    /// The rule; its `mode` must agree with the monitor's ([`Monitor::mode`]).
    pub rule: ReduceLrOnPlateauConfig,
}

/// Stop when `monitor` has not improved for `patience` epochs, optionally ending with the best
/// epoch's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarlyStoppingOptions {
    /// The metric watched.
    pub monitor: Monitor,
    /// The rule; its `mode` must agree with the monitor's ([`Monitor::mode`]).
    pub rule: EarlyStoppingConfig,
}

/// The end-of-epoch rules of a run; all off by default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EpochRules {
    /// Reduce the rate on a plateau.
    #[serde(default)]
    pub plateau: Option<PlateauOptions>,
    /// Stop early.
    #[serde(default)]
    pub early_stopping: Option<EarlyStoppingOptions>,
    /// Stop when the training loss changes by less than a tolerance between epochs.
    #[serde(default)]
    pub convergence: Option<ConvergenceConfig>,
    /// Stop once the learning rate for the next epoch is at or below this.
    #[serde(default)]
    pub min_lr: Option<f64>,
}

impl EpochRules {
    /// Checks every rule's settings, naming the bad field.
    pub fn validate(&self) -> Result<(), TrainError> {
        ActiveRules::new(self).map(|_| ())
    }

    /// The metrics the rules watch (plateau, then early stopping).
    pub fn monitors(&self) -> impl Iterator<Item = Monitor> {
        let plateau = self.plateau.as_ref().map(|p| p.monitor);
        let early = self.early_stopping.as_ref().map(|e| e.monitor);
        [plateau, early].into_iter().flatten()
    }

    /// Whether a rule watches a metric of the test set.
    pub fn needs_test_set(&self) -> bool {
        self.monitors().any(Monitor::needs_test_set)
    }

    /// Whether a rule watches a metric of the validation split.
    pub fn needs_validation_set(&self) -> bool {
        self.monitors().any(Monitor::needs_validation_set)
    }

    /// Whether the best epoch's weights are to be restored at the end.
    pub fn restore_best(&self) -> bool {
        self.early_stopping
            .as_ref()
            .is_some_and(|e| e.rule.restore_best)
    }
}

/// Why and when a run stopped before its last epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stopped {
    /// The last epoch trained.
    pub epoch: usize,
    /// What the rule said, e.g. `no improvement in 3 epochs (best 0.41 at epoch 5)`.
    pub reason: String,
}

/// The rules' state, saved in every checkpoint's `state.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RulesState {
    /// Early stopping's best value, its epoch, and the epochs waited since.
    #[serde(default)]
    pub early_stopping: Option<EarlyStoppingRecord>,
    /// The convergence rule's previous loss and streak.
    #[serde(default)]
    pub convergence: Option<ConvergenceRecord>,
    /// Set once a rule has stopped the run: a resumed run does not train further.
    #[serde(default)]
    pub stopped: Option<Stopped>,
}

/// What the rules did at the end of an epoch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EpochVerdict {
    /// The plateau rule reduced the rate from `.0` to `.1`.
    pub reduced: Option<(f64, f64)>,
    /// This epoch is early stopping's new best.
    pub improved: bool,
    /// A rule stopped the run.
    pub stop: Option<StopReason>,
}

/// The learning-rate schedule a trainer steps: the run's own, or the run's own wrapped by the
/// plateau rule.
pub(crate) enum RateSchedule {
    Plain(Box<dyn LrScheduler>),
    Plateau(Monitor, Box<ReduceLrOnPlateau>),
}

impl RateSchedule {
    /// Wraps `schedule` in the plateau rule if the rules ask for one.
    pub(crate) fn new(
        schedule: Box<dyn LrScheduler>,
        rules: &EpochRules,
    ) -> Result<Self, TrainError> {
        Ok(match &rules.plateau {
            None => RateSchedule::Plain(schedule),
            Some(p) => RateSchedule::Plateau(
                p.monitor,
                Box::new(p.rule.init_with(Schedule::from(schedule))?),
            ),
        })
    }

    pub(crate) fn step(&mut self) -> f64 {
        match self {
            RateSchedule::Plain(s) => s.step(),
            RateSchedule::Plateau(_, s) => s.step(),
        }
    }

    pub(crate) fn to_record(&self) -> LrSchedulerRecord {
        match self {
            RateSchedule::Plain(s) => s.to_record(),
            RateSchedule::Plateau(_, s) => s.to_record(),
        }
    }

    pub(crate) fn load_record(&mut self, record: LrSchedulerRecord) {
        match self {
            RateSchedule::Plain(s) => s.load_record(record),
            RateSchedule::Plateau(_, s) => s.load_record(record),
        }
    }
}

/// The stopping rules of a run, built from [`EpochRules`].
pub(crate) struct ActiveRules {
    early: Option<(Monitor, EarlyStopping)>,
    convergence: Option<Convergence>,
    min_lr: Option<MinLrStop>,
}

impl ActiveRules {
    pub(crate) fn new(rules: &EpochRules) -> Result<Self, TrainError> {
        let mode_matches = |field: &'static str, monitor: Monitor, mode: MetricMode| {
            if monitor.mode() == mode {
                Ok(())
            } else {
                Err(TrainError::InvalidOption {
                    field,
                    value: mode.to_string(),
                    reason: format!(
                        "{monitor} should {} (mode {}); a mismatched mode would reward a \
                         worse model",
                        if monitor.mode() == MetricMode::Min {
                            "decrease"
                        } else {
                            "increase"
                        },
                        monitor.mode()
                    ),
                })
            }
        };
        if let Some(p) = &rules.plateau {
            mode_matches("plateau.mode", p.monitor, p.rule.mode)?;
            // Validates the rule's numbers (the schedule it wraps is validated elsewhere).
            p.rule.init(1.0)?;
        }
        let early = match &rules.early_stopping {
            Some(e) => {
                mode_matches("early_stopping.mode", e.monitor, e.rule.mode)?;
                Some((e.monitor, e.rule.init()?))
            }
            None => None,
        };
        let convergence = match &rules.convergence {
            Some(c) => Some(c.init()?),
            None => None,
        };
        let min_lr = match rules.min_lr {
            Some(threshold) => Some(MinLrStopConfig::new(threshold).init()?),
            None => None,
        };
        Ok(Self {
            early,
            convergence,
            min_lr,
        })
    }

    /// The rules' state for a checkpoint (`stopped` is left to the caller).
    pub(crate) fn save(&self, stopped: Option<Stopped>) -> RulesState {
        RulesState {
            early_stopping: self.early.as_ref().map(|(_, e)| e.to_record()),
            convergence: self.convergence.as_ref().map(Convergence::to_record),
            stopped,
        }
    }

    /// Restores the state saved by [`save`](Self::save).
    pub(crate) fn load(&mut self, state: &RulesState) {
        if let (Some((_, rule)), Some(record)) = (&mut self.early, &state.early_stopping) {
            rule.load_record(record.clone());
        }
        if let (Some(rule), Some(record)) = (&mut self.convergence, &state.convergence) {
            rule.load_record(record.clone());
        }
    }

    /// The epoch of early stopping's best value so far.
    pub(crate) fn best_epoch(&self) -> Option<usize> {
        self.early.as_ref().and_then(|(_, e)| e.best_epoch())
    }

    /// Feeds the finished epoch to every rule. `last_lr` is the rate of the epoch's last step,
    /// used for the rate floor when no plateau rule can say what the next rate is.
    pub(crate) fn after_epoch(
        &mut self,
        record: &EpochRecord,
        schedule: &mut RateSchedule,
    ) -> EpochVerdict {
        let mut verdict = EpochVerdict::default();
        let mut next_lr = record.lr;
        if let RateSchedule::Plateau(monitor, rule) = schedule {
            if let Some(value) = monitor.read(record)
                && let PlateauDecision::Reduced { from, to } = rule.observe(value)
            {
                verdict.reduced = Some((from, to));
            }
            next_lr = rule.lr();
        }
        let mut stops = Vec::new();
        if let Some((monitor, rule)) = &mut self.early {
            // A missing test metric counts as no improvement (NaN never improves).
            let value = monitor.read(record).unwrap_or(f64::NAN);
            let decision = rule.observe(record.epoch, value);
            verdict.improved = decision.improved();
            stops.extend(decision.reason().copied());
        }
        if let Some(rule) = &mut self.convergence {
            stops.extend(
                rule.observe(record.epoch, record.train.loss)
                    .reason()
                    .copied(),
            );
        }
        if let Some(rule) = &mut self.min_lr {
            stops.extend(rule.observe(record.epoch, next_lr).reason().copied());
        }
        verdict.stop = stops.into_iter().next();
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::Metrics;
    use descent_optim::ConstantLrConfig;

    fn record(epoch: usize, train_loss: f64, test_loss: f64, lr: f64) -> EpochRecord {
        let metrics = |loss| Metrics {
            loss,
            accuracy: 0.5,
            samples: 10,
        };
        EpochRecord {
            epoch,
            global_step: epoch as u64,
            lr,
            train: metrics(train_loss),
            validation: None,
            test: Some(metrics(test_loss)),
            seconds: 0.0,
        }
    }

    #[test]
    fn monitor_names_round_trip_and_bad_names_are_refused() {
        for m in Monitor::ALL {
            assert_eq!(m.to_string().parse::<Monitor>().expect("parses"), m);
            let json = serde_json::to_string(&m).expect("serializes");
            assert_eq!(serde_json::from_str::<Monitor>(&json).expect("reads"), m);
        }
        assert_eq!(
            "test_acc".parse::<Monitor>().ok(),
            Some(Monitor::TestAccuracy)
        );
        assert_eq!(
            "validation_accuracy".parse::<Monitor>().ok(),
            Some(Monitor::ValAccuracy)
        );
        let err = "dev-loss".parse::<Monitor>().expect_err("unknown");
        assert!(err.to_string().contains("monitor"), "{err}");
    }

    #[test]
    fn a_mode_against_the_monitor_is_refused() {
        let rules = EpochRules {
            early_stopping: Some(EarlyStoppingOptions {
                monitor: Monitor::TestLoss,
                rule: EarlyStoppingConfig::new().with_mode(MetricMode::Max),
            }),
            ..EpochRules::default()
        };
        let err = rules.validate().expect_err("mismatch");
        assert!(err.to_string().contains("early_stopping.mode"), "{err}");
        let rules = EpochRules {
            plateau: Some(PlateauOptions {
                monitor: Monitor::TestLoss,
                rule: ReduceLrOnPlateauConfig::new().with_factor(1.5),
            }),
            ..EpochRules::default()
        };
        let err = rules.validate().expect_err("factor");
        assert!(err.to_string().contains("factor"), "{err}");
    }

    /// The plateau rule halves the rate after `patience + 1` bad epochs; the rate floor then
    /// stops the run; the state round-trips through JSON.
    #[test]
    fn plateau_then_floor_stops_the_run() {
        let rules = EpochRules {
            plateau: Some(PlateauOptions {
                monitor: Monitor::TestLoss,
                rule: ReduceLrOnPlateauConfig::new()
                    .with_factor(0.5)
                    .with_patience(1),
            }),
            min_lr: Some(0.03),
            ..EpochRules::default()
        };
        let mut schedule = RateSchedule::new(
            Box::new(ConstantLrConfig::new(0.1).init().expect("valid")),
            &rules,
        )
        .expect("valid");
        let mut active = ActiveRules::new(&rules).expect("valid");
        // Test loss 1.0 then flat: epoch 3 is the second bad epoch -> 0.1 -> 0.05.
        let mut reductions = Vec::new();
        let mut stop_epoch = None;
        for epoch in 1..=8 {
            let lr = schedule.step();
            let verdict = active.after_epoch(&record(epoch, 1.0, 1.0, lr), &mut schedule);
            if let Some(r) = verdict.reduced {
                reductions.push((epoch, r));
            }
            if verdict.stop.is_some() {
                stop_epoch = Some(epoch);
                break;
            }
        }
        assert_eq!(reductions.len(), 2, "{reductions:?}");
        assert_eq!(reductions[0].0, 3);
        assert!((reductions[0].1.1 - 0.05).abs() < 1e-12);
        assert_eq!(reductions[1].0, 5);
        assert!((reductions[1].1.1 - 0.025).abs() < 1e-12);
        // 0.025 <= 0.03: the floor rule fires at the epoch of the second reduction.
        assert_eq!(stop_epoch, Some(5));
    }

    #[test]
    fn early_stopping_and_convergence_state_resumes() {
        let rules = EpochRules {
            early_stopping: Some(EarlyStoppingOptions {
                monitor: Monitor::TestLoss,
                rule: EarlyStoppingConfig::new().with_patience(2),
            }),
            convergence: Some(ConvergenceConfig::new(1e-3)),
            ..EpochRules::default()
        };
        let losses = [(2.0, 1.0), (1.5, 0.8), (1.2, 0.9), (1.1, 0.85), (1.0, 0.95)];
        let run = |split: Option<usize>| {
            let mut schedule = RateSchedule::new(
                Box::new(ConstantLrConfig::new(0.1).init().expect("valid")),
                &rules,
            )
            .expect("ok");
            let mut active = ActiveRules::new(&rules).expect("ok");
            let mut verdicts = Vec::new();
            for (i, (train, test)) in losses.iter().enumerate() {
                if split == Some(i) {
                    let json = serde_json::to_string(&active.save(None)).expect("saves");
                    active = ActiveRules::new(&rules).expect("ok");
                    active.load(&serde_json::from_str(&json).expect("loads"));
                }
                let lr = schedule.step();
                verdicts.push(active.after_epoch(&record(i + 1, *train, *test, lr), &mut schedule));
            }
            verdicts
        };
        let straight = run(None);
        assert_eq!(straight, run(Some(2)));
        assert!(straight[1].improved);
        // Epochs 3 and 4 do not beat 0.8: patience 2 runs out at epoch 4.
        assert!(straight[3].stop.is_some(), "{straight:?}");
        assert!(straight[2].stop.is_none());
    }
}
