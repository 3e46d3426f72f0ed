//! The matrix product under this crate's CPU kernels ([`crate::conv`], [`crate::linear`]):
//! each product runs on whichever gemm is fastest for its shape.
//!
//! - Default build: two pure-Rust gemms, the `gemm` crate behind `Flex::float_matmul`, and
//!   `matrixmultiply` through ndarray. Measured on the shapes of a VGG-11 x1/4 and an MLP step
//!   (`benches/kernels.rs`, `gemm` and `gemm-mlp`): `matrixmultiply` is 1.2-1.8x faster with
//!   at least 64 output rows and a moderate inner size; it does not split a long inner
//!   dimension across threads, so the weight gradients of the large early conv layers (inner
//!   size = batch · positions) and the products with few rows stay on `gemm` (up to 9x faster
//!   there).
//! - Feature `openblas`: ndarray's product is the system OpenBLAS's `sgemm` (Debian:
//!   `libopenblas-dev`), used for every shape: 2.1x the pure-Rust pair on the VGG shapes.

use crate::flex_data::{contiguous, dims, f32_slice};
use burn::backend::Flex;
use burn::backend::flex::FlexTensor;
use burn::backend::ops::FloatTensorOps;
use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};

/// Whether ndarray's product (`matrixmultiply`, or OpenBLAS with the `openblas` feature) should
/// run an `[m, k] · [k, n]` product rather than `Flex::float_matmul` (see the module docs).
fn prefer_ndarray(m: usize, k: usize) -> bool {
    cfg!(feature = "openblas") || (m >= 64 && k <= 4096)
}

/// A row-major `rows × cols` view of `data`.
pub(crate) fn matrix(data: &[f32], rows: usize, cols: usize) -> ArrayView2<'_, f32> {
    #[allow(clippy::expect_used)]
    ArrayView2::from_shape((rows, cols), data).expect("matrix size") // unwrap-ok: sized by callers
}

fn matrix_mut(data: &mut [f32], rows: usize, cols: usize) -> ArrayViewMut2<'_, f32> {
    #[allow(clippy::expect_used)]
    ArrayViewMut2::from_shape((rows, cols), data).expect("matrix size") // unwrap-ok: sized by callers
}

/// `out = op(a) · op(b)`, or `out += op(a) · op(b)` with `accumulate`: `a` and `b` are
/// contiguous 2-D tensors, used as they are or transposed (`op`), `out` a row-major `[m, n]`
/// buffer.
pub(crate) fn matmul(
    a: &FlexTensor,
    transpose_a: bool,
    b: &FlexTensor,
    transpose_b: bool,
    out: &mut [f32],
    accumulate: bool,
) {
    let [a_rows, a_cols] = dims(a);
    let [b_rows, b_cols] = dims(b);
    let (m, k) = if transpose_a {
        (a_cols, a_rows)
    } else {
        (a_rows, a_cols)
    };
    let n = if transpose_b { b_rows } else { b_cols };
    if prefer_ndarray(m, k) {
        let view = |t, rows, cols, transpose: bool| {
            let v = matrix(f32_slice(t), rows, cols);
            if transpose { v.reversed_axes() } else { v }
        };
        let beta = if accumulate { 1.0 } else { 0.0 };
        general_mat_mul(
            1.0,
            &view(a, a_rows, a_cols, transpose_a),
            &view(b, b_rows, b_cols, transpose_b),
            beta,
            &mut matrix_mut(out, m, n),
        );
    } else {
        let op = |t: &FlexTensor, transpose| {
            if transpose {
                Flex::float_swap_dims(t.clone(), 0, 1)
            } else {
                t.clone()
            }
        };
        let product = contiguous(Flex::float_matmul(op(a, transpose_a), op(b, transpose_b)));
        let product = f32_slice(&product);
        if accumulate {
            for (o, v) in out.iter_mut().zip(product) {
                *o += v;
            }
        } else {
            out.copy_from_slice(product);
        }
    }
}
