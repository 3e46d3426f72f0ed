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
    /// Biases and batch-norm parameters in the PCA: include (the default of Li et al.'s
    /// plot_trajectory.py) or ignore (its --ignore biasbn).
    #[arg(long, default_value = "include", value_parser = crate::values::listed::<BiasBn>(&["ignore", "include"]))]
    pub bias_bn: BiasBn,
    /// Coordinates along PC1, min:max:num (default: the path's extent plus the margin).
    #[arg(long, allow_hyphen_values = true, value_parser = crate::values::parsed::<Axis>())]
    pub x: Option<Axis>,
    /// Coordinates along PC2, min:max:num (default: the path's extent plus the margin).
    #[arg(long, allow_hyphen_values = true, value_parser = crate::values::parsed::<Axis>())]
    pub y: Option<Axis>,
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
    let (x, y) = (args.x, args.y);
    if args.eval.torch.model.is_some() {
        anyhow::bail!(descent_train::TrainError::InvalidOption {
            field: "model",
            value: args.run.display().to_string(),
            reason: "a trajectory is read from a run folder of `descent train`, whose \
                     model.json names the architecture"
                .into(),
        });
    }
    let job = TrajectoryJob {
        run_dir: args.run.clone(),
        bias_bn: args.bias_bn,
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
    if let Some((min, median)) = outcome.info.fit_summary() {
        println!(
            "plane fit: each point keeps {:.1}% (median) and at least {:.1}% of its squared \
             distance to the final weights",
            100.0 * median,
            100.0 * min
        );
    }
    println!("{}", job.out.display());
    for f in &outcome.figures {
        println!("{}", f.display());
    }
    Ok(())
}
