//! [`Objective`]: a loss as a function of a [`ParamVector`], with its gradient from Burn's
//! autodiff. [`ModuleObjective`] is the one for a Burn module and fixed data.

use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Int, Tensor, TensorCreationOptions};
use descent_models::ImageClassifier;

use crate::LandscapeError;
use crate::curvature::flat::Precision;
use crate::evaluator::PreparedSet;
use crate::kind::ParamKind;
use crate::vector::{ParamEntry, ParamInfo, ParamVector};

/// A differentiable loss over a fixed parameter layout.
pub trait Objective {
    /// The parameters the loss depends on (paths, shapes, kinds).
    fn layout(&self) -> &[ParamInfo];

    /// The loss at `theta`.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Mismatch`] if `theta` does not have [`Objective::layout`];
    /// [`LandscapeError::InvalidOption`] if the loss is not finite.
    fn loss(&mut self, theta: &ParamVector) -> Result<f64, LandscapeError>;

    /// The loss at `theta` and its gradient (same layout as `theta`; zero on
    /// [`ParamKind::Buffer`] entries, which are state, not parameters).
    ///
    /// # Errors
    ///
    /// As [`Objective::loss`].
    fn gradient(&mut self, theta: &ParamVector) -> Result<(f64, ParamVector), LandscapeError>;

    /// Fixes the loss's piecewise-linear pieces (the activation pattern of ReLU units) at
    /// `at`, so that the loss is smooth around it and finite differences of its gradient
    /// give the Hessian autodiff's double backward gives there; `None` releases them. The
    /// default does nothing (a smooth loss). [`Hessian`](super::Hessian) freezes at its
    /// point for its lifetime.
    ///
    /// # Errors
    ///
    /// As [`Objective::loss`].
    fn freeze_activations(&mut self, at: Option<&ParamVector>) -> Result<(), LandscapeError> {
        let _ = at;
        Ok(())
    }
}

/// The autodiff version of a plain device (`device` itself if it already is one).
pub fn autodiff_device(device: &Device) -> Device {
    device.clone().without_autodiff().autodiff()
}

/// The loss of a Burn module over fixed data, as a function of its parameters.
///
/// The module is kept on the autodiff version of the device in **eval mode**: its training
/// flags are disabled (batch norm uses its running statistics, dropout is off) while its
/// parameters require gradients. Moving to another `theta` writes the values into the same
/// module ([`ParamVector::load_into`], running statistics untouched unless `theta` holds them
/// in another precision: see [`Precision::F64`](crate::curvature::Precision)); nothing is
/// rebuilt.
///
/// The loss is a sum of `parts` terms, `loss_fn(&model, i)` for `i` in `0..parts` (for example
/// one per batch, each already weighted by its share of the samples so that the sum is the
/// mean loss). Each part is differentiated on its own and the gradients are summed, so memory
/// holds one batch's graph at a time.
pub struct ModuleObjective<M, F> {
    model: Option<M>,
    layout: Vec<ParamInfo>,
    plain: Device,
    autodiff: Device,
    parts: usize,
    loss_fn: F,
    gradients: usize,
}

impl<M, F> ModuleObjective<M, F>
where
    M: Module,
    F: FnMut(&M, usize) -> Tensor<1>,
{
    /// The objective of `model` (any mode, any device) on `device`; `loss_fn(&model, i)` must
    /// build part `i` of the loss from tensors on [`autodiff_device`]`(device)`.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] for zero parts.
    pub fn new(
        model: M,
        device: &Device,
        parts: usize,
        loss_fn: F,
    ) -> Result<ModuleObjective<M, F>, LandscapeError> {
        if parts == 0 {
            return Err(LandscapeError::invalid(
                "parts",
                0,
                "the loss needs at least one part (batch)",
            ));
        }
        let plain = device.clone().without_autodiff();
        let autodiff = autodiff_device(device);
        let model = leaves(model, &plain);
        let layout = ParamVector::from_module_infos(&model);
        Ok(ModuleObjective {
            model: Some(model),
            layout,
            plain,
            autodiff,
            parts,
            loss_fn,
            gradients: 0,
        })
    }

    /// The parameters of the module (on the plain device), including running statistics.
    pub fn params(&self) -> ParamVector {
        self.model
            .as_ref()
            .map(|m| ParamVector::from_module(m).to_device(&self.plain))
            .unwrap_or_else(|| ParamVector::from_entries(Vec::new()))
    }

    /// How many gradients have been computed so far.
    pub fn gradient_count(&self) -> usize {
        self.gradients
    }

    /// The module with `theta` loaded, in eval mode on `device` (no gradients).
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Mismatch`] if `theta` is not the module's layout.
    pub fn model_at(&self, theta: &ParamVector, device: &Device) -> Result<M, LandscapeError> {
        let model = self.model.as_ref().ok_or_else(|| {
            LandscapeError::invalid("objective", "model", "lost after an earlier error")
        })?;
        let plain = model.clone().valid().to_device(device);
        let buffers = buffers_in_other_precision(theta, &plain);
        theta.to_device(device).load_into(plain, buffers)
    }

    fn set(&mut self, theta: &ParamVector) -> Result<M, LandscapeError> {
        let model = self.model.take().ok_or_else(|| {
            LandscapeError::invalid("objective", "model", "lost after an earlier error")
        })?;
        let on_device = theta.to_device(&self.autodiff);
        let buffers = buffers_in_other_precision(theta, &model);
        match on_device.load_into(model.clone(), buffers) {
            Ok(m) => Ok(leaves(m, &self.plain)),
            Err(err) => {
                self.model = Some(model);
                Err(err)
            }
        }
    }
}

/// Whether `theta`'s running statistics are in another precision than `module`'s. Then they
/// are loaded with the parameters: a point cast to f64 ([`FlatLayout::unflatten`]) carries the
/// module's own statistics cast to f64, and batch norm cannot mix f32 statistics with f64
/// activations. Otherwise the module's statistics are left as they are.
///
/// [`FlatLayout::unflatten`]: crate::curvature::FlatLayout::unflatten
fn buffers_in_other_precision<M: Module>(theta: &ParamVector, module: &M) -> bool {
    let current = ParamVector::from_module(module);
    theta
        .entries()
        .iter()
        .zip(current.entries())
        .any(|(t, m)| t.info.kind == ParamKind::Buffer && t.value.dtype() != m.value.dtype())
}

impl<M, F> Objective for ModuleObjective<M, F>
where
    M: Module,
    F: FnMut(&M, usize) -> Tensor<1>,
{
    fn layout(&self) -> &[ParamInfo] {
        &self.layout
    }

    fn loss(&mut self, theta: &ParamVector) -> Result<f64, LandscapeError> {
        let model = self.set(theta)?;
        let mut total = 0.0;
        for i in 0..self.parts {
            total += (self.loss_fn)(&model, i).detach().into_scalar::<f64>();
        }
        self.model = Some(model);
        finite(total)
    }

    fn gradient(&mut self, theta: &ParamVector) -> Result<(f64, ParamVector), LandscapeError> {
        let model = self.set(theta)?;
        let mut total = 0.0;
        let mut sum: Option<Vec<Tensor<1>>> = None;
        for i in 0..self.parts {
            let loss = (self.loss_fn)(&model, i);
            total += loss.clone().detach().into_scalar::<f64>();
            if !loss.is_tracked() {
                self.model = Some(model);
                return Err(LandscapeError::invalid(
                    "objective",
                    "loss",
                    "does not depend on the module's parameters through autodiff \
                     (build it from the module and tensors on the autodiff device)",
                ));
            }
            let grads = loss.backward();
            let mut reader = GradReader {
                grads: &grads,
                layout: &self.layout,
                plain: &self.plain,
                out: Vec::with_capacity(self.layout.len()),
            };
            model.visit(&mut reader);
            sum = Some(match sum {
                None => reader.out,
                Some(acc) => acc
                    .into_iter()
                    .zip(reader.out)
                    .map(|(a, b)| a + b)
                    .collect(),
            });
        }
        self.model = Some(model);
        self.gradients += 1;
        let entries = self
            .layout
            .iter()
            .zip(sum.unwrap_or_default())
            .map(|(info, value)| ParamEntry {
                info: info.clone(),
                value,
            })
            .collect();
        Ok((finite(total)?, ParamVector::from_entries(entries)))
    }
}

fn finite(loss: f64) -> Result<f64, LandscapeError> {
    if loss.is_finite() {
        Ok(loss)
    } else {
        Err(LandscapeError::invalid(
            "loss",
            loss,
            "is not finite at this point (the model diverges here)",
        ))
    }
}

/// The module in **eval mode with gradients**: fresh leaf tensors on the autodiff version of
/// their device that require gradients, while every training flag (batch norm's use of batch
/// statistics, dropout) stays off. Burn 0.22: `valid` strips autodiff, `freeze` disables the
/// training flags persistently, `set_require_grad(true)` re-enables gradients only, and `train`
/// applies that state on the autodiff backend.
fn leaves<M: Module>(model: M, plain: &Device) -> M {
    model
        .valid()
        .to_device(plain)
        .freeze()
        .set_require_grad(true)
        .train()
}

/// Collects each float tensor's gradient, flattened, in visiting order (zeros where there is
/// none: running statistics, frozen parameters). Also used by [`crate::curve::train`].
pub(crate) struct GradReader<'a> {
    pub(crate) grads: &'a burn::tensor::Gradients,
    pub(crate) layout: &'a [ParamInfo],
    pub(crate) plain: &'a Device,
    pub(crate) out: Vec<Tensor<1>>,
}

impl ModuleVisitor for GradReader<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let k = self.out.len();
        let (numel, buffer) = self
            .layout
            .get(k)
            .map_or((param.lazy_shape().to_vec().iter().product(), true), |i| {
                (i.numel(), i.kind == ParamKind::Buffer)
            });
        let grad = (!buffer)
            .then(|| param.val().grad(self.grads))
            .flatten()
            .map(|g| g.reshape([numel]).to_device(self.plain))
            .unwrap_or_else(|| {
                // In the parameter's precision: an f64 point's buffers are f64 too.
                let options =
                    TensorCreationOptions::new(self.plain.clone()).with_dtype(param.val().dtype());
                Tensor::zeros([numel], options)
            });
        self.out.push(grad);
    }
}

/// The mean cross-entropy of an image classifier over a [`PreparedSet`] (the loss the scans
/// report), as an [`Objective`]: one part per batch, weighted by its sample count.
///
/// It does not freeze activation patterns: for one of our [`Model`](descent_models::Model)s
/// use [`model_objective`](super::model_objective()), whose Hessian of a ReLU MLP is autodiff's
/// (see [`hvp`](super::hvp) on kinks).
///
/// With [`Precision::F64`] the images are cast to `f64` here, and the objective expects its
/// points in `f64` too (as [`Hessian`](super::Hessian) and [`analyze`](super::analyze) pass
/// them): the whole forward and backward pass then runs in double precision on the CPU
/// backends.
///
/// # Errors
///
/// [`LandscapeError::InvalidOption`] for a set without batches.
pub fn classifier_objective<M: ImageClassifier>(
    model: M,
    set: &PreparedSet,
    device: &Device,
    precision: Precision,
) -> Result<ModuleObjective<M, impl FnMut(&M, usize) -> Tensor<1> + use<M>>, LandscapeError> {
    let autodiff = autodiff_device(device);
    let total = set.samples as f64;
    let batches: Vec<(Tensor<4>, Tensor<1, Int>, f64)> = set
        .batches
        .iter()
        .map(|b| {
            let n = b.targets.dims()[0] as f64;
            let images = b.images.clone().to_device(&autodiff);
            let images = if images.dtype() == precision.dtype() {
                images
            } else {
                images.cast(precision.dtype())
            };
            (images, b.targets.clone().to_device(&autodiff), n / total)
        })
        .collect();
    let loss = CrossEntropyLossConfig::new().init(&autodiff);
    ModuleObjective::new(model, device, batches.len(), move |m: &M, i: usize| {
        let (images, targets, weight) = &batches[i];
        loss.forward(m.logits(images.clone()), targets.clone())
            .mul_scalar(*weight)
    })
}
