//! Per-channel normalization `(x - mean) / std`.

use serde::{Deserialize, Serialize};

use crate::DataError;

/// Per-channel normalization: a value `x` of channel `c` becomes `(x - mean[c]) / std[c]`.
///
/// `x` is the value models see before normalization: byte / 255 for real images. Compute the
/// numbers from a training set with [`crate::ImageDataset::channel_stats`], or use a preset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    /// Mean of each channel.
    pub mean: Vec<f32>,
    /// Standard deviation of each channel (must be positive).
    pub std: Vec<f32>,
}

impl Normalization {
    /// A normalization from its means and standard deviations.
    ///
    /// # Errors
    ///
    /// [`DataError::Invalid`] if the lengths differ, are zero, or a value is not finite or a
    /// standard deviation is not positive.
    pub fn new(mean: Vec<f32>, std: Vec<f32>) -> Result<Self, DataError> {
        let normalization = Self { mean, std };
        normalization.validate(normalization.mean.len())?;
        Ok(normalization)
    }

    /// Mean 0 and std 1 for each channel: leaves values unchanged.
    pub fn identity(channels: usize) -> Self {
        Self {
            mean: vec![0.0; channels],
            std: vec![1.0; channels],
        }
    }

    /// The CIFAR-10 training-set statistics: mean `(0.4914, 0.4822, 0.4465)`, std
    /// `(0.2470, 0.2435, 0.2616)` (population std over all training pixels; some code uses
    /// `(0.2023, 0.1994, 0.2010)`, which is the mean of per-image stds, not the pixel std).
    pub fn cifar10() -> Self {
        Self {
            mean: vec![0.4914, 0.4822, 0.4465],
            std: vec![0.2470, 0.2435, 0.2616],
        }
    }

    /// The Fashion-MNIST training-set statistics: mean 0.2860, std 0.3530.
    pub fn fashion_mnist() -> Self {
        Self {
            mean: vec![0.2860],
            std: vec![0.3530],
        }
    }

    /// The MNIST training-set statistics: mean 0.1307, std 0.3081.
    pub fn mnist() -> Self {
        Self {
            mean: vec![0.1307],
            std: vec![0.3081],
        }
    }

    /// Number of channels.
    pub fn channels(&self) -> usize {
        self.mean.len()
    }

    /// Checks that this normalization fits images of `channels` channels.
    ///
    /// # Errors
    ///
    /// [`DataError::Invalid`] if `mean` or `std` does not have `channels` entries, `channels`
    /// is 0, a value is not finite, or a standard deviation is not positive.
    pub fn validate(&self, channels: usize) -> Result<(), DataError> {
        if channels == 0 || self.mean.len() != channels || self.std.len() != channels {
            return Err(DataError::invalid(
                "normalization",
                format!(
                    "{} means and {} stds for {channels} channels",
                    self.mean.len(),
                    self.std.len()
                ),
            ));
        }
        if let Some(m) = self.mean.iter().find(|m| !m.is_finite()) {
            return Err(DataError::invalid(
                "normalization",
                format!("mean {m} is not finite"),
            ));
        }
        if let Some(s) = self.std.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(DataError::invalid(
                "normalization",
                format!("std {s} is not a positive finite number"),
            ));
        }
        Ok(())
    }

    /// `(value - mean[channel]) / std[channel]`. Panics if `channel` is out of range.
    pub fn apply(&self, value: f32, channel: usize) -> f32 {
        (value - self.mean[channel]) / self.std[channel]
    }

    /// Normalizes a `C x H x W` image in place (`plane = H * W` values per channel). Panics if
    /// the image has more channels than this normalization.
    pub fn apply_chw(&self, image: &mut [f32], plane: usize) {
        if plane == 0 {
            return;
        }
        for (channel, values) in image.chunks_mut(plane).enumerate() {
            let (mean, std) = (self.mean[channel], self.std[channel]);
            for v in values {
                *v = (*v - mean) / std;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        for (n, channels) in [
            (Normalization::cifar10(), 3),
            (Normalization::fashion_mnist(), 1),
            (Normalization::mnist(), 1),
            (Normalization::identity(2), 2),
        ] {
            assert!(n.validate(channels).is_ok());
            assert!(n.validate(channels + 1).is_err());
        }
    }

    #[test]
    fn rejects_bad_values() {
        assert!(Normalization::new(vec![0.5], vec![0.0]).is_err());
        assert!(Normalization::new(vec![0.5], vec![-1.0]).is_err());
        assert!(Normalization::new(vec![f32::NAN], vec![1.0]).is_err());
        assert!(Normalization::new(vec![0.5, 0.5], vec![1.0]).is_err());
        assert!(Normalization::new(vec![], vec![]).is_err());
        assert!(Normalization::new(vec![0.5], vec![0.25]).is_ok());
    }

    #[test]
    fn applies_per_channel() {
        let n = Normalization::new(vec![0.5, 1.0], vec![0.25, 2.0]).expect("valid");
        let mut image = vec![0.0, 1.0, 1.0, 5.0];
        n.apply_chw(&mut image, 2);
        assert_eq!(image, vec![-2.0, 2.0, 0.0, 2.0]);
        assert_eq!(n.apply(0.75, 0), 1.0);
    }

    #[test]
    fn serde_round_trip() {
        let n = Normalization::cifar10();
        let json = serde_json::to_string(&n).expect("serializes");
        let back: Normalization = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, n);
    }
}
