//! The matrix product under this crate's CPU kernels ([`crate::conv`], [`crate::linear`]):
//! `descent_kernels::sgemm` (AVX-512, AVX2 or portable microkernels, picked at run time) on the
//! float32 data of contiguous `Flex` tensors.
//!
//! Why not the products Burn 0.22's CPU backends use: `gemm` 0.19 (behind `Flex::float_matmul`)
//! and `matrixmultiply` 0.3 stop at the 256-bit FMA rate, and split work poorly on the shapes of
//! a small convolution (few channels, many positions). `cargo bench -p descent-kernels --bench
//! sgemm` compares the three on the products of a VGG-11 and an MLP step (figures in
//! `bench/README.md`).

use crate::cpu::flex_data::{dims, f32_slice};
use burn::backend::flex::FlexTensor;
use descent_kernels::{
    MatMut, MatRef, PackedA, Store, sgemm, sgemm_packed, sgemm_packed_serial, sgemm_serial,
};

/// `out = op(a) · op(b)`, or `out += op(a) · op(b)` with `accumulate`: `a` and `b` are
/// contiguous 2-D float32 tensors, used as they are or transposed (`op`), `out` a row-major
/// `[m, n]` buffer. The shapes come from tensors this crate built, so a mismatch is a bug here,
/// not bad input.
pub(crate) fn matmul(
    a: &FlexTensor,
    transpose_a: bool,
    b: &FlexTensor,
    transpose_b: bool,
    out: &mut [f32],
    accumulate: bool,
) {
    fn operand(t: &FlexTensor, transpose: bool) -> MatRef<'_> {
        let [rows, cols] = dims(t);
        let v = view(f32_slice(t), rows, cols, cols, 1);
        if transpose { v.t() } else { v }
    }
    let (a, b) = (operand(a, transpose_a), operand(b, transpose_b));
    let c = view_mut(out, a.rows(), b.cols(), b.cols());
    product(a, b, c, accumulate, Threading::Product);
}

/// Who spreads a product over threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Threading {
    /// The product itself, over rayon's pool (callers run products one after the other).
    Product,
    /// The caller, which runs many independent products in parallel: each on one thread.
    Caller,
}

/// A `rows x cols` view of `data` with the given strides. The views come from buffers this
/// crate sized, so one that does not fit is a bug here, not bad input.
pub(crate) fn view(
    data: &[f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
) -> MatRef<'_> {
    let v = MatRef::new(data, rows, cols, row_stride, col_stride);
    #[allow(clippy::expect_used)]
    v.expect("a view inside a buffer sized by this crate") // unwrap-ok: sizes are ours
}

/// A writable `rows x cols` view of `data` whose rows start `row_stride` apart (see [`view`]).
pub(crate) fn view_mut(
    data: &mut [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
) -> MatMut<'_> {
    let v = MatMut::new(data, rows, cols, row_stride);
    #[allow(clippy::expect_used)]
    v.expect("a view inside a buffer sized by this crate") // unwrap-ok: sizes are ours
}

/// `a` packed once for the products of many tiles ([`product_packed`]).
pub(crate) fn packed(a: MatRef<'_>) -> PackedA {
    PackedA::new(a)
}

/// [`product`] with `a` packed beforehand: the same values bit for bit, without copying `a`
/// again for every tile.
pub(crate) fn product_packed(
    a: &PackedA,
    b: MatRef<'_>,
    c: MatMut<'_>,
    accumulate: bool,
    threading: Threading,
) {
    shapes_were_ours(match threading {
        Threading::Product => sgemm_packed(a, b, c, store(accumulate)),
        Threading::Caller => sgemm_packed_serial(a, b, c, store(accumulate)),
    });
}

fn store(accumulate: bool) -> Store {
    if accumulate {
        Store::Accumulate
    } else {
        Store::Overwrite
    }
}

/// The outcome of a product whose operands this crate shaped: an error is a bug here.
fn shapes_were_ours(done: Result<(), descent_kernels::KernelError>) {
    #[allow(clippy::expect_used)]
    done.expect("operand shapes built by this crate"); // unwrap-ok: shapes are ours
}

/// `c = a · b`, or `c += a · b` with `accumulate`, threaded as `threading` says.
pub(crate) fn product(
    a: MatRef<'_>,
    b: MatRef<'_>,
    c: MatMut<'_>,
    accumulate: bool,
    threading: Threading,
) {
    shapes_were_ours(match threading {
        Threading::Product => sgemm(a, b, c, store(accumulate)),
        Threading::Caller => sgemm_serial(a, b, c, store(accumulate)),
    });
}
