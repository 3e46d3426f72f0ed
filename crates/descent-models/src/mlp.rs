//! Multi-layer perceptron: `Linear -> activation [-> dropout]` per hidden layer, then a linear
//! classifier. With no hidden layers it is multinomial logistic regression.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use crate::{Activation, ImageClassifier, ModelError};

/// Configuration of an [`Mlp`].
///
/// ```text
/// input_size -> hidden_sizes[0] -> ... -> hidden_sizes[k-1] -> num_classes
/// ```
///
/// Every hidden layer is `Linear -> activation -> dropout` (dropout only when configured); the
/// last layer is a plain `Linear` producing logits. An empty `hidden_sizes` gives multinomial
/// logistic regression (then `activation` and `dropout` have no effect).
///
/// Weights use Burn's `LinearConfig` default initializer, `KaimingUniform { gain: 1/sqrt(3) }`,
/// which draws weights *and* biases from `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`: the same
/// distribution as PyTorch's `nn.Linear` (`kaiming_uniform_(a=sqrt(5))` for the weight, the
/// same bound for the bias). Only the random stream differs.
#[derive(Config, Debug, PartialEq)]
pub struct MlpConfig {
    /// Number of input features; for images `C * H * W` (784 for 28x28x1, 3072 for 32x32x3).
    pub input_size: usize,
    /// Widths of the hidden layers, input side first; may be empty.
    pub hidden_sizes: Vec<usize>,
    /// Number of classes (outputs).
    pub num_classes: usize,
    /// Activation after each hidden layer.
    #[config(default = "Activation::Relu")]
    pub activation: Activation,
    /// Dropout probability in `[0, 1)` applied after each hidden activation; `None` for none.
    /// Active only in training mode on an autodiff device (Burn's `Dropout` semantics; kept
    /// values are scaled by `1 / (1 - p)` as in PyTorch).
    pub dropout: Option<f64>,
}

impl MlpConfig {
    /// Checks every field; [`MlpConfig::init`] calls this first.
    ///
    /// # Errors
    ///
    /// [`ModelError::ZeroSize`] for a zero `input_size` or `num_classes`,
    /// [`ModelError::ZeroHiddenSize`] for an empty hidden layer,
    /// [`ModelError::InvalidDropout`] for a dropout outside `[0, 1)` (or NaN).
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.input_size == 0 {
            return Err(ModelError::ZeroSize {
                field: "input_size",
            });
        }
        if self.num_classes == 0 {
            return Err(ModelError::ZeroSize {
                field: "num_classes",
            });
        }
        if let Some(index) = self.hidden_sizes.iter().position(|&h| h == 0) {
            return Err(ModelError::ZeroHiddenSize { index });
        }
        if let Some(prob) = self.dropout
            && !(0.0..1.0).contains(&prob)
        {
            return Err(ModelError::InvalidDropout { prob });
        }
        Ok(())
    }

    /// Builds the network on `device` (parameters are initialized lazily, on first use).
    ///
    /// # Errors
    ///
    /// See [`MlpConfig::validate`].
    pub fn init(&self, device: &Device) -> Result<Mlp, ModelError> {
        self.validate()?;
        let sizes = self.layer_sizes();
        let mut layers: Vec<Linear> = sizes
            .windows(2)
            .map(|w| LinearConfig::new(w[0], w[1]).init(device))
            .collect();
        let output = layers.pop().ok_or(ModelError::ZeroSize {
            field: "num_classes",
        })?;
        let dropout = match self.dropout {
            Some(prob) if prob > 0.0 && !layers.is_empty() => Some(DropoutConfig::new(prob).init()),
            _ => None,
        };
        Ok(Mlp {
            hidden: layers,
            output,
            activation: self.activation,
            dropout,
        })
    }

    /// All layer widths: `[input_size, hidden_sizes.., num_classes]`.
    pub fn layer_sizes(&self) -> Vec<usize> {
        let mut sizes = Vec::with_capacity(self.hidden_sizes.len() + 2);
        sizes.push(self.input_size);
        sizes.extend_from_slice(&self.hidden_sizes);
        sizes.push(self.num_classes);
        sizes
    }

    /// Number of trainable parameters (weights and biases), computed from the configuration
    /// without building the model. Equals PyTorch's `sum(p.numel() for p in m.parameters())`.
    pub fn num_params(&self) -> usize {
        self.layer_sizes()
            .windows(2)
            .map(|w| w[0] * w[1] + w[1])
            .sum()
    }

    /// A short human-readable summary, e.g. `mlp 784-256-128-10 relu dropout 0.5`, or
    /// `mlp 784-10 (logistic regression)` without hidden layers.
    pub fn describe(&self) -> String {
        let sizes = self
            .layer_sizes()
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("-");
        if self.hidden_sizes.is_empty() {
            return format!("mlp {sizes} (logistic regression)");
        }
        match self.dropout {
            Some(p) if p > 0.0 => format!("mlp {sizes} {} dropout {p}", self.activation),
            _ => format!("mlp {sizes} {}", self.activation),
        }
    }
}

/// A multi-layer perceptron classifier; build it with [`MlpConfig::init`].
#[derive(Module, Debug)]
pub struct Mlp {
    /// Hidden layers, input side first (`weight: [d_in, d_out]`, Burn's layout).
    pub hidden: Vec<Linear>,
    /// The output layer producing logits.
    pub output: Linear,
    /// Activation after each hidden layer.
    #[module(skip)]
    pub activation: Activation,
    /// Dropout after each hidden activation, if configured.
    pub dropout: Option<Dropout>,
}

impl Mlp {
    /// Logits for a batch of feature vectors.
    ///
    /// # Shapes
    ///
    /// - input: `[N, input_size]`
    /// - output: `[N, num_classes]`
    ///
    /// # Panics
    ///
    /// If the last axis of `input` is not `input_size` (Burn's `Linear` shape check).
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        match self.hidden.first() {
            Some(first) => self.forward_after_first(crate::linear::linear_layer(first, input)),
            None => crate::linear::linear_layer(&self.output, input),
        }
    }

    /// The forward pass from the first hidden layer's output (before its activation); the
    /// logits themselves for an MLP without hidden layers.
    fn forward_after_first(&self, first: Tensor<2>) -> Tensor<2> {
        if self.hidden.is_empty() {
            return first;
        }
        let mut x = first;
        for (i, layer) in self.hidden.iter().enumerate() {
            if i > 0 {
                x = crate::linear::linear_layer(layer, x);
            }
            x = self.activation.forward(x);
            if let Some(dropout) = &self.dropout {
                x = dropout.forward(x);
            }
        }
        crate::linear::linear_layer(&self.output, x)
    }

    /// Number of input features the first layer expects.
    pub fn input_size(&self) -> usize {
        let first = self.hidden.first().unwrap_or(&self.output);
        first.weight.lazy_shape().dims::<2>()[0]
    }

    /// Number of classes (outputs).
    pub fn num_classes(&self) -> usize {
        self.output.weight.lazy_shape().dims::<2>()[1]
    }

    /// Number of trainable parameters; the same as [`Module::num_params`] here, since an MLP
    /// has no running statistics (compare [`Vgg::num_trainable_params`](crate::Vgg::num_trainable_params)).
    pub fn num_trainable_params(&self) -> usize {
        self.num_params()
    }
}

impl ImageClassifier for Mlp {
    /// Flattens `[N, C, H, W]` to `[N, C * H * W]` (row-major, like PyTorch's `flatten(1)`)
    /// and applies [`Mlp::forward`].
    ///
    /// # Panics
    ///
    /// If `C * H * W` differs from the configured `input_size`.
    fn logits(&self, images: Tensor<4>) -> Tensor<2> {
        let [n, c, h, w] = images.dims();
        let features = c * h * w;
        let expected = self.input_size();
        assert_eq!(
            features, expected,
            "mlp expects images with C*H*W = {expected} features, got images of shape \
             [{n}, {c}, {h}, {w}] ({features} features)"
        );
        self.forward(images.reshape([n, features]))
    }

    /// The first layer (the first hidden layer, or the output layer without hidden layers)
    /// applied to the flattened images.
    fn input_layer(&self, images: Tensor<4>) -> Option<crate::InputLayerOutput> {
        let [n, c, h, w] = images.dims();
        let first = self.hidden.first().unwrap_or(&self.output);
        let x = images.reshape([n, c * h * w]);
        Some(crate::InputLayerOutput::Flat(crate::linear::linear_layer(
            first, x,
        )))
    }

    fn logits_after_input_layer(&self, first: crate::InputLayerOutput) -> Option<Tensor<2>> {
        match first {
            crate::InputLayerOutput::Flat(x) => Some(self.forward_after_first(x)),
            crate::InputLayerOutput::Maps(_) => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::excessive_precision)] // reference values pasted from PyTorch
mod tests {
    use super::*;
    use crate::test_utils::{set_linear, wave_tensor};
    use burn::tensor::{TensorData, Tolerance};

    fn device() -> Device {
        Device::flex()
    }

    #[test]
    fn output_shapes() {
        let device = device();
        for hidden in [vec![], vec![16], vec![32, 16, 8]] {
            let mlp = MlpConfig::new(3 * 8 * 8, hidden.clone(), 7)
                .init(&device)
                .expect("valid config");
            assert_eq!(mlp.hidden.len(), hidden.len());
            assert_eq!((mlp.input_size(), mlp.num_classes()), (192, 7));
            let logits = mlp.logits(Tensor::zeros([5, 3, 8, 8], &device));
            assert_eq!(logits.dims(), [5, 7]);
            assert_eq!(mlp.forward(Tensor::zeros([2, 192], &device)).dims(), [2, 7]);
        }
    }

    #[test]
    #[should_panic(
        expected = "mlp expects images with C*H*W = 784 features, got images of shape [2, 3, 32, 32] (3072 features)"
    )]
    fn logits_panics_on_wrong_image_size() {
        let device = device();
        let mlp = MlpConfig::new(784, vec![8], 10)
            .init(&device)
            .expect("valid config");
        let _ = mlp.logits(Tensor::zeros([2, 3, 32, 32], &device));
    }

    #[test]
    fn invalid_configs_are_errors_naming_the_field() {
        let device = device();
        let cases = [
            (
                MlpConfig::new(0, vec![4], 10),
                ModelError::ZeroSize {
                    field: "input_size",
                },
            ),
            (
                MlpConfig::new(4, vec![4], 0),
                ModelError::ZeroSize {
                    field: "num_classes",
                },
            ),
            (
                MlpConfig::new(4, vec![4, 0, 2], 3),
                ModelError::ZeroHiddenSize { index: 1 },
            ),
            (
                MlpConfig::new(4, vec![4], 3).with_dropout(Some(1.0)),
                ModelError::InvalidDropout { prob: 1.0 },
            ),
            (
                MlpConfig::new(4, vec![4], 3).with_dropout(Some(-0.1)),
                ModelError::InvalidDropout { prob: -0.1 },
            ),
        ];
        for (config, want) in cases {
            assert_eq!(config.init(&device).err(), Some(want));
        }
        let nan = MlpConfig::new(4, vec![4], 3).with_dropout(Some(f64::NAN));
        assert!(matches!(
            nan.init(&device),
            Err(ModelError::InvalidDropout { .. })
        ));
        let message = MlpConfig::new(4, vec![0], 3)
            .validate()
            .expect_err("invalid config")
            .to_string();
        assert_eq!(message, "`hidden_sizes[0]` must be at least 1, got 0");
        // Edge values that are fine: no hidden layer, dropout 0.
        assert!(
            MlpConfig::new(1, vec![], 1)
                .with_dropout(Some(0.0))
                .init(&device)
                .is_ok()
        );
    }

    #[test]
    fn describe_and_num_params() {
        let config = MlpConfig::new(784, vec![256, 128], 10);
        assert_eq!(config.describe(), "mlp 784-256-128-10 relu");
        let config = config
            .with_activation(Activation::Gelu)
            .with_dropout(Some(0.5));
        assert_eq!(config.describe(), "mlp 784-256-128-10 gelu dropout 0.5");
        let logistic = MlpConfig::new(3072, vec![], 10);
        assert_eq!(logistic.describe(), "mlp 3072-10 (logistic regression)");
    }

    #[test]
    fn config_json_round_trip() {
        let config = MlpConfig::new(784, vec![256, 128], 10)
            .with_activation(Activation::LeakyRelu)
            .with_dropout(Some(0.25));
        let json = serde_json::to_string(&config).expect("serialize");
        assert!(json.contains("\"activation\":\"leaky-relu\""), "{json}");
        let back: MlpConfig = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, config);
    }

    // Parameter counts from PyTorch 2.15 (crates/descent-models/scripts/torch_param_counts.py):
    //
    // def mlp(sizes):
    //     layers = []
    //     for a, b in zip(sizes[:-2], sizes[1:-1]):
    //         layers += [nn.Linear(a, b), nn.ReLU()]
    //     layers.append(nn.Linear(sizes[-2], sizes[-1]))
    //     return nn.Sequential(*layers)
    // for sizes in ([784, 256, 128, 10], [3072, 512, 512, 10], [784, 10], [3072, 10]):
    //     print(sizes, sum(p.numel() for p in mlp(sizes).parameters()))
    #[test]
    fn param_counts_match_pytorch() {
        let device = device();
        let table: [(usize, &[usize], usize); 4] = [
            (784, &[256, 128], 235_146),
            (3072, &[512, 512], 1_841_162),
            (784, &[], 7_850),
            (3072, &[], 30_730),
        ];
        for (input, hidden, torch_count) in table {
            let config = MlpConfig::new(input, hidden.to_vec(), 10);
            assert_eq!(config.num_params(), torch_count, "{}", config.describe());
            let mlp = config.init(&device).expect("valid config");
            assert_eq!(mlp.num_params(), torch_count);
            assert_eq!(mlp.num_trainable_params(), torch_count);
        }
    }

    // The same weights in PyTorch 2.15 (crates/descent-models/scripts/torch_logits.py; `wave`
    // is `test_utils::wave`, weights are written in PyTorch's [out, in] layout):
    //
    // def wave(shape, seed, scale):
    //     i = torch.arange(math.prod(shape), dtype=torch.float64)
    //     return (scale * torch.sin(0.37 * i + seed)).float().reshape(shape)
    // def set_linear(m, seed):
    //     out_f, in_f = m.weight.shape
    //     m.weight.data = wave((out_f, in_f), seed, 2 / math.sqrt(in_f))
    //     m.bias.data = wave((out_f,), seed + 0.5, 0.1)
    // x = wave((2, 1, 2, 3), 0.3, 1.0)
    // acts = {'relu': nn.ReLU(), 'tanh': nn.Tanh(), 'sigmoid': nn.Sigmoid(), 'gelu': nn.GELU(),
    //         'leaky-relu': nn.LeakyReLU()}
    // for name, act in acts.items():
    //     l1, l2, l3 = nn.Linear(6, 5), nn.Linear(5, 4), nn.Linear(4, 3)
    //     for s, l in enumerate((l1, l2, l3), start=1):
    //         set_linear(l, s)
    //     net = nn.Sequential(nn.Flatten(), l1, act, l2, act, l3)
    //     print(name, net(x))
    // l1 = nn.Linear(6, 3); set_linear(l1, 1)
    // print('logistic', nn.Sequential(nn.Flatten(), l1)(x))
    #[test]
    fn logits_match_pytorch() {
        let device = device();
        let expected: [(Option<Activation>, [[f32; 3]; 2]); 6] = [
            (
                Some(Activation::Relu),
                [
                    [-3.2471151, -5.5392056, 2.1305628],
                    [-2.0642049, -2.7743349, 1.4490430],
                ],
            ),
            (
                Some(Activation::Tanh),
                [
                    [-0.1032705, -0.2782848, -0.0592496],
                    [-0.4404156, 0.0171105, 0.3314635],
                ],
            ),
            (
                Some(Activation::Sigmoid),
                [
                    [-0.9636462, -1.9242747, 0.5026370],
                    [-1.0186125, -1.9261346, 0.5572659],
                ],
            ),
            (
                Some(Activation::Gelu),
                [
                    [-3.0349967, -5.2284493, 1.9747977],
                    [-1.6030303, -1.9429486, 1.1386347],
                ],
            ),
            (
                Some(Activation::LeakyRelu),
                [
                    [-3.2067425, -5.4634485, 2.1039281],
                    [-2.0471985, -2.7320137, 1.4397113],
                ],
            ),
            (
                None,
                [
                    [2.8724790, -2.8437090, 0.8595824],
                    [-0.3255489, 1.7343822, -1.4777808],
                ],
            ),
        ];
        let images = wave_tensor([2, 1, 2, 3], 0.3, 1.0, &device);
        for (activation, want) in expected {
            let hidden = if activation.is_some() {
                vec![5, 4]
            } else {
                vec![]
            };
            let mut mlp = MlpConfig::new(6, hidden, 3)
                .with_activation(activation.unwrap_or_default())
                .init(&device)
                .expect("valid config");
            for (seed, layer) in mlp.hidden.iter_mut().enumerate() {
                set_linear(layer, seed as f64 + 1.0, &device);
            }
            let output_seed = mlp.hidden.len() as f64 + 1.0;
            set_linear(&mut mlp.output, output_seed, &device);
            mlp.logits(images.clone())
                .into_data()
                .assert_approx_eq::<f32>(&TensorData::from(want), Tolerance::absolute(1e-5));
        }
    }

    #[test]
    fn dropout_acts_only_in_training_on_autodiff() {
        let device = device().autodiff();
        let mlp = MlpConfig::new(64, vec![256], 2)
            .with_dropout(Some(0.5))
            .init(&device)
            .expect("valid config");
        let x = Tensor::<2>::ones([4, 64], &device);
        let a = mlp.forward(x.clone()).into_data();
        let b = mlp.forward(x.clone()).into_data();
        assert_ne!(
            a, b,
            "dropout should sample a new mask per call in training mode"
        );
        let eval = mlp.valid();
        let x = x.without_autodiff();
        let c = eval.forward(x.clone()).into_data();
        let d = eval.forward(x).into_data();
        assert_eq!(c, d, "no dropout in eval mode");
    }
}
