//! Reduce the rate when a metric stops improving (PyTorch `ReduceLROnPlateau`).

use burn::config::Config;
use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};

use super::validate::{invalid, non_negative, positive};
use super::{ConstantLr, MetricMode, Schedule, ThresholdMode};
use crate::OptimError;

const SCALE_KEY: &str = "scale";
const BEST_KEY: &str = "best";
const BAD_KEY: &str = "num_bad_epochs";
const COOLDOWN_KEY: &str = "cooldown_counter";
const EPOCHS_KEY: &str = "epochs";
const REDUCTIONS_KEY: &str = "reductions";
const INNER_KEY: &str = "inner";

/// Configuration of [`ReduceLrOnPlateau`]; the defaults are PyTorch's.
#[derive(Config, Debug, PartialEq)]
pub struct ReduceLrOnPlateauConfig {
    /// Whether the metric should decrease (`min`, a loss) or increase (`max`, an accuracy).
    #[config(default = "MetricMode::Min")]
    pub mode: MetricMode,
    /// Factor applied to the rate at each reduction, in (0, 1).
    #[config(default = 0.1)]
    pub factor: f64,
    /// Epochs without improvement tolerated; the rate is reduced after `patience + 1` of them.
    #[config(default = 10)]
    pub patience: usize,
    /// Minimum significant improvement (finite, >= 0), relative or absolute per `threshold_mode`.
    #[config(default = 1e-4)]
    pub threshold: f64,
    /// How `threshold` is measured.
    #[config(default = "ThresholdMode::Rel")]
    pub threshold_mode: ThresholdMode,
    /// Epochs after a reduction during which bad epochs are not counted.
    #[config(default = 0)]
    pub cooldown: usize,
    /// Reductions never take the rate below this (finite, >= 0).
    #[config(default = 0.0)]
    pub min_lr: f64,
    /// A reduction smaller than this (finite, >= 0) is skipped.
    #[config(default = 1e-8)]
    pub eps: f64,
}

impl ReduceLrOnPlateauConfig {
    /// The rule on a constant base rate `initial_lr`: exactly PyTorch's `ReduceLROnPlateau` on an
    /// optimizer with that rate.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `initial_lr`, `factor`, `threshold`, `min_lr` or
    /// `eps`.
    pub fn init(&self, initial_lr: f64) -> Result<ReduceLrOnPlateau, OptimError> {
        let base = ConstantLr::from_lr(positive("initial_lr", initial_lr)?);
        self.init_with(Schedule::new(base))
    }

    /// The rule scaling another schedule: each step returns the wrapped schedule's rate times the
    /// plateau factor (see [`ReduceLrOnPlateau`]).
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `factor`, `threshold`, `min_lr` or `eps`.
    pub fn init_with(&self, schedule: Schedule) -> Result<ReduceLrOnPlateau, OptimError> {
        if !(self.factor > 0.0 && self.factor < 1.0) {
            return Err(invalid(
                "factor",
                self.factor,
                "must lie strictly between 0 and 1",
            ));
        }
        Ok(ReduceLrOnPlateau {
            mode: self.mode,
            factor: self.factor,
            patience: self.patience,
            threshold: non_negative("threshold", self.threshold)?,
            threshold_mode: self.threshold_mode,
            cooldown: self.cooldown,
            min_lr: non_negative("min_lr", self.min_lr)?,
            eps: non_negative("eps", self.eps)?,
            inner: schedule,
            scale: 1.0,
            best: self.mode.worst(),
            num_bad_epochs: 0,
            cooldown_counter: 0,
            epochs: 0,
            reductions: 0,
        })
    }
}

/// What [`ReduceLrOnPlateau::observe`] did with a metric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PlateauDecision {
    /// The metric is a new best (by more than the threshold).
    Improved {
        /// The new best value.
        best: f64,
    },
    /// No improvement; the rate is kept while `bad_epochs <= patience`.
    Waiting {
        /// Consecutive epochs without improvement, this one included.
        bad_epochs: usize,
    },
    /// No improvement, but bad epochs are not counted during the cooldown after a reduction.
    Cooldown {
        /// Cooldown epochs left after this one.
        remaining: usize,
    },
    /// The patience ran out and the rate was reduced.
    Reduced {
        /// The rate before.
        from: f64,
        /// The rate after (`max(from * factor, min_lr)` for a constant base).
        to: f64,
    },
    /// The patience ran out but the rate is at its floor: the reduction would be at most `eps`.
    /// A trainer may stop here (see [`MinLrStop`](super::MinLrStop)).
    AtMinimum {
        /// The rate, unchanged.
        lr: f64,
    },
}

impl PlateauDecision {
    /// Whether the rate was reduced.
    pub fn reduced(&self) -> bool {
        matches!(self, PlateauDecision::Reduced { .. })
    }
}

/// Reduce-on-plateau: a rule fed with a metric once per epoch that scales the rate of a wrapped
/// schedule.
///
/// # How it drives the rate
///
/// It owns a wrapped [`Schedule`] (a constant rate with [`ReduceLrOnPlateauConfig::init`], any
/// schedule with [`ReduceLrOnPlateauConfig::init_with`]) and a factor `scale`, 1 at the start and
/// multiplied by `factor` at each reduction. It is itself an [`LrScheduler`]: call
/// [`step`](LrScheduler::step) once per batch as with any schedule; it returns the wrapped
/// schedule's rate times `scale`, floored at `min_lr` once a reduction has happened. Call
/// [`observe`](Self::observe) once per epoch with the validation metric; from the next batch on the
/// new rate applies. [`lr`](Self::lr) tells the rate the next batch will use.
///
/// On a constant base this is exactly PyTorch's `ReduceLROnPlateau` (tested against PyTorch on
/// scripted metrics, in both modes). PyTorch's rule can only scale an optimizer's current rate,
/// and refuses to sit inside `SequentialLR`; here it can wrap any schedule (warm-up, cosine...),
/// with `min_lr` and `eps` applied to the scaled rate.
///
/// Its record holds the rule's state and the wrapped schedule's record, so a resumed run
/// continues exactly (best value, bad-epoch and cooldown counters, scale).
#[derive(Clone, Debug)]
pub struct ReduceLrOnPlateau {
    mode: MetricMode,
    factor: f64,
    patience: usize,
    threshold: f64,
    threshold_mode: ThresholdMode,
    cooldown: usize,
    min_lr: f64,
    eps: f64,
    inner: Schedule,
    scale: f64,
    best: f64,
    num_bad_epochs: usize,
    cooldown_counter: usize,
    epochs: usize,
    reductions: usize,
}

impl ReduceLrOnPlateau {
    /// Feeds the metric of the epoch that just ended and says what the rule did.
    pub fn observe(&mut self, metric: f64) -> PlateauDecision {
        self.epochs = self.epochs.saturating_add(1);
        let improved = self
            .mode
            .is_better(metric, self.best, self.threshold, self.threshold_mode);
        if improved {
            self.best = metric;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs = self.num_bad_epochs.saturating_add(1);
        }
        let cooling = self.cooldown_counter > 0;
        if cooling {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.patience {
            let base = self.inner.peek();
            let from = self.apply(base, self.scale, self.reductions > 0);
            let to = self.apply(base, self.scale * self.factor, true);
            self.cooldown_counter = self.cooldown;
            self.num_bad_epochs = 0;
            return if from - to > self.eps {
                self.scale *= self.factor;
                self.reductions += 1;
                PlateauDecision::Reduced { from, to }
            } else {
                PlateauDecision::AtMinimum { lr: from }
            };
        }
        if improved {
            PlateauDecision::Improved { best: metric }
        } else if cooling {
            PlateauDecision::Cooldown {
                remaining: self.cooldown_counter,
            }
        } else {
            PlateauDecision::Waiting {
                bad_epochs: self.num_bad_epochs,
            }
        }
    }

    fn apply(&self, base: f64, scale: f64, floored: bool) -> f64 {
        if floored {
            (base * scale).max(self.min_lr)
        } else {
            base * scale
        }
    }

    /// The rate the next [`step`](LrScheduler::step) will return.
    pub fn lr(&self) -> f64 {
        self.apply(self.inner.peek(), self.scale, self.reductions > 0)
    }

    /// The factor applied to the wrapped schedule: `factor^reductions`.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The best metric so far, `None` before the first finite observation.
    pub fn best(&self) -> Option<f64> {
        (self.best != self.mode.worst()).then_some(self.best)
    }

    /// Consecutive epochs without improvement counted so far.
    pub fn num_bad_epochs(&self) -> usize {
        self.num_bad_epochs
    }

    /// Whether the rule is in its cooldown after a reduction.
    pub fn in_cooldown(&self) -> bool {
        self.cooldown_counter > 0
    }

    /// Metrics observed so far.
    pub fn epochs(&self) -> usize {
        self.epochs
    }

    /// Reductions so far.
    pub fn reductions(&self) -> usize {
        self.reductions
    }

    /// The wrapped schedule.
    pub fn inner(&self) -> &Schedule {
        &self.inner
    }
}

impl LrScheduler for ReduceLrOnPlateau {
    fn step(&mut self) -> f64 {
        let base = self.inner.step();
        self.apply(base, self.scale, self.reductions > 0)
    }

    fn to_record(&self) -> LrSchedulerRecord {
        LrSchedulerRecord::new()
            .with_scalar(SCALE_KEY, self.scale)
            .with_scalar(BEST_KEY, self.best)
            .with_scalar(BAD_KEY, self.num_bad_epochs)
            .with_scalar(COOLDOWN_KEY, self.cooldown_counter)
            .with_scalar(EPOCHS_KEY, self.epochs)
            .with_scalar(REDUCTIONS_KEY, self.reductions)
            .with_record(INNER_KEY, self.inner.to_record())
    }

    fn load_record(&mut self, record: LrSchedulerRecord) {
        if let Some(scale) = record.scalar::<f64>(SCALE_KEY) {
            self.scale = scale;
        }
        if let Some(best) = record.scalar::<f64>(BEST_KEY) {
            self.best = best;
        }
        if let Some(bad) = record.scalar::<usize>(BAD_KEY) {
            self.num_bad_epochs = bad;
        }
        if let Some(counter) = record.scalar::<usize>(COOLDOWN_KEY) {
            self.cooldown_counter = counter;
        }
        if let Some(epochs) = record.scalar::<usize>(EPOCHS_KEY) {
            self.epochs = epochs;
        }
        if let Some(reductions) = record.scalar::<usize>(REDUCTIONS_KEY) {
            self.reductions = reductions;
        }
        self.inner.load_record(record.record(INNER_KEY));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::ExponentialLrConfig;
    use crate::schedule::test_utils::{
        TORCH_RTOL, assert_close, assert_invalid, check_resume, take,
    };

    fn min_rule() -> ReduceLrOnPlateau {
        ReduceLrOnPlateauConfig::new()
            .with_factor(0.5)
            .with_patience(3)
            .with_threshold(0.01)
            .with_cooldown(2)
            .with_min_lr(1e-3)
            .init(0.1)
            .expect("valid")
    }

    fn max_rule() -> ReduceLrOnPlateau {
        ReduceLrOnPlateauConfig::new()
            .with_mode(MetricMode::Max)
            .with_factor(0.3)
            .with_patience(2)
            .with_threshold(0.005)
            .with_threshold_mode(ThresholdMode::Abs)
            .with_min_lr(1e-4)
            .with_eps(1e-3)
            .init(0.1)
            .expect("valid")
    }

    /// Observes each metric, checks that every batch of the next epoch (3 per epoch) gets the
    /// rule's rate, and returns the rates after each observation.
    fn run(rule: &mut ReduceLrOnPlateau, metrics: &[f64]) -> Vec<f64> {
        metrics
            .iter()
            .map(|&metric| {
                rule.observe(metric);
                let lr = rule.lr();
                assert_eq!(take(rule, 3), vec![lr; 3]);
                lr
            })
            .collect()
    }

    // The script prints METRICS, then the rate after each `step(metric)` (LRS).
    // PyTorch reference (plateau_min.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python plateau_min.py`):
    //
    //     import math
    //     import torch
    //     from torch.optim.lr_scheduler import ReduceLROnPlateau
    //
    //     metrics = [round(1.0 / (1.0 + 0.1 * min(i, 40)) + 0.02 * math.sin(1.7 * i), 6) for i in range(110)]
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=3, threshold=0.01,
    //                               threshold_mode="rel", cooldown=2, min_lr=1e-3)
    //     lrs = []
    //     for m in metrics:
    //         sched.step(m)  # end of epoch: lr for the next epoch
    //         lrs.append(opt.param_groups[0]["lr"])
    //     print(metrics)
    //     print(lrs)
    #[test]
    fn matches_torch_min_rel_with_cooldown_and_floor() {
        const METRICS: [f64; 110] = [
            1.0, 0.928924, 0.828223, 0.750714, 0.724168, 0.682636, 0.611003, 0.575873, 0.572739,
            0.534251, 0.480772, 0.47321, 0.474541, 0.43261, 0.397231, 0.407181, 0.402201, 0.358658,
            0.342576, 0.360294, 0.343915, 0.304387, 0.306607, 0.322742, 0.294932, 0.265793,
            0.282098, 0.289079, 0.253991, 0.239964, 0.263405, 0.256895, 0.221343, 0.223883,
            0.246261, 0.226005, 0.197429, 0.214128, 0.227945, 0.197666, 0.182041, 0.211043,
            0.215113, 0.185062, 0.188736, 0.21784, 0.206666, 0.180442, 0.198374, 0.219977,
            0.196478, 0.18093, 0.208436, 0.216896, 0.187211, 0.1864, 0.216294, 0.209401, 0.181283,
            0.195422, 0.219897, 0.199451, 0.180245, 0.205639, 0.218302, 0.189644, 0.184367,
            0.214384, 0.211927, 0.182542, 0.192572, 0.219372, 0.202436, 0.180001, 0.202717,
            0.219299, 0.192309, 0.182683, 0.212153, 0.214186, 0.184191, 0.189888, 0.218414,
            0.205367, 0.180203, 0.199735, 0.219866, 0.195146, 0.181385, 0.209651, 0.216128,
            0.186193, 0.18743, 0.217046, 0.208178, 0.180847, 0.196758, 0.219989, 0.198091,
            0.180503, 0.206933, 0.21771, 0.188503, 0.185252, 0.215297, 0.210806, 0.181918,
            0.193854, 0.219665, 0.201079,
        ];
        const LRS: [f64; 110] = [
            0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1,
            0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1,
            0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05,
            0.025, 0.025, 0.025, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.0125, 0.0125,
            0.0125, 0.00625, 0.00625, 0.00625, 0.00625, 0.00625, 0.00625, 0.003125, 0.003125,
            0.003125, 0.003125, 0.003125, 0.003125, 0.003125, 0.003125, 0.003125, 0.0015625,
            0.0015625, 0.0015625, 0.0015625, 0.0015625, 0.0015625, 0.001, 0.001, 0.001, 0.001,
            0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001,
            0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001,
        ];
        let mut rule = min_rule();
        assert_close(&run(&mut rule, &METRICS), &LRS, TORCH_RTOL);
        assert_eq!(rule.lr(), 1e-3);
    }

    // The script prints METRICS, then the rate after each `step(metric)` (LRS). With eps = 1e-3
    // the rate stops at 8.1e-4: the next reduction (to 2.43e-4) would be smaller than eps.
    // PyTorch reference (plateau_max.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python plateau_max.py`):
    //
    //     import math
    //     import torch
    //     from torch.optim.lr_scheduler import ReduceLROnPlateau
    //
    //     metrics = [round(0.9 - 0.5 / (1.0 + 0.2 * min(i, 25)) + 0.01 * math.cos(2.3 * i), 6) for i in range(110)]
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = ReduceLROnPlateau(opt, mode="max", factor=0.3, patience=2, threshold=0.005,
    //                               threshold_mode="abs", cooldown=0, min_lr=1e-4, eps=1e-3)
    //     lrs = []
    //     for m in metrics:
    //         sched.step(m)  # end of epoch: lr for the next epoch
    //         lrs.append(opt.param_groups[0]["lr"])
    //     print(metrics)
    //     print(lrs)
    #[test]
    fn matches_torch_max_abs_with_eps() {
        const METRICS: [f64; 110] = [
            0.41, 0.476671, 0.541736, 0.595657, 0.612474, 0.654833, 0.676035, 0.682425, 0.716699,
            0.718668, 0.728005, 0.75361, 0.74513, 0.76166, 0.775501, 0.765017, 0.787175, 0.788055,
            0.782828, 0.805438, 0.795678, 0.800001, 0.816853, 0.801973, 0.815996, 0.822473,
            0.806727, 0.824106, 0.816693, 0.809192, 0.826601, 0.810904, 0.814412, 0.825434,
            0.807239, 0.820463, 0.821036, 0.807048, 0.825115, 0.815028, 0.810402, 0.826653,
            0.809624, 0.816065, 0.824511, 0.806815, 0.82195, 0.819478, 0.807637, 0.825888,
            0.813409, 0.811787, 0.826427, 0.80854, 0.817736, 0.823369, 0.806667, 0.82329, 0.817841,
            0.808479, 0.826403, 0.81188, 0.813309, 0.825928, 0.807683, 0.819376, 0.82204, 0.806798,
            0.824445, 0.816171, 0.809549, 0.826647, 0.810485, 0.814924, 0.825171, 0.807077,
            0.820941, 0.820561, 0.807204, 0.825382, 0.814515, 0.810818, 0.826612, 0.809263,
            0.816587, 0.824176, 0.806739, 0.822386, 0.818973, 0.807874, 0.826077, 0.81292, 0.81225,
            0.8263, 0.808247, 0.818253, 0.822972, 0.806678, 0.823672, 0.817321, 0.80879, 0.826509,
            0.811428, 0.813805, 0.825719, 0.807466, 0.819875, 0.821592, 0.806895, 0.824762,
        ];
        const LRS: [f64; 110] = [
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
            0.03,
            0.03,
            0.03,
            0.009,
            0.009,
            0.009,
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
        ];
        let mut rule = max_rule();
        assert_close(&run(&mut rule, &METRICS), &LRS, TORCH_RTOL);
    }

    #[test]
    fn reports_its_decisions() {
        let mut rule = ReduceLrOnPlateauConfig::new()
            .with_patience(1)
            .with_cooldown(1)
            .with_factor(0.5)
            .with_min_lr(0.3)
            .init(1.0)
            .expect("valid");
        assert_eq!(rule.best(), None);
        assert_eq!(rule.observe(1.0), PlateauDecision::Improved { best: 1.0 });
        assert_eq!(
            rule.observe(1.0),
            PlateauDecision::Waiting { bad_epochs: 1 }
        );
        assert_eq!(
            rule.observe(1.0),
            PlateauDecision::Reduced { from: 1.0, to: 0.5 }
        );
        assert_eq!(
            rule.observe(1.0),
            PlateauDecision::Cooldown { remaining: 0 }
        );
        assert_eq!(
            rule.observe(1.0),
            PlateauDecision::Waiting { bad_epochs: 1 }
        );
        assert_eq!(
            rule.observe(1.0),
            PlateauDecision::Reduced { from: 0.5, to: 0.3 }
        );
        assert_eq!(
            rule.observe(1.0),
            PlateauDecision::Cooldown { remaining: 0 }
        );
        assert_eq!(
            rule.observe(1.0),
            PlateauDecision::Waiting { bad_epochs: 1 }
        );
        assert_eq!(rule.observe(1.0), PlateauDecision::AtMinimum { lr: 0.3 });
        assert_eq!(rule.observe(0.5), PlateauDecision::Improved { best: 0.5 });
        assert_eq!(
            (rule.best(), rule.reductions(), rule.epochs()),
            (Some(0.5), 2, 10)
        );
    }

    #[test]
    fn scales_a_wrapped_schedule() {
        let decay = ExponentialLrConfig::new(1.0, 0.5).init().expect("valid");
        let mut rule = ReduceLrOnPlateauConfig::new()
            .with_patience(0)
            .with_factor(0.1)
            .init_with(Schedule::new(decay))
            .expect("valid");
        assert_eq!(take(&mut rule, 2), vec![1.0, 0.5]);
        rule.observe(1.0);
        assert!(rule.observe(2.0).reduced());
        assert!((rule.lr() - 0.025).abs() < 1e-15);
        let lrs = take(&mut rule, 2);
        assert_close(&lrs, &[0.025, 0.0125], 1e-12);
    }

    #[test]
    fn resumes_with_its_counters() {
        let metrics = METRICS_FOR_RESUME;
        for k in [0, 5, 17, 30, 44] {
            let mut original = min_rule();
            run(&mut original, &metrics[..k]);
            let bytes = original.to_record().into_bytes().expect("serializes");
            let mut resumed = min_rule();
            resumed.load_record(LrSchedulerRecord::from_bytes(bytes).expect("deserializes"));
            assert_eq!(resumed.best(), original.best());
            for &metric in &metrics[k..] {
                assert_eq!(
                    original.observe(metric),
                    resumed.observe(metric),
                    "resumed at {k}"
                );
                assert_eq!(original.lr().to_bits(), resumed.lr().to_bits());
                assert_eq!(original.step().to_bits(), resumed.step().to_bits());
            }
        }
        check_resume(&min_rule(), &[0, 4], 4);
    }

    const METRICS_FOR_RESUME: [f64; 50] = {
        let mut metrics = [0.0; 50];
        let mut i = 0;
        while i < 50 {
            // Improves for 10 epochs, then oscillates on a plateau.
            metrics[i] = if i < 10 {
                1.0 - 0.05 * i as f64
            } else {
                0.6 + 0.01 * (i % 3) as f64
            };
            i += 1;
        }
        metrics
    };

    #[test]
    fn rejects_invalid_configs() {
        let config = ReduceLrOnPlateauConfig::new;
        assert_invalid(config().with_factor(1.0).init(0.1), "factor");
        assert_invalid(config().with_factor(1.5).init(0.1), "factor");
        assert_invalid(config().with_factor(0.0).init(0.1), "factor");
        assert_invalid(config().with_threshold(-0.1).init(0.1), "threshold");
        assert_invalid(config().with_min_lr(-1e-3).init(0.1), "min_lr");
        assert_invalid(config().with_eps(f64::NAN).init(0.1), "eps");
        assert_invalid(config().init(-0.1), "initial_lr");
    }
}
