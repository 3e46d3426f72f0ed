//! `descent landscape curvature`: the extreme Hessian eigenvalues (Lanczos or power iteration,
//! with their residuals), the trace (deflated Hutchinson, stopped on its standard error),
//! per-layer blocks and sharpness of a checkpoint, printed and saved as a curvature file.

use clap::{Args, ValueEnum};
use std::path::PathBuf;

use descent_landscape::BiasBn;
use descent_landscape::curvature::job::{CurvatureJob, run_curvature_job};
use descent_landscape::curvature::layers_plot::draw_layers;
use descent_landscape::curvature::{
    CurvatureOptions, CurvatureReport, EigenSummary, SharpnessDefinition, SharpnessOptions,
    TraceOptions,
};

use super::flags::{EvalFlags, eval_options, imported_card};
use super::hessian_flags::{EigenFlags, HvpFlags};

/// `--sharpness`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SharpnessArg {
    /// Keskar et al. 2017 metric 2.1: 100 (max L - L) / (1 + L) over |d_i| <= eps (|x_i| + 1).
    Keskar,
    /// Keskar's percent scale over a filter-normalized box (ours; not comparable with
    /// Keskar's tables).
    FilterNormalized,
    /// ASAM's adaptive sharpness (Kwon et al. 2021): max L - L over |d_i| <= eps (|x_i| + eta).
    Adaptive,
}

impl From<SharpnessArg> for SharpnessDefinition {
    fn from(s: SharpnessArg) -> Self {
        match s {
            SharpnessArg::Keskar => SharpnessDefinition::Keskar,
            SharpnessArg::FilterNormalized => SharpnessDefinition::FilterNormalized,
            SharpnessArg::Adaptive => SharpnessDefinition::Adaptive,
        }
    }
}

/// `descent landscape curvature`.
#[derive(Debug, Clone, Args)]
pub struct CurvatureArgs {
    /// A run folder, checkpoint folder, or model .bpk (with model.json beside it).
    pub checkpoint: PathBuf,
    /// How many of the largest eigenvalues to report.
    #[arg(long, default_value_t = 1, help_heading = "Eigenvalues")]
    pub top_k: usize,
    /// How many of the smallest (most negative) eigenvalues to report.
    #[arg(long, default_value_t = 1, help_heading = "Eigenvalues")]
    pub bottom_k: usize,
    /// Eigenvalue method and stopping rule.
    #[command(flatten)]
    pub eigen: EigenFlags,
    /// Stop drawing Rademacher vectors when the trace's standard error is at most this share
    /// of the trace.
    #[arg(long, default_value_t = 1e-2, help_heading = "Trace")]
    pub trace_rtol: f64,
    /// Draws of the trace estimate, at least.
    #[arg(long, default_value_t = 10, help_heading = "Trace")]
    pub trace_min_draws: usize,
    /// Draws of the trace estimate, at most.
    #[arg(long, default_value_t = 200, help_heading = "Trace")]
    pub trace_max_draws: usize,
    /// Plain Hutchinson: do not deflate the eigenvectors found before drawing.
    #[arg(long, help_heading = "Trace")]
    pub no_deflate: bool,
    /// Also measure each layer's diagonal block of the Hessian (largest and smallest
    /// eigenvalue, trace).
    #[arg(long)]
    pub per_layer: bool,
    /// Sharpness definitions to measure, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "keskar",
        help_heading = "Sharpness"
    )]
    pub sharpness: Vec<SharpnessArg>,
    /// Box size of the sharpness (Keskar et al. report 1e-3 and 5e-4); 0 skips sharpness.
    #[arg(long, default_value_t = 1e-3, help_heading = "Sharpness")]
    pub sharpness_eps: f64,
    /// ASAM's eta (adaptive sharpness only).
    #[arg(long, default_value_t = 0.01, help_heading = "Sharpness")]
    pub asam_eta: f64,
    /// Ascent steps per start of the sharpness maximization.
    #[arg(long, default_value_t = 10, help_heading = "Sharpness")]
    pub sharpness_steps: usize,
    /// Starts of the sharpness maximization (the centre and random points of the box).
    #[arg(long, default_value_t = 3, help_heading = "Sharpness")]
    pub sharpness_starts: usize,
    /// Biases and batch-norm parameters in the filter-normalized box: ignore (fixed) or
    /// include. Keskar's and ASAM's boxes always include them.
    #[arg(
        long,
        default_value = "ignore",
        value_parser = crate::values::listed::<BiasBn>(&["ignore", "include"]),
        help_heading = "Sharpness"
    )]
    pub bias_bn: BiasBn,
    /// Hessian-vector products.
    #[command(flatten)]
    pub hvp: HvpFlags,
    /// Seed of the start vectors, Rademacher draws and sharpness starts.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Evaluation data (one split; the training split by default).
    #[command(flatten)]
    pub eval: EvalFlags,
    /// The curvature file (.npz).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Runs `descent landscape curvature`.
pub fn run(device_name: &str, args: &CurvatureArgs) -> anyhow::Result<()> {
    let sharpness = if args.sharpness_eps == 0.0 {
        Vec::new()
    } else {
        let bias_bn = args.bias_bn;
        args.sharpness
            .iter()
            .map(|&d| SharpnessOptions {
                definition: d.into(),
                epsilon: args.sharpness_eps,
                eta: args.asam_eta,
                bias_bn,
                starts: args.sharpness_starts,
                steps: args.sharpness_steps,
                seed: args.seed,
                ..SharpnessOptions::default()
            })
            .collect()
    };
    let options = CurvatureOptions {
        top_k: args.top_k,
        bottom_k: args.bottom_k,
        eigen: args.eigen.options(args.seed),
        trace: TraceOptions {
            rtol: args.trace_rtol,
            min_draws: args.trace_min_draws,
            max_draws: args.trace_max_draws,
            seed: args.seed,
            deflate: !args.no_deflate,
        },
        hvp: args.hvp.options(device_name),
        sharpness,
        per_layer: args.per_layer,
    };
    let eval = eval_options(&args.eval)?;
    eval.require_one_split("curvature")?;
    let job = CurvatureJob {
        checkpoint: args.checkpoint.clone(),
        imported: imported_card(&args.eval)?,
        eval,
        options,
        out: args.out.clone(),
    };
    let (choice, device) = crate::commands::open_device(device_name)?;
    let file = run_curvature_job(&job, &device, &choice.to_string())?;
    let r = &file.report;
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
    print_eigenvalues(r, &file.options);
    print_trace(r);
    if !r.layers.is_empty() {
        print_layers(r);
    }
    for s in &r.sharpness {
        println!(
            "sharpness       {:.6e}  {} (eps {}, max loss {:.6})",
            s.value, s.options.definition, s.options.epsilon, s.max_loss
        );
        println!("                {}", s.options.definition.source());
    }
    println!(
        "hv products     {} ({} gradients each, step h = {:.3e}, {})",
        r.hessian_vector_products,
        file.options.hvp.gradients_per_product(),
        r.fd_step,
        file.options.hvp.precision
    );
    println!("{}", job.out.display());
    let stem = job.out.with_extension("");
    let stem = stem.with_file_name(format!(
        "{}-layers",
        stem.file_name()
            .map_or("curvature".into(), |n| n.to_string_lossy())
    ));
    for path in draw_layers(&file, &stem)? {
        println!("{}", path.display());
    }
    Ok(())
}

fn mark(e: &EigenSummary) -> &'static str {
    if e.converged { "" } else { "  (not converged)" }
}

fn print_eigenvalues(r: &CurvatureReport, options: &CurvatureOptions) {
    println!(
        "eigenvalues     {}, {} products; converged: |H v - lambda v| <= {:e} * |H| ~ {:.3e}",
        options.eigen.method, r.eigen_products, options.eigen.tol, r.hessian_norm
    );
    for (i, e) in r.largest.iter().enumerate() {
        let name = if i == 0 {
            "lambda_max".to_string()
        } else {
            format!("largest {}", i + 1)
        };
        println!(
            "{name:<15} {:.6e}  residual {:.1e}{}",
            e.value,
            e.residual,
            mark(e)
        );
    }
    for (i, e) in r.smallest.iter().enumerate() {
        let name = if i == 0 {
            "lambda_min".to_string()
        } else {
            format!("smallest {}", i + 1)
        };
        println!(
            "{name:<15} {:.6e}  residual {:.1e}{}",
            e.value,
            e.residual,
            mark(e)
        );
    }
    match r.ratio {
        Some(ratio) => println!("|min/max|       {ratio:.6e}"),
        None => println!("|min/max|       undefined (lambda_max = 0)"),
    }
}

fn print_trace(r: &CurvatureReport) {
    let t = &r.trace;
    let deflated = if t.deflation_rank > 0 {
        format!(", {} eigenvectors deflated", t.deflation_rank)
    } else {
        String::new()
    };
    let status = if t.converged {
        String::new()
    } else {
        format!(
            "  (standard error above --trace-rtol {} after {} draws)",
            t.options.rtol,
            t.draws.len()
        )
    };
    println!(
        "trace           {:.6e} +- {:.2e} ({} draws{deflated}){status}",
        t.mean,
        t.std_error,
        t.draws.len()
    );
}

fn print_layers(r: &CurvatureReport) {
    println!(
        "{:<28} {:>9} {:>13} {:>13} {:>22}",
        "layer", "params", "lambda_max", "lambda_min", "trace"
    );
    for l in &r.layers {
        println!(
            "{:<28} {:>9} {:>13.5e} {:>13.5e} {:>12.5e} +- {:.1e}{}",
            l.layer,
            l.parameters,
            l.lambda_max.value,
            l.lambda_min.value,
            l.trace.mean,
            l.trace.std_error,
            if l.lambda_max.converged && l.lambda_min.converged && l.trace.converged {
                ""
            } else {
                "  (not converged)"
            }
        );
    }
}
