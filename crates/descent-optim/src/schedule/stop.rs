//! What a stopping rule tells the training loop.

/// The verdict of a stopping rule after an epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StopDecision {
    /// Keep training.
    Continue {
        /// This epoch is the best so far: save it if the best checkpoint is to be restored.
        /// Always `false` for rules that track no best value.
        improved: bool,
    },
    /// Stop after this epoch.
    Stop(StopReason),
}

impl StopDecision {
    /// Whether training should stop.
    pub fn should_stop(&self) -> bool {
        matches!(self, StopDecision::Stop(_))
    }

    /// Whether this epoch is a new best.
    pub fn improved(&self) -> bool {
        matches!(self, StopDecision::Continue { improved: true })
    }

    /// Why training should stop, if it should.
    pub fn reason(&self) -> Option<&StopReason> {
        match self {
            StopDecision::Stop(reason) => Some(reason),
            StopDecision::Continue { .. } => None,
        }
    }
}

/// Why a stopping rule ended training.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StopReason {
    /// Early stopping: the metric did not improve for `patience` epochs.
    NoImprovement {
        /// Consecutive epochs without improvement.
        epochs_without_improvement: usize,
        /// The best value seen, `None` if no finite value was ever observed.
        best: Option<f64>,
        /// The epoch (as passed to `observe`) of the best value.
        best_epoch: Option<usize>,
        /// Whether the rule was configured to restore the best epoch's weights.
        restore_best: bool,
    },
    /// The metric changed by less than the tolerance for `patience` consecutive epochs.
    Converged {
        /// The epoch at which convergence was declared.
        epoch: usize,
        /// The last change between consecutive epochs.
        change: f64,
        /// The tolerance it fell below (already scaled when relative).
        tol: f64,
    },
    /// The learning rate is at or below the threshold.
    LrBelowThreshold {
        /// The rate observed.
        lr: f64,
        /// The threshold.
        threshold: f64,
    },
}

impl StopReason {
    /// The epoch whose checkpoint the trainer should restore before finishing: the best epoch when
    /// early stopping was configured with `restore_best`, otherwise `None`.
    pub fn restore_epoch(&self) -> Option<usize> {
        match self {
            StopReason::NoImprovement {
                best_epoch,
                restore_best: true,
                ..
            } => *best_epoch,
            _ => None,
        }
    }
}

impl core::fmt::Display for StopReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StopReason::NoImprovement {
                epochs_without_improvement,
                best,
                best_epoch,
                ..
            } => {
                write!(f, "no improvement in {epochs_without_improvement} epochs")?;
                match (best, best_epoch) {
                    (Some(best), Some(epoch)) => write!(f, " (best {best} at epoch {epoch})"),
                    _ => Ok(()),
                }
            }
            StopReason::Converged { epoch, change, tol } => {
                write!(f, "converged at epoch {epoch}: change {change} below {tol}")
            }
            StopReason::LrBelowThreshold { lr, threshold } => {
                write!(f, "learning rate {lr} at or below {threshold}")
            }
        }
    }
}

/// A rule fed once per epoch that may end training.
///
/// `epoch` is the trainer's epoch index (any numbering, increasing); `value` is the monitored
/// quantity: a validation metric for [`EarlyStopping`](super::EarlyStopping), the training loss
/// for [`Convergence`](super::Convergence), the current learning rate for
/// [`MinLrStop`](super::MinLrStop).
pub trait StopRule {
    /// Feeds the value of the epoch that just ended.
    fn observe(&mut self, epoch: usize, value: f64) -> StopDecision;
}
