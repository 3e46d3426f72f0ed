//! Gradient-descent optimizers, learning-rate schedules and weight averaging for any Burn
//! module.
//!
//! Weight averaging (SWA, EMA, SWALR, batch-norm recompute, snapshot ensembles) lives in
//! [`averaging`].
//!
//! # Optimizers
//!
//! [`SgdConfig`] (plain, heavy-ball or Nesterov momentum, coupled or decoupled weight decay,
//! `maximize`), [`RmsPropConfig`], [`AdamConfig`] and [`AdamWConfig`] (with AMSGrad) build our
//! own [`burn::optim::Optimizer`]s with `torch.optim` semantics, checked against PyTorch's
//! numbers. `init()` validates the config (a typed [`OptimError`] naming the field) and returns
//! Burn's [`ModuleOptimizer`](burn::optim::ModuleOptimizer), so they work in a hand-written
//! loop and in `burn-train`'s `Learner`, and their state saves and resumes with
//! `to_record`/`load_record`. [`OptimizerConfig`] holds any of them for run configs;
//! [`OptimizerConfig::from_kind`] builds one from CLI-style [`OptimizerParams`].
//!
//! With the `flex` feature, SGD's momentum update on Burn's `Flex` backend (float32) is one
//! fused pass over each parameter, gradient and buffer, bit-identical to the tensor-operation
//! path every other backend takes.
//!
//! Clipping by value or per-tensor norm runs inside the `ModuleOptimizer`; clipping by the
//! global norm over all parameters ([`clip_grad_norm`], like `torch.nn.utils.clip_grad_norm_`)
//! is applied by the loop between `backward` and `step`:
//!
//! ```
//! use burn::nn::LinearConfig;
//! use burn::optim::GradientsParams;
//! use burn::tensor::{Device, Tensor};
//! use descent_optim::{GradClipping, MomentumConfig, SgdConfig, WeightDecayConfig};
//!
//! let device = Device::flex().autodiff();
//! let mut model = LinearConfig::new(2, 1).init(&device);
//! let x = Tensor::<2>::from_floats([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], &device);
//! let y = Tensor::<2>::from_floats([[1.0], [-2.0], [0.5]], &device);
//!
//! let config = SgdConfig::new()
//!     .with_momentum(Some(MomentumConfig::new(0.9).with_nesterov(true)))
//!     .with_weight_decay(Some(WeightDecayConfig::new(1e-4)))
//!     .with_grad_clipping(Some(GradClipping::GlobalNorm(5.0)));
//! let mut optim = config.init()?;
//!
//! let mse = |model: &burn::nn::Linear| (model.forward(x.clone()) - y.clone()).square().mean();
//! let first = mse(&model).into_scalar::<f32>();
//! for _ in 0..50 {
//!     let grads = GradientsParams::from_grads(mse(&model).backward(), &model);
//!     let grads = config.clip_gradients(&model, grads); // global norm: the loop's job
//!     model = optim.step(0.02, model, grads); // the learning rate comes with each step
//! }
//! assert!(mse(&model).into_scalar::<f32>() < first / 2.0);
//!
//! // Invalid settings are typed errors naming the field.
//! let bad = MomentumConfig::new(0.9).with_dampening(0.1).with_nesterov(true);
//! let err = SgdConfig::new().with_momentum(Some(bad)).init().err();
//! assert!(matches!(err, Some(descent_optim::OptimError::InvalidConfig { field: "dampening", .. })));
//! # Ok::<(), descent_optim::OptimError>(())
//! ```

/// The Burn this crate is built on (0.22), re-exported so a project that uses it through
/// `descent_optim::burn` shares one Burn with us instead of compiling a second.
pub use burn;

pub mod averaging;
pub mod error;
pub mod optimizer;
pub mod schedule;

pub use averaging::{
    AveragedModel, AveragingRule, BufferPolicy, EmaConfig, EnsembleMetrics, SnapshotEnsemble,
    SnapshotPolicy, SwaConfig, SwaLr, SwaLrConfig, Swag, SwagConfig, SwagCovariance,
    recompute_batch_norm,
};
pub use error::OptimError;
pub use optimizer::{
    Adam, AdamConfig, AdamState, AdamWConfig, GradClipping, MomentumConfig, MomentumHandle,
    OptimizerConfig, OptimizerKind, OptimizerParams, RmsProp, RmsPropConfig, RmsPropState, Sam,
    SamConfig, Sgd, SgdConfig, SgdState, WeightDecayConfig, WeightDecayMode, clip_grad_norm,
    global_grad_norm,
};
pub use schedule::{
    AnnealStrategy, ConstantLr, ConstantLrConfig, Convergence, ConvergenceConfig,
    ConvergenceRecord, CosineAnnealingLr, CosineAnnealingLrConfig, CyclePosition, CyclicLr,
    CyclicLrConfig, CyclicMode, EarlyStopping, EarlyStoppingConfig, EarlyStoppingRecord,
    ExponentialLr, ExponentialLrConfig, LinearLr, LinearLrConfig, MetricMode, MinLrStop,
    MinLrStopConfig, MultiStepLr, MultiStepLrConfig, OneCycleLr, OneCycleLrConfig, PerEpoch,
    PlateauDecision, PolynomialLr, PolynomialLrConfig, ReduceLrOnPlateau, ReduceLrOnPlateauConfig,
    Schedule, ScheduleConfig, ScheduleKind, ScheduleUnit, SequentialLr, StepLr, StepLrConfig,
    StopDecision, StopReason, StopRule, ThresholdMode, WarmRestarts, WarmRestartsConfig, trace,
};
pub use schedule::{CooldownShape, MomentumSchedule, TimmCosine, TimmCosineConfig, Wsd, WsdConfig};

#[cfg(test)]
mod learner_tests;
