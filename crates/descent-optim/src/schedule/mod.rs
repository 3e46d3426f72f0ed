//! Learning-rate schedules (Burn [`LrScheduler`]s), reduce-on-plateau, and stopping rules.
//!
//! # Conventions
//!
//! - **One `step()` per batch.** Every schedule here implements Burn's [`LrScheduler`]. Our
//!   trainer calls [`step`](burn::lr_scheduler::LrScheduler::step) once per batch, *before* the batch's update, and
//!   uses the returned rate for that batch: the first call returns the first batch's rate. This
//!   is PyTorch's `optimizer.param_groups[0]["lr"]` before the `k`-th `scheduler.step()` (the
//!   rate the `k`-th batch trains with), so our `k`-th value equals PyTorch's `k`-th value, from
//!   the rate before any `scheduler.step()` on. Every schedule is tested against PyTorch
//!   sequences to 1e-6 relative (the scripts sit above the tests).
//! - **Durations count `step()` calls.** The typed configs (`StepLrConfig`, ...) count batches.
//!   PyTorch code steps `StepLR`, `CosineAnnealingLR` and friends once per *epoch*: to get
//!   exactly those rates, wrap a schedule built with epoch durations in [`PerEpoch`], or use
//!   [`ScheduleConfig`] with [`ScheduleUnit::Epoch`] (its default for those kinds), which does
//!   it for you. [`ScheduleUnit::FractionalEpoch`] gives epoch durations with per-batch
//!   smoothness. SGDR ([`WarmRestarts`]) takes `steps_per_epoch` and moves every batch with
//!   fractional epochs, as in the paper; cyclic and one-cycle rates are per batch, as in PyTorch.
//! - **Resume.** Each schedule saves its position (and the state of wrapped schedules) in an
//!   [`LrSchedulerRecord`](burn::lr_scheduler::LrSchedulerRecord); loading it into a freshly
//!   built schedule of the same configuration continues with bit-identical rates (tested at
//!   several points of each schedule, through the burnpack bytes).
//! - **Plateau and stopping rules are fed once per epoch.** [`ReduceLrOnPlateau`] is a schedule
//!   (stepped per batch) *and* a rule: `observe(metric)` after each validation. The stopping
//!   rules ([`EarlyStopping`], [`Convergence`], [`MinLrStop`]) are pure logic implementing
//!   [`StopRule`]: `observe(epoch, value) -> StopDecision`.
//!
//! # Example
//!
//! ```
//! use descent_optim::schedule::{
//!     EarlyStoppingConfig, ReduceLrOnPlateauConfig, ScheduleConfig, ScheduleKind, StopRule, trace,
//! };
//!
//! // SGDR with the paper's T_0 = 10 and PyTorch's T_mult = 1, for 70 epochs of 100 batches,
//! // from the CLI name.
//! let kind: ScheduleKind = "sgdr".parse().unwrap();
//! let mut schedule = kind.default_config().init(0.1, 100, 70).unwrap();
//! let rates = trace(&mut schedule.clone(), 7_000);
//! assert_eq!((rates[0], rates[1_000]), (0.1, 0.1)); // restarts after epoch 10
//! assert!(rates[999] < 1e-5);
//!
//! // Reduce on plateau around a warm-up-then-cosine schedule, with early stopping.
//! let inner = ScheduleKind::Sequence.default_config().init(0.1, 100, 70).unwrap();
//! let mut plateau = ReduceLrOnPlateauConfig::new().with_patience(2).init_with(inner).unwrap();
//! let mut early = EarlyStoppingConfig::new().with_patience(5).init().unwrap();
//! for epoch in 0..70 {
//!     for _batch in 0..100 {
//!         let _lr = burn::lr_scheduler::LrScheduler::step(&mut plateau);
//!         // ... one optimizer step with `_lr` ...
//!     }
//!     let validation_loss = 1.0 / (1.0 + epoch as f64).min(20.0);
//!     plateau.observe(validation_loss);
//!     if early.observe(epoch, validation_loss).should_stop() {
//!         break;
//!     }
//! }
//! assert_eq!(early.best_epoch(), Some(19));
//! ```
//!
//! [`LrScheduler`]: burn::lr_scheduler::LrScheduler

mod counter;
mod validate;

mod anneal;
mod boxed;
mod config;
mod constant;
mod convergence;
mod cosine;
mod cyclic;
pub mod defaults;
mod early_stopping;
mod exponential;
mod kind;
mod linear;
mod metric_mode;
mod min_lr_stop;
mod momentum;
mod multi_step;
mod one_cycle;
mod params;
mod per_epoch;
mod plateau;
mod polynomial;
mod sequential;
mod step;
mod stop;
mod timm_cosine;
mod timm_noise;
mod trace;
mod unit;
mod warm_restarts;
mod wsd;

#[cfg(test)]
mod test_utils;

pub use boxed::Schedule;
pub use config::ScheduleConfig;
pub use constant::{ConstantLr, ConstantLrConfig};
pub use convergence::{Convergence, ConvergenceConfig, ConvergenceRecord};
pub use cosine::{CosineAnnealingLr, CosineAnnealingLrConfig};
pub use cyclic::{CyclicLr, CyclicLrConfig, CyclicMode};
pub use early_stopping::{EarlyStopping, EarlyStoppingConfig, EarlyStoppingRecord};
pub use exponential::{ExponentialLr, ExponentialLrConfig};
pub use kind::ScheduleKind;
pub use linear::{LinearLr, LinearLrConfig};
pub use metric_mode::{MetricMode, ThresholdMode};
pub use min_lr_stop::{MinLrStop, MinLrStopConfig};
pub use momentum::MomentumSchedule;
pub use multi_step::{MultiStepLr, MultiStepLrConfig};
pub use one_cycle::{AnnealStrategy, OneCycleLr, OneCycleLrConfig};
pub use params::{SCHEDULE_PARAMS, ScheduleParam, ScheduleParams, schedule_param};
pub use per_epoch::PerEpoch;
pub use plateau::{PlateauDecision, ReduceLrOnPlateau, ReduceLrOnPlateauConfig};
pub use polynomial::{PolynomialLr, PolynomialLrConfig};
pub use sequential::SequentialLr;
pub use step::{StepLr, StepLrConfig};
pub use stop::{StopDecision, StopReason, StopRule};
pub use timm_cosine::{TimmCosine, TimmCosineConfig};
pub use trace::{peek, trace};
pub use unit::ScheduleUnit;
pub use warm_restarts::{CyclePosition, WarmRestarts, WarmRestartsConfig};
pub use wsd::{CooldownShape, Wsd, WsdConfig};
