//! One type for "any of our models", so a CLI or a run config can hold any of them.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::{ImageClassifier, Mlp, MlpConfig, ModelError, ResNet, ResNetConfig, Vgg, VggConfig};

/// Configuration of any model of this crate.
///
/// Serialized with a `kind` tag next to the fields of the inner configuration, e.g.
/// `{"kind": "vgg", "depth": "vgg11", "num_classes": 10, "batch_norm": true, "width": 0.25,
/// "in_channels": 3, "image_size": 32}` or `{"kind": "mlp", "input_size": 784,
/// "hidden_sizes": [256, 128], "num_classes": 10, "activation": "relu", "dropout": null}` or
/// `{"kind": "resnet", "depth": 20, "num_classes": 10, "shortcut": "projection", "width": 1.0,
/// "in_channels": 3, "image_size": 32}`.
/// Implements Burn's [`Config`](burn::config::Config) (JSON `save`/`load`), so it can be a
/// field of a `#[derive(Config)]` run configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ModelConfig {
    /// A multi-layer perceptron.
    Mlp(MlpConfig),
    /// A VGG network.
    Vgg(VggConfig),
    /// A CIFAR ResNet.
    ResNet(ResNetConfig),
}

impl burn::config::Config for ModelConfig {}

impl ModelConfig {
    /// Checks the inner configuration.
    ///
    /// # Errors
    ///
    /// See [`MlpConfig::validate`], [`VggConfig::validate`] and [`ResNetConfig::validate`].
    pub fn validate(&self) -> Result<(), ModelError> {
        match self {
            ModelConfig::Mlp(c) => c.validate(),
            ModelConfig::Vgg(c) => c.validate(),
            ModelConfig::ResNet(c) => c.validate(),
        }
    }

    /// Builds the model on `device`.
    ///
    /// # Errors
    ///
    /// See [`MlpConfig::validate`], [`VggConfig::validate`] and [`ResNetConfig::validate`].
    pub fn init(&self, device: &Device) -> Result<Model, ModelError> {
        Ok(match self {
            ModelConfig::Mlp(c) => Model::Mlp(c.init(device)?),
            ModelConfig::Vgg(c) => Model::Vgg(c.init(device)?),
            ModelConfig::ResNet(c) => Model::ResNet(c.init(device)?),
        })
    }

    /// A short human-readable summary, e.g. `vgg11-bn x0.25 (3x32x32 -> 10)` or
    /// `mlp 784-256-128-10 relu`.
    pub fn describe(&self) -> String {
        match self {
            ModelConfig::Mlp(c) => c.describe(),
            ModelConfig::Vgg(c) => c.describe(),
            ModelConfig::ResNet(c) => c.describe(),
        }
    }

    /// Number of trainable parameters, from the configuration alone (PyTorch's count: batch
    /// norm running statistics excluded).
    pub fn num_params(&self) -> usize {
        match self {
            ModelConfig::Mlp(c) => c.num_params(),
            ModelConfig::Vgg(c) => c.num_params(),
            ModelConfig::ResNet(c) => c.num_params(),
        }
    }

    /// Its parameter count and activations per sample, with overflow checked, so that a
    /// caller can refuse a model that cannot fit in memory before building it.
    ///
    /// # Errors
    ///
    /// [`ModelError::TooLarge`] when a count does not fit in 128 bits.
    pub fn size(&self) -> Result<crate::ModelSize, ModelError> {
        match self {
            ModelConfig::Mlp(c) => c.size(),
            ModelConfig::Vgg(c) => c.size(),
            ModelConfig::ResNet(c) => c.size(),
        }
    }

    /// Number of classes (outputs).
    pub fn num_classes(&self) -> usize {
        match self {
            ModelConfig::Mlp(c) => c.num_classes,
            ModelConfig::Vgg(c) => c.num_classes,
            ModelConfig::ResNet(c) => c.num_classes,
        }
    }
}

impl From<MlpConfig> for ModelConfig {
    fn from(config: MlpConfig) -> Self {
        ModelConfig::Mlp(config)
    }
}

impl From<VggConfig> for ModelConfig {
    fn from(config: VggConfig) -> Self {
        ModelConfig::Vgg(config)
    }
}

impl From<ResNetConfig> for ModelConfig {
    fn from(config: ResNetConfig) -> Self {
        ModelConfig::ResNet(config)
    }
}

/// Any model of this crate; build it with [`ModelConfig::init`].
///
/// A Burn module like its variants: parameter paths get the variant name as a prefix
/// (`Mlp.hidden.0.weight`, `Vgg.features.0.conv.weight`, ...), so a record saved from a
/// `Model` loads into a `Model` of the same configuration.
// A model is built once per run, so the size gap between the variants costs nothing; boxing a
// variant would get in the way of Burn's `Module` derive.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Model {
    /// A multi-layer perceptron.
    Mlp(Mlp),
    /// A VGG network.
    Vgg(Vgg),
    /// A CIFAR ResNet.
    ResNet(ResNet),
}

impl Model {
    /// Number of classes (outputs).
    pub fn num_classes(&self) -> usize {
        match self {
            Model::Mlp(m) => m.num_classes(),
            Model::Vgg(m) => m.num_classes(),
            Model::ResNet(m) => m.num_classes(),
        }
    }

    /// Number of trainable parameters (PyTorch's count: batch norm running statistics
    /// excluded, unlike [`Module::num_params`]).
    pub fn num_trainable_params(&self) -> usize {
        match self {
            Model::Mlp(m) => m.num_trainable_params(),
            Model::Vgg(m) => m.num_trainable_params(),
            Model::ResNet(m) => m.num_trainable_params(),
        }
    }
}

impl ImageClassifier for Model {
    fn logits(&self, images: Tensor<4>) -> Tensor<2> {
        match self {
            Model::Mlp(m) => m.logits(images),
            Model::Vgg(m) => m.logits(images),
            Model::ResNet(m) => m.logits(images),
        }
    }

    fn input_layer(&self, images: Tensor<4>) -> Option<crate::InputLayerOutput> {
        match self {
            Model::Mlp(m) => m.input_layer(images),
            Model::Vgg(m) => m.input_layer(images),
            Model::ResNet(m) => m.input_layer(images),
        }
    }

    fn logits_after_input_layer(&self, first: crate::InputLayerOutput) -> Option<Tensor<2>> {
        match self {
            Model::Mlp(m) => m.logits_after_input_layer(first),
            Model::Vgg(m) => m.logits_after_input_layer(first),
            Model::ResNet(m) => m.logits_after_input_layer(first),
        }
    }
}

impl From<Mlp> for Model {
    fn from(model: Mlp) -> Self {
        Model::Mlp(model)
    }
}

impl From<Vgg> for Model {
    fn from(model: Vgg) -> Self {
        Model::Vgg(model)
    }
}

impl From<ResNet> for Model {
    fn from(model: ResNet) -> Self {
        Model::ResNet(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, VggDepth};
    use burn::config::Config;
    use burn::module::{ModuleVisitor, Param};

    fn configs() -> [ModelConfig; 5] {
        [
            MlpConfig::new(784, vec![256, 128], 10)
                .with_activation(Activation::Tanh)
                .with_dropout(Some(0.1))
                .into(),
            MlpConfig::new(3072, vec![], 10).into(),
            VggConfig::new(VggDepth::Vgg9)
                .with_width(0.125)
                .with_in_channels(1)
                .with_image_size(28)
                .into(),
            ResNetConfig::new(8)
                .with_width(0.25)
                .with_in_channels(1)
                .with_image_size(28)
                .into(),
            ResNetConfig::new(14)
                .with_shortcut(crate::Shortcut::None)
                .with_in_channels(1)
                .with_image_size(28)
                .into(),
        ]
    }

    #[test]
    fn json_round_trip_with_kind_tag() {
        for config in configs() {
            let json = serde_json::to_string(&config).expect("serialize");
            let back: ModelConfig = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, config, "{json}");
            // Burn's Config loader reads the same JSON.
            let loaded = ModelConfig::load_binary(json.as_bytes()).expect("load");
            assert_eq!(loaded, config);
        }
        let json = r#"{"kind": "vgg", "depth": "vgg11", "num_classes": 10, "batch_norm": false,
                       "width": 0.25, "in_channels": 3, "image_size": 32}"#;
        let config: ModelConfig = serde_json::from_str(json).expect("deserialize");
        assert_eq!(config.describe(), "vgg11 x0.25 (3x32x32 -> 10)");
        // `dropout` may be left out of an MLP config.
        let json = r#"{"kind": "mlp", "input_size": 784, "hidden_sizes": [],
                       "num_classes": 10, "activation": "relu"}"#;
        let config: ModelConfig = serde_json::from_str(json).expect("deserialize");
        assert_eq!(config, MlpConfig::new(784, vec![], 10).into());
        let json = r#"{"kind": "resnet", "depth": 56, "num_classes": 10, "shortcut": "none",
                       "width": 1.0, "in_channels": 3, "image_size": 32}"#;
        let config: ModelConfig = serde_json::from_str(json).expect("deserialize");
        assert_eq!(config.describe(), "resnet56-noshort x1 (3x32x32 -> 10)");
        let bad = r#"{"kind": "transformer", "depth": 20}"#;
        assert!(serde_json::from_str::<ModelConfig>(bad).is_err());
    }

    #[test]
    fn init_dispatches_and_counts_agree() {
        let device = Device::flex();
        for config in configs() {
            let model = config.init(&device).expect("valid config");
            assert_eq!(
                model.num_trainable_params(),
                config.num_params(),
                "{}",
                config.describe()
            );
            assert_eq!(model.num_classes(), config.num_classes());
            let images = match &config {
                ModelConfig::Mlp(c) if c.input_size == 784 => {
                    Tensor::zeros([3, 1, 28, 28], &device)
                }
                ModelConfig::Mlp(_) => Tensor::zeros([3, 3, 32, 32], &device),
                ModelConfig::Vgg(_) | ModelConfig::ResNet(_) => {
                    Tensor::zeros([3, 1, 28, 28], &device)
                }
            };
            assert_eq!(model.logits(images).dims(), [3, 10]);
        }
        let bad: ModelConfig = VggConfig::new(VggDepth::Vgg11).with_num_classes(0).into();
        assert_eq!(
            bad.init(&device).err(),
            Some(ModelError::ZeroSize {
                field: "num_classes"
            })
        );
        assert!(bad.validate().is_err());
    }

    /// Collects `a.b.c` paths of every float parameter.
    #[derive(Default)]
    struct Paths {
        stack: Vec<String>,
        paths: Vec<String>,
    }

    impl ModuleVisitor for Paths {
        fn enter_module(&mut self, name: &str, _container_type: &str) {
            self.stack.push(name.to_string());
        }
        fn exit_module(&mut self, _name: &str, _container_type: &str) {
            self.stack.pop();
        }
        fn visit_float<const D: usize>(&mut self, _param: &Param<Tensor<D>>) {
            self.paths.push(self.stack.join("."));
        }
    }

    #[test]
    fn parameter_paths_are_prefixed_by_variant() {
        let device = Device::flex();
        let model = ModelConfig::from(VggConfig::new(VggDepth::Vgg9).with_width(0.125))
            .init(&device)
            .expect("valid config");
        let mut paths = Paths::default();
        model.visit(&mut paths);
        for want in [
            "Vgg.features.0.conv.weight",
            "Vgg.features.0.conv.bias",
            "Vgg.features.0.norm.gamma",
            "Vgg.features.0.norm.running_var",
            "Vgg.fc.linear.weight",
            "Vgg.fc.norm.beta",
            "Vgg.classifier.weight",
        ] {
            assert!(
                paths.paths.iter().any(|p| p == want),
                "{want} not in {:?}",
                paths.paths
            );
        }
        let model = ModelConfig::from(MlpConfig::new(4, vec![3], 2))
            .init(&device)
            .expect("valid config");
        let mut paths = Paths::default();
        model.visit(&mut paths);
        assert_eq!(
            paths.paths,
            [
                "Mlp.hidden.0.weight",
                "Mlp.hidden.0.bias",
                "Mlp.output.weight",
                "Mlp.output.bias"
            ]
        );
    }
}
