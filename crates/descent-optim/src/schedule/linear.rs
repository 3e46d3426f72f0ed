//! Linear warm-up (or decay) of a factor of the rate (PyTorch `LinearLR`).

use burn::config::Config;

use super::counter::counter_scheduler;
use super::validate::{at_least_one, invalid, positive};
use crate::OptimError;

/// Configuration of [`LinearLr`], the usual linear warm-up.
///
/// `total_iters` counts calls to `step()` (batches in our trainer); see
/// [`ScheduleConfig`](super::ScheduleConfig) to give it in epochs.
#[derive(Config, Debug)]
pub struct LinearLrConfig {
    /// The base rate the factors multiply (finite, > 0).
    pub initial_lr: f64,
    /// Factor of the first step, in (0, 1] as in PyTorch.
    #[config(default = "super::defaults::WARMUP_START_FACTOR")]
    pub start_factor: f64,
    /// Factor reached after `total_iters` steps and kept afterwards, in [0, 1] as in PyTorch.
    #[config(default = "super::defaults::WARMUP_END_FACTOR")]
    pub end_factor: f64,
    /// Steps over which the factor moves from `start_factor` to `end_factor` (>= 1).
    #[config(default = "super::defaults::WARMUP_TOTAL_ITERS")]
    pub total_iters: usize,
}

impl LinearLrConfig {
    /// Builds the schedule.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `initial_lr`, `start_factor`, `end_factor` or
    /// `total_iters`.
    pub fn init(&self) -> Result<LinearLr, OptimError> {
        if !(self.start_factor > 0.0 && self.start_factor <= 1.0) {
            return Err(invalid(
                "start_factor",
                self.start_factor,
                "must lie in (0, 1]",
            ));
        }
        if !(0.0..=1.0).contains(&self.end_factor) {
            return Err(invalid("end_factor", self.end_factor, "must lie in [0, 1]"));
        }
        Ok(LinearLr {
            initial_lr: positive("initial_lr", self.initial_lr)?,
            start_factor: self.start_factor,
            end_factor: self.end_factor,
            total_iters: at_least_one("total_iters", self.total_iters)?,
            position: 0,
        })
    }
}

/// `lr(t) = initial_lr * (start + (end - start) * min(t, T) / T)` with `T = total_iters`,
/// PyTorch `LinearLR`'s closed form (its recursive `step()` agrees to rounding).
#[derive(Clone, Debug, PartialEq)]
pub struct LinearLr {
    initial_lr: f64,
    start_factor: f64,
    end_factor: f64,
    total_iters: usize,
    position: usize,
}

impl LinearLr {
    /// The rate of step `t` (0-based), without changing the state.
    pub fn lr_at(&self, t: usize) -> f64 {
        let done = t.min(self.total_iters) as f64 / self.total_iters as f64;
        self.initial_lr * (self.start_factor + (self.end_factor - self.start_factor) * done)
    }
}

counter_scheduler!(LinearLr);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::{
        TORCH_RTOL, assert_close, assert_invalid, check_resume, take,
    };

    fn config() -> LinearLrConfig {
        LinearLrConfig::new(0.1)
            .with_start_factor(0.1)
            .with_total_iters(20)
    }

    // PyTorch reference (linear.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python linear.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import LinearLR
    //
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=20)
    //     lrs = []
    //     for _ in range(100):
    //         lrs.append(opt.param_groups[0]["lr"])
    //         opt.step()
    //         sched.step()
    //     print(lrs)
    #[test]
    fn matches_torch() {
        const TORCH: [f64; 100] = [
            0.010000000000000002,
            0.014500000000000002,
            0.019000000000000003,
            0.023500000000000004,
            0.028000000000000004,
            0.03250000000000001,
            0.037000000000000005,
            0.04150000000000001,
            0.04600000000000001,
            0.05050000000000002,
            0.05500000000000002,
            0.05950000000000002,
            0.06400000000000002,
            0.06850000000000002,
            0.07300000000000002,
            0.07750000000000003,
            0.08200000000000003,
            0.08650000000000004,
            0.09100000000000004,
            0.09550000000000004,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
            0.10000000000000005,
        ];
        let mut schedule = config().init().expect("valid");
        assert_close(&take(&mut schedule, TORCH.len()), &TORCH, TORCH_RTOL);
    }

    #[test]
    fn resumes() {
        check_resume(&config().init().expect("valid"), &[0, 10, 20, 30], 15);
    }

    #[test]
    fn rejects_invalid_configs() {
        assert_invalid(LinearLrConfig::new(0.0).init(), "initial_lr");
        assert_invalid(
            LinearLrConfig::new(0.1).with_start_factor(0.0).init(),
            "start_factor",
        );
        assert_invalid(
            LinearLrConfig::new(0.1).with_start_factor(1.5).init(),
            "start_factor",
        );
        assert_invalid(
            LinearLrConfig::new(0.1).with_end_factor(-0.5).init(),
            "end_factor",
        );
        assert_invalid(
            LinearLrConfig::new(0.1).with_total_iters(0).init(),
            "total_iters",
        );
    }
}
