//! RMSProp (Hinton's lecture 6e), plain or centered, with momentum, following
//! `torch.optim.RMSprop`.

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
use super::validate::{positive, unit_interval};
use super::weight_decay::{WeightDecay, WeightDecayConfig, apply_weight_decay};
use crate::OptimError;

/// Configuration of [`RmsProp`]; the learning rate is given to every `step`.
///
/// One step, for each parameter `p` with gradient `g` (state starts at zero, as in PyTorch):
///
/// 1. `g ← −g` if [`maximize`](Self::maximize); weight decay as in [`SgdConfig`](super::SgdConfig);
/// 2. `v ← α·v + (1 − α)·g²`;
/// 3. centered: `m ← lerp(m, g, 1 − α)`, `s = sqrt(v − m²) + ε`; otherwise `s = sqrt(v) + ε`;
/// 4. with momentum `μ > 0`: `b ← μ·b + g/s`, `p ← p − lr·b`; otherwise `p ← p − lr·g/s`.
///
/// This is `torch.optim.RMSprop` (defaults `alpha = 0.99`, `eps = 1e-8`); the tests check it
/// against PyTorch. Differs from Burn's `RmsPropConfig` (`epsilon = 1e-5` default, `eps`
/// added differently in the centered form).
#[derive(Config, Debug, PartialEq)]
pub struct RmsPropConfig {
    /// Smoothing constant `α` of the squared-gradient average, in `[0, 1)`.
    #[config(default = 0.99)]
    pub alpha: f64,
    /// `ε > 0` added to the denominator.
    #[config(default = 1e-8)]
    pub eps: f64,
    /// Momentum factor `μ` in `[0, 1)`; 0 for none. The buffer starts at zero (PyTorch).
    #[config(default = 0.0)]
    pub momentum: f64,
    /// Normalise by the estimated variance `v − m²` instead of `v`.
    #[config(default = false)]
    pub centered: bool,
    /// Weight decay (PyTorch's RMSprop only has the coupled mode; decoupled is ours).
    pub weight_decay: Option<WeightDecayConfig>,
    /// Ascend instead of descend.
    #[config(default = false)]
    pub maximize: bool,
    /// Gradient clipping; see [`GradClipping`].
    pub grad_clipping: Option<GradClipping>,
}

impl RmsPropConfig {
    /// Check every field.
    pub fn validate(&self) -> Result<(), OptimError> {
        unit_interval("alpha", self.alpha)?;
        positive("eps", self.eps)?;
        unit_interval("momentum", self.momentum)?;
        if let Some(decay) = &self.weight_decay {
            decay.validate()?;
        }
        if let Some(clipping) = &self.grad_clipping {
            clipping.validate()?;
        }
        Ok(())
    }

    /// The bare per-tensor optimizer (no clipping; see [`init`](Self::init)).
    pub fn build(&self) -> Result<RmsProp, OptimError> {
        self.validate()?;
        Ok(RmsProp {
            alpha: self.alpha,
            eps: self.eps,
            momentum: self.momentum,
            centered: self.centered,
            weight_decay: self
                .weight_decay
                .as_ref()
                .and_then(WeightDecayConfig::build),
            maximize: self.maximize,
            cycled: None,
        })
    }

    /// Validate and build the module optimizer with value or per-tensor clipping attached.
    pub fn init(&self) -> Result<ModuleOptimizer, OptimError> {
        self.init_from(self.build()?)
    }

    /// [`init`](Self::init), with the momentum taken from `handle` whenever it is set and this
    /// RMSProp has momentum (see [`MomentumHandle`]).
    pub fn init_with_momentum(
        &self,
        handle: &MomentumHandle,
    ) -> Result<ModuleOptimizer, OptimError> {
        let mut optim = self.build()?;
        optim.cycled = Some(handle.clone());
        self.init_from(optim)
    }

    fn init_from(&self, optim: RmsProp) -> Result<ModuleOptimizer, OptimError> {
        Ok(module_optimizer_with(optim, self.grad_clipping.as_ref()))
    }

    /// Apply global-norm clipping if configured (a no-op otherwise); call before `step`.
    pub fn clip_gradients<M: Module>(&self, module: &M, grads: GradientsParams) -> GradientsParams {
        clip_with(self.grad_clipping.as_ref(), module, grads)
    }
}

/// The RMSProp optimizer (see [`RmsPropConfig`]); a Burn [`Optimizer`].
#[derive(Debug, Clone)]
pub struct RmsProp {
    alpha: f64,
    eps: f64,
    momentum: f64,
    centered: bool,
    weight_decay: Option<WeightDecay>,
    maximize: bool,
    /// A momentum set from outside, step by step (cycled momentum).
    cycled: Option<MomentumHandle>,
}

/// Per-parameter state of [`RmsProp`], recorded as the leaves `square_avg` (`v`), `grad_avg`
/// (`m`, centered only) and `momentum_buffer` (`b`, momentum > 0 only).
#[derive(Clone)]
pub struct RmsPropState<const D: usize> {
    square_avg: Slot<D>,
    grad_avg: Option<Slot<D>>,
    momentum_buffer: Option<Slot<D>>,
}

impl<const D: usize> RecordState for RmsPropState<D> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        put(out, prefix, "square_avg", &self.square_avg);
        put_opt(out, prefix, "grad_avg", &self.grad_avg);
        put_opt(out, prefix, "momentum_buffer", &self.momentum_buffer);
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, _device: &Device) -> Option<Self> {
        Some(Self {
            square_avg: take(src, prefix, "square_avg")?,
            grad_avg: take(src, prefix, "grad_avg"),
            momentum_buffer: take(src, prefix, "momentum_buffer"),
        })
    }
}

impl Optimizer for RmsProp {
    type State<const D: usize> = RmsPropState<D>;

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
        let resolve = |slot: Option<Slot<D>>| slot.map(|s| s.resolve(&device));
        let (square_avg, grad_avg, momentum_buffer) = match state {
            Some(s) => (
                Some(s.square_avg.resolve(&device)),
                resolve(s.grad_avg),
                resolve(s.momentum_buffer),
            ),
            None => (None, None, None),
        };

        // PyTorch: square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha).
        let fresh = grad.clone().mul_scalar(1.0 - self.alpha).mul(grad.clone());
        let square_avg = match square_avg {
            Some(v) => v.mul_scalar(self.alpha).add(fresh),
            None => fresh,
        };
        let (grad_avg, denom) = if self.centered {
            let m = lerp(grad_avg, grad.clone(), 1.0 - self.alpha);
            let var = square_avg.clone().sub(m.clone().mul(m.clone()));
            (Some(m), var.sqrt().add_scalar(self.eps))
        } else {
            (None, square_avg.clone().sqrt().add_scalar(self.eps))
        };
        let scaled = grad.div(denom);
        let (tensor, momentum_buffer) = if self.momentum > 0.0 {
            let momentum = effective(self.cycled.as_ref(), self.momentum);
            let b = match momentum_buffer {
                Some(b) => b.mul_scalar(momentum).add(scaled),
                None => scaled,
            };
            (tensor.sub(b.clone().mul_scalar(lr)), Some(b))
        } else {
            (tensor.sub(scaled.mul_scalar(lr)), None)
        };
        (
            tensor,
            Some(RmsPropState {
                square_avg: Slot::Ready(square_avg),
                grad_avg: grad_avg.map(Slot::Ready),
                momentum_buffer: momentum_buffer.map(Slot::Ready),
            }),
        )
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        RmsPropState {
            square_avg: state.square_avg.into_device(device),
            grad_avg: state.grad_avg.map(|t| t.into_device(device)),
            momentum_buffer: state.momentum_buffer.map(|t| t.into_device(device)),
        }
    }
}

#[cfg(test)]
mod tests;
