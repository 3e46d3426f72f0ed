//! `descent landscape curvature-map`: `|lambda_min / lambda_max|` of the Hessian at every point
//! of a 2-D scan's plane, saved in the scan-file format (metrics `curvature_ratio`,
//! `lambda_max`, `lambda_min`, `converged`) so `descent landscape plot FILE --metric
//! curvature_ratio` draws it.

use std::path::PathBuf;

use clap::Args;
use descent_landscape::curvature::map::{CurvatureMapJob, run_curvature_map_job};

use super::flags::{EvalFlags, eval_options, imported_card};
use super::hessian_flags::{EigenFlags, HvpFlags};

/// `descent landscape curvature-map`.
#[derive(Debug, Clone, Args)]
pub struct CurvatureMapArgs {
    /// A 2-D scan file along random directions (its directions file beside it).
    pub scan: PathBuf,
    /// Eigenvalue method and stopping rule.
    #[command(flatten)]
    pub eigen: EigenFlags,
    /// Hessian-vector products.
    #[command(flatten)]
    pub hvp: HvpFlags,
    /// Seed of the start vectors.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Evaluation data (one split; the training split by default).
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
        imported: imported_card(&args.eval)?,
        eval: eval_options(&args.eval)?,
        eigen: args.eigen.options(args.seed),
        hvp: args.hvp.options(device_name),
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
    let unconverged = file.values["converged"]
        .iter()
        .filter(|c| **c == 0.0)
        .count();
    if unconverged > 0 {
        println!(
            "{unconverged} points did not pass the residual test (metric `converged` is 0 \
             there); raise --iterations or --tol"
        );
    }
    println!("{}", job.out.display());
    Ok(())
}
