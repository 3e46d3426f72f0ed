//! Plain loops compiled for the vector instructions this CPU has, picked at run time.
//!
//! A Rust build for generic x86-64 (the default target) may only use SSE2: the compiler
//! vectorizes a loop over `f32` four lanes at a time, even on a CPU with AVX-512. [`vectorized`]
//! runs a [`VectorLoop`] inside a function compiled for AVX-512 (or AVX2 + FMA) when the CPU
//! has it: the loop, and what it inlines, is then compiled a second time for those
//! instructions.
//! Only the code generation changes, not the arithmetic: the compiler neither reorders float
//! operations nor fuses a multiply and an add, so results are the same bit for bit on every
//! path.

#[cfg(target_arch = "x86_64")]
use crate::Isa;

/// A loop for [`vectorized`] to compile for the CPU's wider vector instructions: a struct
/// holding the loop's operands, whose [`VectorLoop::run`] is the loop.
pub trait VectorLoop {
    /// What the loop returns.
    type Output;

    /// Runs the loop. Mark it `#[inline(always)]` (and what it calls, as far as it matters):
    /// [`vectorized`]'s copies can only recompile what is inlined into them. (A closure would
    /// not do: the compiler may keep a large one as a function of its own, called from every
    /// copy and compiled once, for the build's target.)
    fn run(self) -> Self::Output;
}

/// `work.run()`, compiled for the widest vector instructions of this CPU (AVX-512F/BW/VL/DQ,
/// else AVX2 + FMA, else the build's own target). Meant for element-wise loops that are bound
/// by arithmetic rather than memory (a max-pool's selects, say): call it once per plane or
/// chunk.
///
/// ```
/// use descent_kernels::{VectorLoop, vectorized};
///
/// struct Relu<'a>(&'a mut [f32]);
///
/// impl VectorLoop for Relu<'_> {
///     type Output = ();
///     #[inline(always)]
///     fn run(self) {
///         self.0.iter_mut().for_each(|v| *v = v.max(0.0));
///     }
/// }
///
/// let mut x = [1.0f32, -2.0, 3.0, -4.0];
/// vectorized(Relu(&mut x));
/// assert_eq!(x, [1.0, 0.0, 3.0, 0.0]);
/// ```
#[inline(always)]
pub fn vectorized<L: VectorLoop>(work: L) -> L::Output {
    #[cfg(target_arch = "x86_64")]
    match level() {
        // SAFETY: `level` found AVX-512F, BW, VL and DQ on this CPU.
        Level::Avx512 => return unsafe { on_avx512(work) },
        // SAFETY: `level` found AVX2 and FMA on this CPU.
        Level::Avx2 => return unsafe { on_avx2(work) },
        Level::Build => {}
    }
    work.run()
}

/// The instruction sets [`vectorized`] compiles for.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Avx512,
    Avx2,
    Build,
}

/// The widest [`Level`] this CPU runs, detected once per process.
#[cfg(target_arch = "x86_64")]
fn level() -> Level {
    use std::sync::OnceLock;
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx512f") && has!("avx512bw") && has!("avx512vl") && has!("avx512dq") {
            Level::Avx512
        } else if Isa::Avx2.available() {
            Level::Avx2
        } else {
            Level::Build
        }
    })
}

/// # Safety
///
/// The CPU has AVX-512F, BW, VL and DQ.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
unsafe fn on_avx512<L: VectorLoop>(work: L) -> L::Output {
    work.run()
}

/// # Safety
///
/// The CPU has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn on_avx2<L: VectorLoop>(work: L) -> L::Output {
    work.run()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_the_same_bit_for_bit_as_the_plain_loop() {
        // Lane-wise sums of products, the pattern of descent-models' batch-norm sums.
        struct Sums<'a>(&'a [f32]);
        impl VectorLoop for Sums<'_> {
            type Output = [f32; 8];
            #[inline(always)]
            fn run(self) -> [f32; 8] {
                let mut lanes = [0f32; 8];
                for chunk in self.0.chunks_exact(8) {
                    for (l, v) in lanes.iter_mut().zip(chunk) {
                        *l += v * 1.5 + 0.25;
                    }
                }
                lanes
            }
        }
        let x: Vec<f32> = (0..1003)
            .map(|i| ((i * 37) % 101) as f32 * 0.013 - 0.6)
            .collect();
        assert_eq!(vectorized(Sums(&x)), Sums(&x).run());
    }
}
