//! A constant learning rate.

use burn::config::Config;
use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};

use super::validate::positive;
use crate::OptimError;

/// Configuration of [`ConstantLr`]: the same rate for every step.
#[derive(Config, Debug)]
pub struct ConstantLrConfig {
    /// The learning rate (finite, > 0).
    pub lr: f64,
}

impl ConstantLrConfig {
    /// Builds the schedule.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `lr` when it is not finite and positive.
    pub fn init(&self) -> Result<ConstantLr, OptimError> {
        Ok(ConstantLr {
            lr: positive("lr", self.lr)?,
        })
    }
}

/// The same learning rate at every step (PyTorch: no scheduler, or `LambdaLR(opt, lambda t: 1)`).
///
/// It has no state: its record is empty.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstantLr {
    lr: f64,
}

impl ConstantLr {
    /// A constant rate already validated by the caller.
    pub(crate) fn from_lr(lr: f64) -> Self {
        Self { lr }
    }

    /// The rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }
}

impl LrScheduler for ConstantLr {
    fn step(&mut self) -> f64 {
        self.lr
    }

    fn to_record(&self) -> LrSchedulerRecord {
        LrSchedulerRecord::new()
    }

    fn load_record(&mut self, _record: LrSchedulerRecord) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::{
        TORCH_RTOL, assert_close, assert_invalid, check_resume, take,
    };

    // PyTorch reference (constant.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python constant.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import LambdaLR
    //
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.05)
    //     sched = LambdaLR(opt, lambda t: 1.0)
    //     lrs = []
    //     for _ in range(100):
    //         lrs.append(opt.param_groups[0]["lr"])
    //         opt.step()
    //         sched.step()
    //     print(lrs)
    #[test]
    fn matches_torch() {
        const TORCH: [f64; 100] = [
            0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05,
            0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05,
            0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05,
            0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05,
            0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05,
            0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05,
            0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05,
            0.05, 0.05,
        ];
        let mut schedule = ConstantLrConfig::new(0.05).init().expect("valid");
        assert_close(&take(&mut schedule, TORCH.len()), &TORCH, TORCH_RTOL);
    }

    #[test]
    fn resumes() {
        let schedule = ConstantLrConfig::new(0.05).init().expect("valid");
        check_resume(&schedule, &[0, 3], 5);
    }

    #[test]
    fn rejects_bad_rates() {
        for lr in [0.0, -0.1, f64::NAN, f64::INFINITY] {
            assert_invalid(ConstantLrConfig::new(lr).init(), "lr");
        }
    }
}
