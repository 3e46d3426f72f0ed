//! Reading and making float32 `Flex` tensors, shared by this crate's CPU kernels.

use burn::backend::flex::FlexTensor;
use burn::tensor::{Shape, TensorData};

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
