//! [`ScheduleConfig`]: every schedule as one serializable enum, for the CLI and run configs.

use burn::lr_scheduler::LrScheduler;
use serde::{Deserialize, Serialize};

use super::defaults;
use super::momentum::{MomentumCycle, MomentumPiece, MomentumSchedule};
use super::validate::{at_least_one, checked_scale, invalid, positive};
use super::{
    AnnealStrategy, ConstantLrConfig, CooldownShape, CosineAnnealingLrConfig, CyclicLr,
    CyclicLrConfig, CyclicMode, ExponentialLrConfig, LinearLrConfig, MultiStepLrConfig, OneCycleLr,
    OneCycleLrConfig, PerEpoch, PolynomialLrConfig, Schedule, ScheduleUnit, SequentialLr,
    StepLrConfig, TimmCosineConfig, WarmRestartsConfig, WsdConfig,
};
use crate::OptimError;

/// Serde defaults: each reads the one constant in [`defaults`] that
/// [`ScheduleKind::default_config`](super::ScheduleKind::default_config) reads too.
mod serde_default {
    use super::super::{AnnealStrategy, CooldownShape, CyclicMode, ScheduleConfig, ScheduleUnit};
    use super::defaults as d;

    macro_rules! default_fns {
        ($($name:ident: $ty:ty = $value:expr;)*) => {
            $(pub(super) fn $name() -> $ty { $value })*
        };
    }

    default_fns! {
        step_size: usize = d::STEP_SIZE;
        step_gamma: f64 = d::STEP_GAMMA;
        exponential_gamma: f64 = d::EXPONENTIAL_GAMMA;
        poly_power: f64 = d::POLY_POWER;
        poly_end_lr: f64 = d::POLY_END_LR;
        eta_min: f64 = d::ETA_MIN;
        sgdr_t_0: usize = d::SGDR_T_0;
        sgdr_t_mult: usize = d::SGDR_T_MULT;
        sgdr_restart_decay: f64 = d::SGDR_RESTART_DECAY;
        sgdr_unit: ScheduleUnit = d::SGDR_UNIT;
        cyclic_mode: CyclicMode = d::CYCLIC_MODE;
        cyclic_gamma: f64 = d::CYCLIC_GAMMA;
        cycle_momentum: bool = d::CYCLE_MOMENTUM;
        cyclic_base_momentum: f64 = d::CYCLIC_BASE_MOMENTUM;
        cyclic_max_momentum: f64 = d::CYCLIC_MAX_MOMENTUM;
        onecycle_base_momentum: f64 = d::ONECYCLE_BASE_MOMENTUM;
        onecycle_max_momentum: f64 = d::ONECYCLE_MAX_MOMENTUM;
        pct_start: f64 = d::ONECYCLE_PCT_START;
        anneal_strategy: AnnealStrategy = d::ONECYCLE_ANNEAL;
        div_factor: f64 = d::ONECYCLE_DIV_FACTOR;
        final_div_factor: f64 = d::ONECYCLE_FINAL_DIV_FACTOR;
        three_phase: bool = d::ONECYCLE_THREE_PHASE;
        warmup_start_factor: f64 = d::WARMUP_START_FACTOR;
        warmup_end_factor: f64 = d::WARMUP_END_FACTOR;
        warmup_total_iters: usize = d::WARMUP_TOTAL_ITERS;
        sequence_schedules: Vec<ScheduleConfig> = ScheduleConfig::default_sequence().0;
        sequence_milestones: Vec<usize> = ScheduleConfig::default_sequence().1;
        timm_lr_min: f64 = d::TIMM_LR_MIN;
        timm_cycle_mul: f64 = d::TIMM_CYCLE_MUL;
        timm_cycle_decay: f64 = d::TIMM_CYCLE_DECAY;
        timm_cycle_limit: usize = d::TIMM_CYCLE_LIMIT;
        timm_warmup_t: usize = d::TIMM_WARMUP_T;
        timm_warmup_lr_init: f64 = d::TIMM_WARMUP_LR_INIT;
        timm_warmup_prefix: bool = d::TIMM_WARMUP_PREFIX;
        timm_k_decay: f64 = d::TIMM_K_DECAY;
        timm_noise_pct: f64 = d::TIMM_NOISE_PCT;
        timm_noise_std: f64 = d::TIMM_NOISE_STD;
        timm_noise_seed: u64 = d::TIMM_NOISE_SEED;
        timm_unit: ScheduleUnit = d::TIMM_UNIT;
        wsd_warmup_fraction: f64 = d::WSD_WARMUP_FRACTION;
        wsd_decay_fraction: f64 = d::WSD_DECAY_FRACTION;
        wsd_init_div_factor: f64 = d::WSD_INIT_DIV_FACTOR;
        wsd_cooldown: CooldownShape = d::WSD_COOLDOWN;
        wsd_min_lr: f64 = d::WSD_MIN_LR;
    }
}

/// A learning-rate schedule as data: serializable, with the base rate and the length of
/// training supplied at [`init`](Self::init).
///
/// The base rate (the optimizer's `lr`) is the schedule's peak or starting rate: `eta_max` of
/// cosine and SGDR, `max_lr` of one-cycle and the upper bound of cyclic rates.
///
/// # Units
///
/// The trainer calls `step()` once per batch. Each kind says what its durations count:
///
/// | kind | durations | rate changes |
/// |---|---|---|
/// | `constant` | - | never |
/// | `step`, `multistep`, `exponential`, `poly`, `cosine`, `warmup` | `unit`, default epochs | per epoch (`epoch`) or per batch (`batch`, `fractional-epoch`) |
/// | `sgdr` | `unit`, default `fractional-epoch` (the paper's per-batch SGDR) | per batch, or per epoch with `epoch` |
/// | `cyclic`, `onecycle` | batches (PyTorch steps them per batch) | per batch |
/// | `sequence` | milestones in `unit`, default epochs | as each child |
/// | `timm-cosine` | `unit`, default epochs (timm's `t_in_epochs=True`) | per epoch, or per batch with `batch` or `fractional-epoch` |
/// | `wsd` | fractions of the whole training | per batch |
///
/// With `unit = epoch` you get exactly PyTorch's rates for the scheduler stepped once per epoch;
/// with `unit = batch`, exactly PyTorch's rates for the scheduler stepped once per batch (see
/// [`ScheduleUnit`]).
///
/// # Format
///
/// Internally tagged by `kind`, with the [`ScheduleKind`](super::ScheduleKind) names; omitted fields take the defaults
/// listed on each field:
///
/// ```
/// use descent_optim::schedule::{ScheduleConfig, ScheduleUnit};
///
/// let config: ScheduleConfig =
///     serde_json::from_str(r#"{"kind": "sgdr", "t_0": 10, "t_mult": 2}"#).unwrap();
/// assert!(matches!(
///     config,
///     ScheduleConfig::WarmRestarts { t_0: 10, t_mult: 2, unit: ScheduleUnit::FractionalEpoch, .. }
/// ));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", deny_unknown_fields, remote = "Self")]
pub enum ScheduleConfig {
    /// The base rate throughout.
    #[serde(rename = "constant")]
    Constant,
    /// Multiply by `gamma` every `step_size` units ([`StepLr`](super::StepLr)).
    #[serde(rename = "step")]
    Step {
        /// Units between decays (>= 1), default 30 ([`defaults::STEP_SIZE`]).
        #[serde(default = "serde_default::step_size")]
        step_size: usize,
        /// Decay factor, default 0.1.
        #[serde(default = "serde_default::step_gamma")]
        gamma: f64,
        /// Default `epoch`.
        #[serde(default)]
        unit: ScheduleUnit,
    },
    /// Multiply by `gamma` at each milestone ([`MultiStepLr`](super::MultiStepLr)).
    #[serde(rename = "multistep")]
    MultiStep {
        /// Milestones in `unit`, non-decreasing; empty (the default) means 50% and 75% of
        /// training.
        #[serde(default)]
        milestones: Vec<usize>,
        /// Decay factor, default 0.1.
        #[serde(default = "serde_default::step_gamma")]
        gamma: f64,
        /// Default `epoch`.
        #[serde(default)]
        unit: ScheduleUnit,
    },
    /// Multiply by `gamma` every unit ([`ExponentialLr`](super::ExponentialLr)).
    #[serde(rename = "exponential")]
    Exponential {
        /// Factor per unit (> 0), default 0.95.
        #[serde(default = "serde_default::exponential_gamma")]
        gamma: f64,
        /// Default `epoch`.
        #[serde(default)]
        unit: ScheduleUnit,
    },
    /// Polynomial decay to `end_lr` ([`PolynomialLr`](super::PolynomialLr)).
    #[serde(rename = "poly")]
    Polynomial {
        /// Length of the decay in `unit`; `None` (the default) means the whole training.
        #[serde(default)]
        total_iters: Option<usize>,
        /// Power, default 1 (linear).
        #[serde(default = "serde_default::poly_power")]
        power: f64,
        /// Final rate, default 0 (PyTorch has no such option and always decays to 0).
        #[serde(default = "serde_default::poly_end_lr")]
        end_lr: f64,
        /// Default `epoch`.
        #[serde(default)]
        unit: ScheduleUnit,
    },
    /// Half a cosine down to `eta_min` ([`CosineAnnealingLr`](super::CosineAnnealingLr)).
    #[serde(rename = "cosine")]
    Cosine {
        /// Half period in `unit`; `None` (the default) means the whole training.
        #[serde(default)]
        t_max: Option<usize>,
        /// Lowest rate, default 0.
        #[serde(default = "serde_default::eta_min")]
        eta_min: f64,
        /// Default `epoch`.
        #[serde(default)]
        unit: ScheduleUnit,
    },
    /// SGDR warm restarts ([`WarmRestarts`](super::WarmRestarts)).
    #[serde(rename = "sgdr")]
    WarmRestarts {
        /// First cycle length in `unit` (>= 1), default 10 (the paper's).
        #[serde(default = "serde_default::sgdr_t_0")]
        t_0: usize,
        /// Cycle length multiplier, default 1 (PyTorch's `T_mult=1`).
        #[serde(default = "serde_default::sgdr_t_mult")]
        t_mult: usize,
        /// Lowest rate, default 0.
        #[serde(default = "serde_default::eta_min")]
        eta_min: f64,
        /// Peak factor per restart in (0, 1], default 1 (not in PyTorch; timm's
        /// `cycle_decay`, with the peak held at or above `eta_min`).
        #[serde(default = "serde_default::sgdr_restart_decay")]
        restart_decay: f64,
        /// Default `fractional-epoch` (per batch, as in the paper).
        #[serde(default = "serde_default::sgdr_unit")]
        unit: ScheduleUnit,
    },
    /// Cyclical rates between `min_lr` and the base rate, per batch ([`CyclicLr`](super::CyclicLr)),
    /// with the momentum cycled inversely (PyTorch's `cycle_momentum=True`).
    #[serde(rename = "cyclic")]
    Cyclic {
        /// Lower bound (PyTorch's `base_lr`); `None` (the default) means a quarter of the base
        /// rate.
        #[serde(default)]
        min_lr: Option<f64>,
        /// Batches of the rising half; `None` (the default) means 4 epochs.
        #[serde(default)]
        step_size_up: Option<usize>,
        /// Batches of the falling half; `None` (the default) means `step_size_up`.
        #[serde(default)]
        step_size_down: Option<usize>,
        /// Amplitude policy, default `triangular`.
        #[serde(default = "serde_default::cyclic_mode")]
        mode: CyclicMode,
        /// `exp_range` decay per batch, default 1.
        #[serde(default = "serde_default::cyclic_gamma")]
        gamma: f64,
        /// Cycle the optimizer's momentum (Adam's `β1`) inversely to the rate, default true.
        #[serde(default = "serde_default::cycle_momentum")]
        cycle_momentum: bool,
        /// The momentum at the rate's peak, default 0.8 (PyTorch's).
        #[serde(default = "serde_default::cyclic_base_momentum")]
        base_momentum: f64,
        /// The momentum at the rate's floor, default 0.9 (PyTorch's).
        #[serde(default = "serde_default::cyclic_max_momentum")]
        max_momentum: f64,
    },
    /// The one-cycle policy peaking at the base rate, per batch ([`OneCycleLr`](super::OneCycleLr)),
    /// with the momentum cycled inversely (PyTorch's `cycle_momentum=True`).
    #[serde(rename = "onecycle")]
    OneCycle {
        /// Cycle length in batches; `None` (the default) means the whole training.
        #[serde(default)]
        total_steps: Option<usize>,
        /// Fraction of the cycle spent rising, default 0.3.
        #[serde(default = "serde_default::pct_start")]
        pct_start: f64,
        /// Phase shape, default `cos`.
        #[serde(default = "serde_default::anneal_strategy")]
        anneal_strategy: AnnealStrategy,
        /// First rate = base / `div_factor`, default 25.
        #[serde(default = "serde_default::div_factor")]
        div_factor: f64,
        /// Last rate = first / `final_div_factor`, default 1e4.
        #[serde(default = "serde_default::final_div_factor")]
        final_div_factor: f64,
        /// The paper's three phases instead of fastai's two, default false.
        #[serde(default = "serde_default::three_phase")]
        three_phase: bool,
        /// Cycle the optimizer's momentum (Adam's `β1`) inversely to the rate, default true.
        #[serde(default = "serde_default::cycle_momentum")]
        cycle_momentum: bool,
        /// The momentum at the rate's peak, default 0.85 (PyTorch's).
        #[serde(default = "serde_default::onecycle_base_momentum")]
        base_momentum: f64,
        /// The momentum at the start and end, default 0.95 (PyTorch's).
        #[serde(default = "serde_default::onecycle_max_momentum")]
        max_momentum: f64,
    },
    /// Linear warm-up of a factor of the base rate ([`LinearLr`](super::LinearLr)).
    #[serde(rename = "warmup")]
    Warmup {
        /// First factor in (0, 1], default 1/3.
        #[serde(default = "serde_default::warmup_start_factor")]
        start_factor: f64,
        /// Final factor in [0, 1], default 1.
        #[serde(default = "serde_default::warmup_end_factor")]
        end_factor: f64,
        /// Length in `unit`, default 5.
        #[serde(default = "serde_default::warmup_total_iters")]
        total_iters: usize,
        /// Default `epoch`.
        #[serde(default)]
        unit: ScheduleUnit,
    },
    /// Schedules run one after another ([`SequentialLr`]).
    #[serde(rename = "sequence")]
    Sequence {
        /// The schedules, each built with the same base rate; the training length each one sees
        /// (for its `None` durations) is what remains after its start. Default: 5 epochs of
        /// warm-up from a tenth of the rate, then a cosine.
        #[serde(default = "serde_default::sequence_schedules")]
        schedules: Vec<ScheduleConfig>,
        /// Where each next schedule starts, in `unit` (one fewer than `schedules`); default `[5]`.
        #[serde(default = "serde_default::sequence_milestones")]
        milestones: Vec<usize>,
        /// Unit of the milestones, default `epoch` (`fractional-epoch` counts as epochs).
        #[serde(default)]
        unit: ScheduleUnit,
    },
    /// timm's cosine with restarts ([`TimmCosine`](super::TimmCosine)): timm's
    /// `CosineLRScheduler` argument for argument (`t_in_epochs` is `unit`), with timm's defaults.
    #[serde(rename = "timm-cosine")]
    TimmCosine {
        /// First cycle length in `unit` (`t_initial`); `None` (the default) means the whole
        /// training (less the warm-up with `warmup_prefix`).
        #[serde(default)]
        t_initial: Option<usize>,
        /// The floor, default 0.
        #[serde(default = "serde_default::timm_lr_min")]
        lr_min: f64,
        /// Cycle length multiplier (a float), default 1.
        #[serde(default = "serde_default::timm_cycle_mul")]
        cycle_mul: f64,
        /// Peak factor per cycle, default 1.
        #[serde(default = "serde_default::timm_cycle_decay")]
        cycle_decay: f64,
        /// Cycles before the rate stays at `lr_min`, default 1.
        #[serde(default = "serde_default::timm_cycle_limit")]
        cycle_limit: usize,
        /// Warm-up length in `unit`, default 0.
        #[serde(default = "serde_default::timm_warmup_t")]
        warmup_t: usize,
        /// The warm-up's first rate, default 0.
        #[serde(default = "serde_default::timm_warmup_lr_init")]
        warmup_lr_init: f64,
        /// The cosine starts after the warm-up instead of under it, default false.
        #[serde(default = "serde_default::timm_warmup_prefix")]
        warmup_prefix: bool,
        /// k-decay exponent (Zhang et al. 2020), default 1.
        #[serde(default = "serde_default::timm_k_decay")]
        k_decay: f64,
        /// Noise from `[start]` on or over `[start, end)`, in `unit`; empty (the default): none.
        #[serde(default)]
        noise_range_t: Vec<usize>,
        /// Bound of the relative noise, default 0.67.
        #[serde(default = "serde_default::timm_noise_pct")]
        noise_pct: f64,
        /// Scale of the normal draw, default 1 (timm ignores it).
        #[serde(default = "serde_default::timm_noise_std")]
        noise_std: f64,
        /// Seed of the noise, default 42.
        #[serde(default = "serde_default::timm_noise_seed")]
        noise_seed: u64,
        /// Default `epoch` (timm's `t_in_epochs=True`); `batch` is `t_in_epochs=False`.
        #[serde(default = "serde_default::timm_unit")]
        unit: ScheduleUnit,
    },
    /// Warmup-stable-decay ([`Wsd`](super::Wsd)), per batch, over the whole training.
    #[serde(rename = "wsd")]
    Wsd {
        /// Fraction of training spent warming up, default 0.05.
        #[serde(default = "serde_default::wsd_warmup_fraction")]
        warmup_fraction: f64,
        /// Fraction of training spent cooling down, default 0.2.
        #[serde(default = "serde_default::wsd_decay_fraction")]
        decay_fraction: f64,
        /// The warm-up starts at the rate over this, default 100.
        #[serde(default = "serde_default::wsd_init_div_factor")]
        init_div_factor: f64,
        /// Shape of the cooldown, default `1-sqrt`.
        #[serde(default = "serde_default::wsd_cooldown")]
        cooldown: CooldownShape,
        /// The rate the cooldown ends at, default 0.
        #[serde(default = "serde_default::wsd_min_lr")]
        min_lr: f64,
    },
}

// Serde's `deny_unknown_fields` does not reach the unit variant of an internally tagged enum:
// `{"kind": "constant", "gamma": 0.1}` would load as `constant` with `gamma` dropped. The
// derive above (`remote = "Self"`) writes inherent `serialize`/`deserialize` functions; these
// trait impls call them, and refuse fields next to `"kind": "constant"` first.
impl Serialize for ScheduleConfig {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ScheduleConfig::serialize(self, serializer)
    }
}

impl<'de> Deserialize<'de> for ScheduleConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let value = serde_json::Value::deserialize(deserializer)?;
        if let Some(fields) = value.as_object()
            && fields.get("kind").and_then(serde_json::Value::as_str) == Some("constant")
            && let Some(extra) = fields.keys().find(|key| *key != "kind")
        {
            return Err(D::Error::custom(format!(
                "unknown field `{extra}`: the constant schedule has no fields"
            )));
        }
        ScheduleConfig::deserialize(value).map_err(D::Error::custom)
    }
}

/// The training length a schedule is built for.
#[derive(Clone, Copy, Debug)]
struct Budget {
    steps_per_epoch: usize,
    /// Remaining batches.
    total_steps: usize,
}

impl Budget {
    /// Ticks of a built schedule per `unit` of a user duration.
    fn scale(self, unit: ScheduleUnit) -> usize {
        match unit {
            ScheduleUnit::FractionalEpoch => self.steps_per_epoch,
            ScheduleUnit::Epoch | ScheduleUnit::Batch => 1,
        }
    }

    /// The whole remaining training in ticks of a schedule built in `unit`.
    fn horizon(self, unit: ScheduleUnit) -> usize {
        match unit {
            ScheduleUnit::Epoch => self.total_steps / self.steps_per_epoch,
            ScheduleUnit::Batch | ScheduleUnit::FractionalEpoch => self.total_steps,
        }
    }

    /// A user duration (in `unit`) in ticks, or the whole remaining training when `None`.
    fn ticks(
        self,
        field: &'static str,
        value: Option<usize>,
        unit: ScheduleUnit,
    ) -> Result<usize, OptimError> {
        match value {
            Some(value) => checked_scale(field, value, self.scale(unit)),
            None => match self.horizon(unit) {
                0 => Err(invalid(
                    field,
                    "none",
                    "defaults to the remaining training length, which is empty: set it, or \
                     give total_epochs",
                )),
                horizon => Ok(horizon),
            },
        }
    }

    /// Wraps a schedule built in ticks of `unit` so it is stepped once per batch.
    fn finish<S: LrScheduler + Clone + 'static>(
        self,
        unit: ScheduleUnit,
        schedule: S,
    ) -> Result<Schedule, OptimError> {
        Ok(match unit {
            ScheduleUnit::Epoch => Schedule::new(PerEpoch::new(schedule, self.steps_per_epoch)?),
            ScheduleUnit::Batch | ScheduleUnit::FractionalEpoch => Schedule::new(schedule),
        })
    }
}

impl ScheduleConfig {
    /// Builds the schedule for a trainer that calls `step()` once per batch.
    ///
    /// `base_lr` is the optimizer's rate, `steps_per_epoch` the number of batches per epoch
    /// (a short last batch counts), `total_epochs` the length of training (used by the durations
    /// left to `None`; may be 0 if none is).
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming the offending field (`lr` for a bad base rate,
    /// `steps_per_epoch`, or a field of the variant).
    pub fn init(
        &self,
        base_lr: f64,
        steps_per_epoch: usize,
        total_epochs: usize,
    ) -> Result<Schedule, OptimError> {
        let steps_per_epoch = at_least_one("steps_per_epoch", steps_per_epoch)?;
        let budget = Budget {
            steps_per_epoch,
            total_steps: checked_scale("total_epochs", total_epochs, steps_per_epoch)?,
        };
        positive("lr", base_lr)?;
        self.build(base_lr, budget)
    }

    fn build(&self, lr: f64, budget: Budget) -> Result<Schedule, OptimError> {
        match self {
            ScheduleConfig::Constant => Ok(Schedule::new(ConstantLrConfig::new(lr).init()?)),
            ScheduleConfig::Step {
                step_size,
                gamma,
                unit,
            } => {
                let step_size = budget.ticks("step_size", Some(*step_size), *unit)?;
                let config = StepLrConfig::new(lr, step_size).with_gamma(*gamma);
                budget.finish(*unit, config.init()?)
            }
            ScheduleConfig::MultiStep {
                milestones,
                gamma,
                unit,
            } => {
                let milestones = if milestones.is_empty() {
                    let horizon = budget.horizon(*unit);
                    vec![horizon / 2, horizon * 3 / 4]
                } else {
                    milestones
                        .iter()
                        .map(|&m| checked_scale("milestones", m, budget.scale(*unit)))
                        .collect::<Result<_, _>>()?
                };
                let config = MultiStepLrConfig::new(lr, milestones).with_gamma(*gamma);
                budget.finish(*unit, config.init()?)
            }
            ScheduleConfig::Exponential { gamma, unit } => {
                let gamma = positive("gamma", *gamma)?;
                let per_tick = gamma.powf(1.0 / budget.scale(*unit) as f64);
                budget.finish(*unit, ExponentialLrConfig::new(lr, per_tick).init()?)
            }
            ScheduleConfig::Polynomial {
                total_iters,
                power,
                end_lr,
                unit,
            } => {
                let total_iters = budget.ticks("total_iters", *total_iters, *unit)?;
                let config = PolynomialLrConfig::new(lr, total_iters)
                    .with_power(*power)
                    .with_end_lr(*end_lr);
                budget.finish(*unit, config.init()?)
            }
            ScheduleConfig::Cosine {
                t_max,
                eta_min,
                unit,
            } => {
                let t_max = budget.ticks("t_max", *t_max, *unit)?;
                let config = CosineAnnealingLrConfig::new(lr, t_max).with_eta_min(*eta_min);
                budget.finish(*unit, config.init()?)
            }
            ScheduleConfig::WarmRestarts {
                t_0,
                t_mult,
                eta_min,
                restart_decay,
                unit,
            } => {
                let steps_per_epoch = budget.scale(*unit);
                let config = WarmRestartsConfig::new(lr, *t_0, steps_per_epoch)
                    .with_t_mult(*t_mult)
                    .with_eta_min(*eta_min)
                    .with_restart_decay(*restart_decay);
                budget.finish(*unit, config.init()?)
            }
            ScheduleConfig::Cyclic { .. } => Ok(Schedule::new(self.cyclic(lr, budget)?)),
            ScheduleConfig::OneCycle { .. } => Ok(Schedule::new(self.one_cycle(lr, budget)?)),
            ScheduleConfig::TimmCosine {
                t_initial,
                lr_min,
                cycle_mul,
                cycle_decay,
                cycle_limit,
                warmup_t,
                warmup_lr_init,
                warmup_prefix,
                k_decay,
                noise_range_t,
                noise_pct,
                noise_std,
                noise_seed,
                unit,
            } => {
                let warmup_t = budget.ticks("warmup_t", Some(*warmup_t), *unit)?;
                let t_initial = match t_initial {
                    Some(t) => budget.ticks("t_initial", Some(*t), *unit)?,
                    None => {
                        let whole = budget.ticks("t_initial", None, *unit)?;
                        if *warmup_prefix {
                            whole.saturating_sub(warmup_t)
                        } else {
                            whole
                        }
                    }
                };
                let noise = noise_range_t
                    .iter()
                    .map(|&t| checked_scale("noise_range_t", t, budget.scale(*unit)))
                    .collect::<Result<Vec<_>, _>>()?;
                let (noise_start, noise_end) = match noise.as_slice() {
                    [] => (None, None),
                    [start] => (Some(*start), None),
                    [start, end] => (Some(*start), Some(*end)),
                    _ => {
                        return Err(invalid(
                            "noise_range_t",
                            format!("{noise_range_t:?}"),
                            "give a start, or a start and an end",
                        ));
                    }
                };
                let config = TimmCosineConfig::new(lr, t_initial)
                    .with_lr_min(*lr_min)
                    .with_cycle_mul(*cycle_mul)
                    .with_cycle_decay(*cycle_decay)
                    .with_cycle_limit(*cycle_limit)
                    .with_warmup_t(warmup_t)
                    .with_warmup_lr_init(*warmup_lr_init)
                    .with_warmup_prefix(*warmup_prefix)
                    .with_k_decay(*k_decay)
                    .with_noise_start(noise_start)
                    .with_noise_end(noise_end)
                    .with_noise_pct(*noise_pct)
                    .with_noise_std(*noise_std)
                    .with_noise_seed(*noise_seed);
                budget.finish(*unit, config.init()?)
            }
            ScheduleConfig::Wsd {
                warmup_fraction,
                decay_fraction,
                init_div_factor,
                cooldown,
                min_lr,
            } => {
                let total = budget.total_steps;
                let steps = |field: &'static str, fraction: f64| {
                    if (0.0..=1.0).contains(&fraction) {
                        // The paper's code: int(fraction * steps).
                        Ok((fraction * total as f64).floor() as usize)
                    } else {
                        Err(invalid(field, fraction, "must lie in [0, 1]"))
                    }
                };
                let (warmup, decay) = (
                    steps("warmup_fraction", *warmup_fraction)?,
                    steps("decay_fraction", *decay_fraction)?,
                );
                if warmup_fraction + decay_fraction > 1.0 {
                    return Err(invalid(
                        "decay_fraction",
                        decay_fraction,
                        format!("plus warmup_fraction {warmup_fraction} exceeds 1"),
                    ));
                }
                if decay == 0 {
                    return Err(invalid(
                        "decay_fraction",
                        decay_fraction,
                        format!("leaves no cooldown step in {total} steps of training"),
                    ));
                }
                let config = WsdConfig::new(lr, total, decay)
                    .with_warmup_steps(warmup)
                    .with_init_div_factor(*init_div_factor)
                    .with_min_lr(*min_lr)
                    .with_cooldown(*cooldown);
                Ok(Schedule::new(config.init()?))
            }
            ScheduleConfig::Warmup {
                start_factor,
                end_factor,
                total_iters,
                unit,
            } => {
                let total_iters = budget.ticks("total_iters", Some(*total_iters), *unit)?;
                let config = LinearLrConfig::new(lr)
                    .with_start_factor(*start_factor)
                    .with_end_factor(*end_factor)
                    .with_total_iters(total_iters);
                budget.finish(*unit, config.init()?)
            }
            ScheduleConfig::Sequence {
                schedules,
                milestones,
                unit,
            } => {
                let per_unit = match unit {
                    ScheduleUnit::Batch => 1,
                    ScheduleUnit::Epoch | ScheduleUnit::FractionalEpoch => budget.steps_per_epoch,
                };
                let milestones: Vec<usize> = milestones
                    .iter()
                    .map(|&m| checked_scale("milestones", m, per_unit))
                    .collect::<Result<_, _>>()?;
                let starts = core::iter::once(0).chain(milestones.iter().copied());
                let children = schedules
                    .iter()
                    .zip(starts)
                    .map(|(child, start)| {
                        let remaining = Budget {
                            total_steps: budget.total_steps.saturating_sub(start),
                            ..budget
                        };
                        child.build(lr, remaining)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Schedule::new(SequentialLr::new(children, milestones)?))
            }
        }
    }
}

impl ScheduleConfig {
    /// The cyclic schedule of a `cyclic` config.
    fn cyclic(&self, lr: f64, budget: Budget) -> Result<CyclicLr, OptimError> {
        let ScheduleConfig::Cyclic {
            min_lr,
            step_size_up,
            step_size_down,
            mode,
            gamma,
            ..
        } = self
        else {
            return Err(invalid("kind", self.kind(), "is not cyclic"));
        };
        let min_lr = min_lr.unwrap_or(lr * defaults::CYCLIC_MIN_LR_FRACTION);
        positive("min_lr", min_lr)?;
        if min_lr > lr {
            return Err(invalid("min_lr", min_lr, "must not exceed the base rate"));
        }
        let up = match step_size_up {
            Some(up) => *up,
            None => checked_scale(
                "step_size_up",
                defaults::CYCLIC_STEP_EPOCHS,
                budget.steps_per_epoch,
            )?,
        };
        CyclicLrConfig::new(min_lr, lr, up)
            .with_step_size_down(*step_size_down)
            .with_mode(*mode)
            .with_gamma(*gamma)
            .init()
    }

    /// The one-cycle schedule of a `onecycle` config.
    fn one_cycle(&self, lr: f64, budget: Budget) -> Result<OneCycleLr, OptimError> {
        let ScheduleConfig::OneCycle {
            total_steps,
            pct_start,
            anneal_strategy,
            div_factor,
            final_div_factor,
            three_phase,
            ..
        } = self
        else {
            return Err(invalid("kind", self.kind(), "is not onecycle"));
        };
        let total_steps = budget.ticks("total_steps", *total_steps, ScheduleUnit::Batch)?;
        OneCycleLrConfig::new(lr, total_steps)
            .with_pct_start(*pct_start)
            .with_anneal_strategy(*anneal_strategy)
            .with_div_factor(*div_factor)
            .with_final_div_factor(*final_div_factor)
            .with_three_phase(*three_phase)
            .init()
    }

    /// The momentum this schedule sets at each step, for the same base rate and training length
    /// as [`init`](Self::init): `Some` when it cycles the momentum (`cyclic` and `onecycle` with
    /// `cycle_momentum`, also inside a `sequence`), `None` when the optimizer keeps its own.
    ///
    /// The momentum is a function of the step alone, so a resumed run sets the same momenta.
    ///
    /// # Errors
    ///
    /// As [`init`](Self::init), and [`OptimError::InvalidConfig`] naming `base_momentum` or
    /// `max_momentum` outside `[0, 1)` or out of order.
    pub fn momentum(
        &self,
        base_lr: f64,
        steps_per_epoch: usize,
        total_epochs: usize,
    ) -> Result<Option<MomentumSchedule>, OptimError> {
        let steps_per_epoch = at_least_one("steps_per_epoch", steps_per_epoch)?;
        let budget = Budget {
            steps_per_epoch,
            total_steps: checked_scale("total_epochs", total_epochs, steps_per_epoch)?,
        };
        positive("lr", base_lr)?;
        let mut pieces = Vec::new();
        self.momentum_pieces(base_lr, budget, 0, &mut pieces)?;
        Ok((!pieces.is_empty()).then_some(MomentumSchedule::new(pieces)))
    }

    fn momentum_pieces(
        &self,
        lr: f64,
        budget: Budget,
        start: usize,
        pieces: &mut Vec<MomentumPiece>,
    ) -> Result<(), OptimError> {
        match self {
            ScheduleConfig::Cyclic {
                cycle_momentum: true,
                base_momentum,
                max_momentum,
                ..
            } => {
                let (base, max) = momentum_range(*base_momentum, *max_momentum)?;
                let cycle = MomentumCycle::Cyclic(self.cyclic(lr, budget)?);
                pieces.push(MomentumPiece::new(start, cycle, base, max));
            }
            ScheduleConfig::OneCycle {
                cycle_momentum: true,
                base_momentum,
                max_momentum,
                ..
            } => {
                let (base, max) = momentum_range(*base_momentum, *max_momentum)?;
                let cycle = MomentumCycle::OneCycle(self.one_cycle(lr, budget)?);
                pieces.push(MomentumPiece::new(start, cycle, base, max));
            }
            ScheduleConfig::Sequence {
                schedules,
                milestones,
                unit,
            } => {
                let per_unit = match unit {
                    ScheduleUnit::Batch => 1,
                    ScheduleUnit::Epoch | ScheduleUnit::FractionalEpoch => budget.steps_per_epoch,
                };
                let mut starts = vec![0];
                for &m in milestones {
                    starts.push(checked_scale("milestones", m, per_unit)?);
                }
                for (index, (child, &child_start)) in schedules.iter().zip(&starts).enumerate() {
                    let remaining = Budget {
                        total_steps: budget.total_steps.saturating_sub(child_start),
                        ..budget
                    };
                    let first = pieces.len();
                    child.momentum_pieces(lr, remaining, start + child_start, pieces)?;
                    // A child's momentum ends where the next child starts.
                    if let Some(&next) = starts.get(index + 1) {
                        for piece in &mut pieces[first..] {
                            piece.end =
                                Some(piece.end.map_or(start + next, |e| e.min(start + next)));
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// `base_momentum` and `max_momentum`, checked: both in `[0, 1)`, `base <= max`.
fn momentum_range(base: f64, max: f64) -> Result<(f64, f64), OptimError> {
    for (field, value) in [("base_momentum", base), ("max_momentum", max)] {
        if !(0.0..1.0).contains(&value) {
            return Err(invalid(field, value, "must lie in [0, 1)"));
        }
    }
    if base > max {
        return Err(invalid(
            "base_momentum",
            base,
            "must not exceed max_momentum",
        ));
    }
    Ok((base, max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::ScheduleKind;
    use crate::schedule::test_utils::{
        TORCH_RTOL, assert_close, assert_invalid, check_resume, take,
    };

    fn build(json: &str, steps_per_epoch: usize, total_epochs: usize) -> Schedule {
        let config: ScheduleConfig = serde_json::from_str(json).expect("parses");
        config
            .init(0.1, steps_per_epoch, total_epochs)
            .expect("valid")
    }

    #[test]
    fn epoch_unit_holds_torch_per_epoch_values() {
        // StepLR(step_size=3, gamma=0.5) stepped per epoch, 4 batches per epoch.
        let mut schedule = build(r#"{"kind": "step", "step_size": 3, "gamma": 0.5}"#, 4, 30);
        let lrs = take(&mut schedule, 40);
        let expected: Vec<f64> = (0..40).map(|b| 0.1 * 0.5f64.powi(b / 12)).collect();
        assert_close(&lrs, &expected, 1e-12);
    }

    // A cosine over 10 epochs of 12 batches in `fractional-epoch` units is PyTorch's cosine with
    // T_max = 120 stepped per batch.
    // PyTorch reference (cosine_fractional.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python cosine_fractional.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import CosineAnnealingLR
    //
    //     # 10 epochs of 12 batches, annealed per batch: T_max = 10 * 12 batches.
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = CosineAnnealingLR(opt, T_max=120, eta_min=0.0)
    //     lrs = []
    //     for _ in range(120):
    //         lrs.append(opt.param_groups[0]["lr"])
    //         opt.step()
    //         sched.step()
    //     print(lrs)
    #[test]
    fn fractional_epoch_cosine_matches_torch_per_batch() {
        const TORCH: [f64; 120] = [
            0.1,
            0.09998286624877786,
            0.09993147673772869,
            0.0998458666866564,
            0.09972609476841365,
            0.09957224306869052,
            0.09938441702975688,
            0.09916274537819772,
            0.09890738003669027,
            0.0986184960198838,
            0.09829629131445339,
            0.09794098674340963,
            0.09755282581475766,
            0.0971320745546089,
            0.09667902132486006,
            0.09619397662556431,
            0.09567727288213002,
            0.09512926421749301,
            0.09455032620941838,
            0.09394085563309826,
            0.09330127018922194,
            0.0926320082177046,
            0.0919335283972712,
            0.09120630943110078,
            0.09045084971874737,
            0.08966766701456175,
            0.08885729807284853,
            0.08802029828000153,
            0.08715724127386969,
            0.08626871855061435,
            0.08535533905932735,
            0.08441772878468767,
            0.08345653031794288,
            0.08247240241650916,
            0.08146601955249186,
            0.08043807145043602,
            0.07938926261462365,
            0.07832031184624162,
            0.07723195175075134,
            0.07612492823579743,
            0.07499999999999998,
            0.0738579380129804,
            0.07269952498697732,
            0.07152555484041474,
            0.07033683215379,
            0.06913417161825447,
            0.067918397477265,
            0.06669034296168852,
            0.06545084971874734,
            0.06420076723519612,
            0.06294095225512601,
            0.061672268192795254,
            0.060395584540887934,
            0.05911177627460735,
            0.05782172325201152,
            0.05652630961100255,
            0.05522642316338265,
            0.053922954786392224,
            0.052616797812147155,
            0.05130884741539362,
            0.049999999999999975,
            0.048691152584606316,
            0.04738320218785279,
            0.04607704521360773,
            0.044773576836617306,
            0.043473690388997406,
            0.04217827674798843,
            0.04088822372539261,
            0.039604415459112,
            0.0383277318072047,
            0.03705904774487394,
            0.03579923276480384,
            0.034549150281252605,
            0.03330965703831143,
            0.03208160252273496,
            0.030865828381745487,
            0.029663167846209974,
            0.02847444515958523,
            0.02730047501302264,
            0.026142061987019554,
            0.024999999999999988,
            0.023875071764202536,
            0.022768048249248638,
            0.021679688153758325,
            0.02061073738537633,
            0.01956192854956395,
            0.01853398044750812,
            0.017527597583490807,
            0.01654346968205709,
            0.015582271215312278,
            0.014644660940672613,
            0.013731281449385607,
            0.012842758726130287,
            0.011979701719998442,
            0.011142701927151444,
            0.010332332985438225,
            0.009549150281252623,
            0.008793690568899218,
            0.008066471602728796,
            0.007367991782295385,
            0.006698729810778059,
            0.006059144366901731,
            0.005449673790581606,
            0.004870735782506975,
            0.0043227271178699475,
            0.00380602337443566,
            0.00332097867513991,
            0.002867925445391082,
            0.002447174185242322,
            0.0020590132565903516,
            0.0017037086855465832,
            0.0013815039801161712,
            0.0010926199633097147,
            0.000837254621802274,
            0.0006155829702431166,
            0.0004277569313094806,
            0.00027390523158632977,
            0.0001541333133436017,
            6.852326227130829e-05,
            1.7133751222136994e-05,
        ];
        let json = r#"{"kind": "cosine", "t_max": 10, "unit": "fractional-epoch"}"#;
        let mut schedule = build(json, 12, 10);
        assert_close(&take(&mut schedule, TORCH.len()), &TORCH, TORCH_RTOL);
        // Leaving t_max out means the whole training: the same schedule.
        let mut schedule = build(r#"{"kind": "cosine", "unit": "fractional-epoch"}"#, 12, 10);
        assert_close(&take(&mut schedule, TORCH.len()), &TORCH, TORCH_RTOL);
    }

    #[test]
    fn fractional_epoch_exponential_is_smooth() {
        let json = r#"{"kind": "exponential", "gamma": 0.5, "unit": "fractional-epoch"}"#;
        let mut schedule = build(json, 4, 10);
        let lrs = take(&mut schedule, 9);
        let expected: Vec<f64> = (0..9).map(|b| 0.1 * 0.5f64.powf(b as f64 / 4.0)).collect();
        assert_close(&lrs, &expected, 1e-12);
    }

    #[test]
    fn sgdr_units() {
        let fractional = r#"{"kind": "sgdr", "t_0": 2}"#;
        let per_epoch = r#"{"kind": "sgdr", "t_0": 2, "unit": "epoch"}"#;
        let per_batch = r#"{"kind": "sgdr", "t_0": 2, "unit": "batch"}"#;
        let fractional = take(&mut build(fractional, 4, 4), 16);
        let per_epoch = take(&mut build(per_epoch, 4, 4), 16);
        let per_batch = take(&mut build(per_batch, 4, 4), 16);
        // Fractional: a smooth cosine over 8 batches; per epoch: held for 4 batches; per batch:
        // restarts every 2 batches.
        let cosine = |t: f64, t_i: f64| 0.05 * (1.0 + (core::f64::consts::PI * t / t_i).cos());
        let expected: Vec<f64> = (0..16).map(|b| cosine((b % 8) as f64, 8.0)).collect();
        assert_close(&fractional, &expected, 1e-12);
        let expected: Vec<f64> = (0..16).map(|b| cosine(((b / 4) % 2) as f64, 2.0)).collect();
        assert_close(&per_epoch, &expected, 1e-12);
        let expected: Vec<f64> = (0..16).map(|b| cosine((b % 2) as f64, 2.0)).collect();
        assert_close(&per_batch, &expected, 1e-12);
    }

    #[test]
    fn multistep_defaults_to_half_and_three_quarters() {
        let mut schedule = build(r#"{"kind": "multistep"}"#, 2, 8);
        let lrs = take(&mut schedule, 16);
        let expected: Vec<f64> = (0..16)
            .map(|b| match b / 2 {
                0..4 => 0.1,
                4..6 => 0.01,
                _ => 0.001,
            })
            .collect();
        assert_close(&lrs, &expected, 1e-12);
    }

    #[test]
    fn cyclic_and_onecycle_defaults() {
        // Cyclic: between lr / 4 and lr, 4 epochs up.
        let mut schedule = build(r#"{"kind": "cyclic"}"#, 5, 100);
        let lrs = take(&mut schedule, 41);
        assert_close(
            &[lrs[0], lrs[10], lrs[20], lrs[40]],
            &[0.025, 0.0625, 0.1, 0.025],
            1e-12,
        );
        // One-cycle over the whole training, ending at its final rate.
        let mut schedule = build(r#"{"kind": "onecycle"}"#, 5, 10);
        let lrs = take(&mut schedule, 50);
        assert_eq!(lrs[0], 0.1 / 25.0);
        assert_eq!(lrs[49], 0.1 / 25.0 / 1e4);
    }

    #[test]
    fn sequence_in_epochs_gives_children_the_remaining_training() {
        let json = r#"{
            "kind": "sequence",
            "schedules": [
                {"kind": "warmup", "start_factor": 0.5, "total_iters": 2},
                {"kind": "cosine"}
            ],
            "milestones": [2]
        }"#;
        let mut schedule = build(json, 3, 6);
        let lrs = take(&mut schedule, 18);
        let per_epoch = [
            0.05,
            0.075,
            0.1,
            0.05 * (1.0 + (core::f64::consts::PI / 4.0).cos()),
            0.05,
            0.05 * (1.0 + (3.0 * core::f64::consts::PI / 4.0).cos()),
        ];
        let expected: Vec<f64> = (0..18).map(|b| per_epoch[b / 3]).collect();
        assert_close(&lrs, &expected, 1e-12);
    }

    #[test]
    fn every_kind_resumes_mid_epoch() {
        for kind in ScheduleKind::ALL {
            let schedule = kind.default_config().init(0.1, 7, 30).expect("valid");
            check_resume(&schedule, &[0, 3, 7, 38, 71, 150], 25);
        }
    }

    #[test]
    fn serde_round_trip_of_every_default() {
        for kind in ScheduleKind::ALL {
            let config = kind.default_config();
            let json = serde_json::to_string(&config).expect("serializes");
            assert!(json.contains(&format!("\"kind\":\"{kind}\"")), "{json}");
            let back: ScheduleConfig = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(back, config);
        }
    }

    /// One set of defaults: a file that names only the kind gets every field at the value the
    /// command line uses for a flag not given (`ScheduleKind::default_config`, what
    /// `ScheduleConfig::from_kind` starts from).
    #[test]
    fn an_omitted_field_takes_the_cli_default() {
        for kind in ScheduleKind::ALL {
            let json = format!(r#"{{"kind": "{kind}"}}"#);
            let from_file: ScheduleConfig = serde_json::from_str(&json).expect("parses");
            assert_eq!(from_file, kind.default_config(), "{kind}");
            let from_flags = ScheduleConfig::from_kind(*kind, &Default::default()).expect("valid");
            assert_eq!(from_file, from_flags, "{kind}");
        }
        // PyTorch's defaults where the schedule mirrors PyTorch's.
        let sgdr: ScheduleConfig = serde_json::from_str(r#"{"kind": "sgdr"}"#).expect("parses");
        assert!(matches!(
            sgdr,
            ScheduleConfig::WarmRestarts { t_mult: 1, .. }
        ));
    }

    #[test]
    fn a_misspelt_field_of_any_kind_is_an_error_naming_it() {
        for kind in ScheduleKind::ALL {
            let mut json = serde_json::to_value(kind.default_config()).expect("json");
            json.as_object_mut()
                .expect("object")
                .insert("step_sise".into(), serde_json::json!(3));
            let err = serde_json::from_value::<ScheduleConfig>(json).expect_err("unknown field");
            assert!(err.to_string().contains("step_sise"), "{kind}: {err}");
        }
    }

    #[test]
    fn new_kinds_reject_bad_fields() {
        let config = |json: &str| serde_json::from_str::<ScheduleConfig>(json).expect("parses");
        assert_invalid(
            config(r#"{"kind": "wsd", "decay_fraction": 1.5}"#).init(0.1, 10, 10),
            "decay_fraction",
        );
        assert_invalid(
            config(r#"{"kind": "wsd", "warmup_fraction": 0.9, "decay_fraction": 0.2}"#)
                .init(0.1, 10, 10),
            "decay_fraction",
        );
        assert_invalid(
            config(r#"{"kind": "timm-cosine", "noise_range_t": [1, 2, 3]}"#).init(0.1, 10, 10),
            "noise_range_t",
        );
        assert_invalid(
            config(r#"{"kind": "timm-cosine", "cycle_limit": 0}"#).init(0.1, 10, 10),
            "cycle_limit",
        );
    }

    #[test]
    fn rejects_invalid_configs() {
        let config = |json: &str| serde_json::from_str::<ScheduleConfig>(json).expect("parses");
        let step = config(r#"{"kind": "step", "step_size": 3}"#);
        assert_invalid(step.init(-0.1, 10, 10), "lr");
        assert_invalid(step.init(0.1, 0, 10), "steps_per_epoch");
        assert_invalid(
            config(r#"{"kind": "step", "step_size": 0}"#).init(0.1, 10, 10),
            "step_size",
        );
        assert_invalid(config(r#"{"kind": "cosine"}"#).init(0.1, 10, 0), "t_max");
        assert_invalid(
            config(r#"{"kind": "sgdr", "t_0": 0}"#).init(0.1, 10, 10),
            "t_0",
        );
        assert_invalid(
            config(r#"{"kind": "sgdr", "t_0": 5, "t_mult": 0}"#).init(0.1, 10, 10),
            "t_mult",
        );
        assert_invalid(
            config(r#"{"kind": "cyclic", "min_lr": 0.5}"#).init(0.1, 10, 10),
            "min_lr",
        );
        assert_invalid(
            config(r#"{"kind": "onecycle", "pct_start": 1.2}"#).init(0.1, 10, 10),
            "pct_start",
        );
        assert_invalid(
            config(r#"{"kind": "exponential", "gamma": -0.5}"#).init(0.1, 10, 10),
            "gamma",
        );
        let sequence =
            r#"{"kind": "sequence", "schedules": [{"kind": "constant"}], "milestones": [3]}"#;
        assert_invalid(config(sequence).init(0.1, 10, 10), "milestones");
        assert!(serde_json::from_str::<ScheduleConfig>(r#"{"kind": "plateau"}"#).is_err());
    }
}
