//! Interleaved 2-D spirals, one arm per class.

use burn::config::Config;

use super::{balanced_labels, check_non_negative, check_sizes};
use crate::rng::{Rng, derive_seed};
use crate::{DataError, ImageDataset, ImageShape};

/// Interleaved spirals: class `k` of `K` is the arm
/// `r = 0.1 + 0.9 t`, `angle = 2 pi (k / K + turns * t)` for `t` uniform in `[0, 1)`, plus
/// Gaussian noise of std `noise` on each coordinate. Points are stored as `2 x 1 x 1` "images"
/// `(x, y)`, so the image batcher and an MLP take them as they are.
#[derive(Config, Debug)]
pub struct SpiralsConfig {
    /// Number of points.
    pub num_samples: usize,
    /// Number of arms (classes).
    #[config(default = 3)]
    pub num_classes: usize,
    /// Turns of each arm from the centre to the rim.
    #[config(default = 1.0)]
    pub turns: f32,
    /// Standard deviation of the Gaussian noise added to each coordinate.
    #[config(default = 0.05)]
    pub noise: f32,
    /// Seed of the points (the arms themselves do not depend on it).
    #[config(default = 0)]
    pub seed: u64,
}

impl SpiralsConfig {
    /// Generates the points, named `"spirals"`.
    ///
    /// # Errors
    ///
    /// [`DataError::Invalid`] for zero classes, a negative or non-finite `noise` or `turns`, or
    /// more than 2^29 points.
    pub fn generate(&self) -> Result<ImageDataset, DataError> {
        const WHAT: &str = "spirals config";
        check_sizes(WHAT, self.num_samples, self.num_classes, 2)?;
        check_non_negative(WHAT, "noise", self.noise)?;
        check_non_negative(WHAT, "turns", self.turns)?;
        let mut rng = Rng::new(derive_seed(self.seed, 0x5350_4952));
        let labels = balanced_labels(self.num_samples, self.num_classes, &mut rng);
        let mut points = Vec::with_capacity(2 * self.num_samples);
        let (k_total, turns, noise) = (
            self.num_classes as f64,
            f64::from(self.turns),
            f64::from(self.noise),
        );
        for &label in &labels {
            let t = rng.uniform();
            let radius = 0.1 + 0.9 * t;
            let angle = std::f64::consts::TAU * (label as f64 / k_total + turns * t);
            let x = radius * libm::cos(angle) + noise * rng.normal();
            let y = radius * libm::sin(angle) + noise * rng.normal();
            points.push(x as f32);
            points.push(y as f32);
        }
        ImageDataset::from_f32(
            "spirals",
            ImageShape::new(2, 1, 1),
            self.num_classes,
            points,
            labels,
        )
    }
}

/// `num_samples` points on `num_classes` spirals (one turn each) with coordinate noise
/// `noise`, from `seed`: [`SpiralsConfig`] with these fields.
///
/// # Errors
///
/// As [`SpiralsConfig::generate`].
pub fn spirals(
    num_samples: usize,
    num_classes: usize,
    noise: f32,
    seed: u64,
) -> Result<ImageDataset, DataError> {
    SpiralsConfig::new(num_samples)
        .with_num_classes(num_classes)
        .with_noise(noise)
        .with_seed(seed)
        .generate()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_lie_on_their_arms() {
        let set = SpiralsConfig::new(300)
            .with_noise(0.0)
            .with_seed(4)
            .generate()
            .expect("generates");
        assert_eq!(set.shape(), ImageShape::new(2, 1, 1));
        assert_eq!(set.class_counts(), vec![100, 100, 100]);
        for index in 0..set.len() {
            let p = set.image(index).expect("in range");
            let label = set.label(index).expect("in range") as f64;
            let (x, y) = (f64::from(p[0]), f64::from(p[1]));
            let radius = x.hypot(y);
            assert!((0.099..=1.0).contains(&radius));
            let t = (radius - 0.1) / 0.9;
            let angle = std::f64::consts::TAU * (label / 3.0 + t);
            assert!(
                (x - radius * angle.cos()).abs() < 1e-5 && (y - radius * angle.sin()).abs() < 1e-5
            );
        }
    }

    #[test]
    fn deterministic_and_checked() {
        let a = spirals(50, 4, 0.1, 9).expect("generates");
        let b = spirals(50, 4, 0.1, 9).expect("generates");
        let c = spirals(50, 4, 0.1, 10).expect("generates");
        let values = |d: &ImageDataset| (0..d.len()).filter_map(|i| d.image(i)).collect::<Vec<_>>();
        assert_eq!(values(&a), values(&b));
        assert_eq!(a.labels(), b.labels());
        assert_ne!(values(&a), values(&c));
        assert!(spirals(10, 0, 0.1, 0).is_err());
        assert!(spirals(10, 2, -0.1, 0).is_err());
        assert!(spirals(10, 2, f32::NAN, 0).is_err());
    }
}
