//! `descent landscape`: loss-landscape scans of checkpoints, their plots, and shard merging.
//!
//! ```text
//! descent landscape scan RUN --x -1:1:51 [--y -1:1:51] --norm filter
//! descent landscape interpolate A B --x -0.5:1.5:41
//! descent landscape plane A B C [--affine --x -0.5:1.5:21 --y -0.5:1.5:21]
//! descent landscape plot scan.npz
//! descent landscape merge shard-*.npz --out scan.npz
//! descent landscape trajectory RUN --split test --out traj.npz
//! descent landscape curvature-map scan.npz --split test --samples 256 --out map.npz
//! descent landscape curvature RUN --samples 512 --top-k 3 --per-layer --out curv.npz
//! descent landscape curve A B --epochs 10 --out curve/
//! descent landscape spectrum RUN --lanczos-steps 100 --probes 4 --out spectrum.npz
//! ```

mod args;
mod curvature;
mod curvature_map;
mod curve;
mod flags;
mod hessian_flags;
mod plane;
mod plot;
mod progress;
mod run;
mod spectrum;
mod trajectory;

pub use args::{
    InterpolateArgs, LandscapeArgs, LandscapeCommand, MergeArgs, PlaneArgs, PlotArgs, ScanArgs,
};
pub use curvature::CurvatureArgs;
pub use curvature_map::CurvatureMapArgs;
pub use curve::CurveArgs;
pub use flags::{EvalFlags, OutputFlags};
pub use run::run;
pub use spectrum::SpectrumArgs;
pub use trajectory::TrajectoryArgs;
