//! timm's cosine schedule with restarts (`timm.scheduler.CosineLRScheduler`): a warm-up, a
//! float cycle multiplier, per-cycle peak decay, a cycle limit, k-decay and seeded noise.

use burn::config::Config;

use super::counter::counter_scheduler;
use super::timm_noise::timm_noise;
use super::validate::{at_least_one, invalid, non_negative, positive};
use crate::OptimError;

/// Configuration of [`TimmCosine`]; the fields are `CosineLRScheduler`'s arguments, with the
/// same names and defaults. Durations count calls to `step()` (epochs with timm's
/// `t_in_epochs=True` once wrapped in [`PerEpoch`](super::PerEpoch), updates otherwise).
#[derive(Config, Debug)]
pub struct TimmCosineConfig {
    /// The base (peak) rate, timm's optimizer `lr` (finite, > 0).
    pub lr: f64,
    /// Length of the first cycle, `t_initial` (>= 1).
    pub t_initial: usize,
    /// The floor, `lr_min` (finite, >= 0).
    #[config(default = "super::defaults::TIMM_LR_MIN")]
    pub lr_min: f64,
    /// Each cycle is `cycle_mul` times longer than the last, `cycle_mul` (finite, > 0; a float).
    #[config(default = "super::defaults::TIMM_CYCLE_MUL")]
    pub cycle_mul: f64,
    /// Factor of the peak per cycle, `cycle_decay`: cycle `i` peaks at `lr * cycle_decay^i`
    /// (finite, > 0).
    #[config(default = "super::defaults::TIMM_CYCLE_DECAY")]
    pub cycle_decay: f64,
    /// Cycles run, `cycle_limit`; after them the rate stays at `lr_min` (>= 1).
    #[config(default = "super::defaults::TIMM_CYCLE_LIMIT")]
    pub cycle_limit: usize,
    /// Steps of linear warm-up, `warmup_t` (0: none).
    #[config(default = "super::defaults::TIMM_WARMUP_T")]
    pub warmup_t: usize,
    /// The warm-up's first rate, `warmup_lr_init` (finite, >= 0).
    #[config(default = "super::defaults::TIMM_WARMUP_LR_INIT")]
    pub warmup_lr_init: f64,
    /// Whether the cosine starts after the warm-up (`true`) or the warm-up covers its first
    /// steps (`false`), `warmup_prefix`.
    #[config(default = "super::defaults::TIMM_WARMUP_PREFIX")]
    pub warmup_prefix: bool,
    /// k-decay exponent `k`, `k_decay` (Zhang et al. 2020): the phase is
    /// `pi * t_curr^k / t_i^k` (finite, > 0; 1 is the plain cosine).
    #[config(default = "super::defaults::TIMM_K_DECAY")]
    pub k_decay: f64,
    /// First step with noise, timm's `noise_range_t` (an int, or the first of a pair); `None`
    /// is no noise.
    pub noise_start: Option<usize>,
    /// First step without noise again (the second of timm's pair); `None` means never.
    pub noise_end: Option<usize>,
    /// Bound of the relative noise, `noise_pct` (finite, > 0).
    #[config(default = "super::defaults::TIMM_NOISE_PCT")]
    pub noise_pct: f64,
    /// Scale of the normal draw, `noise_std` (finite, > 0; timm accepts it and ignores it).
    #[config(default = "super::defaults::TIMM_NOISE_STD")]
    pub noise_std: f64,
    /// Step `t`'s noise comes from a generator seeded with `noise_seed + t`, `noise_seed`.
    #[config(default = "super::defaults::TIMM_NOISE_SEED")]
    pub noise_seed: u64,
}

impl TimmCosineConfig {
    /// Builds the schedule.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `lr`, `t_initial`, `lr_min`, `cycle_mul`,
    /// `cycle_decay`, `cycle_limit`, `warmup_lr_init`, `k_decay`, `noise_range_t`, `noise_pct`
    /// or `noise_std`.
    pub fn init(&self) -> Result<TimmCosine, OptimError> {
        if let (Some(start), Some(end)) = (self.noise_start, self.noise_end)
            && end <= start
        {
            return Err(invalid(
                "noise_range_t",
                format!("{start},{end}"),
                "the end must come after the start",
            ));
        }
        Ok(TimmCosine {
            lr: positive("lr", self.lr)?,
            t_initial: at_least_one("t_initial", self.t_initial)?,
            lr_min: non_negative("lr_min", self.lr_min)?,
            cycle_mul: positive("cycle_mul", self.cycle_mul)?,
            cycle_decay: positive("cycle_decay", self.cycle_decay)?,
            cycle_limit: at_least_one("cycle_limit", self.cycle_limit)?,
            warmup_t: self.warmup_t,
            warmup_lr_init: non_negative("warmup_lr_init", self.warmup_lr_init)?,
            warmup_prefix: self.warmup_prefix,
            k_decay: positive("k_decay", self.k_decay)?,
            noise_start: self.noise_start,
            noise_end: self.noise_end,
            noise_pct: positive("noise_pct", self.noise_pct)?,
            noise_std: positive("noise_std", self.noise_std)?,
            noise_seed: self.noise_seed,
            position: 0,
        })
    }
}

/// timm's `CosineLRScheduler`, step for step (its `_get_lr` and `Scheduler._add_noise`,
/// huggingface/pytorch-image-models `timm/scheduler/cosine_lr.py` and `scheduler.py` at commit
/// aa4b585; tested against that code run by PyTorch). At step `t`:
///
/// - warm-up, `t < warmup_t`: `warmup_lr_init + t * (lr - warmup_lr_init) / warmup_t`;
/// - otherwise (`t -= warmup_t` first with `warmup_prefix`): cycle `i` and its position `t_curr`
///   of length `t_i` (`t_i = t_initial * cycle_mul^i`, found with timm's logarithm when
///   `cycle_mul != 1`), and while `i < cycle_limit`
///   `lr_min + (lr * cycle_decay^i - lr_min) * (1 + cos(pi * t_curr^k / t_i^k)) / 2`; after
///   the last cycle, `lr_min`;
/// - noise, for `noise_start <= t < noise_end` and `t >= 1`: the rate times `1 + n`, with `n`
///   timm's truncated normal draw for step `t` (`|n| < noise_pct`; see `noise_std`). Step 0
///   never has noise: timm sets the first rate at construction, without noise.
///
/// Unlike our `sgdr` schedule: the peak may decay below `lr_min` (then the cycle rises towards
/// `lr_min`), as in timm; `sgdr`'s `restart_decay` is timm's `cycle_decay` with the peak held
/// at or above `eta_min`.
#[derive(Clone, Debug, PartialEq)]
pub struct TimmCosine {
    lr: f64,
    t_initial: usize,
    lr_min: f64,
    cycle_mul: f64,
    cycle_decay: f64,
    cycle_limit: usize,
    warmup_t: usize,
    warmup_lr_init: f64,
    warmup_prefix: bool,
    k_decay: f64,
    noise_start: Option<usize>,
    noise_end: Option<usize>,
    noise_pct: f64,
    noise_std: f64,
    noise_seed: u64,
    position: usize,
}

impl TimmCosine {
    /// timm's `_get_lr(t)`: the rate of step `t` before noise.
    pub fn clean_lr_at(&self, t: usize) -> f64 {
        if t < self.warmup_t {
            let step = (self.lr - self.warmup_lr_init) / self.warmup_t as f64;
            return self.warmup_lr_init + t as f64 * step;
        }
        let t = if self.warmup_prefix {
            t - self.warmup_t
        } else {
            t
        } as f64;
        let t_initial = self.t_initial as f64;
        let (i, t_i, t_curr) = if self.cycle_mul != 1.0 {
            let m = self.cycle_mul;
            let i = ((1.0 - t / t_initial * (1.0 - m)).ln() / m.ln()).floor();
            let t_i = m.powf(i) * t_initial;
            let t_curr = t - (1.0 - m.powf(i)) / (1.0 - m) * t_initial;
            (i, t_i, t_curr)
        } else {
            let i = (t / t_initial).floor();
            (i, t_initial, t - t_initial * i)
        };
        if i < self.cycle_limit as f64 {
            let lr_max = self.lr * self.cycle_decay.powf(i);
            let k = self.k_decay;
            let phase = core::f64::consts::PI * t_curr.powf(k) / t_i.powf(k);
            self.lr_min + 0.5 * (lr_max - self.lr_min) * (1.0 + phase.cos())
        } else {
            self.lr_min
        }
    }

    /// Whether step `t` has noise.
    fn noisy(&self, t: usize) -> bool {
        t >= 1
            && self.noise_start.is_some_and(|start| t >= start)
            && self.noise_end.is_none_or(|end| t < end)
    }

    /// The rate of step `t` (0-based), noise included, without changing the state.
    pub fn lr_at(&self, t: usize) -> f64 {
        let lr = self.clean_lr_at(t);
        if self.noisy(t) {
            let noise = timm_noise(self.noise_seed, t, self.noise_pct, self.noise_std);
            lr + lr * noise
        } else {
            lr
        }
    }
}

counter_scheduler!(TimmCosine);

#[cfg(test)]
mod tests;
