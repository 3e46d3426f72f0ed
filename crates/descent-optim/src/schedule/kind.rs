//! [`ScheduleKind`]: the names of the schedules, for the command line.

use super::validate::named_enum;
use super::{AnnealStrategy, CyclicMode, ScheduleConfig, ScheduleUnit};

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
});

impl ScheduleKind {
    /// A configuration of this kind with sensible defaults, to be adjusted field by field:
    ///
    /// - `step`: every 30 epochs, `gamma` 0.1 (PyTorch's documented example);
    /// - `multistep`: milestones at 50% and 75% of training, `gamma` 0.1;
    /// - `exponential`: `gamma` 0.95 per epoch;
    /// - `poly`: linear decay to 0 over training;
    /// - `cosine`: one half cosine over training down to 0;
    /// - `sgdr`: `T_0` = 10 epochs, `T_mult` = 2 (the paper's setting), per batch;
    /// - `cyclic`: triangular between `lr / 4` and `lr`, half cycles of 4 epochs (the CLR
    ///   paper's advice: bounds 3-4x apart, half cycles of 2-10 epochs);
    /// - `onecycle`: PyTorch's defaults over the whole training;
    /// - `warmup`: PyTorch `LinearLR`'s defaults (factor 1/3 to 1 over 5 epochs);
    /// - `sequence`: 5 epochs of linear warm-up from 0.1 x, then a cosine over the rest.
    pub fn default_config(self) -> ScheduleConfig {
        match self {
            ScheduleKind::Constant => ScheduleConfig::Constant,
            ScheduleKind::Step => ScheduleConfig::Step {
                step_size: 30,
                gamma: 0.1,
                unit: ScheduleUnit::Epoch,
            },
            ScheduleKind::MultiStep => ScheduleConfig::MultiStep {
                milestones: Vec::new(),
                gamma: 0.1,
                unit: ScheduleUnit::Epoch,
            },
            ScheduleKind::Exponential => ScheduleConfig::Exponential {
                gamma: 0.95,
                unit: ScheduleUnit::Epoch,
            },
            ScheduleKind::Poly => ScheduleConfig::Polynomial {
                total_iters: None,
                power: 1.0,
                end_lr: 0.0,
                unit: ScheduleUnit::Epoch,
            },
            ScheduleKind::Cosine => ScheduleConfig::Cosine {
                t_max: None,
                eta_min: 0.0,
                unit: ScheduleUnit::Epoch,
            },
            ScheduleKind::Sgdr => ScheduleConfig::WarmRestarts {
                t_0: 10,
                t_mult: 2,
                eta_min: 0.0,
                restart_decay: 1.0,
                unit: ScheduleUnit::FractionalEpoch,
            },
            ScheduleKind::Cyclic => ScheduleConfig::Cyclic {
                min_lr: None,
                step_size_up: None,
                step_size_down: None,
                mode: CyclicMode::Triangular,
                gamma: 1.0,
            },
            ScheduleKind::OneCycle => ScheduleConfig::OneCycle {
                total_steps: None,
                pct_start: 0.3,
                anneal_strategy: AnnealStrategy::Cos,
                div_factor: 25.0,
                final_div_factor: 1e4,
                three_phase: false,
            },
            ScheduleKind::Warmup => ScheduleConfig::Warmup {
                start_factor: 1.0 / 3.0,
                end_factor: 1.0,
                total_iters: 5,
                unit: ScheduleUnit::Epoch,
            },
            ScheduleKind::Sequence => ScheduleConfig::Sequence {
                schedules: vec![
                    ScheduleConfig::Warmup {
                        start_factor: 0.1,
                        end_factor: 1.0,
                        total_iters: 5,
                        unit: ScheduleUnit::Epoch,
                    },
                    ScheduleKind::Cosine.default_config(),
                ],
                milestones: vec![5],
                unit: ScheduleUnit::Epoch,
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
        }
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
            "constant step multistep exponential poly cosine sgdr cyclic onecycle warmup sequence"
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
