//! Flags shared by the commands that measure the Hessian (`curvature`, `curvature-map`,
//! `spectrum`): how Hessian-vector products are computed, and how eigenvalues are found.

use clap::{Args, ValueEnum};
use descent_landscape::curvature::{EigenMethod, EigenOptions, FdScheme, HvpOptions, Precision};

/// `--precision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    /// Single precision, as the model trains.
    F32,
    /// Double precision: parameters and data cast to f64 (CPU backends; about 2-4x slower).
    F64,
}

impl From<PrecisionArg> for Precision {
    fn from(p: PrecisionArg) -> Self {
        match p {
            PrecisionArg::F32 => Precision::F32,
            PrecisionArg::F64 => Precision::F64,
        }
    }
}

/// `--hvp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemeArg {
    /// Central differences of gradients: two gradients per product, error O(h^2).
    Central,
    /// Richardson extrapolation of central differences: four gradients, error O(h^4).
    Richardson,
}

impl From<SchemeArg> for FdScheme {
    fn from(s: SchemeArg) -> Self {
        match s {
            SchemeArg::Central => FdScheme::Central,
            SchemeArg::Richardson => FdScheme::Richardson,
        }
    }
}

/// `--method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Lanczos with full reorthogonalization: both ends of the spectrum from one run.
    Lanczos,
    /// Power iteration with deflation and shifts (PyHessian's method), residual stopping.
    Power,
}

impl From<MethodArg> for EigenMethod {
    fn from(m: MethodArg) -> Self {
        match m {
            MethodArg::Lanczos => EigenMethod::Lanczos,
            MethodArg::Power => EigenMethod::Power,
        }
    }
}

/// How Hessian-vector products are computed.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Hessian-vector products")]
pub struct HvpFlags {
    /// Finite-difference step relative to the point: h = STEP * (1 + |theta|) along a unit
    /// vector. Default: the best measured for the precision and formula (f32: 1e-3 central,
    /// 1e-2 richardson; f64: 1e-5 central, 1e-3 richardson).
    #[arg(long)]
    pub fd_step: Option<f64>,
    /// Finite-difference formula.
    #[arg(long, value_enum, default_value_t = SchemeArg::Central)]
    pub hvp: SchemeArg,
    /// Precision of the loss and gradients.
    #[arg(long, value_enum, default_value_t = PrecisionArg::F32)]
    pub precision: PrecisionArg,
}

impl HvpFlags {
    /// The library options.
    pub fn options(&self) -> HvpOptions {
        let defaults = HvpOptions::new(self.precision.into(), self.hvp.into());
        HvpOptions {
            step: self.fd_step.unwrap_or(defaults.step),
            ..defaults
        }
    }
}

/// How eigenvalues are found.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Eigenvalues")]
pub struct EigenFlags {
    /// Lanczos or power iteration.
    #[arg(long, value_enum, default_value_t = MethodArg::Lanczos)]
    pub method: MethodArg,
    /// Lanczos steps (one Hessian-vector product each), or power iterations per eigenvalue,
    /// at most.
    #[arg(long, default_value_t = 100)]
    pub iterations: usize,
    /// An eigenpair (lambda, v) is converged when |H v - lambda v| <= TOL * |H|.
    #[arg(long, default_value_t = 1e-3)]
    pub tol: f64,
    /// Lanczos: a second run deflated by the first run's eigenvectors, to find a second copy
    /// of an exactly repeated eigenvalue (one Lanczos run sees each eigenvalue once; about
    /// twice the products). Power iteration finds every copy.
    #[arg(long)]
    pub second_pass: bool,
}

impl EigenFlags {
    /// The library options, with `seed`.
    pub fn options(&self, seed: u64) -> EigenOptions {
        EigenOptions {
            method: self.method.into(),
            max_iterations: self.iterations,
            tol: self.tol,
            seed,
            second_pass: self.second_pass,
        }
    }
}
