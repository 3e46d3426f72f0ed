//! A network with its activation pattern fixed: the smooth function whose derivatives at a
//! point are the ones autodiff reports there.
//!
//! A network of ReLUs and max-pools is piecewise smooth in its weights: where a unit's input
//! crosses 0, or another input of a pooling window becomes the largest, its gradient jumps.
//! Autodiff's double backward (PyTorch's, PyHessian's) does not see the jumps: it takes ReLU's
//! derivative as a constant mask (`ReLU'' = 0`) and routes a max-pool's gradient to the input
//! that won at the point. That is the Hessian of the network *with its activation pattern
//! fixed*, which is what [`ActivationPattern`] evaluates:
//!
//! - [`ActivationPattern::record`] runs the model on a batch and keeps, for every ReLU, the mask
//!   `1[z > 0]` (leaky ReLU: `1` or its slope) and, for every max-pool, which input won each
//!   window;
//! - [`ActivationPattern::logits`] runs the model again with those choices fixed: each ReLU
//!   multiplies its input by its mask, each max-pool takes the recorded inputs. At the weights
//!   where the pattern was recorded the logits are the model's (to rounding: the model's own
//!   forward pass uses fused kernels); around them they are a smooth function of the weights.
//!
//! Finite differences of gradients of that function converge to autodiff's Hessian-vector
//! products, where across the kinks they are wrong by `O(1) / h` (`descent-landscape`'s
//! curvature tools use this). Smooth activations (tanh, sigmoid, GELU) are applied as they are;
//! batch norm, convolutions, average pooling and the linear layers too, in whatever mode the
//! module is (evaluation mode, running statistics, is the one whose pattern means something:
//! in training mode batch statistics couple the images).
//!
//! ```
//! use burn::tensor::{Device, Distribution, Tensor};
//! use descent_models::{ActivationPattern, ImageClassifier, ModelConfig, VggConfig, VggDepth};
//!
//! let device = Device::flex();
//! let config = VggConfig::new(VggDepth::Vgg11)
//!     .with_width(0.0625)
//!     .with_in_channels(1)
//!     .with_image_size(8);
//! let model = ModelConfig::from(config).init(&device)?;
//! let images = Tensor::<4>::random([4, 1, 8, 8], Distribution::Default, &device);
//! let pattern = ActivationPattern::record(&model, images.clone());
//! let fixed = pattern.logits(&model, images.clone())?;
//! let plain = model.logits(images);
//! assert!(fixed.sub(plain).abs().max().into_scalar::<f32>() < 1e-4);
//! # Ok::<(), descent_models::ModelError>(())
//! ```

use burn::nn::PaddingConfig2d;
use burn::nn::pool::MaxPool2d;
use burn::tensor::module::max_pool2d_with_indices;
use burn::tensor::ops::MaxPoolOptions;
use burn::tensor::{Bool, DType, Int, Tensor};

use crate::error::ModelError;
use crate::linear::linear_layer;
use crate::norm::batch_norm_layer;
use crate::resnet::BasicBlock;
use crate::{Activation, Mlp, Model, ResNet, Vgg};

/// The activation pattern of a model at one batch of images: every ReLU's mask and every
/// max-pool's winners, in the order the forward pass meets them (see the [module
/// docs](crate::pattern)).
#[derive(Debug, Clone)]
pub struct ActivationPattern {
    kinks: Vec<Kink>,
}

/// One recorded choice. ReLU masks are kept as booleans (one byte an activation, where a
/// float mask would take four or eight) and turned into factors when replayed.
#[derive(Debug, Clone)]
enum Kink {
    /// A ReLU on feature maps: `[N, C, H, W]`, true where the unit passes its input, and the
    /// slope elsewhere (0, or a leaky ReLU's).
    Maps(Tensor<4, Bool>, f64),
    /// A ReLU on features: `[N, D]`, as [`Kink::Maps`].
    Features(Tensor<2, Bool>, f64),
    /// A max-pool: for each output `[N, C, OH, OW]`, the flat index `row * W + col` of the input
    /// that won its window.
    Pool(Tensor<4, Int>),
}

impl Kink {
    fn describe(&self) -> String {
        match self {
            Kink::Maps(m, _) => format!("a ReLU on maps {:?}", m.dims()),
            Kink::Features(m, _) => format!("a ReLU on features {:?}", m.dims()),
            Kink::Pool(i) => format!("a max-pool to {:?}", i.dims()),
        }
    }
}

impl ActivationPattern {
    /// The pattern of `model` at `images` (`[N, C, H, W]`, the shape the model takes), on the
    /// images' device.
    ///
    /// # Panics
    ///
    /// As the model's forward pass does, for images of another shape.
    pub fn record(model: &Model, images: Tensor<4>) -> ActivationPattern {
        let mut record = Record { kinks: Vec::new() };
        let _ = forward(model, images, &mut record);
        ActivationPattern {
            kinks: record.kinks,
        }
    }

    /// The logits of `model` at `images` with this pattern fixed (see the [module
    /// docs](crate::pattern)). The model may have other weights than the ones the pattern was
    /// recorded at (that is the point), but the same architecture, and the images the same
    /// shape (and, to mean anything, the same images).
    ///
    /// # Errors
    ///
    /// [`ModelError::PatternMismatch`] if the pattern was recorded on another architecture or
    /// batch shape.
    pub fn logits(&self, model: &Model, images: Tensor<4>) -> Result<Tensor<2>, ModelError> {
        let mut replay = Replay {
            kinks: &self.kinks,
            next: 0,
            error: None,
        };
        let logits = forward(model, images, &mut replay);
        if let Some(reason) = replay.error {
            return Err(ModelError::PatternMismatch { reason });
        }
        if replay.next != self.kinks.len() {
            return Err(ModelError::PatternMismatch {
                reason: format!(
                    "the pattern has {} kinks, the model met {}",
                    self.kinks.len(),
                    replay.next
                ),
            });
        }
        Ok(logits)
    }

    /// The pattern on another device (e.g. recorded without autodiff, replayed with it).
    pub fn to_device(&self, device: &burn::tensor::Device) -> ActivationPattern {
        let kinks = self
            .kinks
            .iter()
            .map(|k| match k {
                Kink::Maps(m, slope) => Kink::Maps(m.clone().to_device(device), *slope),
                Kink::Features(m, slope) => Kink::Features(m.clone().to_device(device), *slope),
                Kink::Pool(i) => Kink::Pool(i.clone().to_device(device)),
            })
            .collect();
        ActivationPattern { kinks }
    }

    /// How many ReLUs and max-pools were recorded.
    pub fn len(&self) -> usize {
        self.kinks.len()
    }

    /// Whether nothing was recorded (a model without ReLUs or max-pools: its loss is smooth).
    pub fn is_empty(&self) -> bool {
        self.kinks.is_empty()
    }
}

/// What the forward pass does at a kink: decide it ([`Record`]) or take a decision
/// ([`Replay`]).
trait Kinks {
    /// A (leaky, with `slope`) ReLU on feature maps.
    fn relu_maps(&mut self, x: Tensor<4>, slope: f64) -> Tensor<4>;
    /// A (leaky, with `slope`) ReLU on features.
    fn relu_features(&mut self, x: Tensor<2>, slope: f64) -> Tensor<2>;
    /// A max-pool.
    fn max_pool(&mut self, pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4>;
}

/// Where a (leaky) ReLU at `z` passes its input: `z > 0`.
fn passes<const D: usize>(z: &Tensor<D>) -> Tensor<D, Bool> {
    z.clone().greater_elem(0.0)
}

/// The factors of a ReLU mask for an input of `dtype`: 1 where it passes, `slope` elsewhere.
fn factors<const D: usize>(passes: &Tensor<D, Bool>, slope: f64, dtype: DType) -> Tensor<D> {
    let positive = passes.clone().float().cast(dtype);
    if slope == 0.0 {
        positive
    } else {
        positive.mul_scalar(1.0 - slope).add_scalar(slope)
    }
}

/// Records each kink's decision.
struct Record {
    kinks: Vec<Kink>,
}

impl Kinks for Record {
    fn relu_maps(&mut self, x: Tensor<4>, slope: f64) -> Tensor<4> {
        let m = passes(&x);
        let f = factors(&m, slope, x.dtype());
        self.kinks.push(Kink::Maps(m, slope));
        x * f
    }

    fn relu_features(&mut self, x: Tensor<2>, slope: f64) -> Tensor<2> {
        let m = passes(&x);
        let f = factors(&m, slope, x.dtype());
        self.kinks.push(Kink::Features(m, slope));
        x * f
    }

    fn max_pool(&mut self, pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
        let [_, _, h, w] = x.dims();
        let (ph, pw) = padding_pairs(pool, h, w);
        // The options MaxPool2d::forward builds.
        let options = MaxPoolOptions::new(pool.kernel_size)
            .with_stride(pool.stride)
            .with_padding_pairs([ph, pw])
            .with_dilation(pool.dilation)
            .with_ceil_mode(pool.ceil_mode);
        let (out, indices) = max_pool2d_with_indices(x, options);
        self.kinks.push(Kink::Pool(indices));
        out
    }
}

/// The padding `((top, bottom), (left, right))` of `pool` on an `h x w` input, as Burn's
/// `PaddingConfig2d::calculate_padding_2d_pairs` (crate-private) computes it for
/// `MaxPool2d::forward`.
fn padding_pairs(pool: &MaxPool2d, h: usize, w: usize) -> ((usize, usize), (usize, usize)) {
    let same = |kernel: usize, stride: usize, size: usize| {
        let out = size.div_ceil(stride);
        let total = if out > 0 {
            ((out - 1) * stride + kernel).saturating_sub(size)
        } else {
            0
        };
        (total / 2, total - total / 2)
    };
    match pool.padding {
        PaddingConfig2d::Valid => ((0, 0), (0, 0)),
        PaddingConfig2d::Same => (
            same(pool.kernel_size[0], pool.stride[0], h),
            same(pool.kernel_size[1], pool.stride[1], w),
        ),
        PaddingConfig2d::Explicit(top, left, bottom, right) => ((top, bottom), (left, right)),
    }
}

/// Applies recorded decisions in order; the first mismatch is kept in `error` (the forward
/// pass goes on with the input unchanged, and its result is discarded).
struct Replay<'a> {
    kinks: &'a [Kink],
    next: usize,
    error: Option<String>,
}

impl Replay<'_> {
    fn take(&mut self) -> Option<&Kink> {
        let kink = self.kinks.get(self.next);
        self.next += 1;
        kink
    }

    fn mismatch(&mut self, wanted: String) {
        if self.error.is_none() {
            let found = match self.kinks.get(self.next - 1) {
                Some(k) => k.describe(),
                None => "the end of the pattern".into(),
            };
            self.error = Some(format!(
                "kink {} of the forward pass is {wanted}, the pattern has {found}",
                self.next
            ));
        }
    }
}

impl Kinks for Replay<'_> {
    fn relu_maps(&mut self, x: Tensor<4>, _slope: f64) -> Tensor<4> {
        match self.take() {
            Some(Kink::Maps(m, slope)) if m.dims() == x.dims() => {
                let f = factors(m, *slope, x.dtype());
                x * f
            }
            _ => {
                self.mismatch(format!("a ReLU on maps {:?}", x.dims()));
                x
            }
        }
    }

    fn relu_features(&mut self, x: Tensor<2>, _slope: f64) -> Tensor<2> {
        match self.take() {
            Some(Kink::Features(m, slope)) if m.dims() == x.dims() => {
                let f = factors(m, *slope, x.dtype());
                x * f
            }
            _ => {
                self.mismatch(format!("a ReLU on features {:?}", x.dims()));
                x
            }
        }
    }

    fn max_pool(&mut self, pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
        let [n, c, h, w] = x.dims();
        match self.take() {
            Some(Kink::Pool(indices)) if indices.dims()[..2] == [n, c] => {
                let [_, _, oh, ow] = indices.dims();
                let indices = indices.clone().reshape([n, c, oh * ow]);
                x.reshape([n, c, h * w])
                    .gather(2, indices)
                    .reshape([n, c, oh, ow])
            }
            _ => {
                self.mismatch(format!("a max-pool of {:?}", x.dims()));
                // Keep the shapes flowing so the pass ends; its result is discarded.
                crate::pool::max_pool_layer(pool, x)
            }
        }
    }
}

/// The logits of `model` at `images`, each kink handled by `kinks`.
fn forward(model: &Model, images: Tensor<4>, kinks: &mut impl Kinks) -> Tensor<2> {
    match model {
        Model::Mlp(m) => mlp(m, images, kinks),
        Model::Vgg(m) => vgg(m, images, kinks),
        Model::ResNet(m) => resnet(m, images, kinks),
    }
}

/// [`Mlp::forward`] on flattened images.
fn mlp(m: &Mlp, images: Tensor<4>, kinks: &mut impl Kinks) -> Tensor<2> {
    let [n, c, h, w] = images.dims();
    let mut x = images.reshape([n, c * h * w]);
    for layer in &m.hidden {
        let z = linear_layer(layer, x);
        x = match m.activation {
            Activation::Relu => kinks.relu_features(z, 0.0),
            Activation::LeakyRelu => kinks.relu_features(z, Activation::LEAKY_RELU_SLOPE),
            Activation::Tanh | Activation::Sigmoid | Activation::Gelu => m.activation.forward(z),
        };
        if let Some(dropout) = &m.dropout {
            x = dropout.forward(x);
        }
    }
    linear_layer(&m.output, x)
}

/// [`Vgg::forward`], unfused.
fn vgg(m: &Vgg, images: Tensor<4>, kinks: &mut impl Kinks) -> Tensor<2> {
    m.check_input(&images);
    let mut x = images;
    for block in &m.features {
        x = crate::conv::conv2d_layer(&block.conv, x);
        if let Some(norm) = &block.norm {
            x = batch_norm_layer(norm, x);
        }
        x = kinks.relu_maps(x, 0.0);
        if let Some(pool) = &block.pool {
            x = kinks.max_pool(pool, x);
        }
    }
    let mut x: Tensor<2> = x.flatten(1, 3);
    if let Some(fc) = &m.fc {
        x = linear_layer(&fc.linear, x);
        if let Some(norm) = &fc.norm {
            x = batch_norm_layer(norm, x);
        }
        x = kinks.relu_features(x, 0.0);
    }
    linear_layer(&m.classifier, x)
}

/// [`ResNet::forward`], unfused.
fn resnet(m: &ResNet, images: Tensor<4>, kinks: &mut impl Kinks) -> Tensor<2> {
    m.check_input(&images);
    let x = crate::conv::conv2d_layer(&m.conv1, images);
    let mut x = kinks.relu_maps(batch_norm_layer(&m.bn1, x), 0.0);
    for block in m.layer1.iter().chain(&m.layer2).chain(&m.layer3) {
        x = basic_block(block, x, kinks);
    }
    let [n, c, h, w] = x.dims();
    let pooled: Tensor<2> = x.reshape([n, c, h * w]).mean_dim(2).reshape([n, c]);
    linear_layer(&m.linear, pooled)
}

/// [`BasicBlock::forward`], unfused.
fn basic_block(block: &BasicBlock, input: Tensor<4>, kinks: &mut impl Kinks) -> Tensor<4> {
    let out = crate::conv::conv2d_layer(&block.conv1, input.clone());
    let out = kinks.relu_maps(batch_norm_layer(&block.bn1, out), 0.0);
    let out = crate::conv::conv2d_layer(&block.conv2, out);
    let out = batch_norm_layer(&block.bn2, out);
    match block.residual(input) {
        Some(residual) => kinks.relu_maps(out.add(residual), 0.0),
        None => kinks.relu_maps(out, 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ImageClassifier, MlpConfig, ModelConfig, ResNetConfig, Shortcut, VggConfig};
    use crate::{VggDepth, test_utils::wave_tensor};
    use burn::tensor::Device;

    fn models() -> Vec<(&'static str, ModelConfig, [usize; 3])> {
        let vgg = |depth| {
            VggConfig::new(depth)
                .with_width(0.0625)
                .with_in_channels(1)
                .with_image_size(8)
        };
        let resnet = |shortcut| {
            ResNetConfig::new(8)
                .with_width(0.25)
                .with_shortcut(shortcut)
                .with_image_size(8)
        };
        vec![
            (
                "mlp relu",
                MlpConfig::new(12, vec![7, 5], 3).into(),
                [3, 2, 2],
            ),
            (
                "mlp leaky",
                MlpConfig::new(12, vec![7], 3)
                    .with_activation(Activation::LeakyRelu)
                    .into(),
                [3, 2, 2],
            ),
            (
                "mlp tanh",
                MlpConfig::new(12, vec![7], 3)
                    .with_activation(Activation::Tanh)
                    .into(),
                [3, 2, 2],
            ),
            ("vgg9", vgg(VggDepth::Vgg9).into(), [1, 8, 8]),
            ("vgg11", vgg(VggDepth::Vgg11).into(), [1, 8, 8]),
            (
                "vgg11 without batch norm",
                vgg(VggDepth::Vgg11).with_batch_norm(false).into(),
                [1, 8, 8],
            ),
            ("resnet8", resnet(Shortcut::Projection).into(), [3, 8, 8]),
            (
                "resnet8 zero-pad",
                resnet(Shortcut::ZeroPad).into(),
                [3, 8, 8],
            ),
            (
                "resnet8 no shortcuts",
                resnet(Shortcut::None).into(),
                [3, 8, 8],
            ),
        ]
    }

    /// At the point where it was recorded, the pattern gives the model's own logits (computed
    /// by the model's fused forward pass), for every architecture and shortcut.
    #[test]
    fn at_its_point_the_pattern_gives_the_models_logits() {
        let device = Device::flex();
        for (name, config, [c, h, w]) in models() {
            let model = config.init(&device).expect("valid");
            let images = wave_tensor([5, c, h, w], 0.37, 1.0, &device);
            let pattern = ActivationPattern::record(&model, images.clone());
            let expected_kinks = match name {
                "mlp relu" => 2,
                "mlp leaky" => 1,
                "mlp tanh" => 0,
                "vgg9" => 7 + 3 + 1, // seven convolutions, pools 8 -> 4 -> 2 -> 1, the hidden layer
                "vgg11" | "vgg11 without batch norm" => 8 + 3,
                _ => 1 + 3 * 2, // the stem, two per block
            };
            assert_eq!(pattern.len(), expected_kinks, "{name}");
            let fixed = pattern.logits(&model, images.clone()).expect("same model");
            let plain = model.logits(images);
            let diff = fixed.sub(plain).abs().max().into_scalar::<f32>();
            assert!(diff < 1e-5, "{name}: {diff}");
        }
    }

    /// Away from its point the pattern keeps its decisions: a ReLU whose input changes sign
    /// is not re-decided (here every bias is pushed down so every unit's input is negative,
    /// where the model's own ReLUs output zeros).
    #[test]
    fn away_from_its_point_the_decisions_stay() {
        let device = Device::flex();
        let model = ModelConfig::from(MlpConfig::new(12, vec![7], 3))
            .init(&device)
            .expect("valid");
        let images = wave_tensor([4, 3, 2, 2], 0.37, 1.0, &device);
        let pattern = ActivationPattern::record(&model, images.clone());
        let Model::Mlp(mut mlp) = model else {
            unreachable!()
        };
        let bias = mlp.hidden[0].bias.take().expect("a bias");
        mlp.hidden[0].bias = Some(bias.map(|t| t.sub_scalar(100.0)));
        let model = Model::Mlp(mlp);
        let fixed = pattern.logits(&model, images.clone()).expect("same model");
        let plain = model.logits(images);
        let diff = fixed.sub(plain).abs().max().into_scalar::<f32>();
        assert!(diff > 1.0, "the pattern was re-decided: {diff}");
    }

    /// A pattern replayed on another architecture or batch shape is a typed error, not a
    /// panic.
    #[test]
    fn another_model_or_batch_is_a_typed_error() {
        let device = Device::flex();
        let configs = models();
        let vgg = configs[4].1.init(&device).expect("valid");
        let resnet = configs[6].1.init(&device).expect("valid");
        let gray = wave_tensor([2, 1, 8, 8], 0.5, 1.0, &device);
        let pattern = ActivationPattern::record(&vgg, gray.clone());
        let err = pattern
            .logits(&resnet, wave_tensor([2, 3, 8, 8], 0.5, 1.0, &device))
            .expect_err("another architecture");
        assert!(matches!(err, ModelError::PatternMismatch { .. }), "{err}");
        let err = pattern
            .logits(&vgg, wave_tensor([3, 1, 8, 8], 0.5, 1.0, &device))
            .expect_err("another batch size");
        assert!(err.to_string().contains("kink 1"), "{err}");
        let empty = ActivationPattern::record(&configs[2].1.init(&device).expect("valid"), {
            wave_tensor([2, 3, 2, 2], 0.5, 1.0, &device)
        });
        assert!(empty.is_empty());
        let err = empty.logits(&vgg, gray).expect_err("too short");
        assert!(err.to_string().contains("end of the pattern"), "{err}");
    }
}
