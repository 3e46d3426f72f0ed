//! [`SwaLr`]: anneal to the SWA learning rate, then hold it (PyTorch
//! `torch.optim.swa_utils.SWALR`).

use burn::config::Config;
use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};

use crate::OptimError;
use crate::schedule::{AnnealStrategy, PerEpoch, Schedule, SequentialLr, peek};

const POSITION_KEY: &str = "position";

/// Configuration of [`SwaLr`].
#[derive(Config, Debug)]
pub struct SwaLrConfig {
    /// The rate held once the anneal is over (finite, > 0).
    pub swa_lr: f64,
    /// Length of the anneal in calls to `step()` (epochs when wrapped in [`PerEpoch`], as
    /// [`SwaLrConfig::after`] does). 0 jumps to `swa_lr` at once.
    #[config(default = 10)]
    pub anneal_epochs: usize,
    /// Shape of the anneal.
    #[config(default = "AnnealStrategy::Cos")]
    pub anneal_strategy: AnnealStrategy,
}

impl SwaLrConfig {
    /// Builds the schedule, starting from `start_lr`.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `swa_lr` or `start_lr` when not finite and > 0.
    pub fn init(&self, start_lr: f64) -> Result<SwaLr, OptimError> {
        Ok(SwaLr {
            start_lr: positive("start_lr", start_lr)?,
            swa_lr: positive("swa_lr", self.swa_lr)?,
            anneal_epochs: self.anneal_epochs,
            anneal_strategy: self.anneal_strategy,
            position: 0,
        })
    }

    /// Composes SWALR after `main`: `main`'s rates for the first `swa_start_epoch` epochs, then
    /// SWALR stepped once per epoch (`steps_per_epoch` batches), starting from `main`'s rate at
    /// the first batch of epoch `swa_start_epoch` and annealing to `swa_lr` over
    /// `anneal_epochs` epochs.
    ///
    /// This is the PyTorch recipe (`scheduler.step()` before `swa_start`,
    /// `swa_scheduler.step()` from then on, once per epoch): epoch `swa_start_epoch` trains
    /// with `main`'s rate, epoch `swa_start_epoch + k` with SWALR's `k`-th rate.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `swa_lr`, `steps_per_epoch` (0) or `swa_start`
    /// (overflow), or `start_lr` when `main`'s rate at the switch is not > 0.
    pub fn after(
        &self,
        main: Schedule,
        swa_start_epoch: usize,
        steps_per_epoch: usize,
    ) -> Result<Schedule, OptimError> {
        if steps_per_epoch == 0 {
            return Err(invalid("steps_per_epoch", 0, "must be at least 1"));
        }
        let switch = swa_start_epoch
            .checked_mul(steps_per_epoch)
            .ok_or_else(|| invalid("swa_start", swa_start_epoch, "overflows in steps"))?;
        // The rate `main` would give at the switch: step a clone to it.
        let mut probe = main.clone();
        for _ in 0..switch {
            probe.step();
        }
        let swa = PerEpoch::new(self.init(peek(&probe))?, steps_per_epoch)?;
        if switch == 0 {
            return Ok(Schedule::new(swa));
        }
        Ok(Schedule::new(SequentialLr::new(
            vec![main, Schedule::new(swa)],
            vec![switch],
        )?))
    }
}

/// `lr(k) = swa_lr * alpha(t) + start_lr * (1 - alpha(t))` with `t = min(1, k / anneal_epochs)`
/// (1 when `anneal_epochs = 0`), `alpha(t) = (1 - cos(pi t)) / 2` (`cos`) or `t` (`linear`):
/// `start_lr` at the first step, `swa_lr` from step `anneal_epochs` on.
///
/// # Relation to PyTorch
///
/// PyTorch's `SWALR` computes the same rates recursively from the optimizer's current rate;
/// its anneal starts from whatever rate the optimizer has when SWALR first steps, which is
/// what `start_lr` is here ([`SwaLrConfig::after`] reads it from the schedule before).
/// Tested against PyTorch's sequences to 1e-6 relative. With `anneal_epochs = 0`, PyTorch's
/// constructor already sets `swa_lr` (even before `swa_start`); here the rate is `swa_lr` from
/// this schedule's first step, i.e. from `swa_start` on.
#[derive(Clone, Debug, PartialEq)]
pub struct SwaLr {
    start_lr: f64,
    swa_lr: f64,
    anneal_epochs: usize,
    anneal_strategy: AnnealStrategy,
    position: usize,
}

impl SwaLr {
    /// The rate of step `k` (0-based), without changing the state.
    pub fn lr_at(&self, k: usize) -> f64 {
        let t = if self.anneal_epochs == 0 {
            1.0
        } else {
            (k as f64 / self.anneal_epochs as f64).min(1.0)
        };
        let alpha = match self.anneal_strategy {
            AnnealStrategy::Cos => (1.0 - (core::f64::consts::PI * t).cos()) / 2.0,
            AnnealStrategy::Linear => t,
        };
        if alpha >= 1.0 {
            self.swa_lr
        } else {
            self.swa_lr * alpha + self.start_lr * (1.0 - alpha)
        }
    }

    /// How many rates `step()` has returned.
    pub fn position(&self) -> usize {
        self.position
    }
}

impl LrScheduler for SwaLr {
    fn step(&mut self) -> f64 {
        let lr = self.lr_at(self.position);
        self.position = self.position.saturating_add(1);
        lr
    }

    fn to_record(&self) -> LrSchedulerRecord {
        LrSchedulerRecord::new().with_scalar(POSITION_KEY, self.position)
    }

    fn load_record(&mut self, record: LrSchedulerRecord) {
        if let Some(position) = record.scalar::<usize>(POSITION_KEY) {
            self.position = position;
        }
    }
}

fn invalid(field: &'static str, value: impl core::fmt::Display, reason: &str) -> OptimError {
    OptimError::InvalidConfig {
        field,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

fn positive(field: &'static str, value: f64) -> Result<f64, OptimError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(invalid(
            field,
            value,
            "must be a finite number greater than 0",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{CosineAnnealingLrConfig, trace};

    fn assert_close(actual: &[f64], expected: &[f64]) {
        assert_eq!(actual.len(), expected.len());
        for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
            assert!(
                (a - e).abs() <= 1e-6 * e.abs(),
                "epoch {i}: got {a}, expected {e}"
            );
        }
    }

    /// PyTorch's `CosineAnnealingLR(T_max=20)` from 0.1 stepped per epoch until `swa_start`,
    /// then `SWALR(swa_lr=0.02)`, as a per-batch schedule with 3 batches per epoch.
    fn composed(config: &SwaLrConfig, swa_start: usize) -> Schedule {
        let main = CosineAnnealingLrConfig::new(0.1, 20).init().expect("valid");
        let main = Schedule::new(PerEpoch::new(main, 3).expect("valid"));
        config.after(main, swa_start, 3).expect("valid")
    }

    fn per_epoch(mut schedule: Schedule, epochs: usize) -> Vec<f64> {
        let rates = trace(&mut schedule, epochs * 3);
        for epoch in rates.chunks(3) {
            assert!(epoch.iter().all(|&r| r.to_bits() == epoch[0].to_bits()));
        }
        rates.iter().step_by(3).copied().collect()
    }

    // PyTorch reference (swalr.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python swalr.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import CosineAnnealingLR
    //     from torch.optim.swa_utils import SWALR
    //
    //     def run(strategy, anneal_epochs, swa_start, epochs=14):
    //         opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //         main = CosineAnnealingLR(opt, T_max=20)
    //         swa = SWALR(opt, swa_lr=0.02, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    //         lrs = []
    //         for epoch in range(epochs):
    //             lrs.append(opt.param_groups[0]["lr"])
    //             opt.step()
    //             if epoch >= swa_start:
    //                 swa.step()
    //             else:
    //                 main.step()
    //         return lrs
    //
    //     print("cos", run("cos", 5, 4))
    //     print("linear", run("linear", 3, 2))
    #[test]
    fn matches_torch_cos() {
        const TORCH: [f64; 14] = [
            0.1,
            0.0993844170297569,
            0.09755282581475769,
            0.0945503262094184,
            0.0904508497187474,
            0.08372339220468476,
            0.06611067977499792,
            0.04434016994374949,
            0.026727457514062636,
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
        ];
        let config = SwaLrConfig::new(0.02).with_anneal_epochs(5);
        assert_close(&per_epoch(composed(&config, 4), 14), &TORCH);
    }

    #[test]
    fn matches_torch_linear() {
        const TORCH: [f64; 14] = [
            0.1,
            0.0993844170297569,
            0.09755282581475769,
            0.07170188387650514,
            0.045850941938252565,
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
        ];
        let config = SwaLrConfig::new(0.02)
            .with_anneal_epochs(3)
            .with_anneal_strategy(AnnealStrategy::Linear);
        assert_close(&per_epoch(composed(&config, 2), 14), &TORCH);
    }

    #[test]
    fn exact_ends_and_zero_anneal() {
        let schedule = SwaLrConfig::new(0.05)
            .with_anneal_epochs(4)
            .init(0.2)
            .expect("valid");
        assert_eq!(schedule.lr_at(0), 0.2);
        assert_eq!(schedule.lr_at(4), 0.05);
        assert_eq!(schedule.lr_at(400), 0.05);
        // Halfway along the cosine: the midpoint.
        assert!((schedule.lr_at(2) - 0.125).abs() < 1e-15);
        let jump = SwaLrConfig::new(0.05)
            .with_anneal_epochs(0)
            .init(0.2)
            .expect("valid");
        assert_eq!(jump.lr_at(0), 0.05);
        // swa_start = 0: SWALR from the first batch, starting at main's first rate.
        let config = SwaLrConfig::new(0.02).with_anneal_epochs(2);
        let rates = per_epoch(composed(&config, 0), 3);
        assert_close(&rates, &[0.1, 0.06, 0.02]);
    }

    #[test]
    fn resumes_bit_identically() {
        let config = SwaLrConfig::new(0.02).with_anneal_epochs(5);
        for k in [0, 5, 13, 14, 20, 40] {
            let mut original = composed(&config, 4);
            trace(&mut original, k);
            let bytes = original.to_record().into_bytes().expect("serializes");
            let record = LrSchedulerRecord::from_bytes(bytes).expect("deserializes");
            let mut resumed = composed(&config, 4);
            resumed.load_record(record);
            let (a, b) = (trace(&mut original, 30), trace(&mut resumed, 30));
            assert!(
                a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()),
                "at {k}"
            );
        }
    }

    #[test]
    fn rejects_invalid_configs() {
        for (result, field) in [
            (SwaLrConfig::new(0.0).init(0.1), "swa_lr"),
            (SwaLrConfig::new(f64::NAN).init(0.1), "swa_lr"),
            (SwaLrConfig::new(0.1).init(-1.0), "start_lr"),
        ] {
            match result {
                Err(OptimError::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected an error naming {field}, got {other:?}"),
            }
        }
        let main = Schedule::new(CosineAnnealingLrConfig::new(0.1, 5).init().expect("valid"));
        assert!(SwaLrConfig::new(0.1).after(main, 1, 0).is_err());
    }
}
