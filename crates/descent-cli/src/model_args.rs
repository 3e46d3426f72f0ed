//! The architecture flags: what `descent train` builds, and what the PyTorch file given to
//! `descent import`, `eval` or `landscape` holds.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use descent_data::{DatasetKind, Normalization};
use descent_models::{
    Activation, Architecture, MlpConfig, ModelConfig, ResNetConfig, Shortcut, VggConfig,
};
use descent_train::{ModelCard, NormalizationChoice, TrainError};

use crate::values::{listed, named, parsed};

/// `--shortcut`: how a ResNet's shortcut crosses a change of shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShortcutArg {
    /// A 1x1 convolution with the stride and a batch norm (He et al.'s option B; Li et al.).
    Projection,
    /// The input subsampled and padded with zero channels (He et al.'s option A).
    ZeroPad,
}

impl From<ShortcutArg> for Shortcut {
    fn from(arg: ShortcutArg) -> Shortcut {
        match arg {
            ShortcutArg::Projection => Shortcut::Projection,
            ShortcutArg::ZeroPad => Shortcut::ZeroPad,
        }
    }
}

/// The architecture flags, borrowed from whichever command holds them.
#[derive(Debug, Clone, Copy)]
pub struct ModelFlags<'a> {
    /// `--model`: mlp, vgg9..vgg19, resnetN.
    pub model: Architecture,
    /// `--hidden` (MLP).
    pub hidden: &'a [usize],
    /// `--activation` (MLP).
    pub activation: Activation,
    /// `--dropout` (MLP).
    pub dropout: Option<f64>,
    /// `--width` (VGG, ResNet).
    pub width: Option<f64>,
    /// `--no-batch-norm` (VGG).
    pub no_batch_norm: bool,
    /// `--no-shortcuts` (ResNet).
    pub no_shortcuts: bool,
    /// `--shortcut` (ResNet).
    pub shortcut: Option<ShortcutArg>,
}

/// Width of a VGG when `--width` is not given (a narrow VGG trains in seconds here).
const VGG_DEFAULT_WIDTH: f64 = 0.125;

/// The architecture the flags describe, with input and class counts left at 0 (filled from
/// the dataset).
///
/// # Errors
///
/// An unknown `--model`, or a flag that does not apply to it (`--no-shortcuts` on a VGG,
/// `--no-batch-norm` on a ResNet, ...): [`TrainError::InvalidOption`] (exit code 2).
pub fn model_config(flags: &ModelFlags) -> anyhow::Result<ModelConfig> {
    let refuse = |flag: &'static str, what: &str| -> anyhow::Result<ModelConfig> {
        Err(TrainError::InvalidOption {
            field: flag,
            value: flags.model.to_string(),
            reason: format!("applies to {what} only"),
        }
        .into())
    };
    if !flags.model.is_resnet() && (flags.no_shortcuts || flags.shortcut.is_some()) {
        let flag = if flags.no_shortcuts {
            "no_shortcuts"
        } else {
            "shortcut"
        };
        return refuse(flag, "ResNets (--model resnet20, resnet56, ...)");
    }
    match flags.model {
        Architecture::Mlp => {
            if flags.width.is_some() {
                return refuse("width", "VGGs and ResNets");
            }
            if flags.no_batch_norm {
                return refuse("no_batch_norm", "VGGs");
            }
            let mut mlp =
                MlpConfig::new(0, flags.hidden.to_vec(), 0).with_activation(flags.activation);
            mlp.dropout = flags.dropout;
            Ok(ModelConfig::Mlp(mlp))
        }
        _ if flags.dropout.is_some() => refuse("dropout", "MLPs"),
        Architecture::ResNet { depth } => {
            if flags.no_batch_norm {
                return refuse("no_batch_norm", "VGGs (a ResNet always has batch norm)");
            }
            let mut config = ResNetConfig::new(depth);
            config.width = flags.width.unwrap_or(1.0);
            config.shortcut = if flags.no_shortcuts {
                Shortcut::None
            } else {
                flags.shortcut.map_or(Shortcut::Projection, Shortcut::from)
            };
            config.num_classes = 0;
            config.in_channels = 0;
            config.image_size = 0;
            Ok(ModelConfig::ResNet(config))
        }
        Architecture::Vgg(depth) => {
            let mut vgg = VggConfig::new(depth);
            vgg.width = flags.width.unwrap_or(VGG_DEFAULT_WIDTH);
            vgg.batch_norm = !flags.no_batch_norm;
            vgg.num_classes = 0;
            vgg.in_channels = 0;
            vgg.image_size = 0;
            Ok(ModelConfig::Vgg(vgg))
        }
    }
}

/// The flags that describe a PyTorch weights file (`.safetensors`, `.pt`, `.pth`) given in
/// place of a model: its architecture and the input normalization it was trained with.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "PyTorch weights (.safetensors, .pt, .pth)")]
pub struct TorchModelArgs {
    /// The architecture of a PyTorch weights file given in place of a model: mlp,
    /// vgg9..vgg19, resnet20..resnet110 (the PyTorch layouts: README, "PyTorch weights").
    #[arg(
        long,
        alias = "arch",
        value_parser = listed::<Architecture>(&Architecture::LISTED)
    )]
    pub model: Option<Architecture>,
    /// MLP hidden layer sizes, comma-separated.
    #[arg(long, default_value = "256,128", requires = "model")]
    pub hidden: Vec<LayerSizes>,
    /// MLP activation.
    #[arg(
        long,
        default_value = "relu",
        value_parser = named(Activation::ALL, |a| a.name()),
        requires = "model"
    )]
    pub activation: Activation,
    /// MLP dropout probability (it decides the nn.Sequential indices of the layers).
    #[arg(long, requires = "model")]
    pub dropout: Option<f64>,
    /// VGG or ResNet width multiplier [default: 0.125 for VGG, 1 for ResNet].
    #[arg(long, requires = "model")]
    pub width: Option<f64>,
    /// VGG without batch normalization.
    #[arg(long, requires = "model")]
    pub no_batch_norm: bool,
    /// ResNet without shortcut connections (Li et al.'s noshort).
    #[arg(long, conflicts_with = "shortcut", requires = "model")]
    pub no_shortcuts: bool,
    /// ResNet shortcuts where the shape changes: projection or zero-pad.
    #[arg(long, value_enum, requires = "model")]
    pub shortcut: Option<ShortcutArg>,
    /// The input normalization the weights were trained with: none (pixels / 255, as
    /// torchvision's ToTensor), dataset (the training set's per-channel mean and std, as
    /// `descent train` does), or MEAN/STD with one value per channel, comma-separated
    /// (e.g. 0.2860/0.3530, or 0.4914,0.4822,0.4465/0.2470,0.2435,0.2616).
    #[arg(long, default_value = "none", value_parser = parsed::<NormalizeArg>(), requires = "model")]
    pub normalize: NormalizeArg,
}

impl TorchModelArgs {
    /// The card of the PyTorch files of a command: `None` without `--model`; with it, the
    /// architecture fitted to `dataset` (which must then be given).
    ///
    /// # Errors
    ///
    /// Bad flags; `--model` without `--dataset`; data loading errors.
    pub fn card(
        &self,
        dataset: Option<DatasetKind>,
        data_dir: Option<PathBuf>,
    ) -> anyhow::Result<Option<ModelCard>> {
        let Some(architecture) = self.model else {
            return Ok(None);
        };
        let hidden: Vec<usize> = self
            .hidden
            .iter()
            .flat_map(|l| l.0.iter().copied())
            .collect();
        let model = model_config(&ModelFlags {
            model: architecture,
            hidden: &hidden,
            activation: self.activation,
            dropout: self.dropout,
            width: self.width,
            no_batch_norm: self.no_batch_norm,
            no_shortcuts: self.no_shortcuts,
            shortcut: self.shortcut,
        })?;
        let dataset = dataset.ok_or_else(|| TrainError::InvalidOption {
            field: "dataset",
            value: String::new(),
            reason: "a PyTorch file's data must be named: give --dataset (and --data-dir \
                     unless it is in its usual place)"
                .into(),
        })?;
        Ok(Some(descent_train::import::import_card(
            model,
            dataset,
            data_dir,
            self.normalize.0.clone(),
        )?))
    }
}

/// `--normalize`: `none`, `dataset`, or `MEAN/STD` (comma-separated per channel).
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizeArg(pub NormalizationChoice);

impl std::str::FromStr for NormalizeArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" => return Ok(NormalizeArg(NormalizationChoice::None)),
            "dataset" => return Ok(NormalizeArg(NormalizationChoice::FromTrainingSet)),
            _ => {}
        }
        let (mean, std) = text
            .split_once('/')
            .ok_or("expected none, dataset or MEAN/STD (e.g. 0.2860/0.3530)")?;
        let values = |list: &str| -> Result<Vec<f32>, String> {
            list.split(',')
                .map(|v| {
                    v.trim()
                        .parse::<f32>()
                        .map_err(|_| format!("`{}` is not a number", v.trim()))
                })
                .collect()
        };
        let (mean, std) = (values(mean)?, values(std)?);
        let normalization = Normalization::new(mean, std)
            .map_err(|e| format!("{e} (one mean and one positive std per channel)"))?;
        Ok(NormalizeArg(NormalizationChoice::Fixed(normalization)))
    }
}

/// One `--hidden` value: layer sizes separated by commas, or none (`""`). Repeated
/// `--hidden` flags add their layers in order, as a comma does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerSizes(pub Vec<usize>);

impl std::str::FromStr for LayerSizes {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Ok(LayerSizes(Vec::new()));
        }
        s.split(',')
            .map(|part| {
                part.trim().parse::<usize>().map_err(|_| {
                    format!("`{part}` is not a layer size (a whole number; `\"\"` for none)")
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(LayerSizes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(model: &str) -> ModelFlags<'static> {
        ModelFlags {
            model: model.parse().expect("a known architecture"),
            hidden: &[],
            activation: Activation::Relu,
            dropout: None,
            width: None,
            no_batch_norm: false,
            no_shortcuts: false,
            shortcut: None,
        }
    }

    #[test]
    fn resnet_flags_make_resnet_configs() {
        let ModelConfig::ResNet(c) = model_config(&flags("resnet56")).expect("valid") else {
            panic!("not a resnet");
        };
        assert_eq!(
            (c.depth, c.width, c.shortcut),
            (56, 1.0, Shortcut::Projection)
        );
        let noshort = ModelFlags {
            no_shortcuts: true,
            width: Some(2.0),
            ..flags("ResNet-20")
        };
        let ModelConfig::ResNet(c) = model_config(&noshort).expect("valid") else {
            panic!("not a resnet");
        };
        assert_eq!((c.depth, c.width, c.shortcut), (20, 2.0, Shortcut::None));
        let zero = ModelFlags {
            shortcut: Some(ShortcutArg::ZeroPad),
            ..flags("resnet110")
        };
        assert!(matches!(
            model_config(&zero),
            Ok(ModelConfig::ResNet(c)) if c.shortcut == Shortcut::ZeroPad
        ));
        // VGG keeps its narrow default width.
        assert!(matches!(
            model_config(&flags("vgg11")),
            Ok(ModelConfig::Vgg(c)) if c.width == 0.125
        ));
    }

    #[test]
    fn flags_that_do_not_apply_are_refused() {
        let cases = [
            ModelFlags {
                no_shortcuts: true,
                ..flags("vgg11")
            },
            ModelFlags {
                shortcut: Some(ShortcutArg::Projection),
                ..flags("mlp")
            },
            ModelFlags {
                no_batch_norm: true,
                ..flags("resnet20")
            },
            ModelFlags {
                width: Some(0.5),
                ..flags("mlp")
            },
            ModelFlags {
                dropout: Some(0.1),
                ..flags("resnet20")
            },
        ];
        for case in cases {
            let err = model_config(&case).expect_err("refused");
            assert!(
                matches!(
                    err.downcast_ref::<TrainError>(),
                    Some(TrainError::InvalidOption { .. })
                ),
                "{case:?}: {err}"
            );
        }
    }

    #[test]
    fn normalization_flags() {
        let parse = |s: &str| s.parse::<NormalizeArg>().map(|n| n.0);
        assert_eq!(parse("none").ok(), Some(NormalizationChoice::None));
        assert_eq!(
            parse("Dataset").ok(),
            Some(NormalizationChoice::FromTrainingSet)
        );
        let Ok(NormalizationChoice::Fixed(n)) = parse("0.4914,0.4822,0.4465/0.2470, 0.2435,0.2616")
        else {
            panic!("three channels");
        };
        assert_eq!(n.mean, [0.4914, 0.4822, 0.4465]);
        assert_eq!(n.std, [0.2470, 0.2435, 0.2616]);
        for bad in ["0.5", "0.5/0", "0.5/x", "0.1,0.2/0.3", "mean"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
