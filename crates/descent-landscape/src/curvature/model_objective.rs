//! The loss of one of our models ([`Model`]) over a [`PreparedSet`], as an [`Objective`] whose
//! ReLU activation pattern can be frozen.
//!
//! A ReLU network's loss is smooth only between the kinks where some unit's input crosses 0;
//! there its gradient jumps, and finite differences of gradients across a crossing are wrong
//! by `O(1) / h` (see [`hvp`](super::hvp)). Autodiff's double backward (PyTorch, PyHessian)
//! treats ReLU's derivative as a constant mask, i.e. it differentiates the network whose
//! activation pattern is the one at the point. [`ModelObjective::freeze_activations`] does
//! the same for MLPs with ReLU or leaky ReLU: it records, for every batch and hidden layer,
//! the mask `1[z > 0]` (leaky ReLU: `1` or its slope) at the point, and until released the
//! forward pass multiplies each layer's pre-activation by its mask instead of applying the
//! activation. At the point itself the loss and gradient are unchanged; around it the loss is
//! a smooth function whose Hessian at the point is autodiff's. Smooth activations need no
//! freezing. VGGs and ResNets are not frozen (their ReLU and max-pool kinks stay; the residual test of
//! the eigenvalues reports what that costs).

use std::cell::RefCell;
use std::rc::Rc;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Int, Tensor};
use descent_models::linear::linear_layer;
use descent_models::{Activation, ImageClassifier, Mlp, Model};

use crate::LandscapeError;
use crate::curvature::flat::Precision;
use crate::curvature::objective::{ModuleObjective, Objective, autodiff_device};
use crate::evaluator::PreparedSet;
use crate::vector::{ParamInfo, ParamVector};

/// Each batch's masks, one per hidden layer (`[batch size, width]`, on the autodiff device).
type Masks = Vec<Vec<Tensor<2>>>;

/// The loss closure of a [`ModelObjective`].
type LossFn = Box<dyn FnMut(&Model, usize) -> Tensor<1>>;

/// The mean cross-entropy of a [`Model`] over a [`PreparedSet`] (the loss the scans report),
/// with activation patterns that can be frozen (see the module docs).
pub struct ModelObjective {
    inner: ModuleObjective<Model, LossFn>,
    masks: Rc<RefCell<Option<Masks>>>,
    /// The batches' images on the plain device, in the objective's precision.
    images: Vec<Tensor<4>>,
    precision: Precision,
    plain: Device,
    autodiff: Device,
}

/// The [`ModelObjective`] of `model` on `set` in `precision` (see
/// [`classifier_objective`](super::classifier_objective) for the precision).
///
/// # Errors
///
/// [`LandscapeError::InvalidOption`] for a set without batches.
pub fn model_objective(
    model: Model,
    set: &PreparedSet,
    device: &Device,
    precision: Precision,
) -> Result<ModelObjective, LandscapeError> {
    let plain = device.clone().without_autodiff();
    let autodiff = autodiff_device(device);
    let cast = |t: Tensor<4>| {
        if t.dtype() == precision.dtype() {
            t
        } else {
            t.cast(precision.dtype())
        }
    };
    let total = set.samples as f64;
    let batches: Vec<(Tensor<4>, Tensor<1, Int>, f64)> = set
        .batches
        .iter()
        .map(|b| {
            let n = b.targets.dims()[0] as f64;
            (
                cast(b.images.clone().to_device(&autodiff)),
                b.targets.clone().to_device(&autodiff),
                n / total,
            )
        })
        .collect();
    let images = set
        .batches
        .iter()
        .map(|b| cast(b.images.clone().to_device(&plain)))
        .collect();
    let masks: Rc<RefCell<Option<Masks>>> = Rc::new(RefCell::new(None));
    let frozen = Rc::clone(&masks);
    let loss = CrossEntropyLossConfig::new().init(&autodiff);
    let loss_fn: LossFn = Box::new(move |m: &Model, i: usize| {
        let (images, targets, weight) = &batches[i];
        let logits = match (m, frozen.borrow().as_ref().and_then(|all| all.get(i))) {
            (Model::Mlp(mlp), Some(layer_masks)) => masked_logits(mlp, images.clone(), layer_masks),
            _ => m.logits(images.clone()),
        };
        loss.forward(logits, targets.clone()).mul_scalar(*weight)
    });
    let inner = ModuleObjective::new(model, device, set.batches.len(), loss_fn)?;
    Ok(ModelObjective {
        inner,
        masks,
        images,
        precision,
        plain,
        autodiff,
    })
}

/// An MLP's logits with each hidden layer's activation replaced by its mask.
fn masked_logits(mlp: &Mlp, images: Tensor<4>, masks: &[Tensor<2>]) -> Tensor<2> {
    let [n, c, h, w] = images.dims();
    let mut x = images.reshape([n, c * h * w]);
    for (layer, mask) in mlp.hidden.iter().zip(masks) {
        x = linear_layer(layer, x) * mask.clone();
    }
    linear_layer(&mlp.output, x)
}

impl ModelObjective {
    /// The parameters of the model (on the plain device), including running statistics.
    pub fn params(&self) -> ParamVector {
        self.inner.params()
    }

    /// Whether an activation pattern is frozen now.
    pub fn is_frozen(&self) -> bool {
        self.masks.borrow().is_some()
    }

    /// The masks of `mlp` at its parameters, batch by batch (`None` for a smooth activation).
    fn masks_of(&self, mlp: &Mlp) -> Option<Masks> {
        let slope = match mlp.activation {
            Activation::Relu => 0.0,
            Activation::LeakyRelu => Activation::LEAKY_RELU_SLOPE,
            Activation::Tanh | Activation::Sigmoid | Activation::Gelu => return None,
        };
        let dtype = self.precision.dtype();
        Some(
            self.images
                .iter()
                .map(|images| {
                    let [n, c, h, w] = images.dims();
                    let mut x = images.clone().reshape([n, c * h * w]);
                    let mut masks = Vec::with_capacity(mlp.hidden.len());
                    for layer in &mlp.hidden {
                        let z = linear_layer(layer, x);
                        let positive = z.clone().greater_elem(0.0).float().cast(dtype);
                        let mask = positive.mul_scalar(1.0 - slope).add_scalar(slope);
                        x = mlp.activation.forward(z);
                        masks.push(mask.to_device(&self.autodiff));
                    }
                    masks
                })
                .collect(),
        )
    }
}

impl Objective for ModelObjective {
    fn layout(&self) -> &[ParamInfo] {
        self.inner.layout()
    }

    fn loss(&mut self, theta: &ParamVector) -> Result<f64, LandscapeError> {
        self.inner.loss(theta)
    }

    fn gradient(&mut self, theta: &ParamVector) -> Result<(f64, ParamVector), LandscapeError> {
        self.inner.gradient(theta)
    }

    fn freeze_activations(&mut self, at: Option<&ParamVector>) -> Result<(), LandscapeError> {
        let Some(theta) = at else {
            *self.masks.borrow_mut() = None;
            return Ok(());
        };
        let masks = match self.inner.model_at(theta, &self.plain)? {
            Model::Mlp(mlp) => self.masks_of(&mlp),
            Model::Vgg(_) | Model::ResNet(_) => None,
        };
        *self.masks.borrow_mut() = masks;
        Ok(())
    }
}
