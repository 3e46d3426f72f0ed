//! [`recompute_batch_norm`]: reset the batch-norm running statistics of a module and recompute
//! them with one pass over data (PyTorch `torch.optim.swa_utils.update_bn`).

use std::collections::HashMap;

use burn::module::{Module, ParamId};
use burn::tensor::Tensor;

use super::walk::{self, Role};
use crate::OptimError;

/// The running statistics a probe sets before a forward pass: large enough that
/// `(1 - momentum) * PROBE` swamps `momentum * statistic`, and a power of two so that the
/// scaling is exact in floating point.
const PROBE: f64 = 1_152_921_504_606_846_976.0; // 2^60

const WHAT: &str = "batch-norm recompute";

/// Recomputes the running mean and variance of every Burn `BatchNorm` layer of `model` as the
/// plain average over `batches` of the per-batch statistics (PyTorch's `update_bn`: momentum
/// `None`, a cumulative average, every batch weighing the same whatever its size), and returns
/// the model in evaluation mode ([`Module::valid`]).
///
/// `forward(&model, batch)` must run the model's forward pass on the batch; the model it gets
/// is in training mode on an autodiff device (so `BatchNorm` uses batch statistics and updates
/// its running ones) with gradients off: put the batch's inputs on `model`'s device with
/// autodiff (e.g. `Device::flex().autodiff()`), as during training. Dropout is active, as in
/// PyTorch. The parameters are not changed. A model without `BatchNorm` is returned as it is
/// (in evaluation mode) without running `forward`.
///
/// # Which variance
///
/// Burn's `BatchNorm` tracks the *biased* batch variance (mean of squared deviations), where
/// PyTorch tracks the unbiased one (`n / (n - 1)` larger); this follows Burn, so the
/// recomputed statistics are the ones Burn's own training would converge to with a
/// cumulative average: `running_mean = mean_k(mean(batch_k))`,
/// `running_var = mean_k(var_biased(batch_k))`. With one batch holding all the data they are
/// the exact mean and (biased) variance of the layer's inputs (tested).
///
/// # How
///
/// Burn's `BatchNorm` updates `running = (1 - m) * running + m * batch_stat` with a momentum
/// `m` set at construction, not reachable through a generic module. The first batch is run
/// twice: once with the running statistics set to 2^60, which reveals `1 - m` exactly, once
/// with them set to 0, which gives `m * batch_stat`; every later batch runs once with the
/// statistics set to 0. Each batch statistic is `(m * batch_stat) / m`, averaged by a running
/// mean. So `B: Clone` (cloning a batch of tensors is cheap), and a layer built with momentum
/// 0, which never learns statistics, is refused.
///
/// # Errors
///
/// [`OptimError::Averaging`] when `batches` is empty (for a model with `BatchNorm`) or a layer
/// has momentum 0.
pub fn recompute_batch_norm<M, B, I, F>(
    model: M,
    batches: I,
    mut forward: F,
) -> Result<M, OptimError>
where
    M: Module,
    B: Clone,
    I: IntoIterator<Item = B>,
    F: FnMut(&M, B),
{
    let buffers = walk::buffers(&model);
    if buffers.is_empty() {
        return Ok(model.valid());
    }
    let mut model = model.train().no_grad();
    let mut batches = batches.into_iter();
    let Some(first) = batches.next() else {
        return Err(OptimError::Averaging {
            what: WHAT,
            reason: "no batches to recompute the statistics with".into(),
        });
    };

    // 1 - m for each buffer, from a pass with the running statistics at PROBE.
    model = set_buffers(model, |value| Some(value.ones_like().mul_scalar(PROBE)));
    forward(&model, first.clone());
    let keep = read_buffers(&model)
        .into_iter()
        .map(|(id, value)| (id, value.div_scalar(PROBE)))
        .collect::<HashMap<_, _>>();
    let mut momentum = HashMap::new();
    for (id, keep) in keep {
        // One value per layer: every feature's buffer is updated with the same factor.
        let one_minus_m = keep.slice(0..1).into_scalar::<f64>();
        let m = 1.0 - one_minus_m;
        if !(m > 0.0 && m.is_finite()) {
            let path = buffers.get(&id).cloned().unwrap_or_default();
            return Err(OptimError::Averaging {
                what: WHAT,
                reason: format!(
                    "{path} is never updated by its batch-norm layer (momentum 0?), so its \
                     statistics cannot be recomputed"
                ),
            });
        }
        momentum.insert(id, m);
    }

    // The cumulative average of the batch statistics, in our own tensors.
    let mut average: HashMap<ParamId, Tensor<1>> = HashMap::new();
    let mut count = 0_usize;
    for batch in core::iter::once(first).chain(batches) {
        model = set_buffers(model, |value| Some(value.zeros_like()));
        forward(&model, batch);
        count += 1;
        for (id, scaled) in read_buffers(&model) {
            let Some(&m) = momentum.get(&id) else {
                continue; // not a buffer of the first pass: cannot happen for one model
            };
            let stat = scaled.div_scalar(m);
            let next = match average.remove(&id) {
                None => stat,
                Some(avg) => avg.clone() + (stat - avg).div_scalar(count as f64),
            };
            average.insert(id, next);
        }
    }

    let model = walk::rewrite(model, |role, id, _path, _value| match role {
        Role::Buffer => average.remove(&id),
        Role::Param => None,
    });
    Ok(model.valid())
}

/// Sets every buffer of `model` to `f(current)`.
fn set_buffers<M: Module>(model: M, mut f: impl FnMut(Tensor<1>) -> Option<Tensor<1>>) -> M {
    walk::rewrite(model, |role, _id, _path, value| match role {
        Role::Buffer => f(value),
        Role::Param => None,
    })
}

/// The current buffers of `model`, after a forward pass.
///
/// A `RunningState` keeps the update of a forward pass aside (per thread) until it is synced;
/// `valid()` syncs it (and the returned copy holds the synced values), so the next
/// [`set_buffers`] is not overwritten by the pending update.
fn read_buffers<M: Module>(model: &M) -> Vec<(ParamId, Tensor<1>)> {
    walk::collect(&model.valid())
        .into_iter()
        .filter(|(_, e)| e.role == Role::Buffer)
        .map(|(id, e)| (id, e.value))
        .collect()
}
