//! Step decay: multiply the rate by `gamma` every `step_size` steps (PyTorch `StepLR`).

use burn::config::Config;

use super::counter::counter_scheduler;
use super::validate::{at_least_one, positive};
use crate::OptimError;

/// Configuration of [`StepLr`].
///
/// Durations count calls to `step()`. Our trainer calls `step()` once per batch, so give
/// `step_size` in batches, or use [`ScheduleConfig`](super::ScheduleConfig) with
/// [`ScheduleUnit::Epoch`](super::ScheduleUnit::Epoch) to count it in epochs as PyTorch users do.
#[derive(Config, Debug)]
pub struct StepLrConfig {
    /// The rate of the first step (finite, > 0).
    pub initial_lr: f64,
    /// Steps between two decays (>= 1).
    pub step_size: usize,
    /// Multiplicative decay (finite, > 0; values above 1 grow the rate).
    #[config(default = "super::defaults::STEP_GAMMA")]
    pub gamma: f64,
}

impl StepLrConfig {
    /// Builds the schedule.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `initial_lr`, `step_size` or `gamma`.
    pub fn init(&self) -> Result<StepLr, OptimError> {
        Ok(StepLr {
            initial_lr: positive("initial_lr", self.initial_lr)?,
            step_size: at_least_one("step_size", self.step_size)?,
            gamma: positive("gamma", self.gamma)?,
            position: 0,
        })
    }
}

/// `lr(t) = initial_lr * gamma^floor(t / step_size)`, PyTorch `StepLR`'s closed form.
#[derive(Clone, Debug, PartialEq)]
pub struct StepLr {
    initial_lr: f64,
    step_size: usize,
    gamma: f64,
    position: usize,
}

impl StepLr {
    /// The rate of step `t` (0-based), without changing the state.
    pub fn lr_at(&self, t: usize) -> f64 {
        self.initial_lr * self.gamma.powf((t / self.step_size) as f64)
    }
}

counter_scheduler!(StepLr);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::{
        TORCH_RTOL, assert_close, assert_invalid, check_resume, take,
    };

    // PyTorch reference (step.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python step.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import StepLR
    //
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = StepLR(opt, step_size=7, gamma=0.5)
    //     lrs = []
    //     for _ in range(120):
    //         lrs.append(opt.param_groups[0]["lr"])
    //         opt.step()
    //         sched.step()
    //     print(lrs)
    #[test]
    fn matches_torch() {
        const TORCH: [f64; 120] = [
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.05,
            0.05,
            0.05,
            0.05,
            0.05,
            0.05,
            0.05,
            0.025,
            0.025,
            0.025,
            0.025,
            0.025,
            0.025,
            0.025,
            0.0125,
            0.0125,
            0.0125,
            0.0125,
            0.0125,
            0.0125,
            0.0125,
            0.00625,
            0.00625,
            0.00625,
            0.00625,
            0.00625,
            0.00625,
            0.00625,
            0.003125,
            0.003125,
            0.003125,
            0.003125,
            0.003125,
            0.003125,
            0.003125,
            0.0015625,
            0.0015625,
            0.0015625,
            0.0015625,
            0.0015625,
            0.0015625,
            0.0015625,
            0.00078125,
            0.00078125,
            0.00078125,
            0.00078125,
            0.00078125,
            0.00078125,
            0.00078125,
            0.000390625,
            0.000390625,
            0.000390625,
            0.000390625,
            0.000390625,
            0.000390625,
            0.000390625,
            0.0001953125,
            0.0001953125,
            0.0001953125,
            0.0001953125,
            0.0001953125,
            0.0001953125,
            0.0001953125,
            9.765625e-05,
            9.765625e-05,
            9.765625e-05,
            9.765625e-05,
            9.765625e-05,
            9.765625e-05,
            9.765625e-05,
            4.8828125e-05,
            4.8828125e-05,
            4.8828125e-05,
            4.8828125e-05,
            4.8828125e-05,
            4.8828125e-05,
            4.8828125e-05,
            2.44140625e-05,
            2.44140625e-05,
            2.44140625e-05,
            2.44140625e-05,
            2.44140625e-05,
            2.44140625e-05,
            2.44140625e-05,
            1.220703125e-05,
            1.220703125e-05,
            1.220703125e-05,
            1.220703125e-05,
            1.220703125e-05,
            1.220703125e-05,
            1.220703125e-05,
            6.103515625e-06,
            6.103515625e-06,
            6.103515625e-06,
            6.103515625e-06,
            6.103515625e-06,
            6.103515625e-06,
            6.103515625e-06,
            3.0517578125e-06,
            3.0517578125e-06,
            3.0517578125e-06,
            3.0517578125e-06,
            3.0517578125e-06,
            3.0517578125e-06,
            3.0517578125e-06,
            1.52587890625e-06,
            1.52587890625e-06,
            1.52587890625e-06,
            1.52587890625e-06,
            1.52587890625e-06,
            1.52587890625e-06,
            1.52587890625e-06,
            7.62939453125e-07,
        ];
        let mut schedule = StepLrConfig::new(0.1, 7)
            .with_gamma(0.5)
            .init()
            .expect("valid");
        assert_close(&take(&mut schedule, TORCH.len()), &TORCH, TORCH_RTOL);
    }

    #[test]
    fn resumes() {
        let schedule = StepLrConfig::new(0.1, 7)
            .with_gamma(0.5)
            .init()
            .expect("valid");
        check_resume(&schedule, &[0, 6, 7, 50], 20);
    }

    #[test]
    fn rejects_invalid_configs() {
        let cases = [
            (StepLrConfig::new(-0.1, 7), "initial_lr"),
            (StepLrConfig::new(0.1, 0), "step_size"),
            (StepLrConfig::new(0.1, 7).with_gamma(0.0), "gamma"),
        ];
        for (config, field) in cases {
            assert_invalid(config.init(), field);
        }
    }
}
