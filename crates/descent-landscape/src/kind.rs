//! What a model parameter is: a weight, a bias, a normalization scale/shift, or a buffer.
//!
//! Identified by the module that holds it and the field's name (Burn's `ModuleVisitor` reports
//! both), never by the tensor's rank: a `Linear`'s `bias`, a `BatchNorm`'s `gamma`/`beta`, a
//! `BatchNorm`'s `running_mean`/`running_var`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The role of one float tensor of a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    /// A weight: convolution kernels, linear matrices, and anything not listed below.
    Weight,
    /// The `bias` field of any module (`Linear`, `Conv2d`, ...).
    Bias,
    /// The learnable scale or shift (`gamma`, `beta`) of a normalization layer
    /// (`BatchNorm`, `LayerNorm`, `GroupNorm`, `InstanceNorm`, `RmsNorm`).
    Norm,
    /// A running statistic of a normalization layer (`running_mean`, `running_var`): state, not
    /// a trainable parameter. Random directions never move it.
    Buffer,
}

impl ParamKind {
    /// Classifies the tensor in field `field` of a module whose Burn container type is
    /// `container` (as `ModuleVisitor::enter_module` reports it, e.g. `Struct:BatchNorm`).
    pub fn classify(container: &str, field: &str) -> ParamKind {
        let type_name = container.rsplit(':').next().unwrap_or(container);
        let is_norm = type_name.ends_with("Norm");
        if is_norm && field.starts_with("running_") {
            ParamKind::Buffer
        } else if is_norm && matches!(field, "gamma" | "beta" | "weight" | "bias") {
            ParamKind::Norm
        } else if field == "bias" {
            ParamKind::Bias
        } else {
            ParamKind::Weight
        }
    }

    /// Whether this kind belongs to the paper's "bias and BN" group, which directions leave at
    /// zero unless asked to include it.
    pub fn is_bias_or_norm(self) -> bool {
        matches!(self, ParamKind::Bias | ParamKind::Norm)
    }
}

impl fmt::Display for ParamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParamKind::Weight => "weight",
            ParamKind::Bias => "bias",
            ParamKind::Norm => "norm",
            ParamKind::Buffer => "buffer",
        })
    }
}

impl FromStr for ParamKind {
    type Err = crate::LandscapeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "weight" => Ok(ParamKind::Weight),
            "bias" => Ok(ParamKind::Bias),
            "norm" => Ok(ParamKind::Norm),
            "buffer" => Ok(ParamKind::Buffer),
            _ => Err(crate::LandscapeError::invalid(
                "parameter kind",
                s,
                "expected weight, bias, norm or buffer",
            )),
        }
    }
}

/// Which axis of a weight indexes its filters (output units).
///
/// `Conv2d.weight` is `[out, in/groups, k, k]`: a filter is a slice along dim 0. Burn's
/// `Linear.weight` is `[d_input, d_output]` (PyTorch's transpose): a filter is a column, dim 1.
/// A 1-D tensor's filters are its single elements (dim 0).
pub fn filter_axis(container: &str, rank: usize) -> usize {
    let type_name = container.rsplit(':').next().unwrap_or(container);
    if type_name == "Linear" && rank == 2 {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_module_and_field_not_rank() {
        assert_eq!(
            ParamKind::classify("Struct:Linear", "weight"),
            ParamKind::Weight
        );
        assert_eq!(
            ParamKind::classify("Struct:Linear", "bias"),
            ParamKind::Bias
        );
        assert_eq!(
            ParamKind::classify("Struct:Conv2d", "bias"),
            ParamKind::Bias
        );
        assert_eq!(
            ParamKind::classify("Struct:BatchNorm", "gamma"),
            ParamKind::Norm
        );
        assert_eq!(
            ParamKind::classify("Struct:BatchNorm", "beta"),
            ParamKind::Norm
        );
        assert_eq!(
            ParamKind::classify("Struct:BatchNorm", "running_var"),
            ParamKind::Buffer
        );
        assert_eq!(
            ParamKind::classify("Struct:LayerNorm", "gamma"),
            ParamKind::Norm
        );
        // A user's 1-D weight is still a weight.
        assert_eq!(
            ParamKind::classify("Struct:Scale", "weight"),
            ParamKind::Weight
        );
        assert_eq!(filter_axis("Struct:Linear", 2), 1);
        assert_eq!(filter_axis("Struct:Conv2d", 4), 0);
        assert_eq!(filter_axis("Struct:Linear", 1), 0);
    }

    #[test]
    fn names_round_trip() {
        for kind in [
            ParamKind::Weight,
            ParamKind::Bias,
            ParamKind::Norm,
            ParamKind::Buffer,
        ] {
            assert_eq!(kind.to_string().parse::<ParamKind>().expect("parses"), kind);
        }
        assert!("filter".parse::<ParamKind>().is_err());
    }
}
