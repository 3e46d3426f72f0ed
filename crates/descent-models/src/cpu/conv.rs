//! im2col + gemm 2-D convolution kernels for Burn's `Flex` CPU backend (float32,
//! `groups == 1`): the forward pass, the input gradient and the weight gradient. "Same" 3x3
//! convolutions of 64 channels and more (a VGG's) take Winograd's F(2x2, 3x3) instead for the
//! forward pass and the input gradient, and from 128 x 256 channels for the weight gradient
//! ([`winograd`]): 16 products of `C`-deep sums in place of one `9·C`-deep, 2.25 times fewer
//! multiply-adds.
//!
//! Why: Burn 0.22 computes a convolution's weight gradient as another convolution, of the input
//! by the output gradient with batch and channels swapped, and its input gradient as a
//! transposed convolution. On `Flex` both run well below what a matrix product reaches
//! (measured in `benches/kernels.rs`). Here each pass is a series of matrix products, one per
//! *tile*: a group of images, or a band of output rows of one large image. For a tile of `n`
//! images with `L` output positions each:
//!
//! - forward: `Y[K, n·L] = W[K, P] · cols[P, n·L]`;
//! - input gradient: `dcols[P, n·L] = Wᵀ[P, K] · dY[K, n·L]`, then scattered back (col2im);
//! - weight gradient: `dW[K, P] += dY[K, n·L] · colsᵀ[n·L, P]`.
//!
//! `P = C·kh·kw` is a patch's length and `cols` the tile's patch matrix (im2col). A tile's patch
//! matrix stays under [`TILE_BUDGET_BYTES`](geometry::TILE_BUDGET_BYTES), within a core's L2 and L3
//! share, so it is written, multiplied and read back without a trip to memory, in a buffer each
//! thread reuses from call to call; a tile has enough images to give its products at least
//! [`TILE_MIN_COLUMNS`](geometry::TILE_MIN_COLUMNS) columns. With one image per tile, `Y` and `dY`
//! are the image's own `[K, L]` planes and the products read and write them in place; with several,
//! they are gathered and scattered. `W` and `Wᵀ` are packed into the kernel's panel layout once per
//! call ([`descent_kernels::PackedA`]), not once per tile: repeated per tile, that copy was a large
//! share of a full-width VGG-11's step.
//!
//! Threads: with at least [`PARALLEL_MIN_TILE_GROUPS`](geometry::PARALLEL_MIN_TILE_GROUPS) groups
//! of images, the groups run in parallel, each product on one thread; with one group, each product
//! is threaded. (With two groups run in turn, the patch copies ran on one core while the other
//! waited.) The batch is cut into an even number of groups (a multiple of 4 from 4 on) of equal
//! size, give or take one image, so that parallel groups end together on 2 or 4 cores. The weight
//! gradient of a long patch is split by blocks of input channels, each task adding every tile's
//! product into its block of columns ([`weight_grad::weight_grad_by_channels`]); a short one sums
//! the tiles in at most [`WEIGHT_GRAD_PARTS`](weight_grad::WEIGHT_GRAD_PARTS) partial sums (fewer
//! for large weights, see [`WEIGHT_GRAD_PARTS_FLOATS`](weight_grad::WEIGHT_GRAD_PARTS_FLOATS)),
//! added in order. These choices depend on the shapes only, so results are the same bit for bit
//! whatever the thread count.

use crate::cpu::flex_data::{contiguous, dims, f32_slice, tensor, zeros};
use crate::cpu::gemm::{Threading, packed, product_packed, view, view_mut};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::ConvOptions;
use geometry::Geometry;
use patches::{Band, col2im, dy_view, im2col};
use rayon::prelude::*;
use std::cell::RefCell;

mod geometry;
mod patches;
mod weight_grad;
mod winograd;

#[cfg(test)]
pub(crate) use weight_grad::conv2d_weight_grad;
pub(crate) use weight_grad::{conv2d_bias_grad, conv2d_weight_and_bias_grad};

thread_local! {
    /// Three working buffers of this thread (patch matrix, gathered or product matrix, a
    /// weight gradient's block of columns), reused from call to call.
    static SCRATCH: RefCell<[Vec<f32>; 3]> =
        const { RefCell::new([Vec::new(), Vec::new(), Vec::new()]) };
}

/// Runs `f` on this thread's working buffers. They are taken out for the call, so a nested
/// call on this thread (rayon may run another task here while a threaded product waits)
/// finds empty buffers instead of a borrow conflict.
fn with_scratch<R>(f: impl FnOnce(&mut Vec<f32>, &mut Vec<f32>, &mut Vec<f32>) -> R) -> R {
    let mut bufs = SCRATCH.with(|cell| std::mem::take(&mut *cell.borrow_mut()));
    let [first, second, third] = &mut bufs;
    let result = f(first, second, third);
    SCRATCH.with(|cell| *cell.borrow_mut() = bufs);
    result
}

/// The first `len` elements of `buf`, growing it as needed (old contents stay: callers
/// overwrite every element they read).
fn grow(buf: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
    &mut buf[..len]
}

/// Runs `task(first, chunk)` over the groups of images of `g` (see [`Geometry::group`]), each
/// owning its `chunk` of `out` (`per_image` floats an image) from image `first` on: in
/// parallel, or in turn, as `threading` says.
fn for_each_group(
    out: &mut [f32],
    per_image: usize,
    g: &Geometry,
    threading: Threading,
    task: impl Fn(usize, &mut [f32]) + Sync + Send,
) {
    let groups = g.groups();
    let mut chunks = Vec::with_capacity(groups);
    let mut rest = out;
    for index in 0..groups {
        let (first, end) = g.group(index, groups);
        let (chunk, tail) = rest.split_at_mut(((end - first) * per_image).min(rest.len()));
        chunks.push((first, chunk));
        rest = tail;
    }
    match threading {
        Threading::Caller => chunks
            .into_par_iter()
            .for_each(|(first, chunk)| task(first, chunk)),
        Threading::Product => chunks
            .into_iter()
            .for_each(|(first, chunk)| task(first, chunk)),
    }
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
    let (k, l, p, wo) = (g.channels_out, g.positions(), g.patch(), g.out[1]);
    let (xs, w) = (f32_slice(&x), f32_slice(&weight));
    if winograd::applies(&g) {
        let filters = winograd::Filters::forward(w, k, g.channels_in);
        let y = winograd::correlate(xs, dims::<4>(&x), &filters, bias);
        return tensor(y, [g.batch, k, g.out[0], g.out[1]]);
    }
    let mut y = zeros(g.batch * k * l);
    let (threading, bands) = (g.threading(), Band::all(&g));
    // Packed once, read by the product of every tile.
    let w = packed(view(w, k, p, p, 1));
    let task = |first: usize, y_g: &mut [f32]| {
        let n = y_g.len() / (k * l);
        let x_g = &xs[first * g.image()..][..n * g.image()];
        with_scratch(|cols, out, _| {
            for band in &bands {
                let rows = band.rows;
                let columns = n * (rows.1 - rows.0) * wo;
                let cols = grow(cols, p * columns);
                im2col(x_g, &g, n, band, (0, g.channels_in), cols);
                let cols = view(cols, p, columns, columns, 1);
                if n == 1 {
                    // The image's own [K, L] plane, rows of the band: written in place.
                    let y_band = view_mut(&mut y_g[rows.0 * wo..], k, columns, l);
                    product_packed(&w, cols, y_band, false, threading);
                    if let Some(bias) = bias {
                        for (plane, add) in y_g.chunks_exact_mut(l).zip(bias) {
                            plane[rows.0 * wo..rows.1 * wo]
                                .iter_mut()
                                .for_each(|v| *v += add);
                        }
                    }
                } else {
                    // [K, n·L] scattered to [n, K, L], plus the bias.
                    let out = grow(out, k * columns);
                    let out_view = view_mut(out, k, columns, columns);
                    product_packed(&w, cols, out_view, false, threading);
                    for (index, plane) in y_g.chunks_exact_mut(l).enumerate() {
                        let (b, ch) = (index / k, index % k);
                        let src = &out[ch * columns + b * l..][..l];
                        let add = bias.map_or(0.0, |bias| bias[ch]);
                        for (d, s) in plane.iter_mut().zip(src) {
                            *d = s + add;
                        }
                    }
                }
            }
        });
    };
    if !y.is_empty() && p > 0 {
        for_each_group(&mut y, k * l, &g, threading, task);
    } else if let Some(bias) = bias {
        // No patch to sum (C = 0): the output is the bias.
        for (index, plane) in y.chunks_exact_mut(l.max(1)).enumerate() {
            plane.fill(bias[index % k]);
        }
    }
    tensor(y, [g.batch, k, g.out[0], g.out[1]])
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
    let (k, l, p, wo) = (g.channels_out, g.positions(), g.patch(), g.out[1]);
    let (w, dy) = (f32_slice(&weight), f32_slice(&output_grad));
    if winograd::applies(&g) {
        let filters = winograd::Filters::input_grad(w, k, g.channels_in);
        let dy_shape = [g.batch, k, g.out[0], g.out[1]];
        return tensor(winograd::correlate(dy, dy_shape, &filters, None), x_shape);
    }
    let mut dx = zeros(g.batch * g.image());
    if dx.is_empty() || l == 0 || k == 0 {
        return tensor(dx, x_shape);
    }
    let (threading, bands) = (g.threading(), Band::all(&g));
    // Wᵀ, packed once, read by the product of every tile.
    let w_t = packed(view(w, k, p, p, 1).t());
    let task = |first: usize, dx_g: &mut [f32]| {
        let n = dx_g.len() / g.image();
        let dy_g = &dy[first * k * l..][..n * k * l];
        with_scratch(|gathered, dcols, _| {
            for band in &bands {
                let rows = band.rows;
                let columns = n * (rows.1 - rows.0) * wo;
                let dy_tile = dy_view(dy_g, &g, n, rows, gathered);
                let dcols = grow(dcols, p * columns);
                let dcols_view = view_mut(dcols, p, columns, columns);
                product_packed(&w_t, dy_tile, dcols_view, false, threading);
                col2im(dcols, &g, n, band, dx_g);
            }
        });
    };
    for_each_group(&mut dx, g.image(), &g, threading, task);
    tensor(dx, x_shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::backend::ops::FloatTensorOps;
    use burn::backend::ops::ModuleOps;
    use burn::tensor::Shape;

    pub(super) fn ramp(shape: [usize; 4], seed: u32) -> FlexTensor {
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

    pub(super) fn values(t: FlexTensor) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap_or_default()
    }

    /// Equal within float32 rounding of long sums: `|a - b| <= 1e-5 · (1 + max |b|)`.
    fn close(a: FlexTensor, b: FlexTensor, what: &str) {
        close_to(&values(a), &values(b), what);
    }

    pub(super) fn close_to(a: &[f32], b: &[f32], what: &str) {
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

    /// Runs the three passes and checks them against the definition in f64.
    pub(super) fn check_against_definition(xs: [usize; 4], ws: [usize; 4], opt: &ConvOptions<2>) {
        let x = ramp(xs, 5);
        let w = ramp(ws, 6);
        let y = conv2d(x.clone(), w.clone(), None, opt);
        let dy = ramp(dims::<4>(&y), 7);
        let (y_ref, dx_ref, dw_ref) = reference(
            &values(x.clone()),
            xs,
            &values(w.clone()),
            ws,
            &values(dy.clone()),
            opt,
        );
        close_to(&values(y), &y_ref, &format!("forward {xs:?} {ws:?}"));
        close_to(
            &values(conv2d_weight_grad(x, ws, dy.clone(), opt)),
            &dw_ref,
            &format!("weight grad {xs:?} {ws:?}"),
        );
        close_to(
            &values(conv2d_input_grad(xs, w, dy, opt)),
            &dx_ref,
            &format!("input grad {xs:?} {ws:?}"),
        );
    }

    /// "Same" 3x3 convolutions of 64 channels and more take Winograd's path for the forward
    /// pass and the input gradient, and from 128 x 256 channels for the weight gradient too:
    /// all three against the definition, with odd sizes, and with fewer channels on one side
    /// (im2col throughout).
    #[test]
    fn winograd_convolutions_match_the_definition() {
        let same = ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
        for (xs, ws, takes, takes_for_weight) in [
            ([3, 64, 7, 5], [64, 64, 3, 3], true, false),
            ([2, 64, 4, 4], [70, 64, 3, 3], true, false),
            ([2, 128, 5, 6], [256, 128, 3, 3], true, true),
            ([2, 64, 6, 6], [32, 64, 3, 3], false, false),
        ] {
            let g = Geometry::new(xs, ws, &same);
            let paths = (winograd::applies(&g), winograd::applies_to_weight_grad(&g));
            assert_eq!(paths, (takes, takes_for_weight), "{xs:?} {ws:?}");
            check_against_definition(xs, ws, &same);
        }
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let opt = ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
        // Partial sums over groups of images (4 channels), then blocks of channels (128: 2
        // blocks on one thread, 4 on three, the same bits); Winograd's forward and input
        // gradient (64 channels in and out), groups of images in parallel (8 images) and one
        // group spread over the threads (2); and Winograd's weight gradient (128 -> 256).
        for (channels, outputs, images) in [
            (4, 6, 24),
            (128, 6, 8),
            (64, 64, 8),
            (64, 64, 2),
            (128, 256, 3),
        ] {
            results_on_one_and_three_threads([images, channels, 16, 16], outputs, &opt);
        }
    }

    fn results_on_one_and_three_threads(xs: [usize; 4], k: usize, opt: &ConvOptions<2>) {
        let [images, channels, h, w_] = xs;
        let x = ramp(xs, 8);
        let w = ramp([k, channels, 3, 3], 9);
        let dy = ramp([images, k, h, w_], 10);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap_or_else(|e| panic!("{e}"));
            pool.install(|| {
                [
                    values(conv2d(x.clone(), w.clone(), None, opt)),
                    values(conv2d_weight_grad(
                        x.clone(),
                        [k, channels, 3, 3],
                        dy.clone(),
                        opt,
                    )),
                    values(conv2d_input_grad(xs, w.clone(), dy.clone(), opt)),
                ]
            })
        };
        let (one, three) = (run(1), run(3));
        for (a, b) in one.iter().zip(&three) {
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(a), bits(b));
        }
    }
}
