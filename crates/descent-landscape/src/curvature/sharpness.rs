//! Sharpness: the largest loss in a box around `theta`, by three definitions, each named for
//! its source.
//!
//! | [`SharpnessDefinition`] | box `|delta_i| <= w_i` | reported value | source |
//! |---|---|---|---|
//! | `Keskar` | `w_i = eps (|theta_i| + 1)`, every trainable parameter | `100 (max L - L) / (1 + L)` | Keskar et al. 2017 (arXiv:1609.04836), metric 2.1 with `A = I` |
//! | `FilterNormalized` | `w_i = eps |theta_f| / sqrt(n_f)` for the filter `f` holding `i` | `100 (max L - L) / (1 + L)` | ours: Keskar's measure over Li et al.'s (2018) filter-normalized box |
//! | `Adaptive` | `w_i = eps (|theta_i| + eta)`, every trainable parameter | `max L - L` | ASAM, Kwon et al. 2021 (arXiv:2102.11600), adaptive sharpness with `p = infinity` |
//!
//! Only `Keskar` gives numbers comparable with Keskar et al.'s tables (which use
//! `eps = 1e-3` and `5e-4`). The filter-normalized box is about `sqrt(n_f)` times smaller per
//! coordinate for a filter of `n_f` weights (20x for a 3x3x48 kernel), and ignores biases and
//! norm-layer parameters unless [`BiasBn::Include`]; its corners are exactly the
//! filter-normalized directions of length `eps` (each filter of a corner has norm
//! `eps |theta_f|`), so a network whose layers are rescaled keeps its sharpness. ASAM's box is
//! Keskar's with `1` replaced by `eta` (Kwon et al. use `eta = 0.01`), and its sharpness is
//! the plain loss difference. Running statistics never move.
//!
//! **The maximization.** Keskar et al. run 10 iterations of L-BFGS-B. We run projected
//! sign-gradient ascent (as in adversarial training): from the centre and from `starts - 1`
//! seeded uniform points of the box, `steps` times `delta <- clip(delta + alpha * w *
//! sign(grad L(theta + delta)), -w, w)` with `alpha` = [`SharpnessOptions::step_fraction`].
//! The largest loss seen at any iterate is kept. This is a lower bound of the true maximum
//! (both methods are); for a loss convex in the box the maximum is at a corner, which the
//! ascent reaches.

use burn::tensor::{Tensor, TensorCreationOptions, TensorData};
use descent_data::rng::{Rng, derive_seed};
use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::curvature::objective::Objective;
use crate::direction::{BiasBn, Normalization, normalize};
use crate::kind::ParamKind;
use crate::vector::ParamVector;

/// Which box, and which scale (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SharpnessDefinition {
    /// Keskar et al. 2017, metric 2.1: `|delta_i| <= eps (|theta_i| + 1)`, percent scale.
    Keskar,
    /// Keskar's percent scale over a filter-normalized box (ours, after Li et al. 2018).
    FilterNormalized,
    /// ASAM's adaptive sharpness (Kwon et al. 2021): `|delta_i| <= eps (|theta_i| + eta)`,
    /// `max L - L`.
    Adaptive,
}

impl SharpnessDefinition {
    /// Every definition, in declaration order.
    pub const ALL: [SharpnessDefinition; 3] = [
        SharpnessDefinition::Keskar,
        SharpnessDefinition::FilterNormalized,
        SharpnessDefinition::Adaptive,
    ];

    /// Where the definition comes from and what its value means, for output.
    pub fn source(self) -> &'static str {
        match self {
            SharpnessDefinition::Keskar => {
                "Keskar et al. 2017 metric 2.1: 100 (max L - L) / (1 + L), |d_i| <= eps (|x_i| + 1)"
            }
            SharpnessDefinition::FilterNormalized => {
                "ours: 100 (max L - L) / (1 + L) over a filter-normalized box (Li et al. 2018); not comparable with Keskar's tables"
            }
            SharpnessDefinition::Adaptive => {
                "ASAM (Kwon et al. 2021): max L - L, |d_i| <= eps (|x_i| + eta)"
            }
        }
    }
}

impl std::fmt::Display for SharpnessDefinition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SharpnessDefinition::Keskar => "keskar",
            SharpnessDefinition::FilterNormalized => "filter-normalized",
            SharpnessDefinition::Adaptive => "adaptive",
        })
    }
}

impl std::str::FromStr for SharpnessDefinition {
    type Err = LandscapeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "keskar" => Ok(SharpnessDefinition::Keskar),
            "filter-normalized" | "filter" => Ok(SharpnessDefinition::FilterNormalized),
            "adaptive" | "asam" => Ok(SharpnessDefinition::Adaptive),
            _ => Err(LandscapeError::invalid(
                "sharpness",
                s,
                "expected keskar, filter-normalized or adaptive",
            )),
        }
    }
}

/// How sharpness is measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SharpnessOptions {
    /// Which box and scale.
    pub definition: SharpnessDefinition,
    /// The box's size (Keskar et al. report 1e-3 and 5e-4).
    pub epsilon: f64,
    /// ASAM's `eta` (adaptive definition only; Kwon et al. use 0.01).
    pub eta: f64,
    /// Biases and norm-layer parameters in the filter-normalized box: fixed (ignore) or in
    /// the box (include). The other definitions always include them.
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
            definition: SharpnessDefinition::Keskar,
            epsilon: 1e-3,
            eta: 0.01,
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
        if !(self.eta.is_finite() && self.eta >= 0.0) {
            return Err(LandscapeError::invalid(
                "asam_eta",
                self.eta,
                "must be a number, 0 or more",
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

/// A sharpness measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sharpness {
    /// The definition's value (see [`SharpnessDefinition`]).
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

/// The half-widths of the box of `options.definition` around `theta` (zero on running
/// statistics).
pub fn box_half_widths(theta: &ParamVector, options: &SharpnessOptions) -> ParamVector {
    let eps = options.epsilon;
    match options.definition {
        SharpnessDefinition::FilterNormalized => {
            let ones = theta.map(|e| e.value.ones_like());
            normalize(&ones, theta, Normalization::Filter, options.bias_bn).scale(eps)
        }
        SharpnessDefinition::Keskar | SharpnessDefinition::Adaptive => {
            let offset = if options.definition == SharpnessDefinition::Keskar {
                1.0
            } else {
                options.eta
            };
            theta.map(|e| {
                if e.info.kind == ParamKind::Buffer {
                    e.value.zeros_like()
                } else {
                    e.value.clone().abs().add_scalar(offset).mul_scalar(eps)
                }
            })
        }
    }
}

/// The sharpness of `objective` at `theta` (see the module docs).
///
/// # Errors
///
/// Bad options; the objective's errors.
pub fn sharpness<O: Objective>(
    objective: &mut O,
    theta: &ParamVector,
    options: &SharpnessOptions,
) -> Result<Sharpness, LandscapeError> {
    options.validate()?;
    let widths = box_half_widths(theta, options);
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
    let value = match options.definition {
        SharpnessDefinition::Keskar | SharpnessDefinition::FilterNormalized => {
            100.0 * (max_loss - loss) / (1.0 + loss)
        }
        SharpnessDefinition::Adaptive => max_loss - loss,
    };
    Ok(Sharpness {
        value,
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
        let u: Vec<f64> = (0..n).map(|_| rng.uniform_in(-1.0, 1.0)).collect();
        let options = TensorCreationOptions::new(e.value.device()).with_dtype(e.value.dtype());
        Tensor::<1>::from_data(TensorData::new(u, [n]), options) * e.value.clone()
    })
}
