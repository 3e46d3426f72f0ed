//! Microkernels: one register-blocked tile `C[0..mr, 0..nr] (+)= Ã · B̃` over a packed panel
//! `Ã` (`kc` steps of `MR` values of A) and a panel `B̃` (`kc` steps of `NR` contiguous values
//! of B, `ldb` apart: `NR` when packed, B's own row stride when read in place).

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
pub(crate) mod portable;

/// A tile kernel of a fixed shape.
pub(crate) trait Microkernel {
    /// Rows of a tile (values of A per step of a packed A panel).
    const MR: usize;
    /// Columns of a tile (values of B per step of a packed B panel).
    const NR: usize;

    /// `C[r][j] = (load_c ? C[r][j] : 0) + Σ_p a[p·MR + r] · b[p·ldb + j]` for `r < mr`,
    /// `j < nr`, where `C[r][j]` is `*c.add(r·ldc + j)`. Nothing outside that tile is read or
    /// written. `kc >= 1`.
    ///
    /// # Safety
    ///
    /// - the CPU runs the kernel's instruction set ([`crate::Isa::available`]);
    /// - `a.len() >= kc·MR`, `b.len() >= (kc-1)·ldb + NR`, `mr <= MR`, `nr <= NR` (checked);
    /// - for every `r < mr`, `c.add(r·ldc)..c.add(r·ldc + nr)` is valid for reads and writes
    ///   and nobody else accesses it during the call.
    #[allow(clippy::too_many_arguments)]
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
    );
}

/// Writes a finished `MR x NR` tile `t` (row-major) into the valid `mr x nr` part of `C`,
/// adding to what is there with `load_c`: the edge path of kernels that only do full tiles.
///
/// # Safety
///
/// As [`Microkernel::tile`] for `c`, `ldc`, `mr` and `nr`.
pub(crate) unsafe fn store_partial<const NR: usize>(
    t: &[f32],
    c: *mut f32,
    ldc: usize,
    mr: usize,
    nr: usize,
    load_c: bool,
) {
    for r in 0..mr {
        let src = &t[r * NR..r * NR + nr];
        // SAFETY: the caller guarantees row r of the tile, nr values from c + r·ldc, is ours.
        let dst = unsafe { std::slice::from_raw_parts_mut(c.add(r * ldc), nr) };
        if load_c {
            for (d, s) in dst.iter_mut().zip(src) {
                *d += s;
            }
        } else {
            dst.copy_from_slice(src);
        }
    }
}

/// Whether panels `a` and `b` hold `kc >= 1` steps of a kernel with tiles `MR x NR`.
pub(crate) fn panels_fit<const MR: usize, const NR: usize>(
    a: &[f32],
    b: &[f32],
    ldb: usize,
    kc: usize,
) -> bool {
    kc >= 1 && a.len() >= kc * MR && ldb >= NR && b.len() >= (kc - 1) * ldb + NR
}
