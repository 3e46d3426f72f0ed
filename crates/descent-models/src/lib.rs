//! Image classifiers for gradient-descent and loss-landscape experiments, on Burn 0.22.
//!
//! - [`MlpConfig`] -> [`Mlp`]: any number of hidden layers (none = multinomial logistic
//!   regression), an [`Activation`], optional dropout.
//! - [`VggConfig`] -> [`Vgg`]: the CIFAR VGG-9/11/13/16/19 ([`VggDepth`]) with batch norm on or
//!   off, a channel width multiplier, and any input channels and size (32x32x3 CIFAR-10,
//!   28x28x1 Fashion-MNIST).
//! - [`ResNetConfig`] -> [`ResNet`]: the CIFAR ResNet-20/32/44/56/110 of He et al. 2016 as
//!   Li et al. 2018 use them, with projection or zero-padding shortcuts, or none
//!   ([`Shortcut`]: Li et al.'s `noshort` networks), a width multiplier, and any input
//!   channels and size.
//! - [`ModelConfig`] -> [`Model`]: any of the above, for a CLI or a run configuration.
//! - [`ImageClassifier`]: `[N, C, H, W]` images to `[N, classes]` logits, implemented by all
//!   of them; the training loop and the landscape probes use only this.
//! - [`conv`], [`norm`], [`pool`], [`linear`]: drop-ins for Burn's `Conv2d`, `BatchNorm`
//!   (alone, with the ReLU after it fused in, or with the ReLU and a max-pool),
//!   `MaxPool2d` and `Linear` forward passes that run this crate's CPU kernels on Burn's
//!   `Flex` backend (feature `flex`) and Burn's own everywhere else; the VGG blocks use them.
//!   A width-1/4 VGG-11 training step (forward and backward) on `Flex` runs several times
//!   faster with them (`benches/kernels.rs`, `step`; the figures are in `bench/README.md`).
//!
//! - [`torch`] (feature `pytorch`): PyTorch `state_dict`s in (`.safetensors`, `.pt`, `.pth`)
//!   and out (safetensors), names and layouts mapped, through Burn's burn-store.
//!
//! Configurations are validated: `init` returns a [`ModelError`] naming the bad field instead
//! of panicking. Parameter counts ([`ModelConfig::num_params`], `num_trainable_params`) follow
//! PyTorch's convention and are tested equal to the same architectures built in PyTorch; Burn's
//! [`Module::num_params`](burn::module::Module::num_params) also counts batch-norm running
//! statistics.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use descent_models::{ImageClassifier, ModelConfig, VggConfig, VggDepth};
//!
//! let device = Device::flex();
//! let config: ModelConfig = VggConfig::new(VggDepth::Vgg11).with_width(0.125).into();
//! assert_eq!(config.describe(), "vgg11-bn x0.125 (3x32x32 -> 10)");
//!
//! let model = config.init(&device)?;
//! let logits = model.logits(Tensor::zeros([2, 3, 32, 32], &device));
//! assert_eq!(logits.dims(), [2, 10]);
//! assert_eq!(model.num_trainable_params(), config.num_params());
//!
//! // Invalid configurations are errors, not panics.
//! let bad = VggConfig::new(VggDepth::Vgg9).with_width(0.0);
//! assert!(bad.init(&device).is_err());
//! # Ok::<(), descent_models::ModelError>(())
//! ```

/// The Burn this crate is built on (0.22), re-exported so a project that uses it through
/// `descent_models::burn` shares one Burn with us instead of compiling a second.
pub use burn;

mod activation;
mod architecture;
mod classifier;
pub mod conv;
#[cfg(feature = "flex")]
mod cpu;
mod error;
pub mod linear;
mod mlp;
mod model;
pub mod norm;
pub mod pattern;
pub mod pool;
mod resnet;
mod shortcut;
mod size;
#[cfg(feature = "pytorch")]
pub mod torch;
mod torch_format;
mod vgg;
mod vgg_depth;

#[cfg(test)]
mod test_utils;

pub use activation::Activation;
pub use architecture::Architecture;
pub use classifier::{ImageClassifier, InputLayerOutput};
pub use error::{ModelError, ShapeMismatch};
pub use mlp::{Mlp, MlpConfig};
pub use model::{Model, ModelConfig};
pub use pattern::ActivationPattern;
pub use resnet::{
    BasicBlock, BlockShortcut, Projection, RESNET_STAGE_CHANNELS, ResNet, ResNetConfig,
};
pub use shortcut::Shortcut;
pub use size::{BYTES_PER_VALUE, ModelSize};
pub use torch_format::TorchFormat;
pub use vgg::{Vgg, VggBlock, VggConfig, VggHidden};
pub use vgg_depth::{VggDepth, VggLayer};
