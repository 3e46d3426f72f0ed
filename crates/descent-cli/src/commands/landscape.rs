//! `descent landscape`: loss-landscape scans of checkpoints, their plots, and shard merging.
//!
//! ```text
//! descent landscape scan RUN --x -1:1:51 [--y -1:1:51] --norm filter
//! descent landscape interpolate A B --x -0.5:1.5:41
//! descent landscape plane A B C --x -0.5:1.5:21 --y -0.5:1.5:21
//! descent landscape plot scan.npz
//! descent landscape merge shard-*.npz --out scan.npz
//! descent landscape trajectory RUN --split test --out traj.npz
//! descent landscape curvature-map scan.npz --split test --samples 256 --out map.npz
//! descent landscape curvature RUN --split train --samples 512 --top-k 2 --out curv.npz
//! ```

mod args;
mod curvature;
mod curvature_map;
mod flags;
mod plot;
mod progress;
mod run;
mod trajectory;

pub use args::{
    InterpolateArgs, LandscapeArgs, LandscapeCommand, MergeArgs, PlaneArgs, PlotArgs, ScanArgs,
};
pub use curvature::CurvatureArgs;
pub use curvature_map::CurvatureMapArgs;
pub use flags::{EvalFlags, OutputFlags};
pub use run::run;
pub use trajectory::TrajectoryArgs;
