//! A tile's matrices: its patch matrix (im2col), its patch gradients added back onto the
//! images (col2im), and its output gradient as one matrix; with the copies' fast paths for
//! "same" convolutions (masked shifted spans, [`PlaneShifts`]) and for narrow outputs (a
//! zero-bordered plane and index maps, [`padded_offsets`]).

use super::geometry::Geometry;
use super::grow;
use crate::cpu::gemm::view;

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
pub(super) fn im2col(
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
pub(super) fn col2im(dcols: &[f32], g: &Geometry, n: usize, tile: &Band, dx: &mut [f32]) {
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
pub(super) struct Band {
    pub(super) rows: (usize, usize),
    /// For geometries that [`Geometry::shifts_plane`].
    shifts: Option<PlaneShifts>,
}

impl Band {
    /// Every band of `g`, in order.
    pub(super) fn all(g: &Geometry) -> Vec<Band> {
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
pub(super) fn dy_view<'a>(
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

#[cfg(test)]
mod tests {
    use super::super::tests::{check_against_definition, values};
    use super::super::{conv2d, conv2d_input_grad, conv2d_weight_grad};
    use super::*;
    use crate::cpu::flex_data::tensor;
    use burn::backend::ops::ConvOptions;

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
}
