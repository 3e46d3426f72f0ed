//! The architecture flags: what `descent train --model ...` builds, and the flags that do not
//! apply to it refused.

use clap::ValueEnum;
use descent_models::{
    Activation, Architecture, MlpConfig, ModelConfig, ResNetConfig, Shortcut, VggConfig,
};
use descent_train::TrainError;

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
}
