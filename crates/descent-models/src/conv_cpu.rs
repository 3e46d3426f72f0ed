//! im2col + one-gemm 2-D convolution kernels for Burn's `Flex` CPU backend (float32,
//! `groups == 1`): the forward pass, the input gradient and the weight gradient.
//!
//! Why: Burn 0.22 computes a convolution's weight gradient as another convolution, of the input
//! by the output gradient with batch and channels swapped, and its input gradient as a
//! transposed convolution. On `Flex` both run well below what its own gemm reaches (measured in
//! `benches/kernels.rs`). Here every pass is one matrix product over a batch chunk, shaped
//! so that both gemm operands are contiguous:
//!
//! - forward: `Y[K, nL] = W[K, P] · cols[P, nL]`, then `Y` is laid out back as `[n, K, L]`;
//! - weight gradient: `dWᵀ[P, K] = cols[P, nL] · dY[nL, K]`, summed over the chunks;
//! - input gradient: `dcols[P, nL] = Wᵀ[P, K] · dY[K, nL]`, then scattered back (col2im).
//!
//! `P = C·kh·kw` is a patch's length, `L = Ho·Wo` the output positions of one image and `n` the
//! images of a chunk. Chunks keep the patch matrix under [`COLUMN_BUDGET_BYTES`].
//! Each matrix product runs on the gemm that is fastest for its shape (`crate::gemm`). The
//! im2col/col2im loops and rearrangements are parallel with rayon.

use crate::flex_data::{contiguous, dims, f32_slice, tensor};
use crate::gemm::{matmul, matrix};
use burn::backend::Flex;
use burn::backend::flex::FlexTensor;
use burn::backend::ops::{ConvOptions, FloatTensorOps};
use burn::tensor::Shape;
use rayon::prelude::*;

/// Upper bound on one chunk's patch matrix (`P × nL` floats), in bytes.
pub(crate) const COLUMN_BUDGET_BYTES: usize = 32 << 20;

/// The sizes of one convolution, resolved from shapes and options.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    batch: usize,
    channels_in: usize,
    height: usize,
    width: usize,
    channels_out: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    dilation: [usize; 2],
    /// Padding before the first row and column.
    pad: [usize; 2],
    out: [usize; 2],
}

impl Geometry {
    fn new(x_shape: [usize; 4], w_shape: [usize; 4], options: &ConvOptions<2>) -> Self {
        let [batch, channels_in, height, width] = x_shape;
        let [channels_out, _, kh, kw] = w_shape;
        let out_len = |size: usize, k: usize, d: usize| {
            let (pb, pe) = (options.padding[d].0, options.padding[d].1);
            (size + pb + pe - options.dilation[d] * (k - 1) - 1) / options.stride[d] + 1
        };
        Self {
            batch,
            channels_in,
            height,
            width,
            channels_out,
            kernel: [kh, kw],
            stride: options.stride,
            dilation: options.dilation,
            pad: [options.padding[0].0, options.padding[1].0],
            out: [out_len(height, kh, 0), out_len(width, kw, 1)],
        }
    }

    /// Length of one patch: `C·kh·kw`.
    fn patch(&self) -> usize {
        self.channels_in * self.kernel[0] * self.kernel[1]
    }

    /// Output positions of one image: `Ho·Wo`.
    fn positions(&self) -> usize {
        self.out[0] * self.out[1]
    }

    /// Images per chunk, so that the patch matrix stays under the budget (at least one).
    fn chunk(&self) -> usize {
        let per_image = self.patch() * self.positions() * std::mem::size_of::<f32>();
        (COLUMN_BUDGET_BYTES / per_image.max(1)).clamp(1, self.batch.max(1))
    }

    /// For kernel offset `k` along axis `a`: the output indices `o` whose input index
    /// `o·stride + k·dilation - pad` falls inside the image, as a half-open range.
    fn valid(&self, a: usize, k: usize) -> (usize, usize) {
        let size = if a == 0 { self.height } else { self.width };
        let shift = k * self.dilation[a];
        let s = self.stride[a];
        // o·s + shift >= pad  <=>  o >= ceil((pad - shift) / s)
        let lo = self.pad[a].saturating_sub(shift).div_ceil(s);
        // o·s + shift - pad <= size - 1  <=>  o <= (size - 1 + pad - shift) / s
        let hi = if size + self.pad[a] > shift {
            ((size - 1 + self.pad[a] - shift) / s + 1).min(self.out[a])
        } else {
            0
        };
        (lo.min(hi), hi)
    }
}

/// Patch matrix `[P, n·L]` of images `first..first + n` of `x` (`[N, C, H, W]`, contiguous):
/// row `(c, i, j)`, column `(image, oy, ox)`, zero where the patch reads padding.
fn im2col(x: &[f32], g: &Geometry, first: usize, n: usize) -> Vec<f32> {
    let (ho, wo) = (g.out[0], g.out[1]);
    let positions = g.positions();
    let plane = g.height * g.width;
    let [kh, kw] = g.kernel;
    let mut cols = vec![0f32; g.patch() * n * positions];
    cols.par_chunks_mut(n * positions)
        .enumerate()
        .for_each(|(row, out)| {
            let c = row / (kh * kw);
            let (i, j) = ((row / kw) % kh, row % kw);
            let (oy0, oy1) = g.valid(0, i);
            let (ox0, ox1) = g.valid(1, j);
            for b in 0..n {
                let src = &x[((first + b) * g.channels_in + c) * plane..][..plane];
                let dst = &mut out[b * positions..][..positions];
                for oy in oy0..oy1 {
                    let iy = oy * g.stride[0] + i * g.dilation[0] - g.pad[0];
                    let line = &src[iy * g.width..][..g.width];
                    let d = &mut dst[oy * wo..][..wo];
                    if g.stride[1] == 1 {
                        let ix0 = ox0 + j * g.dilation[1] - g.pad[1];
                        d[ox0..ox1].copy_from_slice(&line[ix0..ix0 + (ox1 - ox0)]);
                    } else {
                        for (ox, v) in d.iter_mut().enumerate().take(ox1).skip(ox0) {
                            *v = line[ox * g.stride[1] + j * g.dilation[1] - g.pad[1]];
                        }
                    }
                }
            }
        });
    debug_assert_eq!(cols.len(), g.patch() * n * ho * wo);
    cols
}

/// Adds the patch-gradient matrix `dcols` (`[P, n·L]`) back onto the images it was read from:
/// `dx` holds the `n` images `[n, C, H, W]` of the chunk and must be zeroed.
fn col2im(dcols: &[f32], g: &Geometry, n: usize, dx: &mut [f32]) {
    let wo = g.out[1];
    let positions = g.positions();
    let plane = g.height * g.width;
    let [kh, kw] = g.kernel;
    let row_len = n * positions;
    dx.par_chunks_mut(plane)
        .enumerate()
        .for_each(|(index, out)| {
            let (b, c) = (index / g.channels_in, index % g.channels_in);
            for i in 0..kh {
                let (oy0, oy1) = g.valid(0, i);
                for j in 0..kw {
                    let (ox0, ox1) = g.valid(1, j);
                    let row = (c * kh + i) * kw + j;
                    let src = &dcols[row * row_len + b * positions..][..positions];
                    for oy in oy0..oy1 {
                        let iy = oy * g.stride[0] + i * g.dilation[0] - g.pad[0];
                        let line = &mut out[iy * g.width..][..g.width];
                        let s = &src[oy * wo..][..wo];
                        if g.stride[1] == 1 {
                            let ix0 = ox0 + j * g.dilation[1] - g.pad[1];
                            let len = ox1 - ox0;
                            for (d, v) in line[ix0..ix0 + len].iter_mut().zip(&s[ox0..ox1]) {
                                *d += v;
                            }
                        } else {
                            for (ox, v) in s.iter().enumerate().take(ox1).skip(ox0) {
                                line[ox * g.stride[1] + j * g.dilation[1] - g.pad[1]] += v;
                            }
                        }
                    }
                }
            }
        });
}

/// The output gradient of images `first..first + n` (`[N, K, L]`) rearranged as `[K, n·L]`
/// (`channels_first`) or `[n·L, K]`.
fn rearrange(dy: &[f32], g: &Geometry, first: usize, n: usize, channels_first: bool) -> Vec<f32> {
    let (k, l) = (g.channels_out, g.positions());
    let src = &dy[first * k * l..(first + n) * k * l];
    let mut out = vec![0f32; n * k * l];
    if channels_first {
        // out[ch, b·L + p] = src[b, ch, p]: contiguous runs of L.
        out.par_chunks_mut(n * l).enumerate().for_each(|(ch, row)| {
            for b in 0..n {
                row[b * l..(b + 1) * l].copy_from_slice(&src[(b * k + ch) * l..][..l]);
            }
        });
    } else {
        // out[b·L + p, ch] = src[b, ch, p]: one image's [K, L] block transposed.
        out.par_chunks_mut(k * l)
            .enumerate()
            .for_each(|(b, block)| {
                let image = &src[b * k * l..(b + 1) * k * l];
                for (ch, row) in image.chunks_exact(l).enumerate() {
                    for (p, v) in row.iter().enumerate() {
                        block[p * k + ch] = *v;
                    }
                }
            });
    }
    out
}

/// Forward convolution: `x` `[N, C, H, W]`, `weight` `[K, C, kh, kw]`, optional `bias` `[K]`.
pub(crate) fn conv2d(
    x: FlexTensor,
    weight: FlexTensor,
    bias: Option<FlexTensor>,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let x = contiguous(x);
    let weight = contiguous(weight);
    let g = Geometry::new(dims::<4>(&x), dims::<4>(&weight), options);
    let bias = bias.map(contiguous);
    let bias = bias.as_ref().map(f32_slice);
    let (k, l, p) = (g.channels_out, g.positions(), g.patch());
    let w = contiguous(Flex::float_reshape(weight, Shape::new([k, p])));
    let mut y = vec![0f32; g.batch * k * l];
    let xs = f32_slice(&x);
    let chunk = g.chunk();
    let mut out = Vec::new();
    for first in (0..g.batch).step_by(chunk) {
        let n = chunk.min(g.batch - first);
        let cols = tensor(im2col(xs, &g, first, n), [p, n * l]);
        out.resize(k * n * l, 0.0);
        matmul(&w, false, &cols, false, &mut out, false);
        // out is [K, n·L]; y wants [n, K, L], plus the bias.
        let dst = &mut y[first * k * l..(first + n) * k * l];
        dst.par_chunks_mut(l)
            .enumerate()
            .for_each(|(index, plane)| {
                let (b, ch) = (index / k, index % k);
                let src = &out[(ch * n + b) * l..][..l];
                let add = bias.map_or(0.0, |bias| bias[ch]);
                for (d, s) in plane.iter_mut().zip(src) {
                    *d = s + add;
                }
            });
    }
    tensor(y, [g.batch, k, g.out[0], g.out[1]])
}

/// Gradient of the loss with respect to the weight, `[K, C, kh, kw]`.
pub(crate) fn conv2d_weight_grad(
    x: FlexTensor,
    weight_shape: [usize; 4],
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let x = contiguous(x);
    let output_grad = contiguous(output_grad);
    let g = Geometry::new(dims::<4>(&x), weight_shape, options);
    let (k, l, p) = (g.channels_out, g.positions(), g.patch());
    let (xs, dy) = (f32_slice(&x), f32_slice(&output_grad));
    // dWᵀ [P, K], accumulated over the chunks.
    let mut grad_t = vec![0f32; p * k];
    let chunk = g.chunk();
    for first in (0..g.batch).step_by(chunk) {
        let n = chunk.min(g.batch - first);
        let cols = tensor(im2col(xs, &g, first, n), [p, n * l]);
        let dy_t = tensor(rearrange(dy, &g, first, n, false), [n * l, k]);
        matmul(&cols, false, &dy_t, false, &mut grad_t, first > 0);
    }
    let grad: Vec<f32> = matrix(&grad_t, p, k).t().iter().copied().collect();
    tensor(grad, weight_shape)
}

/// Gradient of the loss with respect to the input, `[N, C, H, W]`.
pub(crate) fn conv2d_input_grad(
    x_shape: [usize; 4],
    weight: FlexTensor,
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let weight = contiguous(weight);
    let output_grad = contiguous(output_grad);
    let g = Geometry::new(x_shape, dims::<4>(&weight), options);
    let (k, l, p) = (g.channels_out, g.positions(), g.patch());
    let w = contiguous(Flex::float_reshape(weight, Shape::new([k, p])));
    let dy = f32_slice(&output_grad);
    let image = g.channels_in * g.height * g.width;
    let mut dx = vec![0f32; g.batch * image];
    let chunk = g.chunk();
    let mut dcols = Vec::new();
    for first in (0..g.batch).step_by(chunk) {
        let n = chunk.min(g.batch - first);
        let dy_k = tensor(rearrange(dy, &g, first, n, true), [k, n * l]);
        dcols.resize(p * n * l, 0.0);
        matmul(&w, true, &dy_k, false, &mut dcols, false);
        col2im(&dcols, &g, n, &mut dx[first * image..(first + n) * image]);
    }
    tensor(dx, x_shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::ops::ModuleOps;

    fn ramp(shape: [usize; 4], seed: u32) -> FlexTensor {
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n)
            .map(|i| {
                let h = (i as u32)
                    .wrapping_mul(2_654_435_761)
                    .wrapping_add(seed * 97);
                (h % 1000) as f32 / 500.0 - 1.0
            })
            .collect();
        tensor(v, shape)
    }

    fn values(t: FlexTensor) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap_or_default()
    }

    /// Equal within float32 rounding of long sums: `|a - b| <= 1e-5 · (1 + max |b|)`.
    fn close(a: FlexTensor, b: FlexTensor, what: &str) {
        close_to(&values(a), &values(b), what);
    }

    fn close_to(a: &[f32], b: &[f32], what: &str) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        assert!(!a.is_empty(), "{what}: empty");
        let scale = 1.0 + b.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (i, (p, q)) in a.iter().zip(b).enumerate() {
            assert!(
                (p - q).abs() <= 1e-5 * scale,
                "{what}: element {i}: {p} vs {q} (scale {scale})"
            );
        }
    }

    /// The definition, in f64: `y[b,k,oy,ox] = bias[k] + Σ_{c,i,j} w[k,c,i,j] ·
    /// x[b, c, oy·s + i·d - pad, ox·s + j·d - pad]` (zero outside the image), and its two
    /// gradients for an output gradient `dy`: `dx` and `dw` accumulate the same products.
    fn reference(
        x: &[f32],
        xs: [usize; 4],
        w: &[f32],
        ws: [usize; 4],
        dy: &[f32],
        opt: &ConvOptions<2>,
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let g = Geometry::new(xs, ws, opt);
        let [n, c, h, wd] = xs;
        let [k, _, kh, kw] = ws;
        let [ho, wo] = g.out;
        let mut y = vec![0f64; n * k * ho * wo];
        let mut dx = vec![0f64; x.len()];
        let mut dw = vec![0f64; w.len()];
        for b in 0..n {
            for o in 0..k {
                for oy in 0..ho {
                    for ox in 0..wo {
                        let yi = ((b * k + o) * ho + oy) * wo + ox;
                        for ci in 0..c {
                            for i in 0..kh {
                                for j in 0..kw {
                                    let iy = (oy * opt.stride[0] + i * opt.dilation[0]) as isize
                                        - opt.padding[0].0 as isize;
                                    let ix = (ox * opt.stride[1] + j * opt.dilation[1]) as isize
                                        - opt.padding[1].0 as isize;
                                    if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                        continue;
                                    }
                                    let xi = ((b * c + ci) * h + iy as usize) * wd + ix as usize;
                                    let wi = ((o * c + ci) * kh + i) * kw + j;
                                    y[yi] += w[wi] as f64 * x[xi] as f64;
                                    dx[xi] += w[wi] as f64 * dy[yi] as f64;
                                    dw[wi] += x[xi] as f64 * dy[yi] as f64;
                                }
                            }
                        }
                    }
                }
            }
        }
        let f = |v: Vec<f64>| v.into_iter().map(|e| e as f32).collect();
        (f(y), f(dx), f(dw))
    }

    /// Every pass against the definition in f64 and against Burn's own `Flex` kernels (direct
    /// convolution, transposed convolution, and the swapped-axes weight gradient), over
    /// stride, dilation, asymmetric padding, non-square kernels and a batch that spans
    /// several chunks.
    #[test]
    fn matches_burns_flex_kernels_on_every_geometry() {
        let cases: &[([usize; 4], [usize; 4], ConvOptions<2>)] = &[
            (
                [3, 2, 7, 6],
                [4, 2, 3, 3],
                ConvOptions::new([1, 1], [1, 1], [1, 1], 1),
            ),
            (
                [2, 3, 8, 9],
                [5, 3, 3, 2],
                ConvOptions::new([2, 1], [0, 1], [1, 1], 1),
            ),
            (
                [2, 2, 9, 9],
                [3, 2, 3, 3],
                ConvOptions::new([1, 2], [2, 1], [2, 1], 1),
            ),
            (
                [2, 2, 6, 7],
                [3, 2, 2, 3],
                ConvOptions::new_with_padding([1, 1], [(0, 1), (2, 0)], [1, 1], 1),
            ),
            (
                [1, 1, 5, 5],
                [2, 1, 1, 1],
                ConvOptions::new([1, 1], [0, 0], [1, 1], 1),
            ),
            (
                [2, 2, 3, 3],
                [2, 2, 3, 3],
                ConvOptions::new([3, 3], [4, 4], [1, 1], 1),
            ),
        ];
        for (xs, ws, opt) in cases {
            let x = ramp(*xs, 1);
            let w = ramp(*ws, 2);
            let bias = ramp([1, 1, 1, ws[0]], 3);
            let bias_tensor = Flex::float_reshape(bias, Shape::new([ws[0]]));
            let y_burn = Flex::conv2d(x.clone(), w.clone(), Some(bias_tensor.clone()), opt.clone());
            let y = conv2d(x.clone(), w.clone(), Some(bias_tensor.clone()), opt);
            assert_eq!(
                dims::<4>(&y),
                dims::<4>(&y_burn),
                "{xs:?} {ws:?}: output shape"
            );
            let dy = ramp(dims::<4>(&y), 4);
            let (y_ref, dx_ref, dw_ref) = reference(
                &values(x.clone()),
                *xs,
                &values(w.clone()),
                *ws,
                &values(dy.clone()),
                opt,
            );
            let bias_values = values(bias_tensor.clone());
            let plane = dims::<4>(&y)[2] * dims::<4>(&y)[3];
            let y_ref: Vec<f32> = y_ref
                .iter()
                .enumerate()
                .map(|(i, v)| v + bias_values[(i / plane) % ws[0]])
                .collect();
            close_to(
                &values(y.clone()),
                &y_ref,
                &format!("forward {xs:?} {ws:?} (definition)"),
            );
            close_to(
                &values(conv2d_input_grad(*xs, w.clone(), dy.clone(), opt)),
                &dx_ref,
                &format!("input grad {xs:?} {ws:?} (definition)"),
            );
            close_to(
                &values(conv2d_weight_grad(x.clone(), *ws, dy.clone(), opt)),
                &dw_ref,
                &format!("weight grad {xs:?} {ws:?} (definition)"),
            );
            close(y, y_burn, &format!("forward {xs:?} {ws:?}"));
            close(
                conv2d_weight_grad(x.clone(), *ws, dy.clone(), opt),
                Flex::conv2d_weight_backward(x.clone(), w.clone(), dy.clone(), opt.clone()),
                &format!("weight grad {xs:?} {ws:?}"),
            );
            close(
                conv2d_input_grad(*xs, w.clone(), dy.clone(), opt),
                Flex::conv2d_x_backward(x, w, dy, opt.clone()),
                &format!("input grad {xs:?} {ws:?}"),
            );
        }
    }

    #[test]
    fn chunks_cover_the_batch() {
        // A patch matrix of 72·32·32 floats per image: the budget holds 113 images, so a
        // batch of 120 takes two chunks, and the result must not depend on the split.
        let x = ramp([120, 8, 32, 32], 5);
        let w = ramp([2, 8, 3, 3], 6);
        let opt = ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
        let g = Geometry::new([120, 8, 32, 32], [2, 8, 3, 3], &opt);
        assert_eq!(g.chunk(), 113, "the case must span two chunks");
        let y = conv2d(x.clone(), w.clone(), None, &opt);
        let dy = ramp(dims::<4>(&y), 7);
        close(
            y,
            Flex::conv2d(x.clone(), w.clone(), None, opt.clone()),
            "forward",
        );
        close(
            conv2d_weight_grad(x.clone(), [2, 8, 3, 3], dy.clone(), &opt),
            Flex::conv2d_weight_backward(x.clone(), w.clone(), dy.clone(), opt.clone()),
            "weight grad",
        );
        close(
            conv2d_input_grad([120, 8, 32, 32], w.clone(), dy.clone(), &opt),
            Flex::conv2d_x_backward(x, w, dy, opt),
            "input grad",
        );
    }
}
