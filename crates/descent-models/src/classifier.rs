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
}
