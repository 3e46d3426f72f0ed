//! [`AveragedModel`]: a running average of a module's weights (SWA's equal-weight mean or an
//! exponential moving average), matched parameter by parameter through Burn's `ParamId`s.

use burn::module::Module;
use burn::tensor::Tensor;

use super::BufferPolicy;
use super::walk::{self, Role};
use crate::OptimError;

/// How each update folds the live weights `w` into the average `avg`.
///
/// The first update of either rule copies the weights (PyTorch's `AveragedModel`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AveragingRule {
    /// Equal weights over all updates (SWA): `avg + (w - avg) / (n + 1)` after `n` updates,
    /// i.e. the exact running mean.
    Equal,
    /// Exponential moving average: `avg + (1 - decay) * (w - avg)` (`decay * avg +
    /// (1 - decay) * w`, PyTorch's `get_ema_multi_avg_fn`).
    Ema {
        /// Weight of the old average, in [0, 1).
        decay: f64,
    },
}

/// An averaged copy of a module, updated from the live model at chosen points.
///
/// The copy is made with [`Module::valid`] from the live model, so it has the same parameter
/// ids, lives on the live model's device without autodiff, owns its batch-norm buffers (Burn's
/// `RunningState`s are shared between clones; `valid` copies them), and is in evaluation mode.
/// [`update`](Self::update) matches the live tensors to the copy's by `ParamId`, never by
/// position, and fails with a typed error when the two models do not have the same tensors.
///
/// ```
/// use burn::module::Module;
/// use burn::nn::LinearConfig;
/// use burn::tensor::{Device, Tensor};
/// use descent_optim::averaging::SwaConfig;
///
/// let device = Device::flex();
/// let mut live = LinearConfig::new(2, 1).init(&device);
/// let mut swa = SwaConfig::new().init(&live);
/// let first = live.weight.val();
/// swa.update(&live)?; // copies
/// live.weight = live.weight.map(|w| w + 1.0); // "train"
/// swa.update(&live)?; // the mean of the two
/// let expected = first + 0.5;
/// let got = swa.model().weight.val();
/// assert!((got - expected).abs().max().into_scalar::<f32>() < 1e-6);
/// assert_eq!(swa.n_averaged(), 2);
/// # Ok::<(), descent_optim::OptimError>(())
/// ```
#[derive(Clone, Debug)]
pub struct AveragedModel<M> {
    model: M,
    rule: AveragingRule,
    buffers: BufferPolicy,
    n_averaged: u64,
}

impl<M: Module> AveragedModel<M> {
    /// Starts an average of `live` (no update yet: the first [`update`](Self::update) copies).
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `decay` when an EMA decay is outside [0, 1).
    pub fn new(live: &M, rule: AveragingRule, buffers: BufferPolicy) -> Result<Self, OptimError> {
        Self::from_parts(live.valid(), rule, buffers, 0)
    }

    /// Starts an average without validating the rule (for rules that cannot be invalid).
    pub(super) fn start(live: &M, rule: AveragingRule, buffers: BufferPolicy) -> Self {
        Self {
            model: live.valid(),
            rule,
            buffers,
            n_averaged: 0,
        }
    }

    /// Rebuilds an average from a saved averaged model and its update count (to resume).
    ///
    /// `model` must carry the parameter ids of the live model it will be updated from; a model
    /// loaded from a Burn record gets the ids saved in the record, which are the live model's
    /// when both were saved from the same run.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `decay` when an EMA decay is outside [0, 1).
    pub fn from_parts(
        model: M,
        rule: AveragingRule,
        buffers: BufferPolicy,
        n_averaged: u64,
    ) -> Result<Self, OptimError> {
        if let AveragingRule::Ema { decay } = rule
            && !(0.0..1.0).contains(&decay)
        {
            return Err(OptimError::InvalidConfig {
                field: "decay",
                value: decay.to_string(),
                reason: "must lie in [0, 1)".into(),
            });
        }
        Ok(Self {
            model: model.valid(),
            rule,
            buffers,
            n_averaged,
        })
    }

    /// Folds the current weights of `live` into the average.
    ///
    /// # Errors
    ///
    /// [`OptimError::Averaging`] when `live` has a tensor the average lacks, or the reverse, or
    /// a tensor of another size (not the model the average was started from). The average is
    /// unchanged then.
    pub fn update(&mut self, live: &M) -> Result<(), OptimError> {
        // `valid()` syncs batch-norm updates still pending from the last forward pass.
        let live = walk::collect(&live.valid());
        let mut error = None;
        let mut matched = std::collections::HashSet::new();
        let first = self.n_averaged == 0;
        let (rule, buffers, n) = (self.rule, self.buffers, self.n_averaged);
        let updated = walk::rewrite(self.model.clone(), |role, id, path, avg: Tensor<1>| {
            let Some(entry) = live.get(&id) else {
                error.get_or_insert_with(|| format!("the live model has no tensor for {path}"));
                return None;
            };
            if entry.value.dims() != avg.dims() {
                error.get_or_insert_with(|| {
                    format!(
                        "{path} has {} values in the average but {} in the live model",
                        avg.dims()[0],
                        entry.value.dims()[0]
                    )
                });
                return None;
            }
            matched.insert(id);
            let w = entry.value.clone().to_device(&avg.device());
            if first || (role == Role::Buffer && buffers == BufferPolicy::Copy) {
                return Some(w);
            }
            Some(match rule {
                AveragingRule::Equal => avg.clone() + (w - avg).div_scalar((n + 1) as f64),
                AveragingRule::Ema { decay } => avg.clone() + (w - avg).mul_scalar(1.0 - decay),
            })
        });
        if error.is_none() && matched.len() != live.len() {
            let mut extra: Vec<&str> = live
                .iter()
                .filter(|(id, _)| !matched.contains(*id))
                .map(|(_, e)| e.path.as_str())
                .collect();
            extra.sort_unstable();
            error = Some(format!(
                "the average has no tensor for {} of the live model (another architecture?)",
                extra.join(", ")
            ));
        }
        if let Some(reason) = error {
            return Err(OptimError::Averaging {
                what: "weight averaging update",
                reason,
            });
        }
        self.model = updated;
        self.n_averaged += 1;
        Ok(())
    }

    /// The averaged model, in evaluation mode, with its own copy of the buffers.
    ///
    /// After an update with [`BufferPolicy::Copy`] its batch-norm statistics are the live
    /// model's; recompute them with [`recompute_batch_norm`](super::recompute_batch_norm)
    /// before evaluating.
    pub fn model(&self) -> M {
        self.model.valid()
    }

    /// Consumes the average, returning the averaged model (evaluation mode).
    pub fn into_model(self) -> M {
        self.model
    }

    /// How many updates the average holds (0 before the first).
    pub fn n_averaged(&self) -> u64 {
        self.n_averaged
    }

    /// The averaging rule.
    pub fn rule(&self) -> AveragingRule {
        self.rule
    }

    /// What updates do with buffers.
    pub fn buffers(&self) -> BufferPolicy {
        self.buffers
    }
}
