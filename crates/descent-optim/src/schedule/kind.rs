//! [`ScheduleKind`]: the names of the schedules, for the command line.

use super::defaults as d;
use super::validate::named_enum;
use super::{ScheduleConfig, ScheduleUnit};

/// The kinds of [`ScheduleConfig`], by their command-line names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ScheduleKind {
    /// `constant`.
    #[default]
    Constant,
    /// `step`: PyTorch `StepLR`.
    Step,
    /// `multistep`: PyTorch `MultiStepLR`.
    MultiStep,
    /// `exponential`: PyTorch `ExponentialLR`.
    Exponential,
    /// `poly`: PyTorch `PolynomialLR`.
    Poly,
    /// `cosine`: PyTorch `CosineAnnealingLR`.
    Cosine,
    /// `sgdr`: warm restarts, PyTorch `CosineAnnealingWarmRestarts`.
    Sgdr,
    /// `cyclic`: PyTorch `CyclicLR`.
    Cyclic,
    /// `onecycle`: PyTorch `OneCycleLR`.
    OneCycle,
    /// `warmup`: linear warm-up, PyTorch `LinearLR`.
    Warmup,
    /// `sequence`: schedules switched at milestones, PyTorch `SequentialLR`.
    Sequence,
    /// `timm-cosine`: timm's `CosineLRScheduler` (warm-up, float cycle multiplier, cycle limit,
    /// k-decay, noise).
    TimmCosine,
    /// `wsd`: warmup-stable-decay (Hägele et al. 2024).
    Wsd,
}

named_enum!(ScheduleKind, "schedule", {
    Constant => "constant" | "const" | "none",
    Step => "step",
    MultiStep => "multistep" | "multi-step" | "multi_step",
    Exponential => "exponential" | "exp",
    Poly => "poly" | "polynomial",
    Cosine => "cosine" | "cos",
    Sgdr => "sgdr" | "warm-restarts" | "warm_restarts" | "warmrestarts",
    Cyclic => "cyclic" | "clr",
    OneCycle => "onecycle" | "one-cycle" | "one_cycle" | "1cycle",
    Warmup => "warmup" | "linear",
    Sequence => "sequence" | "sequential",
    TimmCosine => "timm-cosine" | "timm_cosine" | "timm",
    Wsd => "wsd" | "warmup-stable-decay",
});

impl ScheduleKind {
    /// This kind with every field at its default (the constants in
    /// [`defaults`](super::defaults), the same a JSON file gets for a field it leaves out):
    ///
    /// - `step`: every 30 epochs, `gamma` 0.1 (PyTorch's documented example);
    /// - `multistep`: milestones at 50% and 75% of training, `gamma` 0.1;
    /// - `exponential`: `gamma` 0.95 per epoch;
    /// - `poly`: linear decay to 0 over training;
    /// - `cosine`: one half cosine over training down to 0;
    /// - `sgdr`: `T_0` = 10 epochs (the paper's), `T_mult` = 1 (PyTorch's), per batch;
    /// - `cyclic`: triangular between `lr / 4` and `lr`, half cycles of 4 epochs (the CLR
    ///   paper's advice: bounds 3-4x apart, half cycles of 2-10 epochs), momentum cycled
    ///   0.9-0.8 (PyTorch's);
    /// - `onecycle`: PyTorch's defaults over the whole training, momentum cycled 0.95-0.85;
    /// - `warmup`: PyTorch `LinearLR`'s defaults (factor 1/3 to 1 over 5 epochs);
    /// - `sequence`: 5 epochs of linear warm-up from 0.1 x, then a cosine over the rest;
    /// - `timm-cosine`: timm's `CosineLRScheduler` defaults, one cycle over training;
    /// - `wsd`: 5% warm-up, 20% `1-sqrt` cooldown to 0.
    pub fn default_config(self) -> ScheduleConfig {
        match self {
            ScheduleKind::Constant => ScheduleConfig::Constant,
            ScheduleKind::Step => ScheduleConfig::Step {
                step_size: d::STEP_SIZE,
                gamma: d::STEP_GAMMA,
                unit: ScheduleUnit::Epoch,
            },
            ScheduleKind::MultiStep => ScheduleConfig::MultiStep {
                milestones: Vec::new(),
                gamma: d::STEP_GAMMA,
                unit: ScheduleUnit::Epoch,
            },
            ScheduleKind::Exponential => ScheduleConfig::Exponential {
                gamma: d::EXPONENTIAL_GAMMA,
                unit: ScheduleUnit::Epoch,
            },
            ScheduleKind::Poly => ScheduleConfig::Polynomial {
                total_iters: None,
                power: d::POLY_POWER,
                end_lr: d::POLY_END_LR,
                unit: ScheduleUnit::Epoch,
            },
            ScheduleKind::Cosine => ScheduleConfig::Cosine {
                t_max: None,
                eta_min: d::ETA_MIN,
                unit: ScheduleUnit::Epoch,
            },
            ScheduleKind::Sgdr => ScheduleConfig::WarmRestarts {
                t_0: d::SGDR_T_0,
                t_mult: d::SGDR_T_MULT,
                eta_min: d::ETA_MIN,
                restart_decay: d::SGDR_RESTART_DECAY,
                unit: d::SGDR_UNIT,
            },
            ScheduleKind::Cyclic => ScheduleConfig::Cyclic {
                min_lr: None,
                step_size_up: None,
                step_size_down: None,
                mode: d::CYCLIC_MODE,
                gamma: d::CYCLIC_GAMMA,
                cycle_momentum: d::CYCLE_MOMENTUM,
                base_momentum: d::CYCLIC_BASE_MOMENTUM,
                max_momentum: d::CYCLIC_MAX_MOMENTUM,
            },
            ScheduleKind::OneCycle => ScheduleConfig::OneCycle {
                total_steps: None,
                pct_start: d::ONECYCLE_PCT_START,
                anneal_strategy: d::ONECYCLE_ANNEAL,
                div_factor: d::ONECYCLE_DIV_FACTOR,
                final_div_factor: d::ONECYCLE_FINAL_DIV_FACTOR,
                three_phase: d::ONECYCLE_THREE_PHASE,
                cycle_momentum: d::CYCLE_MOMENTUM,
                base_momentum: d::ONECYCLE_BASE_MOMENTUM,
                max_momentum: d::ONECYCLE_MAX_MOMENTUM,
            },
            ScheduleKind::Warmup => ScheduleConfig::Warmup {
                start_factor: d::WARMUP_START_FACTOR,
                end_factor: d::WARMUP_END_FACTOR,
                total_iters: d::WARMUP_TOTAL_ITERS,
                unit: ScheduleUnit::Epoch,
            },
            ScheduleKind::Sequence => {
                let (schedules, milestones) = ScheduleConfig::default_sequence();
                ScheduleConfig::Sequence {
                    schedules,
                    milestones,
                    unit: ScheduleUnit::Epoch,
                }
            }
            ScheduleKind::TimmCosine => ScheduleConfig::TimmCosine {
                t_initial: None,
                lr_min: d::TIMM_LR_MIN,
                cycle_mul: d::TIMM_CYCLE_MUL,
                cycle_decay: d::TIMM_CYCLE_DECAY,
                cycle_limit: d::TIMM_CYCLE_LIMIT,
                warmup_t: d::TIMM_WARMUP_T,
                warmup_lr_init: d::TIMM_WARMUP_LR_INIT,
                warmup_prefix: d::TIMM_WARMUP_PREFIX,
                k_decay: d::TIMM_K_DECAY,
                noise_range_t: Vec::new(),
                noise_pct: d::TIMM_NOISE_PCT,
                noise_std: d::TIMM_NOISE_STD,
                noise_seed: d::TIMM_NOISE_SEED,
                unit: d::TIMM_UNIT,
            },
            ScheduleKind::Wsd => ScheduleConfig::Wsd {
                warmup_fraction: d::WSD_WARMUP_FRACTION,
                decay_fraction: d::WSD_DECAY_FRACTION,
                init_div_factor: d::WSD_INIT_DIV_FACTOR,
                cooldown: d::WSD_COOLDOWN,
                min_lr: d::WSD_MIN_LR,
            },
        }
    }
}

impl ScheduleConfig {
    /// The kind of this configuration.
    pub fn kind(&self) -> ScheduleKind {
        match self {
            ScheduleConfig::Constant => ScheduleKind::Constant,
            ScheduleConfig::Step { .. } => ScheduleKind::Step,
            ScheduleConfig::MultiStep { .. } => ScheduleKind::MultiStep,
            ScheduleConfig::Exponential { .. } => ScheduleKind::Exponential,
            ScheduleConfig::Polynomial { .. } => ScheduleKind::Poly,
            ScheduleConfig::Cosine { .. } => ScheduleKind::Cosine,
            ScheduleConfig::WarmRestarts { .. } => ScheduleKind::Sgdr,
            ScheduleConfig::Cyclic { .. } => ScheduleKind::Cyclic,
            ScheduleConfig::OneCycle { .. } => ScheduleKind::OneCycle,
            ScheduleConfig::Warmup { .. } => ScheduleKind::Warmup,
            ScheduleConfig::Sequence { .. } => ScheduleKind::Sequence,
            ScheduleConfig::TimmCosine { .. } => ScheduleKind::TimmCosine,
            ScheduleConfig::Wsd { .. } => ScheduleKind::Wsd,
        }
    }

    /// The default `sequence`: a warm-up from a tenth of the rate over 5 epochs, then a cosine
    /// over the rest; its schedules and milestones.
    pub(crate) fn default_sequence() -> (Vec<ScheduleConfig>, Vec<usize>) {
        (
            vec![
                ScheduleConfig::Warmup {
                    start_factor: d::SEQUENCE_WARMUP_START,
                    end_factor: d::WARMUP_END_FACTOR,
                    total_iters: d::SEQUENCE_WARMUP_EPOCHS,
                    unit: ScheduleUnit::Epoch,
                },
                ScheduleKind::Cosine.default_config(),
            ],
            vec![d::SEQUENCE_WARMUP_EPOCHS],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::assert_invalid;

    #[test]
    fn names_round_trip_and_match_the_configs() {
        for kind in ScheduleKind::ALL {
            assert_eq!(
                kind.to_string().parse::<ScheduleKind>().expect("parses"),
                *kind
            );
            assert_eq!(kind.default_config().kind(), *kind);
        }
        let names: Vec<String> = ScheduleKind::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(
            names.join(" "),
            "constant step multistep exponential poly cosine sgdr cyclic onecycle warmup sequence \
             timm-cosine wsd"
        );
        assert_eq!(
            "Warm-Restarts".parse::<ScheduleKind>().expect("alias"),
            ScheduleKind::Sgdr
        );
        assert_invalid("plateau".parse::<ScheduleKind>(), "schedule");
    }

    #[test]
    fn every_default_builds() {
        for kind in ScheduleKind::ALL {
            let schedule = kind.default_config().init(0.1, 50, 100);
            assert!(schedule.is_ok(), "{kind}: {schedule:?}");
        }
    }
}
