//! `descent landscape spectrum`: the eigenvalue spectral density of a checkpoint's Hessian by
//! stochastic Lanczos quadrature (Ghorbani et al. 2019; PyHessian's `density()`), saved as a
//! spectrum file and drawn as log-density against eigenvalue.

use std::path::PathBuf;

use clap::Args;
use descent_landscape::curvature::DensityOptions;
use descent_landscape::curvature::spectrum_job::{SpectrumJob, run_spectrum_job};
use descent_landscape::curvature::spectrum_plot::draw_spectrum;

use super::flags::{EvalFlags, eval_options, imported_card};
use super::hessian_flags::HvpFlags;

/// `descent landscape spectrum`.
#[derive(Debug, Clone, Args)]
pub struct SpectrumArgs {
    /// A run folder, checkpoint folder, or model .bpk (with model.json beside it).
    pub checkpoint: PathBuf,
    /// Lanczos steps per probe (quadrature nodes per probe; one Hessian-vector product each).
    #[arg(long, default_value_t = 100, help_heading = "Density")]
    pub lanczos_steps: usize,
    /// Probe vectors (independent Lanczos runs from Rademacher vectors).
    #[arg(long, default_value_t = 4, help_heading = "Density")]
    pub probes: usize,
    /// Smoothing: the Gaussian's variance is SIGMA_SQUARED * max(1, spectral width)
    /// (PyHessian's default 1e-5).
    #[arg(long, default_value_t = 1e-5, help_heading = "Density")]
    pub sigma_squared: f64,
    /// Grid points of the smoothed density.
    #[arg(long, default_value_t = 10_000, help_heading = "Density")]
    pub bins: usize,
    /// Seed of the probes.
    #[arg(long, default_value_t = 0, help_heading = "Density")]
    pub seed: u64,
    /// Hessian-vector products.
    #[command(flatten)]
    pub hvp: HvpFlags,
    /// Evaluation data (one split; the training split by default).
    #[command(flatten)]
    pub eval: EvalFlags,
    /// The spectrum file (.npz); the plot is written beside it (.svg, .png).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Runs `descent landscape spectrum`.
pub fn run(device_name: &str, args: &SpectrumArgs) -> anyhow::Result<()> {
    let eval = eval_options(&args.eval)?;
    eval.require_one_split("the spectrum")?;
    let job = SpectrumJob {
        checkpoint: args.checkpoint.clone(),
        imported: imported_card(&args.eval)?,
        eval,
        density: DensityOptions {
            steps: args.lanczos_steps,
            probes: args.probes,
            seed: args.seed,
            sigma_squared: args.sigma_squared,
            bins: args.bins,
        },
        hvp: args.hvp.options(device_name),
        out: args.out.clone(),
    };
    let (choice, device) = crate::commands::open_device(device_name)?;
    let file = run_spectrum_job(&job, &device, &choice.to_string())?;
    let m = &file.meta;
    let d = &file.density;
    let (lo, hi) = d
        .nodes
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &t| {
            (lo.min(t), hi.max(t))
        });
    println!("checkpoint      {}", m.checkpoint);
    println!(
        "data            {} ({}), {} samples",
        m.eval.splits.join(","),
        m.eval.datasets.join(","),
        m.eval.samples.map_or("all".into(), |n| n.to_string())
    );
    println!("parameters      {}", m.dim);
    println!("loss            {:.6}", m.loss);
    println!(
        "probes          {} x {} Lanczos steps, {} products",
        m.options.probes, m.options.steps, m.products
    );
    println!("nodes           {lo:.6e} .. {hi:.6e}");
    println!(
        "mean eigenvalue {:.6e} (trace estimate {:.6e})",
        m.moments[0],
        m.moments[0] * m.dim as f64
    );
    println!("mean square     {:.6e}", m.moments[1]);
    println!("{}", job.out.display());
    for path in draw_spectrum(&file, &job.out.with_extension(""))? {
        println!("{}", path.display());
    }
    Ok(())
}
