//! [`ImageDataset`]: labelled images in shared storage, a Burn [`Dataset`] of [`ImageItem`]s.

use std::sync::Arc;

use burn::data::dataset::{Dataset, DatasetError};

use crate::rng::shuffled_indices;
use crate::{DataError, ImageShape, Normalization};

/// One labelled image, as Burn's `Dataset::get` hands it out.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageItem {
    /// The pixels, channels first (`C x H x W`, row-major). Real images are in `[0, 1]`
    /// (byte value / 255); 2-D point sets hold raw coordinates.
    pub image: Vec<f32>,
    /// The class, below the dataset's `num_classes()`.
    pub label: usize,
    /// The shape of `image` (the batcher needs it to build `[N, C, H, W]`).
    pub shape: ImageShape,
}

/// How pixel values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// One byte per value; the value seen by models is `byte / 255` (real image files).
    U8,
    /// One `f32` per value, used as is (synthetic and 2-D sets).
    F32,
}

/// The pixel storage, shared between clones and subsets.
#[derive(Clone)]
pub(crate) enum Pixels {
    U8(Arc<[u8]>),
    F32(Arc<[f32]>),
}

/// The pixels of one stored image.
#[derive(Clone, Copy)]
pub(crate) enum ImageRef<'a> {
    U8(&'a [u8]),
    F32(&'a [f32]),
}

/// Labelled images of one shape: a whole split of a dataset, or a view of one (subset).
///
/// Cheap to clone: pixels and labels live in `Arc`s, and a subset only holds an index list.
/// Real image files are kept as bytes (value = byte / 255), synthetic sets as `f32`.
#[derive(Clone)]
pub struct ImageDataset {
    name: Arc<str>,
    shape: ImageShape,
    num_classes: usize,
    pixels: Pixels,
    /// One label per stored image.
    labels: Arc<[u32]>,
    /// Positions in storage of the samples of this view; `None` means all, in storage order.
    view: Option<Arc<[usize]>>,
}

impl std::fmt::Debug for ImageDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageDataset")
            .field("name", &self.name)
            .field("len", &self.len())
            .field("shape", &self.shape)
            .field("num_classes", &self.num_classes)
            .field("pixel_format", &self.pixel_format())
            .finish()
    }
}

impl ImageDataset {
    /// A dataset from bytes (value seen by models = byte / 255), `C x H x W` per image, images
    /// one after the other.
    ///
    /// # Errors
    ///
    /// [`DataError::Invalid`] if `pixels.len() != labels.len() * shape.numel()`, the shape has a
    /// zero size, `num_classes` is 0, or a label is not below `num_classes`.
    pub fn from_u8(
        name: impl Into<String>,
        shape: ImageShape,
        num_classes: usize,
        pixels: Vec<u8>,
        labels: Vec<usize>,
    ) -> Result<Self, DataError> {
        Self::build(name.into(), shape, num_classes, pixels.len(), &labels).map(|(name, labels)| {
            Self::assemble(name, shape, num_classes, Pixels::U8(pixels.into()), labels)
        })
    }

    /// A dataset from `f32` values used as they are, `C x H x W` per image, images one after
    /// the other.
    ///
    /// # Errors
    ///
    /// As [`ImageDataset::from_u8`], and also if a value is not finite.
    pub fn from_f32(
        name: impl Into<String>,
        shape: ImageShape,
        num_classes: usize,
        pixels: Vec<f32>,
        labels: Vec<usize>,
    ) -> Result<Self, DataError> {
        if let Some(position) = pixels.iter().position(|v| !v.is_finite()) {
            return Err(DataError::invalid(
                "pixels",
                format!(
                    "value {} at position {position} is not finite",
                    pixels[position]
                ),
            ));
        }
        Self::build(name.into(), shape, num_classes, pixels.len(), &labels).map(|(name, labels)| {
            Self::assemble(name, shape, num_classes, Pixels::F32(pixels.into()), labels)
        })
    }

    /// Checks sizes and labels; returns the name and the compact labels.
    fn build(
        name: String,
        shape: ImageShape,
        num_classes: usize,
        num_values: usize,
        labels: &[usize],
    ) -> Result<(Arc<str>, Arc<[u32]>), DataError> {
        if shape.numel() == 0 {
            return Err(DataError::invalid(
                "image shape",
                format!("{shape} has a zero size"),
            ));
        }
        if num_classes == 0 || u32::try_from(num_classes).is_err() {
            return Err(DataError::invalid(
                "number of classes",
                format!("{num_classes} is not in 1..=u32::MAX"),
            ));
        }
        let expected = labels.len().checked_mul(shape.numel());
        if expected != Some(num_values) {
            return Err(DataError::invalid(
                "pixels",
                format!(
                    "{num_values} values for {} labels of shape {shape} (expected {})",
                    labels.len(),
                    labels.len().saturating_mul(shape.numel())
                ),
            ));
        }
        let mut compact = Vec::with_capacity(labels.len());
        for (index, &label) in labels.iter().enumerate() {
            if label >= num_classes {
                return Err(DataError::invalid(
                    "labels",
                    format!("label {label} at index {index} is not below {num_classes}"),
                ));
            }
            compact.push(label as u32);
        }
        Ok((name.into(), compact.into()))
    }

    fn assemble(
        name: Arc<str>,
        shape: ImageShape,
        num_classes: usize,
        pixels: Pixels,
        labels: Arc<[u32]>,
    ) -> Self {
        Self {
            name,
            shape,
            num_classes,
            pixels,
            labels,
            view: None,
        }
    }

    /// Builds a dataset from parts already checked by a loader (labels below `num_classes`,
    /// pixel count matching).
    pub(crate) fn from_checked_u8(
        name: String,
        shape: ImageShape,
        num_classes: usize,
        pixels: Vec<u8>,
        labels: Vec<u32>,
    ) -> Self {
        Self::assemble(
            name.into(),
            shape,
            num_classes,
            Pixels::U8(pixels.into()),
            labels.into(),
        )
    }

    /// The dataset's name, e.g. `"cifar10-train"`, `"fashion-mnist-test"`, `"synthetic-train"`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same samples under another name.
    pub fn with_name(&self, name: impl Into<String>) -> ImageDataset {
        let mut renamed = self.clone();
        renamed.name = name.into().into();
        renamed
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        match &self.view {
            Some(view) => view.len(),
            None => self.labels.len(),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shape of every image.
    pub fn shape(&self) -> ImageShape {
        self.shape
    }

    /// Number of classes; every label is below it.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// How the pixels are stored.
    pub fn pixel_format(&self) -> PixelFormat {
        match self.pixels {
            Pixels::U8(_) => PixelFormat::U8,
            Pixels::F32(_) => PixelFormat::F32,
        }
    }

    /// Position in storage of sample `index`, if it exists.
    pub(crate) fn stored_index(&self, index: usize) -> Option<usize> {
        match &self.view {
            Some(view) => view.get(index).copied(),
            None => (index < self.labels.len()).then_some(index),
        }
    }

    /// The label of sample `index`, or `None` past the end.
    pub fn label(&self, index: usize) -> Option<usize> {
        self.stored_index(index)
            .map(|stored| self.labels[stored] as usize)
    }

    /// All labels in sample order.
    pub fn labels(&self) -> Vec<usize> {
        (0..self.len())
            .filter_map(|index| self.label(index))
            .collect()
    }

    /// Number of samples of each class (length `num_classes()`).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes];
        for index in 0..self.len() {
            if let Some(label) = self.label(index) {
                counts[label] += 1;
            }
        }
        counts
    }

    /// The pixels of the stored image at `stored` (which must be a valid storage position).
    pub(crate) fn stored_image(&self, stored: usize) -> ImageRef<'_> {
        let numel = self.shape.numel();
        let range = stored * numel..(stored + 1) * numel;
        match &self.pixels {
            Pixels::U8(pixels) => ImageRef::U8(&pixels[range]),
            Pixels::F32(pixels) => ImageRef::F32(&pixels[range]),
        }
    }

    /// The label of the stored image at `stored` (which must be a valid storage position).
    pub(crate) fn stored_label(&self, stored: usize) -> usize {
        self.labels[stored] as usize
    }

    /// The image of sample `index` as `f32` values (bytes scaled by 1/255), or `None` past the
    /// end.
    pub fn image(&self, index: usize) -> Option<Vec<f32>> {
        let stored = self.stored_index(index)?;
        Some(match self.stored_image(stored) {
            ImageRef::U8(bytes) => bytes.iter().map(|&b| f32::from(b) / 255.0).collect(),
            ImageRef::F32(values) => values.to_vec(),
        })
    }

    /// Sample `index` as an [`ImageItem`], or `None` past the end.
    pub fn item(&self, index: usize) -> Option<ImageItem> {
        Some(ImageItem {
            image: self.image(index)?,
            label: self.label(index)?,
            shape: self.shape,
        })
    }

    /// The samples at `indices`, in that order (repeats allowed).
    ///
    /// # Errors
    ///
    /// [`DataError::IndexOutOfRange`] for the first index not below `len()`.
    pub fn subset(&self, indices: &[usize]) -> Result<ImageDataset, DataError> {
        let len = self.len();
        let stored = indices
            .iter()
            .map(|&index| {
                self.stored_index(index)
                    .ok_or(DataError::IndexOutOfRange { index, len })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut subset = self.clone();
        subset.view = Some(stored.into());
        Ok(subset)
    }

    /// The first `min(n, len())` samples.
    pub fn take(&self, n: usize) -> ImageDataset {
        let n = n.min(self.len());
        let stored: Vec<usize> = (0..n)
            .filter_map(|index| self.stored_index(index))
            .collect();
        let mut taken = self.clone();
        taken.view = Some(stored.into());
        taken
    }

    /// `min(n, len())` distinct samples chosen from `seed`, kept in their original order.
    ///
    /// The choice is the first `n` of [`shuffled_indices`]`(len(), seed)`, so it is the same on
    /// every platform.
    pub fn random_subset(&self, n: usize, seed: u64) -> ImageDataset {
        let mut chosen = shuffled_indices(self.len(), seed);
        chosen.truncate(n);
        chosen.sort_unstable();
        let stored: Vec<usize> = chosen
            .into_iter()
            .filter_map(|index| self.stored_index(index))
            .collect();
        let mut subset = self.clone();
        subset.view = Some(stored.into());
        subset
    }

    /// The samples in the order `shuffled_indices(len(), seed)`.
    pub fn shuffled(&self, seed: u64) -> ImageDataset {
        let order = shuffled_indices(self.len(), seed);
        let stored: Vec<usize> = order
            .into_iter()
            .filter_map(|index| self.stored_index(index))
            .collect();
        let mut shuffled = self.clone();
        shuffled.view = Some(stored.into());
        shuffled
    }

    /// Per-channel mean and standard deviation of the pixel values (bytes scaled to `[0, 1]`)
    /// over every pixel of every sample of this set.
    ///
    /// The standard deviation is the population one (divide by the count), as the published
    /// CIFAR-10 constants use. Sums are done in `f64` (bytes: exactly, from a histogram). An
    /// empty set gives mean 0 and std 1. A constant channel (all pixels equal, e.g. a blank
    /// set) gets std 1: it is centred but not scaled, instead of dividing by zero.
    pub fn channel_stats(&self) -> Normalization {
        let channels = self.shape.channels;
        let plane = self.shape.plane();
        let count = (self.len() * plane) as f64;
        if self.is_empty() {
            return Normalization::identity(channels);
        }
        let mut mean = vec![0.0f64; channels];
        let mut var = vec![0.0f64; channels];
        match &self.pixels {
            Pixels::U8(_) => {
                let mut histogram = vec![[0u64; 256]; channels];
                for index in 0..self.len() {
                    let Some(stored) = self.stored_index(index) else {
                        continue;
                    };
                    if let ImageRef::U8(bytes) = self.stored_image(stored) {
                        for (channel, plane_bytes) in bytes.chunks_exact(plane).enumerate() {
                            let h = &mut histogram[channel];
                            for &b in plane_bytes {
                                h[usize::from(b)] += 1;
                            }
                        }
                    }
                }
                for channel in 0..channels {
                    let h = &histogram[channel];
                    let m = h
                        .iter()
                        .enumerate()
                        .map(|(v, &n)| v as f64 / 255.0 * n as f64)
                        .sum::<f64>()
                        / count;
                    let v = h
                        .iter()
                        .enumerate()
                        .map(|(v, &n)| (v as f64 / 255.0 - m).powi(2) * n as f64)
                        .sum::<f64>()
                        / count;
                    mean[channel] = m;
                    var[channel] = v;
                }
            }
            Pixels::F32(_) => {
                for pass in 0..2 {
                    for index in 0..self.len() {
                        let Some(stored) = self.stored_index(index) else {
                            continue;
                        };
                        if let ImageRef::F32(values) = self.stored_image(stored) {
                            for (channel, plane_values) in values.chunks_exact(plane).enumerate() {
                                if pass == 0 {
                                    mean[channel] +=
                                        plane_values.iter().map(|&v| f64::from(v)).sum::<f64>();
                                } else {
                                    let m = mean[channel];
                                    var[channel] += plane_values
                                        .iter()
                                        .map(|&v| (f64::from(v) - m).powi(2))
                                        .sum::<f64>();
                                }
                            }
                        }
                    }
                    let target = if pass == 0 { &mut mean } else { &mut var };
                    for value in target.iter_mut() {
                        *value /= count;
                    }
                }
            }
        }
        Normalization {
            mean: mean.iter().map(|&m| m as f32).collect(),
            std: var
                .iter()
                .map(|&v| if v > 0.0 { v.sqrt() as f32 } else { 1.0 })
                .collect(),
        }
    }
}

impl Dataset<ImageItem> for ImageDataset {
    /// Sample `index`; an index past the end gives an `Err` wrapping
    /// [`DataError::IndexOutOfRange`] (not a panic).
    fn get(&self, index: usize) -> Result<ImageItem, DatasetError> {
        self.item(index).ok_or_else(|| {
            DatasetError::new(DataError::IndexOutOfRange {
                index,
                len: self.len(),
            })
        })
    }

    fn len(&self) -> usize {
        ImageDataset::len(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two 1x2x2 byte images and three 2x1x2 f32 images.
    fn bytes_set() -> ImageDataset {
        ImageDataset::from_u8(
            "bytes",
            ImageShape::new(1, 2, 2),
            3,
            vec![0, 51, 102, 255, 10, 20, 30, 40],
            vec![2, 0],
        )
        .expect("valid set")
    }

    fn float_set() -> ImageDataset {
        ImageDataset::from_f32(
            "floats",
            ImageShape::new(2, 1, 2),
            2,
            vec![
                1.0, 2.0, 10.0, 10.0, //
                3.0, 4.0, 20.0, 10.0, //
                5.0, 6.0, 30.0, 10.0,
            ],
            vec![0, 1, 1],
        )
        .expect("valid set")
    }

    #[test]
    fn items_scale_bytes() {
        let set = bytes_set();
        assert_eq!(set.len(), 2);
        assert_eq!(set.pixel_format(), PixelFormat::U8);
        let item = set.get(0).expect("in range");
        assert_eq!(item.label, 2);
        assert_eq!(item.image, vec![0.0, 51.0 / 255.0, 102.0 / 255.0, 1.0]);
        assert_eq!(item.shape, ImageShape::new(1, 2, 2));
        assert!(set.get(2).is_err());
        assert_eq!(set.label(2), None);
        assert_eq!(set.class_counts(), vec![1, 0, 1]);
    }

    #[test]
    fn constructors_reject_bad_input() {
        let shape = ImageShape::new(1, 1, 2);
        assert!(ImageDataset::from_u8("x", shape, 2, vec![1, 2, 3], vec![0, 1]).is_err());
        assert!(ImageDataset::from_u8("x", shape, 2, vec![1, 2], vec![2]).is_err());
        assert!(ImageDataset::from_u8("x", shape, 0, vec![], vec![]).is_err());
        assert!(ImageDataset::from_u8("x", ImageShape::new(0, 1, 1), 1, vec![], vec![]).is_err());
        assert!(ImageDataset::from_f32("x", shape, 2, vec![1.0, f32::NAN], vec![0]).is_err());
    }

    #[test]
    fn subsets_compose_and_check_range() {
        let set = float_set();
        let sub = set.subset(&[2, 0, 2]).expect("in range");
        assert_eq!(sub.len(), 3);
        assert_eq!(sub.labels(), vec![1, 0, 1]);
        assert_eq!(sub.image(0), Some(vec![5.0, 6.0, 30.0, 10.0]));
        let subsub = sub.subset(&[1]).expect("in range");
        assert_eq!(subsub.image(0), Some(vec![1.0, 2.0, 10.0, 10.0]));
        assert!(matches!(
            set.subset(&[0, 3]),
            Err(DataError::IndexOutOfRange { index: 3, len: 3 })
        ));
        assert!(matches!(
            sub.subset(&[3]),
            Err(DataError::IndexOutOfRange { index: 3, len: 3 })
        ));

        let first = set.take(2);
        assert_eq!(first.labels(), vec![0, 1]);
        assert_eq!(set.take(10).len(), 3);
        assert_eq!(sub.take(1).image(0), Some(vec![5.0, 6.0, 30.0, 10.0]));
        assert_eq!(set.take(0).len(), 0);
    }

    #[test]
    fn random_subset_is_seeded_sorted_and_distinct() {
        let labels: Vec<usize> = (0..100).map(|i| i % 10).collect();
        let pixels: Vec<f32> = (0..100).map(|i| i as f32).collect();
        let set = ImageDataset::from_f32("n", ImageShape::new(1, 1, 1), 10, pixels, labels)
            .expect("valid set");
        let a = set.random_subset(20, 5);
        let b = set.random_subset(20, 5);
        let values = |d: &ImageDataset| -> Vec<f32> {
            (0..d.len())
                .filter_map(|i| d.image(i))
                .map(|v| v[0])
                .collect()
        };
        assert_eq!(values(&a), values(&b));
        assert_eq!(a.len(), 20);
        let va = values(&a);
        assert!(
            va.windows(2).all(|w| w[0] < w[1]),
            "sorted and distinct: {va:?}"
        );
        assert_ne!(values(&a), values(&set.random_subset(20, 6)));
        assert_eq!(set.random_subset(1000, 1).len(), 100);
        let shuffled = set.shuffled(3);
        let mut vs = values(&shuffled);
        assert_ne!(vs, values(&set));
        vs.sort_by(f32::total_cmp);
        assert_eq!(vs, values(&set));
    }

    #[test]
    fn channel_stats_match_hand_computation() {
        // Floats: channel 0 holds 1..6, channel 1 holds 10, 10, 20, 10, 30, 10.
        let stats = float_set().channel_stats();
        let mean0 = 3.5f64;
        let var0 = (1..=6).map(|v| (f64::from(v) - mean0).powi(2)).sum::<f64>() / 6.0;
        let c1 = [10.0f64, 10.0, 20.0, 10.0, 30.0, 10.0];
        let mean1 = c1.iter().sum::<f64>() / 6.0;
        let var1 = c1.iter().map(|v| (v - mean1).powi(2)).sum::<f64>() / 6.0;
        assert!((f64::from(stats.mean[0]) - mean0).abs() < 1e-6);
        assert!((f64::from(stats.std[0]) - var0.sqrt()).abs() < 1e-6);
        assert!((f64::from(stats.mean[1]) - mean1).abs() < 1e-5);
        assert!((f64::from(stats.std[1]) - var1.sqrt()).abs() < 1e-5);

        // Bytes are scaled by 1/255 first.
        let stats = bytes_set().channel_stats();
        let values: Vec<f64> = [0.0, 51.0, 102.0, 255.0, 10.0, 20.0, 30.0, 40.0]
            .iter()
            .map(|v| v / 255.0)
            .collect();
        let mean = values.iter().sum::<f64>() / 8.0;
        let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 8.0).sqrt();
        assert!((f64::from(stats.mean[0]) - mean).abs() < 1e-7);
        assert!((f64::from(stats.std[0]) - std).abs() < 1e-7);

        // Stats follow the view.
        let one = bytes_set().subset(&[1]).expect("in range").channel_stats();
        assert!((f64::from(one.mean[0]) - 25.0 / 255.0).abs() < 1e-7);

        let empty = bytes_set().take(0).channel_stats();
        assert_eq!(empty, Normalization::identity(1));
    }

    #[test]
    fn a_constant_channel_is_centred_not_divided_by_zero() {
        let blank =
            ImageDataset::from_u8("blank", ImageShape::new(1, 2, 2), 2, vec![7; 8], vec![0, 1])
                .expect("valid set");
        let stats = blank.channel_stats();
        assert_eq!(stats.std, vec![1.0]);
        assert!((stats.mean[0] - 7.0 / 255.0).abs() < 1e-7);
        assert!(stats.validate(1).is_ok());
    }
}
