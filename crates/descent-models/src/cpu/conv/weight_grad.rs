//! The gradients of a convolution's parameters: the weight's, as partial sums over groups of
//! images or by blocks of input channels (Winograd's from 128 x 256 channels), and the bias's,
//! summed in the same pass or in one of its own.

use super::geometry::Geometry;
use super::patches::{Band, dy_view, im2col};
use super::{grow, winograd, with_scratch};
use crate::cpu::flex_data::{contiguous, dims, f32_slice, tensor, zeros};
use crate::cpu::gemm::{Threading, product, view, view_mut};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::ConvOptions;
use rayon::prelude::*;
use std::sync::{Mutex, PoisonError};

/// Largest number of partial sums of the weight gradient (one per range of groups).
pub(crate) const WEIGHT_GRAD_PARTS: usize = 8;
/// Floats all partial sums of one weight gradient may take together (16 MB), down to two
/// parts: each part is a whole gradient to zero, fill and add, and on a full-width VGG-11
/// eight parts of a 512x4608 gradient cost more in memory traffic than their parallelism gave.
pub(crate) const WEIGHT_GRAD_PARTS_FLOATS: usize = 1 << 22;

/// Gradient of the loss with respect to the weight, `[K, C, kh, kw]`.
#[cfg(test)]
pub(crate) fn conv2d_weight_grad(
    x: FlexTensor,
    weight_shape: [usize; 4],
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
) -> FlexTensor {
    conv2d_weight_and_bias_grad(x, weight_shape, output_grad, options, false).0
}

/// Gradients of the loss with respect to the weight, `[K, C, kh, kw]`, and when `with_bias`
/// the bias, `[K]`. The bias gradient is summed from each tile's output gradient while the
/// weight gradient reads it (plane by plane in f64, in the order of the images), not in a
/// pass of its own over the whole output gradient, which read every layer's output gradient
/// from memory once more.
pub(crate) fn conv2d_weight_and_bias_grad(
    x: FlexTensor,
    weight_shape: [usize; 4],
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
    with_bias: bool,
) -> (FlexTensor, Option<FlexTensor>) {
    let x = contiguous(x);
    let output_grad = contiguous(output_grad);
    let g = Geometry::new(dims::<4>(&x), weight_shape, options);
    let (k, l, p) = (g.channels_out, g.positions(), g.patch());
    let (xs, dy) = (f32_slice(&x), f32_slice(&output_grad));
    let bias = |sums: Vec<f64>| {
        with_bias.then(|| tensor(sums.into_iter().map(|v| v as f32).collect(), [k]))
    };
    if g.batch * l == 0 || k * p == 0 {
        let db = if p == 0 && with_bias {
            // No patch (C = 0): the weight gradient is empty, the bias's is not.
            Some(conv2d_bias_grad(output_grad))
        } else {
            bias(vec![0.0; k])
        };
        return (tensor(zeros(k * p), weight_shape), db);
    }
    if winograd::applies_to_weight_grad(&g) {
        let (dw, sums) = winograd::weight_and_bias_grad(xs, dy, dims::<4>(&x), k, with_bias);
        return (tensor(dw, weight_shape), bias(sums));
    }
    let (groups, threading, bands) = (g.groups(), g.threading(), Band::all(&g));
    let blocks = weight_grad_channel_blocks(&g);
    if blocks > 1 {
        let (dw, sums) = weight_grad_by_channels(&g, xs, dy, &bands, blocks, with_bias);
        return (tensor(dw, weight_shape), bias(sums));
    }
    let parts = match threading {
        Threading::Caller => groups.min(weight_grad_parts(k * p)),
        Threading::Product => 1,
    };
    // The sum over groups first..end of dW, as [K, P] (the weight's own layout), and of the
    // bias gradient.
    let partial = |part: usize| {
        let mut dw = zeros(k * p);
        let mut sums = vec![0f64; if with_bias { k } else { 0 }];
        with_scratch(|cols, gathered, _| {
            let groups = part * groups / parts..(part + 1) * groups / parts;
            let tiles = WeightGradTiles {
                g: &g,
                xs,
                dy,
                bands: &bands,
                threading,
            };
            tiles.add(
                groups,
                (0, g.channels_in),
                &mut dw,
                &mut sums,
                cols,
                gathered,
            );
        });
        (dw, sums)
    };
    let partials: Vec<(Vec<f32>, Vec<f64>)> = match threading {
        Threading::Caller => (0..parts).into_par_iter().map(partial).collect(),
        Threading::Product => (0..parts).map(partial).collect(),
    };
    let (partials, part_sums): (Vec<Vec<f32>>, Vec<Vec<f64>>) = partials.into_iter().unzip();
    let mut sums = vec![0f64; k];
    for part in &part_sums {
        sums.iter_mut().zip(part).for_each(|(s, v)| *s += v);
    }
    (tensor(sum_in_order(partials), weight_shape), bias(sums))
}

/// What the weight gradient's tiles read, for [`WeightGradTiles::add`]: the geometry, the
/// input `xs` and output gradient `dy` of the whole batch, the bands of output rows, and who
/// threads the products.
struct WeightGradTiles<'a> {
    g: &'a Geometry,
    xs: &'a [f32],
    dy: &'a [f32],
    bands: &'a [Band],
    threading: Threading,
}

impl WeightGradTiles<'_> {
    /// Adds the products of every tile of the groups of images `groups`, in order, for the
    /// input channels `channels`, into `dw` (`[K, width]`, `width` those channels' patch
    /// rows; the first product overwrites it), and each tile's output-gradient sums into
    /// `sums` (empty for none). `cols` and `gathered` are the calling thread's scratch.
    fn add(
        &self,
        groups: std::ops::Range<usize>,
        (c0, c1): (usize, usize),
        dw: &mut [f32],
        sums: &mut [f64],
        cols: &mut Vec<f32>,
        gathered: &mut Vec<f32>,
    ) {
        let g = self.g;
        let (k, l, wo) = (g.channels_out, g.positions(), g.out[1]);
        let width = (c1 - c0) * g.kernel[0] * g.kernel[1];
        let count = g.groups();
        let mut accumulate = false;
        for group in groups {
            let (first, end) = g.group(group, count);
            let n = end - first;
            let x_g = &self.xs[first * g.image()..][..n * g.image()];
            let dy_g = &self.dy[first * k * l..][..n * k * l];
            for band in self.bands {
                let rows = band.rows;
                let columns = n * (rows.1 - rows.0) * wo;
                let cols = grow(cols, width * columns);
                im2col(x_g, g, n, band, (c0, c1), cols);
                let dy_tile = dy_view(dy_g, g, n, rows, gathered);
                let cols_t = view(cols, width, columns, columns, 1).t();
                let dw_view = view_mut(dw, k, width, width);
                product(dy_tile, cols_t, dw_view, accumulate, self.threading);
                accumulate = true;
                add_tile_sums(dy_g, g, n, rows, sums);
            }
        }
    }
}

/// Adds the output gradient of one tile (the group's images `dy`, `[n, K, L]`, over output
/// rows `rows`) to `sums` (`[K]`, or empty for none): channel by channel, each image's part of
/// the plane summed in f32 lanes, then added in f64.
fn add_tile_sums(dy: &[f32], g: &Geometry, n: usize, rows: (usize, usize), sums: &mut [f64]) {
    let (k, l, wo) = (g.channels_out, g.positions(), g.out[1]);
    let band = (rows.1 - rows.0) * wo;
    for (ch, sum) in sums.iter_mut().enumerate() {
        for b in 0..n {
            *sum += crate::cpu::norm::sum(&dy[(b * k + ch) * l + rows.0 * wo..][..band]);
        }
    }
}

/// Patch length from which the weight gradient is split into blocks of input channels
/// ([`weight_grad_channel_blocks`]), per block: narrower products lose more to their edges.
const WEIGHT_GRAD_MIN_BLOCK_PATCH: usize = 256;

/// How many blocks of input channels the weight gradient is split into, one task each (see
/// [`weight_grad_by_channels`]), or 1 for partial sums over groups of images instead.
///
/// Blocks when the groups run in parallel and at least two blocks of
/// [`WEIGHT_GRAD_MIN_BLOCK_PATCH`] patch rows fit: that choice depends on the shapes only.
/// Their count is then as many as fit, up to two per thread of rayon's pool. It may depend on
/// the thread count because the results do not: every element of the gradient is one task's
/// sum over the same tiles in the same order, whatever the blocks (tested). With more threads
/// than blocks (a 64-channel layer on 4 cores), some threads sit this pass out.
fn weight_grad_channel_blocks(g: &Geometry) -> usize {
    let most = g.channels_in.min(g.patch() / WEIGHT_GRAD_MIN_BLOCK_PATCH);
    if g.threading() != Threading::Caller || most < 2 {
        return 1;
    }
    most.min(2 * rayon::current_num_threads()).max(2)
}

/// The weight gradient `[K, P]` in `blocks` blocks of input channels, in parallel: each task
/// builds the patch rows of its channels only, for every group of images in turn, and adds
/// their products into its block of columns of `dW` (a buffer of its thread, reused, that its
/// first product overwrites), then copies the block into place. No task holds a whole
/// gradient, so there are no partial sums to zero, fill and add: on a full-width VGG-11 those
/// were 2 to 8 copies of each gradient (up to 19 MB a layer) every step.
///
/// With `with_bias`, the first block also sums the bias gradient from the tiles it reads
/// (`[K]` in f64; empty without).
fn weight_grad_by_channels(
    g: &Geometry,
    xs: &[f32],
    dy: &[f32],
    bands: &[Band],
    blocks: usize,
    with_bias: bool,
) -> (Vec<f32>, Vec<f64>) {
    let (k, p) = (g.channels_out, g.patch());
    let per_channel = g.kernel[0] * g.kernel[1];
    let groups = g.groups();
    let dw = Mutex::new(zeros(k * p));
    let sums = Mutex::new(Vec::new());
    (0..blocks).into_par_iter().for_each(|block| {
        let mut block_sums = vec![0f64; if with_bias && block == 0 { k } else { 0 }];
        let (c0, c1) = (
            block * g.channels_in / blocks,
            (block + 1) * g.channels_in / blocks,
        );
        let width = (c1 - c0) * per_channel;
        with_scratch(|cols, gathered, columns_of_dw| {
            let block_dw = grow(columns_of_dw, k * width);
            let tiles = WeightGradTiles {
                g,
                xs,
                dy,
                bands,
                threading: Threading::Caller,
            };
            tiles.add(
                0..groups,
                (c0, c1),
                block_dw,
                &mut block_sums,
                cols,
                gathered,
            );
            let mut dw = dw.lock().unwrap_or_else(PoisonError::into_inner);
            for (row, src) in block_dw.chunks_exact(width.max(1)).enumerate() {
                dw[row * p + c0 * per_channel..][..width].copy_from_slice(src);
            }
        });
        if !block_sums.is_empty() {
            *sums.lock().unwrap_or_else(PoisonError::into_inner) = block_sums;
        }
    });
    (
        dw.into_inner().unwrap_or_else(PoisonError::into_inner),
        sums.into_inner().unwrap_or_else(PoisonError::into_inner),
    )
}

/// Chunk of the weight gradient each task sums its parts over.
const PARTS_SUM_CHUNK: usize = 1 << 14;

/// The element-wise sum of `parts`, added in their order (the same bits as one running sum),
/// in parallel over chunks of elements: on a full-width VGG-11 the parts of one layer's
/// gradient are 8 x 2.4 M floats, too many for one thread.
fn sum_in_order(parts: Vec<Vec<f32>>) -> Vec<f32> {
    let mut parts = parts.into_iter();
    let mut total = parts.next().unwrap_or_default();
    let rest: Vec<Vec<f32>> = parts.collect();
    if rest.is_empty() {
        return total;
    }
    total
        .par_chunks_mut(PARTS_SUM_CHUNK)
        .enumerate()
        .for_each(|(chunk, out)| {
            let start = chunk * PARTS_SUM_CHUNK;
            for part in &rest {
                let part = &part[start..start + out.len()];
                out.iter_mut().zip(part).for_each(|(d, o)| *d += o);
            }
        });
    total
}

/// How many partial sums a weight gradient of `floats` values is split into when the groups
/// run in parallel: at most [`WEIGHT_GRAD_PARTS`], within [`WEIGHT_GRAD_PARTS_FLOATS`], at
/// least two (shapes only decide, so the result does not depend on the thread count).
fn weight_grad_parts(floats: usize) -> usize {
    (WEIGHT_GRAD_PARTS_FLOATS / floats.max(1)).clamp(2, WEIGHT_GRAD_PARTS)
}

/// Output gradients from this many values on are summed in parallel over the channels.
const PARALLEL_MIN_BIAS_GRAD: usize = 1 << 15;

/// Gradient of the loss with respect to the bias, `[K]`: the output gradient `[N, K, Ho, Wo]`
/// summed over the batch and the positions, plane by plane in f64, in a fixed order.
///
/// Burn's default (`conv2d_bias_backward`) swaps the batch and channel axes first: a
/// transposing copy of the whole gradient, as large as the layer's output.
pub(crate) fn conv2d_bias_grad(output_grad: FlexTensor) -> FlexTensor {
    let dy = contiguous(output_grad);
    let [n, k, ho, wo] = dims::<4>(&dy);
    let (l, values) = (ho * wo, f32_slice(&dy));
    let channel = |ch: usize| {
        let total: f64 = (0..n)
            .map(|b| crate::cpu::norm::sum(&values[(b * k + ch) * l..][..l]))
            .sum();
        total as f32
    };
    let db: Vec<f32> = if values.len() >= PARALLEL_MIN_BIAS_GRAD {
        (0..k).into_par_iter().map(channel).collect()
    } else {
        (0..k).map(channel).collect()
    };
    tensor(db, [k])
}

#[cfg(test)]
mod tests {
    use super::super::conv2d;
    use super::super::tests::{check_against_definition, close_to, ramp, values};
    use super::*;
    use burn::backend::Flex;
    use burn::backend::ops::ModuleOps;
    use burn::tensor::Shape;

    /// The bias gradient against its definition in f64 and against Burn's, on a small plane
    /// (sequential), a large one (parallel) and empty positions.
    #[test]
    fn bias_gradient_sums_each_channel() {
        for shape in [[3, 5, 4, 3], [16, 8, 32, 32], [2, 3, 0, 4]] {
            let [n, k, ho, wo] = shape;
            let dy = ramp(shape, 7);
            let v = values(dy.clone());
            let want: Vec<f32> = (0..k)
                .map(|ch| {
                    let total: f64 = (0..n)
                        .flat_map(|b| &v[(b * k + ch) * ho * wo..][..ho * wo])
                        .map(|&x| f64::from(x))
                        .sum();
                    total as f32
                })
                .collect();
            let got = values(conv2d_bias_grad(dy.clone()));
            close_to(&got, &want, &format!("{shape:?} against f64"));
            let x = FlexTensor::zeros(Shape::new([n, 2, ho, wo]), burn::tensor::DType::F32);
            let bias = FlexTensor::zeros(Shape::new([k]), burn::tensor::DType::F32);
            let burns = Flex::conv2d_bias_backward(x, bias, dy);
            close_to(&got, &values(burns), &format!("{shape:?} against Burn"));
        }
    }

    /// The bias gradient summed inside the weight gradient's pass equals the one of its own
    /// pass: partial sums over groups of images (one band, then bands of rows of one large
    /// image), blocks of channels, threaded products, no positions at all, and Winograd's.
    #[test]
    fn bias_gradient_summed_with_the_weight_gradient_equals_its_own_pass() {
        let same = ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
        for (xs, ws) in [
            ([18, 3, 8, 8], [5, 3, 3, 3]),
            ([2, 64, 40, 40], [3, 64, 3, 3]),
            ([20, 128, 6, 6], [5, 128, 3, 3]),
            ([1, 64, 40, 40], [3, 64, 3, 3]),
            ([2, 3, 0, 4], [4, 3, 3, 3]),
            // Winograd's weight gradient.
            ([4, 128, 6, 5], [256, 128, 3, 3]),
        ] {
            let x = ramp(xs, 11);
            let w = ramp(ws, 12);
            let y = conv2d(x.clone(), w, None, &same);
            let dy = ramp(dims::<4>(&y), 13);
            let (dw, db) = conv2d_weight_and_bias_grad(x.clone(), ws, dy.clone(), &same, true);
            let alone = conv2d_weight_grad(x, ws, dy.clone(), &same);
            assert_eq!(values(dw), values(alone), "{xs:?}: weight gradient");
            let db = db.map(values).unwrap_or_default();
            close_to(&db, &values(conv2d_bias_grad(dy)), &format!("{xs:?}: bias"));
        }
    }

    #[test]
    fn large_weight_gradients_take_fewer_parts() {
        // A width-1/4 VGG-11's weights (at most 128x1152) keep all 8 parts; a full-width
        // 512x4608 weight takes 2, 256x2304 takes 7.
        assert_eq!(weight_grad_parts(128 * 1152), WEIGHT_GRAD_PARTS);
        assert_eq!(weight_grad_parts(512 * 4608), 2);
        assert_eq!(weight_grad_parts(256 * 2304), 7);
        assert_eq!(weight_grad_parts(0), WEIGHT_GRAD_PARTS);
    }

    /// The parallel sum of the weight gradient's parts gives the bits of one running sum in
    /// the parts' order, over several chunks and a short last one.
    #[test]
    fn parts_are_summed_in_order() {
        let len = 2 * PARTS_SUM_CHUNK + 77;
        let parts: Vec<Vec<f32>> = (0..5)
            .map(|seed| {
                values(ramp([1, 1, 1, len], seed))
                    .iter()
                    .map(|v| v * 1e3 + 0.1)
                    .collect()
            })
            .collect();
        let mut want = parts[0].clone();
        for part in &parts[1..] {
            for (w, p) in want.iter_mut().zip(part) {
                *w += p;
            }
        }
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&sum_in_order(parts.clone())), bits(&want));
        assert_eq!(sum_in_order(parts[..1].to_vec()), parts[0]);
        assert!(sum_in_order(Vec::new()).is_empty());
    }

    #[test]
    fn weight_gradients_of_long_patches_go_by_blocks_of_channels() {
        let same = ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
        let pool = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let (two, three) = (pool(2), pool(3));
        let on_two = |g: &Geometry| two.install(|| weight_grad_channel_blocks(g));
        // On 2 threads: patch 1152 (128 channels): 4 blocks (2 a thread); 576 (64): 2; 288
        // (32): partial sums over groups.
        for (channels, blocks) in [(128, 4), (64, 2), (32, 1)] {
            // 8 images of 36 positions make a group: 20 images, 4 groups in parallel.
            let g = Geometry::new([20, channels, 6, 6], [5, channels, 3, 3], &same);
            assert_eq!(on_two(&g), blocks, "{channels} channels");
            check_against_definition([20, channels, 6, 6], [5, channels, 3, 3], &same);
        }
        // Channels that do not divide evenly (blocks of 32 and 33), narrow outputs, stride 2.
        let strided = ConvOptions::new([2, 2], [1, 1], [1, 1], 1);
        let g = Geometry::new([40, 65, 7, 7], [3, 65, 3, 3], &strided);
        assert_eq!(on_two(&g), 2);
        check_against_definition([40, 65, 7, 7], [3, 65, 3, 3], &strided);
        // One group (threaded products): no blocks.
        let g = Geometry::new([1, 128, 40, 40], [3, 128, 3, 3], &same);
        assert_eq!(on_two(&g), 1, "one group");
        // More threads, more blocks, as many as fit: 1152 / 256 = 4 on 3 threads; 512
        // channels of 9 rows fit 18 blocks, 6 on 3 threads.
        let on_three = |g: &Geometry| three.install(|| weight_grad_channel_blocks(g));
        let g = Geometry::new([20, 128, 6, 6], [5, 128, 3, 3], &same);
        assert_eq!(on_three(&g), 4);
        let g = Geometry::new([64, 512, 2, 2], [5, 512, 3, 3], &same);
        assert_eq!(on_three(&g), 6);
    }
}
