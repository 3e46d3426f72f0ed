//! Flags shared by the commands that measure the Hessian (`curvature`, `curvature-map`,
//! `spectrum`): how Hessian-vector products are computed, and how eigenvalues are found.

use clap::{Args, ValueEnum};
use descent_landscape::curvature::{EigenMethod, EigenOptions, FdScheme, HvpOptions, Precision};
use descent_train::DeviceChoice;

/// `--precision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    /// Single precision, as the model trains (the GPU default).
    F32,
    /// Double precision: parameters and data cast to f64 (the CPU default; each product is
    /// slower, but Lanczos converges in far fewer of them).
    F64,
}

/// The precision when `--precision` is not given: f64 on the CPU backends, f32 on GPUs.
///
/// On networks with sharp directions, f32 central differences at their best step for a
/// random direction (1e-3) are too coarse along the top eigenvectors: on the reference VGG-11
/// of `descent-landscape`'s curvature tests Lanczos did not converge in 100 steps in f32
/// (2923 against PyTorch's 3810) and converged in 24 in f64; on a VGG-11 trained here on
/// Fashion-MNIST, 163 products without convergence in f32 against 21 converged in f64, and
/// the f64 run took less time (README, "Curvature").
fn default_precision(device_name: &str) -> Precision {
    match device_name.parse::<DeviceChoice>() {
        Ok(DeviceChoice::Wgpu | DeviceChoice::Cuda) => Precision::F32,
        _ => Precision::F64,
    }
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
    /// Precision of the loss and gradients [default: f64 on the CPU backends, f32 on GPUs].
    #[arg(long, value_enum)]
    pub precision: Option<PrecisionArg>,
}

impl HvpFlags {
    /// The library options, for the device named `device_name` (which decides the precision
    /// when `--precision` is not given).
    pub fn options(&self, device_name: &str) -> HvpOptions {
        let precision = self
            .precision
            .map_or_else(|| default_precision(device_name), Precision::from);
        let defaults = HvpOptions::new(precision, self.hvp.into());
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
