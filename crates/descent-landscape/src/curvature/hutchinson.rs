//! The trace of a symmetric operator by Hutchinson's estimator, deflated by known
//! eigenvectors and stopped on its relative standard error.
//!
//! **Hutchinson** (1990): `tr(A) = E[z^T A z]` for Rademacher `z` (independent +-1 entries);
//! one draw has variance `2 (|A|_F^2 - sum_i A_ii^2)`, large when `A` has a few large
//! eigenvalues, as Hessians do.
//!
//! **Deflation** (the idea of Hutch++, Meyer, Musco, Musco & Woodruff 2021, arXiv:2010.09649,
//! with the eigenvectors already found by [`eigen`](super::eigen) as the sketch instead of a
//! random one): for orthonormal `Q` (here the top and bottom eigenvectors, orthonormalized) and
//! `P = I - Q Q^T`, `tr(A) = tr(Q^T A Q) + tr(P A P)`. The first term is computed exactly
//! (one product per vector); Hutchinson estimates the second, whose variance no longer holds
//! the deflated eigenvalues. The estimate stays unbiased: `Q` does not depend on the draws.
//!
//! **Stopping**: draws continue until the standard error of the mean (the sample standard
//! deviation over `sqrt(draws)`) is at most `rtol * |estimate|`, with at least `min_draws` and
//! at most `max_draws` draws; the estimate reports whether it stopped on the tolerance.
//! Draw `i` is seeded with `(seed, i)`.

use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::curvature::flat::{axpy, dot, norm, rademacher, scale};
use crate::curvature::operator::SymmetricOperator;
use descent_data::rng::derive_seed;

/// How the trace is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TraceOptions {
    /// Stop when the standard error is at most this share of the estimate.
    pub rtol: f64,
    /// At least this many draws (2 or more, for a standard error).
    pub min_draws: usize,
    /// At most this many draws.
    pub max_draws: usize,
    /// Seed of the draws.
    pub seed: u64,
    /// Deflate the eigenvectors found before estimating (see the module docs).
    pub deflate: bool,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            rtol: 1e-2,
            min_draws: 10,
            max_draws: 200,
            seed: 0,
            deflate: true,
        }
    }
}

impl TraceOptions {
    /// Checks the options.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] naming the first bad option.
    pub fn validate(&self) -> Result<(), LandscapeError> {
        if !(self.rtol.is_finite() && self.rtol > 0.0) {
            return Err(LandscapeError::invalid(
                "trace_rtol",
                self.rtol,
                "must be a positive number",
            ));
        }
        if self.min_draws < 2 || self.max_draws < self.min_draws {
            return Err(LandscapeError::invalid(
                "trace draws",
                format!("{}..{}", self.min_draws, self.max_draws),
                "need at least 2 draws (for a standard error) and max >= min",
            ));
        }
        Ok(())
    }
}

/// An estimate of a trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceEstimate {
    /// The estimate: the deflated part plus the mean of the draws.
    pub mean: f64,
    /// The standard error of the estimate (of the draws' mean).
    pub std_error: f64,
    /// Each draw's `z^T P A P z`, in order.
    pub draws: Vec<f64>,
    /// `tr(Q^T A Q)`, computed exactly (0 without deflation).
    pub deflated: f64,
    /// The number of deflated vectors.
    pub deflation_rank: usize,
    /// Whether the standard error met `rtol * |mean|`.
    pub converged: bool,
    /// The options used.
    pub options: TraceOptions,
}

/// The trace of `op`, deflating the (unit, nearly orthogonal) vectors `deflate` when
/// `options.deflate` is set.
///
/// # Errors
///
/// Bad options; the operator's errors.
pub fn hutchinson_trace(
    op: &mut dyn SymmetricOperator,
    deflate: &[&[f64]],
    options: &TraceOptions,
) -> Result<TraceEstimate, LandscapeError> {
    options.validate()?;
    let n = op.dim();
    let q = if options.deflate {
        orthonormalize(deflate, n)
    } else {
        Vec::new()
    };
    let mut deflated = 0.0;
    for v in &q {
        let av = op.apply(v)?;
        deflated += dot(v, &av);
    }
    let project = |z: &mut Vec<f64>| {
        for v in &q {
            let c = dot(v, z);
            axpy(z, -c, v);
        }
    };
    let mut draws = Vec::new();
    let mut converged = false;
    let mut mean = deflated;
    let mut std_error = f64::INFINITY;
    for i in 0..options.max_draws {
        let mut z = rademacher(n, derive_seed(options.seed, i as u64));
        project(&mut z);
        let az = op.apply(&z)?;
        // z^T P A P z = (P z)^T A (P z).
        draws.push(dot(&z, &az));
        if draws.len() >= 2 {
            let m = draws.len() as f64;
            let avg = draws.iter().sum::<f64>() / m;
            let var = draws.iter().map(|x| (x - avg).powi(2)).sum::<f64>() / (m - 1.0);
            mean = deflated + avg;
            std_error = (var / m).sqrt();
            if draws.len() >= options.min_draws && std_error <= options.rtol * mean.abs() {
                converged = true;
                break;
            }
        }
    }
    Ok(TraceEstimate {
        mean,
        std_error,
        draws,
        deflated,
        deflation_rank: q.len(),
        converged,
        options: *options,
    })
}

/// An orthonormal basis of the span of `vectors` (Gram-Schmidt twice; near-dependent ones
/// dropped).
fn orthonormalize(vectors: &[&[f64]], n: usize) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::with_capacity(vectors.len());
    for v in vectors.iter().filter(|v| v.len() == n) {
        let mut w = v.to_vec();
        let before = norm(&w);
        for _ in 0..2 {
            for q in &out {
                let c = dot(q, &w);
                axpy(&mut w, -c, q);
            }
        }
        let after = norm(&w);
        if after > 1e-6 * before && after > 0.0 {
            scale(&mut w, 1.0 / after);
            out.push(w);
        }
    }
    out
}
