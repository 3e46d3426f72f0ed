//! The portable tile: 4 rows x 16 columns in plain Rust, which the compiler vectorizes for
//! whatever the build targets. The fallback for CPUs without AVX2.

use super::{Microkernel, panels_fit, store_partial};

/// The portable kernel.
pub(crate) struct Portable;

const MR: usize = 4;
const NR: usize = 16;

impl Microkernel for Portable {
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
        let mut acc = [[0f32; NR]; MR];
        for (p, ap) in a.chunks_exact(MR).take(kc).enumerate() {
            let bp = &b[p * ldb..p * ldb + NR];
            for (row, &av) in acc.iter_mut().zip(ap) {
                for (v, &bv) in row.iter_mut().zip(bp) {
                    *v += av * bv;
                }
            }
        }
        // SAFETY: forwarded from the caller.
        unsafe { store_partial::<NR>(acc.as_flattened(), c, ldc, mr, nr, load_c) }
    }
}
