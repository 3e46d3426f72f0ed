//! The lessons `examples/valleys.rs` draws, as walk configurations. The tests below run them
//! and assert what each one claims, on the final points reached.
//!
//! | lesson | surface | claim |
//! |---|---|---|
//! | [`learning_rate`] | `bowl:10` | GD at `lr` 0.02 is still far away after 50 steps, 0.18 (≈ 2/(λ_min+λ_max)) is at the minimum, 0.21 (> 2/λ_max = 0.2) blows up |
//! | [`momentum_valley`] | `rosenbrock` | at `lr` 1e-3, 500 steps of GD crawl along the valley floor; heavy-ball and Nesterov momentum 0.9 reach `(1, 1)` |
//! | [`warm_restarts`] | `two-wells` | one cosine annealing settles in the shallow narrow well; SGDR (restarts every 30 steps, same peak rate and number of steps) settles there too, is thrown out by the next restart and ends in the deep wide well |
//! | [`saddle_noise`] | `saddle` | from `(1, 0)`, full-batch GD converges to the saddle point and stays; the same GD with gradient noise leaves it |
//!
//! Why the warm-restart lesson works (deterministic GD, no noise): the narrow well has
//! curvature ≈ 11.8, so the peak rate 0.5 is unstable there (`lr·f'' ≈ 5.9 > 2`) while the wide
//! well (curvature 0.5) is stable at every rate used. The path slides down the long slope and
//! reaches the narrow well late in the single cosine, when the rate has fallen below
//! `2/11.8 ≈ 0.17`, and stays. SGDR reaches it during its fifth cycle, settles in it as that
//! cycle's rate falls (it sits at the local minimum at step 150), and the restart at step 150
//! brings the rate back to 0.5, at which the well is unstable: the oscillation grows until it
//! crosses the low barrier (at `x ≈ 0.554`) into the wide well. This settle-then-escape holds
//! for starts from 19.25 to 20.5 (checked in float32 with PyTorch, and for four starts in the
//! tests); from 19 or 20.75 SGDR is not caught at all and also ends in the wide well. It is a
//! designed example of a real mechanism (a restart makes a sharp minimum unstable), not a
//! general law: with other starts or rates annealing can escape too.

use burn::tensor::Device;
use descent_optim::{MomentumConfig, OptimizerConfig, ScheduleConfig, ScheduleUnit, SgdConfig};

use crate::{GradientNoise, Path, ToyError, ToyFunction, WalkConfig};

mod check;

pub use check::LessonCheck;

/// A lesson: several walks on one function, drawn in one picture.
#[derive(Debug, Clone)]
pub struct Lesson {
    /// A file-name-friendly name (`learning-rate`, ...).
    pub name: &'static str,
    /// A one-line title for the figure.
    pub title: &'static str,
    /// The walks, one path each.
    pub walks: Vec<WalkConfig>,
}

impl Lesson {
    /// The function all walks share.
    pub fn function(&self) -> ToyFunction {
        self.walks
            .first()
            .map(|w| w.function)
            .unwrap_or(ToyFunction::Saddle)
    }

    /// Runs every walk on `device`.
    pub fn run(&self, device: &Device) -> Result<Vec<Path>, ToyError> {
        self.walks.iter().map(|walk| walk.run(device)).collect()
    }

    /// The lesson's claim, in a sentence (the table above).
    pub fn claim(&self) -> &'static str {
        check::claim(self.name)
    }

    /// Whether the claim held on `paths` (this lesson's, in walk order), with the numbers.
    pub fn check(&self, paths: &[Path]) -> LessonCheck {
        check::check(self.name, paths)
    }
}

/// Plain SGD.
fn sgd() -> OptimizerConfig {
    OptimizerConfig::Sgd(SgdConfig::new())
}

/// SGD with momentum 0.9 (heavy ball or Nesterov).
fn momentum(nesterov: bool) -> OptimizerConfig {
    OptimizerConfig::Sgd(
        SgdConfig::new().with_momentum(Some(MomentumConfig::new(0.9).with_nesterov(nesterov))),
    )
}

/// Learning rate too small, right, too large: plain GD on `bowl:10` from `(-4, 1)`, 50 steps.
pub fn learning_rate() -> Lesson {
    let bowl = ToyFunction::Bowl { condition: 10.0 };
    let walk = |lr: f64, label: &str| {
        WalkConfig::new(bowl, sgd(), lr, 50)
            .with_start(vec![-4.0, 1.0])
            .with_label(format!("lr={lr} ({label})"))
    };
    Lesson {
        name: "learning-rate",
        title: "Learning rate on a bowl of condition number 10: too small, right, too large",
        walks: vec![
            walk(0.02, "too small"),
            walk(0.18, "right"),
            walk(0.21, "too large"),
        ],
    }
}

/// Momentum in a narrow curved valley: Rosenbrock from `(-1.5, 2)`, `lr` 1e-3, 500 steps.
pub fn momentum_valley() -> Lesson {
    let walk = |optimizer: OptimizerConfig, label: &str| {
        WalkConfig::new(ToyFunction::Rosenbrock, optimizer, 1e-3, 500)
            .with_start(vec![-1.5, 2.0])
            .with_label(label)
    };
    Lesson {
        name: "momentum-valley",
        title: "Rosenbrock's valley, lr 0.001, 500 steps: GD crawls, momentum gets there",
        walks: vec![
            walk(sgd(), "gd"),
            walk(momentum(false), "momentum 0.9"),
            walk(momentum(true), "nesterov 0.9"),
        ],
    }
}

/// The start of the warm-restart lesson on `two-wells`.
pub const WARM_RESTART_START: f64 = 20.0;

/// Warm restarts escaping a shallow local minimum: `two-wells` from `x = 20`, GD at peak rate
/// 0.5 for 200 steps, one cosine annealing versus SGDR with `T_0 = 30` steps.
pub fn warm_restarts() -> Lesson {
    let walk = |schedule: ScheduleConfig, label: &str| {
        WalkConfig::new(ToyFunction::TwoWells, sgd(), 0.5, 200)
            .with_start(vec![WARM_RESTART_START])
            .with_schedule(schedule)
            .with_label(label)
    };
    Lesson {
        name: "warm-restarts",
        title: "Two wells, GD at peak lr 0.5 for 200 steps: cosine annealing vs SGDR (T0 = 30)",
        walks: vec![
            walk(
                ScheduleConfig::Cosine {
                    t_max: None,
                    eta_min: 0.0,
                    unit: ScheduleUnit::Batch,
                },
                "cosine annealing",
            ),
            walk(
                ScheduleConfig::WarmRestarts {
                    t_0: 30,
                    t_mult: 1,
                    eta_min: 0.0,
                    restart_decay: 1.0,
                    unit: ScheduleUnit::Batch,
                },
                "sgdr T0=30",
            ),
        ],
    }
}

/// Standard deviation of the gradient noise of [`saddle_noise`].
pub const SADDLE_NOISE_STD: f64 = 0.1;
/// Seed of the gradient noise of [`saddle_noise`].
pub const SADDLE_NOISE_SEED: u64 = 7;

/// Noise escaping a saddle: `x² − y²` from `(1, 0)`, GD at `lr` 0.05 for 60 steps, without and
/// with gradient noise.
pub fn saddle_noise() -> Lesson {
    let walk = |noise: Option<GradientNoise>, label: &str| {
        WalkConfig::new(ToyFunction::Saddle, sgd(), 0.05, 60)
            .with_start(vec![1.0, 0.0])
            .with_noise(noise)
            .with_label(label)
    };
    Lesson {
        name: "saddle-noise",
        title: "Saddle x^2 - y^2 from (1, 0): full-batch GD stalls at the saddle, noisy GD leaves",
        walks: vec![
            walk(None, "full-batch gd"),
            walk(
                Some(GradientNoise::new(SADDLE_NOISE_STD, SADDLE_NOISE_SEED)),
                "gd + noise 0.1",
            ),
        ],
    }
}

/// All four lessons, in the order of the example.
pub fn all() -> Vec<Lesson> {
    vec![
        learning_rate(),
        momentum_valley(),
        warm_restarts(),
        saddle_noise(),
    ]
}

#[cfg(test)]
mod tests;
