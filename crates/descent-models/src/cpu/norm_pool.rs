//! Batch norm, ReLU and a non-overlapping max-pool as one layer on Burn's `Flex` CPU backend
//! (float32): the end of a VGG block with a pool.
//!
//! Why: apart, the three write the normalized activation (the largest tensor of the block),
//! read it back to pool it, and in the backward pass scatter the pooled gradient into a
//! zeroed tensor of that size, mask it with the ReLU and read it again for the batch norm's
//! sums. Here the forward pass pools the normalized values as it computes them, and the
//! backward pass works from the pooled gradient and the positions of the maxima: its sums
//! visit the maxima only, and `dx` is one dense pass over the input (in place when it can).
//!
//! Against [`norm`](super::norm) followed by [`pool`](super::pool) (tested):
//! the forward pass gives the same bits (each normalized value is computed by the same
//! expression and the maxima are picked by the same rule); the backward pass agrees within
//! float rounding, its sums adding the same terms in another order.

use crate::cpu::flex_data::{contiguous, f32_slice as values, tensor, zeros};
use crate::cpu::norm::{
    BackwardCoefficients, affine_value, batch_statistics, given_scale_and_shift, inv_std, layout,
    relu_keeps, scale_and_shift,
};
use crate::cpu::pool::pool_planes;
use burn::backend::flex::FlexTensor;
use burn::tensor::Shape;
use rayon::prelude::*;

/// `relu(x·scale[c] + shift[c])` max-pooled over `kernel` windows (stride = kernel, floor):
/// `(pooled [N, C, H / kh, W / kw], window offset of each maximum)`.
fn normalize_and_pool(
    x: &[f32],
    [_, c, h, w]: [usize; 4],
    kernel: [usize; 2],
    scale: &[f32],
    shift: &[f32],
) -> (Vec<f32>, Vec<u8>) {
    pool_planes(x, [h, w], kernel, |plane| {
        let (a, b) = (scale[plane % c], shift[plane % c]);
        move |v: f32| affine_value::<true>(v, a, b)
    })
}

/// Training mode: `(pooled, window offsets of the maxima, batch mean [C], biased batch
/// variance [C])`.
pub(crate) fn batch_norm_relu_pool_train(
    x: FlexTensor,
    gamma: FlexTensor,
    beta: FlexTensor,
    epsilon: f64,
    kernel: [usize; 2],
) -> (FlexTensor, Vec<u8>, FlexTensor, FlexTensor) {
    let x = contiguous(x);
    let (gamma, beta) = (contiguous(gamma), contiguous(beta));
    let dims = crate::cpu::flex_data::dims::<4>(&x);
    let xs = values(&x);
    let (mean, variance) = batch_statistics(xs, layout(&x));
    let (scale, shift) = scale_and_shift(values(&gamma), values(&beta), &mean, &variance, epsilon);
    let (y, arg) = normalize_and_pool(xs, dims, kernel, &scale, &shift);
    let [n, c, h, w] = dims;
    (
        tensor(y, [n, c, h / kernel[0], w / kernel[1]]),
        arg,
        tensor(mean, Shape::new([c])),
        tensor(variance, Shape::new([c])),
    )
}

/// Inference mode, with given statistics.
pub(crate) fn batch_norm_relu_pool(
    x: FlexTensor,
    gamma: FlexTensor,
    beta: FlexTensor,
    mean: FlexTensor,
    variance: FlexTensor,
    epsilon: f64,
    kernel: [usize; 2],
) -> FlexTensor {
    let x = contiguous(x);
    let (scale, shift) = given_scale_and_shift([gamma, beta, mean, variance], epsilon);
    let dims = crate::cpu::flex_data::dims::<4>(&x);
    let (y, _) = normalize_and_pool(values(&x), dims, kernel, &scale, &shift);
    let [n, c, h, w] = dims;
    tensor(y, [n, c, h / kernel[0], w / kernel[1]])
}

/// `f(o, t)` for each output `o` of one pooled plane and the position `t` of its maximum in
/// the input plane (`h x w`), from the window offsets `argmax` of that plane.
#[inline(always)]
fn for_each_maximum(
    [h, w]: [usize; 2],
    [kh, kw]: [usize; 2],
    argmax: &[u8],
    mut f: impl FnMut(usize, usize),
) {
    let (ho, wo) = (h / kh, w / kw);
    if [kh, kw] == [2, 2] {
        // The offset's bits are the row and column inside the window (no division).
        for oy in 0..ho {
            for ox in 0..wo {
                let o = oy * wo + ox;
                let at = usize::from(argmax[o]);
                f(o, (2 * oy + (at >> 1)) * w + 2 * ox + (at & 1));
            }
        }
        return;
    }
    for oy in 0..ho {
        for ox in 0..wo {
            let o = oy * wo + ox;
            let at = usize::from(argmax[o]);
            f(o, (oy * kh + at / kw) * w + ox * kw + at % kw);
        }
    }
}

/// Lanes of the per-plane backward sums (independent chains for the adds, one AVX-512
/// vector).
const LANES: usize = 16;

/// The input values at the maxima of one plane (`x`, `h x w`), in pooled order, into `out`
/// (one per window), from the window offsets `argmax` of that plane.
fn values_at_maxima(x: &[f32], hw: [usize; 2], kernel: [usize; 2], argmax: &[u8], out: &mut [f32]) {
    if kernel == [2, 2] {
        let width = hw[1];
        descent_kernels::vectorized(Maxima2x2 {
            x,
            width,
            argmax,
            out,
        });
        return;
    }
    for_each_maximum(hw, kernel, argmax, |o, t| out[o] = x[t]);
}

/// [`values_at_maxima`] of a 2x2 pool for [`descent_kernels::vectorized`]: each window's
/// four candidates read as pairs from its two rows and the maximum picked by the offset's
/// bits with selects, not gathered by index.
struct Maxima2x2<'a> {
    x: &'a [f32],
    width: usize,
    argmax: &'a [u8],
    out: &'a mut [f32],
}

impl descent_kernels::VectorLoop for Maxima2x2<'_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        let Self {
            x,
            width,
            argmax,
            out,
        } = self;
        let wo = width / 2;
        if wo == 0 {
            return;
        }
        let rows = argmax.chunks_exact(wo).zip(out.chunks_exact_mut(wo));
        for (oy, (offsets, out)) in rows.enumerate() {
            let top = &x[2 * oy * width..][..2 * wo];
            let bottom = &x[(2 * oy + 1) * width..][..2 * wo];
            let windows = top.chunks_exact(2).zip(bottom.chunks_exact(2));
            for ((o, &at), (t, b)) in out.iter_mut().zip(offsets).zip(windows) {
                // Bitwise selects on values already loaded: a select between two loads
                // compiles to a load from a selected address, which does not vectorize.
                let (right, lower) = (all_ones_if(at & 1 != 0), all_ones_if(at & 2 != 0));
                let upper = select_bits(right, t[1], t[0]);
                let below = select_bits(right, b[1], b[0]);
                *o = select_bits(lower, below, upper);
            }
        }
    }
}

/// Writes `values` (one per window, pooled order) at the maxima of one plane `out`
/// (`h x w`): the reverse of [`values_at_maxima`].
fn place_at_maxima(
    out: &mut [f32],
    hw: [usize; 2],
    kernel: [usize; 2],
    argmax: &[u8],
    values: &[f32],
) {
    if kernel == [2, 2] {
        let width = hw[1];
        descent_kernels::vectorized(Place2x2 {
            out,
            width,
            argmax,
            values,
        });
        return;
    }
    for_each_maximum(hw, kernel, argmax, |o, t| out[t] = values[o]);
}

/// [`place_at_maxima`] of a 2x2 pool for [`descent_kernels::vectorized`]: each of a window's
/// four positions keeps its value or takes the window's, by a select on the offset.
struct Place2x2<'a> {
    out: &'a mut [f32],
    width: usize,
    argmax: &'a [u8],
    values: &'a [f32],
}

impl descent_kernels::VectorLoop for Place2x2<'_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        let Self {
            out,
            width,
            argmax,
            values,
        } = self;
        let wo = width / 2;
        if wo == 0 {
            return;
        }
        let rows = argmax.chunks_exact(wo).zip(values.chunks_exact(wo));
        for (oy, (offsets, values)) in rows.enumerate() {
            let (top, bottom) = out[2 * oy * width..].split_at_mut(width);
            let windows = top[..2 * wo]
                .chunks_exact_mut(2)
                .zip(bottom[..2 * wo].chunks_exact_mut(2));
            for ((&at, &v), (t, b)) in offsets.iter().zip(values).zip(windows) {
                t[0] = select_bits(all_ones_if(at == 0), v, t[0]);
                t[1] = select_bits(all_ones_if(at == 1), v, t[1]);
                b[0] = select_bits(all_ones_if(at == 2), v, b[0]);
                b[1] = select_bits(all_ones_if(at == 3), v, b[1]);
            }
        }
    }
}

/// All ones when `condition`, else zero: a mask for [`select_bits`].
#[inline(always)]
fn all_ones_if(condition: bool) -> u32 {
    0u32.wrapping_sub(u32::from(condition))
}

/// `a` where `mask` is all ones, `b` where it is zero, bit for bit.
#[inline(always)]
fn select_bits(mask: u32, a: f32, b: f32) -> f32 {
    f32::from_bits((a.to_bits() & mask) | (b.to_bits() & !mask))
}

/// The pooled gradient where the ReLU kept the maximum (`pooled`, the forward's output),
/// else zero.
#[inline(always)]
fn kept(pooled: f32, grad: f32) -> f32 {
    if relu_keeps(pooled) { grad } else { 0.0 }
}

/// One plane's backward sums `[Σ g, Σ g·(x - mean)]` over its maxima (`g` from
/// [`kept`], `x` the values at the maxima), in [`LANES`] lanes, for
/// [`descent_kernels::vectorized`].
struct MaximaSums<'a> {
    pooled: &'a [f32],
    grad: &'a [f32],
    maxima: &'a [f32],
    mean: f32,
}

impl descent_kernels::VectorLoop for MaximaSums<'_> {
    type Output = [f64; 2];

    #[inline(always)]
    fn run(self) -> [f64; 2] {
        let Self {
            pooled,
            grad,
            maxima,
            mean,
        } = self;
        let (mut sums, mut dots) = ([0f32; LANES], [0f32; LANES]);
        let len = maxima.len().min(pooled.len()).min(grad.len());
        let (pooled, grad, maxima) = (&pooled[..len], &grad[..len], &maxima[..len]);
        let chunks = pooled
            .chunks(LANES)
            .zip(grad.chunks(LANES))
            .zip(maxima.chunks(LANES));
        for ((p, g), x) in chunks {
            for (l, ((&p, &g), &x)) in p.iter().zip(g).zip(x).enumerate() {
                let g = kept(p, g);
                sums[l] += g;
                dots[l] += g * (x - mean);
            }
        }
        let total = |l: [f32; LANES]| l.iter().map(|&v| f64::from(v)).sum::<f64>();
        [total(sums), total(dots)]
    }
}

/// Gradients of [`batch_norm_relu_pool_train`]: `(dx, dgamma, dbeta)` for the gradient
/// `grad` of the pooled output, from the forward's `pooled` output (the ReLU's mask at the
/// maxima) and window offsets `argmax`.
///
/// The gradient reaching the normalized activation is zero except at the maxima the ReLU
/// kept, so the sums `Σ dy` and `Σ dy·(x - μ)` visit the maxima only, and `dx` is the dense
/// `k2·(x - μ) + k3` with `k1·dy` added at the maxima (each maximum's value computed by
/// `norm`'s expression). The sums add the same terms as `norm`'s in another order:
/// the result agrees with the unfused layers within float rounding, not bit for bit.
#[allow(clippy::too_many_arguments)]
pub(crate) fn batch_norm_relu_pool_train_backward(
    x: FlexTensor,
    gamma: FlexTensor,
    mean: FlexTensor,
    variance: FlexTensor,
    epsilon: f64,
    kernel: [usize; 2],
    (argmax, pooled): (&[u8], FlexTensor),
    grad: FlexTensor,
) -> (FlexTensor, FlexTensor, FlexTensor) {
    let x = contiguous(x);
    let (pooled, grad) = (contiguous(pooled), contiguous(grad));
    let [gamma, mean, variance] = [gamma, mean, variance].map(contiguous);
    let [n, c, h, w] = crate::cpu::flex_data::dims::<4>(&x);
    let (s, per_plane) = (h * w, (h / kernel[0]) * (w / kernel[1]));
    let (pooled, grad) = (values(&pooled), values(&grad));
    let (gamma, mean) = (values(&gamma), values(&mean));
    let inv = inv_std(values(&variance), epsilon);
    // The input values at the maxima, channel by channel (`[C, N, per_plane]`, so that each
    // channel's task owns its part), gathered once for the sums and the input gradient.
    let per_channel = n * per_plane;
    let mut maxima = vec![0f32; c * per_channel];
    let sums: Vec<[f64; 2]> = if per_channel == 0 {
        vec![[0.0; 2]; c]
    } else {
        let xs = values(&x);
        maxima
            .par_chunks_mut(per_channel)
            .enumerate()
            .map(|(ch, maxima)| {
                let planes = maxima.chunks_exact_mut(per_plane).enumerate();
                planes.fold([0f64; 2], |mut total, (i, at)| {
                    let plane = i * c + ch;
                    let base = plane * per_plane;
                    let argmax = &argmax[base..][..per_plane];
                    values_at_maxima(&xs[plane * s..][..s], [h, w], kernel, argmax, at);
                    let [sum, dot] = descent_kernels::vectorized(MaximaSums {
                        pooled: &pooled[base..][..per_plane],
                        grad: &grad[base..][..per_plane],
                        maxima: at,
                        mean: mean[ch],
                    });
                    total[0] += sum;
                    total[1] += dot;
                    total
                })
            })
            .collect()
    };
    let count = (n * s).max(1) as f64;
    let BackwardCoefficients {
        dgamma,
        dbeta,
        k1,
        k2,
        k3,
    } = BackwardCoefficients::new(&sums, gamma, &inv, count);
    // One plane of dx into `out`, from the plane's input `x` (`None`: `out` holds it).
    let input_gradient =
        |out: &mut [f32], plane: usize, x: Option<&[f32]>, at_max: &mut Vec<f32>| {
            let (i, ch) = (plane / c, plane % c);
            let (a, b, m, k) = (k1[ch], k2[ch], mean[ch], k3[ch]);
            let base = plane * per_plane;
            let values = &maxima[(ch * n + i) * per_plane..][..per_plane];
            // The maxima's gradients first (from the gathered inputs: the dense pass may
            // overwrite the input in place).
            at_max.clear();
            let kept_grads = pooled[base..][..per_plane]
                .iter()
                .zip(&grad[base..][..per_plane]);
            at_max.extend(
                kept_grads
                    .zip(values)
                    .map(|((&p, &g), &v)| a * kept(p, g) + b * (v - m) + k),
            );
            match x {
                Some(x) => {
                    for (o, v) in out.iter_mut().zip(x) {
                        *o = a * 0.0 + b * (v - m) + k;
                    }
                }
                None => out.iter_mut().for_each(|o| *o = a * 0.0 + b * (*o - m) + k),
            }
            place_at_maxima(out, [h, w], kernel, &argmax[base..][..per_plane], at_max);
        };
    // Over the input's own buffer when the checkpoint handed this step its last reference
    // (no new buffer to zero and fill), else into a new buffer.
    let shape = x.layout().shape().clone();
    let len = n * c * s;
    let mut x = x;
    let dx = match x.try_storage_mut::<f32>().filter(|v| v.len() == len) {
        Some(values) => {
            values.par_chunks_mut(s.max(1)).enumerate().for_each_init(
                || Vec::with_capacity(per_plane),
                |at_max, (plane, out)| input_gradient(out, plane, None, at_max),
            );
            x
        }
        None => {
            let xs = values(&x);
            let mut dx = zeros(len);
            dx.par_chunks_mut(s.max(1)).enumerate().for_each_init(
                || Vec::with_capacity(per_plane),
                |at_max, (plane, out)| {
                    input_gradient(out, plane, Some(&xs[plane * s..][..s]), at_max)
                },
            );
            tensor(dx, shape)
        }
    };
    (
        dx,
        tensor(dgamma, Shape::new([c])),
        tensor(dbeta, Shape::new([c])),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(shape: [usize; 4], seed: u32) -> FlexTensor {
        let len: usize = shape.iter().product();
        let v: Vec<f32> = (0..len)
            .map(|i| {
                let h = (i as u32)
                    .wrapping_mul(2_654_435_761)
                    .wrapping_add(seed * 97);
                (h % 1000) as f32 / 250.0 - 2.0
            })
            .collect();
        tensor(v, shape)
    }

    fn bits(t: FlexTensor) -> Vec<u32> {
        let v: Vec<f32> = t.into_data().try_to_vec().unwrap_or_default();
        v.into_iter().map(f32::to_bits).collect()
    }

    /// The backward pass writes `dx` over the input when it owns it alone, else into a new
    /// buffer: the same bits either way, and a shared input is left as it was. A 2x2 pool and
    /// a 3x2 one, with rows and columns the floor mode drops.
    #[test]
    fn backward_in_place_equals_backward_into_a_new_buffer() {
        for (shape, kernel) in [([2, 3, 6, 6], [2, 2]), ([2, 2, 7, 5], [3, 2])] {
            let c = shape[1];
            let x = ramp(shape, 1);
            let gamma = tensor(vec![1.5, -0.5, 0.75][..c].to_vec(), [c]);
            let beta = tensor(vec![0.2, -0.1, 0.0][..c].to_vec(), [c]);
            let (pooled, argmax, mean, variance) =
                batch_norm_relu_pool_train(x.clone(), gamma.clone(), beta, 1e-5, kernel);
            let [n, _, ho, wo] = crate::cpu::flex_data::dims::<4>(&pooled);
            let grad = ramp([n, c, ho, wo], 2);
            let backward = |x: FlexTensor| {
                let (dx, dg, db) = batch_norm_relu_pool_train_backward(
                    x,
                    gamma.clone(),
                    mean.clone(),
                    variance.clone(),
                    1e-5,
                    kernel,
                    (&argmax, pooled.clone()),
                    grad.clone(),
                );
                [bits(dx), bits(dg), bits(db)]
            };
            let before = bits(x.clone());
            let shared = backward(x.clone());
            assert_eq!(
                bits(x.clone()),
                before,
                "{shape:?}: a shared input was written"
            );
            let unique = backward(ramp(shape, 1));
            assert_eq!(shared, unique, "{shape:?} {kernel:?}");
        }
    }
}
