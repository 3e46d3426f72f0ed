//! Accuracy, negative log-likelihood and expected calibration error of a matrix of predicted
//! class probabilities (one row per sample), as SWAG's evaluation reports them.
//!
//! - **NLL**: the mean over samples of `-ln p(true class)` (the SWAG authors'
//!   `experiments/uncertainty/uncertainty.py` prints the *sum*; we report the mean, which does
//!   not grow with the test set). A probability below `1e-12` counts as `1e-12`, so a
//!   probability that underflowed to 0 gives a large finite loss instead of infinity (the
//!   authors' code has no floor).
//! - **ECE** ([`expected_calibration_error`]): Guo et al. 2017 ("On Calibration of Modern
//!   Neural Networks", <https://arxiv.org/abs/1706.04599>): the confidence is the largest
//!   probability of a row, the prediction its arg-max; `M` equal-width bins
//!   `((m-1)/M, m/M]` (15 by default); `ECE = sum_m |B_m| / n * |acc(B_m) - conf(B_m)|`.
//! - [`expected_calibration_error_equal_mass`]: the SWAG authors' own
//!   `experiments/uncertainty/save_calibration_curves.py`: bins whose edges are every
//!   `ceil(n / M)`-th sorted confidence (equal mass, `M = 20` there) and strict inequalities
//!   on both edges (so a confidence equal to an edge falls in no bin). Offered to compare with
//!   their tables; we report Guo's.

use serde::{Deserialize, Serialize};

use crate::error::TrainError;

/// The number of equal-width bins of Guo et al.'s ECE.
pub const GUO_BINS: usize = 15;

/// The floor under a probability before its logarithm is taken.
pub const PROBABILITY_FLOOR: f64 = 1e-12;

/// Accuracy, NLL and ECE of a probability matrix.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationMetrics {
    /// Fraction of rows whose arg-max is the label.
    pub accuracy: f64,
    /// Mean negative log of the probability of the label.
    pub nll: f64,
    /// Guo et al.'s expected calibration error with [`GUO_BINS`] equal-width bins.
    pub ece: f64,
    /// Number of rows.
    pub samples: usize,
}

/// A checked view of `n x classes` probabilities (row-major) and their labels.
struct Rows<'a> {
    probs: &'a [f64],
    classes: usize,
    labels: &'a [usize],
}

impl<'a> Rows<'a> {
    fn new(probs: &'a [f64], classes: usize, labels: &'a [usize]) -> Result<Self, TrainError> {
        let bad = |value: String, reason: String| TrainError::InvalidOption {
            field: "probabilities",
            value,
            reason,
        };
        if classes == 0 || labels.is_empty() {
            return Err(bad(
                format!("{} labels, {classes} classes", labels.len()),
                "needs at least one sample and one class".into(),
            ));
        }
        if labels.len().checked_mul(classes) != Some(probs.len()) {
            return Err(bad(
                format!("{} values", probs.len()),
                format!("{} labels x {classes} classes needed", labels.len()),
            ));
        }
        if let Some(&label) = labels.iter().find(|&&l| l >= classes) {
            return Err(bad(
                format!("label {label}"),
                format!("labels must be below the {classes} classes"),
            ));
        }
        Ok(Self {
            probs,
            classes,
            labels,
        })
    }

    /// (confidence, arg-max (first of equals), correct) of each row.
    fn predictions(&self) -> Vec<(f64, usize, bool)> {
        self.probs
            .chunks_exact(self.classes)
            .zip(self.labels)
            .map(|(row, &label)| {
                let mut best = 0;
                for (k, &p) in row.iter().enumerate() {
                    if p > row[best] {
                        best = k;
                    }
                }
                (row[best], best, best == label)
            })
            .collect()
    }
}

/// Mean `-ln max(p(label), 1e-12)` over the rows of `probs` (`labels.len() x classes`,
/// row-major).
///
/// # Errors
///
/// [`TrainError::InvalidOption`] naming `probabilities` when the sizes disagree, there is no
/// row, or a label is out of range.
pub fn negative_log_likelihood(
    probs: &[f64],
    classes: usize,
    labels: &[usize],
) -> Result<f64, TrainError> {
    let rows = Rows::new(probs, classes, labels)?;
    let sum: f64 = rows
        .probs
        .chunks_exact(classes)
        .zip(labels)
        .map(|(row, &label)| -row[label].max(PROBABILITY_FLOOR).ln())
        .sum();
    Ok(sum / labels.len() as f64)
}

/// Guo et al.'s expected calibration error with `bins` equal-width bins `((m-1)/M, m/M]`
/// (see the [module docs](self)).
///
/// # Errors
///
/// As [`negative_log_likelihood`], and naming `ece_bins` when `bins` is 0.
pub fn expected_calibration_error(
    probs: &[f64],
    classes: usize,
    labels: &[usize],
    bins: usize,
) -> Result<f64, TrainError> {
    let rows = Rows::new(probs, classes, labels)?;
    check_bins(bins)?;
    let predictions = rows.predictions();
    let n = predictions.len() as f64;
    // The edges as numpy's linspace(0, 1, M + 1) computes them.
    let step = 1.0 / bins as f64;
    let edge = |i: usize| if i == bins { 1.0 } else { i as f64 * step };
    let mut ece = 0.0;
    for m in 0..bins {
        let (lo, hi) = (edge(m), edge(m + 1));
        let (mut count, mut conf, mut correct) = (0_usize, 0.0, 0_usize);
        for &(c, _, ok) in &predictions {
            if c > lo && c <= hi {
                count += 1;
                conf += c;
                correct += usize::from(ok);
            }
        }
        if count > 0 {
            let k = count as f64;
            ece += (conf / k - correct as f64 / k).abs() * (k / n);
        }
    }
    Ok(ece)
}

/// The SWAG authors' ECE (`save_calibration_curves.py`): equal-mass bins from the sorted
/// confidences and strict inequalities (see the [module docs](self)); they use `bins = 20`.
///
/// # Errors
///
/// As [`expected_calibration_error`].
pub fn expected_calibration_error_equal_mass(
    probs: &[f64],
    classes: usize,
    labels: &[usize],
    bins: usize,
) -> Result<f64, TrainError> {
    let rows = Rows::new(probs, classes, labels)?;
    check_bins(bins)?;
    let predictions = rows.predictions();
    let n = predictions.len();
    let mut sorted: Vec<f64> = predictions.iter().map(|p| p.0).collect();
    sorted.sort_by(f64::total_cmp);
    let step = n.div_ceil(bins);
    let mut edges: Vec<f64> = sorted.iter().step_by(step).copied().collect();
    if n % step != 1 {
        edges.push(sorted[n - 1]);
    }
    let mut ece = 0.0;
    for pair in edges.windows(2) {
        let (lo, hi) = (pair[0], pair[1]);
        let (mut count, mut conf, mut correct) = (0_usize, 0.0, 0_usize);
        for &(c, _, ok) in &predictions {
            if c > lo && c < hi {
                count += 1;
                conf += c;
                correct += usize::from(ok);
            }
        }
        if count > 0 {
            let k = count as f64;
            ece += (conf / k - correct as f64 / k).abs() * (k / n as f64);
        }
    }
    Ok(ece)
}

/// Accuracy, NLL and Guo's ECE (15 bins) of `probs`.
///
/// # Errors
///
/// As [`negative_log_likelihood`].
pub fn calibration_metrics(
    probs: &[f64],
    classes: usize,
    labels: &[usize],
) -> Result<CalibrationMetrics, TrainError> {
    let rows = Rows::new(probs, classes, labels)?;
    let correct = rows.predictions().iter().filter(|p| p.2).count();
    Ok(CalibrationMetrics {
        accuracy: correct as f64 / labels.len() as f64,
        nll: negative_log_likelihood(probs, classes, labels)?,
        ece: expected_calibration_error(probs, classes, labels, GUO_BINS)?,
        samples: labels.len(),
    })
}

fn check_bins(bins: usize) -> Result<(), TrainError> {
    if bins == 0 {
        return Err(TrainError::InvalidOption {
            field: "ece_bins",
            value: "0".into(),
            reason: "must be at least 1".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matrix of the reference script below, built the same way.
    fn fixture() -> (Vec<f64>, Vec<usize>) {
        let (n, c) = (40, 4);
        let mut probs = Vec::new();
        for i in 0..n {
            let logits: Vec<f64> = (0..c)
                .map(|k| 3.0 * (1.1 * i as f64 + 0.7 * (k * k) as f64 + 0.3).sin())
                .collect();
            let total: f64 = logits.iter().map(|l| l.exp()).sum();
            probs.extend(logits.iter().map(|l| l.exp() / total));
        }
        probs[20..24].copy_from_slice(&[1.0, 0.0, 0.0, 0.0]);
        probs[24..28].copy_from_slice(&[0.25; 4]);
        let row8: Vec<f64> = probs[32..36].to_vec();
        probs[28..32].copy_from_slice(&row8);
        let mut labels: Vec<usize> = (0..n).map(|i| (i * 7 + i / 3) % c).collect();
        labels[5] = 3;
        (probs, labels)
    }

    // Reference (numpy, ~/.cache/torch-venv/bin/python):
    //
    // import numpy as np
    // n, C = 40, 4
    // i = np.arange(n)[:, None]; k = np.arange(C)[None, :]
    // logits = 3.0 * np.sin(1.1 * i + 0.7 * k * k + 0.3)
    // probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    // probs[5] = [1.0, 0.0, 0.0, 0.0]          # confidence 1, label 3 gets p = 0 (floored)
    // probs[6] = [0.25, 0.25, 0.25, 0.25]      # a tie: arg-max is the first
    // probs[7] = probs[8]                      # repeated confidences
    // labels = (i[:, 0] * 7 + i[:, 0] // 3) % C
    // labels[5] = 3
    // nll = np.mean(-np.log(np.maximum(probs[np.arange(n), labels], 1e-12)))
    // # Guo et al. 2017 ECE as in gpleiss/temperature_scaling (_ECELoss), 15 bins
    // conf = probs.max(1); pred = probs.argmax(1); acc = pred == labels
    // edges = np.linspace(0, 1, 16); guo = 0.0
    // for lo, hi in zip(edges[:-1], edges[1:]):
    //     in_bin = (conf > lo) & (conf <= hi)
    //     if in_bin.mean() > 0:
    //         guo += abs(conf[in_bin].mean() - acc[in_bin].mean()) * in_bin.mean()
    // # the SWAG authors' save_calibration_curves.py calibration_curve, 20 bins
    // num_bins = 20
    // step = (conf.shape[0] + num_bins - 1) // num_bins
    // bins = np.sort(conf)[::step]
    // if conf.shape[0] % step != 1:
    //     bins = np.concatenate((bins, [np.max(conf)]))
    // authors = 0.0
    // for lo, hi in zip(bins[:-1], bins[1:]):
    //     in_bin = (conf > lo) * (conf < hi)
    //     p = in_bin.mean()
    //     if p > 0:
    //         authors += np.abs(conf[in_bin].mean() - acc[in_bin].mean()) * p
    // print(repr(acc.mean()), repr(nll), repr(guo), repr(authors))
    //
    // -> 0.425 2.033184459380953 0.26759093686537005 0.2269948802585193
    #[test]
    fn nll_and_ece_match_numpy_definitions() {
        let (probs, labels) = fixture();
        let m = calibration_metrics(&probs, 4, &labels).expect("valid");
        assert!((m.accuracy - 0.425).abs() < 1e-12, "{m:?}");
        assert!((m.nll - 2.033184459380953).abs() < 1e-9, "{m:?}");
        assert!((m.ece - 0.26759093686537005).abs() < 1e-9, "{m:?}");
        assert_eq!(m.samples, 40);
        let authors = expected_calibration_error_equal_mass(&probs, 4, &labels, 20).expect("ok");
        assert!((authors - 0.2269948802585193).abs() < 1e-9, "{authors}");
    }

    #[test]
    fn bad_shapes_are_refused() {
        let (probs, labels) = fixture();
        assert!(calibration_metrics(&probs[1..], 4, &labels).is_err());
        assert!(calibration_metrics(&probs, 4, &[]).is_err());
        assert!(calibration_metrics(&probs[..4], 4, &[4]).is_err());
        assert!(expected_calibration_error(&probs, 4, &labels, 0).is_err());
    }
}
