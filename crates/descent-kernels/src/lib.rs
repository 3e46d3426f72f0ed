//! Single-precision matrix product for descent's CPU layers, written for the machines it runs on.
//!
//! [`sgemm`] computes `C = A · B` or `C += A · B` ([`Store`]) for strided views of `f32`
//! slices ([`MatRef`], [`MatMut`]); a transposed operand is a view with swapped strides, read in
//! place. It is a Goto/BLIS-style product: operands packed into panels that stay in cache,
//! register-blocked microkernels, work split over rayon's thread pool. The microkernel family
//! is picked at run time ([`Isa::best`]): AVX-512F (12x32 tiles), AVX2 + FMA (6x16) or portable
//! Rust (4x16). [`sgemm_serial`] runs a product on the calling thread only, for callers that
//! run many small products in parallel themselves (descent's convolutions, one group of
//! images per task). [`PackedA`] packs a left operand once for many products
//! ([`sgemm_packed`], [`sgemm_packed_serial`]): a layer's weights against tile after tile.
//! [`vectorized`] compiles a loop ([`VectorLoop`]) a second time for the CPU's wider vector
//! instructions (AVX-512, AVX2), for the element-wise kernels of the crates above this one.
//!
//! Why it exists: the pure-Rust products Burn 0.22's CPU backends call (`gemm` 0.19,
//! `matrixmultiply` 0.3) stop at the 256-bit FMA rate: on an AVX-512 machine, half the peak,
//! which MKL (PyTorch's) comes close to. `cargo bench -p descent-kernels` measures this crate
//! against both on the same shapes (figures in `bench/README.md`).
//!
//! This is the one crate of the workspace with `unsafe` code: the microkernels use SIMD
//! intrinsics on raw pointers into the packed panels and the output tile. Shapes and strides
//! are checked once at the API ([`KernelError`]); each `unsafe` block states why its accesses
//! stay inside what was checked. The tests compare every kernel family this CPU runs with a
//! float64 reference over edge-heavy shapes, transposes, strides and accumulation.
//!
//! ```
//! use descent_kernels::{MatMut, MatRef, Store, sgemm};
//!
//! // [[1, 2, 3], [4, 5, 6]] · [[1, 0], [0, 1], [1, 1]]
//! let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
//! let b = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
//! let mut c = [0.0f32; 4];
//! sgemm(
//!     MatRef::row_major(&a, 2, 3)?,
//!     MatRef::row_major(&b, 3, 2)?,
//!     MatMut::row_major(&mut c, 2, 2)?,
//!     Store::Overwrite,
//! )?;
//! assert_eq!(c, [4.0, 5.0, 10.0, 11.0]);
//!
//! // Aᵀ · A without copying A: a transposed view.
//! let mut gram = [0.0f32; 9];
//! let a = MatRef::row_major(&a, 2, 3)?;
//! sgemm(a.t(), a, MatMut::row_major(&mut gram, 3, 3)?, Store::Overwrite)?;
//! assert_eq!(gram[0], 1.0 * 1.0 + 4.0 * 4.0);
//! # Ok::<(), descent_kernels::KernelError>(())
//! ```

mod error;
mod isa;
mod matrix;
mod microkernel;
mod pack;
mod packed;
mod sgemm;
mod transpose;
mod vectorize;

pub use error::KernelError;
pub use isa::Isa;
pub use matrix::{MatMut, MatRef};
pub use pack::KC;
pub use packed::PackedA;
pub use sgemm::{
    MB, NB, PARALLEL_MIN_FLOPS, Store, sgemm, sgemm_on, sgemm_packed, sgemm_packed_serial,
    sgemm_serial,
};
pub use vectorize::{VectorLoop, vectorized};

#[cfg(test)]
mod tests;
