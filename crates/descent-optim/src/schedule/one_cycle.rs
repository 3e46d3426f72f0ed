//! The one-cycle policy, stepped per batch (Smith & Topin 2017, <https://arxiv.org/abs/1708.07120>;
//! PyTorch `OneCycleLR`).

use burn::config::Config;

use super::anneal::{cosine_between, linear_between};
use super::counter::counter_scheduler;
use super::validate::{at_least_one, invalid, named_enum, open_unit, positive};
use crate::OptimError;

/// How [`OneCycleLr`] moves between its rates within a phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AnnealStrategy {
    /// Half a cosine (`cos`).
    #[default]
    Cos,
    /// A straight line (`linear`).
    Linear,
}

named_enum!(AnnealStrategy, "anneal_strategy", {
    Cos => "cos" | "cosine",
    Linear => "linear",
});

/// Configuration of [`OneCycleLr`]. `total_steps` counts calls to `step()`, i.e. batches
/// (PyTorch's `epochs * steps_per_epoch`).
#[derive(Config, Debug)]
pub struct OneCycleLrConfig {
    /// The peak rate (finite, > 0).
    pub max_lr: f64,
    /// Length of the cycle in steps (>= 1).
    pub total_steps: usize,
    /// Fraction of the cycle spent rising to `max_lr`, in (0, 1), with
    /// `pct_start * total_steps > 1` (and, with `three_phase`, a non-empty third phase).
    #[config(default = "super::defaults::ONECYCLE_PCT_START")]
    pub pct_start: f64,
    /// Shape of each phase.
    #[config(default = "super::defaults::ONECYCLE_ANNEAL")]
    pub anneal_strategy: AnnealStrategy,
    /// The first rate is `max_lr / div_factor` (finite, > 0).
    #[config(default = "super::defaults::ONECYCLE_DIV_FACTOR")]
    pub div_factor: f64,
    /// The last rate is `max_lr / div_factor / final_div_factor` (finite, > 0).
    #[config(default = "super::defaults::ONECYCLE_FINAL_DIV_FACTOR")]
    pub final_div_factor: f64,
    /// Three phases as in the paper (up, down to the first rate, then down to the last rate)
    /// instead of fastai's two (up, then down to the last rate).
    #[config(default = "super::defaults::ONECYCLE_THREE_PHASE")]
    pub three_phase: bool,
}

impl OneCycleLrConfig {
    /// Builds the schedule.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `max_lr`, `total_steps`, `pct_start`, `div_factor` or
    /// `final_div_factor`.
    pub fn init(&self) -> Result<OneCycleLr, OptimError> {
        let schedule = OneCycleLr {
            max_lr: positive("max_lr", self.max_lr)?,
            total_steps: at_least_one("total_steps", self.total_steps)?,
            pct_start: open_unit("pct_start", self.pct_start)?,
            anneal_strategy: self.anneal_strategy,
            div_factor: positive("div_factor", self.div_factor)?,
            final_div_factor: positive("final_div_factor", self.final_div_factor)?,
            three_phase: self.three_phase,
            position: 0,
        };
        let phases = schedule.phases();
        if phases[0].end_step <= 0.0 {
            return Err(invalid(
                "pct_start",
                self.pct_start,
                format!(
                    "pct_start * total_steps ({}) must exceed 1 so the warm-up has a step",
                    self.pct_start * self.total_steps as f64
                ),
            ));
        }
        if phases.windows(2).any(|w| w[1].end_step <= w[0].end_step) {
            return Err(invalid(
                "pct_start",
                self.pct_start,
                "leaves the last phase empty (three_phase needs pct_start below about 0.5)",
            ));
        }
        Ok(schedule)
    }
}

/// One phase of the cycle: from `from` to `to`, ending at step `end_step`.
#[derive(Clone, Copy, Debug)]
struct Phase {
    end_step: f64,
    from: f64,
    to: f64,
}

/// PyTorch's `OneCycleLR`, per batch; its cycled momentum is [`momentum_at`](Self::momentum_at).
///
/// Starts at `initial = max_lr / div_factor`, rises to `max_lr` at step `pct_start * total - 1`,
/// then falls to `min = initial / final_div_factor` at step `total - 1` (two phases, fastai's
/// default), or with `three_phase` falls back to `initial` at step `2 * pct_start * total - 2`
/// and then to `min`. Step `t` returns PyTorch's rate after `t` calls to `scheduler.step()`.
///
/// PyTorch raises an error when stepped past `total_steps`; this schedule holds the final rate
/// `min` instead.
#[derive(Clone, Debug, PartialEq)]
pub struct OneCycleLr {
    max_lr: f64,
    total_steps: usize,
    pct_start: f64,
    anneal_strategy: AnnealStrategy,
    div_factor: f64,
    final_div_factor: f64,
    three_phase: bool,
    position: usize,
}

impl OneCycleLr {
    /// The first rate, `max_lr / div_factor`.
    pub fn initial_lr(&self) -> f64 {
        self.max_lr / self.div_factor
    }

    /// The final rate, `initial_lr / final_div_factor`.
    pub fn min_lr(&self) -> f64 {
        self.initial_lr() / self.final_div_factor
    }

    fn phases(&self) -> Vec<Phase> {
        let total = self.total_steps as f64;
        let (initial, min) = (self.initial_lr(), self.min_lr());
        let rise_end = self.pct_start * total - 1.0;
        let last = total - 1.0;
        if self.three_phase {
            vec![
                Phase {
                    end_step: rise_end,
                    from: initial,
                    to: self.max_lr,
                },
                Phase {
                    end_step: 2.0 * self.pct_start * total - 2.0,
                    from: self.max_lr,
                    to: initial,
                },
                Phase {
                    end_step: last,
                    from: initial,
                    to: min,
                },
            ]
        } else {
            vec![
                Phase {
                    end_step: rise_end,
                    from: initial,
                    to: self.max_lr,
                },
                Phase {
                    end_step: last,
                    from: self.max_lr,
                    to: min,
                },
            ]
        }
    }

    /// The rate of step `t` (0-based), without changing the state; steps past the cycle give the
    /// final rate.
    pub fn lr_at(&self, t: usize) -> f64 {
        let phases = self.phases();
        let ends: Vec<(f64, f64)> = phases.iter().map(|p| (p.from, p.to)).collect();
        self.anneal_at(t, &phases, &ends)
    }

    /// PyTorch's cycled momentum of step `t` (`cycle_momentum=True`), inverse to the rate: from
    /// `max_momentum` down to `base_momentum` while the rate rises, back up to `max_momentum`
    /// while it falls (and held there in the third phase of `three_phase`), with the same
    /// anneal strategy.
    pub fn momentum_at(&self, t: usize, base_momentum: f64, max_momentum: f64) -> f64 {
        let phases = self.phases();
        let mut ends = vec![(max_momentum, base_momentum), (base_momentum, max_momentum)];
        if self.three_phase {
            ends.push((max_momentum, max_momentum));
        }
        self.anneal_at(t, &phases, &ends)
    }

    /// PyTorch's `get_lr` walk over the phases, between the `ends` of each.
    fn anneal_at(&self, t: usize, phases: &[Phase], ends: &[(f64, f64)]) -> f64 {
        let step = t.min(self.total_steps - 1) as f64;
        let mut start_step = 0.0;
        for (index, (phase, &(from, to))) in phases.iter().zip(ends).enumerate() {
            if step <= phase.end_step || index + 1 == phases.len() {
                let pct = (step - start_step) / (phase.end_step - start_step);
                return match self.anneal_strategy {
                    AnnealStrategy::Cos => cosine_between(from, to, core::f64::consts::PI * pct),
                    AnnealStrategy::Linear => linear_between(from, to, pct),
                };
            }
            start_step = phase.end_step;
        }
        ends.last().map_or(self.min_lr(), |&(_, to)| to)
    }
}

counter_scheduler!(OneCycleLr);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::{
        TORCH_RTOL, assert_close, assert_invalid, check_resume, take,
    };

    fn two_phase() -> OneCycleLrConfig {
        OneCycleLrConfig::new(0.1, 120).with_pct_start(0.25)
    }

    fn three_phase() -> OneCycleLrConfig {
        OneCycleLrConfig::new(0.05, 150)
            .with_anneal_strategy(AnnealStrategy::Linear)
            .with_three_phase(true)
            .with_div_factor(10.0)
            .with_final_div_factor(100.0)
    }

    // The two printed lists are COS_TWO_PHASE and LINEAR_THREE_PHASE below.
    // PyTorch reference (onecycle.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python onecycle.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import OneCycleLR
    //
    //     def run(steps, **kw):
    //         opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //         sched = OneCycleLR(opt, total_steps=steps, cycle_momentum=False, **kw)
    //         lrs = []
    //         for _ in range(steps):
    //             lrs.append(opt.param_groups[0]["lr"])
    //             opt.step()
    //             sched.step() if len(lrs) < steps else None  # a 121st step() raises
    //         return lrs
    //
    //     print(run(120, max_lr=0.1, pct_start=0.25))
    //     print(run(150, max_lr=0.05, pct_start=0.3, anneal_strategy="linear",
    //               three_phase=True, div_factor=10.0, final_div_factor=100.0))
    #[test]
    fn matches_torch() {
        const COS_TWO_PHASE: [f64; 120] = [
            0.0040000000000000036,
            0.004281378056590748,
            0.00512221332591585,
            0.006512647783225481,
            0.008436379855794068,
            0.010870855543955726,
            0.013787532846129102,
            0.017152216387689725,
            0.02092545833047227,
            0.025063020862605645,
            0.029516394846410082,
            0.03423336854368411,
            0.03915863975059739,
            0.04423446416546729,
            0.04940133238789996,
            0.05459866761210004,
            0.05976553583453271,
            0.0648413602494026,
            0.0697666314563159,
            0.07448360515358993,
            0.07893697913739435,
            0.08307454166952773,
            0.08684778361231027,
            0.0902124671538709,
            0.09312914445604428,
            0.09556362014420594,
            0.09748735221677451,
            0.09887778667408416,
            0.09971862194340926,
            0.1,
            0.0999695414727894,
            0.09987820300018116,
            0.0997260958640346,
            0.09951340538346477,
            0.09924039068905981,
            0.09890738440717015,
            0.09851479225465457,
            0.09806309254457676,
            0.09755283560345443,
            0.09698464310077128,
            0.09635920729156847,
            0.09567729017303851,
            0.0949397225561491,
            0.09414740305342778,
            0.09330129698414119,
            0.09240243519820207,
            0.09145191282023757,
            0.0904508879153485,
            0.08940058007818537,
            0.08830226894706028,
            0.08715729264490463,
            0.08596704614897249,
            0.08473297959127578,
            0.08345659649182165,
            0.08213945192680502,
            0.08078315063398785,
            0.0793893450575732,
            0.07795973333495665,
            0.0764960572278074,
            0.0750001,
            0.07347368424498199,
            0.07191866966522452,
            0.0703369508064614,
            0.06873045474947694,
            0.06710113876225478,
            0.0654509879153485,
            0.0637820126633788,
            0.062096246395604265,
            0.0603957429585498,
            0.058682574153711,
            0.05695882721338308,
            0.05522660225769002,
            0.053488009735911515,
            0.05174516785522572,
            0.0500002,
            0.048255232144774306,
            0.04651239026408849,
            0.04477379774230999,
            0.04304157278661693,
            0.04131782584628902,
            0.039604657041450206,
            0.03790415360439574,
            0.03621838733662121,
            0.03454941208465151,
            0.03289926123774523,
            0.03126994525052308,
            0.029663449193538617,
            0.028081730334775484,
            0.026526715755018034,
            0.025000300000000013,
            0.02350434277219261,
            0.022040666665043365,
            0.02061105494242681,
            0.019217249366012153,
            0.017860948073194972,
            0.01654380350817838,
            0.015267420408724225,
            0.01403335385102752,
            0.012843107355095378,
            0.01169813105293973,
            0.010599819921814626,
            0.009549512084651508,
            0.00854848717976243,
            0.007597964801797934,
            0.006699103015858823,
            0.0058529969465722234,
            0.00506067744385092,
            0.0043231098269614805,
            0.003641192708431548,
            0.0030157568992287415,
            0.0024475643965455826,
            0.001937307455423243,
            0.0014856077453454318,
            0.0010930155928298624,
            0.0007600093109402015,
            0.00048699461653523024,
            0.0002743041359654092,
            0.0001221969998188421,
            3.0858527210615715e-05,
            4e-07,
        ];
        const LINEAR_THREE_PHASE: [f64; 150] = [
            0.005,
            0.006022727272727273,
            0.007045454545454546,
            0.008068181818181818,
            0.00909090909090909,
            0.010113636363636365,
            0.011136363636363637,
            0.012159090909090911,
            0.013181818181818183,
            0.014204545454545456,
            0.015227272727272728,
            0.01625,
            0.017272727272727273,
            0.01829545454545455,
            0.01931818181818182,
            0.02034090909090909,
            0.021363636363636366,
            0.02238636363636364,
            0.023409090909090914,
            0.024431818181818186,
            0.02545454545454546,
            0.02647727272727273,
            0.027500000000000004,
            0.028522727272727276,
            0.02954545454545455,
            0.030568181818181824,
            0.03159090909090909,
            0.032613636363636365,
            0.03363636363636364,
            0.03465909090909091,
            0.03568181818181818,
            0.036704545454545455,
            0.03772727272727273,
            0.03875,
            0.03977272727272727,
            0.040795454545454544,
            0.041818181818181824,
            0.042840909090909096,
            0.04386363636363637,
            0.04488636363636364,
            0.04590909090909091,
            0.04693181818181818,
            0.04795454545454546,
            0.04897727272727273,
            0.05,
            0.04897727272727273,
            0.04795454545454546,
            0.046931818181818186,
            0.04590909090909091,
            0.04488636363636364,
            0.04386363636363637,
            0.042840909090909096,
            0.041818181818181824,
            0.040795454545454544,
            0.03977272727272727,
            0.03875,
            0.03772727272727273,
            0.036704545454545455,
            0.03568181818181818,
            0.03465909090909091,
            0.03363636363636364,
            0.032613636363636365,
            0.031590909090909086,
            0.030568181818181817,
            0.029545454545454545,
            0.028522727272727273,
            0.0275,
            0.026477272727272728,
            0.025454545454545455,
            0.02443181818181818,
            0.023409090909090907,
            0.022386363636363635,
            0.021363636363636362,
            0.02034090909090909,
            0.01931818181818182,
            0.018295454545454545,
            0.017272727272727273,
            0.01625,
            0.015227272727272728,
            0.014204545454545456,
            0.013181818181818176,
            0.012159090909090904,
            0.011136363636363632,
            0.01011363636363636,
            0.009090909090909087,
            0.008068181818181822,
            0.007045454545454542,
            0.00602272727272727,
            0.0049999999999999975,
            0.004918852459016394,
            0.004837704918032787,
            0.004756557377049181,
            0.004675409836065574,
            0.0045942622950819675,
            0.0045131147540983605,
            0.004431967213114754,
            0.004350819672131147,
            0.004269672131147541,
            0.004188524590163934,
            0.004107377049180328,
            0.004026229508196722,
            0.003945081967213115,
            0.003863934426229508,
            0.0037827868852459015,
            0.003701639344262295,
            0.0036204918032786883,
            0.003539344262295082,
            0.003458196721311475,
            0.003377049180327869,
            0.0032959016393442624,
            0.0032147540983606558,
            0.003133606557377049,
            0.0030524590163934426,
            0.002971311475409836,
            0.0028901639344262294,
            0.0028090163934426228,
            0.002727868852459016,
            0.00264672131147541,
            0.0025655737704918034,
            0.0024844262295081964,
            0.00240327868852459,
            0.002322131147540983,
            0.002240983606557377,
            0.0021598360655737704,
            0.002078688524590164,
            0.0019975409836065572,
            0.0019163934426229506,
            0.001835245901639344,
            0.0017540983606557379,
            0.0016729508196721313,
            0.0015918032786885247,
            0.0015106557377049176,
            0.001429508196721311,
            0.0013483606557377044,
            0.0012672131147540983,
            0.0011860655737704917,
            0.001104918032786885,
            0.001023770491803278,
            0.0009426229508196719,
            0.0008614754098360648,
            0.0007803278688524587,
            0.0006991803278688525,
            0.0006180327868852455,
            0.0005368852459016393,
            0.00045573770491803226,
            0.0003745901639344261,
            0.00029344262295081993,
            0.0002122950819672129,
            0.00013114754098360673,
            4.99999999999997e-05,
        ];
        let mut schedule = two_phase().init().expect("valid");
        assert_close(
            &take(&mut schedule, COS_TWO_PHASE.len()),
            &COS_TWO_PHASE,
            TORCH_RTOL,
        );
        let mut schedule = three_phase().init().expect("valid");
        let expected = &LINEAR_THREE_PHASE;
        assert_close(&take(&mut schedule, expected.len()), expected, TORCH_RTOL);
    }

    #[test]
    fn holds_the_final_rate_after_the_cycle() {
        let mut schedule = two_phase().init().expect("valid");
        let lrs = take(&mut schedule, 130);
        let min = 0.1 / 25.0 / 1e4;
        assert_eq!(lrs[119], min);
        assert!(lrs[120..].iter().all(|&lr| lr == min));
    }

    #[test]
    fn resumes() {
        check_resume(
            &two_phase().init().expect("valid"),
            &[0, 15, 29, 30, 100, 119, 125],
            20,
        );
        check_resume(
            &three_phase().init().expect("valid"),
            &[0, 44, 45, 88, 89, 149],
            20,
        );
    }

    #[test]
    fn rejects_invalid_configs() {
        assert_invalid(OneCycleLrConfig::new(-0.1, 100).init(), "max_lr");
        assert_invalid(OneCycleLrConfig::new(0.1, 0).init(), "total_steps");
        for pct in [0.0, 1.0, -0.2, 1.5, f64::NAN] {
            assert_invalid(
                OneCycleLrConfig::new(0.1, 100).with_pct_start(pct).init(),
                "pct_start",
            );
        }
        // pct_start * total_steps = 1: no warm-up step (PyTorch divides by zero).
        assert_invalid(
            OneCycleLrConfig::new(0.1, 10).with_pct_start(0.1).init(),
            "pct_start",
        );
        let three = OneCycleLrConfig::new(0.1, 100).with_three_phase(true);
        assert_invalid(three.with_pct_start(0.6).init(), "pct_start");
        assert_invalid(
            OneCycleLrConfig::new(0.1, 100).with_div_factor(0.0).init(),
            "div_factor",
        );
        let config = OneCycleLrConfig::new(0.1, 100).with_final_div_factor(-1.0);
        assert_invalid(config.init(), "final_div_factor");
    }

    #[test]
    fn strategy_names_round_trip() {
        for strategy in AnnealStrategy::ALL {
            assert_eq!(
                strategy
                    .to_string()
                    .parse::<AnnealStrategy>()
                    .expect("parses"),
                *strategy
            );
        }
        assert_eq!(
            "cosine".parse::<AnnealStrategy>().expect("alias"),
            AnnealStrategy::Cos
        );
    }
}
