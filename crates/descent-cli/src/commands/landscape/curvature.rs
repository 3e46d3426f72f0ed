//! `descent landscape curvature`: Hessian eigenvalues, trace and epsilon-sharpness of a
//! checkpoint, printed and saved as a curvature file.

use clap::Args;
use std::path::PathBuf;

use descent_landscape::curvature::job::{CurvatureJob, run_curvature_job};
use descent_landscape::curvature::{CurvatureOptions, PowerOptions, SharpnessOptions};
use descent_landscape::{BiasBn, LandscapeError};

use super::flags::{EvalFlags, eval_options};

/// `descent landscape curvature`.
#[derive(Debug, Clone, Args)]
pub struct CurvatureArgs {
    /// A run folder, checkpoint folder, or model .bpk (with model.json beside it).
    pub checkpoint: PathBuf,
    /// How many eigenvalues of largest magnitude to find (power iteration with deflation).
    #[arg(long, default_value_t = 1, help_heading = "Curvature")]
    pub top_k: usize,
    /// Power-iteration steps per eigenvalue, at most.
    #[arg(long, default_value_t = 100, help_heading = "Curvature")]
    pub iterations: usize,
    /// Power iteration stops when the eigenvalue changes by less than this share.
    #[arg(long, default_value_t = 1e-3, help_heading = "Curvature")]
    pub tol: f64,
    /// Rademacher vectors for Hutchinson's trace estimate.
    #[arg(long, default_value_t = 20, help_heading = "Curvature")]
    pub hutchinson_samples: usize,
    /// Box size of epsilon-sharpness (Keskar et al.), relative to the filter norms; 0 skips it.
    #[arg(long, default_value_t = 1e-3, help_heading = "Curvature")]
    pub sharpness_eps: f64,
    /// Ascent steps per start of the sharpness maximization.
    #[arg(long, default_value_t = 10, help_heading = "Curvature")]
    pub sharpness_steps: usize,
    /// Starts of the sharpness maximization (the centre and random points of the box).
    #[arg(long, default_value_t = 3, help_heading = "Curvature")]
    pub sharpness_starts: usize,
    /// Biases and batch-norm parameters in the sharpness box: ignore (fixed) or include.
    #[arg(long, default_value = "ignore", help_heading = "Curvature")]
    pub bias_bn: String,
    /// Finite-difference step of the Hessian-vector products.
    #[arg(long, default_value_t = descent_landscape::curvature::DEFAULT_FD_STEP, help_heading = "Curvature")]
    pub fd_step: f64,
    /// Seed of the start vectors, Rademacher draws and sharpness starts.
    #[arg(long, default_value_t = 0, help_heading = "Curvature")]
    pub seed: u64,
    /// Evaluation data (one split).
    #[command(flatten)]
    pub eval: EvalFlags,
    /// The curvature file (.npz).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Runs `descent landscape curvature`.
pub fn run(device_name: &str, args: &CurvatureArgs) -> anyhow::Result<()> {
    let sharpness = if args.sharpness_eps == 0.0 {
        None
    } else {
        Some(SharpnessOptions {
            epsilon: args.sharpness_eps,
            bias_bn: args.bias_bn.parse::<BiasBn>()?,
            starts: args.sharpness_starts,
            steps: args.sharpness_steps,
            seed: args.seed,
            ..SharpnessOptions::default()
        })
    };
    let options = CurvatureOptions {
        top_k: args.top_k,
        power: PowerOptions {
            max_iterations: args.iterations,
            tol: args.tol,
            seed: args.seed,
        },
        hutchinson_samples: args.hutchinson_samples,
        hutchinson_seed: args.seed,
        sharpness,
        fd_step: args.fd_step,
    };
    let eval = eval_options(&args.eval)?;
    if eval.splits.len() != 1 {
        anyhow::bail!(LandscapeError::invalid(
            "split",
            args.eval.split.join(","),
            "curvature is measured on one split: train or test",
        ));
    }
    let job = CurvatureJob {
        checkpoint: args.checkpoint.clone(),
        eval,
        options,
        out: args.out.clone(),
    };
    let (choice, device) = crate::commands::open_device(device_name)?;
    let file = run_curvature_job(&job, &device, &choice.to_string())?;
    let r = &file.report;
    let mark = |c: bool| if c { "" } else { " (not converged)" };
    println!("checkpoint      {}", file.checkpoint);
    println!(
        "data            {} ({}), {} samples",
        file.eval.splits.join(","),
        file.eval.datasets.join(","),
        file.eval.samples.map_or("all".into(), |n| n.to_string())
    );
    println!("parameters      {}", r.parameters);
    println!("loss            {:.6}", r.loss);
    println!("accuracy        {:.4}", file.accuracy);
    println!("gradient norm   {:.6e}", r.gradient_norm);
    for (i, e) in r.top.iter().enumerate() {
        println!(
            "eigenvalue {:<4} {:.6e}  ({} iterations){}",
            i + 1,
            e.value,
            e.iterations,
            mark(e.converged)
        );
    }
    println!(
        "lambda_max      {:.6e}{}",
        r.lambda_max.value,
        mark(r.lambda_max.converged)
    );
    println!(
        "lambda_min      {:.6e}{}",
        r.lambda_min.value,
        mark(r.lambda_min.converged)
    );
    match r.ratio {
        Some(ratio) => println!("|min/max|       {ratio:.6e}"),
        None => println!("|min/max|       undefined (lambda_max = 0)"),
    }
    match r.trace.std_error {
        Some(se) => println!(
            "trace           {:.6e} +- {se:.2e} ({} draws)",
            r.trace.mean,
            r.trace.draws.len()
        ),
        None => println!("trace           {:.6e} (1 draw)", r.trace.mean),
    }
    if let Some(s) = &r.sharpness {
        println!(
            "sharpness       {:.6e}  (eps {}, max loss {:.6})",
            s.value, s.options.epsilon, s.max_loss
        );
    }
    println!("hv products     {}", r.hessian_vector_products);
    println!("{}", job.out.display());
    Ok(())
}
