//! This crate's CPU kernels for Burn's `Flex` backend (feature `flex`), float32 only. The
//! public layers ([`crate::conv`], [`crate::norm`], [`crate::pool`], [`crate::linear`]) plug
//! them in through Burn backend extensions and fall back to Burn's own ops elsewhere; nothing
//! here is public.
//!
//! - [`conv`]: 2-D convolutions by im2col + matrix products, and Winograd F(2x2, 3x3) for a
//!   VGG's "same" 3x3 layers; forward pass, input gradient, weight and bias gradients.
//! - [`norm`]: batch norm (with the ReLU after it fused in) in two passes each way.
//! - [`pool`]: non-overlapping max-pool with one-byte argmax offsets.
//! - [`norm_pool`]: batch norm, ReLU and max-pool as one layer, the end of a VGG block.
//! - [`gemm`]: the matrix product under them (`descent_kernels`), on `Flex` tensors' data.
//! - [`flex_data`]: reading and making float32 `Flex` tensors.

pub(crate) mod conv;
pub(crate) mod flex_data;
pub(crate) mod gemm;
pub(crate) mod norm;
pub(crate) mod norm_pool;
pub(crate) mod pool;
