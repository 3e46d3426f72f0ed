//! Seeded Gaussian gradient noise, to imitate the sampling noise of mini-batch SGD.

use serde::{Deserialize, Serialize};

use crate::ToyError;

/// Gaussian noise added to every gradient: `g̃ = g + std·ξ`, `ξ ~ N(0, I)`.
///
/// The draw of step `k` depends only on `(seed, k)` (SplitMix64 of both, then Box-Muller), not
/// on any global generator: a path is reproducible, two walks in one process do not disturb
/// each other, and the noise of step `k` is the same whatever the optimizer, so comparisons
/// see the same noise sequence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GradientNoise {
    /// Standard deviation of each gradient component's noise (≥ 0).
    pub std: f64,
    /// The seed.
    pub seed: u64,
}

impl GradientNoise {
    /// Noise of standard deviation `std` drawn from `seed`.
    pub fn new(std: f64, seed: u64) -> Self {
        Self { std, seed }
    }

    /// Checks that `std` is finite and ≥ 0.
    pub fn validate(&self) -> Result<(), ToyError> {
        if !(self.std.is_finite() && self.std >= 0.0) {
            return Err(ToyError::invalid(
                "noise",
                self.std,
                "must be a finite standard deviation >= 0",
            ));
        }
        Ok(())
    }

    /// The noise vector added at step `step` (`dims` components, each `std·N(0, 1)`).
    pub fn sample(&self, step: u64, dims: usize) -> Vec<f64> {
        let mut state = splitmix64(self.seed ^ splitmix64(step.wrapping_add(0x5eed)));
        let mut out = Vec::with_capacity(dims);
        while out.len() < dims {
            state = splitmix64(state);
            let u1 = unit_open(state);
            state = splitmix64(state);
            let u2 = unit_open(state);
            let r = (-2.0 * u1.ln()).sqrt();
            let theta = 2.0 * core::f64::consts::PI * u2;
            out.push(self.std * r * theta.cos());
            if out.len() < dims {
                out.push(self.std * r * theta.sin());
            }
        }
        out
    }
}

/// SplitMix64's output function (Steele, Lea and Flood 2014).
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform number in `(0, 1]` from the top 53 bits.
fn unit_open(bits: u64) -> f64 {
    ((bits >> 11) as f64 + 1.0) / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_depend_only_on_seed_and_step() {
        let noise = GradientNoise::new(0.5, 7);
        assert_eq!(noise.sample(3, 2), noise.sample(3, 2));
        assert_ne!(noise.sample(3, 2), noise.sample(4, 2));
        assert_ne!(noise.sample(3, 2), GradientNoise::new(0.5, 8).sample(3, 2));
        assert_eq!(noise.sample(3, 1).len(), 1);
        assert_eq!(GradientNoise::new(0.0, 7).sample(9, 2), vec![0.0, 0.0]);
    }

    #[test]
    fn draws_are_standard_normal_times_std() {
        // Moments over 20,000 draws: mean 0, variance std², fourth moment 3·std⁴ (Gaussian),
        // within ~5 standard errors.
        let noise = GradientNoise::new(2.0, 1);
        let n = 10_000u64;
        let values: Vec<f64> = (0..n).flat_map(|k| noise.sample(k, 2)).collect();
        let count = values.len() as f64;
        let mean = values.iter().sum::<f64>() / count;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / count;
        let kurt = values.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / count / var.powi(2);
        assert!(mean.abs() < 5.0 * 2.0 / count.sqrt(), "mean {mean}");
        assert!(
            (var - 4.0).abs() < 5.0 * 4.0 * (2.0 / count).sqrt(),
            "var {var}"
        );
        assert!((kurt - 3.0).abs() < 0.2, "kurtosis {kurt}");
        // The two components of one draw are uncorrelated.
        let pairs: Vec<Vec<f64>> = (0..n).map(|k| noise.sample(k, 2)).collect();
        let corr = pairs.iter().map(|p| p[0] * p[1]).sum::<f64>() / n as f64 / 4.0;
        assert!(corr.abs() < 5.0 / (n as f64).sqrt(), "correlation {corr}");
    }

    #[test]
    fn negative_or_nan_std_is_refused() {
        for std in [-0.1, f64::NAN, f64::INFINITY] {
            let err = GradientNoise::new(std, 0).validate().expect_err("refused");
            assert!(matches!(
                err,
                ToyError::InvalidOption { field: "noise", .. }
            ));
        }
    }
}
