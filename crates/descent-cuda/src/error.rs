//! The crate's one error type.

/// Why the CUDA device did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CudaError {
    /// No NVIDIA driver was found, or it reports no GPU.
    #[error("no CUDA device (no NVIDIA driver was found, or it reports no GPU)")]
    NoDevice,
    /// cubecl refused the device for another reason.
    #[error("CUDA device 0 is unavailable: {reason}")]
    Unavailable {
        /// cubecl's message.
        reason: String,
    },
    /// The device exists but its first computation failed.
    #[error("CUDA device 0 failed to start: {reason}")]
    Failed {
        /// What went wrong (Burn's panic message, or the wrong result).
        reason: String,
    },
}
