//! Datasets for descent: CIFAR-10 binary batches, MNIST and Fashion-MNIST IDX files, and sets
//! generated from a seed (10-class images, 2-D spirals and blobs), as Burn
//! [`Dataset`](burn::data::dataset::Dataset)s with an image [`Batcher`](burn::data::dataloader::batcher::Batcher).
//!
//! Loading reads local files only and never touches the network (the opt-in `download`
//! feature can fetch CIFAR-10 when asked). Bad files give a [`DataError`] naming the file.
//!
//! - [`ImageDataset`]: images of one [`ImageShape`] with labels, cheap to clone and subset.
//! - [`ImageBatcher`]: per-channel [`Normalization`] and seeded [`Augmentation`] (random crop
//!   with zero padding, horizontal flip) into `[N, C, H, W]` batches; its
//!   [`batch_indices`](ImageBatcher::batch_indices) gathers straight from storage.
//! - [`shuffled_indices`]: a platform-stable permutation from a seed.
//! - [`load`]: one entry point by [`DatasetKind`] and [`Split`].
//!
//! ```
//! use burn::tensor::Device;
//! use descent_data::{load, shuffled_indices, Augmentation, DatasetKind, ImageBatcher, LoadOptions, Split};
//!
//! # fn main() -> Result<(), descent_data::DataError> {
//! let options = LoadOptions { synthetic_samples: Some(64), seed: 7 };
//! let train = load(DatasetKind::SyntheticImages, None, Split::Train, &options)?;
//! assert_eq!(train.len(), 64);
//!
//! let batcher = ImageBatcher::new(Some(train.channel_stats()), Some(Augmentation::cifar10()), 0);
//! batcher.check(&train)?;
//! let order = shuffled_indices(train.len(), 1);
//! let batch = batcher.batch_indices(&train, &order[..16], 42, &Device::default());
//! assert_eq!(batch.images.dims(), [16, 3, 32, 32]);
//! assert_eq!(batch.targets.dims(), [16]);
//! # Ok(())
//! # }
//! ```

/// The Burn this crate is built on (0.22), re-exported so a project that uses it through
/// `descent_data::burn` shares one Burn with us instead of compiling a second.
pub use burn;

pub mod augmentation;
pub mod batcher;
#[cfg(any(test, feature = "download"))]
pub mod checksum;
pub mod cifar10;
pub mod dataset;
#[cfg(feature = "download")]
pub mod download;
mod error;
pub mod idx;
mod kind;
mod load;
pub mod mnist;
pub mod normalization;
pub mod read;
pub mod rng;
mod shape;
pub mod synthetic;

pub use augmentation::{Augmentation, Transform};
pub use batcher::{HostBatch, ImageBatch, ImageBatcher};
pub use dataset::{ImageDataset, ImageItem, PixelFormat};
pub use error::DataError;
pub use kind::{DatasetKind, Split};
pub use load::{LoadOptions, default_dir, default_samples, load, sample_seed};
pub use normalization::Normalization;
pub use rng::shuffled_indices;
pub use shape::ImageShape;
