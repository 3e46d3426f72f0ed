//! [`ImageBatcher`]: normalize, augment and upload images as one `[N, C, H, W]` tensor.

use std::sync::Mutex;

use burn::data::dataloader::batcher::Batcher;
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::augmentation::{Augmentation, Transform};
use crate::dataset::ImageRef;
use crate::rng::{Rng, derive_seed};
use crate::{DataError, ImageDataset, ImageItem, ImageShape, Normalization};

/// A batch of images and their classes.
#[derive(Debug, Clone)]
pub struct ImageBatch {
    /// The images, `[N, C, H, W]`, normalized.
    pub images: Tensor<4>,
    /// The classes, `[N]`.
    pub targets: Tensor<1, Int>,
}

/// A batch still in host memory (what [`ImageBatcher::fill`] writes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostBatch {
    /// `N * C * H * W` normalized values, images one after the other.
    pub images: Vec<f32>,
    /// `N` classes.
    pub targets: Vec<i64>,
    /// The shape of one image.
    pub shape: Option<ImageShape>,
}

impl HostBatch {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Uploads to `device` (one copy for the images, one for the targets).
    pub fn to_device(self, device: &Device) -> ImageBatch {
        let n = self.targets.len();
        let [c, h, w] = self.shape.map_or([0, 0, 0], |s| s.dims());
        let images = Tensor::<4>::from_data(TensorData::new(self.images, [n, c, h, w]), device);
        let targets = Tensor::<1, Int>::from_data(TensorData::new(self.targets, [n]), device);
        ImageBatch { images, targets }
    }
}

/// Turns images into normalized (and, for training, augmented) batches.
///
/// Two ways in:
/// - [`ImageBatcher::batch_indices`] / [`ImageBatcher::batch_indices_eval`]: the fast,
///   deterministic path. Gathers the chosen samples straight from the dataset's storage into
///   one host buffer, applies normalization and augmentation (drawn from `augment_seed`), and
///   uploads once. The same inputs give a bit-identical batch.
/// - The Burn [`Batcher`] trait, for Burn's `DataLoader`: items from `Dataset::get`;
///   augmentation draws come from an internal generator seeded at construction (each call
///   takes the next seed from it, so results depend on call order, which is not deterministic
///   with several loader workers).
///
/// Per image: crop (with raw-zero padding) then flip, as [`Transform`] describes, then
/// `(x - mean) / std` per channel. Padding is a raw 0 that is then normalized like any pixel,
/// as torchvision's `RandomCrop(padding=p)` before `Normalize` does.
#[derive(Debug)]
pub struct ImageBatcher {
    normalization: Option<Normalization>,
    augmentation: Option<Augmentation>,
    rng: Mutex<Rng>,
}

impl Clone for ImageBatcher {
    fn clone(&self) -> Self {
        let rng = self.rng.lock().unwrap_or_else(|e| e.into_inner()).clone();
        Self {
            normalization: self.normalization.clone(),
            augmentation: self.augmentation,
            rng: Mutex::new(rng),
        }
    }
}

impl ImageBatcher {
    /// A batcher with an optional normalization, an optional augmentation (used by
    /// [`ImageBatcher::batch_indices`] and the [`Batcher`] trait; never by
    /// [`ImageBatcher::batch_indices_eval`]), and the seed of the trait path's generator.
    pub fn new(
        normalization: Option<Normalization>,
        augmentation: Option<Augmentation>,
        seed: u64,
    ) -> Self {
        Self {
            normalization,
            augmentation,
            rng: Mutex::new(Rng::new(seed)),
        }
    }

    /// The normalization, if any.
    pub fn normalization(&self) -> Option<&Normalization> {
        self.normalization.as_ref()
    }

    /// The augmentation, if any.
    pub fn augmentation(&self) -> Option<&Augmentation> {
        self.augmentation.as_ref()
    }

    /// Checks that this batcher fits `dataset` (normalization channels and values).
    ///
    /// # Errors
    ///
    /// [`DataError::Invalid`] if the normalization does not fit the dataset's channels.
    pub fn check(&self, dataset: &ImageDataset) -> Result<(), DataError> {
        self.check_shape(dataset.shape())
    }

    fn check_shape(&self, shape: ImageShape) -> Result<(), DataError> {
        match &self.normalization {
            Some(normalization) => normalization.validate(shape.channels),
            None => Ok(()),
        }
    }

    /// Writes the samples `indices` of `dataset` into `out` (reusing its buffers): normalized,
    /// and augmented with draws from `augment_seed` when it is `Some` and the batcher has an
    /// augmentation.
    ///
    /// Draws: one generator `Rng::new(augment_seed)`, used image by image in `indices` order
    /// (see [`Augmentation::draw`]).
    ///
    /// # Errors
    ///
    /// [`DataError::IndexOutOfRange`] for an index past the end, [`DataError::Invalid`] if the
    /// normalization does not fit; `out` is then left in an unspecified state.
    pub fn fill(
        &self,
        dataset: &ImageDataset,
        indices: &[usize],
        augment_seed: Option<u64>,
        out: &mut HostBatch,
    ) -> Result<(), DataError> {
        let shape = dataset.shape();
        let normalizer = Normalizer::new(self.normalization.as_ref(), shape)?;
        let len = dataset.len();
        let stored = indices
            .iter()
            .map(|&index| {
                dataset
                    .stored_index(index)
                    .ok_or(DataError::IndexOutOfRange { index, len })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let numel = shape.numel();
        out.shape = Some(shape);
        out.images.clear();
        out.images.resize(stored.len() * numel, 0.0);
        out.targets.clear();
        out.targets
            .extend(stored.iter().map(|&s| dataset.stored_label(s) as i64));
        let mut draws = self.drawer(augment_seed);
        for (&s, dst) in stored.iter().zip(out.images.chunks_exact_mut(numel)) {
            let transform = draws.next_transform();
            write_image(dst, dataset.stored_image(s), shape, &normalizer, transform);
        }
        Ok(())
    }

    /// A generator of transforms: identity without augmentation or without a seed.
    fn drawer(&self, augment_seed: Option<u64>) -> Drawer {
        match (self.augmentation, augment_seed) {
            (Some(augmentation), Some(seed)) if !augmentation.is_identity() => Drawer {
                augmentation: Some((augmentation, Rng::new(seed))),
            },
            _ => Drawer { augmentation: None },
        }
    }

    /// [`ImageBatcher::batch_indices`] returning an error instead of panicking.
    ///
    /// # Errors
    ///
    /// As [`ImageBatcher::fill`].
    pub fn try_batch_indices(
        &self,
        dataset: &ImageDataset,
        indices: &[usize],
        augment_seed: u64,
        device: &Device,
    ) -> Result<ImageBatch, DataError> {
        let mut host = HostBatch::default();
        self.fill(dataset, indices, Some(augment_seed), &mut host)?;
        Ok(host.to_device(device))
    }

    /// [`ImageBatcher::batch_indices_eval`] returning an error instead of panicking.
    ///
    /// # Errors
    ///
    /// As [`ImageBatcher::fill`].
    pub fn try_batch_indices_eval(
        &self,
        dataset: &ImageDataset,
        indices: &[usize],
        device: &Device,
    ) -> Result<ImageBatch, DataError> {
        let mut host = HostBatch::default();
        self.fill(dataset, indices, None, &mut host)?;
        Ok(host.to_device(device))
    }

    /// The training batch of samples `indices`: gathered from storage into one host buffer,
    /// augmented with draws from `augment_seed` (if the batcher has an augmentation),
    /// normalized, and uploaded once. Same inputs, bit-identical batch.
    ///
    /// # Panics
    ///
    /// If an index is past the end of `dataset` or the normalization does not fit its channels
    /// (check once with [`ImageBatcher::check`], or use [`ImageBatcher::try_batch_indices`]).
    pub fn batch_indices(
        &self,
        dataset: &ImageDataset,
        indices: &[usize],
        augment_seed: u64,
        device: &Device,
    ) -> ImageBatch {
        match self.try_batch_indices(dataset, indices, augment_seed, device) {
            Ok(batch) => batch,
            Err(err) => panic!("ImageBatcher::batch_indices: {err}"),
        }
    }

    /// The evaluation batch of samples `indices`: normalized, never augmented.
    ///
    /// # Panics
    ///
    /// As [`ImageBatcher::batch_indices`].
    pub fn batch_indices_eval(
        &self,
        dataset: &ImageDataset,
        indices: &[usize],
        device: &Device,
    ) -> ImageBatch {
        match self.try_batch_indices_eval(dataset, indices, device) {
            Ok(batch) => batch,
            Err(err) => panic!("ImageBatcher::batch_indices_eval: {err}"),
        }
    }

    /// The [`Batcher`] path on the host: items normalized and augmented with draws from
    /// `augment_seed` (if `Some`).
    ///
    /// # Errors
    ///
    /// [`DataError::Invalid`] if the items have different shapes, an image's length does not
    /// match its shape, or the normalization does not fit.
    pub fn fill_items(
        &self,
        items: &[ImageItem],
        augment_seed: Option<u64>,
        out: &mut HostBatch,
    ) -> Result<(), DataError> {
        out.images.clear();
        out.targets.clear();
        out.shape = items.first().map(|item| item.shape);
        let Some(shape) = out.shape else {
            return Ok(());
        };
        let normalizer = Normalizer::new(self.normalization.as_ref(), shape)?;
        let numel = shape.numel();
        out.images.resize(items.len() * numel, 0.0);
        let mut draws = self.drawer(augment_seed);
        for (position, (item, dst)) in items
            .iter()
            .zip(out.images.chunks_exact_mut(numel))
            .enumerate()
        {
            if item.shape != shape || item.image.len() != numel {
                return Err(DataError::invalid(
                    "batch items",
                    format!(
                        "item {position} has shape {} and {} values; item 0 has shape {shape}",
                        item.shape,
                        item.image.len()
                    ),
                ));
            }
            let transform = draws.next_transform();
            write_image(
                dst,
                ImageRef::F32(&item.image),
                shape,
                &normalizer,
                transform,
            );
            out.targets.push(item.label as i64);
        }
        Ok(())
    }
}

impl Batcher<ImageItem, ImageBatch> for ImageBatcher {
    /// Normalizes and (if the batcher has an augmentation) augments `items`, drawing this
    /// batch's seed from the batcher's internal generator.
    ///
    /// # Panics
    ///
    /// If the items have different shapes or the normalization does not fit them (items from
    /// one [`ImageDataset`] and a checked batcher never do).
    fn batch(&self, items: Vec<ImageItem>, device: &Device) -> ImageBatch {
        let seed = self.augmentation.filter(|a| !a.is_identity()).map(|_| {
            let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
            derive_seed(rng.next_u64(), 0)
        });
        let mut host = HostBatch::default();
        if let Err(err) = self.fill_items(&items, seed, &mut host) {
            panic!("ImageBatcher::batch: {err}");
        }
        host.to_device(device)
    }
}

/// Hands out one transform per image.
struct Drawer {
    augmentation: Option<(Augmentation, Rng)>,
}

impl Drawer {
    fn next_transform(&mut self) -> Transform {
        match &mut self.augmentation {
            Some((augmentation, rng)) => augmentation.draw(rng),
            None => Transform::IDENTITY,
        }
    }
}

/// Per-channel normalization prepared for the hot loop: a 256-entry table per channel for
/// bytes (`((b / 255) - mean) / std`, the same float operations as the `f32` path on
/// `b / 255`), and the normalized value of a padding (raw 0) pixel.
struct Normalizer {
    mean: Vec<f32>,
    std: Vec<f32>,
    byte_table: Vec<[f32; 256]>,
    pad: Vec<f32>,
}

impl Normalizer {
    fn new(normalization: Option<&Normalization>, shape: ImageShape) -> Result<Self, DataError> {
        let channels = shape.channels;
        let (mean, std) = match normalization {
            Some(n) => {
                n.validate(channels)?;
                (n.mean.clone(), n.std.clone())
            }
            None => (vec![0.0; channels], vec![1.0; channels]),
        };
        let byte_table = (0..channels)
            .map(|c| {
                let mut table = [0.0f32; 256];
                for (b, entry) in table.iter_mut().enumerate() {
                    *entry = (b as f32 / 255.0 - mean[c]) / std[c];
                }
                table
            })
            .collect();
        let pad = (0..channels).map(|c| (0.0 - mean[c]) / std[c]).collect();
        Ok(Self {
            mean,
            std,
            byte_table,
            pad,
        })
    }
}

/// Writes one transformed, normalized image into `dst` (`C * H * W` values), row by row: rows
/// or row ends that fall in the padding are filled, the rest is converted from one contiguous
/// source slice, and a flipped row is reversed in place.
fn write_image(
    dst: &mut [f32],
    src: ImageRef<'_>,
    shape: ImageShape,
    normalizer: &Normalizer,
    transform: Transform,
) {
    let (height, width) = (shape.height, shape.width);
    let plane = shape.plane();
    let w = width as isize;
    // Output columns [x_start, x_end) read source columns [x_start + dx, x_end + dx).
    let x_start = (-transform.offset_x).clamp(0, w) as usize;
    let x_end = (w - transform.offset_x).clamp(0, w) as usize;
    for (channel, dst_plane) in dst.chunks_exact_mut(plane).enumerate() {
        let pad = normalizer.pad[channel];
        for (y, row) in dst_plane.chunks_exact_mut(width).enumerate() {
            let sy = y as isize + transform.offset_y;
            if sy < 0 || sy >= height as isize || x_start >= x_end {
                row.fill(pad);
                continue;
            }
            row[..x_start].fill(pad);
            row[x_end..].fill(pad);
            let start = channel * plane
                + sy as usize * width
                + (x_start as isize + transform.offset_x) as usize;
            let end = start + (x_end - x_start);
            let out = &mut row[x_start..x_end];
            match src {
                ImageRef::U8(bytes) => {
                    let table = &normalizer.byte_table[channel];
                    for (d, &b) in out.iter_mut().zip(&bytes[start..end]) {
                        *d = table[usize::from(b)];
                    }
                }
                ImageRef::F32(values) => {
                    let (mean, std) = (normalizer.mean[channel], normalizer.std[channel]);
                    for (d, &v) in out.iter_mut().zip(&values[start..end]) {
                        *d = (v - mean) / std;
                    }
                }
            }
            if transform.flip {
                row.reverse();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use burn::data::dataset::Dataset;
    use burn::tensor::DType;

    fn device() -> Device {
        Device::flex()
    }

    /// `n` byte images of shape 3x4x5 with pseudo-random contents and labels `i % 10`.
    fn byte_set(n: usize) -> ImageDataset {
        let shape = ImageShape::new(3, 4, 5);
        let mut rng = Rng::new(1);
        let pixels = (0..n * shape.numel())
            .map(|_| rng.below(256) as u8)
            .collect();
        let labels = (0..n).map(|i| i % 10).collect();
        ImageDataset::from_u8("bytes", shape, 10, pixels, labels).expect("valid")
    }

    fn float_set(n: usize) -> ImageDataset {
        let shape = ImageShape::new(2, 3, 3);
        let mut rng = Rng::new(2);
        let pixels = (0..n * shape.numel())
            .map(|_| rng.uniform() as f32)
            .collect();
        let labels = (0..n).map(|i| i % 3).collect();
        ImageDataset::from_f32("floats", shape, 3, pixels, labels).expect("valid")
    }

    fn norm3() -> Normalization {
        Normalization::new(vec![0.4, 0.5, 0.6], vec![0.2, 0.25, 0.3]).expect("valid")
    }

    fn host(
        batcher: &ImageBatcher,
        set: &ImageDataset,
        indices: &[usize],
        seed: Option<u64>,
    ) -> HostBatch {
        let mut out = HostBatch::default();
        batcher.fill(set, indices, seed, &mut out).expect("fills");
        out
    }

    #[test]
    fn eval_batch_is_normalized_items() {
        let set = byte_set(6);
        let batcher = ImageBatcher::new(Some(norm3()), Some(Augmentation::cifar10()), 0);
        let batch = host(&batcher, &set, &[4, 1], None);
        assert_eq!(batch.targets, vec![4, 1]);
        let n = norm3();
        for (k, &index) in [4usize, 1].iter().enumerate() {
            let mut expected = set.image(index).expect("in range");
            n.apply_chw(&mut expected, 20);
            assert_eq!(&batch.images[k * 60..(k + 1) * 60], expected.as_slice());
        }
    }

    #[test]
    fn augmented_batch_matches_reference_transform() {
        for set in [byte_set(8), float_set(8)] {
            let shape = set.shape();
            let normalization = Normalization::new(
                (0..shape.channels).map(|c| 0.1 * c as f32 + 0.3).collect(),
                (0..shape.channels).map(|c| 0.05 * c as f32 + 0.2).collect(),
            )
            .expect("valid");
            let augmentation = Augmentation {
                crop_padding: Some(2),
                horizontal_flip: true,
            };
            let batcher = ImageBatcher::new(Some(normalization.clone()), Some(augmentation), 0);
            let indices = [7, 0, 3, 3, 5, 1, 2, 6];
            let batch = host(&batcher, &set, &indices, Some(99));
            // Redraw the same transforms and apply the slow reference, then normalize
            // (padding is a raw 0 and is normalized too).
            let mut rng = Rng::new(99);
            let mut saw_flip = false;
            let mut saw_shift = false;
            for (k, &index) in indices.iter().enumerate() {
                let t = augmentation.draw(&mut rng);
                saw_flip |= t.flip;
                saw_shift |= t.offset_x != 0 || t.offset_y != 0;
                let raw = set.image(index).expect("in range");
                let mut expected = t.apply_chw(&raw, shape.height, shape.width);
                normalization.apply_chw(&mut expected, shape.plane());
                let got = &batch.images[k * shape.numel()..(k + 1) * shape.numel()];
                assert_eq!(got, expected.as_slice(), "image {k} transform {t:?}");
            }
            assert!(saw_flip && saw_shift);
            // Same seed, same batch; another seed, another batch.
            assert_eq!(batch, host(&batcher, &set, &indices, Some(99)));
            assert_ne!(batch, host(&batcher, &set, &indices, Some(100)));
        }
    }

    #[test]
    fn flip_reverses_rows_and_padding_is_normalized_zero() {
        let set = byte_set(1);
        let n = norm3();
        let raw = set.image(0).expect("in range");
        let mut normalized = raw.clone();
        n.apply_chw(&mut normalized, 20);
        let flip_only = ImageBatcher::new(
            Some(n.clone()),
            Some(Augmentation {
                crop_padding: None,
                horizontal_flip: true,
            }),
            0,
        );
        // Find a seed whose single draw flips.
        let seed = (0..100u64)
            .find(|&s| Rng::new(s).coin())
            .expect("some seed flips");
        let flipped = host(&flip_only, &set, &[0], Some(seed)).images;
        for (row_out, row_in) in flipped.chunks(5).zip(normalized.chunks(5)) {
            let reversed: Vec<f32> = row_in.iter().rev().copied().collect();
            assert_eq!(row_out, reversed.as_slice());
        }

        // Crop with padding 3 on a 4x5 image: find a draw with offset_y = 3, so only the last
        // source row lands in the first output row, the rest is padding.
        let augmentation = Augmentation {
            crop_padding: Some(3),
            horizontal_flip: false,
        };
        let crop = ImageBatcher::new(Some(n.clone()), Some(augmentation), 0);
        let (seed, t) = (0..10_000u64)
            .map(|s| (s, augmentation.draw(&mut Rng::new(s))))
            .find(|(_, t)| t.offset_y == 3 && t.offset_x == 0)
            .expect("some seed draws (3, 0)");
        assert_eq!(t.offset_x, 0);
        let cropped = host(&crop, &set, &[0], Some(seed)).images;
        for c in 0..3 {
            let plane = &cropped[c * 20..(c + 1) * 20];
            assert_eq!(&plane[..5], &normalized[c * 20 + 15..c * 20 + 20]);
            let pad = (0.0 - n.mean[c]) / n.std[c];
            assert!(plane[5..].iter().all(|&v| v == pad), "channel {c}");
        }
    }

    #[test]
    fn batcher_trait_equals_eval_path_without_augmentation() {
        let set = byte_set(5);
        let batcher = ImageBatcher::new(Some(norm3()), None, 3);
        let indices = vec![2, 4, 0];
        let items = set.get_many(indices.clone()).expect("in range");
        let device = device();
        let via_trait = batcher.batch(items, &device);
        let via_indices = batcher.batch_indices_eval(&set, &indices, &device);
        let floats = |t: Tensor<4>| t.into_data().try_to_vec::<f32>().expect("f32 data");
        let ints = |t: Tensor<1, Int>| {
            t.into_data()
                .convert::<i64>()
                .try_to_vec::<i64>()
                .expect("int data")
        };
        let a = floats(via_trait.images);
        assert_eq!(a, floats(via_indices.images));
        assert_eq!(a.len(), 3 * 60);
        assert_eq!(ints(via_trait.targets), vec![2, 4, 0]);
        assert_eq!(ints(via_indices.targets), vec![2, 4, 0]);
        // The indices path with an augmentation seed but no augmentation configured is the
        // eval path.
        let augmented = batcher.batch_indices(&set, &indices, 7, &device);
        assert_eq!(floats(augmented.images), a);
    }

    #[test]
    fn batches_have_the_right_shapes_and_dtypes() {
        let set = byte_set(7);
        let batcher = ImageBatcher::new(Some(norm3()), Some(Augmentation::cifar10()), 0);
        let device = device();
        let batch = batcher.batch_indices(&set, &[0, 1, 2, 3, 4], 1, &device);
        assert_eq!(batch.images.dims(), [5, 3, 4, 5]);
        assert_eq!(batch.targets.dims(), [5]);
        assert_eq!(batch.images.dtype(), DType::F32);
        assert!(matches!(batch.targets.dtype(), DType::I32 | DType::I64));
        let targets: Vec<i64> = batch
            .targets
            .into_data()
            .convert::<i64>()
            .try_to_vec::<i64>()
            .expect("ints");
        assert_eq!(targets, vec![0, 1, 2, 3, 4]);

        let empty = batcher.batch_indices_eval(&set, &[], &device);
        assert_eq!(empty.images.dims(), [0, 3, 4, 5]);
        let via_trait = batcher.batch(Vec::new(), &device);
        assert_eq!(via_trait.targets.dims(), [0]);
    }

    #[test]
    fn trait_path_augments_from_its_own_generator() {
        let set = float_set(4);
        let items = set.get_many(vec![0, 1, 2, 3]).expect("in range");
        let device = device();
        let a = ImageBatcher::new(None, Some(Augmentation::cifar10()), 5);
        let b = ImageBatcher::new(None, Some(Augmentation::cifar10()), 5);
        let floats = |t: Tensor<4>| t.into_data().try_to_vec::<f32>().expect("f32 data");
        let first_a = floats(a.batch(items.clone(), &device).images);
        let first_b = floats(b.batch(items.clone(), &device).images);
        assert_eq!(first_a, first_b);
        let second_a = floats(a.batch(items, &device).images);
        assert_ne!(first_a, second_a);
    }

    #[test]
    fn errors_instead_of_panics_on_the_try_paths() {
        let set = byte_set(3);
        let device = device();
        let batcher = ImageBatcher::new(Some(Normalization::fashion_mnist()), None, 0);
        assert!(batcher.check(&set).is_err());
        assert!(matches!(
            batcher.try_batch_indices_eval(&set, &[0], &device),
            Err(DataError::Invalid { .. })
        ));
        let plain = ImageBatcher::new(None, None, 0);
        assert!(plain.check(&set).is_ok());
        assert!(matches!(
            plain.try_batch_indices(&set, &[0, 3], 0, &device),
            Err(DataError::IndexOutOfRange { index: 3, len: 3 })
        ));
        let mut items = set.get_many(vec![0, 1]).expect("in range");
        items[1].image.pop();
        let mut out = HostBatch::default();
        assert!(plain.fill_items(&items, None, &mut out).is_err());
    }

    #[test]
    fn cifar_sized_batch_timing() {
        // 128 CIFAR-sized byte images with crop + flip: prints the host-side time per batch
        // (this crate is built at opt-level 0 in tests; optimized builds are far faster).
        let shape = ImageShape::new(3, 32, 32);
        let n = 512;
        let mut rng = Rng::new(3);
        let pixels = (0..n * shape.numel())
            .map(|_| rng.below(256) as u8)
            .collect();
        let labels = (0..n).map(|i| i % 10).collect();
        let set = ImageDataset::from_u8("c", shape, 10, pixels, labels).expect("valid");
        let batcher = ImageBatcher::new(
            Some(Normalization::cifar10()),
            Some(Augmentation::cifar10()),
            0,
        );
        let indices: Vec<usize> = crate::shuffled_indices(n, 1)[..128].to_vec();
        let mut out = HostBatch::default();
        let start = std::time::Instant::now();
        let rounds = 10;
        for round in 0..rounds {
            batcher
                .fill(&set, &indices, Some(round), &mut out)
                .expect("fills");
        }
        let per_batch = start.elapsed() / rounds as u32;
        eprintln!("fill of 128 x 3x32x32 with crop+flip: {per_batch:?} per batch");
        assert_eq!(out.images.len(), 128 * 3072);
    }

    #[test]
    fn without_normalization_bytes_are_scaled() {
        let set = byte_set(2);
        let batcher = ImageBatcher::new(None, None, 0);
        let batch = host(&batcher, &set, &[1], None);
        assert_eq!(batch.images, set.image(1).expect("in range"));
    }
}
