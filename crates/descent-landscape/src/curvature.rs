//! Curvature and sharpness of a loss at a point of parameter space.
//!
//! - [`Objective`] / [`ModuleObjective`]: a loss as a function of a [`ParamVector`], with its
//!   gradient from Burn's autodiff, for any module in eval mode over fixed data
//!   ([`classifier_objective`]: the mean cross-entropy the scans report, in `f32` or `f64`;
//!   [`model_objective()`]: the same for our models, with their activation pattern (ReLU
//!   masks, max-pool winners: MLPs, VGGs, ResNets) frozen while the Hessian is measured, so
//!   that finite differences give autodiff's Hessian).
//! - [`Hessian`]: Hessian-vector products by finite differences of gradients (Burn's autodiff
//!   is first order), central or Richardson-extrapolated, with a step scaled to the point, as a
//!   [`SymmetricOperator`] on the flat trainable entries (never running statistics).
//! - [`eigen`]: the largest and smallest eigenvalues with their vectors, by [`lanczos`]
//!   (default) or [`power`] iteration; "converged" means the measured residual
//!   `|H v - lambda v| <= tol |H|`.
//! - [`hutchinson`]: the trace by Hutchinson's estimator, deflated by the eigenvectors found
//!   and stopped on its relative standard error.
//! - [`density`]: the eigenvalue spectral density by stochastic Lanczos quadrature.
//! - [`layers`]: the same figures for each layer's diagonal block.
//! - [`sharpness()`]: Keskar et al.'s sharpness, its filter-normalized variant, and ASAM's
//!   adaptive sharpness.
//! - [`analyze`] runs them all; [`job::run_curvature_job`] does it for a checkpoint written by
//!   `descent train` and saves a [`CurvatureFile`]; [`spectrum_job`] writes a density file.
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
//! let report = analyze(&mut objective, &theta, &CurvatureOptions::default())?;
//! assert!((report.lambda_max.value - 6.0).abs() < 1e-2);
//! assert!((report.lambda_min.value - 2.0).abs() < 1e-2);
//! assert!(report.lambda_max.converged && report.lambda_min.converged);
//! assert!((report.trace.mean - 8.0).abs() < 1e-2);
//! # Ok(())
//! # }
//! ```

pub mod density;
pub mod eigen;
pub mod extremes;
pub mod file;
pub mod flat;
pub mod hutchinson;
pub mod hvp;
pub mod job;
pub mod lanczos;
pub mod layers;
#[cfg(feature = "plot")]
pub mod layers_plot;
pub mod map;
pub mod model_objective;
pub mod objective;
pub mod operator;
pub mod power;
pub mod sharpness;
pub mod spectrum_file;
pub mod spectrum_job;
#[cfg(feature = "plot")]
pub mod spectrum_plot;

#[cfg(test)]
mod conv_reference_tests;
#[cfg(test)]
mod reference_tests;
#[cfg(test)]
mod regression_tests;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use density::{DensityOptions, SpectralDensity, slq_density};
pub use eigen::{EigenMethod, EigenOptions, Eigenpair, ExtremeEigen};
pub use extremes::extreme_eigenpairs;
pub use file::CurvatureFile;
pub use flat::{FlatLayout, Precision};
pub use hutchinson::{TraceEstimate, TraceOptions, hutchinson_trace};
pub use hvp::{FdScheme, Hessian, HvpOptions, default_step};
pub use layers::{LayerCurvature, per_layer_curvature};
pub use model_objective::{ModelObjective, model_objective};
pub use objective::{ModuleObjective, Objective, autodiff_device, classifier_objective};
pub use operator::{BlockOperator, MatrixOperator, SymmetricOperator};
pub use sharpness::{Sharpness, SharpnessDefinition, SharpnessOptions, sharpness};
pub use spectrum_file::SpectrumFile;

use crate::LandscapeError;
use crate::vector::ParamVector;

/// What [`analyze`] computes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvatureOptions {
    /// How many of the largest eigenvalues, at least 1.
    pub top_k: usize,
    /// How many of the smallest (most negative) eigenvalues, at least 1.
    pub bottom_k: usize,
    /// The eigenvalue method, its budget, tolerance and seed.
    pub eigen: EigenOptions,
    /// The trace estimate.
    pub trace: TraceOptions,
    /// The Hessian-vector products.
    pub hvp: HvpOptions,
    /// Sharpness measurements (none, or one per definition wanted).
    pub sharpness: Vec<SharpnessOptions>,
    /// Also measure each layer's diagonal block.
    pub per_layer: bool,
}

impl Default for CurvatureOptions {
    fn default() -> Self {
        CurvatureOptions {
            top_k: 1,
            bottom_k: 1,
            eigen: EigenOptions::default(),
            trace: TraceOptions::default(),
            hvp: HvpOptions::default(),
            sharpness: Vec::new(),
            per_layer: false,
        }
    }
}

/// One eigenvalue estimate, without its vector.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EigenSummary {
    /// The eigenvalue.
    pub value: f64,
    /// `|H v - value v|` for its unit vector `v`, measured.
    pub residual: f64,
    /// Whether the residual test passed (`residual <= tol * |H|`).
    pub converged: bool,
    /// Products spent (power iteration), or the Lanczos steps of the run that found it.
    pub iterations: usize,
}

impl From<&Eigenpair> for EigenSummary {
    fn from(p: &Eigenpair) -> Self {
        EigenSummary {
            value: p.value,
            residual: p.residual,
            converged: p.converged,
            iterations: p.iterations,
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
    /// The `top_k` largest eigenvalues, largest first.
    pub largest: Vec<EigenSummary>,
    /// The `bottom_k` smallest eigenvalues, smallest first.
    pub smallest: Vec<EigenSummary>,
    /// The largest eigenvalue.
    pub lambda_max: EigenSummary,
    /// The smallest (most negative) eigenvalue.
    pub lambda_min: EigenSummary,
    /// `|lambda_min / lambda_max|` (Li et al.'s measure of non-convexity; `None` if
    /// `lambda_max` is 0).
    pub ratio: Option<f64>,
    /// The estimate of `|H|` the eigenvalue tolerance is relative to.
    pub hessian_norm: f64,
    /// Products used by the eigenvalue method (including the residual checks).
    pub eigen_products: usize,
    /// The Hessian's trace.
    pub trace: TraceEstimate,
    /// Each layer's block, if asked for.
    pub layers: Vec<LayerCurvature>,
    /// Sharpness by each definition asked for.
    pub sharpness: Vec<Sharpness>,
    /// Hessian-vector products computed in all.
    pub hessian_vector_products: usize,
    /// The absolute finite-difference step `h` used along unit vectors.
    pub fd_step: f64,
}

/// Curvature at `theta`: the extreme eigenvalues, the trace, per-layer blocks and sharpness
/// of `objective`, as `options` asks.
///
/// # Errors
///
/// Bad options; the objective's errors.
pub fn analyze<O: Objective>(
    objective: &mut O,
    theta: &ParamVector,
    options: &CurvatureOptions,
) -> Result<CurvatureReport, LandscapeError> {
    options.eigen.validate()?;
    options.trace.validate()?;
    options.hvp.validate()?;
    for s in &options.sharpness {
        s.validate()?;
    }
    // The point in the precision of the measurement (running statistics included).
    let layout = FlatLayout::new(&theta.infos());
    let theta = &layout.unflatten(&layout.flatten(theta)?, theta, options.hvp.precision)?;
    let (loss, gradient) = objective.gradient(theta)?;
    let mut hessian = Hessian::new(objective, theta, &options.hvp)?;
    let parameters = layout.dim();
    let gradient_norm = flat::norm(&layout.flatten(&gradient)?);
    let ends = extreme_eigenpairs(
        &mut hessian,
        options.top_k,
        options.bottom_k,
        &options.eigen,
    )?;
    let vectors: Vec<&[f64]> = ends
        .largest
        .iter()
        .chain(&ends.smallest)
        .map(|p| p.vector.as_slice())
        .collect();
    let trace = hutchinson_trace(&mut hessian, &vectors, &options.trace)?;
    let layers = if options.per_layer {
        per_layer_curvature(&mut hessian, &layout, &options.eigen, &options.trace)?
    } else {
        Vec::new()
    };
    let hessian_vector_products = hessian.products();
    let fd_step = hessian.step();
    // Releases the frozen activation pattern: sharpness walks the real loss.
    drop(hessian);
    let sharpness = options
        .sharpness
        .iter()
        .map(|s| sharpness::sharpness(objective, theta, s))
        .collect::<Result<Vec<_>, _>>()?;
    let lambda_max = EigenSummary::from(&ends.largest[0]);
    let lambda_min = EigenSummary::from(&ends.smallest[0]);
    Ok(CurvatureReport {
        loss,
        gradient_norm,
        parameters,
        largest: ends.largest.iter().map(EigenSummary::from).collect(),
        smallest: ends.smallest.iter().map(EigenSummary::from).collect(),
        ratio: (lambda_max.value != 0.0).then(|| (lambda_min.value / lambda_max.value).abs()),
        lambda_max,
        lambda_min,
        hessian_norm: ends.norm,
        eigen_products: ends.products,
        trace,
        layers,
        sharpness,
        hessian_vector_products,
        fd_step,
    })
}
