//! Adam and AdamW (with optional AMSGrad), following `torch.optim.Adam` and `torch.optim.AdamW`.

use burn::config::Config;
use burn::module::Module;
use burn::optim::{
    GradientsParams, LearningRate, ModuleOptimizer, Optimizer, RecordState, StateSink, StateSource,
};
use burn::tensor::{Device, Tensor};

use super::clipping::{GradClipping, clip_with, module_optimizer_with};
use super::cycled::{MomentumHandle, effective};
use super::lerp::lerp;
use super::state::{Slot, put, put_opt, take};
use super::validate::{non_negative, positive, unit_interval};
use super::weight_decay::{WeightDecay, WeightDecayConfig, WeightDecayMode, apply_weight_decay};
use crate::OptimError;

/// Name of the step counter in the record.
const STEP_LEAF: &str = "step";

/// Configuration of [`Adam`] with `torch.optim.Adam` semantics; the learning rate is given to
/// every `step`.
///
/// One step `t = 1, 2, ..` for each parameter `p` with gradient `g` (moments start at zero):
///
/// 1. `g ← −g` if [`maximize`](Self::maximize); weight decay as in [`SgdConfig`](super::SgdConfig)
///    (coupled by default, like PyTorch's Adam; decoupled is exactly AdamW);
/// 2. `m ← lerp(m, g, 1 − β₁)`, `v ← β₂·v + (1 − β₂)·g²`;
/// 3. AMSGrad: `v̂ ← max(v̂, v)` and `v̂` replaces `v` below;
/// 4. `p ← p − (lr / (1 − β₁ᵗ)) · m / (sqrt(v) / sqrt(1 − β₂ᵗ) + ε)`.
///
/// Checked against PyTorch in the tests. Differs from Burn's `AdamConfig` on purpose: `eps`
/// defaults to `1e-8` (Burn: `1e-5`) and is added after the bias correction of `sqrt(v)`, as
/// in PyTorch.
#[derive(Config, Debug, PartialEq)]
pub struct AdamConfig {
    /// Decay rate `β₁` of the first moment, in `[0, 1)`.
    #[config(default = 0.9)]
    pub beta_1: f64,
    /// Decay rate `β₂` of the second moment, in `[0, 1)`.
    #[config(default = 0.999)]
    pub beta_2: f64,
    /// `ε > 0` added to the denominator.
    #[config(default = 1e-8)]
    pub eps: f64,
    /// Weight decay; coupled (L2) as PyTorch's Adam, or decoupled (= AdamW).
    pub weight_decay: Option<WeightDecayConfig>,
    /// Use the AMSGrad variant (Reddi et al., <https://openreview.net/forum?id=ryQu7f-RZ>).
    #[config(default = false)]
    pub amsgrad: bool,
    /// Ascend instead of descend.
    #[config(default = false)]
    pub maximize: bool,
    /// Gradient clipping; see [`GradClipping`].
    pub grad_clipping: Option<GradClipping>,
}

/// Configuration of AdamW (Loshchilov & Hutter, <https://arxiv.org/abs/1711.05101>) with
/// `torch.optim.AdamW` semantics: Adam whose weight decay is always decoupled,
/// `p ← p·(1 − lr·λ)` before the Adam update (the decay is multiplied by the step's learning
/// rate, as in PyTorch). Builds the same [`Adam`] optimizer as
/// `AdamConfig` with a decoupled [`WeightDecayConfig`].
#[derive(Config, Debug, PartialEq)]
pub struct AdamWConfig {
    /// Decay rate `β₁` of the first moment, in `[0, 1)`.
    #[config(default = 0.9)]
    pub beta_1: f64,
    /// Decay rate `β₂` of the second moment, in `[0, 1)`.
    #[config(default = 0.999)]
    pub beta_2: f64,
    /// `ε > 0` added to the denominator.
    #[config(default = 1e-8)]
    pub eps: f64,
    /// Decoupled weight decay `λ >= 0` (PyTorch's default `1e-2`).
    #[config(default = 1e-2)]
    pub weight_decay: f64,
    /// Use the AMSGrad variant.
    #[config(default = false)]
    pub amsgrad: bool,
    /// Ascend instead of descend.
    #[config(default = false)]
    pub maximize: bool,
    /// Gradient clipping; see [`GradClipping`].
    pub grad_clipping: Option<GradClipping>,
}

impl AdamConfig {
    /// Check every field.
    pub fn validate(&self) -> Result<(), OptimError> {
        unit_interval("beta_1", self.beta_1)?;
        unit_interval("beta_2", self.beta_2)?;
        positive("eps", self.eps)?;
        if let Some(decay) = &self.weight_decay {
            decay.validate()?;
        }
        if let Some(clipping) = &self.grad_clipping {
            clipping.validate()?;
        }
        Ok(())
    }

    /// The bare per-tensor optimizer (no clipping; see [`init`](Self::init)).
    pub fn build(&self) -> Result<Adam, OptimError> {
        self.validate()?;
        Ok(Adam {
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            eps: self.eps,
            weight_decay: self
                .weight_decay
                .as_ref()
                .and_then(WeightDecayConfig::build),
            amsgrad: self.amsgrad,
            maximize: self.maximize,
            cycled: None,
        })
    }

    /// Validate and build the module optimizer with value or per-tensor clipping attached.
    pub fn init(&self) -> Result<ModuleOptimizer, OptimError> {
        self.init_from(self.build()?)
    }

    /// [`init`](Self::init), with `β1` taken from `handle` whenever it is set (see
    /// [`MomentumHandle`]).
    pub fn init_with_momentum(
        &self,
        handle: &MomentumHandle,
    ) -> Result<ModuleOptimizer, OptimError> {
        let mut optim = self.build()?;
        optim.cycled = Some(handle.clone());
        self.init_from(optim)
    }

    fn init_from(&self, optim: Adam) -> Result<ModuleOptimizer, OptimError> {
        Ok(module_optimizer_with(optim, self.grad_clipping.as_ref()))
    }

    /// Apply global-norm clipping if configured (a no-op otherwise); call before `step`.
    pub fn clip_gradients<M: Module>(&self, module: &M, grads: GradientsParams) -> GradientsParams {
        clip_with(self.grad_clipping.as_ref(), module, grads)
    }
}

impl AdamWConfig {
    /// The equivalent [`AdamConfig`] (decoupled weight decay).
    pub fn to_adam(&self) -> AdamConfig {
        AdamConfig {
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            eps: self.eps,
            weight_decay: Some(WeightDecayConfig::decoupled(self.weight_decay)),
            amsgrad: self.amsgrad,
            maximize: self.maximize,
            grad_clipping: self.grad_clipping.clone(),
        }
    }

    /// Check every field.
    pub fn validate(&self) -> Result<(), OptimError> {
        non_negative("weight_decay", self.weight_decay)?;
        self.to_adam().validate()
    }

    /// The bare per-tensor optimizer (no clipping; see [`init`](Self::init)).
    pub fn build(&self) -> Result<Adam, OptimError> {
        self.validate()?;
        self.to_adam().build()
    }

    /// Validate and build the module optimizer with value or per-tensor clipping attached.
    pub fn init(&self) -> Result<ModuleOptimizer, OptimError> {
        self.validate()?;
        self.to_adam().init()
    }

    /// [`init`](Self::init), with `β1` taken from `handle` whenever it is set (see
    /// [`MomentumHandle`]).
    pub fn init_with_momentum(
        &self,
        handle: &MomentumHandle,
    ) -> Result<ModuleOptimizer, OptimError> {
        self.validate()?;
        self.to_adam().init_with_momentum(handle)
    }

    /// Apply global-norm clipping if configured (a no-op otherwise); call before `step`.
    pub fn clip_gradients<M: Module>(&self, module: &M, grads: GradientsParams) -> GradientsParams {
        clip_with(self.grad_clipping.as_ref(), module, grads)
    }
}

/// The Adam / AdamW optimizer (see [`AdamConfig`], [`AdamWConfig`]); a Burn [`Optimizer`].
#[derive(Debug, Clone)]
pub struct Adam {
    beta_1: f64,
    beta_2: f64,
    eps: f64,
    weight_decay: Option<WeightDecay>,
    amsgrad: bool,
    maximize: bool,
    /// A `β1` set from outside, step by step (cycled momentum).
    cycled: Option<MomentumHandle>,
}

impl Adam {
    /// Whether this is AdamW (decoupled weight decay).
    pub fn is_decoupled(&self) -> bool {
        matches!(
            self.weight_decay,
            Some(WeightDecay {
                mode: WeightDecayMode::Decoupled,
                ..
            })
        )
    }
}

/// Per-parameter state of [`Adam`], recorded as the scalar `step` (`t`) and the leaves
/// `exp_avg` (`m`), `exp_avg_sq` (`v`) and `max_exp_avg_sq` (AMSGrad only).
#[derive(Clone)]
pub struct AdamState<const D: usize> {
    step: u64,
    exp_avg: Slot<D>,
    exp_avg_sq: Slot<D>,
    max_exp_avg_sq: Option<Slot<D>>,
}

impl<const D: usize> AdamState<D> {
    /// Number of steps taken so far.
    pub fn step(&self) -> u64 {
        self.step
    }
}

impl<const D: usize> RecordState for AdamState<D> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        out.push_scalar(prefix, STEP_LEAF, burn_pack::Scalar::from(self.step));
        put(out, prefix, "exp_avg", &self.exp_avg);
        put(out, prefix, "exp_avg_sq", &self.exp_avg_sq);
        put_opt(out, prefix, "max_exp_avg_sq", &self.max_exp_avg_sq);
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, _device: &Device) -> Option<Self> {
        let step = u64::try_from(src.take_scalar(prefix, STEP_LEAF)?).ok()?;
        Some(Self {
            step,
            exp_avg: take(src, prefix, "exp_avg")?,
            exp_avg_sq: take(src, prefix, "exp_avg_sq")?,
            max_exp_avg_sq: take(src, prefix, "max_exp_avg_sq"),
        })
    }
}

impl Optimizer for Adam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let grad = if self.maximize { grad.neg() } else { grad };
        let (tensor, grad) = apply_weight_decay(self.weight_decay.as_ref(), lr, tensor, grad);
        let device = grad.device();
        let (step, exp_avg, exp_avg_sq, max_exp_avg_sq) = match state {
            Some(s) => (
                s.step + 1,
                Some(s.exp_avg.resolve(&device)),
                Some(s.exp_avg_sq.resolve(&device)),
                s.max_exp_avg_sq.map(|slot| slot.resolve(&device)),
            ),
            None => (1, None, None, None),
        };

        // A cycled β1 (PyTorch's `CyclicLR`/`OneCycleLR` set `betas[0]`) enters the average and
        // the bias correction of this step, as in PyTorch.
        let beta_1 = effective(self.cycled.as_ref(), self.beta_1);
        let exp_avg = lerp(exp_avg, grad.clone(), 1.0 - beta_1);
        // PyTorch: exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2).
        let fresh = grad.clone().mul_scalar(1.0 - self.beta_2).mul(grad);
        let exp_avg_sq = match exp_avg_sq {
            Some(v) => v.mul_scalar(self.beta_2).add(fresh),
            None => fresh,
        };
        let max_exp_avg_sq = self.amsgrad.then(|| match max_exp_avg_sq {
            Some(max) => max.max_pair(exp_avg_sq.clone()),
            None => exp_avg_sq.clone(),
        });

        // Bias corrections in f64, as PyTorch computes them with Python floats.
        let t = i32::try_from(step).unwrap_or(i32::MAX);
        let step_size = lr / (1.0 - beta_1.powi(t));
        let bias_correction2_sqrt = (1.0 - self.beta_2.powi(t)).sqrt();
        let second = max_exp_avg_sq.as_ref().unwrap_or(&exp_avg_sq).clone();
        let denom = second
            .sqrt()
            .div_scalar(bias_correction2_sqrt)
            .add_scalar(self.eps);
        let tensor = tensor.sub(exp_avg.clone().div(denom).mul_scalar(step_size));
        (
            tensor,
            Some(AdamState {
                step,
                exp_avg: Slot::Ready(exp_avg),
                exp_avg_sq: Slot::Ready(exp_avg_sq),
                max_exp_avg_sq: max_exp_avg_sq.map(Slot::Ready),
            }),
        )
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        AdamState {
            step: state.step,
            exp_avg: state.exp_avg.into_device(device),
            exp_avg_sq: state.exp_avg_sq.into_device(device),
            max_exp_avg_sq: state.max_exp_avg_sq.map(|t| t.into_device(device)),
        }
    }
}

#[cfg(test)]
mod tests;
