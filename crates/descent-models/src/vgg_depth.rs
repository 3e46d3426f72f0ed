//! The VGG variants for 32x32 inputs and their layer lists.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// One entry of a VGG layer list (the `cfg` lists of the PyTorch CIFAR ports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VggLayer {
    /// 3x3 convolution (padding 1) with this many output channels at width 1, followed by
    /// batch norm (if enabled) and ReLU.
    Conv(usize),
    /// 2x2 max-pool with stride 2 (`'M'` in the Python lists).
    MaxPool,
}

use VggLayer::{Conv as C, MaxPool as M};

const VGG9: &[VggLayer] = &[
    C(64),
    C(64),
    M,
    C(128),
    C(128),
    M,
    C(256),
    C(256),
    C(256),
    M,
];
const VGG11: &[VggLayer] = &[
    C(64),
    M,
    C(128),
    M,
    C(256),
    C(256),
    M,
    C(512),
    C(512),
    M,
    C(512),
    C(512),
    M,
];
const VGG13: &[VggLayer] = &[
    C(64),
    C(64),
    M,
    C(128),
    C(128),
    M,
    C(256),
    C(256),
    M,
    C(512),
    C(512),
    M,
    C(512),
    C(512),
    M,
];
const VGG16: &[VggLayer] = &[
    C(64),
    C(64),
    M,
    C(128),
    C(128),
    M,
    C(256),
    C(256),
    C(256),
    M,
    C(512),
    C(512),
    C(512),
    M,
    C(512),
    C(512),
    C(512),
    M,
];
const VGG19: &[VggLayer] = &[
    C(64),
    C(64),
    M,
    C(128),
    C(128),
    M,
    C(256),
    C(256),
    C(256),
    C(256),
    M,
    C(512),
    C(512),
    C(512),
    C(512),
    M,
    C(512),
    C(512),
    C(512),
    C(512),
    M,
];

/// Which VGG.
///
/// For VGG-11/13/16/19 the number is the depth of the original ImageNet network with the same
/// convolutions (8/10/13/16 convolutions plus three fully connected layers); the CIFAR ports
/// replace the three fully connected layers by one classifier, so the CIFAR "VGG-11" has 9
/// weight layers, as in every CIFAR port. VGG-9 is 7 convolutions plus 2 linear layers.
///
/// Parsed from and printed as `vgg9`, `vgg11`, `vgg13`, `vgg16`, `vgg19` (parsing ignores case,
/// and accepts `vgg-11`/`vgg_11`); the JSON form is the same lowercase name.
///
/// Layer lists (see [`VggDepth::layers`]):
///
/// - VGG-11/13/16/19: the `cfg` dictionary of kuangliu/pytorch-cifar, `models/vgg.py`
///   (<https://github.com/kuangliu/pytorch-cifar/blob/master/models/vgg.py>): 8/10/13/16
///   convolutions and a single `Linear(512, 10)` classifier.
/// - VGG-9: tomgoldstein/loss-landscape, `cifar10/models/vgg.py`
///   (<https://github.com/tomgoldstein/loss-landscape/blob/master/cifar10/models/vgg.py>), the
///   network of Li et al. 2018 (arXiv:1712.09913): 7 convolutions
///   `[64, 64, M, 128, 128, M, 256, 256, 256, M]`, then a hidden fully connected layer
///   `Linear(256 * 4 * 4, 256) -> BatchNorm1d -> ReLU` and the classifier `Linear(256, 10)`;
///   that hidden layer is what makes it 9 weight layers (see [`VggDepth::hidden_features`]).
///   (That repository's VGG-16/19 carry the same extra layer; ours follow kuangliu's.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VggDepth {
    /// VGG-9 of loss-landscape (7 conv + 2 linear).
    Vgg9,
    /// VGG-11 (8 conv + 1 linear; ImageNet VGG-11's convolutions).
    Vgg11,
    /// VGG-13 (10 conv + 1 linear; ImageNet VGG-13's convolutions).
    Vgg13,
    /// VGG-16 (13 conv + 1 linear; ImageNet VGG-16's convolutions).
    Vgg16,
    /// VGG-19 (16 conv + 1 linear; ImageNet VGG-19's convolutions).
    Vgg19,
}

impl VggDepth {
    /// Every depth, shallowest first.
    pub const ALL: [VggDepth; 5] = [
        VggDepth::Vgg9,
        VggDepth::Vgg11,
        VggDepth::Vgg13,
        VggDepth::Vgg16,
        VggDepth::Vgg19,
    ];

    const EXPECTED: &'static str = "vgg9, vgg11, vgg13, vgg16, vgg19";

    /// The canonical name, as printed by `Display` and written to JSON.
    pub fn name(self) -> &'static str {
        match self {
            VggDepth::Vgg9 => "vgg9",
            VggDepth::Vgg11 => "vgg11",
            VggDepth::Vgg13 => "vgg13",
            VggDepth::Vgg16 => "vgg16",
            VggDepth::Vgg19 => "vgg19",
        }
    }

    /// The convolution/pool list at width 1, exactly as in the Python ports.
    pub fn layers(self) -> &'static [VggLayer] {
        match self {
            VggDepth::Vgg9 => VGG9,
            VggDepth::Vgg11 => VGG11,
            VggDepth::Vgg13 => VGG13,
            VggDepth::Vgg16 => VGG16,
            VggDepth::Vgg19 => VGG19,
        }
    }

    /// Width (at width multiplier 1) of the hidden fully connected layer between the
    /// convolutions and the classifier: `Some(256)` for VGG-9 (loss-landscape's `fc`, whose
    /// width is the last convolution's channel count), `None` for the kuangliu depths whose
    /// classifier reads the convolutions directly.
    pub fn hidden_features(self) -> Option<usize> {
        match self {
            VggDepth::Vgg9 => Some(256),
            _ => None,
        }
    }
}

impl fmt::Display for VggDepth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for VggDepth {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| !matches!(c, '-' | '_'))
            .collect();
        VggDepth::ALL
            .into_iter()
            .find(|d| d.name() == normalized)
            .ok_or_else(|| ModelError::UnknownVggDepth {
                input: s.to_string(),
                expected: Self::EXPECTED,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_from_str_round_trip() {
        for depth in VggDepth::ALL {
            assert_eq!(depth.to_string().parse::<VggDepth>(), Ok(depth));
            let json = serde_json::to_string(&depth).expect("serialize");
            assert_eq!(json, format!("\"{depth}\""));
            assert_eq!(serde_json::from_str::<VggDepth>(&json).ok(), Some(depth));
        }
    }

    #[test]
    fn parse_accepts_aliases_and_rejects_unknown() {
        assert_eq!("VGG16".parse(), Ok(VggDepth::Vgg16));
        assert_eq!("vgg-11".parse(), Ok(VggDepth::Vgg11));
        assert_eq!("vgg_9".parse(), Ok(VggDepth::Vgg9));
        for bad in ["vgg", "vgg8", "resnet20", ""] {
            let err = bad.parse::<VggDepth>().expect_err("unknown depth");
            assert!(
                matches!(err, ModelError::UnknownVggDepth { ref input, .. } if input == bad),
                "{bad}"
            );
        }
    }

    #[test]
    fn layer_counts_match_names() {
        for (depth, number) in VggDepth::ALL.into_iter().zip([9, 11, 13, 16, 19]) {
            let convs = depth
                .layers()
                .iter()
                .filter(|l| matches!(l, VggLayer::Conv(_)))
                .count();
            let pools = depth.layers().len() - convs;
            if depth == VggDepth::Vgg9 {
                // 7 convolutions + hidden linear + classifier, three pools.
                assert_eq!((convs, depth.hidden_features(), pools), (7, Some(256), 3));
            } else {
                // ImageNet VGG-n: n - 3 convolutions and 3 fully connected layers; five pools.
                assert_eq!(
                    (convs, depth.hidden_features(), pools),
                    (number - 3, None, 5)
                );
            }
        }
    }
}
