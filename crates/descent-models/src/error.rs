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
    /// An [`ActivationPattern`](crate::ActivationPattern) replayed on another architecture or
    /// batch shape than the one it was recorded on.
    #[error("an activation pattern recorded for another model or batch: {reason}")]
    PatternMismatch {
        /// The first kink that differs.
        reason: String,
    },
    /// A PyTorch weights file could not be read (missing, unreadable, not a `state_dict`, or
    /// an extension other than `.safetensors`, `.pt`, `.pth`, `.bin`).
    #[error("cannot read PyTorch weights from {}: {reason}", path.display())]
    TorchRead {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A PyTorch `state_dict` does not fit the architecture in another way than the variants
    /// below name (a tensor burn-store cannot apply).
    #[error("{} does not fit {model}: {reason}", path.display())]
    TorchMismatch {
        /// The file.
        path: std::path::PathBuf,
        /// The architecture, as [`ModelConfig::describe`](crate::ModelConfig::describe) says it.
        model: String,
        /// What differs, naming the tensors.
        reason: String,
    },
    /// Tensors the architecture needs are not in a PyTorch `state_dict`.
    #[error(
        "{} does not fit {model}: {} tensor(s) missing: {}",
        path.display(),
        keys.len(),
        name_list(keys)
    )]
    TorchMissing {
        /// The file.
        path: std::path::PathBuf,
        /// The architecture, as [`ModelConfig::describe`](crate::ModelConfig::describe) says it.
        model: String,
        /// The missing keys, as the reference PyTorch definition names them.
        keys: Vec<String>,
    },
    /// A PyTorch `state_dict` holds tensors the architecture does not have.
    #[error(
        "{} does not fit {model}: {} tensor(s) it does not have: {}",
        path.display(),
        keys.len(),
        name_list(keys)
    )]
    TorchUnexpected {
        /// The file.
        path: std::path::PathBuf,
        /// The architecture, as [`ModelConfig::describe`](crate::ModelConfig::describe) says it.
        model: String,
        /// The keys, as the file names them.
        keys: Vec<String>,
    },
    /// A tensor of a PyTorch `state_dict` has another shape than the architecture's.
    #[error(
        "{} does not fit {model}: `{}` has shape {:?}, the model needs {:?} (PyTorch's layout)",
        path.display(),
        tensor.key,
        tensor.found,
        tensor.expected
    )]
    TorchShape {
        /// The file.
        path: std::path::PathBuf,
        /// The architecture, as [`ModelConfig::describe`](crate::ModelConfig::describe) says it.
        model: String,
        /// The tensor: its key and both shapes (boxed, so that the error stays small).
        tensor: Box<ShapeMismatch>,
    },
    /// Weights could not be written in PyTorch's layout.
    #[error("cannot write PyTorch weights to {}: {reason}", path.display())]
    TorchWrite {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The configuration's sizes do not fit in 128-bit arithmetic.
    #[error("`{model}` is too large: its parameter or activation count overflows")]
    TooLarge {
        /// The model, described.
        model: String,
    },
}

/// A tensor whose shape in a PyTorch `state_dict` differs from the architecture's
/// ([`ModelError::TorchShape`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeMismatch {
    /// The key, as the file names it.
    pub key: String,
    /// The shape the architecture needs, in PyTorch's layout (`Linear.weight` `[out, in]`).
    pub expected: Vec<usize>,
    /// The shape in the file.
    pub found: Vec<usize>,
}

/// At most eight names, then how many more.
pub(crate) fn name_list(names: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut out = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        out.push_str(&format!(", and {} more", names.len() - SHOWN));
    }
    out
}
