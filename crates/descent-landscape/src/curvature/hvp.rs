//! Hessian-vector products by finite differences of autodiff gradients.
//!
//! Burn's autodiff is first order, so for a unit vector `u` and a step `h`,
//!
//! - central differences ([`FdScheme::Central`], two gradients):
//!   `D(h) = (g(theta + h u) - g(theta - h u)) / (2 h) = H u + h^2 / 6 * T[u, u, u] + ...`,
//!   exact for a quadratic loss up to rounding;
//! - Richardson extrapolation ([`FdScheme::Richardson`], four gradients):
//!   `(4 D(h / 2) - D(h)) / 3 = H u + O(h^4)`, which cancels the `h^2` term.
//!
//! `H v` is then `|v|` times the product for `u = v / |v|`. Rounding adds an error of about
//! `eps_mach * |g| / h` (the gradients' own rounding, divided by the step) plus
//! `eps_mach * |theta_i| / h` per coordinate (the perturbed point `theta + h u` is rounded to
//! the parameters' type). Both shrink as the step grows while the truncation error grows as
//! `h^2`, so the step is chosen relative to the size of the point:
//! `h = step * (1 + |theta|)` with `|theta|` the Euclidean norm of the trainable parameters
//! ([`HvpOptions::step`]). [`Precision::F64`] computes the loss and gradients in double
//! precision, which pushes the rounding term down by nine orders of magnitude, so the step can
//! be much smaller. The default step of each precision and formula ([`default_step`]) is the
//! one that measured best, in round powers of ten, on an MLP whose exact Hessian is known;
//! the sweep is in `bench/README.md`, and `curvature/reference_tests.rs` tests the errors.
//!
//! **Kinks.** The gradient of a network with ReLU units jumps where a unit's input crosses 0,
//! so a difference of gradients across such a crossing is `O(1) / h`, not `H u`: on an MLP
//! with ReLU, central differences at the f32 default step were 325% off PyTorch's `H v`.
//! [`Hessian::new`] therefore asks the objective to freeze its activation pattern at the
//! point ([`Objective::freeze_activations`]); with the pattern fixed the loss is smooth, and
//! the differences converge to the Hessian autodiff's double backward computes (ReLU'' = 0,
//! max-pool's gradient routed to the recorded winner: the one PyHessian reports).
//! [`model_objective`](super::model_objective()) does this for MLPs, VGGs and ResNets
//! ([`descent_models::ActivationPattern`]); an objective whose kinks are not frozen keeps the
//! jumps, which the residual test of the eigenvalues then reports as not converged.
//!
//! Only trainable entries take part: running statistics ([`ParamKind::Buffer`]) are never
//! moved and are not coordinates of the operator (see [`FlatLayout`]).
//!
//! [`ParamKind::Buffer`]: crate::ParamKind::Buffer

use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::curvature::flat::{FlatLayout, Precision, norm};
use crate::curvature::objective::Objective;
use crate::curvature::operator::{SymmetricOperator, check_len};
use crate::vector::ParamVector;

/// The default relative step of a precision and formula (see the module docs): `1e-3` for
/// f32 central differences, `1e-2` for f32 Richardson, `1e-5` for f64 central differences,
/// `1e-3` for f64 Richardson.
pub fn default_step(precision: Precision, scheme: FdScheme) -> f64 {
    match (precision, scheme) {
        (Precision::F32, FdScheme::Central) => 1e-3,
        (Precision::F32, FdScheme::Richardson) => 1e-2,
        (Precision::F64, FdScheme::Central) => 1e-5,
        (Precision::F64, FdScheme::Richardson) => 1e-3,
    }
}

/// The finite-difference formula of a Hessian-vector product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FdScheme {
    /// Central differences, two gradients per product, error `O(h^2)`.
    #[default]
    Central,
    /// Richardson extrapolation of central differences at `h` and `h / 2`, four gradients per
    /// product, error `O(h^4)`.
    Richardson,
}

impl std::fmt::Display for FdScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FdScheme::Central => "central",
            FdScheme::Richardson => "richardson",
        })
    }
}

impl std::str::FromStr for FdScheme {
    type Err = LandscapeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "central" => Ok(FdScheme::Central),
            "richardson" => Ok(FdScheme::Richardson),
            _ => Err(LandscapeError::invalid(
                "hvp",
                s,
                "expected central or richardson",
            )),
        }
    }
}

/// How Hessian-vector products are computed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HvpOptions {
    /// The step relative to the point: `h = step * (1 + |theta|)` (see the module docs).
    pub step: f64,
    /// Central differences or Richardson extrapolation.
    pub scheme: FdScheme,
    /// The type the loss and gradients are computed in.
    pub precision: Precision,
}

impl Default for HvpOptions {
    /// f32 central differences at their default step.
    fn default() -> Self {
        HvpOptions::new(Precision::F32, FdScheme::Central)
    }
}

impl HvpOptions {
    /// `scheme` in `precision` at its [`default_step`].
    pub fn new(precision: Precision, scheme: FdScheme) -> HvpOptions {
        HvpOptions {
            step: default_step(precision, scheme),
            scheme,
            precision,
        }
    }

    /// Checks the options.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] for a step that is not a positive number.
    pub fn validate(&self) -> Result<(), LandscapeError> {
        if !(self.step.is_finite() && self.step > 0.0) {
            return Err(LandscapeError::invalid(
                "fd_step",
                self.step,
                "the finite-difference step must be a positive number",
            ));
        }
        Ok(())
    }

    /// Gradients per product.
    pub fn gradients_per_product(&self) -> usize {
        match self.scheme {
            FdScheme::Central => 2,
            FdScheme::Richardson => 4,
        }
    }
}

/// The Hessian of an [`Objective`] at a point, as a [`SymmetricOperator`] on the flat
/// trainable entries ([`FlatLayout`]), applied by finite differences of gradients.
pub struct Hessian<'a, O: Objective> {
    objective: &'a mut O,
    layout: FlatLayout,
    base: ParamVector,
    theta: Vec<f64>,
    step: f64,
    options: HvpOptions,
    products: usize,
}

impl<'a, O: Objective> Hessian<'a, O> {
    /// The Hessian of `objective` at `theta`.
    ///
    /// # Errors
    ///
    /// Bad options; [`LandscapeError::Mismatch`] if `theta` is not the objective's layout.
    pub fn new(
        objective: &'a mut O,
        theta: &ParamVector,
        options: &HvpOptions,
    ) -> Result<Hessian<'a, O>, LandscapeError> {
        options.validate()?;
        crate::vector::check_infos(
            objective.layout(),
            &theta.infos(),
            "the objective",
            "the point",
        )?;
        let layout = FlatLayout::new(&theta.infos());
        let flat = layout.flatten(theta)?;
        let base = layout.unflatten(&flat, theta, options.precision)?;
        let step = options.step * (1.0 + norm(&flat));
        objective.freeze_activations(Some(&base))?;
        Ok(Hessian {
            objective,
            layout,
            base,
            theta: flat,
            step,
            options: *options,
            products: 0,
        })
    }

    /// The flat layout (which entries, in which order).
    pub fn layout(&self) -> &FlatLayout {
        &self.layout
    }

    /// The point, flat.
    pub fn theta(&self) -> &[f64] {
        &self.theta
    }

    /// The absolute step `h` along a unit vector.
    pub fn step(&self) -> f64 {
        self.step
    }

    /// The objective (to evaluate the loss or the gradient at other points).
    pub fn objective(&mut self) -> &mut O {
        &mut *self.objective
    }

    /// The gradient at `theta + t u`, flat.
    fn gradient_along(&mut self, u: &[f64], t: f64) -> Result<Vec<f64>, LandscapeError> {
        let point: Vec<f64> = self.theta.iter().zip(u).map(|(x, d)| x + t * d).collect();
        let p = self
            .layout
            .unflatten(&point, &self.base, self.options.precision)?;
        let (_, g) = self.objective.gradient(&p)?;
        self.layout.flatten(&g)
    }

    /// `(g(theta + h u) - g(theta - h u)) / (2 h)`.
    fn central(&mut self, u: &[f64], h: f64) -> Result<Vec<f64>, LandscapeError> {
        let plus = self.gradient_along(u, h)?;
        let minus = self.gradient_along(u, -h)?;
        Ok(plus
            .iter()
            .zip(&minus)
            .map(|(a, b)| (a - b) / (2.0 * h))
            .collect())
    }
}

impl<O: Objective> Drop for Hessian<'_, O> {
    /// Releases the activation pattern frozen at the point.
    fn drop(&mut self) {
        // Releasing cannot fail for the objectives of this crate (it drops the masks).
        let _ = self.objective.freeze_activations(None);
    }
}

impl<O: Objective> SymmetricOperator for Hessian<'_, O> {
    fn dim(&self) -> usize {
        self.layout.dim()
    }

    fn apply(&mut self, v: &[f64]) -> Result<Vec<f64>, LandscapeError> {
        check_len(v, self.dim())?;
        let nv = norm(v);
        if nv == 0.0 {
            return Ok(vec![0.0; v.len()]);
        }
        let u: Vec<f64> = v.iter().map(|x| x / nv).collect();
        let h = self.step;
        let product = match self.options.scheme {
            FdScheme::Central => self.central(&u, h)?,
            FdScheme::Richardson => {
                let coarse = self.central(&u, h)?;
                let fine = self.central(&u, h / 2.0)?;
                fine.iter()
                    .zip(&coarse)
                    .map(|(f, c)| (4.0 * f - c) / 3.0)
                    .collect()
            }
        };
        self.products += 1;
        Ok(product.into_iter().map(|x| x * nv).collect())
    }

    fn products(&self) -> usize {
        self.products
    }
}
