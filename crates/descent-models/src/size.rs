//! How large a model is, known from its configuration before anything is allocated: its
//! parameter count and the activations one sample leaves for the backward pass.
//!
//! A command line can ask for a hidden layer of 10^11 units or a VGG a thousand times wide;
//! building it would abort on a failed allocation. [`ModelConfig::size`](crate::ModelConfig::size)
//! computes the sizes in 128-bit arithmetic with every product checked, so a caller can
//! compare them with the memory it has and refuse with a clear error first.

use crate::{MlpConfig, ModelError, VggConfig, VggLayer};

/// Bytes of one parameter or activation value (`f32`).
pub const BYTES_PER_VALUE: u128 = 4;

/// The sizes of a model, from its configuration alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSize {
    /// Trainable parameters (PyTorch's count, as `num_params`).
    pub params: u128,
    /// Values one sample's forward pass produces, one tensor per layer output (the input,
    /// each convolution's or linear layer's output): a lower bound on what autodiff keeps
    /// per sample for the backward pass.
    pub activations_per_sample: u128,
}

impl ModelSize {
    /// Bytes of the weights alone.
    pub fn weight_bytes(&self) -> u128 {
        self.params.saturating_mul(BYTES_PER_VALUE)
    }

    /// A lower bound on the bytes one training step with `batch` samples needs: the weights,
    /// their gradients, and one value per activation of every sample. The optimizer's state
    /// (momentum, Adam's moments) and the backend's temporaries come on top.
    pub fn training_bytes(&self, batch: usize) -> u128 {
        let values = self
            .params
            .saturating_mul(2)
            .saturating_add(self.activations_per_sample.saturating_mul(batch as u128));
        values.saturating_mul(BYTES_PER_VALUE)
    }
}

/// `a * b + c`, or [`ModelError::TooLarge`] naming `model` when it does not fit in 128 bits.
fn mul_add(a: u128, b: u128, c: u128, model: &dyn Fn() -> String) -> Result<u128, ModelError> {
    a.checked_mul(b)
        .and_then(|p| p.checked_add(c))
        .ok_or_else(|| ModelError::TooLarge { model: model() })
}

impl MlpConfig {
    /// The parameter count and activations per sample, with overflow checked.
    ///
    /// # Errors
    ///
    /// [`ModelError::TooLarge`] when a count does not fit in 128 bits.
    pub fn size(&self) -> Result<ModelSize, ModelError> {
        let name = || self.describe();
        let sizes = self.layer_sizes();
        let mut params = 0u128;
        let mut activations = sizes.first().map_or(0, |&n| n as u128);
        for w in sizes.windows(2) {
            let (a, b) = (w[0] as u128, w[1] as u128);
            let layer = mul_add(a, b, b, &name)?;
            params = mul_add(1, params, layer, &name)?;
            activations = mul_add(1, activations, b, &name)?;
        }
        Ok(ModelSize {
            params,
            activations_per_sample: activations,
        })
    }
}

impl VggConfig {
    /// The parameter count and activations per sample, with overflow checked (a width
    /// multiplier of 10^300 gives channel counts no `usize` holds).
    ///
    /// # Errors
    ///
    /// [`ModelError::TooLarge`] when a count does not fit in 128 bits.
    pub fn size(&self) -> Result<ModelSize, ModelError> {
        let name = || self.describe();
        let scale = |c: usize| -> u128 {
            let scaled = (c as f64 * self.width + 0.5).floor();
            if scaled >= u128::MAX as f64 {
                u128::MAX
            } else {
                (scaled as u128).max(1)
            }
        };
        let bn = |c: u128| {
            if self.batch_norm {
                2 * c.min(u128::MAX / 2)
            } else {
                0
            }
        };
        let mut channels = self.in_channels as u128;
        let mut side = self.image_size as u128;
        let mut params = 0u128;
        let mut activations = mul_add(channels, mul_add(side, side, 0, &name)?, 0, &name)?;
        for layer in self.depth.layers() {
            match *layer {
                VggLayer::Conv(c) => {
                    let out = scale(c);
                    let weights = mul_add(channels, out, 0, &name)?;
                    let layer = mul_add(weights, 9, out, &name)?;
                    params = mul_add(1, params, layer, &name)?;
                    params = mul_add(1, params, bn(out), &name)?;
                    let map = mul_add(out, mul_add(side, side, 0, &name)?, 0, &name)?;
                    activations = mul_add(1, activations, map, &name)?;
                    channels = out;
                }
                VggLayer::MaxPool => {
                    if side >= 2 {
                        side /= 2;
                    }
                }
            }
        }
        let mut features = mul_add(channels, mul_add(side, side, 0, &name)?, 0, &name)?;
        if let Some(h) = self.depth.hidden_features() {
            let h = scale(h);
            let layer = mul_add(features, h, h, &name)?;
            params = mul_add(1, params, layer, &name)?;
            params = mul_add(1, params, bn(h), &name)?;
            activations = mul_add(1, activations, h, &name)?;
            features = h;
        }
        let classes = self.num_classes as u128;
        let layer = mul_add(features, classes, classes, &name)?;
        params = mul_add(1, params, layer, &name)?;
        activations = mul_add(1, activations, classes, &name)?;
        Ok(ModelSize {
            params,
            activations_per_sample: activations,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{Activation, MlpConfig, ModelConfig, ModelError, VggConfig, VggDepth};

    #[test]
    fn sizes_match_the_parameter_counts() {
        let configs: Vec<ModelConfig> = vec![
            MlpConfig::new(784, vec![256, 128], 10).into(),
            MlpConfig::new(2, vec![], 3)
                .with_activation(Activation::Tanh)
                .into(),
            VggConfig::new(VggDepth::Vgg9).with_width(0.125).into(),
            VggConfig::new(VggDepth::Vgg16)
                .with_batch_norm(false)
                .with_in_channels(1)
                .with_image_size(28)
                .into(),
        ];
        for config in configs {
            let size = config.size().expect("fits");
            assert_eq!(size.params, config.num_params() as u128, "{config:?}");
        }
    }

    #[test]
    fn activations_count_every_layer_output() {
        // 784 inputs, then 256, 128 and 10 outputs.
        let mlp = MlpConfig::new(784, vec![256, 128], 10)
            .size()
            .expect("fits");
        assert_eq!(mlp.activations_per_sample, 784 + 256 + 128 + 10);
        // VGG-11 x1 on 3x32x32: conv maps 64x32², 128x16², 256x8² twice, 512x4² twice,
        // 512x2² twice (each before its pool), then 10 logits.
        let vgg = VggConfig::new(VggDepth::Vgg11).size().expect("fits");
        let maps = 3 * 32 * 32
            + 64 * 32 * 32
            + 128 * 16 * 16
            + 2 * 256 * 8 * 8
            + 2 * 512 * 4 * 4
            + 2 * 512 * 2 * 2;
        assert_eq!(vgg.activations_per_sample, (maps + 10) as u128);
        assert_eq!(
            vgg.training_bytes(2),
            4 * (2 * vgg.params + 2 * (maps + 10) as u128)
        );
    }

    #[test]
    fn sizes_beyond_any_memory_are_errors_not_overflows() {
        let huge = MlpConfig::new(usize::MAX, vec![usize::MAX, usize::MAX], 10);
        assert!(matches!(huge.size(), Err(ModelError::TooLarge { .. })));
        let wide = VggConfig::new(VggDepth::Vgg19).with_width(1e300);
        assert!(matches!(wide.size(), Err(ModelError::TooLarge { .. })));
        // Large but countable: 10^11 hidden units on two inputs.
        let big = MlpConfig::new(2, vec![100_000_000_000], 3)
            .size()
            .expect("fits");
        assert_eq!(
            big.params,
            2 * 100_000_000_000 + 100_000_000_000 + 3 * 100_000_000_000 + 3
        );
    }
}
