//! Curves between minima (mode connectivity; Garipov et al. 2018, "Loss Surfaces, Mode
//! Connectivity, and Fast Ensembling of DNNs", arXiv:1802.10026; their code:
//! timgaripov/dnn-mode-connectivity, `curves.py`, `train.py`, `eval_curve.py`).
//!
//! Two trained models `A` (at `t = 0`) and `C` (at `t = 1`) are joined by a path `phi(t)`
//! with one trainable bend `B`:
//!
//! - [`CurveKind::Bezier`]: the quadratic Bezier curve
//!   `phi(t) = (1 - t)^2 A + 2 t (1 - t) B + t^2 C`;
//! - [`CurveKind::Chain`]: the polygonal chain `A -> B -> C`, `phi(t) = (1 - 2t) A + 2t B`
//!   for `t <= 1/2` and `(2 - 2t) B + (2t - 1) C` after (their `PolyChain` with three points).
//!
//! The bend starts at the midpoint `(A + C) / 2` (their `init_linear`) and is trained by
//! [`train::train_bend`]: each batch draws `t ~ U(0, 1)`, builds `phi(t)`, takes the gradient
//! `g` of the loss at `phi(t)` and steps `B` with the chain rule, `dL/dB = c_B(t) g`, where
//! `c_B(t)` is `B`'s coefficient above ([`CurveKind::coefficients`]). `A` and `C` stay fixed.
//! [`profile::evaluate_paths`] measures the loss along the curve and along the straight line
//! `(1 - t) A + t C` at evenly spaced `t` (61 points, as `eval_curve.py`), with batch-norm
//! statistics recomputed at every point (their issue #8), and [`barrier`] gives the loss
//! barrier of each path. [`job::run_curve_job`] does all of it for two checkpoints of
//! `descent train` (`descent landscape curve`).

pub mod file;
pub mod job;
pub mod plane_scan;
#[cfg(feature = "plot")]
pub mod plot;
pub mod profile;
pub mod progress;
pub mod train;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::vector::ParamVector;

/// The shape of the path through the bend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CurveKind {
    /// The quadratic Bezier curve `(1 - t)^2 A + 2 t (1 - t) B + t^2 C` (Garipov et al.'s
    /// `Bezier` with three points).
    #[default]
    Bezier,
    /// The polygonal chain `A -> B -> C`, each segment walked in half of `[0, 1]` (their
    /// `PolyChain` with three points).
    Chain,
}

impl CurveKind {
    /// The weights `[c_A, c_B, c_C]` of the three points at `t` (they sum to 1); `c_B` is
    /// also the derivative of `phi(t)` with respect to the bend, used by the chain rule.
    pub fn coefficients(self, t: f64) -> [f64; 3] {
        match self {
            CurveKind::Bezier => [(1.0 - t) * (1.0 - t), 2.0 * t * (1.0 - t), t * t],
            CurveKind::Chain => {
                // PolyChain: max(0, 1 - |2t - k|) for k = 0, 1, 2.
                let s = 2.0 * t;
                [
                    (1.0 - s.abs()).max(0.0),
                    (1.0 - (s - 1.0).abs()).max(0.0),
                    (1.0 - (s - 2.0).abs()).max(0.0),
                ]
            }
        }
    }
}

impl fmt::Display for CurveKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CurveKind::Bezier => "bezier",
            CurveKind::Chain => "chain",
        })
    }
}

impl FromStr for CurveKind {
    type Err = LandscapeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "bezier" => Ok(CurveKind::Bezier),
            "chain" => Ok(CurveKind::Chain),
            _ => Err(LandscapeError::invalid(
                "curve",
                s,
                "expected bezier or chain",
            )),
        }
    }
}

/// A path from `start` (`t = 0`) to `end` (`t = 1`) through one bend.
#[derive(Debug, Clone)]
pub struct Curve {
    /// Bezier or chain.
    pub kind: CurveKind,
    /// `A`, fixed.
    pub start: ParamVector,
    /// `B`, the trainable bend.
    pub bend: ParamVector,
    /// `C`, fixed.
    pub end: ParamVector,
}

impl Curve {
    /// The curve from `start` to `end` with its bend at their midpoint (Garipov et al.'s
    /// `init_linear`), running statistics included.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Mismatch`] if the two models have different layouts.
    pub fn new(
        kind: CurveKind,
        start: ParamVector,
        end: ParamVector,
    ) -> Result<Curve, LandscapeError> {
        let bend = start.zip_map(&end, |a, c| {
            (a.value.clone() + c.value.clone()).mul_scalar(0.5)
        })?;
        Ok(Curve {
            kind,
            start,
            bend,
            end,
        })
    }

    /// `phi(t)` (running statistics follow the same combination).
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Mismatch`] if the three points' layouts differ.
    pub fn point(&self, t: f64) -> Result<ParamVector, LandscapeError> {
        let [ca, cb, cc] = self.kind.coefficients(t);
        self.start
            .scale(ca)
            .axpy(cb, &self.bend)?
            .axpy(cc, &self.end)
    }

    /// The straight line's point `(1 - t) A + t C`.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Mismatch`] if the layouts differ.
    pub fn line_point(&self, t: f64) -> Result<ParamVector, LandscapeError> {
        self.start.scale(1.0 - t).axpy(t, &self.end)
    }
}

/// `points` values of `t` evenly spaced over `[0, 1]` (both ends included), as
/// `numpy.linspace(0, 1, points)`.
///
/// # Errors
///
/// [`LandscapeError::InvalidOption`] for fewer than 2 points.
pub fn curve_ts(points: usize) -> Result<Vec<f64>, LandscapeError> {
    if points < 2 {
        return Err(LandscapeError::invalid(
            "points",
            points,
            "a path needs at least 2 points (its two ends)",
        ));
    }
    let last = (points - 1) as f64;
    Ok((0..points).map(|i| i as f64 / last).collect())
}

/// The loss barrier of a path: `max_t L(phi(t)) - (L(phi(0)) + L(phi(1))) / 2`, the height
/// of the path's highest point over the mean of its two ends (the definition of issue 25;
/// Garipov et al. report the loss along the path, and later work, e.g. Frankle et al. 2020,
/// uses this difference). `losses` are the values at evenly spaced `t` from 0 to 1; `None`
/// when fewer than 2 values are given or one is not finite.
pub fn barrier(losses: &[f64]) -> Option<f64> {
    let (first, last) = (losses.first()?, losses.last()?);
    if losses.len() < 2 || losses.iter().any(|l| !l.is_finite()) {
        return None;
    }
    let max = losses.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(max - 0.5 * (first + last))
}
