//! Which network a name such as `mlp`, `vgg11` or `resnet56` means: the value of
//! `descent train --model`, parsed in one place.

use std::fmt;
use std::str::FromStr;

use crate::{ModelError, ResNetConfig, VggDepth};

/// A family and depth of network, without its sizes (those come from the data and the
/// other options).
///
/// ```
/// use descent_models::{Architecture, VggDepth};
///
/// assert_eq!("vgg11".parse::<Architecture>().unwrap(), Architecture::Vgg(VggDepth::Vgg11));
/// assert_eq!("ResNet-56".parse::<Architecture>().unwrap(), Architecture::ResNet { depth: 56 });
/// assert_eq!(Architecture::ResNet { depth: 56 }.to_string(), "resnet56");
/// assert!("resnet18".parse::<Architecture>().is_err()); // not 6n + 2
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// A multi-layer perceptron ([`crate::MlpConfig`]).
    Mlp,
    /// A VGG-style network of this depth ([`crate::VggConfig`]).
    Vgg(VggDepth),
    /// A CIFAR ResNet of He et al. 2016 with `depth = 6n + 2` layers ([`ResNetConfig`]).
    ResNet {
        /// The number of weighted layers, `6n + 2`.
        depth: usize,
    },
}

impl Architecture {
    /// The names listed as choices (`--help`, completions): the MLP, every VGG depth and
    /// the ResNets of He et al.'s CIFAR table. Any other `resnetN` with `N = 6n + 2` parses
    /// too.
    pub const LISTED: [&'static str; 11] = [
        "mlp",
        "vgg9",
        "vgg11",
        "vgg13",
        "vgg16",
        "vgg19",
        "resnet20",
        "resnet32",
        "resnet44",
        "resnet56",
        "resnet110",
    ];

    /// Whether the network is a ResNet.
    pub fn is_resnet(self) -> bool {
        matches!(self, Architecture::ResNet { .. })
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Architecture::Mlp => f.write_str("mlp"),
            Architecture::Vgg(depth) => f.write_str(depth.name()),
            Architecture::ResNet { depth } => write!(f, "resnet{depth}"),
        }
    }
}

impl FromStr for Architecture {
    type Err = ModelError;

    /// Case, `-` and `_` are ignored (`VGG-11`, `resnet_56`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| !matches!(c, '-' | '_'))
            .collect();
        if normalized == "mlp" {
            return Ok(Architecture::Mlp);
        }
        if normalized.starts_with("resnet") {
            let config = ResNetConfig::from_name(s)?;
            return Ok(Architecture::ResNet {
                depth: config.depth,
            });
        }
        match s.parse::<VggDepth>() {
            Ok(depth) => Ok(Architecture::Vgg(depth)),
            Err(_) => Err(ModelError::UnknownArchitecture {
                input: s.to_string(),
                expected: "mlp, vgg9, vgg11, vgg13, vgg16, vgg19, or resnetN with N = 6n + 2 \
                           (resnet20, resnet32, resnet44, resnet56, resnet110)",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_round_trips() {
        for name in Architecture::LISTED {
            let arch: Architecture = name.parse().expect(name);
            assert_eq!(arch.to_string(), name);
        }
        assert_eq!(
            "ResNet_110".parse::<Architecture>(),
            Ok(Architecture::ResNet { depth: 110 })
        );
        assert_eq!(
            "resnet8".parse::<Architecture>(),
            Ok(Architecture::ResNet { depth: 8 })
        );
    }

    #[test]
    fn unknown_names_say_what_is_expected() {
        let err = "alexnet".parse::<Architecture>().expect_err("unknown");
        assert!(
            matches!(err, ModelError::UnknownArchitecture { ref input, .. } if input == "alexnet")
        );
        assert!(err.to_string().contains("vgg11"), "{err}");
        assert!(matches!(
            "resnet18".parse::<Architecture>(),
            Err(ModelError::InvalidResNetDepth { depth: 18 })
        ));
        assert!(matches!(
            "resnet".parse::<Architecture>(),
            Err(ModelError::UnknownResNet { .. })
        ));
    }
}
