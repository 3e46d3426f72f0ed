//! [`WalkConfig`]: the settings of one walk, and their checks.

use descent_optim::{OptimizerConfig, ScheduleConfig, ScheduleKind};
use serde::{Deserialize, Serialize};

use crate::{GradientNoise, ToyError, ToyFunction};

/// Radius beyond which a walk counts as escaped, when none is given.
pub const DEFAULT_ESCAPE_RADIUS: f64 = 1e10;

fn default_escape_radius() -> f64 {
    DEFAULT_ESCAPE_RADIUS
}

fn constant() -> ScheduleConfig {
    ScheduleConfig::Constant
}

/// One walk: a function, a start, an optimizer with its learning rate and schedule, a number
/// of steps, and optional gradient noise.
///
/// The point is a [`Point`](crate::Point) module and the optimizer a Burn `ModuleOptimizer` built by
/// [`OptimizerConfig::init`], so the walk runs the very code that trains networks. Each step:
/// forward the loss, `backward`, add noise to the gradient (if any), clip by the global norm
/// (if the optimizer config asks), then `optim.step(lr, point, grads)` with `lr` from the
/// schedule.
///
/// **Schedules count steps**: the schedule is built with one batch per epoch
/// (`init(lr, 1, steps)`), so every duration of a [`ScheduleConfig`] (epochs or batches) is a
/// number of steps here, and `None` durations mean the whole walk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalkConfig {
    /// The surface.
    pub function: ToyFunction,
    /// The optimizer.
    pub optimizer: OptimizerConfig,
    /// The learning-rate schedule (default: constant).
    #[serde(default = "constant")]
    pub schedule: ScheduleConfig,
    /// The (peak) learning rate, > 0.
    pub lr: f64,
    /// Number of steps.
    pub steps: usize,
    /// Where to start (`[x]` or `[x, y]`); `None` is the function's
    /// [`default_start`](ToyFunction::default_start).
    #[serde(default)]
    pub start: Option<Vec<f64>>,
    /// Gradient noise, to imitate mini-batch SGD; `None` is full-batch gradient descent.
    #[serde(default)]
    pub noise: Option<GradientNoise>,
    /// A name for legends; `None` makes one from the optimizer, rate, schedule and noise.
    #[serde(default)]
    pub label: Option<String>,
    /// The walk stops, recorded as [`DivergenceReason::Escaped`](crate::DivergenceReason::Escaped), once a coordinate's
    /// magnitude exceeds this (default 1e10).
    #[serde(default = "default_escape_radius")]
    pub escape_radius: f64,
}

impl WalkConfig {
    /// A walk of `steps` steps at a constant rate `lr` from the function's default start,
    /// without noise.
    pub fn new(function: ToyFunction, optimizer: OptimizerConfig, lr: f64, steps: usize) -> Self {
        Self {
            function,
            optimizer,
            schedule: ScheduleConfig::Constant,
            lr,
            steps,
            start: None,
            noise: None,
            label: None,
            escape_radius: DEFAULT_ESCAPE_RADIUS,
        }
    }

    /// With this schedule.
    pub fn with_schedule(mut self, schedule: ScheduleConfig) -> Self {
        self.schedule = schedule;
        self
    }

    /// Starting at `start`.
    pub fn with_start(mut self, start: Vec<f64>) -> Self {
        self.start = Some(start);
        self
    }

    /// With gradient noise.
    pub fn with_noise(mut self, noise: Option<GradientNoise>) -> Self {
        self.noise = noise;
        self
    }

    /// With a label.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// The start point used.
    pub fn start_point(&self) -> Vec<f64> {
        self.start
            .clone()
            .unwrap_or_else(|| self.function.default_start())
    }

    /// The label used: the given one, or e.g. `momentum lr=0.001`, `sgd lr=0.5 sgdr`,
    /// `sgd lr=0.05 noise=0.1`.
    pub fn label(&self) -> String {
        if let Some(label) = &self.label {
            return label.clone();
        }
        let mut label = format!("{} lr={}", self.optimizer.kind(), self.lr);
        if self.schedule.kind() != ScheduleKind::Constant {
            label.push(' ');
            label.push_str(&self.schedule.kind().to_string());
        }
        if let Some(noise) = &self.noise
            && noise.std > 0.0
        {
            label.push_str(&format!(" noise={}", noise.std));
        }
        label
    }

    /// Checks every field (the error names it).
    pub fn validate(&self) -> Result<(), ToyError> {
        self.function.validate()?;
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(ToyError::invalid(
                "lr",
                self.lr,
                "must be a positive finite number",
            ));
        }
        if self.steps == 0 {
            return Err(ToyError::invalid("steps", 0, "must be at least 1"));
        }
        let start = self.start_point();
        if start.len() != self.function.dims() {
            return Err(ToyError::invalid(
                "start",
                format!("{start:?}"),
                format!(
                    "{} is a function of {} variable(s): give {} coordinate(s)",
                    self.function,
                    self.function.dims(),
                    self.function.dims()
                ),
            ));
        }
        if start.iter().any(|v| !v.is_finite()) {
            return Err(ToyError::invalid(
                "start",
                format!("{start:?}"),
                "coordinates must be finite",
            ));
        }
        if let Some(noise) = &self.noise {
            noise.validate()?;
        }
        // NaN is refused too: it compares false.
        if self.escape_radius.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return Err(ToyError::invalid(
                "escape_radius",
                self.escape_radius,
                "must be > 0",
            ));
        }
        self.optimizer.validate()?;
        Ok(())
    }
}
