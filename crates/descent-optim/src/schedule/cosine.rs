//! Cosine annealing without restarts (PyTorch `CosineAnnealingLR`, closed form).

use burn::config::Config;

use super::anneal::cosine_between;
use super::counter::counter_scheduler;
use super::validate::{at_least_one, invalid, non_negative, positive};
use crate::OptimError;

/// Configuration of [`CosineAnnealingLr`].
///
/// `t_max` counts calls to `step()` (batches in our trainer); see
/// [`ScheduleConfig`](super::ScheduleConfig) to give it in epochs.
#[derive(Config, Debug)]
pub struct CosineAnnealingLrConfig {
    /// The rate of the first step, `eta_max` (finite, > 0).
    pub initial_lr: f64,
    /// Half period: the rate reaches `eta_min` after `t_max` steps (>= 1).
    pub t_max: usize,
    /// The lowest rate (finite, 0 <= `eta_min` <= `initial_lr`).
    #[config(default = "super::defaults::ETA_MIN")]
    pub eta_min: f64,
}

impl CosineAnnealingLrConfig {
    /// Builds the schedule.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `initial_lr`, `t_max` or `eta_min`.
    pub fn init(&self) -> Result<CosineAnnealingLr, OptimError> {
        let initial_lr = positive("initial_lr", self.initial_lr)?;
        let eta_min = non_negative("eta_min", self.eta_min)?;
        if eta_min > initial_lr {
            return Err(invalid("eta_min", eta_min, "must not exceed initial_lr"));
        }
        Ok(CosineAnnealingLr {
            initial_lr,
            t_max: at_least_one("t_max", self.t_max)?,
            eta_min,
            position: 0,
        })
    }
}

/// `lr(t) = eta_min + (initial_lr - eta_min) * (1 + cos(pi * t / t_max)) / 2`.
///
/// This is the closed form PyTorch's `CosineAnnealingLR` uses when stepped with an epoch
/// argument. Its plain `step()` uses a recursive form instead; we measured the two to agree to
/// 2e-15 relative over 130 steps (`t_max = 50`) and to 6e-12 after 20 000 steps (`t_max = 10`),
/// far inside 1e-6, and both reach exactly `eta_min` at `t = t_max` (tested). As in PyTorch, the
/// rate keeps following the cosine after `t_max` (rising again, period `2 * t_max`); use
/// [`WarmRestarts`](super::WarmRestarts) for restarts.
#[derive(Clone, Debug, PartialEq)]
pub struct CosineAnnealingLr {
    initial_lr: f64,
    t_max: usize,
    eta_min: f64,
    position: usize,
}

impl CosineAnnealingLr {
    /// The rate of step `t` (0-based), without changing the state.
    pub fn lr_at(&self, t: usize) -> f64 {
        let phase = core::f64::consts::PI * t as f64 / self.t_max as f64;
        cosine_between(self.initial_lr, self.eta_min, phase)
    }
}

counter_scheduler!(CosineAnnealingLr);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::{
        TORCH_RTOL, assert_close, assert_invalid, check_resume, take,
    };

    fn config() -> CosineAnnealingLrConfig {
        CosineAnnealingLrConfig::new(0.1, 50).with_eta_min(1e-3)
    }

    // Torch's recursive `step()` sequence; the script also prints the largest relative gap to the
    // closed form (1.59e-15).
    // PyTorch reference (cosine.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python cosine.py`):
    //
    //     import math
    //     import torch
    //     from torch.optim.lr_scheduler import CosineAnnealingLR
    //
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = CosineAnnealingLR(opt, T_max=50, eta_min=1e-3)
    //     lrs = []
    //     for _ in range(130):
    //         lrs.append(opt.param_groups[0]["lr"])
    //         opt.step()
    //         sched.step()
    //     print(lrs)
    //     closed = [1e-3 + (0.1 - 1e-3) * (1 + math.cos(math.pi * t / 50)) / 2 for t in range(130)]
    //     print(max(abs(a - b) / abs(b) for a, b in zip(lrs, closed)))
    #[test]
    fn matches_torch_recursive_form() {
        const TORCH: [f64; 130] = [
            0.1,
            0.09990232305719944,
            0.09960967771506665,
            0.09912321891107008,
            0.09844486647586721,
            0.09757729755661008,
            0.09652393605146842,
            0.09528893909706795,
            0.09387718066217123,
            0.09229423231234973,
            0.09054634122155988,
            0.08864040551740156,
            0.08658394705735986,
            0.08438508174347008,
            0.08205248749256012,
            0.07959536998847742,
            0.07702342635146033,
            0.07434680686803491,
            0.0715760749324711,
            0.06872216535789157,
            0.06579634122155989,
            0.0628101494146603,
            0.059775375071993375,
            0.056703995061433074,
            0.05360813071670102,
            0.0505,
            0.04739186928329899,
            0.044296004938566946,
            0.04122462492800664,
            0.03818985058533969,
            0.035203658778440124,
            0.03227783464210846,
            0.02942392506752891,
            0.02665319313196509,
            0.023976573648539657,
            0.021404630011522586,
            0.018947512507439857,
            0.016614918256529908,
            0.014416052942640138,
            0.012359594482598435,
            0.010453658778440102,
            0.00870576768765026,
            0.007122819337828748,
            0.005711060902932039,
            0.004476063948531556,
            0.0034227024433898987,
            0.002555133524132766,
            0.0018767810889299076,
            0.0013903222849333504,
            0.0010976769428005578,
            0.001,
            0.0010976769428005578,
            0.001390322284933345,
            0.0018767810889299135,
            0.0025551335241327557,
            0.0034227024433898935,
            0.004476063948531551,
            0.005711060902932023,
            0.007122819337828754,
            0.008705767687650244,
            0.010453658778440077,
            0.012359594482598421,
            0.014416052942640104,
            0.016614918256529894,
            0.018947512507439843,
            0.021404630011522548,
            0.023976573648539654,
            0.026653193131965066,
            0.029423925067528892,
            0.032277834642108406,
            0.03520365877844005,
            0.038189850585339656,
            0.04122462492800658,
            0.04429600493856687,
            0.04739186928329894,
            0.050499999999999934,
            0.053608130716700925,
            0.056703995061433,
            0.059775375071993285,
            0.06281014941466023,
            0.0657963412215598,
            0.06872216535789145,
            0.07157607493247098,
            0.07434680686803484,
            0.07702342635146026,
            0.07959536998847733,
            0.08205248749256003,
            0.08438508174346995,
            0.08658394705735976,
            0.08864040551740149,
            0.0905463412215598,
            0.09229423231234964,
            0.09387718066217111,
            0.09528893909706784,
            0.09652393605146832,
            0.09757729755660997,
            0.0984448664758671,
            0.09912321891106995,
            0.09960967771506651,
            0.09990232305719932,
            0.09999999999999988,
            0.09990232305719933,
            0.09960967771506654,
            0.09912321891106997,
            0.0984448664758671,
            0.09757729755660997,
            0.09652393605146832,
            0.09528893909706786,
            0.09387718066217116,
            0.09229423231234966,
            0.09054634122155979,
            0.08864040551740145,
            0.08658394705735976,
            0.08438508174347001,
            0.08205248749256006,
            0.0795953699884773,
            0.07702342635146024,
            0.07434680686803483,
            0.07157607493247103,
            0.06872216535789152,
            0.06579634122155988,
            0.06281014941466022,
            0.05977537507199329,
            0.056703995061433,
            0.05360813071670097,
            0.05049999999999998,
            0.047391869283298915,
            0.044296004938566884,
            0.041224624928006555,
            0.038189850585339635,
        ];
        let mut schedule = config().init().expect("valid");
        assert_close(&take(&mut schedule, TORCH.len()), &TORCH, TORCH_RTOL);
        // Closer still than the 1e-6 the tests require.
        let mut schedule = config().init().expect("valid");
        assert_close(&take(&mut schedule, TORCH.len()), &TORCH, 1e-13);
    }

    #[test]
    fn reaches_eta_min_exactly_at_t_max() {
        let schedule = config().init().expect("valid");
        assert_eq!(schedule.lr_at(50), 1e-3);
        assert_eq!(schedule.lr_at(0), 0.1);
        assert_eq!(schedule.lr_at(100), 0.1);
        let schedule = CosineAnnealingLrConfig::new(0.1, 50).init().expect("valid");
        assert_eq!(schedule.lr_at(50), 0.0);
    }

    #[test]
    fn resumes() {
        check_resume(&config().init().expect("valid"), &[0, 25, 50, 99], 40);
    }

    #[test]
    fn rejects_invalid_configs() {
        assert_invalid(CosineAnnealingLrConfig::new(-0.1, 10).init(), "initial_lr");
        assert_invalid(CosineAnnealingLrConfig::new(0.1, 0).init(), "t_max");
        let config = CosineAnnealingLrConfig::new(0.1, 10);
        assert_invalid(config.clone().with_eta_min(-1e-3).init(), "eta_min");
        assert_invalid(config.with_eta_min(0.2).init(), "eta_min");
    }
}
