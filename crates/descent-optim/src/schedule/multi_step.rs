//! Multi-step decay: multiply the rate by `gamma` at each milestone (PyTorch `MultiStepLR`).

use burn::config::Config;

use super::counter::counter_scheduler;
use super::validate::{invalid, positive};
use crate::OptimError;

/// Configuration of [`MultiStepLr`].
///
/// Milestones count calls to `step()` (batches in our trainer); see
/// [`ScheduleConfig`](super::ScheduleConfig) to give them in epochs.
#[derive(Config, Debug)]
pub struct MultiStepLrConfig {
    /// The rate of the first step (finite, > 0).
    pub initial_lr: f64,
    /// Steps at which the rate is multiplied by `gamma`, non-decreasing. A milestone listed twice
    /// applies `gamma` twice, as in PyTorch (which counts them with a `Counter`).
    pub milestones: Vec<usize>,
    /// Multiplicative decay (finite, > 0).
    #[config(default = "super::defaults::STEP_GAMMA")]
    pub gamma: f64,
}

impl MultiStepLrConfig {
    /// Builds the schedule.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `initial_lr`, `milestones` (not sorted) or `gamma`.
    pub fn init(&self) -> Result<MultiStepLr, OptimError> {
        if self.milestones.windows(2).any(|w| w[0] > w[1]) {
            return Err(invalid(
                "milestones",
                format!("{:?}", self.milestones),
                "must be sorted in non-decreasing order",
            ));
        }
        Ok(MultiStepLr {
            initial_lr: positive("initial_lr", self.initial_lr)?,
            milestones: self.milestones.clone(),
            gamma: positive("gamma", self.gamma)?,
            position: 0,
        })
    }
}

/// `lr(t) = initial_lr * gamma^(number of milestones <= t)`, PyTorch `MultiStepLR`'s closed form.
#[derive(Clone, Debug, PartialEq)]
pub struct MultiStepLr {
    initial_lr: f64,
    milestones: Vec<usize>,
    gamma: f64,
    position: usize,
}

impl MultiStepLr {
    /// The rate of step `t` (0-based), without changing the state.
    pub fn lr_at(&self, t: usize) -> f64 {
        let passed = self.milestones.partition_point(|&m| m <= t);
        self.initial_lr * self.gamma.powf(passed as f64)
    }
}

counter_scheduler!(MultiStepLr);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::{
        TORCH_RTOL, assert_close, assert_invalid, check_resume, take,
    };

    fn config() -> MultiStepLrConfig {
        MultiStepLrConfig::new(0.1, vec![10, 25, 25, 60, 99]).with_gamma(0.3)
    }

    // PyTorch reference (multistep.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python multistep.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import MultiStepLR
    //
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = MultiStepLR(opt, milestones=[10, 25, 25, 60, 99], gamma=0.3)
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
            0.1,
            0.1,
            0.1,
            0.03,
            0.03,
            0.03,
            0.03,
            0.03,
            0.03,
            0.03,
            0.03,
            0.03,
            0.03,
            0.03,
            0.03,
            0.03,
            0.03,
            0.03,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.0008099999999999998,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
            0.00024299999999999994,
        ];
        let mut schedule = config().init().expect("valid");
        assert_close(&take(&mut schedule, TORCH.len()), &TORCH, TORCH_RTOL);
    }

    #[test]
    fn resumes() {
        check_resume(&config().init().expect("valid"), &[0, 10, 25, 70], 40);
    }

    #[test]
    fn rejects_invalid_configs() {
        let cases = [
            (MultiStepLrConfig::new(0.1, vec![5, 3]), "milestones"),
            (MultiStepLrConfig::new(f64::NAN, vec![5]), "initial_lr"),
            (
                MultiStepLrConfig::new(0.1, vec![5]).with_gamma(-1.0),
                "gamma",
            ),
        ];
        for (config, field) in cases {
            assert_invalid(config.init(), field);
        }
    }
}
