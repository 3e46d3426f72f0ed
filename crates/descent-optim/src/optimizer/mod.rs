//! Optimizers: SGD (heavy-ball and Nesterov momentum), RMSProp, Adam and AdamW, each our own
//! [`burn::optim::Optimizer`] with `torch.optim` semantics.
//!
//! Every optimizer has a `#[derive(Config)]` config whose `init()` validates it and returns a
//! Burn [`ModuleOptimizer`](burn::optim::ModuleOptimizer), so it drops into a hand-written
//! loop and into `burn-train`'s `Learner`; its state saves and resumes through
//! `ModuleOptimizer::to_record` / `load_record`. The learning rate is not part of a config:
//! it comes with every `step`, from a schedule, as in Burn.
//!
//! | config            | PyTorch                 | state per parameter                 |
//! |-------------------|-------------------------|-------------------------------------|
//! | [`SgdConfig`]     | `torch.optim.SGD` (+ SGDW) | momentum buffer (if momentum)    |
//! | [`RmsPropConfig`] | `torch.optim.RMSprop`   | `v`, centered `m`, momentum buffer  |
//! | [`AdamConfig`]    | `torch.optim.Adam`      | step, `m`, `v`, AMSGrad `max v`     |
//! | [`AdamWConfig`]   | `torch.optim.AdamW`     | as Adam                             |
//!
//! Each config's doc lists its update and where it differs from PyTorch or from Burn's
//! built-in of the same name (defaults: dampening 0, not 0.1; `eps` 1e-8, not 1e-5).
//!
//! Gradient clipping ([`GradClipping`]) by value or by per-tensor norm runs inside the
//! `ModuleOptimizer` (Burn's mechanism, which is per tensor). Clipping by the global norm over
//! all parameters, as `torch.nn.utils.clip_grad_norm_`, needs every gradient at once, so the
//! loop applies it before `step` with [`clip_grad_norm`] or the config's `clip_gradients`.
//!
//! [`SamConfig`] wraps any of them (or any Burn `ModuleOptimizer`) in sharpness-aware
//! minimization: two gradients per step, the second at the weights moved up the gradient
//! (SAM, Foret et al. 2021; adaptive SAM, Kwon et al. 2021).
//!
//! [`OptimizerConfig`] holds any of them for run configs, and
//! [`OptimizerConfig::from_kind`] builds one from an [`OptimizerKind`] and flat
//! [`OptimizerParams`] (what the CLI's flags give).

mod adam;
mod clipping;
mod config;
mod kind;
mod lerp;
mod momentum;
mod rmsprop;
mod sam;
mod sgd;
mod state;
mod validate;
mod weight_decay;

#[cfg(test)]
mod test_utils;

pub use adam::{Adam, AdamConfig, AdamState, AdamWConfig};
pub use clipping::{GradClipping, clip_grad_norm, global_grad_norm};
pub use config::{DEFAULT_ADAMW_WEIGHT_DECAY, DEFAULT_MOMENTUM, OptimizerConfig, OptimizerParams};
pub use kind::OptimizerKind;
pub use momentum::MomentumConfig;
pub use rmsprop::{RmsProp, RmsPropConfig, RmsPropState};
pub use sam::{Sam, SamConfig};
pub use sgd::{Sgd, SgdConfig, SgdState};
pub use weight_decay::{WeightDecayConfig, WeightDecayMode};
