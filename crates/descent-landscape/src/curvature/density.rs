//! The eigenvalue spectral density of a symmetric operator by stochastic Lanczos quadrature
//! (Ghorbani, Krishnan & Xiao 2019, arXiv:1901.10159; PyHessian's `density()`, Yao et al.
//! 2020, arXiv:1912.07145).
//!
//! The density `phi(t) = (1/n) sum_i delta(t - lambda_i)` is probed with unit vectors
//! `v = z / sqrt(n)` (`z` Rademacher): `v^T f(A) v = sum_i (v . u_i)^2 f(lambda_i)` has
//! expectation `(1/n) tr f(A) = integral f dphi`. `m` Lanczos steps from `v` (full
//! reorthogonalization, [`Lanczos`]) give the tridiagonal `T`; its eigenvalues `theta_k` (the
//! nodes) and the squared first components of its eigenvectors `tau_k` (the weights, which sum
//! to 1) are the `m`-point Gauss quadrature of that measure, exact for polynomials of degree
//! up to `2m - 1`. So `sum_k tau_k theta_k = v^T A v` and `sum_k tau_k theta_k^2 = |A v|^2`:
//! the density's mean and second moment are Hutchinson estimates of `tr(A) / n` and
//! `tr(A^2) / n`.
//!
//! The density drawn is the average over probes of the nodes smoothed by a Gaussian of
//! variance `sigma^2 = sigma_squared * max(1, theta_max - theta_min)` (PyHessian's
//! `density_generate`, `sigma_squared = 1e-5`), on a grid that extends `5 sigma + 0.01`
//! beyond the extreme nodes. Unlike PyHessian the density is not renormalized on the grid: it
//! integrates to 1 because the weights do (tested).

use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::curvature::flat::rademacher;
use crate::curvature::lanczos::Lanczos;
use crate::curvature::operator::SymmetricOperator;
use descent_data::rng::derive_seed;

/// How the spectral density is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DensityOptions {
    /// Lanczos steps per probe (nodes per probe), at most the dimension.
    pub steps: usize,
    /// Probe vectors (independent Lanczos runs).
    pub probes: usize,
    /// Seed of the probes (probe `i` seeded with `(seed, i)`).
    pub seed: u64,
    /// PyHessian's `sigma_squared`: the smoothing variance per unit of spectral width.
    pub sigma_squared: f64,
    /// Points of the grid the smoothed density is evaluated on.
    pub bins: usize,
}

impl Default for DensityOptions {
    fn default() -> Self {
        DensityOptions {
            steps: 100,
            probes: 4,
            seed: 0,
            sigma_squared: 1e-5,
            bins: 10_000,
        }
    }
}

impl DensityOptions {
    /// Checks the options.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] naming the first bad option.
    pub fn validate(&self) -> Result<(), LandscapeError> {
        if self.steps == 0 {
            return Err(LandscapeError::invalid(
                "lanczos_steps",
                0,
                "needs at least one step",
            ));
        }
        if self.probes == 0 {
            return Err(LandscapeError::invalid(
                "probes",
                0,
                "needs at least one probe",
            ));
        }
        if !(self.sigma_squared.is_finite() && self.sigma_squared > 0.0) {
            return Err(LandscapeError::invalid(
                "sigma_squared",
                self.sigma_squared,
                "must be a positive number",
            ));
        }
        if self.bins < 2 {
            return Err(LandscapeError::invalid(
                "bins",
                self.bins,
                "needs at least 2 grid points",
            ));
        }
        Ok(())
    }
}

/// A spectral density estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpectralDensity {
    /// The quadrature nodes of each probe (Ritz values, ascending).
    pub nodes: Vec<Vec<f64>>,
    /// The weights of each probe's nodes (summing to 1 per probe).
    pub weights: Vec<Vec<f64>>,
    /// The grid of the smoothed density.
    pub grid: Vec<f64>,
    /// The smoothed density on the grid (averaged over probes).
    pub density: Vec<f64>,
    /// The variance of the smoothing Gaussian.
    pub kernel_variance: f64,
    /// The operator's dimension `n`.
    pub dim: usize,
    /// Products used.
    pub products: usize,
    /// The options used.
    pub options: DensityOptions,
}

impl SpectralDensity {
    /// The `k`-th moment of the (unsmoothed) quadrature measure, averaged over probes: an
    /// estimate of `tr(A^k) / n`.
    pub fn moment(&self, k: i32) -> f64 {
        let per_probe: Vec<f64> = self
            .nodes
            .iter()
            .zip(&self.weights)
            .map(|(t, w)| t.iter().zip(w).map(|(x, p)| p * x.powi(k)).sum())
            .collect();
        per_probe.iter().sum::<f64>() / per_probe.len().max(1) as f64
    }

    /// The trapezoid integral of the smoothed density over its grid (1 up to the grid's
    /// resolution).
    pub fn integral(&self) -> f64 {
        self.grid
            .windows(2)
            .zip(self.density.windows(2))
            .map(|(x, y)| 0.5 * (x[1] - x[0]) * (y[0] + y[1]))
            .sum()
    }
}

/// The spectral density of `op` by stochastic Lanczos quadrature (see the module docs).
///
/// # Errors
///
/// Bad options; the operator's errors; memory for the Lanczos basis.
pub fn slq_density(
    op: &mut dyn SymmetricOperator,
    options: &DensityOptions,
) -> Result<SpectralDensity, LandscapeError> {
    options.validate()?;
    let n = op.dim();
    if n == 0 {
        return Err(LandscapeError::invalid(
            "operator",
            0,
            "has no trainable parameter",
        ));
    }
    let start = op.products();
    let steps = options.steps.min(n);
    let mut nodes = Vec::with_capacity(options.probes);
    let mut weights = Vec::with_capacity(options.probes);
    for probe in 0..options.probes {
        let seed = derive_seed(options.seed, probe as u64);
        let mut run = Lanczos::new(rademacher(n, seed), seed)?;
        for _ in 0..steps {
            run.step(op)?;
            // An invariant subspace: the quadrature is already exact.
            if run.last_beta() == 0.0 {
                break;
            }
        }
        let (theta, s) = run.ritz();
        let tau: Vec<f64> = (0..theta.len()).map(|k| s[(0, k)].powi(2)).collect();
        nodes.push(theta);
        weights.push(tau);
    }
    let (grid, density, kernel_variance) =
        smooth(&nodes, &weights, options.sigma_squared, options.bins);
    Ok(SpectralDensity {
        nodes,
        weights,
        grid,
        density,
        kernel_variance,
        dim: n,
        products: op.products() - start,
        options: *options,
    })
}

/// The nodes smoothed by a Gaussian (see the module docs): `(grid, density, variance)`.
pub fn smooth(
    nodes: &[Vec<f64>],
    weights: &[Vec<f64>],
    sigma_squared: f64,
    bins: usize,
) -> (Vec<f64>, Vec<f64>, f64) {
    let all = nodes.iter().flatten().copied();
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 0.0) };
    let variance = sigma_squared * (hi - lo).max(1.0);
    let sigma = variance.sqrt();
    let margin = 5.0 * sigma + 0.01;
    let (a, b) = (lo - margin, hi + margin);
    let grid: Vec<f64> = (0..bins)
        .map(|i| a + (b - a) * i as f64 / (bins - 1) as f64)
        .collect();
    let norm = 1.0 / (2.0 * std::f64::consts::PI * variance).sqrt();
    let probes = nodes.len().max(1) as f64;
    let density = grid
        .iter()
        .map(|&x| {
            nodes
                .iter()
                .zip(weights)
                .flat_map(|(t, w)| t.iter().zip(w))
                .map(|(&t, &w)| w * norm * (-(x - t).powi(2) / (2.0 * variance)).exp())
                .sum::<f64>()
                / probes
        })
        .collect();
    (grid, density, variance)
}
