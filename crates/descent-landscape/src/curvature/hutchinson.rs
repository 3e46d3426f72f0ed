//! The trace of a symmetric operator by Hutchinson's estimator: `tr(A) = E[v^T A v]` for
//! Rademacher vectors `v` (independent +-1 entries), averaged over seeded draws, with the
//! standard error of that mean. The estimate's variance is `2 sum_{i != j} A_ij^2` per draw:
//! small when `A` is nearly diagonal.

use burn::tensor::{Tensor, TensorData};
use descent_data::rng::{Rng, derive_seed};
use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::curvature::hvp::LinearOperator;
use crate::kind::ParamKind;
use crate::vector::ParamVector;

/// Hutchinson's estimate of a trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceEstimate {
    /// The mean of `v^T A v` over the draws.
    pub mean: f64,
    /// The standard error of the mean (sample standard deviation over `sqrt(draws)`; `None`
    /// for one draw).
    pub std_error: Option<f64>,
    /// Each draw's `v^T A v`, in order.
    pub draws: Vec<f64>,
    /// The seed.
    pub seed: u64,
}

/// A Rademacher vector (+-1 on every trainable entry, 0 on running statistics) with
/// `like`'s layout; entry `p` comes from a generator seeded with `(seed, p)`.
pub fn rademacher_like(like: &ParamVector, seed: u64) -> ParamVector {
    like.map(|e| {
        let n = e.info.numel();
        let device = e.value.device();
        if e.info.kind == ParamKind::Buffer {
            return Tensor::zeros([n], &device);
        }
        let stream = e.info.path.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let mut rng = Rng::new(derive_seed(seed, stream));
        let values: Vec<f32> = (0..n)
            .map(|_| if rng.coin() { 1.0 } else { -1.0 })
            .collect();
        Tensor::from_data(TensorData::new(values, [n]), &device)
    })
}

/// Hutchinson's estimate of `tr(op)` from `draws` Rademacher vectors; draw `i` is seeded with
/// `(seed, i)`.
///
/// # Errors
///
/// [`LandscapeError::InvalidOption`] for zero draws; the operator's errors.
pub fn hutchinson_trace(
    op: &mut dyn LinearOperator,
    draws: usize,
    seed: u64,
) -> Result<TraceEstimate, LandscapeError> {
    if draws == 0 {
        return Err(LandscapeError::invalid(
            "hutchinson_samples",
            0,
            "the trace estimate needs at least one sample",
        ));
    }
    let mut values = Vec::with_capacity(draws);
    for i in 0..draws {
        let v = rademacher_like(op.template(), derive_seed(seed, i as u64));
        let hv = op.apply(&v)?;
        values.push(v.dot(&hv)?);
    }
    let m = values.len() as f64;
    let mean = values.iter().sum::<f64>() / m;
    let std_error = if values.len() > 1 {
        let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0);
        Some((var / m).sqrt())
    } else {
        None
    };
    Ok(TraceEstimate {
        mean,
        std_error,
        draws: values,
        seed,
    })
}
