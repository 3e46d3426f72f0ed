//! Non-overlapping max-pool kernels for Burn's `Flex` CPU backend (float32): kernel = stride,
//! no padding, no dilation, floor mode, the 2x2/2 pool of a VGG.
//!
//! Why: Burn 0.22's `Flex` max-pool goes through its general 3-D pooling with 64-bit argmax
//! indices, and its backward scatters through them (`benches/kernels.rs`, `norm`; figures in
//! `bench/README.md`). Here the forward pass keeps, per
//! output, the offset of its maximum inside the window (one byte), and the backward pass writes
//! each output gradient to that offset. Ties go to the first maximum in row-major order; a NaN
//! in the window wins (it is propagated), as in Burn and PyTorch.

use crate::cpu::flex_data::{contiguous, f32_slice as values, tensor, zeros};
use burn::backend::flex::FlexTensor;
use rayon::prelude::*;

/// `(N·C planes, H, W)` of a 4-D tensor.
fn planes(t: &FlexTensor) -> (usize, usize, usize) {
    let s = t.layout().shape();
    (s[0] * s[1], s[2], s[3])
}

/// Max-pool with window = stride = `kernel`: `(output [N, C, H/kh, W/kw], argmax offsets)`,
/// an offset being `i·kw + j` inside the window.
pub(crate) fn max_pool2d(x: FlexTensor, kernel: [usize; 2]) -> (FlexTensor, Vec<u8>) {
    let x = contiguous(x);
    let dims = x.layout().shape().clone();
    let (_, h, w) = planes(&x);
    let (y, arg) = pool_planes(values(&x), [h, w], kernel, |_| |v| v);
    let mut out_dims = dims;
    out_dims[2] = h / kernel[0];
    out_dims[3] = w / kernel[1];
    (tensor(y, out_dims), arg)
}

/// The planes of `h x w` values in `xs`, each value mapped by `value(plane)` (itself, or
/// normalized for the fused batch norm), max-pooled with window = stride = `kernel` in
/// parallel over the planes: `(outputs, argmax offsets)`.
pub(crate) fn pool_planes<F: Fn(f32) -> f32>(
    xs: &[f32],
    [h, w]: [usize; 2],
    kernel: [usize; 2],
    value: impl Fn(usize) -> F + Sync,
) -> (Vec<f32>, Vec<u8>) {
    let [kh, kw] = kernel;
    let (ho, wo) = (h / kh, w / kw);
    let count = xs.len() / (h * w).max(1);
    let mut y = zeros(count * ho * wo);
    let mut arg = vec![0u8; count * ho * wo];
    y.par_chunks_mut((ho * wo).max(1))
        .zip(arg.par_chunks_mut((ho * wo).max(1)))
        .enumerate()
        .for_each(|(plane, (out, at))| {
            let src = &xs[plane * h * w..(plane + 1) * h * w];
            let value = value(plane);
            if [kh, kw] == [2, 2] {
                let pool = Pool2x2 {
                    src,
                    w,
                    wo,
                    out,
                    at,
                    value,
                };
                descent_kernels::vectorized(pool);
                return;
            }
            for oy in 0..ho {
                for ox in 0..wo {
                    let mut best = f32::NEG_INFINITY;
                    let mut best_at = 0u8;
                    let mut first = true;
                    for i in 0..kh {
                        let row = &src[(oy * kh + i) * w + ox * kw..][..kw];
                        for (j, &v) in row.iter().enumerate() {
                            let v = value(v);
                            if first || beats(v, best) {
                                best = v;
                                best_at = (i * kw + j) as u8;
                                first = false;
                            }
                        }
                    }
                    out[oy * wo + ox] = best;
                    at[oy * wo + ox] = best_at;
                }
            }
        });
    (y, arg)
}

/// Whether `v` replaces `best` as a window's maximum: larger, or the first NaN (NaN wins).
/// Written without short-circuits, so the callers' selections compile to conditional moves
/// instead of branches (on real activations the winner of a window is a coin toss, and
/// mispredicted branches cost more than the rest of the pool).
#[inline]
fn beats(v: f32, best: f32) -> bool {
    (v > best) | (v.is_nan() & !best.is_nan())
}

/// [`pool_2x2`]'s operands, for [`descent_kernels::vectorized`].
struct Pool2x2<'a, F> {
    src: &'a [f32],
    w: usize,
    wo: usize,
    out: &'a mut [f32],
    at: &'a mut [u8],
    value: F,
}

impl<F: Fn(f32) -> f32> descent_kernels::VectorLoop for Pool2x2<'_, F> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        pool_2x2(self.src, self.w, self.wo, (self.out, self.at), self.value);
    }
}

/// The 2x2 windows of one plane (`w` wide; output rows of `wo`) of `value(x)` (the values
/// themselves, or normalized ones for the fused batch norm): the same result as the general
/// loop, with the window's four reads and the comparisons unrolled, so that it vectorizes.
#[inline(always)]
fn pool_2x2(
    src: &[f32],
    w: usize,
    wo: usize,
    (out, at): (&mut [f32], &mut [u8]),
    value: impl Fn(f32) -> f32,
) {
    let rows = out
        .chunks_exact_mut(wo.max(1))
        .zip(at.chunks_exact_mut(wo.max(1)));
    for (oy, (out, at)) in rows.enumerate() {
        let top = &src[2 * oy * w..][..2 * wo];
        let bottom = &src[(2 * oy + 1) * w..][..2 * wo];
        let windows = top.chunks_exact(2).zip(bottom.chunks_exact(2));
        for ((o, a), (t, b)) in out.iter_mut().zip(at.iter_mut()).zip(windows) {
            let (mut best, mut best_at) = (value(t[0]), 0u8);
            for (q, v) in [(1u8, t[1]), (2, b[0]), (3, b[1])] {
                let v = value(v);
                let take = beats(v, best);
                best = if take { v } else { best };
                best_at = if take { q } else { best_at };
            }
            *o = best;
            *a = best_at;
        }
    }
}

/// Gradient of [`max_pool2d`] with respect to its input (`x_shape`), given the argmax offsets
/// and the output gradient.
pub(crate) fn max_pool2d_backward(
    x_shape: [usize; 4],
    kernel: [usize; 2],
    argmax: &[u8],
    grad: FlexTensor,
) -> FlexTensor {
    let grad = contiguous(grad);
    let [n, c, h, w] = x_shape;
    let [kh, kw] = kernel;
    let (ho, wo) = (h / kh, w / kw);
    let dy = values(&grad);
    let mut dx = zeros(n * c * h * w);
    dx.par_chunks_mut((h * w).max(1))
        .enumerate()
        .for_each(|(plane, out)| {
            let base = plane * ho * wo;
            if [kh, kw] == [2, 2] {
                // The offset's bits are the row and column inside the window.
                let (at, dy) = (&argmax[base..][..ho * wo], &dy[base..][..ho * wo]);
                for (oy, (at, dy)) in at
                    .chunks_exact(wo.max(1))
                    .zip(dy.chunks_exact(wo.max(1)))
                    .enumerate()
                {
                    for (ox, (&a, &g)) in at.iter().zip(dy).enumerate() {
                        let (i, j) = (usize::from(a >> 1), usize::from(a & 1));
                        out[(2 * oy + i) * w + 2 * ox + j] = g;
                    }
                }
                return;
            }
            for oy in 0..ho {
                for ox in 0..wo {
                    let at = argmax[base + oy * wo + ox] as usize;
                    let (i, j) = (at / kw, at % kw);
                    out[(oy * kh + i) * w + ox * kw + j] = dy[base + oy * wo + ox];
                }
            }
        });
    tensor(dx, x_shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::backend::ops::ModuleOps;
    use burn::tensor::TensorData;

    /// Forward and backward equal Burn's `Flex` max-pool with indices, on odd sizes (the last
    /// row and column dropped) and non-square windows; then the definition on a hand case.
    #[test]
    fn matches_burns_max_pool_and_the_definition() {
        for (shape, kernel) in [
            ([2, 3, 7, 9], [2, 2]),
            ([1, 2, 6, 6], [3, 2]),
            ([2, 1, 4, 4], [1, 1]),
        ] {
            let n: usize = shape.iter().product();
            let v: Vec<f32> = (0..n)
                .map(|i| ((i as u32).wrapping_mul(2_654_435_761) % 1000) as f32 / 100.0)
                .collect();
            let x = FlexTensor::from_data(TensorData::new(v, shape));
            let (y, arg) = max_pool2d(x.clone(), kernel);
            let burn = Flex::max_pool2d_with_indices(
                x,
                kernel,
                kernel,
                [0, 0],
                [1, 1],
                false,
                burn::tensor::IntDType::I64,
            );
            let ys = y
                .clone()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap_or_default();
            let yb = burn
                .output
                .clone()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap_or_default();
            assert_eq!(ys, yb, "{shape:?} {kernel:?}: forward");
            let dims = y.layout().shape().clone();
            let dy_v: Vec<f32> = (0..ys.len()).map(|i| i as f32 + 0.5).collect();
            let dy = FlexTensor::from_data(TensorData::new(dy_v, dims));
            let ours = max_pool2d_backward(shape, kernel, &arg, dy.clone());
            let x_again =
                FlexTensor::zeros(burn::tensor::Shape::new(shape), burn::tensor::DType::F32);
            let theirs = Flex::max_pool2d_with_indices_backward(
                x_again,
                kernel,
                kernel,
                [0, 0],
                [1, 1],
                false,
                dy,
                burn.indices,
            );
            assert_eq!(
                ours.into_data().try_to_vec::<f32>().unwrap_or_default(),
                theirs
                    .x_grad
                    .into_data()
                    .try_to_vec::<f32>()
                    .unwrap_or_default(),
                "{shape:?} {kernel:?}: backward"
            );
        }
        // By hand: one 2x2 window with a tie (the first wins) and one with a NaN.
        let x = FlexTensor::from_data(TensorData::new(
            vec![1.0f32, 3.0, 5.0, f32::NAN, 3.0, 2.0, 0.0, 1.0],
            [1, 1, 2, 4],
        ));
        let (y, arg) = max_pool2d(x, [2, 2]);
        let ys = y.into_data().try_to_vec::<f32>().unwrap_or_default();
        assert_eq!(ys[0], 3.0);
        assert!(ys[1].is_nan());
        assert_eq!(arg, vec![1, 1]);
    }
}
