//! The momentum update of [`Sgd`](super::Sgd) as one pass over memory on Burn's `Flex` backend
//! (float32), instead of four tensor operations that each read and write every parameter.
//!
//! Per element, in float32 and in the order of the tensor-operation path (so the two give
//! bit-identical results; no fused multiply-add):
//!
//! ```text
//! g' = g · (1 − dampening)          (skipped when dampening is 0)
//! b  = b · momentum + g'
//! d  = g + b · momentum  (Nesterov) | b
//! p  = p − d · lr
//! ```
//!
//! Parameter and buffer are updated in place when this step owns them (they are copied first
//! when shared, Burn's copy-on-write). Other backends, dtypes and the first step (no buffer yet)
//! take the tensor-operation path in `sgd.rs`.

use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{DType, Device, Tensor};
use rayon::prelude::*;

/// Elements per parallel task: below two tasks the update runs on the calling thread (waking
/// rayon's pool costs more than a pass over a small tensor).
const CHUNK: usize = 1 << 16;

/// The scalars of one momentum update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct MomentumUpdate {
    /// Learning rate.
    pub(crate) lr: f64,
    /// Momentum factor `μ`.
    pub(crate) momentum: f64,
    /// Dampening `τ` of the gradient added to the buffer.
    pub(crate) dampening: f64,
    /// Nesterov's look-ahead direction.
    pub(crate) nesterov: bool,
}

/// True when [`momentum_step`] handles these tensors: all three float32 on `Flex`, of one shape.
pub(crate) fn applies<const D: usize>(
    param: &Tensor<D>,
    grad: &Tensor<D>,
    buffer: &Tensor<D>,
) -> bool {
    let flex = Device::flex();
    [param, grad, buffer]
        .iter()
        .all(|t| t.dtype() == DType::F32 && t.device() == flex)
        && param.shape() == grad.shape()
        && param.shape() == buffer.shape()
}

/// The updated `(param, buffer)`. Call only where [`applies`] holds.
pub(crate) fn momentum_step<const D: usize>(
    param: Tensor<D>,
    grad: Tensor<D>,
    buffer: Tensor<D>,
    update: MomentumUpdate,
) -> (Tensor<D>, Tensor<D>) {
    let (param, buffer) = <Dispatch as DescentSgdStep>::descent_sgd_momentum_step(
        param.into_dispatch(),
        grad.into_dispatch(),
        buffer.into_dispatch(),
        update,
    );
    (Tensor::from_dispatch(param), Tensor::from_dispatch(buffer))
}

/// The extension: the fused SGD momentum update on `Flex`.
#[backend_extension(Flex)]
pub(crate) trait DescentSgdStep: Backend {
    /// `(param, buffer)` after one momentum update with `grad`.
    fn descent_sgd_momentum_step(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        buffer: FloatTensor<Self>,
        update: MomentumUpdate,
    ) -> (FloatTensor<Self>, FloatTensor<Self>);
}

impl DescentSgdStep for Flex {
    fn descent_sgd_momentum_step(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        buffer: FloatTensor<Self>,
        update: MomentumUpdate,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let (mut param, grad, mut buffer) =
            (contiguous(param), contiguous(grad), contiguous(buffer));
        let g = grad.storage::<f32>();
        // Contiguous from offset 0, so storage is exactly the values (also when copied on write).
        let (p, b) = (param.storage_mut::<f32>(), buffer.storage_mut::<f32>());
        update_slices(p, g, b, update);
        (param, buffer)
    }
}

/// `t` itself when contiguous from offset 0 over its whole storage, else a contiguous copy.
fn contiguous(t: FlexTensor) -> FlexTensor {
    let whole = t.layout().shape().num_elements() * std::mem::size_of::<f32>() == t.bytes().len();
    if t.is_contiguous() && t.layout().start_offset() == 0 && whole {
        t
    } else {
        t.to_contiguous()
    }
}

/// The update over three slices of equal length, in parallel chunks when long.
fn update_slices(p: &mut [f32], g: &[f32], b: &mut [f32], update: MomentumUpdate) {
    if p.len() < 2 * CHUNK {
        update_chunk(p, g, b, update);
    } else {
        p.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(b.par_chunks_mut(CHUNK))
            .for_each(|((p, g), b)| update_chunk(p, g, b, update));
    }
}

/// The update of one chunk; each branch is a loop the compiler vectorizes.
fn update_chunk(p: &mut [f32], g: &[f32], b: &mut [f32], update: MomentumUpdate) {
    // The scalars as Burn's `mul_scalar` on float32 uses them.
    let lr = update.lr as f32;
    let mu = update.momentum as f32;
    let keep = (1.0 - update.dampening) as f32;
    let damp = update.dampening != 0.0;
    let values = p.iter_mut().zip(g).zip(b.iter_mut());
    match (damp, update.nesterov) {
        (false, false) => values.for_each(|((p, &g), b)| {
            *b = *b * mu + g;
            *p -= *b * lr;
        }),
        (true, false) => values.for_each(|((p, &g), b)| {
            *b = *b * mu + g * keep;
            *p -= *b * lr;
        }),
        (false, true) => values.for_each(|((p, &g), b)| {
            *b = *b * mu + g;
            *p -= (g + *b * mu) * lr;
        }),
        (true, true) => values.for_each(|((p, &g), b)| {
            *b = *b * mu + g * keep;
            *p -= (g + *b * mu) * lr;
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Sgd, SgdState};
    use super::*;
    use crate::{MomentumConfig, SgdConfig};
    use burn::optim::Optimizer;
    use burn::tensor::{Distribution, TensorData};

    /// Odd length past two chunks, so the parallel path and a short last chunk both run.
    const LEN: usize = 2 * CHUNK + 12_345;

    fn sgd(momentum: f64, dampening: f64, nesterov: bool) -> Sgd {
        SgdConfig::new()
            .with_momentum(Some(
                MomentumConfig::new(momentum)
                    .with_dampening(dampening)
                    .with_nesterov(nesterov),
            ))
            .build()
            .unwrap()
    }

    fn random(seed: u64, device: &Device) -> TensorData {
        device.seed(seed);
        Tensor::<1>::random([LEN], Distribution::Normal(0.0, 1.0), device).into_data()
    }

    /// Four steps of `optim` from the same data on `device`; the parameter after each.
    fn trajectory(optim: &Sgd, device: &Device) -> Vec<Vec<f32>> {
        let source = Device::flex();
        let mut param = Tensor::<1>::from_data(random(1, &source), device);
        let mut state: Option<SgdState<1>> = None;
        (0..4)
            .map(|step| {
                let grad = Tensor::<1>::from_data(random(10 + step, &source), device);
                let lr = 0.1 / (1.0 + step as f64);
                let (p, s) = optim.step(lr, param.clone(), grad, state.take());
                (param, state) = (p, s);
                param.to_data().try_into_vec::<f32>().unwrap()
            })
            .collect()
    }

    /// The fused update against the tensor-operation path (NdArray takes it), bit for bit,
    /// for every combination of dampening and Nesterov.
    #[test]
    #[allow(deprecated)] // Device::ndarray: the deprecated backend is still one we compile
    fn fused_step_is_bit_identical_to_tensor_operations() {
        for (dampening, nesterov) in [(0.0, false), (0.25, false), (0.0, true)] {
            let optim = sgd(0.9, dampening, nesterov);
            let fused = trajectory(&optim, &Device::flex());
            let reference = trajectory(&optim, &Device::ndarray());
            for (step, (f, r)) in fused.iter().zip(&reference).enumerate() {
                let differ = f.iter().zip(r).filter(|(a, b)| a.to_bits() != b.to_bits());
                assert_eq!(
                    differ.count(),
                    0,
                    "dampening {dampening}, nesterov {nesterov}: step {}",
                    step + 1
                );
            }
        }
    }

    /// The (dampening, Nesterov) pair the config refuses, on the slices directly.
    #[test]
    fn dampened_nesterov_chunk_follows_the_formula() {
        let update = MomentumUpdate {
            lr: 0.5,
            momentum: 0.5,
            dampening: 0.5,
            nesterov: true,
        };
        let (mut p, g, mut b) = (vec![1.0f32, -2.0], [2.0f32, 4.0], vec![4.0f32, 0.0]);
        update_chunk(&mut p, &g, &mut b, update);
        // b = 0.5·b + 0.5·g; p -= 0.5·(g + 0.5·b)
        assert_eq!(b, [3.0, 2.0]);
        assert_eq!(p, [1.0 - 0.5 * 3.5, -2.0 - 0.5 * 5.0]);
    }

    /// A parameter that is still shared is copied, not changed under its other owner; a
    /// transposed (non-contiguous) one is read in its logical order.
    #[test]
    fn shared_and_transposed_parameters_are_left_intact() {
        let device = Device::flex();
        let update = MomentumUpdate {
            lr: 1.0,
            momentum: 0.5,
            dampening: 0.0,
            nesterov: false,
        };
        let param = Tensor::<2>::from_floats([[1.0, 2.0], [3.0, 4.0]], &device);
        let kept = param.clone();
        let grad = Tensor::<2>::from_floats([[1.0, 1.0], [1.0, 1.0]], &device);
        let buffer = Tensor::<2>::from_floats([[2.0, 2.0], [2.0, 2.0]], &device);
        let (stepped, buffer) = momentum_step(param.transpose(), grad, buffer, update);
        // b = 0.5·2 + 1 = 2; p = pᵀ − 2.
        assert_eq!(
            stepped.into_data().try_into_vec::<f32>().unwrap(),
            [-1.0, 1.0, 0.0, 2.0]
        );
        assert_eq!(buffer.into_data().try_into_vec::<f32>().unwrap(), [2.0; 4]);
        assert_eq!(
            kept.into_data().try_into_vec::<f32>().unwrap(),
            [1.0, 2.0, 3.0, 4.0]
        );
    }

    #[test]
    #[allow(deprecated)] // Device::ndarray: the deprecated backend is still one we compile
    fn other_backends_and_shapes_do_not_apply() {
        let flex = Device::flex();
        let a = Tensor::<1>::zeros([3], &flex);
        let short = Tensor::<1>::zeros([2], &flex);
        let ndarray = Tensor::<1>::zeros([3], &Device::ndarray());
        assert!(applies(&a, &a, &a));
        assert!(!applies(&a, &short, &a));
        assert!(!applies(&ndarray, &ndarray, &ndarray));
    }
}
