//! The AVX-512 tile: 12 rows x 32 columns in 24 `zmm` accumulators. Per step of `k` it loads
//! two vectors of B, broadcasts twelve values of A and issues 24 fused multiply-adds, enough
//! independent chains to keep both FMA pipes of a core busy. Edges in `n` use masked loads and
//! stores, edges in `m` skip rows, so every tile goes straight to `C`.

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
        unsafe { tile(a.as_ptr(), b.as_ptr(), ldb, kc, c, ldc, mr, nr, load_c) }
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

#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn tile(
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
    let mut acc = [[_mm512_setzero_ps(); 2]; MR];
    // SAFETY: step p reads a[p·MR .. p·MR + MR] and b[p·ldb .. p·ldb + NR], inside the panels
    // for p < kc.
    unsafe {
        for p in 0..kc {
            let bp = b.add(p * ldb);
            let b0 = _mm512_loadu_ps(bp);
            let b1 = _mm512_loadu_ps(bp.add(16));
            let ap = a.add(p * MR);
            for (r, row) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_ps(*ap.add(r));
                row[0] = _mm512_fmadd_ps(av, b0, row[0]);
                row[1] = _mm512_fmadd_ps(av, b1, row[1]);
            }
        }
    }
    let (m0, m1) = (mask(nr), mask(nr.saturating_sub(16)));
    for (r, row) in acc.iter().enumerate() {
        if r >= mr {
            break;
        }
        let (lo, hi) = (c.wrapping_add(r * ldc), c.wrapping_add(r * ldc + 16));
        // SAFETY: the masks cover columns < nr only, which the caller owns; masked-off lanes
        // are neither read nor written (AVX-512 suppresses their faults).
        unsafe {
            let (mut v0, mut v1) = (row[0], row[1]);
            if load_c {
                v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, lo));
                v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, hi));
            }
            _mm512_mask_storeu_ps(lo, m0, v0);
            _mm512_mask_storeu_ps(hi, m1, v1);
        }
    }
}
