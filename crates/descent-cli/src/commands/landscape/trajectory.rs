//! `descent landscape trajectory`: the PCA plane of a run's kept weights, scanned and drawn
//! with the path on it.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use descent_landscape::trajectory::{TrajectoryJob, run_trajectory_job};
use descent_landscape::{Axis, BiasBn, ScanOptions};

use super::flags::{EvalFlags, eval_options};
use super::progress::ScanProgress;

/// `descent landscape trajectory`.
#[derive(Debug, Clone, Args)]
pub struct TrajectoryArgs {
    /// A run folder trained with --trajectory-every.
    pub run: PathBuf,
    /// Include biases and batch-norm parameters in the PCA (the paper leaves them out).
    #[arg(long)]
    pub include_bias_bn: bool,
    /// Coordinates along PC1, min:max:num (default: the path's extent plus the margin).
    #[arg(long, allow_hyphen_values = true)]
    pub x: Option<String>,
    /// Coordinates along PC2, min:max:num (default: the path's extent plus the margin).
    #[arg(long, allow_hyphen_values = true)]
    pub y: Option<String>,
    /// Points per axis of a default grid.
    #[arg(long, default_value_t = 21)]
    pub resolution: usize,
    /// A default grid extends the path's extent by this share of its width on each side.
    #[arg(long, default_value_t = 0.25)]
    pub margin: f64,
    /// Evaluation.
    #[command(flatten)]
    pub eval: EvalFlags,
    /// The scan file (.npz); the plots are written beside it (.svg, .png).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Runs `descent landscape trajectory`.
pub fn run(device_name: &str, args: &TrajectoryArgs) -> anyhow::Result<()> {
    let x: Option<Axis> = args.x.as_deref().map(str::parse).transpose()?;
    let y: Option<Axis> = args.y.as_deref().map(str::parse).transpose()?;
    let job = TrajectoryJob {
        run_dir: args.run.clone(),
        bias_bn: if args.include_bias_bn {
            BiasBn::Include
        } else {
            BiasBn::Ignore
        },
        x,
        y,
        resolution: args.resolution,
        margin: args.margin,
        eval: eval_options(&args.eval)?,
        out: args.out.clone(),
        options: ScanOptions {
            max_points: None,
            save_every: Duration::from_secs(5),
        },
    };
    let (choice, device) = crate::commands::open_device(device_name)?;
    let outcome = run_trajectory_job(&job, &device, &choice.to_string(), &mut ScanProgress::new())?;
    let [px, py] = outcome.info.axis_labels();
    println!("points on the path: {}", outcome.info.path.len());
    println!("explained variance: {px}, {py}");
    println!("{}", job.out.display());
    for f in &outcome.figures {
        println!("{}", f.display());
    }
    Ok(())
}
