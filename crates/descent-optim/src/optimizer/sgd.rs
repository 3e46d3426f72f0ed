//! Stochastic gradient descent with heavy-ball or Nesterov momentum, coupled or decoupled
//! weight decay, and `maximize`, following `torch.optim.SGD`.

use burn::config::Config;
use burn::module::Module;
use burn::optim::{
    GradientsParams, LearningRate, ModuleOptimizer, Optimizer, RecordState, StateSink, StateSource,
};
use burn::tensor::{Device, Tensor};

use super::clipping::{GradClipping, clip_with, module_optimizer_with};
use super::cycled::{MomentumHandle, effective};
use super::momentum::MomentumConfig;
use super::state::{Slot, put, take};
use super::weight_decay::{WeightDecay, WeightDecayConfig, apply_weight_decay};
use crate::OptimError;

/// Configuration of [`Sgd`]: `SgdConfig::new()` is plain SGD; the learning rate is not here
/// but given to every `step` (by the schedule), as in Burn.
///
/// One step, for each parameter `p` with gradient `g` (clipped first, if asked):
///
/// 1. `g ← −g` if [`maximize`](Self::maximize);
/// 2. coupled decay: `g ← g + λ·p`; decoupled decay: `p ← p·(1 − lr·λ)`;
/// 3. momentum: `b ← g` on the first step, then `b ← μ·b + (1 − τ)·g`; the direction is
///    `d = b` (heavy ball) or `d = g + μ·b` (Nesterov); without momentum `d = g`;
/// 4. `p ← p − lr·d`.
///
/// This is `torch.optim.SGD` step for step (checked against it in the tests), except that
/// decoupled decay (SGDW) exists here and not there; see [`WeightDecayMode`](super::WeightDecayMode).
/// Differs from Burn's `SgdConfig`: its momentum dampening defaults to 0.1, ours to 0.
#[derive(Config, Debug, PartialEq)]
pub struct SgdConfig {
    /// Momentum; `None` (or a factor of 0) is plain SGD.
    pub momentum: Option<MomentumConfig>,
    /// Weight decay; `None` is no decay.
    pub weight_decay: Option<WeightDecayConfig>,
    /// Ascend instead of descend (PyTorch's `maximize`).
    #[config(default = false)]
    pub maximize: bool,
    /// Gradient clipping; see [`GradClipping`] for which kinds the loop must apply.
    pub grad_clipping: Option<GradClipping>,
}

impl SgdConfig {
    /// Check every field (the error names the offending one).
    pub fn validate(&self) -> Result<(), OptimError> {
        if let Some(momentum) = &self.momentum {
            momentum.validate()?;
        }
        if let Some(decay) = &self.weight_decay {
            decay.validate()?;
        }
        if let Some(clipping) = &self.grad_clipping {
            clipping.validate()?;
        }
        Ok(())
    }

    /// The bare per-tensor optimizer, e.g. for [`ModuleOptimizer::with_group`]. It does not
    /// clip: [`init`](Self::init) attaches the clipping.
    pub fn build(&self) -> Result<Sgd, OptimError> {
        self.validate()?;
        Ok(Sgd {
            momentum: self
                .momentum
                .as_ref()
                .filter(|m| m.momentum != 0.0)
                .map(|m| Momentum {
                    momentum: m.momentum,
                    dampening: m.dampening,
                    nesterov: m.nesterov,
                }),
            weight_decay: self
                .weight_decay
                .as_ref()
                .and_then(WeightDecayConfig::build),
            maximize: self.maximize,
            cycled: None,
        })
    }

    /// Validate and build the module optimizer (usable in a hand-written loop and in
    /// `burn-train`'s `Learner`), with value or per-tensor clipping attached.
    /// Global-norm clipping is the loop's job: see [`clip_gradients`](Self::clip_gradients).
    pub fn init(&self) -> Result<ModuleOptimizer, OptimError> {
        self.init_from(self.build()?)
    }

    /// [`init`](Self::init), with the momentum factor taken from `handle` whenever it is set
    /// (see [`MomentumHandle`]).
    pub fn init_with_momentum(
        &self,
        handle: &MomentumHandle,
    ) -> Result<ModuleOptimizer, OptimError> {
        let mut optim = self.build()?;
        optim.cycled = Some(handle.clone());
        self.init_from(optim)
    }

    fn init_from(&self, optim: Sgd) -> Result<ModuleOptimizer, OptimError> {
        Ok(module_optimizer_with(optim, self.grad_clipping.as_ref()))
    }

    /// Apply global-norm clipping if configured (a no-op otherwise); call before `step`.
    pub fn clip_gradients<M: Module>(&self, module: &M, grads: GradientsParams) -> GradientsParams {
        clip_with(self.grad_clipping.as_ref(), module, grads)
    }
}

/// Runtime momentum settings (validated).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Momentum {
    momentum: f64,
    dampening: f64,
    nesterov: bool,
}

/// The SGD optimizer (see [`SgdConfig`]); a Burn [`Optimizer`].
#[derive(Debug, Clone)]
pub struct Sgd {
    momentum: Option<Momentum>,
    weight_decay: Option<WeightDecay>,
    maximize: bool,
    /// A momentum factor set from outside, step by step (cycled momentum).
    cycled: Option<MomentumHandle>,
}

/// Per-parameter state of [`Sgd`]: the momentum buffer (there is no state without momentum).
/// Recorded as the leaf `momentum_buffer`.
#[derive(Clone)]
pub struct SgdState<const D: usize> {
    momentum_buffer: Slot<D>,
}

impl<const D: usize> RecordState for SgdState<D> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        put(out, prefix, "momentum_buffer", &self.momentum_buffer);
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, _device: &Device) -> Option<Self> {
        Some(Self {
            momentum_buffer: take(src, prefix, "momentum_buffer")?,
        })
    }
}

impl Optimizer for Sgd {
    type State<const D: usize> = SgdState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let grad = if self.maximize { grad.neg() } else { grad };
        let (tensor, grad) = apply_weight_decay(self.weight_decay.as_ref(), lr, tensor, grad);

        let Some(mut m) = self.momentum else {
            return (tensor.sub(grad.mul_scalar(lr)), None);
        };
        m.momentum = effective(self.cycled.as_ref(), m.momentum);
        let buffer = match state {
            None => grad.clone(),
            Some(state) => {
                let buffer = state.momentum_buffer.resolve(&grad.device());
                // On `Flex` the whole update is one pass over memory (same values).
                #[cfg(feature = "flex")]
                if fused::applies(&tensor, &grad, &buffer) {
                    let update = fused::MomentumUpdate {
                        lr,
                        momentum: m.momentum,
                        dampening: m.dampening,
                        nesterov: m.nesterov,
                    };
                    let (tensor, buffer) = fused::momentum_step(tensor, grad, buffer, update);
                    let state = SgdState {
                        momentum_buffer: Slot::Ready(buffer),
                    };
                    return (tensor, Some(state));
                }
                let grad = if m.dampening == 0.0 {
                    grad.clone()
                } else {
                    grad.clone().mul_scalar(1.0 - m.dampening)
                };
                buffer.mul_scalar(m.momentum).add(grad)
            }
        };
        let direction = if m.nesterov {
            grad.add(buffer.clone().mul_scalar(m.momentum))
        } else {
            buffer.clone()
        };
        (
            tensor.sub(direction.mul_scalar(lr)),
            Some(SgdState {
                momentum_buffer: Slot::Ready(buffer),
            }),
        )
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        SgdState {
            momentum_buffer: state.momentum_buffer.into_device(device),
        }
    }
}

#[cfg(feature = "flex")]
mod fused;
#[cfg(test)]
mod tests;
