//! Reading and making float32 `Flex` tensors, shared by this crate's CPU kernels.

use burn::backend::flex::FlexTensor;
use burn::tensor::{Shape, TensorData};
use rayon::prelude::*;

/// A contiguous copy of `t` (or `t` itself when already contiguous from offset 0).
pub(crate) fn contiguous(t: FlexTensor) -> FlexTensor {
    if t.is_contiguous() && t.layout().start_offset() == 0 {
        t
    } else {
        t.to_contiguous()
    }
}

/// The float32 values of a contiguous tensor.
pub(crate) fn f32_slice(t: &FlexTensor) -> &[f32] {
    #[allow(clippy::expect_used)]
    t.as_slice::<f32>().expect("contiguous float32 tensor") // unwrap-ok: callers made it so
}

/// A float32 tensor owning `values` (no copy).
pub(crate) fn tensor(values: Vec<f32>, shape: impl Into<Shape>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.into()))
}

/// The sizes of a tensor of rank `D`.
pub(crate) fn dims<const D: usize>(t: &FlexTensor) -> [usize; D] {
    let shape = t.layout().shape();
    std::array::from_fn(|d| shape[d])
}

/// Floats from which [`zeros`] fills in parallel.
const PARALLEL_MIN_ZEROS: usize = 1 << 17;

/// `len` zeros, written by rayon's threads when `len` is large: the output buffers of this
/// crate's kernels (several MB each) are zeroed before the kernels write them, a pass over
/// memory that one thread alone makes a visible share of a training step.
pub(crate) fn zeros(len: usize) -> Vec<f32> {
    if len < PARALLEL_MIN_ZEROS {
        return vec![0f32; len];
    }
    let mut v = Vec::with_capacity(len);
    v.par_extend(rayon::iter::repeat_n(0f32, len));
    v
}
