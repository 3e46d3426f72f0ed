//! How a residual block's input reaches its output: the shortcut kinds of a ResNet.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// The shortcut connections of a [`ResNet`](crate::ResNet).
///
/// Where a block keeps its channel count and resolution, every kind except
/// [`Shortcut::None`] adds the block's input unchanged (the identity). They differ on the first
/// block of a stage, which halves the resolution and (at width 1) doubles the channels:
///
/// - [`Shortcut::Projection`]: a 1x1 convolution with that stride (no bias) and a batch norm,
///   `nn.Sequential(Conv2d(in, out, 1, stride, bias=False), BatchNorm2d(out))`: option B of He
///   et al. 2016, and what tomgoldstein/loss-landscape's `BasicBlock` (so Li et al. 2018)
///   uses. The default.
/// - [`Shortcut::ZeroPad`]: option A of He et al. 2016, the CIFAR networks of their section
///   4.2: the input subsampled with the stride (`x[:, :, ::s, ::s]`) and padded with zero
///   channels, `(out - in) / 2` (rounded down) before and the rest after, so no parameters;
///   the same as akamaster/pytorch_resnet_cifar10's
///   `F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4))` wherever that one
///   applies (`out = 2 * in`, `out` a multiple of 4).
/// - [`Shortcut::None`]: no shortcut at all, not even the identity: Li et al.'s `noshort`
///   networks (`BasicBlock_noshortcut`), which have the same convolutions and batch norms
///   and no projections.
///
/// Parsed from and printed as `projection`, `zero-pad`, `none` (parsing ignores case and also
/// accepts `b`/`option-b`, `a`/`option-a`/`zeropad`, `noshort`); the JSON form is the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shortcut {
    /// 1x1 convolution + batch norm where the shape changes (option B), identity elsewhere.
    #[default]
    Projection,
    /// Subsampling and zero channels where the shape changes (option A), identity elsewhere.
    ZeroPad,
    /// No shortcut connections (Li et al.'s `noshort`).
    None,
}

impl Shortcut {
    /// Every kind, in declaration order.
    pub const ALL: [Shortcut; 3] = [Shortcut::Projection, Shortcut::ZeroPad, Shortcut::None];

    const EXPECTED: &'static str = "projection, zero-pad, none";

    /// The canonical name, as printed by `Display` and written to JSON.
    pub fn name(self) -> &'static str {
        match self {
            Shortcut::Projection => "projection",
            Shortcut::ZeroPad => "zero-pad",
            Shortcut::None => "none",
        }
    }
}

impl fmt::Display for Shortcut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Shortcut {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect();
        match normalized.as_str() {
            "projection" | "b" | "optionb" => Ok(Shortcut::Projection),
            "zeropad" | "a" | "optiona" => Ok(Shortcut::ZeroPad),
            "none" | "noshort" => Ok(Shortcut::None),
            _ => Err(ModelError::UnknownShortcut {
                input: s.to_string(),
                expected: Self::EXPECTED,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_from_str_and_json_round_trip() {
        for kind in Shortcut::ALL {
            assert_eq!(kind.to_string().parse::<Shortcut>(), Ok(kind));
            let json = serde_json::to_string(&kind).expect("serialize");
            assert_eq!(json, format!("\"{kind}\""));
            assert_eq!(serde_json::from_str::<Shortcut>(&json).ok(), Some(kind));
        }
        assert_eq!("Option-A".parse(), Ok(Shortcut::ZeroPad));
        assert_eq!("zero_pad".parse(), Ok(Shortcut::ZeroPad));
        assert_eq!("B".parse(), Ok(Shortcut::Projection));
        assert_eq!("noshort".parse(), Ok(Shortcut::None));
        let err = "identity".parse::<Shortcut>().expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "unknown shortcut `identity` (expected one of: projection, zero-pad, none)"
        );
    }
}
