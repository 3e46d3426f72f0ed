//! The blocked, threaded matrix product `C (+)= A · B` (Goto / BLIS structure).
//!
//! On one thread ([`block`]), loops outermost first: steps of `k` in blocks of [`KC`]; columns
//! of `C` in blocks of [`NB`], whose packed B (`KC x NB`, 1 MiB) stays in a core's L2; rows in
//! blocks of [`MB`], whose packed A (`MB x KC`) is streamed past it; then `MR x NR` tiles, one
//! microkernel call each, with one A panel (`MR x KC`) held in L1 while the B panels pass.
//! When `C` has only a few rows and B is stored row by row, B is read in place instead of
//! packed: each of its panels is then used by every row panel while it is in L1, and the copy
//! (as large as B itself) is saved. That is the shape of a convolution's forward pass on a
//! layer with few channels.
//!
//! Threads ([`plan`]): one parallel region per product, each thread running [`block`] on its
//! own part: a range of columns of `C` (each thread packs all of A and its share of B) or of
//! rows (the reverse), whichever duplicates the smaller operand. A product with a small `C` and
//! a long `k` (the weight gradient of a convolution) is split along `k` instead, into parts
//! whose count depends on the shape only, summed in a fixed order: results are the same bit for
//! bit whatever the thread count.

use crate::microkernel::Microkernel;
use crate::microkernel::portable::Portable;
#[cfg(target_arch = "x86_64")]
use crate::microkernel::{avx2::Avx2, avx512::Avx512};
use crate::pack::{KC, aligned_start};
use crate::{Isa, KernelError, MatMut, MatRef, PackedA};
use rayon::prelude::*;
use std::cell::RefCell;

/// Columns of `C` per packed block of B (a multiple of every kernel's `NR`).
pub const NB: usize = 1024;
/// Rows of `C` per packed block of A (a multiple of every kernel's `MR`).
pub const MB: usize = 960;
/// Products below this many floating-point operations (`2·m·n·k`) run on the calling thread:
/// splitting them costs more than it saves.
pub const PARALLEL_MIN_FLOPS: usize = 1 << 21;
/// B is read in place, not packed, when `C` has at most this many row panels.
const IN_PLACE_MAX_ROW_PANELS: usize = 4;

/// Whether the product replaces `C` or adds to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// `C = A · B`: the old contents of `C` are never read (they may be anything, NaN too).
    Overwrite,
    /// `C += A · B`.
    Accumulate,
}

/// `C = A · B` or `C += A · B` in single precision, on the fastest kernels this CPU runs
/// ([`Isa::best`]). `a` is `m x k`, `b` is `k x n`, `c` is `m x n`; any of `a` and `b` may be a
/// transposed view ([`MatRef::t`]).
///
/// Sums run in an order fixed by the shape and the instruction set, whatever the thread count,
/// so results are reproducible bit for bit on one machine.
pub fn sgemm(a: MatRef<'_>, b: MatRef<'_>, c: MatMut<'_>, store: Store) -> Result<(), KernelError> {
    sgemm_on(Isa::best(), a, b, c, store)
}

/// [`sgemm`] on the kernels of one instruction set (for tests and benchmarks), refused when
/// this CPU cannot run it.
pub fn sgemm_on(
    isa: Isa,
    a: MatRef<'_>,
    b: MatRef<'_>,
    c: MatMut<'_>,
    store: Store,
) -> Result<(), KernelError> {
    run_checked(isa, Left::View(a), b, c, store, Threads::Pool)
}

/// [`sgemm`] with an A packed beforehand ([`PackedA`]), on the kernels it was packed for: for
/// one A multiplied by many B, each call saves the copy of A that [`sgemm`] makes. Results are
/// the same bit for bit as [`sgemm`]'s on that instruction set.
pub fn sgemm_packed(
    a: &PackedA,
    b: MatRef<'_>,
    c: MatMut<'_>,
    store: Store,
) -> Result<(), KernelError> {
    run_checked(a.isa(), Left::packed(a), b, c, store, Threads::Pool)
}

/// [`sgemm_packed`] on the calling thread only (see [`sgemm_serial`]); the same bit for bit as
/// [`sgemm_serial`] on the kernels `a` was packed for.
pub fn sgemm_packed_serial(
    a: &PackedA,
    b: MatRef<'_>,
    c: MatMut<'_>,
    store: Store,
) -> Result<(), KernelError> {
    run_checked(a.isa(), Left::packed(a), b, c, store, Threads::Caller)
}

/// [`sgemm`] on the calling thread only, for callers that run many independent products in
/// parallel themselves (one per group of images of a batch, say): no parallel region is
/// opened. Its sums run in an order fixed by the shape and the instruction set; for a long
/// `k` that order differs from [`sgemm`]'s (which splits `k` across threads), so the two agree
/// within rounding, not bit for bit.
pub fn sgemm_serial(
    a: MatRef<'_>,
    b: MatRef<'_>,
    c: MatMut<'_>,
    store: Store,
) -> Result<(), KernelError> {
    run_checked(Isa::best(), Left::View(a), b, c, store, Threads::Caller)
}

/// Whether a product may open a parallel region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Threads {
    /// rayon's pool, split as [`plan`] decides.
    Pool,
    /// The calling thread only.
    Caller,
}

/// The left operand as [`block`] reads it: a view, packed block by block as the product goes,
/// or the rows and steps of a [`PackedA`] (from `row0` and `k0`, multiples of the kernel's `MR`
/// and of [`KC`]).
#[derive(Clone, Copy)]
enum Left<'a> {
    View(MatRef<'a>),
    Packed {
        packed: &'a PackedA,
        row0: usize,
        rows: usize,
        k0: usize,
        cols: usize,
    },
}

impl<'a> Left<'a> {
    fn packed(packed: &'a PackedA) -> Self {
        Self::Packed {
            packed,
            row0: 0,
            rows: packed.rows(),
            k0: 0,
            cols: packed.cols(),
        }
    }

    fn rows(&self) -> usize {
        match self {
            Self::View(a) => a.rows,
            Self::Packed { rows, .. } => *rows,
        }
    }

    fn cols(&self) -> usize {
        match self {
            Self::View(a) => a.cols,
            Self::Packed { cols, .. } => *cols,
        }
    }

    /// Rows `first..end` (`first` a multiple of `MR` when packed).
    fn row_range(&self, first: usize, end: usize) -> Self {
        match *self {
            Self::View(a) => Self::View(a.row_range(first, end)),
            Self::Packed {
                packed,
                row0,
                k0,
                cols,
                ..
            } => Self::Packed {
                packed,
                row0: row0 + first,
                rows: end - first,
                k0,
                cols,
            },
        }
    }

    /// Steps `first..end` (`first` a multiple of [`KC`] when packed).
    fn col_range(&self, first: usize, end: usize) -> Self {
        match *self {
            Self::View(a) => Self::View(a.col_range(first, end)),
            Self::Packed {
                packed,
                row0,
                rows,
                k0,
                ..
            } => Self::Packed {
                packed,
                row0,
                rows,
                k0: k0 + first,
                cols: end - first,
            },
        }
    }
}

/// The entry points' common body: [`check`], then [`dispatch`].
fn run_checked(
    isa: Isa,
    a: Left<'_>,
    b: MatRef<'_>,
    c: MatMut<'_>,
    store: Store,
    threads: Threads,
) -> Result<(), KernelError> {
    check(isa, &a, &b, &c)?;
    dispatch(isa, &a, &b, c, store, threads);
    Ok(())
}

/// Refuses operands whose shapes do not agree and an instruction set this CPU lacks.
fn check(isa: Isa, a: &Left<'_>, b: &MatRef<'_>, c: &MatMut<'_>) -> Result<(), KernelError> {
    if a.cols() != b.rows || a.rows() != c.rows || b.cols != c.cols {
        return Err(KernelError::ShapeMismatch {
            a_rows: a.rows(),
            a_cols: a.cols(),
            b_rows: b.rows,
            b_cols: b.cols,
            c_rows: c.rows,
            c_cols: c.cols,
        });
    }
    if !isa.available() {
        return Err(KernelError::IsaUnavailable(isa));
    }
    Ok(())
}

/// Runs a checked product on the kernels of `isa`.
fn dispatch(isa: Isa, a: &Left<'_>, b: &MatRef<'_>, c: MatMut<'_>, store: Store, threads: Threads) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => run::<Avx512>(a, b, c, store, threads),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => run::<Avx2>(a, b, c, store, threads),
        _ => run::<Portable>(a, b, c, store, threads),
    }
}

/// How a product is spread over threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    /// All on the calling thread.
    None,
    /// This many ranges of row panels, one task each.
    Rows(usize),
    /// This many ranges of column panels, one task each.
    Cols(usize),
    /// This many ranges of `k`, one task each, summed in order at the end.
    Depth(usize),
}

/// The split of an `m x k x n` product with `mr x nr` tiles on `threads` threads; a packed A
/// (`a_packed`) costs nothing to share, so its products split by columns when they can.
fn plan(
    m: usize,
    n: usize,
    k: usize,
    mr: usize,
    nr: usize,
    threads: usize,
    a_packed: bool,
) -> Split {
    let flops = m.saturating_mul(n).saturating_mul(k).saturating_mul(2);
    if flops < PARALLEL_MIN_FLOPS {
        return Split::None;
    }
    let (row_panels, col_panels) = (m.div_ceil(mr), n.div_ceil(nr));
    // Decided by the shape alone, not the thread count (one thread runs the parts in turn), as
    // it changes how sums are grouped.
    if row_panels.max(col_panels) < 4 && k >= 4 * KC {
        return Split::Depth((k / (2 * KC)).min(8));
    }
    if threads <= 1 {
        return Split::None;
    }
    let a_smaller = a_packed || m * k <= k * n;
    if (a_smaller && col_panels >= 2) || row_panels < 2 {
        Split::Cols(threads.min(col_panels))
    } else {
        Split::Rows(threads.min(row_panels))
    }
}

/// Part `t` of `parts` of `0..panels` panels of `width`, as element indices up to `len`.
fn part(t: usize, parts: usize, panels: usize, width: usize, len: usize) -> (usize, usize) {
    let (first, end) = (t * panels / parts, (t + 1) * panels / parts);
    (first * width, (end * width).min(len))
}

thread_local! {
    /// Packing buffers of this thread, reused from call to call.
    static PACKED: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// The first `len` elements of `buf` that start on a cache line, growing `buf` as needed.
fn aligned(buf: &mut Vec<f32>, len: usize) -> &mut [f32] {
    let skip = aligned_start(buf, len);
    &mut buf[skip..skip + len]
}

/// A pointer into the output, shared by the tasks that write its disjoint parts.
#[derive(Clone, Copy)]
struct OutPtr(*mut f32);
// SAFETY: tasks write disjoint parts of the output only (see `run`), and the output outlives
// the parallel region that shares the pointer.
unsafe impl Send for OutPtr {}
// SAFETY: as above.
unsafe impl Sync for OutPtr {}

impl OutPtr {
    fn at(self, offset: usize) -> OutPtr {
        OutPtr(self.0.wrapping_add(offset))
    }
}

fn run<K: Microkernel>(
    a: &Left<'_>,
    b: &MatRef<'_>,
    c: MatMut<'_>,
    store: Store,
    threads: Threads,
) {
    let (m, n, k) = (a.rows(), b.cols, a.cols());
    let ldc = c.row_stride;
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if store == Store::Overwrite {
            for row in c.data.chunks_mut(ldc.max(1)).take(m) {
                row[..n].fill(0.0);
            }
        }
        return;
    }
    let out = OutPtr(c.data.as_mut_ptr());
    let (row_panels, col_panels) = (m.div_ceil(K::MR), n.div_ceil(K::NR));
    // SAFETY (every `block` call below): `MatMut` checked that C's m rows of n elements, ldc
    // apart, lie inside its buffer and do not overlap (ldc >= n). Each call gets a sub-block of
    // C (rows r0..r1 at out + r0·ldc, or columns c0..c1 at out + c0) that no other task of the
    // same split touches, or (depth split) part 0 gets C and the others their own buffers.
    let split = match threads {
        Threads::Pool => plan(
            m,
            n,
            k,
            K::MR,
            K::NR,
            rayon::current_num_threads(),
            matches!(a, Left::Packed { .. }),
        ),
        Threads::Caller => Split::None,
    };
    match split {
        // SAFETY: the whole of C, on this thread only.
        Split::None => unsafe { block::<K>(a, b, out, ldc, store) },
        Split::Rows(parts) => (0..parts).into_par_iter().for_each(|t| {
            let (r0, r1) = part(t, parts, row_panels, K::MR, m);
            // SAFETY: rows r0..r1 of C, which no other part touches.
            unsafe { block::<K>(&a.row_range(r0, r1), b, out.at(r0 * ldc), ldc, store) }
        }),
        Split::Cols(parts) => (0..parts).into_par_iter().for_each(|t| {
            let (c0, c1) = part(t, parts, col_panels, K::NR, n);
            // SAFETY: columns c0..c1 of C, which no other part touches.
            unsafe { block::<K>(a, &b.col_range(c0, c1), out.at(c0), ldc, store) }
        }),
        Split::Depth(parts) => {
            let partials: Vec<Option<Vec<f32>>> = (0..parts)
                .into_par_iter()
                .map(|t| {
                    // Whole blocks of KC steps each (where a packed A's blocks start).
                    let (k0, k1) = part(t, parts, k.div_ceil(KC), KC, k);
                    let (a, b) = (a.col_range(k0, k1), b.row_range(k0, k1));
                    if t == 0 {
                        // SAFETY: part 0 alone writes C; the others have their own buffers.
                        unsafe { block::<K>(&a, &b, out, ldc, store) };
                        None
                    } else {
                        let mut own = vec![0f32; m * n];
                        let to = OutPtr(own.as_mut_ptr());
                        // SAFETY: `own` is this part's m x n buffer, row stride n.
                        unsafe { block::<K>(&a, &b, to, n, Store::Overwrite) };
                        Some(own)
                    }
                })
                .collect();
            for own in partials.into_iter().flatten() {
                for (row, add) in c.data.chunks_mut(ldc).zip(own.chunks_exact(n)) {
                    for (v, s) in row.iter_mut().zip(add) {
                        *v += s;
                    }
                }
            }
        }
    }
}

/// `C (+)= A · B` on the calling thread (see the module docs).
///
/// # Safety
///
/// `K`'s instruction set runs on this CPU, and `out` points to an `a.rows x b.cols` block with
/// row stride `ldc >= b.cols`, valid for reads and writes, that nobody else accesses during
/// the call.
unsafe fn block<K: Microkernel>(
    a: &Left<'_>,
    b: &MatRef<'_>,
    out: OutPtr,
    ldc: usize,
    store: Store,
) {
    let (m, n, k) = (a.rows(), b.cols, a.cols());
    // In place needs whole panels, NR columns a row, `row_stride` apart: not the case of a
    // one-row B whose rows are closer (a transposed column vector, row stride 1).
    let in_place =
        b.col_stride == 1 && b.row_stride >= K::NR && m.div_ceil(K::MR) <= IN_PLACE_MAX_ROW_PANELS;
    // Taken out of the thread-local for the call, so a nested call on this thread (rayon may
    // run another task here while it waits) finds empty buffers instead of a borrow conflict.
    let (mut pa_buf, mut pb) = PACKED.with(|cell| std::mem::take(&mut *cell.borrow_mut()));
    for p0 in (0..k).step_by(KC) {
        let kc = KC.min(k - p0);
        let load_c = store == Store::Accumulate || p0 > 0;
        for j0 in (0..n).step_by(NB) {
            let nb = NB.min(n - j0);
            let b_panels = nb.div_ceil(K::NR);
            // Panels read in place (full ones, when in place); the rest are packed.
            let direct = if in_place { nb / K::NR } else { 0 };
            let packed_cols = nb - direct * K::NR;
            let pb = aligned(&mut pb, packed_cols.div_ceil(K::NR) * K::NR * kc);
            if packed_cols > 0 {
                let first = j0 + direct * K::NR;
                crate::pack::pack_b(b, K::NR, p0, kc, first, packed_cols, pb);
            }
            for i0 in (0..m).step_by(MB) {
                let mb = MB.min(m - i0);
                let a_panels = mb.div_ceil(K::MR);
                let pa: &[f32] = match a {
                    Left::View(a) => {
                        let pa = aligned(&mut pa_buf, a_panels * K::MR * kc);
                        crate::pack::pack_a(a, K::MR, i0, mb, p0, kc, pa);
                        pa
                    }
                    Left::Packed {
                        packed, row0, k0, ..
                    } => packed.panels(k0 + p0, row0 + i0, kc),
                };
                let tile = |ia: usize, jb: usize| {
                    let (row, col) = (i0 + ia * K::MR, j0 + jb * K::NR);
                    let (mr, nr) = (K::MR.min(m - row), K::NR.min(n - col));
                    let a_panel = &pa[ia * K::MR * kc..][..K::MR * kc];
                    let (b_panel, ldb) = if jb < direct {
                        let rs = b.row_stride;
                        (&b.data[p0 * rs + col..][..(kc - 1) * rs + K::NR], rs)
                    } else {
                        (&pb[(jb - direct) * K::NR * kc..][..K::NR * kc], K::NR)
                    };
                    // SAFETY: the tile is rows row..row+mr (< m) and columns col..col+nr
                    // (< n) of the block the caller gave us; the kernel checks the panels.
                    unsafe {
                        K::tile(
                            a_panel,
                            b_panel,
                            ldb,
                            kc,
                            out.at(row * ldc + col).0,
                            ldc,
                            mr,
                            nr,
                            load_c,
                        );
                    }
                };
                if in_place {
                    for jb in 0..b_panels {
                        (0..a_panels).for_each(|ia| tile(ia, jb));
                    }
                } else {
                    for ia in 0..a_panels {
                        (0..b_panels).for_each(|jb| tile(ia, jb));
                    }
                }
            }
        }
    }
    PACKED.with(|cell| *cell.borrow_mut() = (pa_buf, pb));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_split_the_dimension_that_balances() {
        // Small products stay on one thread.
        assert_eq!(plan(8, 8, 8, 12, 32, 2, false), Split::None);
        assert_eq!(plan(1000, 1000, 1000, 12, 32, 1, false), Split::None);
        // MLP forward: A (128 x 3072) is smaller than B (3072 x 512): columns.
        assert_eq!(plan(128, 512, 3072, 12, 32, 2, false), Split::Cols(2));
        // Weight gradient of an MLP layer: B (128 x 512) is smaller: rows.
        assert_eq!(plan(3072, 512, 128, 12, 32, 2, false), Split::Rows(2));
        // A first convolution: 16 output channels, 131072 positions: columns.
        assert_eq!(plan(16, 131_072, 27, 12, 32, 2, false), Split::Cols(2));
        // Its weight gradient, 27 x 16 with k = 131072: depth, by shape only.
        assert_eq!(plan(27, 16, 131_072, 12, 32, 2, false), Split::Depth(8));
        assert_eq!(plan(27, 16, 131_072, 12, 32, 64, false), Split::Depth(8));
        // A packed A is shared for free: the weight-gradient shape above splits by columns.
        assert_eq!(plan(3072, 512, 128, 12, 32, 2, true), Split::Cols(2));
    }

    #[test]
    fn parts_cover_every_panel_once() {
        for (parts, panels) in [(2, 11), (3, 3), (8, 1000), (2, 2)] {
            let mut next = 0;
            for t in 0..parts {
                let (first, end) = part(t, parts, panels, 12, panels * 12 - 5);
                assert_eq!(first, next);
                assert!(end > first);
                next = end;
            }
            assert_eq!(next, panels * 12 - 5);
        }
    }
}
