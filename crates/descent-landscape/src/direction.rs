//! Random directions in parameter space and their normalization (Li et al. 2018, sec. 4).

use std::fmt;
use std::str::FromStr;

use burn::tensor::{Tensor, TensorData};
use descent_data::rng::{Rng, derive_seed};
use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::kind::ParamKind;
use crate::vector::{ParamEntry, ParamVector};

/// Added to a direction's norm before dividing by it, as the paper's code does.
pub const NORM_EPSILON: f64 = 1e-10;

/// How a random direction is scaled to the weights it perturbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Normalization {
    /// Each filter (conv output channel: a dim-0 slice; linear output neuron: a column of
    /// Burn's `[d_input, d_output]` weight; each element of a 1-D tensor) gets the norm of the
    /// same filter of the weights. The paper's choice.
    #[default]
    Filter,
    /// Each tensor gets the norm of the same tensor of the weights.
    Layer,
    /// The whole direction gets the norm of the whole weight vector (over the entries the
    /// direction does not zero).
    Model,
    /// The raw Gaussian draw.
    None,
    /// The whole direction scaled to unit Euclidean norm over the entries it perturbs, so
    /// that the point at coordinate `t` lies at Euclidean distance `|t|` from the weights:
    /// the random rays `w + t d`, `d` uniform on the unit sphere, along which Izmailov et al.
    /// (2018, "Solution width") compare the widths of SWA's and SGD's solutions (with
    /// [`BiasBn::Include`], the sphere of all trainable parameters; buffers are never moved).
    Unit,
}

impl fmt::Display for Normalization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Normalization::Filter => "filter",
            Normalization::Layer => "layer",
            Normalization::Model => "model",
            Normalization::None => "none",
            Normalization::Unit => "unit",
        })
    }
}

impl FromStr for Normalization {
    type Err = LandscapeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "filter" => Ok(Normalization::Filter),
            "layer" => Ok(Normalization::Layer),
            "model" => Ok(Normalization::Model),
            "none" => Ok(Normalization::None),
            "unit" => Ok(Normalization::Unit),
            _ => Err(LandscapeError::invalid(
                "normalization",
                s,
                "expected filter, layer, model, none or unit",
            )),
        }
    }
}

/// What a random direction does with biases and normalization-layer scales/shifts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BiasBn {
    /// Zero them (the paper's `--ignore biasbn`).
    #[default]
    Ignore,
    /// Perturb them like weights, normalized the same way (under filter normalization each
    /// element is its own filter, so its entry becomes `|w_i| * sign(d_i)`; the paper's code
    /// copies `w` instead, which differs only in sign).
    Include,
}

impl fmt::Display for BiasBn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BiasBn::Ignore => "ignore",
            BiasBn::Include => "include",
        })
    }
}

impl FromStr for BiasBn {
    type Err = LandscapeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ignore" => Ok(BiasBn::Ignore),
            "include" => Ok(BiasBn::Include),
            _ => Err(LandscapeError::invalid(
                "bias/bn policy",
                s,
                "expected ignore or include",
            )),
        }
    }
}

/// How to draw the random directions of a scan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DirectionConfig {
    /// The seed; direction `i`'s tensor at path `p` is drawn from a generator seeded with
    /// `(seed, i, p)`, so it does not depend on the device, the backend or the other tensors.
    pub seed: u64,
    /// How each direction is scaled.
    pub normalization: Normalization,
    /// Biases and norm-layer parameters: zeroed or included.
    pub bias_bn: BiasBn,
    /// Make the second direction orthogonal to the first (Gram-Schmidt, after normalization:
    /// the second direction then no longer has exactly the normalized filter norms).
    pub orthogonalize: bool,
}

impl Default for DirectionConfig {
    fn default() -> Self {
        DirectionConfig {
            seed: 0,
            normalization: Normalization::Filter,
            bias_bn: BiasBn::Ignore,
            orthogonalize: false,
        }
    }
}

impl DirectionConfig {
    /// Draws `count` (1 or 2) normalized directions around the weights `theta`, and the
    /// cosine between the first two (`None` for one direction).
    pub fn directions(&self, theta: &ParamVector, count: usize) -> (Vec<ParamVector>, Option<f64>) {
        let mut dirs: Vec<ParamVector> = (0..count)
            .map(|i| {
                let raw = gaussian_like(theta, derive_seed(self.seed, i as u64));
                normalize(&raw, theta, self.normalization, self.bias_bn)
            })
            .collect();
        if self.orthogonalize && dirs.len() >= 2 {
            let e = orthogonalize(&dirs[1], &dirs[0]);
            dirs[1] = e;
        }
        let cosine = (dirs.len() >= 2).then(|| dirs[0].cosine(&dirs[1]).unwrap_or(0.0));
        (dirs, cosine)
    }
}

/// A standard Gaussian vector with `like`'s layout, on its device; buffers get zeros. Entry
/// `p`'s values come from a generator seeded with `(seed, hash(p))`.
pub fn gaussian_like(like: &ParamVector, seed: u64) -> ParamVector {
    like.map(|e| {
        let n = e.info.numel();
        let device = e.value.device();
        if e.info.kind == ParamKind::Buffer {
            return Tensor::zeros([n], &device);
        }
        let mut rng = Rng::new(derive_seed(seed, path_hash(&e.info.path)));
        let values: Vec<f32> = (0..n).map(|_| rng.normal() as f32).collect();
        Tensor::from_data(TensorData::new(values, [n]), &device)
    })
}

/// FNV-1a of a path: a stable stream number per parameter.
fn path_hash(path: &str) -> u64 {
    path.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Normalizes `direction` to the weights `theta` (same layout) and zeroes what the policy
/// leaves out: buffers always, biases and norm parameters under [`BiasBn::Ignore`].
///
/// # Panics
///
/// Never for vectors of one layout; for other layouts the entries are paired by position.
pub fn normalize(
    direction: &ParamVector,
    theta: &ParamVector,
    normalization: Normalization,
    bias_bn: BiasBn,
) -> ParamVector {
    let zeroed = |e: &ParamEntry| {
        e.info.kind == ParamKind::Buffer
            || (bias_bn == BiasBn::Ignore && e.info.kind.is_bias_or_norm())
    };
    let mut out = direction.clone();
    for (d, w) in out.entries_mut().iter_mut().zip(theta.entries()) {
        if zeroed(d) {
            d.value = d.value.zeros_like();
            continue;
        }
        d.value = match normalization {
            Normalization::Filter => filter_normalize(d, &w.value),
            Normalization::Layer => {
                let wn = w.value.clone().powi_scalar(2).sum().sqrt();
                let dn = d
                    .value
                    .clone()
                    .powi_scalar(2)
                    .sum()
                    .sqrt()
                    .add_scalar(NORM_EPSILON);
                d.value.clone() * (wn / dn)
            }
            Normalization::Model | Normalization::None | Normalization::Unit => d.value.clone(),
        };
    }
    if normalization == Normalization::Model {
        let kept: f64 = theta
            .entries()
            .iter()
            .zip(out.entries())
            .filter(|(_, d)| !zeroed(d))
            .map(|(w, _)| w.value.clone().powi_scalar(2).sum().into_scalar::<f64>())
            .sum();
        let dn = out.norm();
        out = out.scale(kept.sqrt() / (dn + NORM_EPSILON));
    }
    if normalization == Normalization::Unit {
        let dn = out.norm();
        out = out.scale(1.0 / (dn + NORM_EPSILON));
    }
    out
}

/// Scales each filter of `d` to the norm of the same filter of `w`.
fn filter_normalize(d: &ParamEntry, w: &Tensor<1>) -> Tensor<1> {
    let (matrix, reduce) = d.info.filter_matrix();
    let n = d.info.numel();
    let dm: Tensor<2> = d.value.clone().reshape(matrix);
    let wm: Tensor<2> = w.clone().reshape(matrix);
    let dn = dm
        .clone()
        .powi_scalar(2)
        .sum_dim(reduce)
        .sqrt()
        .add_scalar(NORM_EPSILON);
    let wn = wm.powi_scalar(2).sum_dim(reduce).sqrt();
    (dm * (wn / dn)).reshape([n])
}

/// `e - (e.d / d.d) d`: `e` made orthogonal to `d` (returned unchanged if `d` is zero).
pub fn orthogonalize(e: &ParamVector, d: &ParamVector) -> ParamVector {
    let dd = d.dot(d).unwrap_or(0.0);
    if dd == 0.0 {
        return e.clone();
    }
    let ed = e.dot(d).unwrap_or(0.0);
    e.axpy(-ed / dd, d).unwrap_or_else(|_| e.clone())
}

/// A target direction `to - from` (all tensors, running statistics included, so that moving
/// by 1 from `from` lands exactly on `to`).
///
/// # Errors
///
/// [`LandscapeError::Mismatch`] if the two models have different architectures.
pub fn target_direction(
    from: &ParamVector,
    to: &ParamVector,
) -> Result<ParamVector, LandscapeError> {
    from.check_layout(to, "the first model", "the second model")?;
    to.sub(from)
}

#[cfg(test)]
mod tests;
