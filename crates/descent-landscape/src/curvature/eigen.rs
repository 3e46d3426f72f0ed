//! The ends of a symmetric operator's spectrum: the `top_k` largest and the `bottom_k`
//! smallest eigenvalues with their vectors, by [`lanczos`](super::lanczos) (the default) or
//! [`power`](super::power) iteration.
//!
//! **Convergence is a residual test.** An eigenpair `(lambda, v)` (`|v| = 1`) is reported as
//! converged when `|A v - lambda v| <= tol * |A|`, with `|A|` estimated by the largest
//! `|lambda|` found (`max(|lambda_max|, |lambda_min|)`, the operator's 2-norm) and the residual
//! measured with one more product `A v` at the end, never taken from the iteration's own
//! bookkeeping. For a symmetric operator the residual bounds the error: some eigenvalue lies
//! within `|A v - lambda v|` of `lambda`, and within `|A v - lambda v|^2 / gap` when the
//! nearest other eigenvalue is `gap` away.

use serde::{Deserialize, Serialize};

use crate::LandscapeError;

/// How the ends of the spectrum are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EigenMethod {
    /// Lanczos with full reorthogonalization: both ends from one Krylov space.
    #[default]
    Lanczos,
    /// Power iteration with deflation and shifts: one eigenvalue at a time (PyHessian's
    /// method, with a residual stopping rule).
    Power,
}

impl std::fmt::Display for EigenMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EigenMethod::Lanczos => "lanczos",
            EigenMethod::Power => "power",
        })
    }
}

impl std::str::FromStr for EigenMethod {
    type Err = LandscapeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "lanczos" => Ok(EigenMethod::Lanczos),
            "power" => Ok(EigenMethod::Power),
            _ => Err(LandscapeError::invalid(
                "eigen method",
                s,
                "expected lanczos or power",
            )),
        }
    }
}

/// How the eigenvalues are computed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EigenOptions {
    /// Lanczos or power iteration.
    pub method: EigenMethod,
    /// Lanczos: at most this many steps (Krylov dimension, one product each). Power
    /// iteration: at most this many products per eigenvalue.
    pub max_iterations: usize,
    /// The residual tolerance relative to `|A|` (see the module docs).
    pub tol: f64,
    /// Seed of the start vectors.
    pub seed: u64,
    /// Lanczos only: a second run on the operator deflated by the first run's eigenvectors,
    /// to find a second copy of repeated eigenvalues (see [`lanczos`](super::lanczos)).
    #[serde(default)]
    pub second_pass: bool,
}

impl Default for EigenOptions {
    fn default() -> Self {
        EigenOptions {
            method: EigenMethod::Lanczos,
            max_iterations: 100,
            tol: 1e-3,
            seed: 0,
            second_pass: false,
        }
    }
}

impl EigenOptions {
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
                "needs at least one iteration",
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

/// An eigenvalue estimate, its unit vector and its residual.
#[derive(Debug, Clone, PartialEq)]
pub struct Eigenpair {
    /// The eigenvalue.
    pub value: f64,
    /// A unit eigenvector (flat, trainable entries).
    pub vector: Vec<f64>,
    /// `|A v - value v|`, measured with one more product.
    pub residual: f64,
    /// Whether the residual test passed (`residual <= tol * |A|`).
    pub converged: bool,
    /// Products spent on this eigenvalue (power iteration), or the Lanczos steps shared by
    /// all eigenvalues of one run.
    pub iterations: usize,
}

/// The ends of a spectrum.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtremeEigen {
    /// The largest eigenvalues, largest first.
    pub largest: Vec<Eigenpair>,
    /// The smallest (most negative) eigenvalues, smallest first.
    pub smallest: Vec<Eigenpair>,
    /// The estimate of `|A|` the tolerance is relative to.
    pub norm: f64,
    /// The options used.
    pub options: EigenOptions,
    /// Products used in all (including the residual checks).
    pub products: usize,
}

impl ExtremeEigen {
    /// Whether every reported eigenpair passed the residual test.
    pub fn converged(&self) -> bool {
        self.largest
            .iter()
            .chain(&self.smallest)
            .all(|p| p.converged)
    }
}

/// `|A v - lambda v|` for a unit `v` and its product `av`.
pub(crate) fn residual(av: &[f64], lambda: f64, v: &[f64]) -> f64 {
    av.iter()
        .zip(v)
        .map(|(a, x)| (a - lambda * x).powi(2))
        .sum::<f64>()
        .sqrt()
}
