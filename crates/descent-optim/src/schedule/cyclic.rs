//! Cyclical learning rates, stepped per batch (Smith 2017, <https://arxiv.org/abs/1506.01186>;
//! PyTorch `CyclicLR`).

use burn::config::Config;

use super::counter::counter_scheduler;
use super::validate::{at_least_one, invalid, named_enum, positive};
use crate::OptimError;

/// How the amplitude of a [`CyclicLr`] changes from cycle to cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CyclicMode {
    /// Constant amplitude (`triangular`).
    #[default]
    Triangular,
    /// The amplitude halves every cycle (`triangular2`).
    Triangular2,
    /// The amplitude is scaled by `gamma^t` at step `t` (`exp_range`).
    ExpRange,
}

named_enum!(CyclicMode, "mode", {
    Triangular => "triangular",
    Triangular2 => "triangular2",
    ExpRange => "exp_range" | "exp-range" | "exprange",
});

/// Configuration of [`CyclicLr`]. Step sizes count calls to `step()`, i.e. batches.
#[derive(Config, Debug)]
pub struct CyclicLrConfig {
    /// The lower bound, where each cycle starts (finite, > 0). PyTorch's `base_lr`.
    pub base_lr: f64,
    /// The upper bound (finite, >= `base_lr`). The rate reaches it in `triangular` mode only.
    pub max_lr: f64,
    /// Steps (batches) of the rising half of a cycle (>= 1). The paper suggests 2 to 10 epochs.
    pub step_size_up: usize,
    /// Steps of the falling half (>= 1); `None` means `step_size_up`.
    pub step_size_down: Option<usize>,
    /// Amplitude policy.
    #[config(default = "super::defaults::CYCLIC_MODE")]
    pub mode: CyclicMode,
    /// Per-step amplitude decay of `exp_range`, in (0, 1]; ignored by the other modes.
    #[config(default = "super::defaults::CYCLIC_GAMMA")]
    pub gamma: f64,
}

impl CyclicLrConfig {
    /// Builds the schedule.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `base_lr`, `max_lr` (below `base_lr`),
    /// `step_size_up`, `step_size_down` or `gamma`.
    pub fn init(&self) -> Result<CyclicLr, OptimError> {
        let base_lr = positive("base_lr", self.base_lr)?;
        let max_lr = positive("max_lr", self.max_lr)?;
        if max_lr < base_lr {
            return Err(invalid("max_lr", max_lr, "must be at least base_lr"));
        }
        let up = at_least_one("step_size_up", self.step_size_up)?;
        let down = match self.step_size_down {
            Some(down) => at_least_one("step_size_down", down)?,
            None => up,
        };
        if !(self.gamma > 0.0 && self.gamma <= 1.0) {
            return Err(invalid("gamma", self.gamma, "must lie in (0, 1]"));
        }
        Ok(CyclicLr {
            base_lr,
            max_lr,
            step_size_up: up,
            step_size_down: down,
            mode: self.mode,
            gamma: self.gamma,
            position: 0,
        })
    }
}

/// The cyclical rate of PyTorch's `CyclicLR`, per batch; its cycled momentum is
/// [`momentum_at`](Self::momentum_at).
///
/// At step `t`, with `total = up + down`, `cycle = floor(1 + t / total)` and
/// `x = 1 + t / total - cycle`, the rate is `base + (max - base) * s(x) * scale`, where `s` rises
/// linearly from 0 to 1 over the first `up / total` of the cycle and falls back to 0, and `scale`
/// is 1 (`triangular`), `1 / 2^(cycle - 1)` (`triangular2`) or `gamma^t` (`exp_range`). Step 0 is
/// `base_lr`, PyTorch's rate before its first `scheduler.step()`. The result is clamped to
/// `[base_lr, max_lr]`, which differs from PyTorch by at most one rounding error.
#[derive(Clone, Debug, PartialEq)]
pub struct CyclicLr {
    base_lr: f64,
    max_lr: f64,
    step_size_up: usize,
    step_size_down: usize,
    mode: CyclicMode,
    gamma: f64,
    position: usize,
}

impl CyclicLr {
    /// The rate of step `t` (0-based), without changing the state.
    pub fn lr_at(&self, t: usize) -> f64 {
        let (shape, scale) = self.shape_and_scale(t);
        (self.base_lr + (self.max_lr - self.base_lr) * shape * scale)
            .clamp(self.base_lr, self.max_lr)
    }

    /// PyTorch's cycled momentum of step `t` (`cycle_momentum=True`), inverse to the rate:
    /// `max_momentum - (max_momentum - base_momentum) * s(x) * scale`, so `max_momentum` where
    /// the rate is at `base_lr` and `base_momentum` where it peaks.
    pub fn momentum_at(&self, t: usize, base_momentum: f64, max_momentum: f64) -> f64 {
        let (shape, scale) = self.shape_and_scale(t);
        max_momentum - (max_momentum - base_momentum) * shape * scale
    }

    /// PyTorch's `scale_factor` and `scale_fn(..)` of step `t`.
    fn shape_and_scale(&self, t: usize) -> (f64, f64) {
        let total = (self.step_size_up + self.step_size_down) as f64;
        let step_ratio = self.step_size_up as f64 / total;
        let progress = t as f64 / total;
        let cycle = (1.0 + progress).floor();
        let x = 1.0 + progress - cycle;
        let shape = if x <= step_ratio {
            x / step_ratio
        } else {
            (x - 1.0) / (step_ratio - 1.0)
        };
        let scale = match self.mode {
            CyclicMode::Triangular => 1.0,
            CyclicMode::Triangular2 => 1.0 / 2f64.powf(cycle - 1.0),
            CyclicMode::ExpRange => self.gamma.powf(t as f64),
        };
        (shape, scale)
    }

    /// The lower bound.
    pub fn base_lr(&self) -> f64 {
        self.base_lr
    }

    /// The upper bound.
    pub fn max_lr(&self) -> f64 {
        self.max_lr
    }
}

counter_scheduler!(CyclicLr);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::{
        TORCH_RTOL, assert_close, assert_invalid, check_resume, take,
    };
    use proptest::prelude::*;

    fn config(up: usize, down: Option<usize>, mode: CyclicMode, gamma: f64) -> CyclicLrConfig {
        CyclicLrConfig {
            base_lr: 0.01,
            max_lr: 0.1,
            step_size_up: up,
            step_size_down: down,
            mode,
            gamma,
        }
    }

    // The three printed lists are TRIANGULAR, TRIANGULAR2 and EXP_RANGE below.
    // PyTorch reference (cyclic.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python cyclic.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import CyclicLR
    //
    //     def run(**kw):
    //         opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //         sched = CyclicLR(opt, base_lr=0.01, max_lr=0.1, cycle_momentum=False, **kw)
    //         lrs = []
    //         for _ in range(120):
    //             lrs.append(opt.param_groups[0]["lr"])
    //             opt.step()
    //             sched.step()
    //         return lrs
    //
    //     print(run(step_size_up=10, step_size_down=15, mode="triangular"))
    //     print(run(step_size_up=8, mode="triangular2"))
    //     print(run(step_size_up=10, step_size_down=5, mode="exp_range", gamma=0.99))
    #[test]
    fn matches_torch_in_all_three_modes() {
        const TRIANGULAR: [f64; 120] = [
            0.01,
            0.01900000000000001,
            0.028000000000000018,
            0.037000000000000026,
            0.045999999999999985,
            0.055,
            0.064,
            0.07300000000000001,
            0.08200000000000002,
            0.09099999999999997,
            0.09999999999999999,
            0.09400000000000001,
            0.08800000000000001,
            0.082,
            0.076,
            0.06999999999999999,
            0.06399999999999999,
            0.05799999999999999,
            0.05200000000000001,
            0.046000000000000006,
            0.039999999999999994,
            0.03400000000000003,
            0.028000000000000018,
            0.022000000000000013,
            0.016000000000000007,
            0.01,
            0.01900000000000001,
            0.028000000000000018,
            0.037000000000000026,
            0.04600000000000004,
            0.05500000000000005,
            0.06400000000000006,
            0.07300000000000006,
            0.08200000000000007,
            0.09100000000000008,
            0.09999999999999999,
            0.09400000000000001,
            0.08800000000000001,
            0.082,
            0.076,
            0.06999999999999999,
            0.06400000000000006,
            0.05800000000000006,
            0.052000000000000046,
            0.04600000000000004,
            0.04000000000000003,
            0.03400000000000003,
            0.028000000000000018,
            0.022000000000000013,
            0.016000000000000007,
            0.01,
            0.01900000000000001,
            0.028000000000000018,
            0.037000000000000026,
            0.04600000000000004,
            0.05500000000000005,
            0.06400000000000006,
            0.07299999999999995,
            0.08199999999999996,
            0.09099999999999997,
            0.09999999999999999,
            0.09400000000000001,
            0.08800000000000001,
            0.082,
            0.076,
            0.06999999999999999,
            0.06399999999999999,
            0.05799999999999999,
            0.05199999999999998,
            0.04600000000000004,
            0.04000000000000003,
            0.03400000000000003,
            0.028000000000000018,
            0.022000000000000013,
            0.016000000000000007,
            0.01,
            0.01900000000000001,
            0.028000000000000018,
            0.037000000000000026,
            0.04600000000000004,
            0.05500000000000005,
            0.06400000000000006,
            0.07299999999999986,
            0.08200000000000007,
            0.09099999999999987,
            0.09999999999999995,
            0.09400000000000008,
            0.08799999999999995,
            0.08200000000000007,
            0.07599999999999993,
            0.07000000000000006,
            0.06399999999999992,
            0.05800000000000006,
            0.051999999999999914,
            0.04600000000000004,
            0.04000000000000003,
            0.03400000000000003,
            0.028000000000000018,
            0.022000000000000013,
            0.016000000000000007,
            0.01,
            0.01900000000000001,
            0.028000000000000018,
            0.037000000000000026,
            0.04600000000000004,
            0.05500000000000005,
            0.06400000000000006,
            0.07300000000000006,
            0.08200000000000007,
            0.09100000000000008,
            0.09999999999999995,
            0.09399999999999994,
            0.08799999999999995,
            0.08200000000000007,
            0.07600000000000007,
            0.07000000000000006,
            0.06400000000000006,
            0.05800000000000006,
            0.052000000000000046,
            0.04600000000000004,
        ];
        const TRIANGULAR2: [f64; 120] = [
            0.01,
            0.02125,
            0.0325,
            0.043750000000000004,
            0.05500000000000001,
            0.06625,
            0.0775,
            0.08875000000000001,
            0.1,
            0.08875000000000001,
            0.0775,
            0.06625,
            0.05500000000000001,
            0.043750000000000004,
            0.0325,
            0.02125,
            0.01,
            0.015625,
            0.02125,
            0.026875000000000003,
            0.0325,
            0.038125000000000006,
            0.043750000000000004,
            0.04937500000000001,
            0.05500000000000001,
            0.04937500000000001,
            0.043750000000000004,
            0.038125000000000006,
            0.0325,
            0.026875000000000003,
            0.02125,
            0.015625,
            0.01,
            0.012812500000000001,
            0.015625,
            0.018437500000000002,
            0.02125,
            0.0240625,
            0.026875000000000003,
            0.029687500000000006,
            0.0325,
            0.029687500000000006,
            0.026875000000000003,
            0.0240625,
            0.02125,
            0.018437500000000002,
            0.015625,
            0.012812500000000001,
            0.01,
            0.01140625,
            0.012812500000000001,
            0.01421875,
            0.015625,
            0.01703125,
            0.018437500000000002,
            0.01984375,
            0.02125,
            0.01984375,
            0.018437500000000002,
            0.01703125,
            0.015625,
            0.01421875,
            0.012812500000000001,
            0.01140625,
            0.01,
            0.010703125,
            0.01140625,
            0.012109375,
            0.012812500000000001,
            0.013515625,
            0.01421875,
            0.014921875000000001,
            0.015625,
            0.014921875000000001,
            0.01421875,
            0.013515625,
            0.012812500000000001,
            0.012109375,
            0.01140625,
            0.010703125,
            0.01,
            0.0103515625,
            0.010703125,
            0.0110546875,
            0.01140625,
            0.011757812500000001,
            0.012109375,
            0.012460937500000002,
            0.012812500000000001,
            0.012460937500000002,
            0.012109375,
            0.011757812500000001,
            0.01140625,
            0.0110546875,
            0.010703125,
            0.0103515625,
            0.01,
            0.01017578125,
            0.0103515625,
            0.010527343750000001,
            0.010703125,
            0.01087890625,
            0.0110546875,
            0.01123046875,
            0.01140625,
            0.01123046875,
            0.0110546875,
            0.01087890625,
            0.010703125,
            0.010527343750000001,
            0.0103515625,
            0.01017578125,
            0.01,
            0.010087890625,
            0.01017578125,
            0.010263671875,
            0.0103515625,
            0.010439453125,
            0.010527343750000001,
            0.010615234375000001,
        ];
        const EXP_RANGE: [f64; 120] = [
            0.01,
            0.01891,
            0.0276418,
            0.036198073,
            0.04458145636,
            0.0527945522455,
            0.060839928067653995,
            0.0687201169181404,
            0.07643761799881023,
            0.08399489704617491,
            0.0913943867507924,
            0.07446435430662755,
            0.05786478307267097,
            0.04159075682796284,
            0.0256374246298416,
            0.01,
            0.017663119939853852,
            0.02517297748091068,
            0.03253187155915239,
            0.03974207045808112,
            0.04680581219187536,
            0.05372530488394795,
            0.06050272714095992,
            0.06714022842234318,
            0.07363992940538473,
            0.08000392234592314,
            0.06544310649797115,
            0.05116650657474362,
            0.03716989433933077,
            0.023449097697968685,
            0.01,
            0.016590730326889597,
            0.02304964604724136,
            0.029378724380153445,
            0.035579916181802514,
            0.04165514627498063,
            0.047606313774676966,
            0.053435292409751915,
            0.05914393084074786,
            0.06473405297388293,
            0.07020745827127121,
            0.0576843069508468,
            0.045405597911003785,
            0.03336769462126247,
            0.02156700883752496,
            0.01,
            0.015668412680829073,
            0.021223457108041563,
            0.02666683380544179,
            0.03200022062318314,
            0.03722527302118919,
            0.04234362434917273,
            0.04735688612329448,
            0.052266648299498876,
            0.057074479543566856,
            0.06178192749792352,
            0.05101128657835545,
            0.04045088028442895,
            0.03009758098772302,
            0.019948302588922898,
            0.01,
            0.014875165683701666,
            0.01965282805372936,
            0.024334449659788072,
            0.02892147355092023,
            0.03341532351926377,
            0.03781740434088541,
            0.04212910201372263,
            0.04635178399266901,
            0.050486799421835094,
            0.05453547936401859,
            0.045272099656302744,
            0.03618953399480481,
            0.027285092436571214,
            0.018556120756102697,
            0.01,
            0.014192926976528127,
            0.018301995413525743,
            0.022328463189085705,
            0.026273571409593112,
            0.03013854461937146,
            0.03392459100781334,
            0.03763290261402439,
            0.04126465552901044,
            0.04482101009543536,
            0.04830311110497888,
            0.040336063995143286,
            0.03252452751639392,
            0.024866188160820018,
            0.01735876313960586,
            0.01,
            0.013606161876563853,
            0.017140200515596477,
            0.02060319776566074,
            0.023996221050672166,
            0.02732032355020679,
            0.030576544377645704,
            0.033765908756180775,
            0.03688942819270738,
            0.039948100649627824,
            0.0429429107145906,
            0.036090785285955766,
            0.02937240807482218,
            0.022785789329382668,
            0.01632896571804438,
            0.01,
            0.013101509650127649,
            0.016140989107252743,
            0.019119368824270323,
            0.022037566848036826,
            0.024896488974445574,
            0.02769702890164142,
            0.030440068381395825,
            0.03312647736866498,
            0.03575711416935061,
            0.038332825586285584,
            0.03243959786433818,
            0.026661401414271098,
            0.020996524933418928,
            0.015443279842042369,
        ];
        let cases: [(CyclicLrConfig, &[f64]); 3] = [
            (
                config(10, Some(15), CyclicMode::Triangular, 1.0),
                &TRIANGULAR,
            ),
            (config(8, None, CyclicMode::Triangular2, 1.0), &TRIANGULAR2),
            (config(10, Some(5), CyclicMode::ExpRange, 0.99), &EXP_RANGE),
        ];
        for (config, expected) in cases {
            let mut schedule = config.init().expect("valid");
            assert_close(&take(&mut schedule, expected.len()), expected, TORCH_RTOL);
        }
    }

    #[test]
    fn resumes_mid_cycle() {
        for mode in CyclicMode::ALL {
            let schedule = config(10, Some(5), *mode, 0.99).init().expect("valid");
            check_resume(&schedule, &[0, 4, 10, 17, 33], 40);
        }
    }

    #[test]
    fn mode_names_round_trip() {
        for mode in CyclicMode::ALL {
            assert_eq!(
                mode.to_string().parse::<CyclicMode>().expect("parses"),
                *mode
            );
            let json = serde_json::to_string(mode).expect("serializes");
            assert_eq!(json, format!("\"{mode}\""));
            assert_eq!(
                serde_json::from_str::<CyclicMode>(&json).expect("parses"),
                *mode
            );
        }
        assert_eq!(
            "Exp-Range".parse::<CyclicMode>().expect("alias"),
            CyclicMode::ExpRange
        );
        assert_invalid("sawtooth".parse::<CyclicMode>(), "mode");
    }

    #[test]
    fn rejects_invalid_configs() {
        let triangular = |up, down| config(up, down, CyclicMode::Triangular, 1.0);
        assert_invalid(triangular(0, None).init(), "step_size_up");
        assert_invalid(triangular(5, Some(0)).init(), "step_size_down");
        let negative_base = CyclicLrConfig {
            base_lr: -0.01,
            ..triangular(5, None)
        };
        assert_invalid(negative_base.init(), "base_lr");
        let inverted = CyclicLrConfig {
            max_lr: 0.001,
            ..triangular(5, None)
        };
        assert_invalid(inverted.init(), "max_lr");
        assert_invalid(triangular(5, None).with_gamma(0.0).init(), "gamma");
        assert_invalid(triangular(5, None).with_gamma(1.1).init(), "gamma");
    }

    proptest! {
        #[test]
        fn stays_within_bounds(
            base_lr in 1e-5_f64..0.1,
            ratio in 1.0_f64..100.0,
            up in 1_usize..50,
            down in 1_usize..50,
            mode_index in 0_usize..3,
            gamma in 0.9_f64..=1.0,
        ) {
            let max_lr = base_lr * ratio;
            let mode = CyclicMode::ALL[mode_index];
            let mut schedule = CyclicLrConfig::new(base_lr, max_lr, up)
                .with_step_size_down(Some(down))
                .with_mode(mode)
                .with_gamma(gamma)
                .init()
                .expect("valid");
            for (t, lr) in take(&mut schedule, 500).into_iter().enumerate() {
                prop_assert!(lr >= base_lr && lr <= max_lr, "step {}: {} outside [{}, {}]", t, lr, base_lr, max_lr);
                if t % (up + down) == 0 {
                    prop_assert_eq!(lr, base_lr);
                }
            }
        }
    }
}
