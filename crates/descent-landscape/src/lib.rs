//! Loss-landscape probes for any Burn module (Li et al. 2018, arXiv:1712.09913).
//!
//! **Not written yet.** This crate will hold: random directions with filter, layer or model
//! normalization (biases and batch-norm parameters ignored or included by choice), target
//! directions between checkpoints, 1-D and 2-D grid scans of loss and accuracy with resumable,
//! shardable scan files, trajectory PCA, curvature and sharpness estimates, and the plotting
//! module (`plot`) that draws every figure of the project from files.
//!
//! ```
//! // Nothing to call yet; the crate compiles so that the workspace layout is in place.
//! assert_eq!(descent_landscape::STATUS, "unfinished");
//! ```

/// Says, in code, that this crate's features are not written yet.
pub const STATUS: &str = "unfinished";
