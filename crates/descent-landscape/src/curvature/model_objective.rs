//! The loss of one of our models ([`Model`]) over a [`PreparedSet`], as an [`Objective`] whose
//! activation pattern can be frozen.
//!
//! A ReLU network's loss is smooth only between the kinks where some unit's input crosses 0
//! (or another input of a max-pool window wins); there its gradient jumps, and finite
//! differences of gradients across a crossing are wrong by `O(1) / h` (see [`hvp`](super::hvp)).
//! Autodiff's double backward (PyTorch, PyHessian) treats ReLU's derivative as a constant mask
//! and routes a max-pool's gradient to the recorded winner, i.e. it differentiates the network
//! whose activation pattern is the one at the point. [`ModelObjective::freeze_activations`]
//! does the same for every architecture (MLPs with ReLU or leaky ReLU, VGGs, ResNets): it
//! records each batch's [`ActivationPattern`] at the point, and until released the forward
//! pass replays it. At the point itself the loss and gradient are unchanged; around it the loss
//! is a smooth function whose Hessian at the point is autodiff's. Smooth activations need no
//! freezing.

use std::cell::RefCell;
use std::rc::Rc;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Int, Tensor};
use descent_models::{ActivationPattern, ImageClassifier, Model};

use crate::LandscapeError;
use crate::curvature::flat::Precision;
use crate::curvature::objective::{ModuleObjective, Objective, autodiff_device};
use crate::evaluator::PreparedSet;
use crate::vector::{ParamInfo, ParamVector};

/// Each batch's activation pattern, on the autodiff device.
type Patterns = Vec<ActivationPattern>;

/// The loss closure of a [`ModelObjective`].
type LossFn = Box<dyn FnMut(&Model, usize) -> Tensor<1>>;

/// The mean cross-entropy of a [`Model`] over a [`PreparedSet`] (the loss the scans report),
/// with activation patterns that can be frozen (see the module docs).
pub struct ModelObjective {
    inner: ModuleObjective<Model, LossFn>,
    patterns: Rc<RefCell<Option<Patterns>>>,
    /// The batches' images on the plain device, in the objective's precision.
    images: Vec<Tensor<4>>,
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
    let patterns: Rc<RefCell<Option<Patterns>>> = Rc::new(RefCell::new(None));
    let frozen = Rc::clone(&patterns);
    let loss = CrossEntropyLossConfig::new().init(&autodiff);
    let loss_fn: LossFn = Box::new(move |m: &Model, i: usize| {
        let (images, targets, weight) = &batches[i];
        let logits = match frozen.borrow().as_ref().and_then(|all| all.get(i)) {
            // The patterns were replayed once on this model and these images when they were
            // recorded (`freeze_activations`), so the replay cannot fail here; were it to, the
            // model's own logits are the loss at the point.
            Some(pattern) => pattern
                .logits(m, images.clone())
                .unwrap_or_else(|_| m.logits(images.clone())),
            None => m.logits(images.clone()),
        };
        loss.forward(logits, targets.clone()).mul_scalar(*weight)
    });
    let inner = ModuleObjective::new(model, device, set.batches.len(), loss_fn)?;
    Ok(ModelObjective {
        inner,
        patterns,
        images,
        plain,
        autodiff,
    })
}

impl ModelObjective {
    /// The parameters of the model (on the plain device), including running statistics.
    pub fn params(&self) -> ParamVector {
        self.inner.params()
    }

    /// Whether an activation pattern is frozen now.
    pub fn is_frozen(&self) -> bool {
        self.patterns.borrow().is_some()
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
            *self.patterns.borrow_mut() = None;
            return Ok(());
        };
        let model = self.inner.model_at(theta, &self.plain)?;
        let mut patterns = Vec::with_capacity(self.images.len());
        for (i, images) in self.images.iter().enumerate() {
            let pattern = ActivationPattern::record(&model, images.clone());
            // Replayed once here, so that the loss closure's replay cannot fail.
            pattern
                .logits(&model, images.clone())
                .map_err(|e| LandscapeError::invalid("activation pattern", i, e.to_string()))?;
            patterns.push(pattern.to_device(&self.autodiff));
        }
        // A smooth network (tanh, sigmoid, GELU) has nothing to freeze.
        *self.patterns.borrow_mut() =
            (!patterns.iter().all(ActivationPattern::is_empty)).then_some(patterns);
        Ok(())
    }
}
