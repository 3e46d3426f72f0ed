//! Winograd F(2x2, 3x3) convolutions (Lavin & Gray 2016, "Fast algorithms for convolutional
//! neural networks"): the forward pass and the input gradient of a 3x3, stride-1 "same"
//! convolution, a VGG's every layer, and its weight gradient ([`weight_grad`]).
//!
//! Each 2x2 block of outputs (a *tile*) is computed from its 4x4 block of inputs `d`. Both are
//! carried into a space of 16 *points* `ξ`, where the convolution becomes 16 independent sums
//! over the input channels: `V = Bᵀ·d·B` per input channel and tile, `U = G·g·Gᵀ` per filter,
//! `M_ξ[K, tiles] = U_ξ[K, C] · V_ξ[C, tiles]` (16 matrix products), and the outputs
//! `Y = Aᵀ·M·A`. The products hold `16·C` multiply-adds per tile against `36·C` for im2col's
//! `9·C`-deep sum over the same tile, and the transformed inputs take 4 floats per output
//! position against im2col's 9.
//!
//! The transforms' coefficients are 0, ±1 and ±½, so `U`, `V` and `Y` are sums and
//! differences: the results differ from im2col's in rounding only (a few units in the last
//! place of the largest terms; tested against both the definition and the im2col path).
//!
//! The transforms run 16 tiles at a time, one per vector lane (compiled for AVX-512 by
//! [`descent_kernels::vectorized`]), across tile rows and images, so that the 2x2 planes of a
//! VGG's last layers fill the lanes too; each tile finds its inputs and outputs through a
//! table of offsets ([`Unit::offsets`]) instead of a bordered copy of every plane. A unit of
//! work is a group of images (or a band of tile rows of one large image) whose transformed
//! inputs and products stay within [`UNIT_BUDGET_BYTES`]; groups run in parallel as im2col's
//! do.
//!
//! Non-finite inputs: a NaN or infinity in a tile's 4x4 block reaches all four of the tile's
//! outputs (the transforms multiply it by zero coefficients too), where im2col's sums carry it
//! to the outputs whose 3x3 window holds it only. Either way the outputs are no longer finite.
//!
//! The input gradient of a "same" convolution is the "same" correlation of the output gradient
//! by the kernels turned by 180° with input and output channels swapped; its transformed
//! filters are the forward ones with points permuted and each matrix transposed
//! ([`Filters::input_grad`]).

use super::geometry::{Geometry, balanced_groups};
use super::{grow, with_scratch};
use crate::cpu::flex_data::zeros;
use crate::cpu::gemm::{Threading, packed, product, product_packed, view, view_mut};
use descent_kernels::PackedA;
use rayon::prelude::*;

mod weight_grad;

pub(super) use weight_grad::weight_and_bias_grad;

/// Points of the transformed space: a 4x4 block, `ξ = 4·row + column`.
const POINTS: usize = 16;

/// Channels in and out from which a convolution takes this path: below, the 16 products are
/// 16- or 32-deep and lose to the transforms around them; at 64 the VGG-11 layers measured
/// about even, above faster (`benches/kernels.rs`, `layers`, against im2col; figures in
/// `bench/README.md`).
pub(super) const MIN_CHANNELS: usize = 64;

/// Upper bound on one unit's transformed inputs and products (`16·(C + K)` floats a tile), in
/// bytes: the same as im2col's [`super::geometry::TILE_BUDGET_BYTES`]. Smaller units measured
/// about even; units of the whole batch with the 16 products spread over the threads (so that
/// each transformed filter is read once) measured slower on the 4x4 and 2x2 layers.
const UNIT_BUDGET_BYTES: usize = 2 << 20;

/// Tiles (columns of the 16 products) a unit of small images should reach.
const UNIT_MIN_COLUMNS: usize = 128;

/// Whether a convolution of geometry `g` takes this path: 3x3 kernel, stride 1, no dilation,
/// one row and column of padding on every side (so outputs as large as inputs), and at least
/// [`MIN_CHANNELS`] channels in and out (with fewer, the 16 products are too shallow to gain
/// on im2col's single one).
pub(super) fn applies(g: &Geometry) -> bool {
    g.kernel == [3, 3]
        && g.stride == [1, 1]
        && g.dilation == [1, 1]
        && g.pad == [1, 1]
        && g.out == [g.height, g.width]
        && g.channels_in >= MIN_CHANNELS
        && g.channels_out >= MIN_CHANNELS
        && g.batch * g.height * g.width > 0
}

/// Products of channels in and out (`C·K`) from which the weight gradient of a convolution
/// that [`applies`] takes this path too ([`weight_and_bias_grad`]); below, im2col's: the
/// weight-gradient pass of the full-width VGG-11 layers from 128->256 measured faster this
/// way, those of the width-1/4 layers (64 and 128 channels) slower, each of the 16 products
/// too small for the passes around it (`benches/kernels.rs`, `layers`; figures in
/// `bench/README.md`).
pub(super) const WEIGHT_GRAD_MIN_CHANNEL_PAIRS: usize = 128 * 256;

/// Whether the weight gradient of a convolution of geometry `g` takes this path: one that
/// [`applies`], with at least [`WEIGHT_GRAD_MIN_CHANNEL_PAIRS`].
pub(super) fn applies_to_weight_grad(g: &Geometry) -> bool {
    applies(g) && g.channels_in * g.channels_out >= WEIGHT_GRAD_MIN_CHANNEL_PAIRS
}

/// The filter transform `G` of F(2x2, 3x3): `U = G·g·Gᵀ`.
const G: [[f32; 3]; 4] = [
    [1.0, 0.0, 0.0],
    [0.5, 0.5, 0.5],
    [0.5, -0.5, 0.5],
    [0.0, 0.0, 1.0],
];

/// `G ⊗ G` as a `16 x 9` matrix: `U[4a + b] = Σ G[a][i]·G[b][j]·g[3i + j]`. Its entries are
/// products of 0, ±1 and ±½, exact in f32.
fn filter_transform() -> [f32; POINTS * 9] {
    let mut t = [0f32; POINTS * 9];
    for (point, row) in t.chunks_exact_mut(9).enumerate() {
        let (a, b) = (point / 4, point % 4);
        for (tap, v) in row.iter_mut().enumerate() {
            *v = G[a][tap / 3] * G[b][tap % 3];
        }
    }
    t
}

/// The filters of one pass in the transformed space: per point `ξ`, a `[outputs, inputs]`
/// matrix packed for the products.
pub(super) struct Filters {
    points: Vec<PackedA>,
}

impl Filters {
    /// `U_ξ` `[K, C]` of `weight` `[K, C, 3, 3]`, for the forward pass.
    pub(super) fn forward(weight: &[f32], k: usize, c: usize) -> Self {
        let points = with_scratch(|_, _, u| {
            let u = transformed(weight, k * c, u);
            (0..POINTS)
                .into_par_iter()
                .map(|point| packed(view(&u[point * k * c..], k, c, c, 1)))
                .collect()
        });
        Self { points }
    }

    /// The filters `[C, K]` that take an output gradient `[N, K, H, W]` to the input gradient
    /// `[N, C, H, W]`: those of the kernels turned by 180°, input and output swapped. Turning
    /// `g` reverses its rows, and `G` applied to reversed rows gives `G·g`'s rows 3, 1, 2, 0:
    /// so point `4a + b` of a turned kernel is point `4·π(a) + π(b)` of the kernel, with
    /// `π = (3, 1, 2, 0)`.
    pub(super) fn input_grad(weight: &[f32], k: usize, c: usize) -> Self {
        const TURNED: [usize; 4] = [3, 1, 2, 0];
        let points = with_scratch(|_, _, u| {
            let u = transformed(weight, k * c, u);
            (0..POINTS)
                .into_par_iter()
                .map(|point| {
                    let source = 4 * TURNED[point / 4] + TURNED[point % 4];
                    packed(view(&u[source * k * c..], k, c, c, 1).t())
                })
                .collect()
        });
        Self { points }
    }

    /// Output channels.
    fn outputs(&self) -> usize {
        self.points.first().map_or(0, PackedA::rows)
    }

    /// Input channels.
    fn inputs(&self) -> usize {
        self.points.first().map_or(0, PackedA::cols)
    }
}

/// `U` `[16, filters]` of the `filters` 3x3 kernels in `weight` (`[filters, 9]`), as one
/// product of [`filter_transform`] by the kernels' transpose, in `buf`.
fn transformed<'a>(weight: &[f32], filters: usize, buf: &'a mut Vec<f32>) -> &'a [f32] {
    let t = filter_transform();
    let u = grow(buf, POINTS * filters);
    product(
        view(&t, POINTS, 9, 9, 1),
        view(weight, 9, filters, 1, 9),
        view_mut(u, POINTS, filters, filters),
        false,
        Threading::Product,
    );
    u
}

/// The sizes of one pass: `images` `[N, C, H, W]` in, `[N, K, H, W]` out, and their tiles.
#[derive(Debug, Clone, Copy)]
struct Shape {
    batch: usize,
    inputs: usize,
    outputs: usize,
    height: usize,
    width: usize,
    /// Tile rows and columns of an image: `⌈H/2⌉`, `⌈W/2⌉`.
    tiles: [usize; 2],
}

impl Shape {
    fn plane(&self) -> usize {
        self.height * self.width
    }

    fn image_tiles(&self) -> usize {
        self.tiles[0] * self.tiles[1]
    }

    /// Bytes of a unit's buffers per tile: 16 transformed inputs and 16 products a channel.
    fn bytes_per_tile(&self) -> usize {
        POINTS * (self.inputs + self.outputs) * std::mem::size_of::<f32>()
    }

    /// How many groups of whole images the batch is cut into (enough images for
    /// [`UNIT_MIN_COLUMNS`] tiles, within [`UNIT_BUDGET_BYTES`], counted as
    /// [`Geometry::groups`] counts them), or `None` when one image is over the budget and
    /// each image is cut into bands of tile rows instead.
    fn groups(&self) -> Option<usize> {
        let per_image = self.bytes_per_tile() * self.image_tiles();
        let fit = UNIT_BUDGET_BYTES / per_image.max(1);
        if fit == 0 {
            return None;
        }
        let wanted = UNIT_MIN_COLUMNS.div_ceil(self.image_tiles().max(1));
        let batch = self.batch.max(1);
        Some(balanced_groups(batch, wanted.min(fit).clamp(1, batch)))
    }

    /// Tile rows of the bands one image over the budget is cut into.
    fn band_rows(&self) -> usize {
        let per_row = self.bytes_per_tile() * self.tiles[1];
        (UNIT_BUDGET_BYTES / per_row.max(1)).clamp(1, self.tiles[0].max(1))
    }
}

/// The 3x3 "same" correlation of `x` (`[N, C, H, W]`, `shape`) by `filters`, plus `bias`
/// (`[K]`) when given: `[N, K, H, W]`.
pub(super) fn correlate(
    x: &[f32],
    [batch, inputs, height, width]: [usize; 4],
    filters: &Filters,
    bias: Option<&[f32]>,
) -> Vec<f32> {
    debug_assert_eq!(filters.inputs(), inputs);
    let s = Shape {
        batch,
        inputs,
        outputs: filters.outputs(),
        height,
        width,
        tiles: [height.div_ceil(2), width.div_ceil(2)],
    };
    let (image_in, image_out) = (s.inputs * s.plane(), s.outputs * s.plane());
    let mut y = zeros(s.batch * image_out);
    if y.is_empty() {
        return y;
    }
    match s.groups() {
        Some(groups) if groups >= 2 => {
            // Groups of images in parallel, each unit on one thread.
            let mut chunks = Vec::with_capacity(groups);
            let mut rest = y.as_mut_slice();
            for index in 0..groups {
                let (first, end) = (index * s.batch / groups, (index + 1) * s.batch / groups);
                let (chunk, tail) = rest.split_at_mut((end - first) * image_out);
                chunks.push((first, chunk));
                rest = tail;
            }
            chunks.into_par_iter().for_each(|(first, y_g)| {
                let n = y_g.len() / image_out;
                let x_g = &x[first * image_in..][..n * image_in];
                let unit = Unit::new(&s, n, (0, s.tiles[0]));
                with_scratch(|v, m, _| unit.run(x_g, filters, bias, y_g, v, m, false));
            });
        }
        Some(_) => {
            let unit = Unit::new(&s, s.batch, (0, s.tiles[0]));
            with_scratch(|v, m, _| unit.run(x, filters, bias, &mut y, v, m, true));
        }
        None => {
            // One image at a time, band by band, each unit's work spread over the threads.
            let rows = s.band_rows();
            for (b, y_b) in y.chunks_exact_mut(image_out).enumerate() {
                let x_b = &x[b * image_in..][..image_in];
                for first in (0..s.tiles[0]).step_by(rows) {
                    let unit = Unit::new(&s, 1, (first, (first + rows).min(s.tiles[0])));
                    with_scratch(|v, m, _| unit.run(x_b, filters, bias, y_b, v, m, true));
                }
            }
        }
    }
    y
}

/// One unit of work: `images` images, tile rows `rows` of each; its tiles are the columns of
/// the 16 products, image by image, then row by row.
struct Unit<'a> {
    s: &'a Shape,
    images: usize,
    rows: (usize, usize),
}

impl<'a> Unit<'a> {
    fn new(s: &'a Shape, images: usize, rows: (usize, usize)) -> Self {
        Self { s, images, rows }
    }

    /// Tiles of one image in the unit.
    fn image_tiles(&self) -> usize {
        (self.rows.1 - self.rows.0) * self.s.tiles[1]
    }

    /// Tiles of the unit: the products' columns.
    fn columns(&self) -> usize {
        self.images * self.image_tiles()
    }

    /// Where each tile of an image reads and writes, relative to its planes: per tile, the
    /// 16 inputs of its 4x4 block (`4·r + j`) and then its 4 outputs (`2·i + j`), each an
    /// offset into the plane or [`OUTSIDE`] (padding to read as zero, or an output past an
    /// odd edge).
    fn offsets(&self) -> Vec<usize> {
        let (h, w, tw) = (self.s.height, self.s.width, self.s.tiles[1]);
        let at = |y: Option<usize>, x: Option<usize>| match (y, x) {
            (Some(y), Some(x)) if y < h && x < w => y * w + x,
            _ => OUTSIDE,
        };
        let mut offsets = Vec::with_capacity(self.image_tiles() * TILE_OFFSETS);
        for tile_row in self.rows.0..self.rows.1 {
            for tile_col in 0..tw {
                let (top, left) = (2 * tile_row, 2 * tile_col);
                for r in 0..4 {
                    for j in 0..4 {
                        offsets.push(at((top + r).checked_sub(1), (left + j).checked_sub(1)));
                    }
                }
                for i in 0..2 {
                    for j in 0..2 {
                        offsets.push(at(Some(top + i), Some(left + j)));
                    }
                }
            }
        }
        offsets
    }

    /// The unit's outputs, written into `y` (its images, `[images, K, H, W]`) from its inputs
    /// `x` (`[images, C, H, W]`); `v` and `m` are scratch. With `parallel`, each step is
    /// spread over rayon's pool; else all runs on this thread.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        x: &[f32],
        filters: &Filters,
        bias: Option<&[f32]>,
        y: &mut [f32],
        v: &mut Vec<f32>,
        m: &mut Vec<f32>,
        parallel: bool,
    ) {
        let s = self.s;
        let (columns, image_tiles, plane) = (self.columns(), self.image_tiles(), s.plane());
        let offsets = self.offsets();
        // Transformed inputs, [C][16][tiles]: one contiguous block per input channel.
        let v = grow(v, s.inputs * POINTS * columns);
        let input = |(channel, block): (usize, &mut [f32])| {
            descent_kernels::vectorized(InputTransform {
                x: &x[channel * plane..],
                image_stride: s.inputs * plane,
                image_tiles,
                offsets: &offsets,
                block,
                columns,
            });
        };
        if parallel {
            v.par_chunks_exact_mut(POINTS * columns)
                .enumerate()
                .for_each(input);
        } else {
            v.chunks_exact_mut(POINTS * columns)
                .enumerate()
                .for_each(input);
        }
        // Products, [16][K][tiles].
        let v: &[f32] = v;
        let m = grow(m, POINTS * s.outputs * columns);
        let point = |(point, m_point): (usize, &mut [f32])| {
            let v_point = view(
                &v[point * columns..],
                s.inputs,
                columns,
                POINTS * columns,
                1,
            );
            let m_point = view_mut(m_point, s.outputs, columns, columns);
            product_packed(
                &filters.points[point],
                v_point,
                m_point,
                false,
                Threading::Caller,
            );
        };
        if parallel {
            m.par_chunks_exact_mut(s.outputs * columns)
                .enumerate()
                .for_each(point);
        } else {
            m.chunks_exact_mut(s.outputs * columns)
                .enumerate()
                .for_each(point);
        }
        // Outputs: channel by channel over every image of the unit, or in parallel plane by
        // plane.
        let m: &[f32] = m;
        let y = &mut y[..self.images * s.outputs * plane];
        let output = |channel: usize, first_image: usize, images: usize, y: &mut [f32]| {
            descent_kernels::vectorized(OutputTransform {
                products: &m[channel * columns + first_image * image_tiles..],
                stride: s.outputs * columns,
                tiles: images * image_tiles,
                image_tiles,
                offsets: &offsets,
                add: bias.map_or(0.0, |bias| bias[channel]),
                y,
                image_stride: s.outputs * plane,
            });
        };
        if parallel && self.images == 1 {
            y.par_chunks_exact_mut(plane)
                .enumerate()
                .for_each(|(channel, y)| output(channel, 0, 1, y));
        } else if parallel {
            // Runs of images, each task all channels of its run: the lanes of a channel's
            // loop span the run's images, not one small plane's few tiles.
            let tasks = (PARALLEL_OUTPUT_TASKS_PER_THREAD * rayon::current_num_threads())
                .clamp(1, self.images);
            let run = self.images.div_ceil(tasks);
            y.par_chunks_mut(run * s.outputs * plane)
                .enumerate()
                .for_each(|(index, y)| {
                    let images = y.len() / (s.outputs * plane);
                    for channel in 0..s.outputs {
                        output(channel, index * run, images, &mut y[channel * plane..]);
                    }
                });
        } else {
            for channel in 0..s.outputs {
                output(channel, 0, self.images, &mut y[channel * plane..]);
            }
        }
    }
}

/// Runs of images per thread that the output transform of a unit spread over the threads is
/// cut into: a few per thread, so that they end together.
const PARALLEL_OUTPUT_TASKS_PER_THREAD: usize = 4;

/// An offset of [`Unit::offsets`] that reads zero (padding) or writes nothing.
const OUTSIDE: usize = usize::MAX;

/// Offsets per tile in [`Unit::offsets`]: 16 inputs, 4 outputs.
const TILE_OFFSETS: usize = POINTS + 4;

/// Tiles the transforms' loops carry at once, one per vector lane (16 floats: one AVX-512
/// register).
const LANES: usize = 16;

/// Where the transforms' loops are in a unit's tiles: image `image`, tile `tile` of its
/// `image_tiles`, each image `image_stride` floats after the one before, the tiles' places
/// given by `offsets` ([`Unit::offsets`]).
struct TileCursor<'a> {
    image: usize,
    tile: usize,
    image_tiles: usize,
    image_stride: usize,
    offsets: &'a [usize],
}

impl<'a> TileCursor<'a> {
    fn new(image_tiles: usize, image_stride: usize, offsets: &'a [usize]) -> Self {
        Self {
            image: 0,
            tile: 0,
            image_tiles,
            image_stride,
            offsets,
        }
    }

    /// The next `count` tiles' `E` values at offsets `first..first + E` of each tile, read from
    /// `src` (zero at [`OUTSIDE`]), one tile per lane.
    #[inline(always)]
    fn gather<const E: usize>(
        &mut self,
        src: &[f32],
        first: usize,
        count: usize,
    ) -> [[f32; LANES]; E] {
        let mut values = [[0f32; LANES]; E];
        for lane in 0..count {
            let src = &src[self.image * self.image_stride..];
            let offsets = &self.offsets[self.tile * TILE_OFFSETS + first..][..E];
            for (value, &offset) in values.iter_mut().zip(offsets) {
                if offset != OUTSIDE {
                    value[lane] = src[offset];
                }
            }
            self.advance();
        }
        values
    }

    /// Writes the next `count` tiles' `E` values (one tile per lane) into `dst` at offsets
    /// `first..first + E` of each tile, skipping [`OUTSIDE`].
    #[inline(always)]
    fn scatter<const E: usize>(
        &mut self,
        dst: &mut [f32],
        first: usize,
        values: &[[f32; LANES]; E],
        count: usize,
    ) {
        for lane in 0..count {
            let dst = &mut dst[self.image * self.image_stride..];
            let offsets = &self.offsets[self.tile * TILE_OFFSETS + first..][..E];
            for (value, &offset) in values.iter().zip(offsets) {
                if offset != OUTSIDE {
                    dst[offset] = value[lane];
                }
            }
            self.advance();
        }
    }

    #[inline(always)]
    fn advance(&mut self) {
        self.tile += 1;
        if self.tile == self.image_tiles {
            (self.image, self.tile) = (self.image + 1, 0);
        }
    }
}

/// `dst[..count] = lanes[..count]`: one vector store when all lanes are full (a short copy
/// loop otherwise, not a call to `memcpy`).
#[inline(always)]
fn store_lanes(dst: &mut [f32], lanes: &[f32; LANES], count: usize) {
    let dst = &mut dst[..count];
    if count == LANES {
        dst.copy_from_slice(lanes);
    } else {
        dst.iter_mut().zip(lanes).for_each(|(d, s)| *d = *s);
    }
}

/// `src[..count]` in lanes, the rest zero: one vector load when all lanes are full.
#[inline(always)]
fn load_lanes(src: &[f32], count: usize) -> [f32; LANES] {
    let mut lanes = [0f32; LANES];
    let src = &src[..count];
    if count == LANES {
        lanes.copy_from_slice(src);
    } else {
        lanes.iter_mut().zip(src).for_each(|(d, s)| *d = *s);
    }
    lanes
}

/// The input transform `V = Bᵀ·d·B` of one input channel over a unit's images, 16 tiles at a
/// time (one per lane, across tile rows and images), for [`descent_kernels::vectorized`]:
/// tile `t` of image `b` reads its inputs at `x[b·image_stride + offset]` (the offsets of
/// [`Unit::offsets`]) and writes point `ξ` to `block[ξ·columns + b·image_tiles + t]`.
struct InputTransform<'a> {
    x: &'a [f32],
    image_stride: usize,
    image_tiles: usize,
    offsets: &'a [usize],
    block: &'a mut [f32],
    columns: usize,
}

impl descent_kernels::VectorLoop for InputTransform<'_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        let mut cursor = TileCursor::new(self.image_tiles, self.image_stride, self.offsets);
        for t0 in (0..self.columns).step_by(LANES) {
            let count = LANES.min(self.columns - t0);
            // d[4r + j][lane]: the tile's input at row r, column j.
            let d: [[f32; LANES]; POINTS] = cursor.gather(self.x, 0, count);
            // Bᵀ·d, down each column j: rows d0 - d2, d1 + d2, d2 - d1, d1 - d3.
            let mut q = [[0f32; LANES]; POINTS];
            for j in 0..4 {
                for lane in 0..LANES {
                    let [d0, d1, d2, d3] = [0, 4, 8, 12].map(|r| d[r + j][lane]);
                    q[j][lane] = d0 - d2;
                    q[4 + j][lane] = d1 + d2;
                    q[8 + j][lane] = d2 - d1;
                    q[12 + j][lane] = d1 - d3;
                }
            }
            // ·B, along each row r: the same combinations of its columns.
            for r in 0..4 {
                let mut out = [[0f32; LANES]; 4];
                for lane in 0..LANES {
                    let [c0, c1, c2, c3] = [0, 1, 2, 3].map(|j| q[4 * r + j][lane]);
                    out[0][lane] = c0 - c2;
                    out[1][lane] = c1 + c2;
                    out[2][lane] = c2 - c1;
                    out[3][lane] = c1 - c3;
                }
                for (c, lanes) in out.iter().enumerate() {
                    let start = (4 * r + c) * self.columns + t0;
                    store_lanes(&mut self.block[start..], lanes, count);
                }
            }
        }
    }
}

/// The output transform `Y = Aᵀ·M·A` of one output channel over `tiles` tiles (whole images'),
/// 16 at a time, for [`descent_kernels::vectorized`]: tile `t` reads point `ξ` at
/// `products[ξ·stride + t]` and writes its 2x2 outputs plus `add` at
/// `y[b·image_stride + offset]` (`b` its image, the offsets of [`Unit::offsets`]).
struct OutputTransform<'a> {
    products: &'a [f32],
    stride: usize,
    tiles: usize,
    image_tiles: usize,
    offsets: &'a [usize],
    add: f32,
    y: &'a mut [f32],
    image_stride: usize,
}

impl descent_kernels::VectorLoop for OutputTransform<'_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        let mut cursor = TileCursor::new(self.image_tiles, self.image_stride, self.offsets);
        for t0 in (0..self.tiles).step_by(LANES) {
            let count = LANES.min(self.tiles - t0);
            // A loop, not `array::from_fn`: its closure may stay a function of its own,
            // compiled once for the build's target, outside `vectorized`'s copies.
            let mut m = [[0f32; LANES]; POINTS];
            for (point, m_point) in m.iter_mut().enumerate() {
                *m_point = load_lanes(&self.products[point * self.stride + t0..], count);
            }
            // Aᵀ·M, down each column j: rows m0 + m1 + m2 and m1 - m2 - m3.
            let mut s = [[[0f32; LANES]; 4]; 2];
            for j in 0..4 {
                for lane in 0..LANES {
                    let [m0, m1, m2, m3] = [0, 4, 8, 12].map(|r| m[r + j][lane]);
                    s[0][j][lane] = m0 + m1 + m2;
                    s[1][j][lane] = m1 - m2 - m3;
                }
            }
            // ·A, along each of the two rows: y[2i + j].
            let mut y = [[0f32; LANES]; 4];
            for (i, s_i) in s.iter().enumerate() {
                for lane in 0..LANES {
                    let [c0, c1, c2, c3] = [0, 1, 2, 3].map(|j| s_i[j][lane]);
                    y[2 * i][lane] = c0 + c1 + c2 + self.add;
                    y[2 * i + 1][lane] = c1 - c2 - c3 + self.add;
                }
            }
            cursor.scatter(self.y, POINTS, &y, count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seeded values in [-1, 1).
    pub(super) fn ramp(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                let h = (i as u32)
                    .wrapping_mul(2_654_435_761)
                    .wrapping_add(seed.wrapping_mul(40_503));
                (h % 2000) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    /// The definition in f64: `y[b,k,r,c] = bias[k] + Σ_{ch,i,j} w[k,ch,i,j]·x[b,ch,r+i-1,c+j-1]`
    /// (zero outside the image), and the input gradient for an output gradient `dy`:
    /// `dx[b,ch,r+i-1,c+j-1] += w[k,ch,i,j]·dy[b,k,r,c]`.
    fn definition(
        x: &[f32],
        [n, c, h, wd]: [usize; 4],
        w: &[f32],
        k: usize,
        bias: &[f32],
        dy: &[f32],
    ) -> (Vec<f32>, Vec<f32>) {
        let mut y = vec![0f64; n * k * h * wd];
        let mut dx = vec![0f64; n * c * h * wd];
        for b in 0..n {
            for o in 0..k {
                for r in 0..h {
                    for col in 0..wd {
                        let yi = ((b * k + o) * h + r) * wd + col;
                        y[yi] = f64::from(bias[o]);
                        for ch in 0..c {
                            for i in 0..3 {
                                for j in 0..3 {
                                    let (iy, ix) =
                                        ((r + i).wrapping_sub(1), (col + j).wrapping_sub(1));
                                    if iy >= h || ix >= wd {
                                        continue;
                                    }
                                    let xi = ((b * c + ch) * h + iy) * wd + ix;
                                    let wv = f64::from(w[((o * c + ch) * 3 + i) * 3 + j]);
                                    y[yi] += wv * f64::from(x[xi]);
                                    dx[xi] += wv * f64::from(dy[yi]);
                                }
                            }
                        }
                    }
                }
            }
        }
        let f = |v: Vec<f64>| v.into_iter().map(|v| v as f32).collect();
        (f(y), f(dx))
    }

    /// `|a - b| <= 1e-5 · (1 + max |b|)`: float32 rounding of sums of a few hundred terms.
    fn close(a: &[f32], b: &[f32], what: &str) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        let scale = 1.0 + b.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (i, (p, q)) in a.iter().zip(b).enumerate() {
            assert!(
                (p - q).abs() <= 1e-5 * scale,
                "{what}: element {i}: {p} vs {q} (scale {scale})"
            );
        }
    }

    /// Forward pass and input gradient against the definition, through each way of cutting
    /// the work: parallel groups of images (even and odd sizes, one row or column), one group
    /// spread over the threads, and bands of tile rows of one image over the budget.
    #[test]
    fn matches_the_definition_on_every_way_of_cutting_the_work() {
        for (shape, k, expect) in [
            ([40, 64, 6, 5], 65, Some(4)),
            ([70, 64, 1, 7], 64, Some(4)),
            ([60, 64, 9, 1], 64, Some(4)),
            ([4, 64, 2, 2], 72, Some(1)),
            ([1, 64, 3, 3], 64, Some(1)),
            ([2, 64, 69, 67], 64, None),
        ] {
            let [n, c, h, w] = shape;
            let s = Shape {
                batch: n,
                inputs: c,
                outputs: k,
                height: h,
                width: w,
                tiles: [h.div_ceil(2), w.div_ceil(2)],
            };
            let groups = s.groups();
            assert_eq!(groups, expect, "{shape:?}: groups");
            if groups.is_none() {
                assert!(s.band_rows() < s.tiles[0], "{shape:?}: several bands");
            }
            let x = ramp(n * c * h * w, 1);
            let weight = ramp(k * c * 9, 2);
            let bias = ramp(k, 3);
            let dy = ramp(n * k * h * w, 4);
            let (y_ref, dx_ref) = definition(&x, shape, &weight, k, &bias, &dy);
            let y = correlate(&x, shape, &Filters::forward(&weight, k, c), Some(&bias));
            close(&y, &y_ref, &format!("forward {shape:?} -> {k}"));
            let filters = Filters::input_grad(&weight, k, c);
            let dx = correlate(&dy, [n, k, h, w], &filters, None);
            close(&dx, &dx_ref, &format!("input gradient {shape:?} -> {k}"));
        }
    }

    /// A single 1 in one channel (at a corner, inside, at the far corner) comes out as exactly
    /// the kernel's taps around it, and nowhere else: the transforms' coefficients (0, ±½, ±1)
    /// cancel the other terms, up to rounding.
    #[test]
    fn a_single_input_reaches_exactly_the_kernels_taps() {
        let (c, k, h, w) = (16, 16, 6, 6);
        let weight = ramp(k * c * 9, 5);
        let filters = Filters::forward(&weight, k, c);
        for (r, col) in [(0, 0), (2, 3), (5, 5)] {
            let mut x = vec![0f32; c * h * w];
            x[(3 * h + r) * w + col] = 1.0;
            let y = correlate(&x, [1, c, h, w], &filters, None);
            for o in 0..k {
                for yr in 0..h {
                    for yc in 0..w {
                        let (i, j) = ((r + 1).wrapping_sub(yr), (col + 1).wrapping_sub(yc));
                        let want = if i < 3 && j < 3 {
                            weight[((o * c + 3) * 3 + i) * 3 + j]
                        } else {
                            0.0
                        };
                        let got = y[(o * h + yr) * w + yc];
                        assert!(
                            (got - want).abs() <= 1e-6,
                            "input ({r}, {col}), output {o} ({yr}, {yc}): {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    /// The path's reach: "same" 3x3 convolutions of at least [`MIN_CHANNELS`] channels only.
    #[test]
    fn applies_to_same_3x3_convolutions_of_enough_channels() {
        use burn::backend::ops::ConvOptions;
        let same = ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
        let g = |x: [usize; 4], w: [usize; 4], o: &ConvOptions<2>| Geometry::new(x, w, o);
        assert!(applies(&g([2, 64, 8, 8], [64, 64, 3, 3], &same)));
        assert!(!applies(&g([2, 32, 8, 8], [64, 32, 3, 3], &same)));
        assert!(!applies(&g([2, 64, 8, 8], [32, 64, 3, 3], &same)));
        assert!(!applies(&g([0, 64, 8, 8], [64, 64, 3, 3], &same)));
        let strided = ConvOptions::new([2, 2], [1, 1], [1, 1], 1);
        assert!(!applies(&g([2, 64, 8, 8], [64, 64, 3, 3], &strided)));
        let valid = ConvOptions::new([1, 1], [0, 0], [1, 1], 1);
        assert!(!applies(&g([2, 64, 8, 8], [64, 64, 3, 3], &valid)));
        let dilated = ConvOptions::new([1, 1], [1, 1], [2, 2], 1);
        assert!(!applies(&g([2, 64, 8, 8], [64, 64, 3, 3], &dilated)));
        let lopsided = ConvOptions::new_with_padding([1, 1], [(2, 0), (1, 1)], [1, 1], 1);
        assert!(!applies(&g([2, 64, 8, 8], [64, 64, 3, 3], &lopsided)));
        assert!(!applies(&g([2, 64, 8, 8], [64, 64, 5, 5], &same)));
    }
}
