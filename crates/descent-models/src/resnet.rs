//! The CIFAR ResNets of He et al. 2016 (ResNet-20/32/44/56/110), with and without shortcuts.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::module::avg_pool2d;
use burn::tensor::ops::AvgPoolOptions;
use burn::tensor::{Device, Tensor};

use crate::{ImageClassifier, ModelError, Shortcut};

/// Channels of the three stages at width 1 (He et al. 2016, section 4.2).
pub const RESNET_STAGE_CHANNELS: [usize; 3] = [16, 32, 64];

/// Configuration of a [`ResNet`]: the CIFAR-10 ResNets of He et al. 2016 (arXiv:1512.03385,
/// section 4.2) as Li et al. 2018 (arXiv:1712.09913) use them.
///
/// # Architecture
///
/// `depth = 6n + 2` weight layers: a 3x3 stem convolution to 16 channels, then three stages of
/// `n` basic blocks with 16, 32 and 64 channels (times `width`), the second and third starting
/// with a stride-2 block that halves the resolution, then global average pooling and one
/// linear layer. A basic block is
///
/// ```text
/// out = relu(bn1(conv1(x)))          conv1: 3x3, stride 1 or 2, padding 1, no bias
/// out = bn2(conv2(out))              conv2: 3x3, stride 1, padding 1, no bias
/// out = relu(out + shortcut(x))      (no addition with Shortcut::None)
/// ```
///
/// with the shortcut chosen by [`Shortcut`]. ResNet-20/32/44/56/110 are `n` = 3/5/7/9/18.
///
/// This is tomgoldstein/loss-landscape's `cifar10/models/resnet.py` (`ResNet_cifar` with
/// `BasicBlock`, and `BasicBlock_noshortcut` for [`Shortcut::None`]; `WResNet_cifar`'s
/// `WRN56_k` is width `k`), layer for layer and name for name (`conv1`, `bn1`, `layer1..3`,
/// `linear`; a projection is `shortcut.conv`/`shortcut.norm` here, `shortcut.0`/`shortcut.1`
/// there), so its `state_dict` imports (see `descent_models::import`). Where ours differs:
///
/// - **Pooling**: global average pooling over whatever the last feature map is. Their
///   `F.avg_pool2d(out, 8)` is the same on 32x32 inputs (an 8x8 map); on 28x28 (Fashion-MNIST,
///   a 7x7 map) theirs fails, ours averages the 7x7.
/// - **Input**: any channel count and square size (`in_channels`, `image_size`); theirs is
///   fixed at 3 channels. Sizes need not be even: a stride-2 layer maps `s` to `ceil(s / 2)`.
/// - **Width**: every channel count `c` becomes `max(1, floor(c * width + 0.5))`, as for
///   [`VggConfig`](crate::VggConfig); whole widths `k` are their `WRN-(6n+2)-k`.
/// - **Shortcut kind**: theirs is always the projection (option B); [`Shortcut::ZeroPad`]
///   adds He et al.'s option A, the CIFAR networks of the ResNet paper.
/// - **Batch norm**: Burn's, with PyTorch's defaults; the running variance is updated with the
///   biased batch variance (see [`VggConfig`](crate::VggConfig)).
/// - **Initialization**: Burn's defaults, the same distributions as PyTorch's default
///   `reset_parameters` that loss-landscape keeps (He et al. used Kaiming normal).
#[derive(Config, Debug, PartialEq)]
pub struct ResNetConfig {
    /// Weight layers, `6n + 2`: 20, 32, 44, 56, 110, ...
    pub depth: usize,
    /// Number of classes (outputs).
    #[config(default = 10)]
    pub num_classes: usize,
    /// The shortcut connections.
    #[config(default = "Shortcut::Projection")]
    pub shortcut: Shortcut,
    /// Channel width multiplier, finite and greater than 0 (1 = 16/32/64 channels).
    #[config(default = 1.0)]
    pub width: f64,
    /// Channels of the input images: 3 for CIFAR-10, 1 for (Fashion-)MNIST.
    #[config(default = 3)]
    pub in_channels: usize,
    /// Height and width of the (square) input images: 32 for CIFAR-10, 28 for (Fashion-)MNIST.
    #[config(default = 32)]
    pub image_size: usize,
}

/// One block's sizes, shared by `init` and `num_params`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct BlockPlan {
    c_in: usize,
    c_out: usize,
    stride: usize,
    shortcut: BlockShortcut,
}

impl ResNetConfig {
    /// The ResNet named `resnetN` (`resnet20`, `ResNet-56`, `resnet_110`; case, `-` and `_`
    /// ignored), with the defaults of every other field.
    ///
    /// # Errors
    ///
    /// [`ModelError::UnknownResNet`] if `name` is not `resnet` and a number;
    /// [`ModelError::InvalidResNetDepth`] if the number is not `6n + 2`.
    pub fn from_name(name: &str) -> Result<ResNetConfig, ModelError> {
        let depth = parse_resnet_name(name)?;
        let config = ResNetConfig::new(depth);
        config.validate()?;
        Ok(config)
    }

    /// Checks every field; [`ResNetConfig::init`] calls this first.
    ///
    /// # Errors
    ///
    /// [`ModelError::InvalidResNetDepth`] for a depth that is not `6n + 2`, `n >= 1`;
    /// [`ModelError::ZeroSize`] for a zero `num_classes`, `in_channels` or `image_size`;
    /// [`ModelError::InvalidWidth`] for a `width` that is not finite or not greater than 0.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.depth < 8 || !(self.depth - 2).is_multiple_of(6) {
            return Err(ModelError::InvalidResNetDepth { depth: self.depth });
        }
        for (field, value) in [
            ("num_classes", self.num_classes),
            ("in_channels", self.in_channels),
            ("image_size", self.image_size),
        ] {
            if value == 0 {
                return Err(ModelError::ZeroSize { field });
            }
        }
        if !(self.width.is_finite() && self.width > 0.0) {
            return Err(ModelError::InvalidWidth { width: self.width });
        }
        Ok(())
    }

    /// Blocks per stage, `n = (depth - 2) / 6`.
    pub fn blocks_per_stage(&self) -> usize {
        self.depth.saturating_sub(2) / 6
    }

    /// A channel count scaled by the width multiplier: `max(1, floor(c * width + 0.5))`.
    pub fn scale(&self, channels: usize) -> usize {
        ((channels as f64 * self.width + 0.5).floor() as usize).max(1)
    }

    /// The channels of the three stages after width scaling.
    pub fn stage_channels(&self) -> [usize; 3] {
        RESNET_STAGE_CHANNELS.map(|c| self.scale(c))
    }

    /// Spatial size (height = width) of the last feature map: each stride-2 stage maps `s` to
    /// `ceil(s / 2)` (a 3x3 convolution with padding 1).
    pub fn final_size(&self) -> usize {
        self.image_size.div_ceil(2).div_ceil(2)
    }

    /// The shortcut of every block, stage by stage.
    #[cfg(feature = "pytorch")]
    pub(crate) fn block_shortcuts(&self) -> [Vec<BlockShortcut>; 3] {
        self.plan()
            .map(|stage| stage.iter().map(|block| block.shortcut).collect())
    }

    /// The blocks, stage by stage.
    fn plan(&self) -> [Vec<BlockPlan>; 3] {
        let channels = self.stage_channels();
        let mut c_in = channels[0];
        [0, 1, 2].map(|stage| {
            (0..self.blocks_per_stage())
                .map(|i| {
                    let stride = if stage > 0 && i == 0 { 2 } else { 1 };
                    let c_out = channels[stage];
                    let block = BlockPlan {
                        c_in,
                        c_out,
                        stride,
                        shortcut: BlockShortcut::plan(self.shortcut, c_in, c_out, stride),
                    };
                    c_in = c_out;
                    block
                })
                .collect()
        })
    }

    /// Builds the network on `device` (parameters are initialized lazily, on first use).
    ///
    /// # Errors
    ///
    /// See [`ResNetConfig::validate`].
    pub fn init(&self, device: &Device) -> Result<ResNet, ModelError> {
        self.validate()?;
        let [c0, _, c3] = self.stage_channels();
        let [layer1, layer2, layer3] = self.plan().map(|stage| {
            stage
                .iter()
                .map(|block| BasicBlock::init(block, device))
                .collect::<Vec<_>>()
        });
        Ok(ResNet {
            conv1: conv3x3(self.in_channels, c0, 1, device),
            bn1: BatchNormConfig::new(c0).init(device),
            layer1,
            layer2,
            layer3,
            linear: LinearConfig::new(c3, self.num_classes).init(device),
            input_shape: [self.in_channels, self.image_size, self.image_size],
        })
    }

    /// Number of trainable parameters (convolution and linear weights, the linear bias,
    /// batch-norm `gamma` and `beta`), computed from the configuration without building the
    /// model: PyTorch's `sum(p.numel() for p in m.parameters())`.
    pub fn num_params(&self) -> usize {
        let [c0, _, c3] = self.stage_channels();
        let blocks: usize = self
            .plan()
            .iter()
            .flatten()
            .map(|b| {
                let convs =
                    b.c_in * b.c_out * 9 + 2 * b.c_out + b.c_out * b.c_out * 9 + 2 * b.c_out;
                let projection = match b.shortcut {
                    BlockShortcut::Projection => b.c_in * b.c_out + 2 * b.c_out,
                    _ => 0,
                };
                convs + projection
            })
            .sum();
        self.in_channels * c0 * 9 + 2 * c0 + blocks + c3 * self.num_classes + self.num_classes
    }

    /// A short human-readable summary, e.g. `resnet20 x1 (3x32x32 -> 10)`,
    /// `resnet56-noshort x1 (1x28x28 -> 10)` or `resnet20-zeropad x2 (3x32x32 -> 10)`.
    pub fn describe(&self) -> String {
        let suffix = match self.shortcut {
            Shortcut::Projection => "",
            Shortcut::ZeroPad => "-zeropad",
            Shortcut::None => "-noshort",
        };
        format!(
            "resnet{}{} x{} ({}x{}x{} -> {})",
            self.depth,
            suffix,
            self.width,
            self.in_channels,
            self.image_size,
            self.image_size,
            self.num_classes
        )
    }
}

/// The depth in `resnetN`.
fn parse_resnet_name(name: &str) -> Result<usize, ModelError> {
    let normalized: String = name
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .collect();
    normalized
        .strip_prefix("resnet")
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse::<usize>().ok())
        .ok_or_else(|| ModelError::UnknownResNet {
            input: name.to_string(),
        })
}

/// A 3x3 convolution with padding 1 and no bias (the ResNet's every convolution but the
/// projections).
fn conv3x3(c_in: usize, c_out: usize, stride: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([c_in, c_out], [3, 3])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_bias(false)
        .init(device)
}

/// What one block adds to its output: decided by the network's [`Shortcut`] and the block's
/// shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlockShortcut {
    /// Nothing ([`Shortcut::None`]).
    #[default]
    None,
    /// The input unchanged (same channels and resolution).
    Identity,
    /// The block's [`Projection`] (option B).
    Projection,
    /// The input subsampled by `stride` and padded with `front` zero channels before and
    /// `back` after (option A).
    ZeroPad {
        /// The subsampling step (the block's stride).
        stride: usize,
        /// Zero channels before the input's.
        front: usize,
        /// Zero channels after the input's.
        back: usize,
    },
}

impl BlockShortcut {
    pub(crate) fn plan(kind: Shortcut, c_in: usize, c_out: usize, stride: usize) -> BlockShortcut {
        match kind {
            Shortcut::None => BlockShortcut::None,
            _ if stride == 1 && c_in == c_out => BlockShortcut::Identity,
            Shortcut::Projection => BlockShortcut::Projection,
            Shortcut::ZeroPad => {
                // Widths only grow from stage to stage, so `c_out >= c_in`.
                let extra = c_out.saturating_sub(c_in);
                BlockShortcut::ZeroPad {
                    stride,
                    front: extra / 2,
                    back: extra - extra / 2,
                }
            }
        }
    }
}

/// A projection shortcut: `1x1 Conv2d(stride, no bias) -> BatchNorm` (PyTorch's
/// `shortcut.0`, `shortcut.1`).
#[derive(Module, Debug)]
pub struct Projection {
    /// The 1x1 convolution (`weight: [out, in, 1, 1]`, no bias).
    pub conv: Conv2d,
    /// Batch norm over the output channels.
    pub norm: BatchNorm,
}

/// A basic residual block (see [`ResNetConfig`]).
#[derive(Module, Debug)]
pub struct BasicBlock {
    /// First 3x3 convolution (stride 1, or 2 at the start of stages 2 and 3), no bias.
    pub conv1: Conv2d,
    /// Batch norm after `conv1`, followed by a ReLU.
    pub bn1: BatchNorm,
    /// Second 3x3 convolution, stride 1, no bias.
    pub conv2: Conv2d,
    /// Batch norm after `conv2`, before the addition.
    pub bn2: BatchNorm,
    /// The projection, for blocks whose shortcut is [`BlockShortcut::Projection`].
    pub shortcut: Option<Projection>,
    /// What the block adds to `bn2`'s output.
    #[module(skip)]
    pub kind: BlockShortcut,
}

impl BasicBlock {
    fn init(plan: &BlockPlan, device: &Device) -> BasicBlock {
        let shortcut = (plan.shortcut == BlockShortcut::Projection).then(|| Projection {
            conv: Conv2dConfig::new([plan.c_in, plan.c_out], [1, 1])
                .with_stride([plan.stride, plan.stride])
                .with_bias(false)
                .init(device),
            norm: BatchNormConfig::new(plan.c_out).init(device),
        });
        BasicBlock {
            conv1: conv3x3(plan.c_in, plan.c_out, plan.stride, device),
            bn1: BatchNormConfig::new(plan.c_out).init(device),
            conv2: conv3x3(plan.c_out, plan.c_out, 1, device),
            bn2: BatchNormConfig::new(plan.c_out).init(device),
            shortcut,
            kind: plan.shortcut,
        }
    }

    /// Applies the block.
    ///
    /// # Shapes
    ///
    /// - input: `[N, C_in, H, W]`
    /// - output: `[N, C_out, ceil(H / s), ceil(W / s)]` for the block's stride `s`
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let out = crate::conv::conv2d_layer(&self.conv1, input.clone());
        let out = crate::norm::batch_norm_relu_layer(&self.bn1, out);
        let out = crate::conv::conv2d_layer(&self.conv2, out);
        let out = crate::norm::batch_norm_layer(&self.bn2, out);
        match self.residual(input) {
            Some(residual) => relu(out.add(residual)),
            None => relu(out),
        }
    }

    /// What the block adds to `bn2`'s output before the last ReLU: the block's input, its
    /// projection, or its strided and zero-padded copy; `None` without a shortcut.
    ///
    /// # Panics
    ///
    /// For a [`BlockShortcut::Projection`] block without its projection layers (a module
    /// edited by hand: the shapes would not add up anyway).
    pub(crate) fn residual(&self, input: Tensor<4>) -> Option<Tensor<4>> {
        Some(match (self.kind, &self.shortcut) {
            (BlockShortcut::None, _) => return None,
            (BlockShortcut::Identity, _) => input,
            (BlockShortcut::Projection, Some(p)) => {
                let x = crate::conv::conv2d_layer(&p.conv, input);
                crate::norm::batch_norm_layer(&p.norm, x)
            }
            (BlockShortcut::Projection, None) => {
                panic!("resnet block: projection shortcut without its layers")
            }
            (
                BlockShortcut::ZeroPad {
                    stride,
                    front,
                    back,
                },
                _,
            ) => zero_pad_shortcut(input, stride, front, back),
        })
    }
}

/// Option A: `x[:, :, ::stride, ::stride]` with `front` zero channels before and `back` after.
fn zero_pad_shortcut(x: Tensor<4>, stride: usize, front: usize, back: usize) -> Tensor<4> {
    // A 1x1 average pool with this stride picks every stride-th pixel, odd sizes included
    // (ceil(s / stride) of them, as the 3x3 stride-s convolution beside it).
    let x = if stride > 1 {
        avg_pool2d(x, AvgPoolOptions::new([1, 1]).with_stride([stride, stride]))
    } else {
        x
    };
    if front == 0 && back == 0 {
        return x;
    }
    let [n, _, h, w] = x.dims();
    let device = x.device();
    let mut parts = Vec::with_capacity(3);
    if front > 0 {
        parts.push(Tensor::zeros([n, front, h, w], &device));
    }
    parts.push(x);
    if back > 0 {
        parts.push(Tensor::zeros([n, back, h, w], &device));
    }
    Tensor::cat(parts, 1)
}

/// A CIFAR ResNet; build it with [`ResNetConfig::init`], see there for the architecture.
///
/// Parameter paths (for probes that match by name): `conv1.weight`, `bn1.*`,
/// `layer{1,2,3}.{i}.{conv1,conv2}.weight`, `layer{1,2,3}.{i}.{bn1,bn2}.{gamma,beta,
/// running_mean,running_var}`, `layer{2,3}.0.shortcut.conv.weight` and
/// `layer{2,3}.0.shortcut.norm.*` (projections only), `linear.{weight,bias}`.
#[derive(Module, Debug)]
pub struct ResNet {
    /// The stem: 3x3 convolution to the first stage's channels, no bias.
    pub conv1: Conv2d,
    /// Batch norm after the stem, followed by a ReLU.
    pub bn1: BatchNorm,
    /// Stage 1: full resolution, 16 channels at width 1.
    pub layer1: Vec<BasicBlock>,
    /// Stage 2: half resolution, 32 channels at width 1.
    pub layer2: Vec<BasicBlock>,
    /// Stage 3: quarter resolution, 64 channels at width 1.
    pub layer3: Vec<BasicBlock>,
    /// The classifier after global average pooling (`weight: [d_in, d_out]`, Burn's layout).
    pub linear: Linear,
    /// Expected input `[C, H, W]`, checked by [`ResNet::forward`].
    #[module(skip)]
    pub input_shape: [usize; 3],
}

impl ResNet {
    /// Logits for a batch of images.
    ///
    /// # Shapes
    ///
    /// - input: `[N, in_channels, image_size, image_size]`
    /// - output: `[N, num_classes]`
    ///
    /// # Panics
    ///
    /// If the input's `[C, H, W]` is not the configured `[in_channels, image_size, image_size]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.check_input(&images);
        let x = crate::conv::conv2d_layer(&self.conv1, images);
        let mut x = crate::norm::batch_norm_relu_layer(&self.bn1, x);
        for block in self.layer1.iter().chain(&self.layer2).chain(&self.layer3) {
            x = block.forward(x);
        }
        // Global average pooling: [N, C, H, W] -> [N, C].
        let [n, c, h, w] = x.dims();
        let pooled: Tensor<2> = x.reshape([n, c, h * w]).mean_dim(2).reshape([n, c]);
        crate::linear::linear_layer(&self.linear, pooled)
    }

    /// Panics unless `images` is `[N, in_channels, image_size, image_size]`.
    pub(crate) fn check_input(&self, images: &Tensor<4>) {
        let [n, c, h, w] = images.dims();
        assert!(
            [c, h, w] == self.input_shape,
            "resnet expects images of shape [N, {}, {}, {}], got [{n}, {c}, {h}, {w}]",
            self.input_shape[0],
            self.input_shape[1],
            self.input_shape[2]
        );
    }

    /// Number of classes (outputs).
    pub fn num_classes(&self) -> usize {
        self.linear.weight.lazy_shape().dims::<2>()[1]
    }

    /// The blocks of the three stages, in order.
    pub fn blocks(&self) -> impl Iterator<Item = &BasicBlock> {
        self.layer1.iter().chain(&self.layer2).chain(&self.layer3)
    }

    /// Number of trainable parameters: [`Module::num_params`] without the batch-norm running
    /// mean and variance. Equals PyTorch's `sum(p.numel() for p in m.parameters())`.
    pub fn num_trainable_params(&self) -> usize {
        let norms = std::iter::once(&self.bn1).chain(self.blocks().flat_map(|b| {
            [&b.bn1, &b.bn2]
                .into_iter()
                .chain(b.shortcut.as_ref().map(|p| &p.norm))
        }));
        let running: usize = norms.map(|bn| 2 * bn.gamma.num_params()).sum();
        self.num_params() - running
    }
}

impl ImageClassifier for ResNet {
    fn logits(&self, images: Tensor<4>) -> Tensor<2> {
        self.forward(images)
    }
}

#[cfg(test)]
mod tests;
