//! Epsilon-sharpness (Keskar et al. 2017, arXiv:1609.04836, metric 2.1): the largest loss in a
//! box around `theta`, relative to the loss there,
//! `100 * (max_{delta in box} L(theta + delta) - L(theta)) / (1 + L(theta))`.
//!
//! **The box.** Keskar et al. use `|delta_i| <= eps (|theta_i| + 1)`. Ours has a
//! filter-normalized size (Li et al. 2018): `|delta_i| <= eps * |theta_f| / sqrt(n_f)` for
//! the filter `f` holding coordinate `i` (`n_f` its size), so that the box's corners are
//! exactly the filter-normalized directions of length `eps` (each filter of a corner has norm
//! `eps * |theta_f|`), and a network whose layers are rescaled has the same sharpness. The
//! half-widths are [`normalize`](crate::direction::normalize()) of the all-ones vector under
//! [`Normalization::Filter`], times `eps`; biases and norm-layer parameters get zero width
//! ([`BiasBn::Ignore`], the default, as for scan directions) or `eps |theta_i|`
//! ([`BiasBn::Include`]); running statistics never move.
//!
//! **The maximization.** Keskar et al. run L-BFGS-B for 10 iterations. We run projected
//! sign-gradient ascent (as in adversarial training): from the centre and from `starts - 1`
//! seeded uniform points of the box, `steps` times `delta <- clip(delta + alpha * w *
//! sign(grad L(theta + delta)), -w, w)` with `w` the half-widths and `alpha` =
//! [`SharpnessOptions::step_fraction`]. The largest loss seen at any iterate is kept. This is
//! a lower bound of the true maximum (both methods are).

use burn::tensor::{Tensor, TensorData};
use descent_data::rng::{Rng, derive_seed};
use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::curvature::objective::Objective;
use crate::direction::{BiasBn, Normalization, normalize};
use crate::vector::ParamVector;

/// How epsilon-sharpness is measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SharpnessOptions {
    /// The box's size relative to the filter norms (Keskar et al. report 1e-3 and 5e-4).
    pub epsilon: f64,
    /// Biases and norm-layer parameters: fixed (ignore) or in the box (include).
    pub bias_bn: BiasBn,
    /// Ascent runs: the first from the centre, the others from seeded uniform points.
    pub starts: usize,
    /// Ascent steps per run.
    pub steps: usize,
    /// Each step's size as a share of the box's half-width.
    pub step_fraction: f64,
    /// Seed of the starting points.
    pub seed: u64,
}

impl Default for SharpnessOptions {
    fn default() -> Self {
        SharpnessOptions {
            epsilon: 1e-3,
            bias_bn: BiasBn::Ignore,
            starts: 3,
            steps: 10,
            step_fraction: 0.25,
            seed: 0,
        }
    }
}

impl SharpnessOptions {
    /// Checks the options.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] naming the first bad option.
    pub fn validate(&self) -> Result<(), LandscapeError> {
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return Err(LandscapeError::invalid(
                "sharpness_eps",
                self.epsilon,
                "must be a positive number",
            ));
        }
        if self.starts == 0 || self.steps == 0 {
            return Err(LandscapeError::invalid(
                "sharpness starts/steps",
                format!("{}/{}", self.starts, self.steps),
                "need at least one start and one step",
            ));
        }
        if !(self.step_fraction.is_finite() && self.step_fraction > 0.0) {
            return Err(LandscapeError::invalid(
                "sharpness step fraction",
                self.step_fraction,
                "must be a positive number",
            ));
        }
        Ok(())
    }
}

/// An epsilon-sharpness measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sharpness {
    /// `100 * (max_loss - loss) / (1 + loss)`.
    pub value: f64,
    /// The loss at the centre.
    pub loss: f64,
    /// The largest loss found in the box.
    pub max_loss: f64,
    /// The options used.
    pub options: SharpnessOptions,
    /// Gradients computed.
    pub gradients: usize,
}

/// The half-widths of the box: `eps * |theta_f| / sqrt(n_f)` per coordinate (see the module
/// docs).
pub fn box_half_widths(theta: &ParamVector, epsilon: f64, bias_bn: BiasBn) -> ParamVector {
    let ones = theta.map(|e| e.value.ones_like());
    normalize(&ones, theta, Normalization::Filter, bias_bn).scale(epsilon)
}

/// Epsilon-sharpness of `objective` at `theta` (see the module docs).
///
/// # Errors
///
/// Bad options; the objective's errors.
pub fn epsilon_sharpness<O: Objective>(
    objective: &mut O,
    theta: &ParamVector,
    options: &SharpnessOptions,
) -> Result<Sharpness, LandscapeError> {
    options.validate()?;
    let widths = box_half_widths(theta, options.epsilon, options.bias_bn);
    let lower = widths.scale(-1.0);
    let loss = objective.loss(theta)?;
    let mut max_loss = loss;
    let mut gradients = 0;
    for start in 0..options.starts {
        let mut delta = if start == 0 {
            widths.zeros_like()
        } else {
            uniform_in_box(&widths, derive_seed(options.seed, start as u64))
        };
        for _ in 0..options.steps {
            let (value, grad) = objective.gradient(&theta.axpy(1.0, &delta)?)?;
            gradients += 1;
            max_loss = max_loss.max(value);
            let step = grad.zip_map(&widths, |g, w| {
                (g.value.clone().sign() * w.value.clone()).mul_scalar(options.step_fraction)
            })?;
            delta = delta
                .axpy(1.0, &step)?
                .zip_map(&widths, |d, w| d.value.clone().min_pair(w.value.clone()))?
                .zip_map(&lower, |d, l| d.value.clone().max_pair(l.value.clone()))?;
        }
        max_loss = max_loss.max(objective.loss(&theta.axpy(1.0, &delta)?)?);
    }
    Ok(Sharpness {
        value: 100.0 * (max_loss - loss) / (1.0 + loss),
        loss,
        max_loss,
        options: *options,
        gradients,
    })
}

/// A point drawn uniformly from the box `[-w, w]` (entry `k` seeded with `(seed, k)`).
fn uniform_in_box(widths: &ParamVector, seed: u64) -> ParamVector {
    let mut k = 0u64;
    widths.map(|e| {
        k += 1;
        let n = e.info.numel();
        let mut rng = Rng::new(derive_seed(seed, k));
        let u: Vec<f32> = (0..n).map(|_| rng.uniform_in(-1.0, 1.0) as f32).collect();
        Tensor::<1>::from_data(TensorData::new(u, [n]), &e.value.device()) * e.value.clone()
    })
}
