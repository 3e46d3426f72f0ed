//! [`PerEpoch`]: step a schedule once per epoch while the trainer steps once per batch.

use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};

use super::validate::at_least_one;
use crate::OptimError;

const BATCH_KEY: &str = "batch";
const CURRENT_KEY: &str = "current";
const INNER_KEY: &str = "inner";

/// Steps the wrapped schedule on the first batch of each epoch and repeats that rate for the
/// epoch's other batches.
///
/// Our trainer calls [`step`](LrScheduler::step) once per batch. PyTorch code usually calls
/// `scheduler.step()` once per epoch for `StepLR`, `CosineAnnealingLR` and friends; wrapping such
/// a schedule (built with durations in epochs) in `PerEpoch` gives exactly PyTorch's per-epoch
/// rates: batch `b` uses the wrapped schedule's value for epoch `b / steps_per_epoch`.
///
/// `steps_per_epoch` must be the number of batches the trainer really runs per epoch (a short
/// last batch counts as one).
#[derive(Clone, Debug)]
pub struct PerEpoch<S> {
    inner: S,
    steps_per_epoch: usize,
    batch: usize,
    current: f64,
}

impl<S: LrScheduler> PerEpoch<S> {
    /// Wraps `inner`, whose `step()` will be called once every `steps_per_epoch` batches.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `steps_per_epoch` when it is 0.
    pub fn new(inner: S, steps_per_epoch: usize) -> Result<Self, OptimError> {
        Ok(Self {
            inner,
            steps_per_epoch: at_least_one("steps_per_epoch", steps_per_epoch)?,
            batch: 0,
            current: f64::NAN,
        })
    }

    /// The wrapped schedule.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Batches stepped so far.
    pub fn batch(&self) -> usize {
        self.batch
    }
}

impl<S: LrScheduler + Clone + 'static> LrScheduler for PerEpoch<S> {
    fn step(&mut self) -> f64 {
        if self.batch.is_multiple_of(self.steps_per_epoch) {
            self.current = self.inner.step();
        }
        self.batch = self.batch.saturating_add(1);
        self.current
    }

    fn to_record(&self) -> LrSchedulerRecord {
        LrSchedulerRecord::new()
            .with_scalar(BATCH_KEY, self.batch)
            .with_scalar(CURRENT_KEY, self.current)
            .with_record(INNER_KEY, self.inner.to_record())
    }

    fn load_record(&mut self, record: LrSchedulerRecord) {
        if let Some(batch) = record.scalar::<usize>(BATCH_KEY) {
            self.batch = batch;
        }
        if let Some(current) = record.scalar::<f64>(CURRENT_KEY) {
            self.current = current;
        }
        self.inner.load_record(record.record(INNER_KEY));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::{
        TORCH_RTOL, assert_close, assert_invalid, check_resume, take,
    };
    use crate::schedule::{CosineAnnealingLrConfig, StepLrConfig};

    // PyTorch stepped once per epoch, read at every batch (4 batches per epoch).
    // PyTorch reference (step_per_epoch.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python step_per_epoch.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import StepLR
    //
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = StepLR(opt, step_size=3, gamma=0.5)
    //     lrs = []
    //     for epoch in range(30):
    //         for batch in range(4):
    //             lrs.append(opt.param_groups[0]["lr"])
    //             opt.step()
    //         sched.step()  # once per epoch
    //     print(lrs)
    #[test]
    fn matches_torch_stepped_per_epoch() {
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
            0.1,
            0.1,
            0.05,
            0.05,
            0.05,
            0.05,
            0.05,
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
            0.0001953125,
            0.0001953125,
            0.0001953125,
            0.0001953125,
            0.0001953125,
        ];
        let step = StepLrConfig::new(0.1, 3)
            .with_gamma(0.5)
            .init()
            .expect("valid");
        let mut schedule = PerEpoch::new(step, 4).expect("valid");
        assert_close(&take(&mut schedule, TORCH.len()), &TORCH, TORCH_RTOL);
    }

    #[test]
    fn resumes_mid_epoch() {
        let cosine = CosineAnnealingLrConfig::new(0.1, 10).init().expect("valid");
        let schedule = PerEpoch::new(cosine, 7).expect("valid");
        check_resume(&schedule, &[0, 1, 6, 7, 8, 40], 30);
    }

    #[test]
    fn rejects_zero_steps_per_epoch() {
        let step = StepLrConfig::new(0.1, 3).init().expect("valid");
        assert_invalid(PerEpoch::new(step, 0), "steps_per_epoch");
    }
}
