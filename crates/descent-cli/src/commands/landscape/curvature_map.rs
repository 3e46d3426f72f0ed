//! `descent landscape curvature-map`: `|lambda_min / lambda_max|` of the Hessian at every point
//! of a 2-D scan's plane, saved in the scan-file format (metrics `curvature_ratio`,
//! `lambda_max`, `lambda_min`) so `descent landscape plot FILE --metric curvature_ratio` draws it.

use std::path::PathBuf;

use clap::Args;
use descent_landscape::curvature::PowerOptions;
use descent_landscape::curvature::map::{CurvatureMapJob, run_curvature_map_job};

use super::flags::{EvalFlags, eval_options};

/// `descent landscape curvature-map`.
#[derive(Debug, Clone, Args)]
pub struct CurvatureMapArgs {
    /// A 2-D scan file along random directions (its directions file beside it).
    pub scan: PathBuf,
    /// Power-iteration steps per eigenvalue, at most.
    #[arg(long, default_value_t = 50, help_heading = "Curvature")]
    pub iterations: usize,
    /// Power iteration stops when the eigenvalue changes by less than this share.
    #[arg(long, default_value_t = 1e-2, help_heading = "Curvature")]
    pub tol: f64,
    /// Finite-difference step of the Hessian-vector products.
    #[arg(long, default_value_t = descent_landscape::curvature::DEFAULT_FD_STEP, help_heading = "Curvature")]
    pub fd_step: f64,
    /// Seed of the power iterations' start vectors.
    #[arg(long, default_value_t = 0, help_heading = "Curvature")]
    pub seed: u64,
    /// Evaluation data (one split).
    #[command(flatten)]
    pub eval: EvalFlags,
    /// The map file (.npz).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Runs `descent landscape curvature-map`.
pub fn run(device_name: &str, args: &CurvatureMapArgs) -> anyhow::Result<()> {
    let job = CurvatureMapJob {
        scan: args.scan.clone(),
        eval: eval_options(&args.eval)?,
        power: PowerOptions {
            max_iterations: args.iterations,
            tol: args.tol,
            seed: args.seed,
        },
        fd_step: args.fd_step,
        out: args.out.clone(),
    };
    let (choice, device) = crate::commands::open_device(device_name)?;
    let file = run_curvature_map_job(&job, &device, &choice.to_string())?;
    let ratios = &file.values["curvature_ratio"];
    let finite: Vec<f64> = ratios.iter().copied().filter(|r| r.is_finite()).collect();
    let (lo, hi) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
            (lo.min(r), hi.max(r))
        });
    println!(
        "{} points, |lambda_min/lambda_max| from {lo:.4e} to {hi:.4e}",
        ratios.len()
    );
    println!("{}", job.out.display());
    Ok(())
}
