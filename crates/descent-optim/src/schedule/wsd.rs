//! Warmup-stable-decay (WSD): a linear warm-up, a constant rate, then a short cooldown
//! (Hägele et al. 2024, "Scaling Laws and Compute-Optimal Training Beyond Fixed Training
//! Durations", <https://arxiv.org/abs/2405.18392>), stepped per batch.

use burn::config::Config;

use super::counter::counter_scheduler;
use super::validate::{at_least_one, invalid, named_enum, non_negative, positive};
use crate::OptimError;

/// The shape of [`Wsd`]'s cooldown, as a function of its progress `x` in `[0, 1)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CooldownShape {
    /// `1 - sqrt(x)` (`1-sqrt`), which Hägele et al. 2024 find best.
    #[default]
    OneMinusSqrt,
    /// `1 - x` (`linear`).
    Linear,
    /// `(1 + cos(pi x)) / 2` (`cosine`).
    Cosine,
}

named_enum!(CooldownShape, "cooldown", {
    OneMinusSqrt => "1-sqrt" | "sqrt" | "one-minus-sqrt",
    Linear => "linear",
    Cosine => "cosine" | "cos",
});

impl CooldownShape {
    /// The factor at progress `x` of the cooldown: 1 at its start, towards 0 at its end.
    fn factor(self, x: f64) -> f64 {
        match self {
            CooldownShape::OneMinusSqrt => 1.0 - x.sqrt(),
            CooldownShape::Linear => 1.0 - x,
            CooldownShape::Cosine => (1.0 + (core::f64::consts::PI * x).cos()) * 0.5,
        }
    }
}

/// Configuration of [`Wsd`]. Durations count calls to `step()`, i.e. batches.
#[derive(Config, Debug)]
pub struct WsdConfig {
    /// The stable rate (finite, > 0).
    pub lr: f64,
    /// Length of training in steps (>= 1); the cooldown ends here.
    pub total_steps: usize,
    /// Steps of the linear warm-up (may be 0).
    #[config(default = 0)]
    pub warmup_steps: usize,
    /// Steps of the cooldown at the end (>= 1, and `warmup_steps + decay_steps <= total_steps`).
    pub decay_steps: usize,
    /// The warm-up starts at `lr / init_div_factor` (finite, >= 1).
    #[config(default = "super::defaults::WSD_INIT_DIV_FACTOR")]
    pub init_div_factor: f64,
    /// The rate the cooldown falls towards (finite, 0 <= `min_lr` <= `lr`).
    #[config(default = "super::defaults::WSD_MIN_LR")]
    pub min_lr: f64,
    /// The cooldown's shape.
    #[config(default = "super::defaults::WSD_COOLDOWN")]
    pub cooldown: CooldownShape,
}

impl WsdConfig {
    /// Builds the schedule.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `lr`, `total_steps`, `decay_steps` (0, or with the
    /// warm-up longer than training), `init_div_factor` or `min_lr`.
    pub fn init(&self) -> Result<Wsd, OptimError> {
        let lr = positive("lr", self.lr)?;
        let total_steps = at_least_one("total_steps", self.total_steps)?;
        let decay_steps = at_least_one("decay_steps", self.decay_steps)?;
        if self.warmup_steps.saturating_add(decay_steps) > total_steps {
            return Err(invalid(
                "decay_steps",
                decay_steps,
                format!(
                    "with {} warm-up steps is longer than the {total_steps} steps of training",
                    self.warmup_steps
                ),
            ));
        }
        let init_div_factor = positive("init_div_factor", self.init_div_factor)?;
        if init_div_factor < 1.0 {
            return Err(invalid(
                "init_div_factor",
                init_div_factor,
                "must be at least 1",
            ));
        }
        let min_lr = non_negative("min_lr", self.min_lr)?;
        if min_lr > lr {
            return Err(invalid("min_lr", min_lr, "must not exceed the base rate"));
        }
        Ok(Wsd {
            lr,
            total_steps,
            warmup_steps: self.warmup_steps,
            decay_steps,
            init_div_factor,
            min_lr,
            cooldown: self.cooldown,
            position: 0,
        })
    }
}

/// Warmup-stable-decay as Hägele et al. 2024 define it (their code: `wsd_schedule` in
/// `epfml/schedules-and-scaling`, `src/optim/utils.py`, commit 6e8b7f9), per step `t` of `N`:
///
/// - warm-up, `t < W`: `lr * (t / W + (1 - t / W) / init_div_factor)`, from `lr / init_div_factor`;
/// - stable, `t < N - D`: `lr`;
/// - cooldown, `t < N`: `lr * (f + (1 - f) * shape((t - (N - D)) / D))` with `f = min_lr / lr`
///   and `shape` one of `1 - sqrt(x)` (the paper's recommendation), `1 - x`, `(1 + cos(pi x)) / 2`;
/// - after training: `min_lr`.
///
/// `W` and `D` are whole steps; [`ScheduleConfig`](super::ScheduleConfig) takes them as
/// fractions of training (`D = floor(decay_fraction * N)`, as the paper's code does).
#[derive(Clone, Debug, PartialEq)]
pub struct Wsd {
    lr: f64,
    total_steps: usize,
    warmup_steps: usize,
    decay_steps: usize,
    init_div_factor: f64,
    min_lr: f64,
    cooldown: CooldownShape,
    position: usize,
}

impl Wsd {
    /// The rate of step `t` (0-based), without changing the state.
    pub fn lr_at(&self, t: usize) -> f64 {
        let final_factor = self.min_lr / self.lr;
        let hold = self.total_steps - self.decay_steps;
        let factor = if t < self.warmup_steps {
            let x = t as f64 / self.warmup_steps as f64;
            x + (1.0 - x) / self.init_div_factor
        } else if t < hold {
            1.0
        } else if t < self.total_steps {
            let x = (t - hold) as f64 / self.decay_steps as f64;
            final_factor + (1.0 - final_factor) * self.cooldown.factor(x)
        } else {
            final_factor
        };
        self.lr * factor
    }
}

counter_scheduler!(Wsd);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::{
        TORCH_RTOL, assert_close, assert_invalid, check_resume, take,
    };

    fn config(shape: CooldownShape) -> WsdConfig {
        WsdConfig::new(0.1, 50, 10)
            .with_warmup_steps(5)
            .with_min_lr(0.001)
            .with_cooldown(shape)
    }

    // Reference: the paper's own schedule function, run by PyTorch's LambdaLR per batch.
    // wsd_reference.py (torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python wsd_reference.py`);
    // `wsd_schedule` is the paper's code, epfml/schedules-and-scaling, src/optim/utils.py at
    // commit 6e8b7f952420c928cc09a0e4bda9678e2bf42e5f (read through a copy that cites that
    // commit; only the branches we offer):
    //
    //     import math, torch
    //     from torch.optim.lr_scheduler import LambdaLR
    //
    //     def wsd_schedule(n_iterations, final_lr_factor=0.0, n_warmup=1000,
    //                      init_div_factor=100, fract_decay=0.1, decay_type="linear"):
    //         n_anneal_steps = int(fract_decay * n_iterations)
    //         n_hold = n_iterations - n_anneal_steps
    //         def schedule(step):
    //             if step < n_warmup:
    //                 return (step / n_warmup) + (1 - step / n_warmup) / init_div_factor
    //             elif step < n_hold:
    //                 return 1.0
    //             elif step < n_iterations:
    //                 if decay_type == "linear":
    //                     return final_lr_factor + (1 - final_lr_factor) * (
    //                         1 - (step - n_hold) / n_anneal_steps)
    //                 elif decay_type == "cosine":
    //                     return final_lr_factor + (1 - final_lr_factor) * (
    //                         1 + math.cos(math.pi * (step - n_hold) / n_anneal_steps)) * 0.5
    //                 elif decay_type == "sqrt":
    //                     return final_lr_factor + (1 - final_lr_factor) * (
    //                         1 - math.sqrt((step - n_hold) / n_anneal_steps))
    //             else:
    //                 return final_lr_factor
    //         return schedule
    //
    //     for decay in ["sqrt", "linear", "cosine"]:
    //         opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //         sched = LambdaLR(opt, wsd_schedule(50, final_lr_factor=0.001 / 0.1, n_warmup=5,
    //                                            fract_decay=0.2, decay_type=decay))
    //         lrs = []
    //         for _ in range(53):
    //             lrs.append(opt.param_groups[0]["lr"])
    //             opt.step()
    //             sched.step()
    //         print(decay, lrs)
    #[test]
    fn matches_the_papers_schedule() {
        const SQRT: [f64; 53] = [
            0.001,
            0.020800000000000003,
            0.040600000000000004,
            0.0604,
            0.08020000000000001,
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
            0.06869345116433305,
            0.055725854045504175,
            0.04577546680698856,
            0.03738690232866609,
            0.029996428662531795,
            0.023314929745093145,
            0.017170657373126518,
            0.01145170809100833,
            0.006080353492999137,
            0.001,
            0.001,
            0.001,
        ];
        const LINEAR: [f64; 53] = [
            0.001,
            0.020800000000000003,
            0.040600000000000004,
            0.0604,
            0.08020000000000001,
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
            0.09010000000000001,
            0.08020000000000001,
            0.0703,
            0.0604,
            0.0505,
            0.040600000000000004,
            0.030700000000000005,
            0.0208,
            0.010899999999999998,
            0.001,
            0.001,
            0.001,
        ];
        const COSINE: [f64; 53] = [
            0.001,
            0.020800000000000003,
            0.040600000000000004,
            0.0604,
            0.08020000000000001,
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
            0.09757729755661011,
            0.09054634122155991,
            0.07959536998847742,
            0.0657963412215599,
            0.0505,
            0.03520365877844011,
            0.021404630011522586,
            0.010453658778440107,
            0.0034227024433899004,
            0.001,
            0.001,
            0.001,
        ];
        for (shape, torch) in [
            (CooldownShape::OneMinusSqrt, SQRT),
            (CooldownShape::Linear, LINEAR),
            (CooldownShape::Cosine, COSINE),
        ] {
            let lrs = take(&mut config(shape).init().expect("valid"), torch.len());
            assert_close(&lrs, &torch, TORCH_RTOL);
        }
    }

    #[test]
    fn resumes() {
        let schedule = config(CooldownShape::OneMinusSqrt).init().expect("valid");
        check_resume(&schedule, &[0, 3, 5, 39, 44, 60], 12);
    }

    #[test]
    fn rejects_invalid_configs() {
        assert_invalid(WsdConfig::new(0.0, 10, 2).init(), "lr");
        assert_invalid(WsdConfig::new(0.1, 0, 2).init(), "total_steps");
        assert_invalid(WsdConfig::new(0.1, 10, 0).init(), "decay_steps");
        assert_invalid(
            WsdConfig::new(0.1, 10, 5).with_warmup_steps(6).init(),
            "decay_steps",
        );
        assert_invalid(
            WsdConfig::new(0.1, 10, 2).with_init_div_factor(0.5).init(),
            "init_div_factor",
        );
        assert_invalid(WsdConfig::new(0.1, 10, 2).with_min_lr(0.2).init(), "min_lr");
    }

    #[test]
    fn shape_names_round_trip() {
        for shape in CooldownShape::ALL {
            assert_eq!(
                shape.to_string().parse::<CooldownShape>().expect("parses"),
                *shape
            );
        }
        assert_invalid("square".parse::<CooldownShape>(), "cooldown");
    }
}
