//! The AVX-512 tile: 12 rows x 32 columns in 24 `zmm` accumulators. Per step of `k` it loads
//! two vectors of B, broadcasts twelve values of A and issues 24 fused multiply-adds, enough
//! independent chains to keep both FMA pipes of a core busy. Edges in `n` use masked loads and
//! stores, edges in `m` skip rows, so every tile goes straight to `C`. A tile of at most 16
//! columns (the last panel of a product whose width is 16 past a multiple of 32) runs on one
//! vector of B and 12 accumulators: half the multiply-adds of a full tile, all of them useful.

use super::{Microkernel, panels_fit};
use std::arch::x86_64::*;

/// The AVX-512F kernel.
pub(crate) struct Avx512;

const MR: usize = 12;
const NR: usize = 32;

impl Microkernel for Avx512 {
    const MR: usize = MR;
    const NR: usize = NR;

    unsafe fn tile(
        a: &[f32],
        b: &[f32],
        ldb: usize,
        kc: usize,
        c: *mut f32,
        ldc: usize,
        mr: usize,
        nr: usize,
        load_c: bool,
    ) {
        assert!(panels_fit::<MR, NR>(a, b, ldb, kc) && mr <= MR && nr <= NR);
        // SAFETY: the panels hold kc steps (asserted); the CPU and the tile of C are the
        // caller's guarantees.
        unsafe {
            if nr <= 16 {
                tile::<1>(a.as_ptr(), b.as_ptr(), ldb, kc, c, ldc, mr, nr, load_c);
            } else {
                tile::<2>(a.as_ptr(), b.as_ptr(), ldb, kc, c, ldc, mr, nr, load_c);
            }
        }
    }
}

/// Bits `0..n` set, `n <= 16`.
fn mask(n: usize) -> __mmask16 {
    if n >= 16 {
        0xFFFF
    } else {
        ((1u32 << n) - 1) as __mmask16
    }
}

/// The tile on `V` vectors of B a step (`V·16` columns, `V <= 2`).
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<const V: usize>(
    a: *const f32,
    b: *const f32,
    ldb: usize,
    kc: usize,
    c: *mut f32,
    ldc: usize,
    mr: usize,
    nr: usize,
    load_c: bool,
) {
    let mut acc = [[_mm512_setzero_ps(); V]; MR];
    // SAFETY: step p reads a[p·MR .. p·MR + MR] and b[p·ldb .. p·ldb + 16·V], inside the
    // panels for p < kc (16·V <= NR).
    unsafe {
        for p in 0..kc {
            let bp = b.add(p * ldb);
            let bv: [__m512; V] = std::array::from_fn(|v| _mm512_loadu_ps(bp.add(16 * v)));
            let ap = a.add(p * MR);
            for (r, row) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_ps(*ap.add(r));
                for (sum, &bv) in row.iter_mut().zip(&bv) {
                    *sum = _mm512_fmadd_ps(av, bv, *sum);
                }
            }
        }
    }
    let masks: [__mmask16; V] = std::array::from_fn(|v| mask(nr.saturating_sub(16 * v)));
    for (r, row) in acc.iter().enumerate() {
        if r >= mr {
            break;
        }
        for (v, (&sum, &m)) in row.iter().zip(&masks).enumerate() {
            let at = c.wrapping_add(r * ldc + 16 * v);
            // SAFETY: the masks cover columns < nr only, which the caller owns; masked-off
            // lanes are neither read nor written (AVX-512 suppresses their faults).
            unsafe {
                let sum = if load_c {
                    _mm512_add_ps(sum, _mm512_maskz_loadu_ps(m, at))
                } else {
                    sum
                };
                _mm512_mask_storeu_ps(at, m, sum);
            }
        }
    }
}
