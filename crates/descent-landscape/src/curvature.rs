//! Curvature and sharpness of a loss at a point of parameter space.
//!
//! - [`Objective`] / [`ModuleObjective`]: a loss as a function of a [`ParamVector`], with its
//!   gradient from Burn's autodiff, for any module in eval mode over fixed data
//!   ([`classifier_objective`]: the mean cross-entropy the scans report).
//! - [`Hessian`]: Hessian-vector products by central differences of gradients
//!   (Burn's autodiff is first order), over the trainable entries (never running statistics).
//! - [`power`]: the eigenvalues of largest magnitude by deflated power iteration, and the
//!   largest and most negative eigenvalues (power iteration on a shifted operator).
//! - [`hutchinson`]: the trace by Hutchinson's estimator with its standard error.
//! - [`sharpness`]: epsilon-sharpness (Keskar et al. 2017) over a filter-normalized box.
//! - [`analyze`] runs them all; [`job::run_curvature_job`] does it for a checkpoint written by
//!   `descent train` and saves a [`CurvatureFile`].
//!
//! ```
//! use burn::module::{Module, Param};
//! use burn::tensor::{Device, Tensor, TensorData};
//! use descent_landscape::curvature::{CurvatureOptions, ModuleObjective, analyze};
//! use descent_landscape::ParamVector;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // L(x) = x0^2 + 3 x1^2 (Hessian diag(2, 6)) as a module with one parameter.
//! #[derive(Module, Debug)]
//! struct Point {
//!     x: Param<Tensor<1>>,
//! }
//! let device = Device::flex();
//! let point = Point { x: Param::from_tensor(Tensor::from_data(TensorData::from([1.0f32, -1.0]), &device)) };
//! let scale = Tensor::<1>::from_data(TensorData::from([1.0f32, 3.0]), &descent_landscape::curvature::autodiff_device(&device));
//! let mut objective = ModuleObjective::new(point, &device, 1, move |p: &Point, _| {
//!     (p.x.val().powi_scalar(2) * scale.clone()).sum()
//! })?;
//! let theta = objective.params();
//! let report = analyze(&mut objective, &theta, &CurvatureOptions { top_k: 2, ..Default::default() })?;
//! assert!((report.lambda_max.value - 6.0).abs() < 1e-2);
//! assert!((report.lambda_min.value - 2.0).abs() < 1e-2);
//! assert!((report.trace.mean - 8.0).abs() < 1e-2);
//! # Ok(())
//! # }
//! ```

pub mod file;
pub mod hutchinson;
pub mod hvp;
pub mod job;
pub mod map;
pub mod objective;
pub mod power;
pub mod sharpness;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use file::CurvatureFile;
pub use hutchinson::{TraceEstimate, hutchinson_trace};
pub use hvp::{DEFAULT_FD_STEP, Hessian, LinearOperator};
pub use objective::{ModuleObjective, Objective, autodiff_device, classifier_objective};
pub use power::{Eigenpair, PowerOptions, extreme_eigenvalues, top_eigenvalues};
pub use sharpness::{Sharpness, SharpnessOptions, epsilon_sharpness};

use crate::LandscapeError;
use crate::kind::ParamKind;
use crate::vector::ParamVector;

/// What [`analyze`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvatureOptions {
    /// How many eigenvalues of largest magnitude (deflation), at least 1.
    pub top_k: usize,
    /// Power iteration (iterations, tolerance, seed).
    pub power: PowerOptions,
    /// Rademacher draws for the trace, at least 1 (2 or more for a standard error).
    pub hutchinson_samples: usize,
    /// Seed of the Rademacher draws.
    pub hutchinson_seed: u64,
    /// Epsilon-sharpness, if wanted.
    pub sharpness: Option<SharpnessOptions>,
    /// Finite-difference step of the Hessian-vector products.
    pub fd_step: f64,
}

impl Default for CurvatureOptions {
    fn default() -> Self {
        CurvatureOptions {
            top_k: 1,
            power: PowerOptions::default(),
            hutchinson_samples: 20,
            hutchinson_seed: 0,
            sharpness: None,
            fd_step: DEFAULT_FD_STEP,
        }
    }
}

/// One eigenvalue estimate, without its vector.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EigenSummary {
    /// The eigenvalue.
    pub value: f64,
    /// Hessian-vector products used.
    pub iterations: usize,
    /// Whether power iteration met its tolerance.
    pub converged: bool,
}

impl From<&Eigenpair> for EigenSummary {
    fn from(p: &Eigenpair) -> Self {
        EigenSummary {
            value: p.value,
            iterations: p.iterations,
            converged: p.converged,
        }
    }
}

/// The curvature figures at one point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvatureReport {
    /// The loss at the point.
    pub loss: f64,
    /// The gradient's norm there (a minimum has a small one).
    pub gradient_norm: f64,
    /// Trainable scalars (the Hessian's size).
    pub parameters: usize,
    /// The `top_k` eigenvalues of largest magnitude, in the order found.
    pub top: Vec<EigenSummary>,
    /// The largest eigenvalue.
    pub lambda_max: EigenSummary,
    /// The smallest (most negative) eigenvalue.
    pub lambda_min: EigenSummary,
    /// `|lambda_min / lambda_max|` (Li et al.'s measure of non-convexity; `None` if
    /// `lambda_max` is 0).
    pub ratio: Option<f64>,
    /// The Hessian's trace.
    pub trace: TraceEstimate,
    /// Epsilon-sharpness, if asked for.
    pub sharpness: Option<Sharpness>,
    /// Hessian-vector products computed in all.
    pub hessian_vector_products: usize,
    /// The finite-difference step used.
    pub fd_step: f64,
}

/// Curvature at `theta`: the top eigenvalues, the extreme ones, the trace and (optionally)
/// epsilon-sharpness of `objective`.
///
/// # Errors
///
/// Bad options; the objective's errors.
pub fn analyze<O: Objective>(
    objective: &mut O,
    theta: &ParamVector,
    options: &CurvatureOptions,
) -> Result<CurvatureReport, LandscapeError> {
    options.power.validate()?;
    if let Some(s) = &options.sharpness {
        s.validate()?;
    }
    if options.hutchinson_samples == 0 {
        return Err(LandscapeError::invalid(
            "hutchinson_samples",
            0,
            "the trace estimate needs at least one sample",
        ));
    }
    let (loss, gradient) = objective.gradient(theta)?;
    let gradient_norm = gradient.norm();
    let parameters = theta
        .entries()
        .iter()
        .filter(|e| e.info.kind != ParamKind::Buffer)
        .map(|e| e.info.numel())
        .sum();
    let mut hessian = Hessian::new(objective, theta.clone(), options.fd_step)?;
    let top = top_eigenvalues(&mut hessian, options.top_k, &options.power)?;
    let (max, min) = extreme_eigenvalues(&mut hessian, &top[0], &options.power)?;
    let trace = hutchinson_trace(
        &mut hessian,
        options.hutchinson_samples,
        options.hutchinson_seed,
    )?;
    let hessian_vector_products = hessian.products();
    let sharpness = options
        .sharpness
        .map(|s| epsilon_sharpness(objective, theta, &s))
        .transpose()?;
    Ok(CurvatureReport {
        loss,
        gradient_norm,
        parameters,
        top: top.iter().map(EigenSummary::from).collect(),
        ratio: (max.value != 0.0).then(|| (min.value / max.value).abs()),
        lambda_max: EigenSummary::from(&max),
        lambda_min: EigenSummary::from(&min),
        trace,
        sharpness,
        hessian_vector_products,
        fd_step: options.fd_step,
    })
}
