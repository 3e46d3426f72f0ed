//! Weight averaging and ensembles for any Burn [`Module`](burn::module::Module): SWA, EMA,
//! SWAG, SWALR, batch-norm recompute and snapshot ensembles.
//!
//! - [`AveragedModel`] keeps an averaged copy of a module, built by [`SwaConfig`] (the
//!   equal-weight running mean, Izmailov et al. 2018) or [`EmaConfig`] (an exponential moving
//!   average). The caller decides when to [`update`](AveragedModel::update) it (every epoch,
//!   every `k` steps after `swa_start`...). Parameters are matched by `ParamId`; batch-norm
//!   buffers are copied or averaged ([`BufferPolicy`]). To resume, save
//!   [`AveragedModel::model`] like any module and [`n_averaged`](AveragedModel::n_averaged),
//!   and rebuild with [`AveragedModel::from_parts`].
//! - [`SwaLrConfig`] builds [`SwaLr`], PyTorch's `SWALR` (anneal to `swa_lr`, then hold), and
//!   composes it after any schedule of this crate ([`SwaLrConfig::after`]).
//! - [`recompute_batch_norm`] resets and recomputes `BatchNorm` running statistics with one
//!   pass over data fed through a closure (PyTorch's `update_bn`).
//! - [`SwagConfig`] builds [`Swag`], SWA-Gaussian (Maddox et al. 2019): the running first and
//!   second moments and the last `K` deviations of the weights, and weight samples from the
//!   Gaussian they define.
//! - [`SnapshotEnsemble`] predicts with the mean softmax of several models; [`SnapshotPolicy`]
//!   says which epochs end a warm-restart cycle.
//!
//! In `burn-train`'s `Learner`, give it the SWALR [`Schedule`](crate::schedule::Schedule) as
//! its scheduler and keep the `AveragedModel` in a shared handle on a `#[module(skip)]` field
//! of the model, updated from `TrainStep::step` (the crate's Learner test does exactly this).
//! In a hand-written loop, update it after the optimizer step, as below.
//! # Example
//!
//! ```
//! use burn::module::Module;
//! use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
//! use burn::optim::GradientsParams;
//! use burn::tensor::{Device, Tensor};
//! use descent_optim::SgdConfig;
//! use descent_optim::averaging::{SwaConfig, recompute_batch_norm};
//!
//! #[derive(Module, Debug)]
//! struct Net {
//!     linear: Linear,
//!     norm: BatchNorm,
//! }
//!
//! impl Net {
//!     fn forward(&self, x: Tensor<2>) -> Tensor<2> {
//!         self.norm.forward(self.linear.forward(x))
//!     }
//! }
//!
//! let device = Device::flex().autodiff();
//! let mut model = Net {
//!     linear: LinearConfig::new(3, 2).init(&device),
//!     norm: BatchNormConfig::new(2).init(&device),
//! };
//! let batches: Vec<Tensor<2>> = (0..4)
//!     .map(|i| Tensor::<2>::from_floats([[1.0, i as f32, 0.5], [-1.0, 2.0, i as f32]], &device))
//!     .collect();
//!
//! let mut optim = SgdConfig::new().init()?;
//! let mut swa = SwaConfig::new().init(&model);
//! for epoch in 0..6 {
//!     for x in &batches {
//!         let loss = model.forward(x.clone()).square().mean();
//!         let grads = GradientsParams::from_grads(loss.backward(), &model);
//!         model = optim.step(0.05, model, grads);
//!     }
//!     if epoch >= 3 {
//!         swa.update(&model)?; // once per epoch after swa_start = 3
//!     }
//! }
//! assert_eq!(swa.n_averaged(), 3);
//! let averaged = recompute_batch_norm(swa.model(), batches.clone(), |m: &Net, x| {
//!     m.forward(x);
//! })?;
//! let _prediction = averaged.forward(batches[0].clone().without_autodiff());
//! # Ok::<(), descent_optim::OptimError>(())
//! ```

mod averaged;
mod bn_recompute;
mod buffers;
mod ema;
mod snapshot;
mod swa;
mod swag;
mod swalr;
mod walk;

#[cfg(test)]
mod test_utils;
#[cfg(test)]
mod tests;

pub use averaged::{AveragedModel, AveragingRule};
pub use bn_recompute::recompute_batch_norm;
pub use buffers::BufferPolicy;
pub use ema::EmaConfig;
pub use snapshot::{EnsembleMetrics, SnapshotEnsemble, SnapshotPolicy};
pub use swa::SwaConfig;
pub use swag::{Swag, SwagConfig, SwagCovariance};
pub use swalr::{SwaLr, SwaLrConfig};
