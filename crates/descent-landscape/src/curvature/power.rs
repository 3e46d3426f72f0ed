//! Eigenvalues of a symmetric operator by power iteration.
//!
//! - [`power_iteration`]: the eigenvalue of largest magnitude of `A - shift I`, restricted to
//!   the complement of already found eigenvectors (deflation), from a seeded Gaussian start.
//! - [`top_eigenvalues`]: the `k` eigenvalues of largest magnitude, one after another, each
//!   power iteration deflating the ones before (as PyHessian does).
//! - [`extreme_eigenvalues`]: the largest and the most negative eigenvalue. Power iteration on
//!   `A` gives the eigenvalue of largest magnitude `d`; power iteration on the **shifted**
//!   operator `A - d I` (whose spectrum `lambda_i - d` has one sign) then gives the other end
//!   of the spectrum. If `d >= 0` it is `lambda_max` and the shift yields `lambda_min`; if
//!   `d < 0` the roles swap. No deflation is involved in this pair.
//!
//! Convergence: the Rayleigh quotient changes by at most `tol * |lambda|` between two
//! iterations, or `max_iterations` is reached (reported as not converged).

use crate::LandscapeError;
use crate::curvature::hvp::{LinearOperator, trainable};
use crate::direction::gaussian_like;
use crate::vector::ParamVector;
use descent_data::rng::derive_seed;

/// How power iteration runs.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PowerOptions {
    /// At most this many products per eigenvalue.
    pub max_iterations: usize,
    /// Relative change of the Rayleigh quotient under which it stops.
    pub tol: f64,
    /// Seed of the start vectors (eigenvalue `i` starts from a Gaussian seeded with
    /// `(seed, i)`).
    pub seed: u64,
}

impl Default for PowerOptions {
    fn default() -> Self {
        PowerOptions {
            max_iterations: 100,
            tol: 1e-3,
            seed: 0,
        }
    }
}

impl PowerOptions {
    /// Checks the options.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] for zero iterations or a tolerance that is not a
    /// positive number.
    pub fn validate(&self) -> Result<(), LandscapeError> {
        if self.max_iterations == 0 {
            return Err(LandscapeError::invalid(
                "iterations",
                0,
                "power iteration needs at least one iteration",
            ));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(LandscapeError::invalid(
                "tol",
                self.tol,
                "must be a positive number",
            ));
        }
        Ok(())
    }
}

/// An eigenvalue estimate and its vector.
#[derive(Debug, Clone)]
pub struct Eigenpair {
    /// The eigenvalue (of the unshifted operator).
    pub value: f64,
    /// A unit eigenvector.
    pub vector: ParamVector,
    /// Products used.
    pub iterations: usize,
    /// Whether the tolerance was met.
    pub converged: bool,
}

/// Power iteration on `op - shift I`, orthogonal to the vectors of `deflate`, from a Gaussian
/// start seeded with `seed`. Returns the eigenvalue of `op` (the shift added back).
///
/// # Errors
///
/// Bad options; the operator's errors.
pub fn power_iteration(
    op: &mut dyn LinearOperator,
    shift: f64,
    deflate: &[Eigenpair],
    options: &PowerOptions,
    seed: u64,
) -> Result<Eigenpair, LandscapeError> {
    options.validate()?;
    let mut v = project_out(&trainable(&gaussian_like(op.template(), seed)), deflate)?;
    let norm = v.norm();
    if norm == 0.0 {
        return Err(LandscapeError::invalid(
            "operator",
            "",
            "has no trainable parameter (or every direction is deflated)",
        ));
    }
    v = v.scale(1.0 / norm);
    let mut lambda = f64::NAN;
    for iteration in 1..=options.max_iterations {
        let mut w = op.apply(&v)?;
        if shift != 0.0 {
            w = w.axpy(-shift, &v)?;
        }
        w = project_out(&w, deflate)?;
        let next = v.dot(&w)?;
        let w_norm = w.norm();
        let converged = (next - lambda).abs() <= options.tol * next.abs().max(f64::MIN_POSITIVE)
            || w_norm == 0.0;
        lambda = next;
        if w_norm > 0.0 {
            v = w.scale(1.0 / w_norm);
        }
        if converged || iteration == options.max_iterations {
            return Ok(Eigenpair {
                value: lambda + shift,
                vector: v,
                iterations: iteration,
                converged,
            });
        }
    }
    unreachable!("the loop returns at its last iteration")
}

/// `v` minus its components along the (unit) vectors of `pairs`.
fn project_out(v: &ParamVector, pairs: &[Eigenpair]) -> Result<ParamVector, LandscapeError> {
    let mut out = v.clone();
    for p in pairs {
        let c = out.dot(&p.vector)?;
        out = out.axpy(-c, &p.vector)?;
    }
    Ok(out)
}

/// The `k` eigenvalues of largest magnitude by deflated power iteration, in the order found
/// (decreasing magnitude when each converged).
///
/// # Errors
///
/// Bad options, `k = 0`; the operator's errors.
pub fn top_eigenvalues(
    op: &mut dyn LinearOperator,
    k: usize,
    options: &PowerOptions,
) -> Result<Vec<Eigenpair>, LandscapeError> {
    if k == 0 {
        return Err(LandscapeError::invalid(
            "top_k",
            0,
            "ask for at least one eigenvalue",
        ));
    }
    let mut found: Vec<Eigenpair> = Vec::with_capacity(k);
    for i in 0..k {
        let pair = power_iteration(
            op,
            0.0,
            &found,
            options,
            derive_seed(options.seed, i as u64),
        )?;
        found.push(pair);
    }
    Ok(found)
}

/// The largest and the smallest (most negative) eigenvalue, `(max, min)`, from the eigenpair
/// of largest magnitude `dominant` (e.g. the first of [`top_eigenvalues`]) and one power
/// iteration on the shifted operator (see the module docs).
///
/// # Errors
///
/// Bad options; the operator's errors.
pub fn extreme_eigenvalues(
    op: &mut dyn LinearOperator,
    dominant: &Eigenpair,
    options: &PowerOptions,
) -> Result<(Eigenpair, Eigenpair), LandscapeError> {
    let other = power_iteration(
        op,
        dominant.value,
        &[],
        options,
        derive_seed(options.seed, u64::MAX),
    )?;
    Ok(if dominant.value >= 0.0 {
        (dominant.clone(), other)
    } else {
        (other, dominant.clone())
    })
}
