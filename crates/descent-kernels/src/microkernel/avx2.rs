//! The AVX2 + FMA tile: 6 rows x 16 columns in 12 `ymm` accumulators (the classic Haswell
//! shape). Partial tiles are computed whole into a local buffer and copied.

use super::{Microkernel, panels_fit, store_partial};
use std::arch::x86_64::*;

/// The AVX2 + FMA kernel.
pub(crate) struct Avx2;

const MR: usize = 6;
const NR: usize = 16;

impl Microkernel for Avx2 {
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
        if mr == MR && nr == NR {
            // SAFETY: a full tile of C is the caller's; panels asserted above.
            unsafe { full(a.as_ptr(), b.as_ptr(), ldb, kc, c, ldc, load_c) }
        } else {
            let mut t = [0f32; MR * NR];
            // SAFETY: t is a whole MR x NR tile with row stride NR.
            unsafe { full(a.as_ptr(), b.as_ptr(), ldb, kc, t.as_mut_ptr(), NR, false) };
            // SAFETY: forwarded from the caller.
            unsafe { store_partial::<NR>(&t, c, ldc, mr, nr, load_c) }
        }
    }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn full(
    a: *const f32,
    b: *const f32,
    ldb: usize,
    kc: usize,
    c: *mut f32,
    ldc: usize,
    load_c: bool,
) {
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    // SAFETY: step p reads inside the panels for p < kc; the tile of C is the caller's.
    unsafe {
        for p in 0..kc {
            let bp = b.add(p * ldb);
            let b0 = _mm256_loadu_ps(bp);
            let b1 = _mm256_loadu_ps(bp.add(8));
            let ap = a.add(p * MR);
            for (r, row) in acc.iter_mut().enumerate() {
                let av = _mm256_broadcast_ss(&*ap.add(r));
                row[0] = _mm256_fmadd_ps(av, b0, row[0]);
                row[1] = _mm256_fmadd_ps(av, b1, row[1]);
            }
        }
        for (r, row) in acc.iter().enumerate() {
            let (lo, hi) = (c.add(r * ldc), c.add(r * ldc + 8));
            let (mut v0, mut v1) = (row[0], row[1]);
            if load_c {
                v0 = _mm256_add_ps(v0, _mm256_loadu_ps(lo));
                v1 = _mm256_add_ps(v1, _mm256_loadu_ps(hi));
            }
            _mm256_storeu_ps(lo, v0);
            _mm256_storeu_ps(hi, v1);
        }
    }
}
