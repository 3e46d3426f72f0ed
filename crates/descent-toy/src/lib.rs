//! Analytic 2-D loss surfaces (bowl, saddle, Rosenbrock, Himmelblau, Rastrigin, ...) written
//! as Burn tensor expressions, and the paths optimizers take on them.
//!
//! **Not written yet.** This crate will let any optimizer and schedule of `descent-optim` walk
//! on surfaces simple enough to draw exactly, to show what learning rate, momentum, warm
//! restarts and gradient noise do.
//!
//! ```
//! // Nothing to call yet; the crate compiles so that the workspace layout is in place.
//! assert_eq!(descent_toy::STATUS, "unfinished");
//! ```

/// Says, in code, that this crate's features are not written yet.
pub const STATUS: &str = "unfinished";
