//! The architecture flags: what `descent train --model ...` builds, and the flags that do not
//! apply to it refused.

use anyhow::Context;
use clap::ValueEnum;
use descent_models::{
    Activation, MlpConfig, ModelConfig, ResNetConfig, Shortcut, VggConfig, VggDepth,
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
    pub model: &'a str,
    /// `--hidden` (MLP).
    pub hidden: &'a [usize],
    /// `--activation` (MLP).
    pub activation: &'a str,
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
    let name = flags.model.trim().to_ascii_lowercase();
    let refuse = |flag: &'static str, what: &str| -> anyhow::Result<ModelConfig> {
        Err(TrainError::InvalidOption {
            field: flag,
            value: flags.model.to_string(),
            reason: format!("applies to {what} only"),
        }
        .into())
    };
    let resnet = name.starts_with("resnet");
    if !resnet && (flags.no_shortcuts || flags.shortcut.is_some()) {
        let flag = if flags.no_shortcuts {
            "no_shortcuts"
        } else {
            "shortcut"
        };
        return refuse(flag, "ResNets (--model resnet20, resnet56, ...)");
    }
    if name == "mlp" {
        if flags.width.is_some() {
            return refuse("width", "VGGs and ResNets");
        }
        if flags.no_batch_norm {
            return refuse("no_batch_norm", "VGGs");
        }
        let activation: Activation = flags.activation.parse()?;
        let mut mlp = MlpConfig::new(0, flags.hidden.to_vec(), 0).with_activation(activation);
        mlp.dropout = flags.dropout;
        return Ok(ModelConfig::Mlp(mlp));
    }
    if flags.dropout.is_some() {
        return refuse("dropout", "MLPs");
    }
    if resnet {
        if flags.no_batch_norm {
            return refuse("no_batch_norm", "VGGs (a ResNet always has batch norm)");
        }
        let mut config = ResNetConfig::from_name(&name)?;
        config.width = flags.width.unwrap_or(1.0);
        config.shortcut = if flags.no_shortcuts {
            Shortcut::None
        } else {
            flags.shortcut.map_or(Shortcut::Projection, Shortcut::from)
        };
        config.num_classes = 0;
        config.in_channels = 0;
        config.image_size = 0;
        return Ok(ModelConfig::ResNet(config));
    }
    let depth: VggDepth = flags.model.parse().with_context(|| {
        format!(
            "--model {} (mlp, vgg9, vgg11, vgg13, vgg16, vgg19, resnet20, resnet32, resnet44, \
             resnet56 or resnet110)",
            flags.model
        )
    })?;
    let mut vgg = VggConfig::new(depth);
    vgg.width = flags.width.unwrap_or(VGG_DEFAULT_WIDTH);
    vgg.batch_norm = !flags.no_batch_norm;
    vgg.num_classes = 0;
    vgg.in_channels = 0;
    vgg.image_size = 0;
    Ok(ModelConfig::Vgg(vgg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(model: &str) -> ModelFlags<'_> {
        ModelFlags {
            model,
            hidden: &[],
            activation: "relu",
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
        assert!(model_config(&flags("resnet18")).is_err());
        assert!(model_config(&flags("resnet")).is_err());
        assert!(model_config(&flags("alexnet")).is_err());
    }
}
