//! Gradient clipping: by value, by per-tensor norm (Burn's mechanism) and by global norm.
//!
//! Burn's [`GradientClipping`] runs inside [`ModuleOptimizer`](burn::optim::ModuleOptimizer),
//! one parameter tensor at a time, so its `Norm` variant caps each tensor's norm separately.
//! `torch.nn.utils.clip_grad_norm_` caps the norm of all gradients taken together, which needs
//! every gradient before any update: [`clip_grad_norm`] does that on a [`GradientsParams`], and
//! the training loop calls it between `backward` and `step`.

use burn::config::Config;
use burn::grad_clipping::GradientClipping;
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};

use super::validate::invalid;
use crate::OptimError;

/// Added to the total norm before dividing, as `torch.nn.utils.clip_grad_norm_` does.
const NORM_EPS: f32 = 1e-6;

/// How gradients are clipped before the update.
#[derive(Config, Debug, PartialEq)]
pub enum GradClipping {
    /// Clamp every gradient element to `[-c, c]`, like `torch.nn.utils.clip_grad_value_`.
    /// Applied inside the `ModuleOptimizer` (Burn's `GradientClipping::Value`).
    Value(f32),
    /// Scale each parameter tensor's gradient so that its own L2 norm is at most `c`.
    /// Applied inside the `ModuleOptimizer` (Burn's `GradientClipping::Norm`, which divides
    /// by `norm + f32::MIN_POSITIVE` where PyTorch adds `1e-6`).
    TensorNorm(f32),
    /// Scale all gradients by one factor so that their global L2 norm (over every parameter
    /// of the module) is at most `c`, exactly like `torch.nn.utils.clip_grad_norm_`.
    ///
    /// **Not applied by the `ModuleOptimizer`**, which sees one tensor at a time: the loop
    /// calls [`clip_grad_norm`] (or [`OptimizerConfig::clip_gradients`](super::OptimizerConfig::clip_gradients),
    /// or the config's own `clip_gradients`) before every `step`.
    GlobalNorm(f32),
}

impl GradClipping {
    /// Check the threshold (finite and `> 0`).
    pub fn validate(&self) -> Result<(), OptimError> {
        let (field, value) = match self {
            Self::Value(c) => ("clip_value", *c),
            Self::TensorNorm(c) | Self::GlobalNorm(c) => ("clip_norm", *c),
        };
        if value.is_finite() && value > 0.0 {
            Ok(())
        } else {
            Err(invalid(field, value, "must be finite and > 0"))
        }
    }

    /// The part Burn's `ModuleOptimizer` applies per tensor (`None` for
    /// [`GlobalNorm`](Self::GlobalNorm)).
    pub fn burn_clipping(&self) -> Option<GradientClipping> {
        match self {
            Self::Value(c) => Some(GradientClipping::Value(*c)),
            Self::TensorNorm(c) => Some(GradientClipping::Norm(*c)),
            Self::GlobalNorm(_) => None,
        }
    }

    /// The global-norm threshold, if this is [`GlobalNorm`](Self::GlobalNorm).
    pub fn global_norm(&self) -> Option<f32> {
        match self {
            Self::GlobalNorm(c) => Some(*c),
            _ => None,
        }
    }

    /// Apply the global-norm part (if any) to `grads`: what the loop calls before `step`.
    /// Value and per-tensor clipping are left to the `ModuleOptimizer`.
    pub fn clip_gradients<M: Module>(&self, module: &M, grads: GradientsParams) -> GradientsParams {
        match self.global_norm() {
            Some(max_norm) => clip_grad_norm(module, grads, max_norm).0,
            None => grads,
        }
    }
}

/// `optim` as a [`ModuleOptimizer`](burn::optim::ModuleOptimizer) with an optional clipping's
/// value or per-tensor part attached (used by the configs' `init`).
pub(crate) fn module_optimizer_with<O>(
    optim: O,
    clipping: Option<&GradClipping>,
) -> burn::optim::ModuleOptimizer
where
    burn::optim::ModuleOptimizer: From<O>,
{
    let optim = burn::optim::ModuleOptimizer::from(optim);
    match clipping.and_then(GradClipping::burn_clipping) {
        Some(clipping) => optim.with_grad_clipping(clipping),
        None => optim,
    }
}

/// Apply an optional clipping's global-norm part (used by the configs' `clip_gradients`).
pub(crate) fn clip_with<M: Module>(
    clipping: Option<&GradClipping>,
    module: &M,
    grads: GradientsParams,
) -> GradientsParams {
    match clipping {
        Some(clipping) => clipping.clip_gradients(module, grads),
        None => grads,
    }
}

/// The L2 norm of all gradients of `module` taken together, as a one-element tensor
/// (`sqrt(Σ_i ‖g_i‖²)`, the value `torch.nn.utils.clip_grad_norm_` returns); `None` when
/// `grads` holds no gradient of `module`. No device synchronisation happens here.
pub fn global_grad_norm<M: Module>(module: &M, grads: &GradientsParams) -> Option<Tensor<1>> {
    let mut norms = NormCollector {
        grads,
        device: None,
        norms: Vec::new(),
    };
    module.visit(&mut norms);
    if norms.norms.is_empty() {
        return None;
    }
    // PyTorch: vector_norm(stack([vector_norm(g) for g in grads])).
    Some(Tensor::cat(norms.norms, 0).square().sum().sqrt())
}

/// Clip the gradients of `module` to a global L2 norm of at most `max_norm`, exactly like
/// `torch.nn.utils.clip_grad_norm_(module.parameters(), max_norm)`.
///
/// Every gradient is multiplied by `min(1, max_norm / (total_norm + 1e-6))`; returns the
/// clipped gradients and the total norm before clipping (`None` if there was no gradient).
/// The factor stays a tensor, so nothing waits for the device. Gradients of parameters that
/// are not in `module` are left as they are. A non-finite norm propagates (PyTorch's default
/// `error_if_nonfinite=False`).
///
/// ```
/// use burn::nn::LinearConfig;
/// use burn::optim::GradientsParams;
/// use burn::tensor::{Device, Tensor};
/// use descent_optim::clip_grad_norm;
///
/// let device = Device::flex().autodiff();
/// let model = LinearConfig::new(4, 2).init(&device);
/// let loss = model.forward(Tensor::<2>::ones([8, 4], &device)).sum().mul_scalar(100.0);
/// let grads = GradientsParams::from_grads(loss.backward(), &model);
/// let (grads, norm) = clip_grad_norm(&model, grads, 1.0);
/// assert!(norm.unwrap().into_scalar::<f32>() > 1.0);
/// let clipped = descent_optim::global_grad_norm(&model, &grads).unwrap();
/// assert!((clipped.into_scalar::<f32>() - 1.0).abs() < 1e-4);
/// ```
pub fn clip_grad_norm<M: Module>(
    module: &M,
    mut grads: GradientsParams,
    max_norm: f32,
) -> (GradientsParams, Option<Tensor<1>>) {
    let Some(total) = global_grad_norm(module, &grads) else {
        return (grads, None);
    };
    // PyTorch computes `max_norm / (total + eps)` as `reciprocal(total + eps) * max_norm`.
    let coef = total
        .clone()
        .add_scalar(NORM_EPS)
        .recip()
        .mul_scalar(max_norm)
        .clamp_max(1.0);
    module.visit(&mut Scaler {
        grads: &mut grads,
        coef,
    });
    (grads, Some(total))
}

/// Collects each parameter gradient's L2 norm (moved to the first gradient's device).
struct NormCollector<'a> {
    grads: &'a GradientsParams,
    device: Option<Device>,
    norms: Vec<Tensor<1>>,
}

impl ModuleVisitor for NormCollector<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let Some(grad) = self.grads.get::<D>(param.id) else {
            return;
        };
        let device = self.device.get_or_insert_with(|| grad.device()).clone();
        let norm = grad.square().sum().sqrt();
        self.norms.push(norm.to_device(&device));
    }
}

/// Multiplies each parameter gradient by one clipping factor.
struct Scaler<'a> {
    grads: &'a mut GradientsParams,
    coef: Tensor<1>,
}

impl ModuleVisitor for Scaler<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let Some(grad) = self.grads.remove::<D>(param.id) else {
            return;
        };
        let coef = self.coef.clone().to_device(&grad.device()).unsqueeze::<D>();
        self.grads.register(param.id, grad.mul(coef));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::tensor::Device;

    fn grads_of(model: &Linear, scale: f32) -> GradientsParams {
        let device = model.weight.val().device();
        let x = Tensor::<2>::from_floats([[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, -1.0, 2.0]], &device);
        let loss = model.forward(x).square().sum().mul_scalar(scale);
        GradientsParams::from_grads(loss.backward(), model)
    }

    fn flat(grads: &GradientsParams, model: &Linear) -> Vec<f32> {
        let mut out: Vec<f32> = grads
            .get::<2>(model.weight.id)
            .unwrap()
            .try_into_vec_as()
            .unwrap();
        out.extend(
            grads
                .get::<1>(model.bias.as_ref().unwrap().id)
                .unwrap()
                .try_into_vec_as::<f32>()
                .unwrap(),
        );
        out
    }

    #[test]
    fn global_norm_scales_all_gradients_by_one_factor() {
        let device = Device::flex().autodiff();
        let model = LinearConfig::new(4, 3).init(&device);
        let grads = grads_of(&model, 1.0);
        let before = flat(&grads, &model);
        let expected_norm = before.iter().map(|g| g * g).sum::<f32>().sqrt();
        assert!(expected_norm > 0.5, "fixture must need clipping");

        let (clipped, norm) = clip_grad_norm(&model, grads, 0.5);
        let norm = norm.unwrap().into_scalar::<f32>();
        assert!((norm - expected_norm).abs() <= 1e-5 * expected_norm);
        let after = flat(&clipped, &model);
        let coef = 0.5 / (expected_norm + 1e-6);
        for (b, a) in before.iter().zip(&after) {
            assert!((b * coef - a).abs() <= 1e-6 * b.abs().max(1e-3), "{b} {a}");
        }
        let new_norm = global_grad_norm(&model, &clipped)
            .unwrap()
            .into_scalar::<f32>();
        assert!((new_norm - 0.5).abs() < 1e-5);
    }

    #[test]
    fn small_gradients_are_left_unchanged() {
        let device = Device::flex().autodiff();
        let model = LinearConfig::new(4, 3).init(&device);
        let grads = grads_of(&model, 1e-4);
        let before = flat(&grads, &model);
        let (clipped, _) = clip_grad_norm(&model, grads, 10.0);
        assert_eq!(before, flat(&clipped, &model));
    }

    #[test]
    fn no_gradients_gives_no_norm() {
        let device = Device::flex().autodiff();
        let model = LinearConfig::new(4, 3).init(&device);
        let (grads, norm) = clip_grad_norm(&model, GradientsParams::new(), 1.0);
        assert!(norm.is_none());
        assert!(grads.is_empty());
    }

    #[test]
    fn thresholds_are_validated() {
        assert!(GradClipping::Value(0.5).validate().is_ok());
        for bad in [0.0, -1.0, f32::NAN, f32::INFINITY] {
            assert!(matches!(
                GradClipping::Value(bad).validate(),
                Err(OptimError::InvalidConfig {
                    field: "clip_value",
                    ..
                })
            ));
            assert!(matches!(
                GradClipping::GlobalNorm(bad).validate(),
                Err(OptimError::InvalidConfig {
                    field: "clip_norm",
                    ..
                })
            ));
        }
        assert!(GradClipping::GlobalNorm(1.0).burn_clipping().is_none());
        assert!(GradClipping::TensorNorm(1.0).burn_clipping().is_some());
    }
}
