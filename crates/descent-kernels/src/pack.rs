//! Packing: copying a block of an operand into the panel layout a microkernel streams.
//!
//! A block of A (rows `i0..i0+mb`, steps `p0..p0+kc`) becomes panels of `MR` rows (`mr` here), each
//! `kc` steps of `MR` contiguous values; a block of B (steps `p0..p0+kc`, columns
//! `j0..j0+nb`) becomes panels of `NR` columns, each `kc` steps of `NR` contiguous values.
//! Rows and columns past the edge of the matrix are zero. Strides are read as they are, so a
//! transposed operand costs no extra copy; contiguous rows or columns take a fast path.

use crate::MatRef;

/// Steps of `k` per packed block: the depth of the packed blocks of A and B.
pub const KC: usize = 256;

/// Cache line size: packed panels start on a line, so no vector load of a panel straddles two.
const ALIGN_BYTES: usize = 64;

/// Grows `buf` to hold `len` elements from a cache line on, and returns where that line starts.
pub(crate) fn aligned_start(buf: &mut Vec<f32>, len: usize) -> usize {
    let slack = ALIGN_BYTES / std::mem::size_of::<f32>();
    if buf.len() < len + slack {
        buf.resize(len + slack, 0.0);
    }
    let misalign = buf.as_ptr() as usize % ALIGN_BYTES;
    (ALIGN_BYTES - misalign) % ALIGN_BYTES / std::mem::size_of::<f32>()
}

/// The rows `i0..i0 + mb` and steps `p0..p0 + kc` of `a`, as `ceil(mb / mr)` panels of `mr`
/// rows in `dst`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn pack_a(
    a: &MatRef<'_>,
    mr: usize,
    i0: usize,
    mb: usize,
    p0: usize,
    kc: usize,
    dst: &mut [f32],
) {
    let fill = |(q, panel): (usize, &mut [f32])| {
        let first = i0 + q * mr;
        let rows = mr.min(i0 + mb - first);
        let (rs, cs) = (a.row_stride, a.col_stride);
        if rows < mr {
            panel.fill(0.0);
        }
        if cs == 1 {
            let src = &a.data[first * rs + p0..];
            crate::transpose::rows_to_panel(src, rs, rows, kc, mr, panel);
        } else if rs == 1 {
            for p in 0..kc {
                let src = &a.data[(p0 + p) * cs + first..][..rows];
                copy_row(&mut panel[p * mr..p * mr + rows], src);
            }
        } else {
            for p in 0..kc {
                for r in 0..rows {
                    panel[p * mr + r] = a.data[(first + r) * rs + (p0 + p) * cs];
                }
            }
        }
    };
    let dst = &mut dst[..mb.div_ceil(mr) * mr * kc];
    dst.chunks_mut(mr * kc).enumerate().for_each(fill);
}

/// The steps `p0..p0 + kc` and columns `j0..j0 + nb` of `b`, as `ceil(nb / nr)` panels in
/// `dst`: the panels of B's columns are those of the rows of Bᵀ, so this is [`pack_a`] on the
/// transposed view (`panel[p·nr + j] = B[p0 + p, j0 + j] = Bᵀ[j0 + j, p0 + p]`).
pub(crate) fn pack_b(
    b: &MatRef<'_>,
    nr: usize,
    p0: usize,
    kc: usize,
    j0: usize,
    nb: usize,
    dst: &mut [f32],
) {
    pack_a(&b.t(), nr, j0, nb, p0, kc, dst);
}

/// `dst.copy_from_slice(src)`, as a fixed-size copy the compiler inlines for the panel widths
/// of the kernels: a `memcpy` call per 4-32 values costs about as much as the copy itself.
#[inline(always)]
fn copy_row(dst: &mut [f32], src: &[f32]) {
    #[inline(always)]
    fn fixed<const N: usize>(dst: &mut [f32], src: &[f32]) -> bool {
        match (dst.first_chunk_mut::<N>(), src.first_chunk::<N>()) {
            (Some(d), Some(s)) => {
                *d = *s;
                true
            }
            _ => false,
        }
    }
    let done = dst.len() == src.len()
        && match dst.len() {
            32 => fixed::<32>(dst, src),
            16 => fixed::<16>(dst, src),
            12 => fixed::<12>(dst, src),
            6 => fixed::<6>(dst, src),
            4 => fixed::<4>(dst, src),
            _ => false,
        };
    if !done {
        dst.copy_from_slice(src);
    }
}
