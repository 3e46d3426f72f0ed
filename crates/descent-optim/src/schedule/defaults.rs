//! The one home of every schedule default: the values a [`ScheduleConfig`](super::ScheduleConfig)
//! field takes when a JSON file leaves it out, and the values
//! [`ScheduleKind::default_config`](super::ScheduleKind::default_config) (what the command line
//! uses for a flag not given) fills in. Both read these constants, so `{"kind": "sgdr"}` in a
//! file and `--schedule sgdr` on the command line are the same schedule (tested for every kind).
//!
//! Where a schedule mirrors a PyTorch or timm one, the default is that library's and the
//! constant says where it comes from; where the library has no default (a required argument),
//! the constant says what we chose and why.

use super::{AnnealStrategy, CooldownShape, CyclicMode, ScheduleUnit};

/// `step`'s `step_size`: 30 epochs. PyTorch's `StepLR` requires it; 30 is its documented
/// example (`StepLR(optimizer, step_size=30, gamma=0.1)`).
pub const STEP_SIZE: usize = 30;
/// `gamma` of `step` and `multistep`: 0.1, PyTorch's `StepLR`/`MultiStepLR(gamma=0.1)`.
pub const STEP_GAMMA: f64 = 0.1;
/// `exponential`'s `gamma`: 0.95 per epoch. PyTorch's `ExponentialLR` requires it; ours.
pub const EXPONENTIAL_GAMMA: f64 = 0.95;
/// `poly`'s `power`: 1 (linear), PyTorch's `PolynomialLR(power=1.0)`.
pub const POLY_POWER: f64 = 1.0;
/// `poly`'s `end_lr`: 0 (PyTorch has no such option and always decays to 0).
pub const POLY_END_LR: f64 = 0.0;
/// `eta_min` of `cosine` and `sgdr`: 0, PyTorch's `CosineAnnealingLR(eta_min=0.0)` and
/// `CosineAnnealingWarmRestarts(eta_min=0.0)`.
pub const ETA_MIN: f64 = 0.0;
/// `sgdr`'s `t_0`: 10 epochs, the SGDR paper's setting (PyTorch requires it).
pub const SGDR_T_0: usize = 10;
/// `sgdr`'s `t_mult`: 1, PyTorch's `CosineAnnealingWarmRestarts(T_mult=1)` (the SGDR paper
/// also uses 2: give `--t-mult 2`).
pub const SGDR_T_MULT: usize = 1;
/// `sgdr`'s `restart_decay`: 1 (no decay; not in PyTorch, timm's `cycle_decay=1.0`).
pub const SGDR_RESTART_DECAY: f64 = 1.0;
/// `sgdr`'s unit: per batch with fractional epochs, as in the SGDR paper.
pub const SGDR_UNIT: ScheduleUnit = ScheduleUnit::FractionalEpoch;
/// `cyclic`'s half cycle when not given: 4 epochs (the CLR paper's advice: 2-10 epochs).
pub const CYCLIC_STEP_EPOCHS: usize = 4;
/// `cyclic`'s lower bound when not given: a quarter of the base rate (the CLR paper's advice:
/// bounds 3-4x apart).
pub const CYCLIC_MIN_LR_FRACTION: f64 = 0.25;
/// `cyclic`'s `mode`: `triangular`, PyTorch's `CyclicLR(mode="triangular")`.
pub const CYCLIC_MODE: CyclicMode = CyclicMode::Triangular;
/// `cyclic`'s `gamma`: 1, PyTorch's `CyclicLR(gamma=1.0)`.
pub const CYCLIC_GAMMA: f64 = 1.0;
/// Whether `cyclic` and `onecycle` cycle the momentum: yes, PyTorch's
/// `CyclicLR(cycle_momentum=True)` and `OneCycleLR(cycle_momentum=True)`.
pub const CYCLE_MOMENTUM: bool = true;
/// `cyclic`'s `base_momentum`: 0.8, PyTorch's `CyclicLR(base_momentum=0.8)`.
pub const CYCLIC_BASE_MOMENTUM: f64 = 0.8;
/// `cyclic`'s `max_momentum`: 0.9, PyTorch's `CyclicLR(max_momentum=0.9)`.
pub const CYCLIC_MAX_MOMENTUM: f64 = 0.9;
/// `onecycle`'s `base_momentum`: 0.85, PyTorch's `OneCycleLR(base_momentum=0.85)`.
pub const ONECYCLE_BASE_MOMENTUM: f64 = 0.85;
/// `onecycle`'s `max_momentum`: 0.95, PyTorch's `OneCycleLR(max_momentum=0.95)`.
pub const ONECYCLE_MAX_MOMENTUM: f64 = 0.95;
/// `onecycle`'s `pct_start`: 0.3, PyTorch's `OneCycleLR(pct_start=0.3)`.
pub const ONECYCLE_PCT_START: f64 = 0.3;
/// `onecycle`'s `anneal_strategy`: `cos`, PyTorch's `OneCycleLR(anneal_strategy="cos")`.
pub const ONECYCLE_ANNEAL: AnnealStrategy = AnnealStrategy::Cos;
/// `onecycle`'s `div_factor`: 25, PyTorch's `OneCycleLR(div_factor=25.0)`.
pub const ONECYCLE_DIV_FACTOR: f64 = 25.0;
/// `onecycle`'s `final_div_factor`: 1e4, PyTorch's `OneCycleLR(final_div_factor=1e4)`.
pub const ONECYCLE_FINAL_DIV_FACTOR: f64 = 1e4;
/// `onecycle`'s `three_phase`: false, PyTorch's `OneCycleLR(three_phase=False)`.
pub const ONECYCLE_THREE_PHASE: bool = false;
/// `warmup`'s `start_factor`: 1/3, PyTorch's `LinearLR(start_factor=1.0 / 3)`.
pub const WARMUP_START_FACTOR: f64 = 1.0 / 3.0;
/// `warmup`'s `end_factor`: 1, PyTorch's `LinearLR(end_factor=1.0)`.
pub const WARMUP_END_FACTOR: f64 = 1.0;
/// `warmup`'s `total_iters`: 5, PyTorch's `LinearLR(total_iters=5)`.
pub const WARMUP_TOTAL_ITERS: usize = 5;
/// `sequence` when not given: this many epochs of warm-up, then a cosine.
pub const SEQUENCE_WARMUP_EPOCHS: usize = 5;
/// `sequence`'s warm-up starts at this factor of the rate.
pub const SEQUENCE_WARMUP_START: f64 = 0.1;
/// `timm-cosine`'s `lr_min`: 0, timm's `CosineLRScheduler(lr_min=0.)`.
pub const TIMM_LR_MIN: f64 = 0.0;
/// `timm-cosine`'s `cycle_mul`: 1, timm's `cycle_mul=1.`.
pub const TIMM_CYCLE_MUL: f64 = 1.0;
/// `timm-cosine`'s `cycle_decay`: 1, timm's `cycle_decay=1.`.
pub const TIMM_CYCLE_DECAY: f64 = 1.0;
/// `timm-cosine`'s `cycle_limit`: 1 (one cycle, then the floor), timm's `cycle_limit=1`.
pub const TIMM_CYCLE_LIMIT: usize = 1;
/// `timm-cosine`'s `warmup_t`: 0, timm's `warmup_t=0`.
pub const TIMM_WARMUP_T: usize = 0;
/// `timm-cosine`'s `warmup_lr_init`: 0, timm's `warmup_lr_init=0.`.
pub const TIMM_WARMUP_LR_INIT: f64 = 0.0;
/// `timm-cosine`'s `warmup_prefix`: false, timm's `warmup_prefix=False`.
pub const TIMM_WARMUP_PREFIX: bool = false;
/// `timm-cosine`'s `k_decay`: 1 (plain cosine), timm's `k_decay=1.0`.
pub const TIMM_K_DECAY: f64 = 1.0;
/// `timm-cosine`'s `noise_pct`: 0.67, timm's `noise_pct=0.67`.
pub const TIMM_NOISE_PCT: f64 = 0.67;
/// `timm-cosine`'s `noise_std`: 1, timm's `noise_std=1.0`.
pub const TIMM_NOISE_STD: f64 = 1.0;
/// `timm-cosine`'s `noise_seed`: 42, timm's `noise_seed=42`.
pub const TIMM_NOISE_SEED: u64 = 42;
/// `timm-cosine`'s unit: epochs, timm's `t_in_epochs=True`.
pub const TIMM_UNIT: ScheduleUnit = ScheduleUnit::Epoch;
/// `wsd`'s `warmup_fraction`: 5% of training (ours; the paper's code takes a step count).
pub const WSD_WARMUP_FRACTION: f64 = 0.05;
/// `wsd`'s `decay_fraction`: 20% of training, the cooldown length Hägele et al. 2024 find
/// matches a cosine schedule (their code's default is 0.1).
pub const WSD_DECAY_FRACTION: f64 = 0.2;
/// `wsd`'s `init_div_factor`: the warm-up starts at `lr / 100`, the paper's code's default.
pub const WSD_INIT_DIV_FACTOR: f64 = 100.0;
/// `wsd`'s `cooldown`: `1-sqrt`, the shape Hägele et al. 2024 recommend.
pub const WSD_COOLDOWN: CooldownShape = CooldownShape::OneMinusSqrt;
/// `wsd`'s `min_lr`: 0, the paper's code's `final_lr_factor=0.0`.
pub const WSD_MIN_LR: f64 = 0.0;
