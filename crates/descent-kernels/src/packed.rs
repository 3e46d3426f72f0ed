//! A left operand packed once and used by many products: the weights of a convolution, which
//! multiply one tile of patches after another.
//!
//! [`sgemm`](crate::sgemm) packs the blocks of A it needs on every call. When the same A
//! meets many B (a layer's weight and the tiles of a batch), that copy is repeated per call
//! and, for wide layers, costs a fifth of the product. [`PackedA`] holds every block of A in
//! the panel layout of one kernel family; [`sgemm_packed`](crate::sgemm_packed) and
//! [`sgemm_packed_serial`](crate::sgemm_packed_serial) read it as it is.
//!
//! Layout: the steps of `k` in blocks of [`KC`] (the last one shorter); within a block of width
//! `kc`, all rows in panels of `MR`, each panel `kc` steps of `MR` values (rows past `m` zero).
//! The block starting at step `p0` begins at `p0 · m_pad` (every block before it is `KC`
//! wide) and the panel of row `r` (a multiple of `MR`) at `r · kc` inside it, so the product
//! finds any block of rows and steps without an index.

use crate::microkernel::Microkernel;
use crate::microkernel::portable::Portable;
#[cfg(target_arch = "x86_64")]
use crate::microkernel::{avx2::Avx2, avx512::Avx512};
use crate::pack::{KC, aligned_start};
use crate::{Isa, KernelError, MatRef};
use rayon::prelude::*;

/// Floats packed in parallel, one block of `k` per task, from this size on (below it, the
/// pool costs more than the copy).
const PARALLEL_MIN_FLOATS: usize = 1 << 18;

/// A matrix `A` (`m x k`) packed for the kernels of one instruction set.
#[derive(Clone)]
pub struct PackedA {
    isa: Isa,
    rows: usize,
    cols: usize,
    /// Rows rounded up to the kernel's `MR`.
    rows_padded: usize,
    /// The panels, from `skip` on (so that they start on a cache line).
    buf: Vec<f32>,
    skip: usize,
}

impl std::fmt::Debug for PackedA {
    /// The shape and the instruction set, not the (often megabytes of) panels.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackedA")
            .field("isa", &self.isa)
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .finish_non_exhaustive()
    }
}

/// Rows of a tile of the kernels of `isa`.
pub(crate) fn tile_rows(isa: Isa) -> usize {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => Avx512::MR,
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => Avx2::MR,
        _ => Portable::MR,
    }
}

impl PackedA {
    /// `a` packed for the fastest kernels this CPU runs ([`Isa::best`]).
    pub fn new(a: MatRef<'_>) -> Self {
        Self::pack(Isa::best(), a)
    }

    /// `a` packed for the kernels of `isa` (for tests and benchmarks), refused when this CPU
    /// cannot run them.
    pub fn new_on(isa: Isa, a: MatRef<'_>) -> Result<Self, KernelError> {
        if !isa.available() {
            return Err(KernelError::IsaUnavailable(isa));
        }
        Ok(Self::pack(isa, a))
    }

    fn pack(isa: Isa, a: MatRef<'_>) -> Self {
        let (m, k, mr) = (a.rows, a.cols, tile_rows(isa));
        let rows_padded = m.div_ceil(mr) * mr;
        let len = rows_padded * k;
        let mut buf = Vec::new();
        let skip = aligned_start(&mut buf, len);
        let panels = &mut buf[skip..skip + len];
        let block = |(b, dst): (usize, &mut [f32])| {
            let p0 = b * KC;
            crate::pack::pack_a(&a, mr, 0, m, p0, KC.min(k - p0), dst);
        };
        if len >= PARALLEL_MIN_FLOATS {
            panels
                .par_chunks_mut(rows_padded * KC)
                .enumerate()
                .for_each(block);
        } else if len > 0 {
            panels
                .chunks_mut(rows_padded * KC)
                .enumerate()
                .for_each(block);
        }
        Self {
            isa,
            rows: m,
            cols: k,
            rows_padded,
            buf,
            skip,
        }
    }

    /// Rows of `A` (`m`).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns of `A` (`k`).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The instruction set whose kernels the panels are laid out for.
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// The panels of rows `row..` (a multiple of `MR`) in the block of steps starting at `p0`
    /// (a multiple of [`KC`]), whose width is `kc`.
    pub(crate) fn panels(&self, p0: usize, row: usize, kc: usize) -> &[f32] {
        debug_assert!(p0.is_multiple_of(KC) && kc == KC.min(self.cols - p0));
        let block = &self.buf[self.skip + p0 * self.rows_padded..][..self.rows_padded * kc];
        &block[row * kc..]
    }
}
