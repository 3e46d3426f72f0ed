//! Datasets generated from a seed: 10-class images, and 2-D spirals and blobs.
//!
//! Same config, same dataset, bit for bit on every platform: the draws come from
//! [`crate::rng`], and the generators' own `sin`/`cos` from [`libm`] too. Each generator separates the seed of what defines the classes (templates,
//! centers) from the seed of the samples, so a training and a test set drawn with different
//! sample seeds share their classes.

mod blobs;
mod images;
mod spirals;

pub use blobs::{BlobsConfig, blobs};
pub use images::SyntheticImagesConfig;
pub use spirals::{SpiralsConfig, spirals};

use crate::DataError;

/// Labels `0..num_classes` repeated to `num_samples`, then shuffled: every class has
/// `num_samples / num_classes` samples, the first `num_samples % num_classes` classes one more.
pub(crate) fn balanced_labels(
    num_samples: usize,
    num_classes: usize,
    rng: &mut crate::rng::Rng,
) -> Vec<usize> {
    let mut labels: Vec<usize> = (0..num_samples).map(|i| i % num_classes).collect();
    rng.shuffle(&mut labels);
    labels
}

/// The most values a generator will produce (2^30 `f32`s, 4 GiB).
pub(crate) const MAX_VALUES: usize = 1 << 30;

/// Checks a generator's sizes.
pub(crate) fn check_sizes(
    what: &'static str,
    num_samples: usize,
    num_classes: usize,
    numel: usize,
) -> Result<(), DataError> {
    if num_classes == 0 {
        return Err(DataError::invalid(what, "num_classes must be at least 1"));
    }
    if numel == 0 {
        return Err(DataError::invalid(what, "image sizes must be at least 1"));
    }
    match num_samples.checked_mul(numel) {
        Some(total) if total <= MAX_VALUES => Ok(()),
        _ => Err(DataError::invalid(
            what,
            format!("{num_samples} samples of {numel} values exceed {MAX_VALUES} values"),
        )),
    }
}

/// Checks that `value` is finite and at least 0.
pub(crate) fn check_non_negative(
    what: &'static str,
    field: &str,
    value: f32,
) -> Result<(), DataError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(DataError::invalid(
            what,
            format!("{field} = {value} must be a finite number >= 0"),
        ))
    }
}
