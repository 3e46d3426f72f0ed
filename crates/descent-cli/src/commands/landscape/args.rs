//! The clap types of `descent landscape`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use descent_landscape::scan_plot::ScanFigureFormat;
use descent_landscape::{Axis, BiasBn, Normalization};
use descent_plot::SurfaceStyle;

use super::flags::{EvalFlags, OutputFlags};
use crate::values::{listed, parsed};

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
    /// Train a Bezier curve (or chain) between two models and compare its loss barrier with
    /// the straight line's (Garipov et al. 2018).
    Curve(super::curve::CurveArgs),
}

/// `descent landscape scan`.
#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// A run folder, checkpoint folder, or model .bpk (with model.json beside it).
    pub checkpoint: PathBuf,
    /// First direction's coordinates, min:max:num.
    #[arg(long, default_value = "-1:1:51", allow_hyphen_values = true, value_parser = parsed::<Axis>())]
    pub x: Axis,
    /// Second direction's coordinates, min:max:num (a 2-D scan).
    #[arg(long, allow_hyphen_values = true, value_parser = parsed::<Axis>())]
    pub y: Option<Axis>,
    /// Direction normalization: filter (Li et al. 2018), layer, model, none, or unit (the
    /// whole direction of Euclidean norm 1, so coordinates are raw distances in weight space:
    /// Izmailov et al. 2018's random rays; with --bias-bn include, over all trainable
    /// parameters).
    #[arg(
        long,
        default_value = "filter",
        value_parser = listed::<Normalization>(&["filter", "layer", "model", "none", "unit"]),
        help_heading = "Directions"
    )]
    pub norm: Normalization,
    /// Biases and batch-norm parameters in the directions: ignore (zero) or include.
    #[arg(
        long,
        default_value = "ignore",
        value_parser = listed::<BiasBn>(&["ignore", "include"]),
        help_heading = "Directions"
    )]
    pub bias_bn: BiasBn,
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
    #[arg(long, default_value = "-0.5:1.5:41", allow_hyphen_values = true, value_parser = parsed::<Axis>())]
    pub x: Axis,
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
    #[arg(long, allow_hyphen_values = true, value_parser = parsed::<Axis>())]
    pub x: Option<Axis>,
    /// Coordinates along the second axis, min:max:num (default as for --x).
    #[arg(long, allow_hyphen_values = true, value_parser = parsed::<Axis>())]
    pub y: Option<Axis>,
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
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "svg",
        value_parser = listed::<ScanFigureFormat>(&["svg", "png", "vtp"])
    )]
    pub format: Vec<ScanFigureFormat>,
    /// 2-D styles, comma-separated: contour, filled, heatmap, surface.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "contour",
        value_parser = listed::<SurfaceStyle>(&["contour", "filled", "heatmap", "surface"])
    )]
    pub style: Vec<SurfaceStyle>,
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
