//! The clap types of `descent landscape`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `descent landscape`.
#[derive(Debug, Clone, Args)]
pub struct LandscapeArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: LandscapeCommand,
}

/// The subcommands of `descent landscape`.
#[derive(Debug, Clone, Subcommand)]
pub enum LandscapeCommand {
    /// Scan the loss around a checkpoint along one or two random, normalized directions.
    Scan(ScanArgs),
    /// Scan the line through two checkpoints (0 = the first, 1 = the second).
    Interpolate(InterpolateArgs),
    /// Scan the plane through three checkpoints, in Euclidean coordinates of an orthonormal
    /// basis (A at the origin, B on the x axis); --affine for the axes B - A and C - A.
    Plane(PlaneArgs),
    /// Draw the plots of a scan file (never re-scans).
    Plot(PlotArgs),
    /// Join the shard files of one scan into one file.
    Merge(MergeArgs),
    /// Hessian eigenvalues (Lanczos or power iteration, with residuals), trace (deflated
    /// Hutchinson), per-layer blocks and sharpness (Keskar, filter-normalized, ASAM) of a
    /// checkpoint.
    Curvature(super::curvature::CurvatureArgs),
    /// The eigenvalue spectral density of a checkpoint's Hessian (stochastic Lanczos
    /// quadrature), saved and plotted.
    Spectrum(super::spectrum::SpectrumArgs),
    /// |lambda_min / lambda_max| of the Hessian at every point of a 2-D scan (expensive).
    CurvatureMap(super::curvature_map::CurvatureMapArgs),
    /// Scan the PCA plane of a run's kept weights (--trajectory-every) and draw the path on it.
    Trajectory(super::trajectory::TrajectoryArgs),
}

/// Which data each point is evaluated on.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Evaluation")]
pub struct EvalFlags {
    /// Splits to evaluate, comma-separated: train, test. The default is the training split,
    /// the loss that was minimized (as Li et al. 2018, PyHessian and Keskar et al. 2017
    /// measure it).
    #[arg(long, value_delimiter = ',', default_value = "train")]
    pub split: Vec<String>,
    /// Evaluate on a fixed, seeded subset of this many samples per split (generated sets:
    /// generate this many).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Seed of the subset.
    #[arg(long, default_value_t = 0)]
    pub subset_seed: u64,
    /// Samples per forward pass.
    #[arg(long, default_value_t = 256)]
    pub batch_size: usize,
    /// Dataset (default: the one in the model card).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Dataset folder (default: the one in the model card).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Batch-norm running statistics: keep (the centre model's) or recompute (at each point,
    /// from the batches of the first split; use one batch for the exact mean and variance).
    #[arg(long, default_value = "keep")]
    pub bn: String,
}

/// Where results go and which share of the points this run computes.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputFlags {
    /// The scan file (.npz). An existing file with the same settings is resumed.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Compute only shard INDEX/COUNT of the points (point k belongs to shard k mod COUNT).
    /// Without it, SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or JOB_COMPLETION_INDEX
    /// (with --shard-count) choose the shard when set.
    #[arg(long)]
    pub shard: Option<String>,
    /// Number of shards, for JOB_COMPLETION_INDEX (a Kubernetes indexed job) or to override
    /// SLURM_ARRAY_TASK_COUNT.
    #[arg(long)]
    pub shard_count: Option<usize>,
    /// Save the scan file at least every this many seconds.
    #[arg(long, default_value_t = 5.0)]
    pub save_every: f64,
    /// Stop after this many points (the file stays resumable). For tests.
    #[arg(long, hide = true)]
    pub max_points: Option<usize>,
}

/// `descent landscape scan`.
#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// A run folder, checkpoint folder, or model .bpk (with model.json beside it).
    pub checkpoint: PathBuf,
    /// First direction's coordinates, min:max:num.
    #[arg(long, default_value = "-1:1:51", allow_hyphen_values = true)]
    pub x: String,
    /// Second direction's coordinates, min:max:num (a 2-D scan).
    #[arg(long, allow_hyphen_values = true)]
    pub y: Option<String>,
    /// Direction normalization: filter, layer, model or none.
    #[arg(long, default_value = "filter", help_heading = "Directions")]
    pub norm: String,
    /// Biases and batch-norm parameters in the directions: ignore (zero) or include.
    #[arg(long, default_value = "ignore", help_heading = "Directions")]
    pub bias_bn: String,
    /// Make the second direction orthogonal to the first.
    #[arg(long, help_heading = "Directions")]
    pub orthogonalize: bool,
    /// Seed of the random directions.
    #[arg(long, default_value_t = 0, help_heading = "Directions")]
    pub seed: u64,
    /// Use the directions in this file (written by an earlier scan) instead of drawing them.
    #[arg(long, help_heading = "Directions")]
    pub directions: Option<PathBuf>,
    /// Evaluation.
    #[command(flatten)]
    pub eval: EvalFlags,
    /// Output.
    #[command(flatten)]
    pub output: OutputFlags,
}

/// `descent landscape interpolate`.
#[derive(Debug, Clone, Args)]
pub struct InterpolateArgs {
    /// The first checkpoint (coordinate 0).
    pub a: PathBuf,
    /// The second checkpoint (coordinate 1).
    pub b: PathBuf,
    /// Coordinates, min:max:num.
    #[arg(long, default_value = "-0.5:1.5:41", allow_hyphen_values = true)]
    pub x: String,
    /// Evaluation.
    #[command(flatten)]
    pub eval: EvalFlags,
    /// Output.
    #[command(flatten)]
    pub output: OutputFlags,
}

/// `descent landscape plane`.
#[derive(Debug, Clone, Args)]
pub struct PlaneArgs {
    /// The checkpoint at (0, 0).
    pub a: PathBuf,
    /// The checkpoint at (1, 0).
    pub b: PathBuf,
    /// The checkpoint at (0, 1).
    pub c: PathBuf,
    /// Coordinates along the first axis, min:max:num (default: the three models' extent
    /// plus --margin; with --affine, -0.5:1.5:21).
    #[arg(long, allow_hyphen_values = true)]
    pub x: Option<String>,
    /// Coordinates along the second axis, min:max:num (default as for --x).
    #[arg(long, allow_hyphen_values = true)]
    pub y: Option<String>,
    /// The old affine axes B - A and C - A (models at (0,0), (1,0), (0,1)); the contours are
    /// sheared unless B - A and C - A are orthogonal.
    #[arg(long)]
    pub affine: bool,
    /// A default grid extends the models' extent by this share on each side (Garipov et al.
    /// use 0.2).
    #[arg(long, default_value_t = 0.2)]
    pub margin: f64,
    /// Points per axis of a default grid.
    #[arg(long, default_value_t = 21)]
    pub resolution: usize,
    /// Evaluation.
    #[command(flatten)]
    pub eval: EvalFlags,
    /// Output.
    #[command(flatten)]
    pub output: OutputFlags,
}

/// `descent landscape plot`.
#[derive(Debug, Clone, Args)]
pub struct PlotArgs {
    /// The scan file.
    pub file: PathBuf,
    /// Output file name without extension (default: the scan file's).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Which metric (default: the first loss).
    #[arg(long)]
    pub metric: Option<String>,
    /// Formats, comma-separated: svg, png, vtp (2-D only).
    #[arg(long, value_delimiter = ',', default_value = "svg")]
    pub format: Vec<String>,
    /// 2-D styles, comma-separated: contour, filled, heatmap, surface.
    #[arg(long, value_delimiter = ',', default_value = "contour")]
    pub style: Vec<String>,
    /// Logarithmic loss axis (1-D) or log-scaled colours (2-D).
    #[arg(long)]
    pub log: bool,
}

/// `descent landscape merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The shard files of one scan.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The merged file.
    #[arg(long, short)]
    pub out: PathBuf,
}
