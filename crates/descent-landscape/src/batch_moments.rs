//! The mean of per-sample values and its standard error, from per-batch sums: what a scan
//! point reports for its loss and accuracy.
//!
//! Each batch `b` of `n_b` samples gives its sum `S_b = sum_i x_i` and its centred sum of
//! squares `Q_b = sum_i (x_i - S_b / n_b)^2` (computed where the samples are, e.g. on the
//! device). They combine exactly, in any batch sizes (Chan, Golub and LeVeque 1979, the
//! pairwise update of the sum of squares), into
//!
//! ```text
//! N    = sum_b n_b
//! mean = sum_b S_b / N
//! M2   = sum_b Q_b + sum_b n_b (S_b / n_b - mean)^2      (= sum_i (x_i - mean)^2)
//! s^2  = M2 / (N - 1)                                     (sample variance, Bessel-corrected)
//! SE   = sqrt(s^2 / N)                                    (standard error of the mean)
//! ```
//!
//! so the standard error is that of the per-*sample* values, whatever the batch sizes; it
//! is numpy's `x.std(ddof=1) / sqrt(len(x))`. It estimates how far the mean over a random
//! subset of `N` samples (`--subset N`) lies from the mean over the whole split; as a plain
//! random-sampling formula it leaves out the finite-population factor
//! `sqrt((P - N) / (P - 1))` for a split of `P` samples, so it overstates the error of a
//! subset that is a large share of its split, and it is not zero for the whole split (read
//! it there as the spread of the per-sample values). NaN for fewer than two samples.

/// Running per-batch moments; see the [module docs](self).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchMoments {
    batches: Vec<(f64, f64, f64)>,
}

impl BatchMoments {
    /// No batch yet.
    pub fn new() -> BatchMoments {
        BatchMoments::default()
    }

    /// Adds a batch of `n` samples with sum `sum` and centred sum of squares `centred_ss`.
    pub fn push(&mut self, n: usize, sum: f64, centred_ss: f64) {
        self.batches.push((n as f64, sum, centred_ss));
    }

    /// Number of samples.
    pub fn count(&self) -> usize {
        self.batches.iter().map(|b| b.0).sum::<f64>() as usize
    }

    /// The sum of all samples.
    pub fn sum(&self) -> f64 {
        self.batches.iter().map(|b| b.1).sum()
    }

    /// The mean (NaN without samples).
    pub fn mean(&self) -> f64 {
        self.sum() / self.count() as f64
    }

    /// The standard error of the mean, `s / sqrt(N)` (NaN for fewer than two samples).
    pub fn standard_error(&self) -> f64 {
        let n = self.count() as f64;
        if n < 2.0 {
            return f64::NAN;
        }
        let mean = self.mean();
        let m2: f64 = self
            .batches
            .iter()
            .filter(|b| b.0 > 0.0)
            .map(|&(nb, s, q)| q + nb * (s / nb - mean).powi(2))
            .sum();
        (m2.max(0.0) / (n - 1.0) / n).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sum and centred sum of squares of a slice, in f64.
    fn moments(x: &[f64]) -> (usize, f64, f64) {
        let s: f64 = x.iter().sum();
        let m = s / x.len() as f64;
        (x.len(), s, x.iter().map(|v| (v - m).powi(2)).sum())
    }

    #[test]
    fn unequal_batches_give_numpys_standard_error() {
        // Per-sample values in batches of 3, 3 and 1 (a short last batch). Reference:
        //   import numpy as np
        //   x = np.array([0.5, 1.25, 2.0, 0.75, 3.5, 1.0, 4.0])
        //   print(repr(x.mean()), repr(x.std(ddof=1) / np.sqrt(len(x))))
        //   # 1.8571428571428572 0.5228616965713749
        let x = [0.5, 1.25, 2.0, 0.75, 3.5, 1.0, 4.0];
        let mut m = BatchMoments::new();
        for chunk in x.chunks(3) {
            let (n, s, q) = moments(chunk);
            m.push(n, s, q);
        }
        assert_eq!(m.count(), 7);
        assert!((m.mean() - 1.857_142_857_142_857_2).abs() < 1e-15);
        assert!((m.standard_error() - 0.522_861_696_571_374_9).abs() < 1e-15);
        // Whatever the batching: one batch, or single samples.
        for size in [1, 2, 7] {
            let mut other = BatchMoments::new();
            for chunk in x.chunks(size) {
                let (n, s, q) = moments(chunk);
                other.push(n, s, q);
            }
            assert!((other.standard_error() - m.standard_error()).abs() < 1e-15);
        }
    }

    #[test]
    fn accuracy_is_the_binomial_standard_error() {
        // 0/1 correctness: s^2 = N p (1 - p) / (N - 1). 3 of 4 right: p = 3/4, s^2 = 1/4,
        // SE = sqrt(1/4 / 4) = 1/4 exactly.
        let mut m = BatchMoments::new();
        let (n, s, q) = moments(&[1.0, 0.0]);
        m.push(n, s, q);
        let (n, s, q) = moments(&[1.0, 1.0]);
        m.push(n, s, q);
        assert_eq!(m.mean(), 0.75);
        assert_eq!(m.standard_error(), 0.25);
    }

    #[test]
    fn fewer_than_two_samples_have_no_error() {
        let mut m = BatchMoments::new();
        assert!(m.standard_error().is_nan());
        m.push(1, 2.0, 0.0);
        assert_eq!(m.mean(), 2.0);
        assert!(m.standard_error().is_nan());
    }
}
