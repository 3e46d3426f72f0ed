//! Analytic loss surfaces (bowl, saddle, Rosenbrock, Himmelblau, Rastrigin, ...) written as
//! Burn tensor expressions, and the paths our optimizers take on them.
//!
//! - [`ToyFunction`]: ten surfaces (nine 2-D, one 1-D), each with its Burn expression (autodiff
//!   gives the gradient), an `f64` formula and analytic gradient, known critical points and a
//!   box to draw it in.
//! - [`WalkConfig`]: any [`OptimizerConfig`](descent_optim::OptimizerConfig) and
//!   [`ScheduleConfig`](descent_optim::ScheduleConfig) of `descent-optim` walking a function
//!   from a start point, the point being a [`Point`] module, so the optimizer code is exactly
//!   the one that trains networks; optional seeded [`GradientNoise`] imitates mini-batch SGD.
//! - [`Path`]: the points, losses, rates and gradients of a walk, with a record of divergence
//!   (not an error: "too large a rate diverges" is a lesson); written as CSV or JSON by
//!   [`write_paths`].
//! - [`draw_paths`]: paths over the function's contours (2-D) or curve (1-D), SVG or PNG,
//!   drawn by `descent-plot` (feature `plot`, on by default).
//! - [`lessons`]: the four lessons of `examples/valleys.rs`, as configurations whose outcomes
//!   the tests assert.
//!
//! ```
//! use burn::tensor::Device;
//! use descent_optim::{OptimizerConfig, OptimizerKind, OptimizerParams};
//! use descent_toy::{ToyFunction, WalkConfig};
//!
//! let function: ToyFunction = "rosenbrock".parse()?;
//! let momentum = OptimizerConfig::from_kind(OptimizerKind::Momentum, &OptimizerParams::default())?;
//! let path = WalkConfig::new(function, momentum, 1e-3, 500).run(&Device::flex())?;
//! assert_eq!(path.points.len(), 501);
//! assert!(path.distance_to([1.0, 1.0]) < 0.2); // momentum follows the curved valley
//! assert!(path.diverged.is_none());
//! # Ok::<(), descent_toy::ToyError>(())
//! ```

/// The Burn this crate is built on (0.22), re-exported so a project that uses it through
/// `descent_toy::burn` shares one Burn with us instead of compiling a second.
pub use burn;

pub mod error;
pub mod function;
pub mod lessons;
pub mod noise;
pub mod path;
#[cfg(feature = "plot")]
pub mod plot;
pub mod point;
pub mod walk;

pub use error::ToyError;
pub use function::{CriticalKind, CriticalPoint, PlotBox, ToyFunction};
pub use noise::GradientNoise;
pub use path::{Divergence, DivergenceReason, Path, PathFormat, PathsFile, paths_csv, write_paths};
#[cfg(feature = "plot")]
pub use plot::{PlotOptions, draw_paths};
pub use point::Point;
pub use walk::WalkConfig;
