//! VGG-style convolutional networks for small images (CIFAR-10, Fashion-MNIST).

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use crate::{ImageClassifier, ModelError, VggDepth, VggLayer};

/// Configuration of a [`Vgg`] network.
///
/// # Architecture
///
/// For each [`VggLayer::Conv`] of [`VggDepth::layers`]: `Conv2d(3x3, padding 1, with bias)
/// -> BatchNorm2d (if batch_norm) -> ReLU`; for each [`VggLayer::MaxPool`]: `MaxPool2d(2, 2)`.
/// Then the feature map is flattened (`C * H * W`, row-major like PyTorch's `view(N, -1)`),
/// VGG-9 applies its hidden layer `Linear -> BatchNorm1d (if batch_norm) -> ReLU`, and a
/// single `Linear` gives the logits. This is the layer order of kuangliu/pytorch-cifar and
/// tomgoldstein/loss-landscape (see [`VggDepth`] for the sources); kuangliu's trailing
/// `AvgPool2d(kernel_size=1, stride=1)` is an identity and is left out.
///
/// - **Conv bias**: kept even with batch norm, as kuangliu does (`nn.Conv2d(.., padding=1)`
///   with the default `bias=True` before `BatchNorm2d`), so parameter counts match the ports.
///   With batch norm the bias is redundant (the BN mean subtraction cancels it), so its gradient
///   is zero in training mode.
/// - **Width multiplier**: every channel count `c` (and VGG-9's hidden width) becomes
///   `max(1, floor(c * width + 0.5))`, i.e. rounded half up and at least 1, so `width = 0.25`
///   turns VGG-11's `64..512` into `16..128`.
/// - **Input size and pooling**: a max-pool is applied only while the spatial size is at least
///   2, so that small inputs do not shrink to zero; pools use floor mode (PyTorch's default,
///   kuangliu's choice; loss-landscape's `ceil_mode=True` gives the same sizes on 32x32, where
///   every pooled size is even). At 32x32 the five pools of VGG-11..19 give 1x1 and the
///   parameter counts are exactly kuangliu's; at 28x28 they go `28 -> 14 -> 7 -> 3 -> 1` and the
///   fifth pool is skipped. The classifier (or VGG-9's hidden layer) reads
///   `channels * final_size * final_size` features: 512 for VGG-11 at 32x32,
///   `256 * 4 * 4` for VGG-9 at 32x32 and `256 * 3 * 3` at 28x28.
/// - **Batch norm**: Burn's `BatchNorm` with PyTorch's defaults (`epsilon = 1e-5`,
///   `momentum = 0.1`, `gamma = 1`, `beta = 0`, running mean 0 and variance 1). One difference:
///   Burn updates the running variance with the biased batch variance, PyTorch with the unbiased
///   one (factor `n / (n - 1)`, `n` = batch size times pixels), so running statistics, and hence
///   eval-mode outputs after training, differ very slightly. Batch statistics are used only in
///   training mode on an autodiff device; `model.valid()` uses the running statistics.
/// - **Initialization**: Burn's defaults for `Conv2dConfig` and `LinearConfig`,
///   `KaimingUniform { gain: 1/sqrt(3), fan_out_only: false }`, draw weights and biases from
///   `U(-1/sqrt(fan_in), 1/sqrt(fan_in))` with `fan_in = in_channels * 3 * 3` for convolutions:
///   the same distribution as PyTorch's default `reset_parameters` (`kaiming_uniform_(a=sqrt(5))`
///   for the weight, the same bound for the bias). So the defaults already start like the
///   PyTorch ports (which do not re-initialize); only the random stream differs.
#[derive(Config, Debug, PartialEq)]
pub struct VggConfig {
    /// Which VGG.
    pub depth: VggDepth,
    /// Number of classes (outputs).
    #[config(default = 10)]
    pub num_classes: usize,
    /// Batch norm after every convolution (and after VGG-9's hidden linear layer).
    #[config(default = true)]
    pub batch_norm: bool,
    /// Channel width multiplier, finite and greater than 0 (1 = the published widths).
    #[config(default = 1.0)]
    pub width: f64,
    /// Channels of the input images: 3 for CIFAR-10, 1 for (Fashion-)MNIST.
    #[config(default = 3)]
    pub in_channels: usize,
    /// Height and width of the (square) input images: 32 for CIFAR-10, 28 for (Fashion-)MNIST.
    #[config(default = 32)]
    pub image_size: usize,
}

/// The derived layer sizes of a [`VggConfig`], shared by `init` and `num_params`.
struct VggPlan {
    /// `(in_channels, out_channels, pool_after)` per convolution.
    convs: Vec<(usize, usize, bool)>,
    /// Flattened feature count after the convolutions.
    flat_features: usize,
    /// Width of VGG-9's hidden linear layer.
    hidden: Option<usize>,
}

impl VggConfig {
    /// Checks every field; [`VggConfig::init`] calls this first.
    ///
    /// # Errors
    ///
    /// [`ModelError::ZeroSize`] for a zero `num_classes`, `in_channels` or `image_size`;
    /// [`ModelError::InvalidWidth`] for a `width` that is not finite or not greater than 0.
    pub fn validate(&self) -> Result<(), ModelError> {
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

    /// A channel count scaled by the width multiplier: `max(1, floor(c * width + 0.5))`.
    pub fn scale(&self, channels: usize) -> usize {
        ((channels as f64 * self.width + 0.5).floor() as usize).max(1)
    }

    /// Output channels of each convolution after width scaling, input side first.
    pub fn conv_channels(&self) -> Vec<usize> {
        self.plan().convs.iter().map(|&(_, out, _)| out).collect()
    }

    /// Spatial size (height = width) of the last feature map, after the pools that apply.
    pub fn final_size(&self) -> usize {
        let mut size = self.image_size;
        for layer in self.depth.layers() {
            if *layer == VggLayer::MaxPool && size >= 2 {
                size /= 2;
            }
        }
        size
    }

    /// For each convolution, whether a max-pool follows it.
    #[cfg(feature = "pytorch")]
    pub(crate) fn conv_pools(&self) -> Vec<bool> {
        self.plan().convs.iter().map(|&(_, _, pool)| pool).collect()
    }

    fn plan(&self) -> VggPlan {
        let mut convs: Vec<(usize, usize, bool)> = Vec::new();
        let mut channels = self.in_channels;
        let mut size = self.image_size;
        for layer in self.depth.layers() {
            match *layer {
                VggLayer::Conv(c) => {
                    let out = self.scale(c);
                    convs.push((channels, out, false));
                    channels = out;
                }
                VggLayer::MaxPool => {
                    // A pool always follows a convolution in the lists; skip it on tiny maps.
                    if size >= 2
                        && let Some(last) = convs.last_mut()
                    {
                        last.2 = true;
                        size /= 2;
                    }
                }
            }
        }
        VggPlan {
            convs,
            flat_features: channels * size * size,
            hidden: self.depth.hidden_features().map(|h| self.scale(h)),
        }
    }

    /// Builds the network on `device` (parameters are initialized lazily, on first use).
    ///
    /// # Errors
    ///
    /// See [`VggConfig::validate`].
    pub fn init(&self, device: &Device) -> Result<Vgg, ModelError> {
        self.validate()?;
        let plan = self.plan();
        let features = plan
            .convs
            .iter()
            .map(|&(c_in, c_out, pool)| VggBlock {
                conv: Conv2dConfig::new([c_in, c_out], [3, 3])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .init(device),
                norm: self
                    .batch_norm
                    .then(|| BatchNormConfig::new(c_out).init(device)),
                pool: pool.then(|| MaxPool2dConfig::new([2, 2]).init()),
            })
            .collect();
        let (fc, classifier_in) = match plan.hidden {
            Some(h) => (
                Some(VggHidden {
                    linear: LinearConfig::new(plan.flat_features, h).init(device),
                    norm: self
                        .batch_norm
                        .then(|| BatchNormConfig::new(h).init(device)),
                }),
                h,
            ),
            None => (None, plan.flat_features),
        };
        Ok(Vgg {
            features,
            fc,
            classifier: LinearConfig::new(classifier_in, self.num_classes).init(device),
            input_shape: [self.in_channels, self.image_size, self.image_size],
        })
    }

    /// Number of trainable parameters (convolution and linear weights and biases, batch-norm
    /// `gamma` and `beta`), computed from the configuration without building the model. Equals
    /// PyTorch's `sum(p.numel() for p in m.parameters())`, which leaves out the batch-norm
    /// running statistics (buffers); Burn's [`Module::num_params`] counts those too.
    pub fn num_params(&self) -> usize {
        let plan = self.plan();
        let bn = |c: usize| if self.batch_norm { 2 * c } else { 0 };
        let convs: usize = plan
            .convs
            .iter()
            .map(|&(c_in, c_out, _)| c_in * c_out * 9 + c_out + bn(c_out))
            .sum();
        let (hidden, classifier_in) = match plan.hidden {
            Some(h) => (plan.flat_features * h + h + bn(h), h),
            None => (0, plan.flat_features),
        };
        convs + hidden + classifier_in * self.num_classes + self.num_classes
    }

    /// A short human-readable summary, e.g. `vgg11-bn x0.25 (3x32x32 -> 10)`.
    pub fn describe(&self) -> String {
        format!(
            "{}{} x{} ({}x{}x{} -> {})",
            self.depth,
            if self.batch_norm { "-bn" } else { "" },
            self.width,
            self.in_channels,
            self.image_size,
            self.image_size,
            self.num_classes
        )
    }
}

/// One convolution block: `Conv2d(3x3) -> BatchNorm (optional) -> ReLU -> MaxPool (optional)`.
#[derive(Module, Debug)]
pub struct VggBlock {
    /// The 3x3 convolution, padding 1, with bias (`weight: [out, in, 3, 3]`).
    pub conv: Conv2d,
    /// Batch norm over the output channels, if enabled.
    pub norm: Option<BatchNorm>,
    /// 2x2 max-pool with stride 2 after the activation, where the layer list has one and the
    /// feature map is still at least 2x2.
    pub pool: Option<MaxPool2d>,
}

impl VggBlock {
    /// Applies the block: convolution, batch norm (if any), ReLU, max-pool (if any).
    ///
    /// # Shapes
    ///
    /// - input: `[N, C_in, H, W]`
    /// - output: `[N, C_out, H, W]`, or `[N, C_out, H / 2, W / 2]` (floor) with a pool
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        self.after_conv(crate::conv::conv2d_layer(&self.conv, input))
    }

    /// The block from its convolution's output: batch norm (if any), ReLU, max-pool (if any).
    fn after_conv(&self, x: Tensor<4>) -> Tensor<4> {
        match (&self.norm, &self.pool) {
            (Some(norm), Some(pool)) => crate::norm::batch_norm_relu_pool_layer(norm, pool, x),
            (Some(norm), None) => crate::norm::batch_norm_relu_layer(norm, x),
            (None, Some(pool)) => crate::pool::max_pool_layer(pool, relu(x)),
            (None, None) => relu(x),
        }
    }
}

/// VGG-9's hidden fully connected layer: `Linear -> BatchNorm1d (optional) -> ReLU`.
#[derive(Module, Debug)]
pub struct VggHidden {
    /// The linear layer (`weight: [d_in, d_out]`, Burn's layout).
    pub linear: Linear,
    /// Batch norm over the hidden features, if enabled.
    pub norm: Option<BatchNorm>,
}

impl VggHidden {
    /// Applies the layer: linear, batch norm (if any), ReLU.
    ///
    /// # Shapes
    ///
    /// - input: `[N, d_in]`
    /// - output: `[N, d_out]`
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let x = crate::linear::linear_layer(&self.linear, input);
        match &self.norm {
            Some(norm) => crate::norm::batch_norm_relu_layer(norm, x),
            None => relu(x),
        }
    }
}

/// A VGG network; build it with [`VggConfig::init`], see there for the architecture.
///
/// Parameter paths (for probes that match by name): `features.{i}.conv.{weight,bias}`,
/// `features.{i}.norm.{gamma,beta,running_mean,running_var}`, `fc.linear.{weight,bias}` and
/// `fc.norm.*` (VGG-9 only), `classifier.{weight,bias}`.
#[derive(Module, Debug)]
pub struct Vgg {
    /// Convolution blocks, input side first.
    pub features: Vec<VggBlock>,
    /// VGG-9's hidden fully connected layer; `None` for the other depths.
    pub fc: Option<VggHidden>,
    /// The final linear layer producing logits.
    pub classifier: Linear,
    /// Expected input `[C, H, W]`, checked by [`Vgg::forward`].
    #[module(skip)]
    pub input_shape: [usize; 3],
}

impl Vgg {
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
        match self.features.first() {
            Some(first) => self.forward_after_first(crate::conv::conv2d_layer(&first.conv, images)),
            None => self.head(images),
        }
    }

    /// Panics unless `images` is `[N, in_channels, image_size, image_size]`.
    pub(crate) fn check_input(&self, images: &Tensor<4>) {
        let [n, c, h, w] = images.dims();
        assert!(
            [c, h, w] == self.input_shape,
            "vgg expects images of shape [N, {}, {}, {}], got [{n}, {c}, {h}, {w}]",
            self.input_shape[0],
            self.input_shape[1],
            self.input_shape[2]
        );
    }

    /// The forward pass from the first block's convolution output (before its batch norm).
    fn forward_after_first(&self, first: Tensor<4>) -> Tensor<2> {
        let mut x = first;
        for (i, block) in self.features.iter().enumerate() {
            x = match i {
                0 => block.after_conv(x),
                _ => block.forward(x),
            };
        }
        self.head(x)
    }

    /// The fully connected part, from the last feature map.
    fn head(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x: Tensor<2> = x.flatten(1, 3);
        if let Some(fc) = &self.fc {
            x = fc.forward(x);
        }
        crate::linear::linear_layer(&self.classifier, x)
    }

    /// Number of classes (outputs).
    pub fn num_classes(&self) -> usize {
        self.classifier.weight.lazy_shape().dims::<2>()[1]
    }

    /// Number of trainable parameters: [`Module::num_params`] without the batch-norm running
    /// mean and variance (which Burn stores as `RunningState` and counts as parameters).
    /// Equals PyTorch's `sum(p.numel() for p in m.parameters())`.
    pub fn num_trainable_params(&self) -> usize {
        let norms = self
            .features
            .iter()
            .filter_map(|b| b.norm.as_ref())
            .chain(self.fc.as_ref().and_then(|fc| fc.norm.as_ref()));
        // Running mean and variance have one entry per feature, like `gamma`.
        let running: usize = norms.map(|bn| 2 * bn.gamma.num_params()).sum();
        self.num_params() - running
    }
}

impl ImageClassifier for Vgg {
    fn logits(&self, images: Tensor<4>) -> Tensor<2> {
        self.forward(images)
    }

    /// The first block's convolution (checking the image shape as [`Vgg::forward`] does).
    fn input_layer(&self, images: Tensor<4>) -> Option<crate::InputLayerOutput> {
        let first = self.features.first()?;
        self.check_input(&images);
        Some(crate::InputLayerOutput::Maps(crate::conv::conv2d_layer(
            &first.conv,
            images,
        )))
    }

    fn logits_after_input_layer(&self, first: crate::InputLayerOutput) -> Option<Tensor<2>> {
        match first {
            crate::InputLayerOutput::Maps(x) if !self.features.is_empty() => {
                Some(self.forward_after_first(x))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::excessive_precision)] // reference values pasted from PyTorch
mod tests {
    use super::*;
    use crate::test_utils::{set_batch_norm, set_conv, set_linear, wave_tensor};
    use burn::tensor::{TensorData, Tolerance};

    fn device() -> Device {
        Device::flex()
    }

    #[test]
    fn output_shapes_every_depth_bn_on_off_cifar_and_mnist() {
        let device = device();
        for depth in VggDepth::ALL {
            for batch_norm in [true, false] {
                for (channels, size) in [(3, 32), (1, 28)] {
                    let config = VggConfig::new(depth)
                        .with_batch_norm(batch_norm)
                        .with_width(0.125)
                        .with_in_channels(channels)
                        .with_image_size(size)
                        .with_num_classes(7);
                    let vgg = config.init(&device).expect("valid config");
                    let logits = vgg.logits(Tensor::zeros([2, channels, size, size], &device));
                    assert_eq!(logits.dims(), [2, 7], "{}", config.describe());
                    assert_eq!(vgg.num_classes(), 7);
                }
            }
        }
    }

    #[test]
    fn pools_stop_at_one_pixel() {
        let vgg11 = VggConfig::new(VggDepth::Vgg11);
        assert_eq!(vgg11.final_size(), 1);
        assert_eq!(vgg11.clone().with_image_size(28).final_size(), 1); // 28-14-7-3-1, 5th skipped
        assert_eq!(vgg11.clone().with_image_size(1).final_size(), 1); // no pool at all
        assert_eq!(vgg11.with_image_size(64).final_size(), 2);
        let vgg9 = VggConfig::new(VggDepth::Vgg9);
        assert_eq!(vgg9.final_size(), 4);
        assert_eq!(vgg9.with_image_size(28).final_size(), 3);

        let device = device();
        let tiny = VggConfig::new(VggDepth::Vgg19)
            .with_width(0.0625)
            .with_image_size(4)
            .init(&device)
            .expect("valid config");
        let pools = tiny.features.iter().filter(|b| b.pool.is_some()).count();
        assert_eq!(pools, 2); // 4 -> 2 -> 1, then no more
        assert_eq!(
            tiny.forward(Tensor::zeros([1, 3, 4, 4], &device)).dims(),
            [1, 10]
        );
    }

    #[test]
    fn width_scaling_rounds_half_up_and_keeps_one_channel() {
        let config = VggConfig::new(VggDepth::Vgg11).with_width(0.25);
        assert_eq!(config.conv_channels(), [16, 32, 64, 64, 128, 128, 128, 128]);
        let config = config.with_width(0.01); // 64 * 0.01 = 0.64 -> 1, 512 * 0.01 = 5.12 -> 5
        assert_eq!(config.conv_channels(), [1, 1, 3, 3, 5, 5, 5, 5]);
        let config = config.with_width(1.0 / 128.0); // 0.5 -> 1 (half up), 4 -> 4
        assert_eq!(config.conv_channels(), [1, 1, 2, 2, 4, 4, 4, 4]);
    }

    #[test]
    #[should_panic(expected = "vgg expects images of shape [N, 1, 28, 28], got [2, 3, 32, 32]")]
    fn forward_panics_on_wrong_image_shape() {
        let device = device();
        let vgg = VggConfig::new(VggDepth::Vgg11)
            .with_width(0.125)
            .with_in_channels(1)
            .with_image_size(28)
            .init(&device)
            .expect("valid config");
        let _ = vgg.forward(Tensor::zeros([2, 3, 32, 32], &device));
    }

    #[test]
    fn invalid_configs_are_errors_naming_the_field() {
        let device = device();
        let base = VggConfig::new(VggDepth::Vgg11);
        let cases = [
            (
                base.clone().with_num_classes(0),
                ModelError::ZeroSize {
                    field: "num_classes",
                },
            ),
            (
                base.clone().with_in_channels(0),
                ModelError::ZeroSize {
                    field: "in_channels",
                },
            ),
            (
                base.clone().with_image_size(0),
                ModelError::ZeroSize {
                    field: "image_size",
                },
            ),
            (
                base.clone().with_width(0.0),
                ModelError::InvalidWidth { width: 0.0 },
            ),
            (
                base.clone().with_width(-0.5),
                ModelError::InvalidWidth { width: -0.5 },
            ),
            (
                base.clone().with_width(f64::INFINITY),
                ModelError::InvalidWidth {
                    width: f64::INFINITY,
                },
            ),
        ];
        for (config, want) in cases {
            assert_eq!(config.init(&device).err(), Some(want));
        }
        let nan = base.with_width(f64::NAN).init(&device);
        assert!(matches!(nan, Err(ModelError::InvalidWidth { width }) if width.is_nan()));
        let message = VggConfig::new(VggDepth::Vgg9)
            .with_width(0.0)
            .validate()
            .expect_err("invalid config");
        assert_eq!(
            message.to_string(),
            "`width` must be finite and greater than 0, got 0"
        );
    }

    #[test]
    fn describe() {
        let config = VggConfig::new(VggDepth::Vgg11).with_width(0.25);
        assert_eq!(config.describe(), "vgg11-bn x0.25 (3x32x32 -> 10)");
        let config = VggConfig::new(VggDepth::Vgg9)
            .with_batch_norm(false)
            .with_in_channels(1)
            .with_image_size(28);
        assert_eq!(config.describe(), "vgg9 x1 (1x28x28 -> 10)");
    }

    // Parameter counts from PyTorch 2.15: crates/descent-models/scripts/torch_param_counts.py
    // (checked against the unmodified kuangliu and loss-landscape classes at width 1, 3x32x32:
    // VGG11 9231114, VGG13 9416010, VGG16 14728266, VGG19 20040522, VGG9 2789706). Abridged:
    //
    // def scale(c, width):
    //     return max(1, int(math.floor(c * width + 0.5)))
    // class VGG(nn.Module):
    //     def __init__(self, name, bn=True, width=1.0, in_channels=3, size=32, classes=10):
    //         super().__init__()
    //         layers, c_in = [], in_channels
    //         for x in CFG[name]:   # kuangliu's cfg lists, plus loss-landscape's 'VGG9'
    //             if x == 'M':
    //                 if size >= 2:
    //                     layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    //                     size //= 2
    //             else:
    //                 c = scale(x, width)
    //                 layers.append(nn.Conv2d(c_in, c, kernel_size=3, padding=1))
    //                 if bn:
    //                     layers.append(nn.BatchNorm2d(c))
    //                 layers.append(nn.ReLU(inplace=True))
    //                 c_in = c
    //         self.features = nn.Sequential(*layers)
    //         flat = c_in * size * size
    //         if name == 'vgg9':
    //             hidden = scale(256, width)
    //             fc = [nn.Linear(flat, hidden)] + ([nn.BatchNorm1d(hidden)] if bn else []) \
    //                  + [nn.ReLU(inplace=True)]
    //             self.fc = nn.Sequential(*fc)
    //             flat = hidden
    //         else:
    //             self.fc = nn.Identity()
    //         self.classifier = nn.Linear(flat, classes)
    // def count(m):
    //     return sum(p.numel() for p in m.parameters())  # excludes BN running stats (buffers)
    // for name in CFG:
    //     for bn in (True, False):
    //         for width in (1.0, 0.25, 0.125):
    //             for (c, s) in ((3, 32), (1, 28)):
    //                 m = VGG(name, bn=bn, width=width, in_channels=c, size=s)
    //                 print(f'("{name}", {str(bn).lower()}, {width}, {c}, {s}, {count(m)}),')
    #[rustfmt::skip]
    const TORCH_PARAM_COUNTS: [(&str, bool, f64, usize, usize, usize); 60] = [
            ("vgg9", true, 1.0, 3, 32, 2789706),
            ("vgg9", true, 1.0, 1, 28, 2329802),
            ("vgg9", true, 0.25, 3, 32, 175962),
            ("vgg9", true, 0.25, 1, 28, 147002),
            ("vgg9", true, 0.125, 3, 32, 44530),
            ("vgg9", true, 0.125, 1, 28, 37218),
            ("vgg9", false, 1.0, 3, 32, 2786890),
            ("vgg9", false, 1.0, 1, 28, 2326986),
            ("vgg9", false, 0.25, 3, 32, 175258),
            ("vgg9", false, 0.25, 1, 28, 146298),
            ("vgg9", false, 0.125, 3, 32, 44178),
            ("vgg9", false, 0.125, 1, 28, 36866),
            ("vgg11", true, 1.0, 3, 32, 9231114),
            ("vgg11", true, 1.0, 1, 28, 9229962),
            ("vgg11", true, 0.25, 3, 32, 579786),
            ("vgg11", true, 0.25, 1, 28, 579498),
            ("vgg11", true, 0.125, 3, 32, 145898),
            ("vgg11", true, 0.125, 1, 28, 145754),
            ("vgg11", false, 1.0, 3, 32, 9225610),
            ("vgg11", false, 1.0, 1, 28, 9224458),
            ("vgg11", false, 0.25, 3, 32, 578410),
            ("vgg11", false, 0.25, 1, 28, 578122),
            ("vgg11", false, 0.125, 3, 32, 145210),
            ("vgg11", false, 0.125, 1, 28, 145066),
            ("vgg13", true, 1.0, 3, 32, 9416010),
            ("vgg13", true, 1.0, 1, 28, 9414858),
            ("vgg13", true, 0.25, 3, 32, 591450),
            ("vgg13", true, 0.25, 1, 28, 591162),
            ("vgg13", true, 0.125, 3, 32, 148850),
            ("vgg13", true, 0.125, 1, 28, 148706),
            ("vgg13", false, 1.0, 3, 32, 9410122),
            ("vgg13", false, 1.0, 1, 28, 9408970),
            ("vgg13", false, 0.25, 3, 32, 589978),
            ("vgg13", false, 0.25, 1, 28, 589690),
            ("vgg13", false, 0.125, 3, 32, 148114),
            ("vgg13", false, 0.125, 1, 28, 147970),
            ("vgg16", true, 1.0, 3, 32, 14728266),
            ("vgg16", true, 1.0, 1, 28, 14727114),
            ("vgg16", true, 0.25, 3, 32, 924186),
            ("vgg16", true, 0.25, 1, 28, 923898),
            ("vgg16", true, 0.125, 3, 32, 232274),
            ("vgg16", true, 0.125, 1, 28, 232130),
            ("vgg16", false, 1.0, 3, 32, 14719818),
            ("vgg16", false, 1.0, 1, 28, 14718666),
            ("vgg16", false, 0.25, 3, 32, 922074),
            ("vgg16", false, 0.25, 1, 28, 921786),
            ("vgg16", false, 0.125, 3, 32, 231218),
            ("vgg16", false, 0.125, 1, 28, 231074),
            ("vgg19", true, 1.0, 3, 32, 20040522),
            ("vgg19", true, 1.0, 1, 28, 20039370),
            ("vgg19", true, 0.25, 3, 32, 1256922),
            ("vgg19", true, 0.25, 1, 28, 1256634),
            ("vgg19", true, 0.125, 3, 32, 315698),
            ("vgg19", true, 0.125, 1, 28, 315554),
            ("vgg19", false, 1.0, 3, 32, 20029514),
            ("vgg19", false, 1.0, 1, 28, 20028362),
            ("vgg19", false, 0.25, 3, 32, 1254170),
            ("vgg19", false, 0.25, 1, 28, 1253882),
            ("vgg19", false, 0.125, 3, 32, 314322),
            ("vgg19", false, 0.125, 1, 28, 314178),
    ];

    #[test]
    fn param_counts_match_pytorch() {
        let device = device();
        for (name, batch_norm, width, channels, size, torch_count) in TORCH_PARAM_COUNTS {
            let config = VggConfig::new(name.parse().expect("known depth"))
                .with_batch_norm(batch_norm)
                .with_width(width)
                .with_in_channels(channels)
                .with_image_size(size);
            let what = config.describe();
            assert_eq!(config.num_params(), torch_count, "config count of {what}");
            // Parameters are lazy: building even the width-1 VGG-19 allocates no weights.
            let vgg = config.init(&device).expect("valid config");
            assert_eq!(
                vgg.num_trainable_params(),
                torch_count,
                "module count of {what}"
            );
            // Burn's count also includes the BN running mean and variance (PyTorch buffers).
            let running: usize = vgg
                .features
                .iter()
                .filter_map(|b| b.norm.as_ref())
                .chain(vgg.fc.as_ref().and_then(|fc| fc.norm.as_ref()))
                .map(|bn| 2 * bn.beta.lazy_shape().num_elements())
                .sum();
            assert_eq!(running > 0, batch_norm);
            assert_eq!(
                vgg.num_params(),
                torch_count + running,
                "burn count of {what}"
            );
        }
    }

    /// Writes the deterministic weights of `scripts/torch_logits.py` into a VGG.
    fn set_weights(vgg: &mut Vgg, device: &Device) {
        for (i, block) in vgg.features.iter_mut().enumerate() {
            set_conv(&mut block.conv, 10.0 + i as f64, device);
            if let Some(norm) = &mut block.norm {
                set_batch_norm(norm, 50.0 + i as f64, device);
            }
        }
        if let Some(fc) = &mut vgg.fc {
            set_linear(&mut fc.linear, 90.0, device);
            if let Some(norm) = &mut fc.norm {
                set_batch_norm(norm, 95.0, device);
            }
        }
        set_linear(&mut vgg.classifier, 99.0, device);
    }

    // The same weights in PyTorch 2.15: crates/descent-models/scripts/torch_logits.py. The
    // network is the `VGG` of the parameter-count test at width 1/32 with `wave` weights
    // (see test_utils.rs), conv i seeded 10 + i, BN i 50 + i, VGG-9's fc 90 and its BN1d 95,
    // classifier 99:
    //
    // def set_conv(m, seed):
    //     o, i, kh, kw = m.weight.shape
    //     m.weight.data = wave((o, i, kh, kw), seed, 2 / math.sqrt(i * kh * kw))
    //     m.bias.data = wave((o,), seed + 0.5, 0.1)
    // def set_bn(m, seed):
    //     c = m.weight.shape[0]
    //     m.weight.data = wave((c,), seed, 0.2) + 1
    //     m.bias.data = wave((c,), seed + 1, 0.1)
    //     m.running_mean.data = wave((c,), seed + 2, 0.1)
    //     m.running_var.data = wave((c,), seed + 3, 0.3) + 1
    // for (name, bn, c_in, size) in (('vgg11', True, 3, 32), ('vgg11', False, 3, 32),
    //                                ('vgg9', True, 1, 28), ('vgg9', False, 1, 28)):
    //     net = vgg(name, bn, 1 / 32, c_in, size)
    //     x = wave((4, c_in, size, size), 0.7, 1.0)
    //     with torch.no_grad():
    //         net.eval(); print(name, bn, 'eval', net(x))
    //         if bn:
    //             net.train(); print(name, bn, 'train', net(x))
    #[rustfmt::skip]
    const TORCH_LOGITS: [(&str, bool, bool, [[f32; 10]; 4]); 6] = [
        ("vgg11", true, false, [[-2.3548660, -4.7491579, -6.5235748, -7.4467845, -7.3985257, -6.3852677, -4.5393434, -2.1016691, 0.6096995, 3.2410705], [-2.8753359, -5.1866527, -6.8210173, -7.5653739, -7.3227882, -6.1250854, -4.1286578, -1.5940603, 1.1480099, 3.7398541], [-3.0872152, -6.0361452, -8.1972990, -9.2888937, -9.1686945, -7.8525624, -5.5123401, -2.4534314, 0.9250641, 4.1824160], [-2.0443094, -4.2998047, -5.9940448, -6.9061627, -6.9173408, -6.0262933, -4.3494148, -2.1055629, 0.4124920, 2.8762767]]),
        ("vgg11", true, true, [[-0.3649974, -0.3713975, -0.3290451, -0.2436254, -0.1264609, 0.0069896, 0.1391715, 0.2527436, 0.3328543, 0.3690833], [0.3870280, 0.3828152, 0.3289605, 0.2323294, 0.1053499, -0.0355853, -0.1722348, -0.2868683, -0.3645651, -0.3951585], [-0.4275187, -0.7498946, -0.9741390, -1.0711576, -1.0284709, -0.8518221, -0.5644015, -0.2038024, 0.1828963, 0.5452769], [-0.2483616, -0.4290177, -0.5534041, -0.6054530, -0.5785532, -0.4763878, -0.3124292, -0.1081645, 0.1097225, 0.3128380]]),
        ("vgg11", false, false, [[0.0800401, -0.0182169, -0.1137970, -0.1943910, -0.2496635, -0.2725771, -0.2602871, -0.2144930, -0.1412050, -0.0499528], [0.7594982, 0.6343967, 0.4268312, 0.1637212, -0.1207863, -0.3897474, -0.6082197, -0.7477965, -0.7903047, -0.7301664], [-0.2725003, -0.5280808, -0.7144683, -0.8075057, -0.7952346, -0.6794303, -0.4753429, -0.2096957, 0.0828192, 0.3640724], [-0.3708164, -0.6930749, -0.9246143, -1.0353887, -1.0111248, -0.8551617, -0.5879906, -0.2445636, 0.1302804, 0.4876705]]),
        ("vgg9", true, false, [[-0.4679368, 0.3710898, -0.4972637, 0.4971603, -0.4504547, 0.5552715, -0.3619221, 0.5122629, -0.2626072, 0.3631668], [-0.5558093, 0.4800514, -0.6237310, 0.6369744, -0.5990178, 0.7076980, -0.5131995, 0.6574162, -0.3968630, 0.4821103], [-0.4131236, 0.3031126, -0.4183579, 0.4099209, -0.3577504, 0.4601510, -0.2675136, 0.4216708, -0.1788108, 0.2889218], [-0.4160767, 0.3070275, -0.4231058, 0.4153455, -0.3636737, 0.4663780, -0.2738394, 0.4278875, -0.1847140, 0.2943172]]),
        ("vgg9", true, true, [[-2.2854037, 2.5243638, -2.9155333, 3.1008995, -3.1540391, 3.2697926, -2.9981112, 2.9834287, -2.4874842, 2.2685893], [-0.3865020, 0.5719354, -0.9737846, 1.2336861, -1.4227644, 1.7313904, -1.7031729, 1.9745382, -1.7978196, 1.9208301], [-0.1349415, 0.0641400, -0.2264533, 0.2713952, -0.2771592, 0.4401444, -0.3087496, 0.5227934, -0.3364944, 0.4979810], [0.0743202, 0.1344966, -0.5741146, 0.8849281, -1.1363875, 1.5168121, -1.5674500, 1.9221338, -1.8304569, 2.0374358]]),
        ("vgg9", false, false, [[-0.2324613, 0.0951248, -0.1898843, 0.1684749, -0.1112722, 0.2167460, -0.0351863, 0.2080614, 0.0090561, 0.1329754], [-0.2227047, 0.0786897, -0.1673111, 0.1405060, -0.0788273, 0.1808921, 0.0028976, 0.1690000, 0.0478105, 0.0958025], [-0.2219223, 0.0786656, -0.1680462, 0.1419760, -0.0809840, 0.1836645, -0.0003993, 0.1727130, 0.0438035, 0.0999717], [-0.2533455, 0.1170498, -0.2121290, 0.1903078, -0.1319753, 0.2356386, -0.0516469, 0.2215488, -0.0010145, 0.1392981]]),
    ];

    #[test]
    fn logits_match_pytorch_eval_and_train_mode() {
        for (name, batch_norm, train, want) in TORCH_LOGITS {
            let depth: VggDepth = name.parse().expect("known depth");
            let (channels, size) = if depth == VggDepth::Vgg9 {
                (1, 28)
            } else {
                (3, 32)
            };
            // Batch statistics are used only in training mode on an autodiff device.
            let device = if train { device().autodiff() } else { device() };
            let mut vgg = VggConfig::new(depth)
                .with_batch_norm(batch_norm)
                .with_width(1.0 / 32.0)
                .with_in_channels(channels)
                .with_image_size(size)
                .init(&device)
                .expect("valid config");
            set_weights(&mut vgg, &device);
            let images = wave_tensor([4, channels, size, size], 0.7, 1.0, &device);
            let logits = vgg.forward(images);
            logits
                .into_data()
                .assert_approx_eq::<f32>(&TensorData::from(want), Tolerance::absolute(1e-4));
        }
    }
}
