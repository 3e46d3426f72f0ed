//! Hessian-vector products by central differences of autodiff gradients.
//!
//! Burn's autodiff is first order, so `H v` is
//! `(g(theta + eps u) - g(theta - eps u)) / (2 eps) * |v|` with `u = v / |v|`: exact for a
//! quadratic loss up to rounding, `O(eps^2)` otherwise. With `f32` gradients the rounding error
//! grows like `|g| * 2^-24 / eps`, so `eps` is neither tiny nor large: the default
//! [`DEFAULT_FD_STEP`] suits losses of order one and weights of order one.

use burn::tensor::Tensor;

use crate::LandscapeError;
use crate::curvature::objective::Objective;
use crate::kind::ParamKind;
use crate::vector::ParamVector;

/// Default finite-difference step along a unit vector.
pub const DEFAULT_FD_STEP: f64 = 1e-3;

/// A symmetric linear map on parameter vectors.
pub trait LinearOperator {
    /// A vector of the operator's layout (to draw random vectors like it).
    fn template(&self) -> &ParamVector;

    /// `A v`.
    ///
    /// # Errors
    ///
    /// Whatever computing the product reports.
    fn apply(&mut self, v: &ParamVector) -> Result<ParamVector, LandscapeError>;
}

/// The Hessian of an [`Objective`] at a point, applied by finite differences of gradients.
///
/// It acts on the trainable entries only: running statistics ([`ParamKind::Buffer`]) are
/// never moved and their rows and columns are zero.
pub struct Hessian<'a, O: Objective> {
    objective: &'a mut O,
    theta: ParamVector,
    step: f64,
    products: usize,
}

impl<'a, O: Objective> Hessian<'a, O> {
    /// The Hessian of `objective` at `theta`, with finite-difference step `step` (> 0).
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] for a step that is not positive and finite;
    /// [`LandscapeError::Mismatch`] if `theta` is not the objective's layout.
    pub fn new(
        objective: &'a mut O,
        theta: ParamVector,
        step: f64,
    ) -> Result<Hessian<'a, O>, LandscapeError> {
        if !(step.is_finite() && step > 0.0) {
            return Err(LandscapeError::invalid(
                "fd_step",
                step,
                "the finite-difference step must be a positive number",
            ));
        }
        crate::vector::check_infos(
            objective.layout(),
            &theta.infos(),
            "the objective",
            "the point",
        )?;
        Ok(Hessian {
            objective,
            theta,
            step,
            products: 0,
        })
    }

    /// The point.
    pub fn theta(&self) -> &ParamVector {
        &self.theta
    }

    /// The objective (to evaluate the loss or the gradient at other points).
    pub fn objective(&mut self) -> &mut O {
        &mut *self.objective
    }

    /// How many products have been computed (each costs two gradients).
    pub fn products(&self) -> usize {
        self.products
    }
}

impl<O: Objective> LinearOperator for Hessian<'_, O> {
    fn template(&self) -> &ParamVector {
        &self.theta
    }

    fn apply(&mut self, v: &ParamVector) -> Result<ParamVector, LandscapeError> {
        let v = trainable(v);
        let norm = v.norm();
        if norm == 0.0 {
            return Ok(v.zeros_like());
        }
        let u = v.scale(1.0 / norm);
        let (_, plus) = self.objective.gradient(&self.theta.axpy(self.step, &u)?)?;
        let (_, minus) = self.objective.gradient(&self.theta.axpy(-self.step, &u)?)?;
        self.products += 1;
        Ok(trainable(
            &plus.sub(&minus)?.scale(norm / (2.0 * self.step)),
        ))
    }
}

/// `v` with its running-statistics entries set to zero.
pub fn trainable(v: &ParamVector) -> ParamVector {
    v.map(|e| {
        if e.info.kind == ParamKind::Buffer {
            Tensor::zeros([e.info.numel()], &e.value.device())
        } else {
            e.value.clone()
        }
    })
}
