//! Gaussian blobs in 2-D, one per class.

use burn::config::Config;

use super::{balanced_labels, check_non_negative, check_sizes};
use crate::rng::{Rng, derive_seed};
use crate::{DataError, ImageDataset, ImageShape};

/// Gaussian blobs: class `k` of `K` is centred at `radius * (cos a_k, sin a_k)` with
/// `a_k = 2 pi k / K + rotation`, where `rotation` is drawn from `centers_seed`; points are
/// centre plus Gaussian noise of std `std` per coordinate, from `seed`. Stored as `2 x 1 x 1`
/// "images" `(x, y)`.
///
/// A training and a test set share their centres when they share `centers_seed`.
#[derive(Config, Debug)]
pub struct BlobsConfig {
    /// Number of points.
    pub num_samples: usize,
    /// Number of blobs (classes).
    #[config(default = 3)]
    pub num_classes: usize,
    /// Standard deviation of each blob, per coordinate.
    #[config(default = 0.25)]
    pub std: f32,
    /// Distance of the centres from the origin.
    #[config(default = 1.0)]
    pub radius: f32,
    /// Seed of the points.
    #[config(default = 0)]
    pub seed: u64,
    /// Seed of the centres' rotation.
    #[config(default = 0)]
    pub centers_seed: u64,
}

impl BlobsConfig {
    /// The centre of each class, `[x, y]`.
    pub fn centers(&self) -> Vec<[f64; 2]> {
        let mut rng = Rng::new(derive_seed(self.centers_seed, 0x424c_4f42));
        let rotation = rng.uniform_in(0.0, std::f64::consts::TAU);
        let radius = f64::from(self.radius);
        (0..self.num_classes)
            .map(|k| {
                let angle = std::f64::consts::TAU * k as f64 / self.num_classes as f64 + rotation;
                [radius * libm::cos(angle), radius * libm::sin(angle)]
            })
            .collect()
    }

    /// Generates the points, named `"blobs"`.
    ///
    /// # Errors
    ///
    /// [`DataError::Invalid`] for zero classes, a negative or non-finite `std` or `radius`, or
    /// more than 2^29 points.
    pub fn generate(&self) -> Result<ImageDataset, DataError> {
        const WHAT: &str = "blobs config";
        check_sizes(WHAT, self.num_samples, self.num_classes, 2)?;
        check_non_negative(WHAT, "std", self.std)?;
        check_non_negative(WHAT, "radius", self.radius)?;
        let centers = self.centers();
        let mut rng = Rng::new(derive_seed(self.seed, 0x5041_5453));
        let labels = balanced_labels(self.num_samples, self.num_classes, &mut rng);
        let std = f64::from(self.std);
        let mut points = Vec::with_capacity(2 * self.num_samples);
        for &label in &labels {
            let [cx, cy] = centers[label];
            points.push((cx + std * rng.normal()) as f32);
            points.push((cy + std * rng.normal()) as f32);
        }
        ImageDataset::from_f32(
            "blobs",
            ImageShape::new(2, 1, 1),
            self.num_classes,
            points,
            labels,
        )
    }
}

/// `num_samples` points in `num_classes` blobs of std `std` on the unit circle, points from
/// `seed`, centres from `centers_seed`: [`BlobsConfig`] with these fields.
///
/// # Errors
///
/// As [`BlobsConfig::generate`].
pub fn blobs(
    num_samples: usize,
    num_classes: usize,
    std: f32,
    seed: u64,
    centers_seed: u64,
) -> Result<ImageDataset, DataError> {
    BlobsConfig::new(num_samples)
        .with_num_classes(num_classes)
        .with_std(std)
        .with_seed(seed)
        .with_centers_seed(centers_seed)
        .generate()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_means_are_the_centres() {
        let config = BlobsConfig::new(4000)
            .with_num_classes(4)
            .with_std(0.2)
            .with_seed(1);
        let set = config.generate().expect("generates");
        assert_eq!(set.class_counts(), vec![1000; 4]);
        let mut sums = [[0.0f64; 2]; 4];
        for index in 0..set.len() {
            let p = set.image(index).expect("in range");
            let label = set.label(index).expect("in range");
            sums[label][0] += f64::from(p[0]);
            sums[label][1] += f64::from(p[1]);
        }
        for (sum, center) in sums.iter().zip(config.centers()) {
            assert!((sum[0] / 1000.0 - center[0]).abs() < 0.03);
            assert!((sum[1] / 1000.0 - center[1]).abs() < 0.03);
            assert!((center[0].hypot(center[1]) - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn train_and_test_share_centres() {
        let train = blobs(30, 3, 0.0, 1, 7).expect("generates");
        let test = blobs(30, 3, 0.0, 2, 7).expect("generates");
        let point_of = |d: &ImageDataset, class: usize| {
            (0..d.len())
                .find(|&i| d.label(i) == Some(class))
                .and_then(|i| d.image(i))
        };
        for class in 0..3 {
            assert_eq!(point_of(&train, class), point_of(&test, class));
        }
        let other = blobs(30, 3, 0.0, 1, 8).expect("generates");
        assert_ne!(point_of(&train, 0), point_of(&other, 0));
        assert!(blobs(3, 3, -1.0, 0, 0).is_err());
    }
}
