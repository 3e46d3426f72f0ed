//! The weight gradient of a "same" 3x3 convolution of many channels (see
//! [`super::applies_to_weight_grad`]) through Winograd's F(2x2, 3x3): the
//! gradient of the forward pass's formula `Y = Aᵀ·[Σ_c (G·g·Gᵀ) ⊙ (Bᵀ·d·B)]·A` with respect
//! to the kernel `g`, which is the convolution's own weight gradient (the formula computes the
//! convolution exactly, for any kernel):
//!
//! - `V = Bᵀ·d·B` per input channel and tile, as in the forward pass;
//! - `Z = A·dY·Aᵀ` per output channel and tile (its 2x2 block of the output gradient, zero past
//!   an odd edge);
//! - `dU_ξ[K, C] = Σ_tiles Z_ξ[K, t] · V_ξ[C, t]`: 16 products of `[K, C]`, summed over every
//!   tile of the batch;
//! - `dg = Gᵀ·dU·G` per kernel: one product of the 16 x 9 `G ⊗ G` by `dU`.
//!
//! The products hold `16` multiply-adds per tile and kernel against im2col's `36`. They sum
//! over the tiles of units larger than the forward pass's ([`UNIT_BUDGET_BYTES`]): each unit
//! adds into the whole of `dU` (16 matrices of `[K, C]`), so its tiles must be many enough to
//! outweigh that traffic. A unit's transforms run in parallel over channels, its 16 products in
//! parallel over the points, each point's `dU_ξ` summing the units in order: the result does
//! not depend on the thread count.

use super::{
    InputTransform, LANES, POINTS, Shape, TileCursor, Unit, filter_transform, store_lanes,
};
use crate::cpu::conv::{grow, with_scratch};
use crate::cpu::gemm::{Threading, product, view, view_mut};
use rayon::prelude::*;

/// Upper bound on one unit's transformed inputs and output gradients (`16·(C + K)` floats a
/// tile), in bytes. A unit's products read and write all of `dU` (`16·K·C` floats) once and
/// do `16·K·C` multiply-adds per tile: with 8 MB, a full-width VGG-11's 512-channel layers
/// get 128 tiles per unit.
const UNIT_BUDGET_BYTES: usize = 8 << 20;

/// The weight gradient `[K, C, 3, 3]` of the "same" 3x3 convolution of `x`
/// (`[N, C, H, W]`) whose output gradient is `dy` (`[N, K, H, W]`), and when `with_bias`,
/// each output channel's sum of `dy` in f64 (`[K]`; empty without).
pub(in crate::cpu::conv) fn weight_and_bias_grad(
    x: &[f32],
    dy: &[f32],
    [batch, inputs, height, width]: [usize; 4],
    outputs: usize,
    with_bias: bool,
) -> (Vec<f32>, Vec<f64>) {
    let s = Shape {
        batch,
        inputs,
        outputs,
        height,
        width,
        tiles: [height.div_ceil(2), width.div_ceil(2)],
    };
    let (k, c, plane) = (outputs, inputs, s.plane());
    let mut sums = vec![0f64; if with_bias { k } else { 0 }];
    let mut dw = vec![0f32; k * c * 9];
    if k * c == 0 {
        return (dw, sums);
    }
    with_scratch(|v, z, du| {
        let du = grow(du, POINTS * k * c);
        let mut first = true;
        for (images, rows) in units(&s) {
            let unit = Unit::new(&s, images.1 - images.0, rows);
            let x = &x[images.0 * c * plane..images.1 * c * plane];
            let dy = &dy[images.0 * k * plane..images.1 * k * plane];
            let unit_sums = add_unit(&unit, x, dy, du, first, with_bias, v, z);
            sums.iter_mut().zip(unit_sums).for_each(|(s, u)| *s += u);
            first = false;
        }
        // dg[kc][3i + j] = Σ_ξ dU_ξ[kc] · (G ⊗ G)[ξ][3i + j].
        let t = filter_transform();
        product(
            view(du, k * c, POINTS, 1, k * c),
            view(&t, POINTS, 9, 9, 1),
            view_mut(&mut dw, k * c, 9, 9),
            false,
            Threading::Product,
        );
    });
    (dw, sums)
}

/// The units the batch is cut into, in order: `(first, end)` images and the tile rows of
/// each: groups of whole images within [`UNIT_BUDGET_BYTES`], or one image's bands of tile
/// rows when an image alone is over it.
fn units(s: &Shape) -> Vec<((usize, usize), (usize, usize))> {
    let per_row = s.bytes_per_tile() * s.tiles[1];
    let per_image = per_row * s.tiles[0];
    let fit = UNIT_BUDGET_BYTES / per_image.max(1);
    if fit >= 1 {
        (0..s.batch)
            .step_by(fit)
            .map(|first| ((first, (first + fit).min(s.batch)), (0, s.tiles[0])))
            .collect()
    } else {
        let rows = (UNIT_BUDGET_BYTES / per_row.max(1)).clamp(1, s.tiles[0]);
        (0..s.batch)
            .flat_map(|b| {
                (0..s.tiles[0])
                    .step_by(rows)
                    .map(move |r| ((b, b + 1), (r, (r + rows).min(s.tiles[0]))))
            })
            .collect()
    }
}

/// Adds one unit's products into `du` (`[16][K][C]`; overwrites it when `first`), from its
/// images' inputs `x` and output gradients `dy`, and returns the unit's sums of `dy` per
/// output channel (over its rows; empty without `with_bias`). `v` and `z` are scratch.
#[allow(clippy::too_many_arguments)]
fn add_unit(
    unit: &Unit<'_>,
    x: &[f32],
    dy: &[f32],
    du: &mut [f32],
    first: bool,
    with_bias: bool,
    v: &mut Vec<f32>,
    z: &mut Vec<f32>,
) -> Vec<f64> {
    let s = unit.s;
    let (k, c, plane) = (s.outputs, s.inputs, s.plane());
    let (columns, image_tiles) = (unit.columns(), unit.image_tiles());
    let offsets = unit.offsets();
    // Transformed inputs [C][16][tiles] and output gradients [K][16][tiles].
    let v = grow(v, c * POINTS * columns);
    v.par_chunks_exact_mut(POINTS * columns)
        .enumerate()
        .for_each(|(channel, block)| {
            descent_kernels::vectorized(InputTransform {
                x: &x[channel * plane..],
                image_stride: c * plane,
                image_tiles,
                offsets: &offsets,
                block,
                columns,
            });
        });
    let z = grow(z, k * POINTS * columns);
    let (row_start, row_end) = (2 * unit.rows.0 * s.width, (2 * unit.rows.1).min(s.height));
    let row_end = row_end * s.width;
    let sums: Vec<f64> = z
        .par_chunks_exact_mut(POINTS * columns)
        .enumerate()
        .map(|(channel, block)| {
            descent_kernels::vectorized(GradientTransform {
                dy: &dy[channel * plane..],
                image_stride: k * plane,
                image_tiles,
                offsets: &offsets,
                block,
                columns,
            });
            if !with_bias {
                return 0.0;
            }
            (0..unit.images)
                .map(|b| {
                    let plane = &dy[(b * k + channel) * plane..][..plane];
                    crate::cpu::norm::sum(&plane[row_start..row_end])
                })
                .sum()
        })
        .collect();
    // dU_ξ[K, C] (+)= Z_ξ[K, tiles] · V_ξ[C, tiles]ᵀ.
    let (v, z): (&[f32], &[f32]) = (v, z);
    du.par_chunks_exact_mut(k * c)
        .enumerate()
        .for_each(|(point, du_point)| {
            let z_point = view(&z[point * columns..], k, columns, POINTS * columns, 1);
            let v_point = view(&v[point * columns..], c, columns, POINTS * columns, 1);
            product(
                z_point,
                v_point.t(),
                view_mut(du_point, k, c, c),
                !first,
                Threading::Caller,
            );
        });
    if with_bias { sums } else { Vec::new() }
}

/// The output-gradient transform `Z = A·dY·Aᵀ` of one output channel over a unit's images, 16
/// tiles at a time, for [`descent_kernels::vectorized`]: tile `t` of image `b` reads its 2x2
/// block at `dy[b·image_stride + offset]` (the output offsets of [`Unit::offsets`], zero past
/// an edge) and writes point `ξ` to `block[ξ·columns + b·image_tiles + t]`.
struct GradientTransform<'a> {
    dy: &'a [f32],
    image_stride: usize,
    image_tiles: usize,
    offsets: &'a [usize],
    block: &'a mut [f32],
    columns: usize,
}

impl descent_kernels::VectorLoop for GradientTransform<'_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        let mut cursor = TileCursor::new(self.image_tiles, self.image_stride, self.offsets);
        for t0 in (0..self.columns).step_by(LANES) {
            let count = LANES.min(self.columns - t0);
            // g[2i + j][lane]: the tile's output gradient at row i, column j.
            let g: [[f32; LANES]; 4] = cursor.gather(self.dy, POINTS, count);
            // A·dY, down each column j: rows g0, g0 + g1, g0 - g1, -g1.
            let mut r = [[[0f32; LANES]; 2]; 4];
            for j in 0..2 {
                for lane in 0..LANES {
                    let (g0, g1) = (g[j][lane], g[2 + j][lane]);
                    r[0][j][lane] = g0;
                    r[1][j][lane] = g0 + g1;
                    r[2][j][lane] = g0 - g1;
                    r[3][j][lane] = -g1;
                }
            }
            // ·Aᵀ, along each row a: the same combinations of its two columns.
            for (a, r_a) in r.iter().enumerate() {
                let mut out = [[0f32; LANES]; 4];
                for lane in 0..LANES {
                    let (c0, c1) = (r_a[0][lane], r_a[1][lane]);
                    out[0][lane] = c0;
                    out[1][lane] = c0 + c1;
                    out[2][lane] = c0 - c1;
                    out[3][lane] = -c1;
                }
                for (b, lanes) in out.iter().enumerate() {
                    let start = (4 * a + b) * self.columns + t0;
                    store_lanes(&mut self.block[start..], lanes, count);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::ramp;
    use super::*;

    /// The definition in f64: `dw[k,c,i,j] = Σ_{b,r,col} dy[b,k,r,col]·x[b,c,r+i-1,col+j-1]`
    /// (zero outside the image) and `db[k] = Σ dy[b,k,·,·]`.
    fn definition(
        x: &[f32],
        dy: &[f32],
        [n, c, h, w]: [usize; 4],
        k: usize,
    ) -> (Vec<f32>, Vec<f64>) {
        let mut dw = vec![0f64; k * c * 9];
        let mut db = vec![0f64; k];
        for b in 0..n {
            for o in 0..k {
                for r in 0..h {
                    for col in 0..w {
                        let g = f64::from(dy[((b * k + o) * h + r) * w + col]);
                        db[o] += g;
                        for ch in 0..c {
                            for i in 0..3 {
                                for j in 0..3 {
                                    let (y, xx) =
                                        ((r + i).wrapping_sub(1), (col + j).wrapping_sub(1));
                                    if y < h && xx < w {
                                        let v = f64::from(x[((b * c + ch) * h + y) * w + xx]);
                                        dw[((o * c + ch) * 3 + i) * 3 + j] += g * v;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        (dw.into_iter().map(|v| v as f32).collect(), db)
    }

    /// Against the definition: one unit, several units of whole images (the last shorter),
    /// bands of tile rows of images over the budget (odd sizes, a last band of one tile row),
    /// with and without the bias sums.
    #[test]
    fn matches_the_definition_on_every_way_of_cutting_the_batch() {
        for (shape, k, units_expected) in [
            ([3, 64, 5, 7], 64, 1),
            ([40, 64, 16, 16], 64, 3),
            ([2, 64, 66, 63], 64, 4),
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
            assert_eq!(units(&s).len(), units_expected, "{shape:?}: units");
            let x = ramp(n * c * h * w, 1);
            let dy = ramp(n * k * h * w, 2);
            let (dw_ref, db_ref) = definition(&x, &dy, shape, k);
            let scale = 1.0 + dw_ref.iter().fold(0f32, |m, v| m.max(v.abs()));
            for with_bias in [true, false] {
                let (dw, db) = weight_and_bias_grad(&x, &dy, shape, k, with_bias);
                for (i, (a, b)) in dw.iter().zip(&dw_ref).enumerate() {
                    assert!(
                        (a - b).abs() <= 1e-5 * scale,
                        "{shape:?}: dw[{i}] {a} vs {b} (scale {scale})"
                    );
                }
                if with_bias {
                    // f32 lanes summed in f64: within n·h·w roundings of terms below 1.
                    let tolerance = 1e-7 * (n * h * w) as f64;
                    for (o, (a, b)) in db.iter().zip(&db_ref).enumerate() {
                        assert!((a - b).abs() <= tolerance, "{shape:?}: db[{o}] {a} vs {b}");
                    }
                } else {
                    assert!(db.is_empty());
                }
            }
        }
    }
}
