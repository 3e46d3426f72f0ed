//! The crate's error type.

/// What can go wrong when building a model from a configuration or parsing a model option.
///
/// Configuration errors name the offending field so a CLI or a run-config loader can point at
/// it. Shape mismatches at `forward` time are programming errors and panic instead (as Burn's
/// own layers do).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// A size that must be at least 1 is zero.
    #[error("`{field}` must be at least 1, got 0")]
    ZeroSize {
        /// The configuration field, e.g. `"input_size"` or `"num_classes"`.
        field: &'static str,
    },
    /// One of the MLP hidden layer sizes is zero.
    #[error("`hidden_sizes[{index}]` must be at least 1, got 0")]
    ZeroHiddenSize {
        /// Position of the empty layer in `hidden_sizes`.
        index: usize,
    },
    /// The VGG width multiplier is not a finite number greater than zero.
    #[error("`width` must be finite and greater than 0, got {width}")]
    InvalidWidth {
        /// The rejected multiplier.
        width: f64,
    },
    /// The dropout probability is outside `[0, 1)`.
    #[error("`dropout` must be in [0, 1), got {prob}")]
    InvalidDropout {
        /// The rejected probability.
        prob: f64,
    },
    /// A string did not name a known activation.
    #[error("unknown activation `{input}` (expected one of: {expected})")]
    UnknownActivation {
        /// The string that failed to parse.
        input: String,
        /// The accepted spellings.
        expected: &'static str,
    },
    /// A string did not name a known VGG depth.
    #[error("unknown vgg depth `{input}` (expected one of: {expected})")]
    UnknownVggDepth {
        /// The string that failed to parse.
        input: String,
        /// The accepted spellings.
        expected: &'static str,
    },
    /// A string did not name a known architecture (`--model`).
    #[error("unknown model `{input}` (expected {expected})")]
    UnknownArchitecture {
        /// The string that failed to parse.
        input: String,
        /// The accepted spellings.
        expected: &'static str,
    },
    /// A CIFAR ResNet depth that is not `6n + 2` with `n >= 1`.
    #[error(
        "`depth` of a CIFAR ResNet must be 6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, 110, ...), got {depth}"
    )]
    InvalidResNetDepth {
        /// The rejected depth.
        depth: usize,
    },
    /// A string did not name a CIFAR ResNet (`resnetN`).
    #[error(
        "unknown resnet `{input}` (expected resnetN with N = 6n + 2, e.g. resnet20, resnet32, resnet44, resnet56, resnet110)"
    )]
    UnknownResNet {
        /// The string that failed to parse.
        input: String,
    },
    /// A string did not name a known shortcut kind.
    #[error("unknown shortcut `{input}` (expected one of: {expected})")]
    UnknownShortcut {
        /// The string that failed to parse.
        input: String,
        /// The accepted spellings.
        expected: &'static str,
    },
    /// The configuration's sizes do not fit in 128-bit arithmetic.
    #[error("`{model}` is too large: its parameter or activation count overflows")]
    TooLarge {
        /// The model, described.
        model: String,
    },
}
