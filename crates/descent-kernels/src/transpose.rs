//! The transposing copy of packing: rows stored contiguously become a panel that holds, step
//! after step, one value of each row (`dst[p·mr + r] = row r, step p`).
//!
//! That is the copy of A stored row by row (an MLP's input, an output gradient) and of B stored
//! column by column (a patch matrix in a convolution's weight gradient, `Wᵀ` in an input
//! gradient). One value at a time it costs a load and a scattered store per value; with AVX,
//! blocks of 8 rows x 8 steps (and 4 x 8) are transposed in registers and stored a step at a
//! time, 8 (or 4) values per store.

/// `dst[p·mr + r] = src[r·rs + p]` for `r < rows`, `p < kc`; other entries of `dst` are left
/// as they are.
///
/// Panics when `src` or `dst` is too short, or `rows > mr`.
pub(crate) fn rows_to_panel(
    src: &[f32],
    rs: usize,
    rows: usize,
    kc: usize,
    mr: usize,
    dst: &mut [f32],
) {
    if rows == 0 || kc == 0 {
        return;
    }
    assert!(rows <= mr && dst.len() >= kc * mr && src.len() >= (rows - 1) * rs + kc);
    let mut done_rows = 0;
    #[cfg(target_arch = "x86_64")]
    if kc >= 8 && std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: AVX is available and kc >= 8 (both checked just above); the bounds on
        // `src`, `dst` and `rows` were asserted above.
        done_rows = unsafe { avx::transpose(src, rs, rows, kc, mr, dst) };
    }
    // What the blocks left: whole rows past the last block of 4, and (inside `avx`) the steps
    // past the last multiple of 8.
    for r in done_rows..rows {
        let row = &src[r * rs..][..kc];
        for (d, v) in dst[r..].iter_mut().step_by(mr).zip(row) {
            *d = *v;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx {
    use std::arch::x86_64::*;

    /// Transposes rows `0..done` (the returned count, a multiple of 4) of the copy described
    /// in [`super::rows_to_panel`], all `kc` steps of them.
    ///
    /// # Safety
    ///
    /// AVX is available; `rows <= mr`, `kc >= 8`, `dst.len() >= kc·mr` and
    /// `src.len() >= (rows − 1)·rs + kc`.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn transpose(
        src: &[f32],
        rs: usize,
        rows: usize,
        kc: usize,
        mr: usize,
        dst: &mut [f32],
    ) -> usize {
        let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
        let steps = kc / 8 * 8;
        let mut r = 0;
        while r + 8 <= rows {
            let mut p = 0;
            while p < steps {
                // SAFETY: rows r..r+8 <= rows and steps p..p+8 <= kc are inside `src`, and
                // entries (p+i)·mr + r + 0..8 (r + 8 <= rows <= mr) inside `dst`.
                unsafe { block8(s.add(r * rs + p), rs, d.add(p * mr + r), mr) };
                p += 8;
            }
            r += 8;
        }
        if r + 4 <= rows {
            let mut p = 0;
            while p < steps {
                // SAFETY: as above, for rows r..r+4.
                unsafe { block4(s.add(r * rs + p), rs, d.add(p * mr + r), mr) };
                p += 8;
            }
            r += 4;
        }
        // Steps past the last multiple of 8, for the rows the blocks did.
        for row in 0..r {
            for p in steps..kc {
                dst[p * mr + row] = src[row * rs + p];
            }
        }
        r
    }

    /// Four rows of 8 steps (`r0..r3`) rearranged so that lane pair `(q, q + 4)` of output
    /// `q` holds steps `q` and `q + 4` of the four rows, in row order (the 4x4 transposes of
    /// both 128-bit halves).
    ///
    /// # Safety
    ///
    /// AVX.
    #[inline]
    #[target_feature(enable = "avx")]
    unsafe fn quad(r0: __m256, r1: __m256, r2: __m256, r3: __m256) -> [__m256; 4] {
        let t0 = _mm256_unpacklo_ps(r0, r1);
        let t1 = _mm256_unpackhi_ps(r0, r1);
        let t2 = _mm256_unpacklo_ps(r2, r3);
        let t3 = _mm256_unpackhi_ps(r2, r3);
        [
            _mm256_shuffle_ps::<0x44>(t0, t2),
            _mm256_shuffle_ps::<0xEE>(t0, t2),
            _mm256_shuffle_ps::<0x44>(t1, t3),
            _mm256_shuffle_ps::<0xEE>(t1, t3),
        ]
    }

    /// Four rows of 8 steps from `s`, `rs` apart.
    ///
    /// # Safety
    ///
    /// AVX; `s + j·rs + 0..8` readable for `j < 4`.
    #[inline]
    #[target_feature(enable = "avx")]
    unsafe fn load4(s: *const f32, rs: usize) -> [__m256; 4] {
        // SAFETY: the caller guarantees the four rows of 8 values.
        unsafe {
            [
                _mm256_loadu_ps(s),
                _mm256_loadu_ps(s.add(rs)),
                _mm256_loadu_ps(s.add(2 * rs)),
                _mm256_loadu_ps(s.add(3 * rs)),
            ]
        }
    }

    /// 8 rows x 8 steps: `d[i·ld + j] = s[j·rs + i]`.
    ///
    /// # Safety
    ///
    /// AVX; `s + j·rs + 0..8` readable for `j < 8`, `d + i·ld + 0..8` writable for `i < 8`.
    #[inline]
    #[target_feature(enable = "avx")]
    unsafe fn block8(s: *const f32, rs: usize, d: *mut f32, ld: usize) {
        // SAFETY: the loads and stores stay inside what the caller guarantees.
        unsafe {
            let [a0, a1, a2, a3] = load4(s, rs);
            let [b0, b1, b2, b3] = load4(s.add(4 * rs), rs);
            let (lo, hi) = (quad(a0, a1, a2, a3), quad(b0, b1, b2, b3));
            // Step q: rows 0-3 from the low half of lo[q], rows 4-7 from that of hi[q]; step
            // q + 4 from the high halves.
            for (q, (lo, hi)) in lo.into_iter().zip(hi).enumerate() {
                _mm256_storeu_ps(d.add(q * ld), _mm256_permute2f128_ps::<0x20>(lo, hi));
                _mm256_storeu_ps(d.add((q + 4) * ld), _mm256_permute2f128_ps::<0x31>(lo, hi));
            }
        }
    }

    /// 4 rows x 8 steps: `d[i·ld + j] = s[j·rs + i]` for `j < 4`.
    ///
    /// # Safety
    ///
    /// AVX; `s + j·rs + 0..8` readable for `j < 4`, `d + i·ld + 0..4` writable for `i < 8`.
    #[inline]
    #[target_feature(enable = "avx")]
    unsafe fn block4(s: *const f32, rs: usize, d: *mut f32, ld: usize) {
        // SAFETY: the loads and stores stay inside what the caller guarantees.
        unsafe {
            let [r0, r1, r2, r3] = load4(s, rs);
            let u = quad(r0, r1, r2, r3);
            for (q, u) in u.into_iter().enumerate() {
                _mm_storeu_ps(d.add(q * ld), _mm256_castps256_ps128(u));
                _mm_storeu_ps(d.add((q + 4) * ld), _mm256_extractf128_ps::<1>(u));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every combination of whole and partial blocks of rows and steps, against the definition.
    #[test]
    fn matches_the_definition_on_block_edges() {
        for mr in [4, 6, 12, 16, 32] {
            for rows in [1, 3, 4, 5, 8, 11, 12, 13, 31, 32]
                .into_iter()
                .filter(|&r| r <= mr)
            {
                for kc in [1, 7, 8, 9, 16, 23] {
                    let rs = kc + 3;
                    let src: Vec<f32> = (0..rows * rs).map(|v| v as f32).collect();
                    let mut dst = vec![-1.0f32; kc * mr];
                    rows_to_panel(&src, rs, rows, kc, mr, &mut dst);
                    for p in 0..kc {
                        for r in 0..mr {
                            let want = if r < rows { src[r * rs + p] } else { -1.0 };
                            assert_eq!(dst[p * mr + r], want, "mr {mr} rows {rows} kc {kc}");
                        }
                    }
                }
            }
        }
    }
}
