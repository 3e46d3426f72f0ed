//! Loss-landscape probes for any Burn module (Li et al. 2018, arXiv:1712.09913).
//!
//! - [`ParamVector`]: a point or direction in parameter space, keyed by parameter path,
//!   with `axpy`, `dot`, `norm`, `scale`; read from and written into any [`Module`](burn::module::Module)
//!   (`burn::module::Module`) without rebuilding it.
//! - [`DirectionConfig`]: seeded Gaussian directions, normalized by filter, layer or model
//!   ([`Normalization`]); biases and norm-layer parameters zeroed or included ([`BiasBn`]),
//!   identified by module and field name ([`ParamKind`]); optional orthogonalization.
//!   [`direction::target_direction`] gives `theta_B - theta_A` for interpolations and planes.
//! - [`DirectionSet`]: directions saved to and loaded from `.npz` files, matched to a model's
//!   parameters by path and shape.
//! - [`Axis`] (`min:max:num`) and [`Grid`]: the points of 1-D and 2-D scans.
//! - [`Surface`] + [`run_scan`]: the model at `theta + a d + b e` for each grid point, measured
//!   by a [`PointEvaluator`] (loss and accuracy of an image classifier over batches prepared
//!   once: [`ClassifierEvaluator`]; or any closure: [`FnEvaluator`]), recorded in a
//!   [`ScanFile`] (`.npz` + `meta.json`, readable from numpy) saved atomically as points
//!   finish, resumable, and shardable ([`Shard`], merged with [`merge_shard_files`]).
//! - [`curvature`]: Hessian eigenvalues (Lanczos, or power iteration) with measured residuals,
//!   trace (deflated Hutchinson with a controlled standard error), spectral density
//!   (stochastic Lanczos quadrature), per-layer blocks, and sharpness (Keskar's, filter-
//!   normalized, ASAM's) from finite-difference Hessian-vector products on Burn's autodiff.
//! - [`curve`]: curves between minima (Garipov et al. 2018): a quadratic Bezier curve or a
//!   polygonal chain between two trained models with a trainable bend, the loss along it and
//!   along the straight line, and both paths' loss barriers.
//! - [`pca`]: principal directions of a set of parameter vectors (trajectory PCA).
//! - [`plane`]: the plane through three models, with an orthonormal basis by default.
//! - [`job::run_job`]: a whole scan of checkpoints written by `descent train`.
//! - [`scan_plot::draw_scan`]: the figures of a scan file (curves, contours, heatmaps, 3-D
//!   surfaces, ParaView export), drawn from the file alone by `descent-plot` (feature
//!   `plot`, on by default; without it nothing of the rendering stack is compiled).
//!   `descent_landscape::plot` re-exports `descent_plot`, where the drawing code lived
//!   before it became its own crate, so paths such as `descent_landscape::plot::SurfacePlot`
//!   keep working.
//!
//! ```
//! use burn::module::Module;
//! use burn::tensor::Device;
//! use descent_data::{ImageBatcher, synthetic::spirals};
//! use descent_landscape::{
//!     ClassifierEvaluator, DirectionConfig, Grid, ParamVector, PreparedSet, ScanFile,
//!     ScanOptions, SilentScan, Surface, run_scan,
//! };
//! use descent_models::MlpConfig;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let device = Device::flex();
//! let model = MlpConfig::new(2, vec![16], 3).init(&device)?.valid();
//! let data = spirals(90, 3, 0.05, 1)?;
//! let set = PreparedSet::new("train", &data, &ImageBatcher::new(None, None, 0), 32, &device)?;
//! let mut evaluator = ClassifierEvaluator::new(vec![set]);
//!
//! // Two filter-normalized directions, biases ignored, seeded.
//! let theta = ParamVector::from_module(&model);
//! let (directions, cosine) = DirectionConfig { seed: 7, ..Default::default() }.directions(&theta, 2);
//! assert!(cosine.is_some());
//!
//! let grid = Grid { x: "-1:1:3".parse()?, y: Some("-1:1:3".parse()?) };
//! let mut surface = Surface::new(model, directions)?;
//! let mut file = ScanFile::new(descent_landscape::scan_file::example_meta(grid, &["loss_train", "acc_train"]));
//! run_scan(&mut surface, &mut evaluator, &mut file, None, &ScanOptions::default(), &mut SilentScan)?;
//! assert_eq!(file.done_count(), 9);
//! assert!(file.values["loss_train"].iter().all(|l| l.is_finite()));
//! # Ok(())
//! # }
//! ```

/// The Burn this crate is built on (0.22), re-exported so a project that uses it through
/// `descent_landscape::burn` shares one Burn with us instead of compiling a second.
pub use burn;

pub mod batch_moments;
pub mod curvature;
pub mod curve;
pub mod direction;
pub mod directions_file;
pub mod error;
pub mod evaluator;
pub mod grid;
pub mod job;
pub mod kind;
pub mod merge;
pub mod npz;
pub mod pca;
pub mod plane;
pub mod scan;
pub mod scan_file;
#[cfg(feature = "plot")]
pub mod scan_plot;
pub mod shard;
pub mod surface;
pub mod trajectory;
pub mod vector;
pub mod vector_npz;

#[cfg(test)]
mod test_utils;

pub use curve::{Curve, CurveKind};
pub use direction::{BiasBn, DirectionConfig, Normalization};
pub use directions_file::{DirectionSet, DirectionSource};
pub use error::LandscapeError;
pub use evaluator::{
    BnPolicy, ClassifierEvaluator, FnEvaluator, PointEvaluator, PointValues, PreparedSet,
};
pub use grid::{Axis, Grid};
pub use job::{DirectionChoice, EvalOptions, JobOutcome, ScanJob, TrainingImages, run_job};
pub use kind::ParamKind;
pub use merge::{MergeOutcome, merge_shard_files};
pub use plane::{PlaneAxes, PlaneInfo};
pub use scan::{ScanObserver, ScanOptions, ScanOutcome, SilentScan, Surface, run_scan};
pub use scan_file::{ScanFile, ScanKind, ScanMeta};
pub use shard::Shard;
pub use vector::{ParamEntry, ParamInfo, ParamVector};

/// The plotting crate, `descent-plot`, under the path it had when it was a module of this
/// crate (`descent_landscape::plot::SurfacePlot`, ...). New code can use `descent_plot`
/// directly.
#[cfg(feature = "plot")]
pub use descent_plot as plot;
