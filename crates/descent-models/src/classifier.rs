//! The one interface the training loop and the landscape probes need from a model.

use burn::module::Module;
use burn::tensor::Tensor;

/// Any image classifier: a Burn [`Module`] that maps a batch of images to class logits.
///
/// The training loop computes the loss from these logits (softmax cross-entropy is applied by
/// the caller, not here), and the landscape probes evaluate it at perturbed weights. Implemented
/// by [`Mlp`](crate::Mlp) (which flattens the images), [`Vgg`](crate::Vgg),
/// [`ResNet`](crate::ResNet) and the
/// [`Model`](crate::Model) enum.
pub trait ImageClassifier: Module {
    /// Class scores (unnormalized log-probabilities) for a batch of images.
    ///
    /// # Shapes
    ///
    /// - images: `[N, C, H, W]`
    /// - output: `[N, num_classes]`
    ///
    /// # Panics
    ///
    /// Panics with a message naming both shapes if the images do not have the shape the model
    /// was configured for (a programming error, as in Burn's own layers).
    fn logits(&self, images: Tensor<4>) -> Tensor<2>;

    /// The output of the model's first layer for `images`, when that layer is an affine map
    /// of the images alone (a `Linear` or `Conv2d` before any activation); `None` otherwise
    /// (the default). Its result is affine in the layer's weights and bias, which is what lets
    /// a landscape scan compute it once per direction instead of once per grid point (see
    /// `descent-landscape`'s `ClassifierEvaluator`).
    ///
    /// For every model that returns `Some`,
    /// `logits_after_input_layer(input_layer(x)?)` equals `logits(x)` within float rounding.
    fn input_layer(&self, _images: Tensor<4>) -> Option<InputLayerOutput> {
        None
    }

    /// The logits from the output of [`ImageClassifier::input_layer`]: the rest of the forward
    /// pass. `None` for models without the split (the default) or for an output of the other
    /// kind.
    fn logits_after_input_layer(&self, _first: InputLayerOutput) -> Option<Tensor<2>> {
        None
    }
}

/// What [`ImageClassifier::input_layer`] returns: features of a fully connected layer or
/// feature maps of a convolution, before the activation.
#[derive(Debug, Clone)]
pub enum InputLayerOutput {
    /// `[N, features]`.
    Flat(Tensor<2>),
    /// `[N, channels, height, width]`.
    Maps(Tensor<4>),
}

impl InputLayerOutput {
    /// `self + k * other`, elementwise (shapes and kinds must match).
    ///
    /// # Panics
    ///
    /// If the kinds differ (a programming error: both come from one model).
    pub fn add_scaled(self, other: &InputLayerOutput, k: f64) -> InputLayerOutput {
        match (self, other) {
            (InputLayerOutput::Flat(a), InputLayerOutput::Flat(b)) => {
                InputLayerOutput::Flat(a + b.clone().mul_scalar(k))
            }
            (InputLayerOutput::Maps(a), InputLayerOutput::Maps(b)) => {
                InputLayerOutput::Maps(a + b.clone().mul_scalar(k))
            }
            _ => panic!("input-layer outputs of two kinds cannot be added"),
        }
    }

    /// Number of values.
    pub fn num_elements(&self) -> usize {
        match self {
            InputLayerOutput::Flat(t) => t.shape().num_elements(),
            InputLayerOutput::Maps(t) => t.shape().num_elements(),
        }
    }
}
