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
//! `P = C·kh·kw` is a patch's length and `cols` the tile's patch matrix (im2col). A tile's
//! patch matrix stays under [`TILE_BUDGET_BYTES`], within a core's L2 and L3 share, so it is
//! written, multiplied and read back without a trip to memory, in a buffer each thread reuses
//! from call to call; a tile has enough images to give its products at least [`TILE_MIN_COLUMNS`]
//! columns. With one image per tile, `Y` and `dY` are the image's own `[K, L]` planes and the
//! products read and write them in place; with several, they are gathered and scattered. `W`
//! and `Wᵀ` are packed into the kernel's panel layout once per call
//! ([`descent_kernels::PackedA`]), not once per tile: on a full-width VGG-11 that copy, repeated
//! per tile, took about a fifth of the step.
//!
//! Threads: with at least [`PARALLEL_MIN_TILE_GROUPS`] groups of images, the groups run in
//! parallel, each product on one thread; with one group, each product is threaded. (With two
//! groups run in turn, the patch copies ran on one core while the other waited: the 2x2
//! layers of a VGG-11 took 5 ms forward + backward instead of 3.5.) The batch is cut into an
//! even number of groups (a multiple of 4 from 4 on) of equal size, give or take one image, so
//! that parallel groups end together on 2 or 4 cores. The weight gradient of a long patch is
//! split by blocks of input channels, each task adding every tile's product into its block of
//! columns ([`weight_grad_by_channels`]); a short one sums the tiles in at most
//! [`WEIGHT_GRAD_PARTS`] partial sums (fewer for large weights, see
//! [`WEIGHT_GRAD_PARTS_FLOATS`]), added in order. These choices depend on the shapes only, so
//! results are the same bit for bit whatever the thread count.

use crate::cpu::flex_data::{contiguous, dims, f32_slice, tensor, zeros};
use crate::cpu::gemm::{Threading, packed, product, product_packed, view, view_mut};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::ConvOptions;
use rayon::prelude::*;
use std::cell::RefCell;
use std::sync::{Mutex, PoisonError};

mod winograd;

/// Upper bound on one tile's patch matrix (`P` x columns floats), in bytes. Measured best on
/// full-width VGG-11 layers: on a 1 MiB-L2 Zen 5, 512 KB tiles were 10-27% slower on the 8x8
/// and 4x4 layers, 1 MB the same or slower, 8 MB slower on the 4x4 and 2x2 layers.
pub(crate) const TILE_BUDGET_BYTES: usize = 2 << 20;
/// Columns (output positions) a tile of small images should reach: its products' width.
pub(crate) const TILE_MIN_COLUMNS: usize = 256;
/// Image groups from which the groups, not the products, run in parallel.
pub(crate) const PARALLEL_MIN_TILE_GROUPS: usize = 2;
/// Largest number of partial sums of the weight gradient (one per range of groups).
pub(crate) const WEIGHT_GRAD_PARTS: usize = 8;
/// Floats all partial sums of one weight gradient may take together (16 MB), down to two
/// parts: each part is a whole gradient to zero, fill and add, and on a full-width VGG-11
/// eight parts of a 512x4608 gradient cost more in memory traffic than their parallelism gave.
pub(crate) const WEIGHT_GRAD_PARTS_FLOATS: usize = 1 << 22;

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

    /// Floats of one input image: `C·H·W`.
    fn image(&self) -> usize {
        self.channels_in * self.height * self.width
    }

    /// How many groups of images the batch is cut into: groups of enough images for
    /// [`TILE_MIN_COLUMNS`] columns, within the budget, at least one image each; their count
    /// then rounded up to an even number, and from 4 on to a multiple of 4 (within the batch),
    /// so that 2 or 4 threads share them evenly. A full-width VGG-11's 2x2 layers made 5
    /// groups of 26 images, 3 groups on one core and 2 on the other; they now make 8 of 16
    /// images, whose 64 columns also fill whole panels of the matrix product.
    fn groups(&self) -> usize {
        let per_image = self.patch() * self.positions() * std::mem::size_of::<f32>();
        let fit = TILE_BUDGET_BYTES / per_image.max(1);
        let wanted = TILE_MIN_COLUMNS.div_ceil(self.positions().max(1));
        let batch = self.batch.max(1);
        balanced_groups(batch, wanted.min(fit).clamp(1, batch))
    }

    /// The images `(first, end)` of group `index` of `groups`: sizes differ by one at most,
    /// and none is larger than [`Geometry::groups`] planned.
    fn group(&self, index: usize, groups: usize) -> (usize, usize) {
        (
            index * self.batch / groups,
            (index + 1) * self.batch / groups,
        )
    }

    /// The bands of output rows `(first, end)` a group's tiles cover: all rows at once, unless
    /// one image's patch matrix is over the budget (and the group then holds one image).
    fn bands(&self) -> Vec<(usize, usize)> {
        let per_row = self.patch() * self.out[1] * std::mem::size_of::<f32>();
        let rows = (TILE_BUDGET_BYTES / per_row.max(1)).clamp(1, self.out[0].max(1));
        (0..self.out[0])
            .step_by(rows)
            .map(|first| (first, (first + rows).min(self.out[0])))
            .collect()
    }

    /// Who spreads the products over threads (see the module docs).
    fn threading(&self) -> Threading {
        if self.groups() >= PARALLEL_MIN_TILE_GROUPS {
            Threading::Caller
        } else {
            Threading::Product
        }
    }

    /// Whether each row `(c, i, j)` of the patch matrix is its input plane shifted by a
    /// constant (the columns that read padding aside): stride 1 both ways and output rows as
    /// wide as the input's, so consecutive output positions read consecutive input values,
    /// across output rows too.
    fn shifts_plane(&self) -> bool {
        self.stride == [1, 1] && self.out[1] == self.width
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

/// How many groups of at most `size` images a batch of `batch` is cut into: as many as that
/// takes, rounded up to an even number, and from 4 on to a multiple of 4 (within the batch),
/// so that 2 or 4 threads share them evenly.
fn balanced_groups(batch: usize, size: usize) -> usize {
    let groups = batch.div_ceil(size.max(1));
    let multiple = match groups {
        1 => 1,
        2..4 => 2,
        _ => 4,
    };
    groups.next_multiple_of(multiple).min(batch)
}

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

/// Output rows narrower than this go through a zero-bordered copy of each input plane and
/// per-offset index maps into it ([`padded_offsets`]) instead of row by row: one copy call per
/// 2-4 values costs more than the values. Measured: better at 2 and 4 columns, worse at 8
/// (`benches/kernels.rs`, `layers`). Geometries that [`Geometry::shifts_plane`] (a VGG's
/// "same" convolutions, at every width) take the masked spans of [`PlaneShifts`] instead.
const NARROW_OUTPUT_COLUMNS: usize = 8;

/// Rows and columns of the zero-bordered plane of the narrow paths: the input plane at rows
/// `pad[0]..`, columns `pad[1]..`, inside a border wide enough for every read of the geometry
/// (so that no index needs a padding test).
fn padded_dims(g: &Geometry) -> (usize, usize) {
    let reach = |a: usize| {
        (g.out[a].max(1) - 1) * g.stride[a] + (g.kernel[a].max(1) - 1) * g.dilation[a] + 1
    };
    (
        reach(0).max(g.height + g.pad[0]),
        reach(1).max(g.width + g.pad[1]),
    )
}

/// What the narrow paths work with: the index maps of [`padded_offsets`] for output rows
/// `rows`, a zeroed bordered plane (see [`padded_dims`]) and that plane's row length.
fn bordered_plane(g: &Geometry, rows: (usize, usize)) -> (Vec<usize>, Vec<f32>, usize) {
    let (hp, wp) = padded_dims(g);
    (padded_offsets(g, rows, wp), vec![0f32; hp * wp], wp)
}

/// For each kernel offset `(i, j)` in row-major order, the index inside the zero-bordered
/// plane (`padded_cols` wide, see [`padded_dims`]) that each output position of rows
/// `rows.0..rows.1` reads.
fn padded_offsets(g: &Geometry, rows: (usize, usize), padded_cols: usize) -> Vec<usize> {
    let [kh, kw] = g.kernel;
    let mut maps = Vec::with_capacity(kh * kw * (rows.1 - rows.0) * g.out[1]);
    for i in 0..kh {
        for j in 0..kw {
            for oy in rows.0..rows.1 {
                for ox in 0..g.out[1] {
                    let py = oy * g.stride[0] + i * g.dilation[0];
                    let px = ox * g.stride[1] + j * g.dilation[1];
                    maps.push(py * padded_cols + px);
                }
            }
        }
    }
    maps
}

/// Patch matrix `[P, n·band]` of the `n` images `x` (`[n, C, H, W]`) over the output rows
/// of `tile`: row `(c, i, j)`, column `(image, oy, ox)`, zero where the patch reads
/// padding; or, for input channels `channels.0..channels.1`, the rows of those channels only.
/// Writes every element of `cols`.
fn im2col(
    x: &[f32],
    g: &Geometry,
    n: usize,
    tile: &Band,
    (c0, c1): (usize, usize),
    cols: &mut [f32],
) {
    let (shifts, rows) = (tile.shifts.as_ref(), tile.rows);
    let wo = g.out[1];
    let band = (rows.1 - rows.0) * wo;
    let plane = g.height * g.width;
    let [kh, kw] = g.kernel;
    if band == 0 {
        return;
    }
    if let Some(shifts) = shifts {
        descent_kernels::vectorized(ShiftedPatches {
            x,
            cols,
            channels: g.channels_in,
            first_channel: c0,
            plane,
            columns: n * band,
            band,
            shifts,
        });
        return;
    }
    if wo < NARROW_OUTPUT_COLUMNS {
        // The border stays zero; the interior is rewritten for every plane.
        let (maps, mut padded, wp) = bordered_plane(g, rows);
        for c in c0..c1 {
            for b in 0..n {
                let src = &x[(b * g.channels_in + c) * plane..][..plane];
                for (y, line) in src.chunks_exact(g.width.max(1)).enumerate() {
                    padded[(y + g.pad[0]) * wp + g.pad[1]..][..line.len()].copy_from_slice(line);
                }
                for (offset, map) in maps.chunks_exact(band).enumerate() {
                    let row = (c - c0) * kh * kw + offset;
                    let dst = &mut cols[(row * n + b) * band..][..band];
                    if g.stride[1] == 1 {
                        // Each output row reads `wo` neighbours: one short copy, not `wo`
                        // indexed reads.
                        let starts = map.iter().step_by(wo);
                        for (d, &at) in dst.chunks_exact_mut(wo).zip(starts) {
                            short_run(d, &padded[at..at + wo], |d, v| *d = v);
                        }
                        continue;
                    }
                    for (d, &at) in dst.iter_mut().zip(map) {
                        *d = padded[at];
                    }
                }
            }
        }
        return;
    }
    // The valid output ranges of every kernel offset, once per call (not per row and image).
    let (valid_y, valid_x) = valid_ranges(g);
    for (row, out) in cols.chunks_exact_mut(n * band).enumerate() {
        let c = c0 + row / (kh * kw);
        let (i, j) = ((row / kw) % kh, row % kw);
        let ((vy0, vy1), (vx0, vx1)) = (valid_y[i], valid_x[j]);
        for b in 0..n {
            let src = &x[(b * g.channels_in + c) * plane..][..plane];
            let dst = &mut out[b * band..][..band];
            for (oy, d) in (rows.0..rows.1).zip(dst.chunks_exact_mut(wo)) {
                if oy < vy0 || oy >= vy1 {
                    d.fill(0.0);
                    continue;
                }
                let iy = oy * g.stride[0] + i * g.dilation[0] - g.pad[0];
                let line = &src[iy * g.width..][..g.width];
                d[..vx0].fill(0.0);
                d[vx1..].fill(0.0);
                if g.stride[1] == 1 {
                    let ix0 = vx0 + j * g.dilation[1] - g.pad[1];
                    d[vx0..vx1].copy_from_slice(&line[ix0..ix0 + (vx1 - vx0)]);
                } else {
                    for (ox, v) in d.iter_mut().enumerate().take(vx1).skip(vx0) {
                        *v = line[ox * g.stride[1] + j * g.dilation[1] - g.pad[1]];
                    }
                }
            }
        }
    }
}

/// `op(d, v)` over the pairs of two runs of equal length, unrolled at the narrow widths
/// (2 and 4) so that a run is a few vector moves instead of a loop or a `memcpy` call.
/// (The same for col2im's adds measured slower than its indexed adds, so it keeps those.)
#[inline(always)]
fn short_run(dst: &mut [f32], src: &[f32], op: impl Fn(&mut f32, f32)) {
    #[inline(always)]
    fn fixed<const N: usize>(dst: &mut [f32], src: &[f32], op: &impl Fn(&mut f32, f32)) -> bool {
        match (dst.first_chunk_mut::<N>(), src.first_chunk::<N>()) {
            (Some(d), Some(s)) => {
                for (d, &v) in d.iter_mut().zip(s) {
                    op(d, v);
                }
                true
            }
            _ => false,
        }
    }
    let done = dst.len() == src.len()
        && match dst.len() {
            4 => fixed::<4>(dst, src, &op),
            2 => fixed::<2>(dst, src, &op),
            _ => false,
        };
    if !done {
        for (d, &v) in dst.iter_mut().zip(src) {
            op(d, v);
        }
    }
}

/// Half-open ranges of output indices, one per kernel offset along one axis.
type ValidRanges = Vec<(usize, usize)>;

/// [`Geometry::valid`] of every kernel offset along each axis: `(rows by i, columns by j)`.
fn valid_ranges(g: &Geometry) -> (ValidRanges, ValidRanges) {
    (
        (0..g.kernel[0]).map(|i| g.valid(0, i)).collect(),
        (0..g.kernel[1]).map(|j| g.valid(1, j)).collect(),
    )
}

/// Adds the patch-gradient matrix `dcols` (`[P, n·band]`, the output rows of `tile`) back
/// onto the `n` images `dx` (`[n, C, H, W]`) it was read from.
fn col2im(dcols: &[f32], g: &Geometry, n: usize, tile: &Band, dx: &mut [f32]) {
    let (shifts, rows) = (tile.shifts.as_ref(), tile.rows);
    let wo = g.out[1];
    let band = (rows.1 - rows.0) * wo;
    let plane = g.height * g.width;
    let [kh, kw] = g.kernel;
    if band == 0 {
        return;
    }
    if let Some(shifts) = shifts {
        descent_kernels::vectorized(ShiftedPatchGradients {
            dcols,
            dx,
            channels: g.channels_in,
            plane,
            columns: n * band,
            band,
            shifts,
        });
        return;
    }
    if wo < NARROW_OUTPUT_COLUMNS {
        // Each plane's patch gradients summed into a zero-bordered plane, in the order of
        // the kernel offsets as below, then its interior added onto `dx`.
        let (maps, mut padded, wp) = bordered_plane(g, rows);
        for (index, out) in dx.chunks_exact_mut(plane).enumerate() {
            let (b, c) = (index / g.channels_in, index % g.channels_in);
            padded.fill(0.0);
            for (offset, map) in maps.chunks_exact(band).enumerate() {
                let row = c * kh * kw + offset;
                let src = &dcols[(row * n + b) * band..][..band];
                for (&v, &at) in src.iter().zip(map) {
                    padded[at] += v;
                }
            }
            for (y, line) in out.chunks_exact_mut(g.width.max(1)).enumerate() {
                let inside = &padded[(y + g.pad[0]) * wp + g.pad[1]..][..line.len()];
                for (d, p) in line.iter_mut().zip(inside) {
                    *d += p;
                }
            }
        }
        return;
    }
    let (valid_y, valid_x) = valid_ranges(g);
    for (index, out) in dx.chunks_exact_mut(plane).enumerate() {
        let (b, c) = (index / g.channels_in, index % g.channels_in);
        for (i, &(vy0, vy1)) in valid_y.iter().enumerate() {
            let (y0, y1) = (vy0.max(rows.0), vy1.min(rows.1));
            for (j, &(vx0, vx1)) in valid_x.iter().enumerate() {
                let row = (c * kh + i) * kw + j;
                let src = &dcols[row * n * band + b * band..][..band];
                for oy in y0..y1 {
                    let iy = oy * g.stride[0] + i * g.dilation[0] - g.pad[0];
                    let line = &mut out[iy * g.width..][..g.width];
                    let s = &src[(oy - rows.0) * wo..][..wo];
                    if g.stride[1] == 1 {
                        let ix0 = vx0 + j * g.dilation[1] - g.pad[1];
                        let len = vx1 - vx0;
                        for (d, v) in line[ix0..ix0 + len].iter_mut().zip(&s[vx0..vx1]) {
                            *d += v;
                        }
                    } else {
                        for (ox, v) in s.iter().enumerate().take(vx1).skip(vx0) {
                            line[ox * g.stride[1] + j * g.dilation[1] - g.pad[1]] += v;
                        }
                    }
                }
            }
        }
    }
}

/// Where one row `(c, i, j)` of a "same" convolution's patch matrix (band positions
/// `first..end`, the first of them on output row `y0`) meets its plane of `plane_len` values:
/// `(first band position, first plane index, length)`, or `None` when they do not meet.
/// Output `(oy, ox)` reads plane index `(oy·s + i·d - pad)·W + ox + j·d - pad_x`, and `W = Wo`:
/// a constant offset from the band position. Positions that would fall before or past the
/// plane read padding and are left out.
fn shifted_span(
    g: &Geometry,
    (i, j): (usize, usize),
    y0: usize,
    (first, end): (usize, usize),
    plane_len: usize,
) -> Option<(usize, usize, usize)> {
    let row_start = (y0 * g.stride[0] + i * g.dilation[0] - g.pad[0]) * g.width;
    let start = row_start as isize + (j * g.dilation[1]) as isize - g.pad[1] as isize;
    let skip = (-start).max(0) as usize;
    let count = (end - first).min((plane_len as isize - start).max(0) as usize);
    (skip < count).then(|| (first + skip, (start + skip as isize) as usize, count - skip))
}

/// A band of output rows a tile covers ([`Geometry::bands`]), with what its patch copies
/// need that depends on the geometry only, computed once per pass instead of once per tile.
struct Band {
    rows: (usize, usize),
    /// For geometries that [`Geometry::shifts_plane`].
    shifts: Option<PlaneShifts>,
}

impl Band {
    /// Every band of `g`, in order.
    fn all(g: &Geometry) -> Vec<Band> {
        let shifts = g.shifts_plane();
        g.bands()
            .into_iter()
            .map(|rows| Band {
                rows,
                shifts: shifts.then(|| PlaneShifts::new(g, rows)),
            })
            .collect()
    }
}

/// How the patch rows of a geometry that [`Geometry::shifts_plane`] meet their planes, for the
/// output rows of one band: per kernel offset `(i, j)` (row-major), its span
/// ([`shifted_span`]); per kernel column `j`, a mask over the band's positions, all ones where
/// the position reads inside the image's columns, zero where it reads padding (a span runs
/// across output rows, so its values at those positions belong to a neighbouring row).
struct PlaneShifts {
    spans: Vec<Option<(usize, usize, usize)>>,
    masks: Vec<u32>,
    kernel_cols: usize,
}

impl PlaneShifts {
    fn new(g: &Geometry, rows: (usize, usize)) -> Self {
        let (valid_y, valid_x) = valid_ranges(g);
        let (wo, plane) = (g.out[1], g.height * g.width);
        let band = (rows.1 - rows.0) * wo;
        let mut spans = Vec::with_capacity(valid_y.len() * valid_x.len());
        for (i, &(vy0, vy1)) in valid_y.iter().enumerate() {
            let (y0, y1) = (vy0.max(rows.0), vy1.min(rows.1));
            for (j, &(vx0, vx1)) in valid_x.iter().enumerate() {
                let span = || {
                    let positions = ((y0 - rows.0) * wo, (y1 - rows.0) * wo);
                    shifted_span(g, (i, j), y0, positions, plane)
                };
                spans.push((y0 < y1 && vx0 < vx1).then(span).flatten());
            }
        }
        let masks = valid_x
            .iter()
            .flat_map(|&(vx0, vx1)| {
                (0..band).map(move |p| {
                    if (vx0..vx1).contains(&(p % wo)) {
                        !0
                    } else {
                        0
                    }
                })
            })
            .collect();
        Self {
            spans,
            masks,
            kernel_cols: valid_x.len(),
        }
    }

    /// The span of kernel offset `offset` and the mask of its positions, or `None`.
    #[inline(always)]
    fn of(&self, offset: usize, band: usize) -> Option<(usize, usize, &[u32])> {
        let (at, from, len) = self.spans[offset]?;
        let column = offset % self.kernel_cols;
        Some((at, from, &self.masks[column * band + at..][..len]))
    }
}

/// `value`, or +0 where `mask` is zero: a bitwise select, so whatever the skipped value holds
/// (NaN too) the result is an exact zero.
#[inline(always)]
fn masked(value: f32, mask: u32) -> f32 {
    f32::from_bits(value.to_bits() & mask)
}

/// [`im2col`] of a geometry that [`Geometry::shifts_plane`], as one loop over the patch rows
/// for [`descent_kernels::vectorized`]: each row of each image is its plane's span, masked
/// ([`PlaneShifts`]), and zero around it. One masked copy per row replaces a copy plus two
/// short fills per output row, which cost more than the copy on the 4- and 2-wide planes of a
/// VGG on 32x32 images.
struct ShiftedPatches<'a> {
    x: &'a [f32],
    cols: &'a mut [f32],
    /// Channels of an image of `x`.
    channels: usize,
    /// The channel of the first row of `cols`.
    first_channel: usize,
    plane: usize,
    /// Columns of `cols`: `n·band`.
    columns: usize,
    band: usize,
    shifts: &'a PlaneShifts,
}

impl descent_kernels::VectorLoop for ShiftedPatches<'_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        let Self {
            x,
            cols,
            channels,
            first_channel,
            plane,
            columns,
            band,
            shifts,
        } = self;
        let offsets = shifts.spans.len();
        for (row, out) in cols.chunks_exact_mut(columns.max(1)).enumerate() {
            let (c, offset) = (first_channel + row / offsets, row % offsets);
            let Some((at, from, mask)) = shifts.of(offset, band) else {
                out.fill(0.0);
                continue;
            };
            for (b, dst) in out.chunks_exact_mut(band).enumerate() {
                let src = &x[(b * channels + c) * plane + from..][..mask.len()];
                let (head, rest) = dst.split_at_mut(at);
                let (span, tail) = rest.split_at_mut(mask.len());
                head.fill(0.0);
                tail.fill(0.0);
                for ((d, &v), &m) in span.iter_mut().zip(src).zip(mask) {
                    *d = masked(v, m);
                }
            }
        }
    }
}

/// [`col2im`] of a geometry that [`Geometry::shifts_plane`], for
/// [`descent_kernels::vectorized`]: each plane of `dx` gets the masked span of each of its
/// patch-gradient rows, kernel offsets in row-major order (an added zero leaves a value's bits
/// as they were: a sum that starts at +0 is never -0).
struct ShiftedPatchGradients<'a> {
    dcols: &'a [f32],
    dx: &'a mut [f32],
    channels: usize,
    plane: usize,
    /// Columns of the patch-gradient matrix: `n·band`.
    columns: usize,
    band: usize,
    shifts: &'a PlaneShifts,
}

impl descent_kernels::VectorLoop for ShiftedPatchGradients<'_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        let Self {
            dcols,
            dx,
            channels,
            plane,
            columns,
            band,
            shifts,
        } = self;
        let offsets = shifts.spans.len();
        for (index, out) in dx.chunks_exact_mut(plane).enumerate() {
            let (b, c) = (index / channels, index % channels);
            for offset in 0..offsets {
                let Some((at, to, mask)) = shifts.of(offset, band) else {
                    continue;
                };
                let row = c * offsets + offset;
                let src = &dcols[row * columns + b * band + at..][..mask.len()];
                let dst = &mut out[to..][..mask.len()];
                for ((d, &v), &m) in dst.iter_mut().zip(src).zip(mask) {
                    *d += masked(v, m);
                }
            }
        }
    }
}

/// The output gradient `dy` of `n` images (`[n, K, L]`) as one `[K, n·L]` matrix.
fn gather(dy: &[f32], k: usize, l: usize, n: usize, out: &mut [f32]) {
    for (ch, row) in out.chunks_exact_mut(n * l).enumerate() {
        for (b, dst) in row.chunks_exact_mut(l).enumerate() {
            dst.copy_from_slice(&dy[(b * k + ch) * l..][..l]);
        }
    }
}

/// The output gradient of the tile (images `dy` `[n, K, L]`, output rows `rows`) as a
/// `[K, columns]` view: in place for one image, else gathered into `buf`.
fn dy_view<'a>(
    dy: &'a [f32],
    g: &Geometry,
    n: usize,
    rows: (usize, usize),
    buf: &'a mut Vec<f32>,
) -> descent_kernels::MatRef<'a> {
    let (k, l, wo) = (g.channels_out, g.positions(), g.out[1]);
    let columns = n * (rows.1 - rows.0) * wo;
    if n == 1 {
        view(&dy[rows.0 * wo..], k, columns, l, 1)
    } else {
        let gathered = grow(buf, k * columns);
        gather(dy, k, l, n, gathered);
        view(gathered, k, columns, columns, 1)
    }
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
/// pass of its own over the whole output gradient: on a width-1/4 VGG-11 that pass, reading
/// every layer's output gradient from memory once more, took 1.5% of a training step.
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
/// Burn's default (`conv2d_bias_backward`) swaps the batch and channel axes first, a
/// transposing copy of the whole gradient that took ~8% of a width-1/4 VGG-11 step.
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

    /// Runs the three passes and checks them against the definition in f64.
    fn check_against_definition(xs: [usize; 4], ws: [usize; 4], opt: &ConvOptions<2>) {
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

    #[test]
    fn tiles_cover_the_batch_and_the_image() {
        // The number of images in each group, in order.
        let sizes = |g: &Geometry| -> Vec<usize> {
            let groups = g.groups();
            (0..groups)
                .map(|i| g.group(i, groups))
                .map(|(first, end)| end - first)
                .collect()
        };
        let same = ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
        // One image's patch matrix (576 x 1600 floats) is over the budget: bands of rows. One
        // image, one group: the products are threaded.
        let g = Geometry::new([1, 64, 40, 40], [3, 64, 3, 3], &same);
        assert_eq!(sizes(&g), [1]);
        assert_eq!(g.bands(), vec![(0, 22), (22, 40)]);
        assert_eq!(g.threading(), Threading::Product);
        check_against_definition([1, 64, 40, 40], [3, 64, 3, 3], &same);
        // Two such images: two groups, in parallel.
        let g = Geometry::new([2, 64, 40, 40], [3, 64, 3, 3], &same);
        assert_eq!((sizes(&g), g.threading()), (vec![1, 1], Threading::Caller));
        check_against_definition([2, 64, 40, 40], [3, 64, 3, 3], &same);
        // 8x8 outputs: 4 images wanted a group, 18 images would be 5 groups; a multiple of 4
        // instead, 8 groups of 2 or 3, in parallel.
        let g = Geometry::new([18, 3, 8, 8], [5, 3, 3, 3], &same);
        assert_eq!(sizes(&g), [2, 2, 2, 3, 2, 2, 2, 3]);
        assert_eq!(g.bands(), vec![(0, 8)]);
        assert_eq!(g.threading(), Threading::Caller);
        check_against_definition([18, 3, 8, 8], [5, 3, 3, 3], &same);
        // Strided, 2x2 outputs: 64 images wanted a group, so 70 images make 2 groups of 35
        // images each, in parallel.
        let strided = ConvOptions::new([2, 2], [0, 0], [1, 1], 1);
        let g = Geometry::new([70, 2, 5, 5], [3, 2, 3, 3], &strided);
        assert_eq!((sizes(&g), g.out), (vec![35, 35], [2, 2]));
        assert_eq!(g.threading(), Threading::Caller);
        check_against_definition([70, 2, 5, 5], [3, 2, 3, 3], &strided);
        // 8x8 outputs, 4 images wanted a group: 9 images would be 4 + 4 + 1, an even count
        // instead, 4 groups of 2 or 3.
        let g = Geometry::new([9, 3, 8, 8], [5, 3, 3, 3], &same);
        assert_eq!(sizes(&g), [2, 2, 2, 3]);
        check_against_definition([9, 3, 8, 8], [5, 3, 3, 3], &same);
        // 3 images of one group each stay 3 groups (no empty group).
        let g = Geometry::new([3, 64, 40, 40], [3, 64, 3, 3], &same);
        assert_eq!(sizes(&g), [1, 1, 1]);
        check_against_definition([3, 64, 40, 40], [3, 64, 3, 3], &same);
        // One image per group, many groups, in parallel with the weight gradient in 8 parts.
        let g = Geometry::new([20, 2, 16, 16], [4, 2, 3, 3], &same);
        assert_eq!(sizes(&g), [1; 20]);
        assert_eq!(g.threading(), Threading::Caller);
        check_against_definition([20, 2, 16, 16], [4, 2, 3, 3], &same);
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
    fn every_copy_path_matches_the_definition() {
        // "Same" convolutions (stride 1, output as wide as the input) take masked shifted
        // spans at every width (10, 4, 2). Others with output rows of 8 and more go row by
        // row: stride 1 without padding (row copies), stride 2 (element by element).
        // Narrower rows go through the offset maps, with padding and without.
        let cases = [
            ([2, 3, 10, 10], ConvOptions::new([1, 1], [1, 1], [1, 1], 1)),
            ([2, 3, 12, 11], ConvOptions::new([1, 1], [0, 0], [1, 1], 1)),
            ([2, 3, 20, 21], ConvOptions::new([2, 2], [1, 1], [1, 1], 1)),
            ([3, 3, 4, 4], ConvOptions::new([1, 1], [1, 1], [1, 1], 1)),
            ([3, 3, 6, 6], ConvOptions::new([1, 1], [0, 0], [1, 1], 1)),
            ([3, 3, 2, 2], ConvOptions::new([1, 1], [1, 1], [1, 1], 1)),
            // Narrow with stride 2 and padding, and with dilation 2 (reads past the image on
            // both sides), rows and columns of different lengths.
            ([2, 3, 7, 6], ConvOptions::new([2, 2], [1, 1], [1, 1], 1)),
            ([2, 3, 5, 4], ConvOptions::new([1, 1], [2, 2], [2, 2], 1)),
            // As wide as the input but stride 2 down the rows: output rows are not
            // consecutive input rows, so no row is one shifted copy of the plane.
            ([2, 3, 10, 10], ConvOptions::new([2, 1], [1, 1], [1, 1], 1)),
            ([2, 3, 9, 4], ConvOptions::new([2, 1], [1, 1], [1, 1], 1)),
        ];
        for (xs, opt) in cases {
            let wo = Geometry::new(xs, [4, 3, 3, 3], &opt).out[1];
            assert_eq!(
                wo < NARROW_OUTPUT_COLUMNS,
                xs[3] < 8,
                "{xs:?}: wrong path {wo}"
            );
            check_against_definition(xs, [4, 3, 3, 3], &opt);
        }
    }

    #[test]
    fn padding_reads_stay_zero_next_to_non_finite_values() {
        // A shifted span runs across output rows: at padding columns it holds the
        // neighbouring row's edge. Masked, those must count as zero, NaN and infinity
        // included, so nothing crosses from the last column of a row to the first column
        // of the next. Checked on the three passes of a 3x3 "same" convolution.
        let same = ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
        let w = tensor(vec![1.0; 9], [1, 1, 3, 3]);
        for width in [10, 4, 3] {
            let xs = [1, 1, 3, width];
            // Non-finite values in the last column of rows 0 and 1.
            let edged = || {
                let mut v = vec![1.0f32; 3 * width];
                v[width - 1] = f32::NAN;
                v[2 * width - 1] = f32::INFINITY;
                tensor(v, xs)
            };
            // Output column 0 reads input columns 0 and 1 only.
            let y = values(conv2d(edged(), w.clone(), None, &same));
            let first: Vec<f32> = (0..3).map(|row| y[row * width]).collect();
            assert!(first.iter().all(|v| v.is_finite()), "{width}: {first:?}");
            // Kernel column 0 reads input columns 0..width-1 (output columns 1.. shifted).
            let ones = tensor(vec![1.0; 3 * width], xs);
            let dw = values(conv2d_weight_grad(edged(), [1, 1, 3, 3], ones, &same));
            let column0: Vec<f32> = (0..3).map(|i| dw[i * 3]).collect();
            assert!(
                column0.iter().all(|v| v.is_finite()),
                "{width}: {column0:?}"
            );
            // Input column 0 gets the gradients of output columns 0 and 1 only.
            let dx = values(conv2d_input_grad(xs, w.clone(), edged(), &same));
            let first: Vec<f32> = (0..3).map(|row| dx[row * width]).collect();
            assert!(first.iter().all(|v| v.is_finite()), "{width}: {first:?}");
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
