//! [`MomentumHandle`]: a momentum set from outside the optimizer, step by step, for schedules
//! that cycle it (PyTorch's `cycle_momentum`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A shared cell holding the momentum the next optimizer steps use, in place of the configured
/// one: SGD's momentum factor `μ` (heavy ball and Nesterov), RMSProp's momentum (when it has
/// one) and Adam's `β1`. Empty, the optimizer uses its configured value.
///
/// Burn's [`ModuleOptimizer`](burn::optim::ModuleOptimizer) keeps its optimizer out of reach,
/// so a cycled momentum cannot be set on it; build it with
/// [`OptimizerConfig::init_with_momentum`](super::OptimizerConfig::init_with_momentum) and set
/// the handle before each step, as PyTorch's `CyclicLR`/`OneCycleLR` set `group["momentum"]`
/// (or `group["betas"][0]`). Clones share the cell.
///
/// Differs from PyTorch: an optimizer without momentum (plain SGD, RMSProp with momentum 0)
/// ignores the handle; PyTorch would switch momentum on for it.
///
/// ```
/// use descent_optim::{MomentumConfig, MomentumHandle, OptimizerConfig, SgdConfig};
///
/// let handle = MomentumHandle::new();
/// let config = OptimizerConfig::Sgd(
///     SgdConfig::new().with_momentum(Some(MomentumConfig::new(0.9))),
/// );
/// let _optim = config.init_with_momentum(&handle)?;
/// handle.set(Some(0.85)); // the next steps use momentum 0.85
/// assert_eq!(handle.get(), Some(0.85));
/// # Ok::<(), descent_optim::OptimError>(())
/// ```
#[derive(Clone, Debug)]
pub struct MomentumHandle(Arc<AtomicU64>);

impl MomentumHandle {
    /// An empty handle: the optimizer uses its configured momentum.
    pub fn new() -> Self {
        Self(Arc::new(AtomicU64::new(f64::NAN.to_bits())))
    }

    /// Sets the momentum of the next steps (`None`: the configured one).
    pub fn set(&self, momentum: Option<f64>) {
        let bits = momentum.unwrap_or(f64::NAN).to_bits();
        self.0.store(bits, Ordering::Relaxed);
    }

    /// The momentum set, if any.
    pub fn get(&self) -> Option<f64> {
        let value = f64::from_bits(self.0.load(Ordering::Relaxed));
        (!value.is_nan()).then_some(value)
    }
}

impl Default for MomentumHandle {
    fn default() -> Self {
        Self::new()
    }
}

/// The momentum to use: the handle's, if set, else `configured`.
pub(crate) fn effective(handle: Option<&MomentumHandle>, configured: f64) -> f64 {
    handle.and_then(MomentumHandle::get).unwrap_or(configured)
}
