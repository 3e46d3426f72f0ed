//! Snapshot ensembles (Huang et al. 2017, <https://arxiv.org/abs/1704.00109>): models cached at
//! the end of warm-restart cycles (or chosen epochs), predicting with the mean of their softmax
//! outputs.

use burn::module::Module;
use burn::tensor::activation::softmax;
use burn::tensor::{Int, Tensor};

use crate::OptimError;

const WHAT: &str = "snapshot ensemble";

/// When to take a snapshot: at the end of which (0-based) epochs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotPolicy {
    /// At the end of each warm-restart cycle of SGDR with these `t_0` and `t_mult` (as
    /// [`WarmRestarts`](crate::schedule::WarmRestarts) counts them, in epochs): after epochs
    /// `t_0 - 1`, `t_0 + t_0 * t_mult - 1`, ...
    CycleEnds {
        /// Length of the first cycle in epochs (>= 1).
        t_0: usize,
        /// Growth factor of the cycle lengths (>= 1).
        t_mult: usize,
    },
    /// At the end of each of these epochs.
    Epochs(Vec<usize>),
}

impl SnapshotPolicy {
    /// Whether a snapshot is due at the end of `epoch` (0-based).
    pub fn is_due(&self, epoch: usize) -> bool {
        match self {
            SnapshotPolicy::CycleEnds { t_0, t_mult } => {
                let (mut end, mut length) = (*t_0, *t_0);
                if length == 0 {
                    return false;
                }
                // `end` is the first epoch of the next cycle.
                while end <= epoch {
                    length = length.saturating_mul((*t_mult).max(1));
                    end = end.saturating_add(length);
                }
                end == epoch + 1
            }
            SnapshotPolicy::Epochs(epochs) => epochs.contains(&epoch),
        }
    }

    /// The snapshot epochs among the first `epochs` epochs, in order.
    pub fn due_epochs(&self, epochs: usize) -> Vec<usize> {
        (0..epochs).filter(|&e| self.is_due(e)).collect()
    }
}

/// The summed metrics of an ensemble over some examples.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EnsembleMetrics {
    /// Sum over examples of `-ln(p_target)`, `p` the averaged probabilities (clamped at 1e-30).
    pub nll_sum: f64,
    /// Examples whose highest averaged probability is the target.
    pub correct: u64,
    /// Examples seen.
    pub samples: usize,
}

impl EnsembleMetrics {
    /// Mean negative log-likelihood of the averaged probabilities.
    pub fn loss(&self) -> f64 {
        self.nll_sum / self.samples.max(1) as f64
    }

    /// Fraction of examples classified correctly.
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.samples.max(1) as f64
    }

    /// Adds the sums of `other` (another batch).
    pub fn merge(&mut self, other: EnsembleMetrics) {
        self.nll_sum += other.nll_sum;
        self.correct += other.correct;
        self.samples += other.samples;
    }
}

/// A list of models of one architecture that predict together: the mean of their softmax
/// outputs.
///
/// Members come from snapshots taken during training ([`SnapshotPolicy`]) or from any list of
/// checkpoints. Each member is kept in evaluation mode ([`Module::valid`]).
///
/// ```
/// use burn::nn::LinearConfig;
/// use burn::tensor::{Device, Int, Tensor};
/// use descent_optim::averaging::SnapshotEnsemble;
///
/// let device = Device::flex();
/// let members = (0..3).map(|_| LinearConfig::new(4, 3).init(&device)).collect();
/// let ensemble = SnapshotEnsemble::new(members)?;
/// let x = Tensor::<2>::ones([5, 4], &device);
/// let probs = ensemble.predict_proba(|m| m.forward(x.clone()))?;
/// assert_eq!(probs.dims(), [5, 3]);
/// let targets = Tensor::<1, Int>::zeros([5], &device);
/// let metrics = ensemble.evaluate(|m| m.forward(x.clone()), targets)?;
/// assert_eq!(metrics.samples, 5);
/// # Ok::<(), descent_optim::OptimError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SnapshotEnsemble<M> {
    members: Vec<M>,
}

impl<M: Module> SnapshotEnsemble<M> {
    /// An ensemble of `members`.
    ///
    /// # Errors
    ///
    /// [`OptimError::Averaging`] when `members` is empty.
    pub fn new(members: Vec<M>) -> Result<Self, OptimError> {
        if members.is_empty() {
            return Err(OptimError::Averaging {
                what: WHAT,
                reason: "needs at least one model".into(),
            });
        }
        Ok(Self {
            members: members.iter().map(Module::valid).collect(),
        })
    }

    /// Adds a member (a snapshot of a live model: its evaluation-mode copy is kept).
    pub fn push(&mut self, member: &M) {
        self.members.push(member.valid());
    }

    /// The members, in evaluation mode.
    pub fn members(&self) -> &[M] {
        &self.members
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Always false: an ensemble has at least one member.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The mean over members of `softmax(logits(member))` along dimension 1, `[batch, classes]`.
    ///
    /// # Errors
    ///
    /// [`OptimError::Averaging`] when members give logits of different shapes.
    pub fn predict_proba(
        &self,
        mut logits: impl FnMut(&M) -> Tensor<2>,
    ) -> Result<Tensor<2>, OptimError> {
        let mut sum: Option<Tensor<2>> = None;
        for (i, member) in self.members.iter().enumerate() {
            let probs = softmax(logits(member).without_autodiff(), 1);
            sum = Some(match sum {
                None => probs,
                Some(sum) if sum.dims() == probs.dims() => sum + probs,
                Some(sum) => {
                    return Err(OptimError::Averaging {
                        what: WHAT,
                        reason: format!(
                            "member {i} gives logits of shape {:?}, member 0 {:?}",
                            probs.dims(),
                            sum.dims()
                        ),
                    });
                }
            });
        }
        let sum = sum.ok_or_else(|| OptimError::Averaging {
            what: WHAT,
            reason: "needs at least one model".into(),
        })?;
        Ok(sum.div_scalar(self.members.len() as f64))
    }

    /// Loss (NLL of the averaged probabilities) and accuracy sums over one batch.
    ///
    /// # Errors
    ///
    /// [`OptimError::Averaging`] when members disagree on the logits' shape or `targets` does
    /// not have one label per row.
    pub fn evaluate(
        &self,
        logits: impl FnMut(&M) -> Tensor<2>,
        targets: Tensor<1, Int>,
    ) -> Result<EnsembleMetrics, OptimError> {
        let probs = self.predict_proba(logits)?;
        let [rows, _] = probs.dims();
        if targets.dims() != [rows] {
            return Err(OptimError::Averaging {
                what: WHAT,
                reason: format!("{rows} predictions but {} targets", targets.dims()[0]),
            });
        }
        let targets = targets.to_device(&probs.device());
        let picked = probs
            .clone()
            .gather(1, targets.clone().reshape([rows, 1]))
            .reshape([rows]);
        let nll_sum = picked
            .clamp_min(1e-30)
            .log()
            .neg()
            .sum()
            .into_scalar::<f64>();
        let predicted = probs.argmax(1).reshape([rows]);
        let correct = predicted.equal(targets).int().sum().into_scalar::<i64>();
        Ok(EnsembleMetrics {
            nll_sum,
            correct: correct.max(0) as u64,
            samples: rows,
        })
    }
}
