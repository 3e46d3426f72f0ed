//! [`SwaConfig`]: Stochastic Weight Averaging (Izmailov et al. 2018,
//! <https://arxiv.org/abs/1803.05407>), the equal-weight running mean of the weights.

use burn::config::Config;
use burn::module::Module;

use super::{AveragedModel, AveragingRule, BufferPolicy};

/// Configuration of an SWA average: the equal-weight mean of the weights at the update points
/// (every epoch, or every `k` steps, after `swa_start`: the caller decides when to call
/// [`AveragedModel::update`]).
#[derive(Config, Debug)]
pub struct SwaConfig {
    /// What updates do with batch-norm buffers (default: copy them, then recompute).
    #[config(default = "BufferPolicy::Copy")]
    pub buffers: BufferPolicy,
}

impl SwaConfig {
    /// Starts an SWA average of `live`; the first update copies its weights.
    pub fn init<M: Module>(&self, live: &M) -> AveragedModel<M> {
        AveragedModel::start(live, AveragingRule::Equal, self.buffers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::averaging::test_utils::{assert_tensors_close, linear_with, values};
    use burn::module::Param;
    use burn::nn::LinearConfig;
    use burn::tensor::Device;

    #[test]
    fn average_of_identical_models_is_that_model() {
        let device = Device::flex();
        let live = LinearConfig::new(4, 3).init(&device);
        let mut swa = SwaConfig::new().init(&live);
        for _ in 0..5 {
            swa.update(&live).expect("same model");
        }
        assert_eq!(swa.n_averaged(), 5);
        let avg = swa.model();
        assert_tensors_close(&values(&avg), &values(&live), 0.0);
        assert_eq!(avg.weight.id, live.weight.id);
    }

    // The mean of four known tensors, by hand: weights 1, 2, 4, 9 (x the pattern) average to 4;
    // biases -1, 0, 1, 8 average to 2.
    #[test]
    fn average_of_k_known_tensors_is_their_mean() {
        let device = Device::flex().autodiff();
        let base = LinearConfig::new(2, 3).init(&device);
        let pattern = [[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]];
        let scaled = |s: f32| pattern.map(|row| row.map(|v| v * s));
        let mut swa = SwaConfig::new().init(&base);
        for (s, b) in [(1.0, -1.0), (2.0, 0.0), (4.0, 1.0), (9.0, 8.0)] {
            swa.update(&linear_with(&base, scaled(s), [b, 2.0 * b, -b]))
                .expect("same model");
        }
        let expected = linear_with(&base, scaled(4.0), [2.0, 4.0, -2.0]).valid();
        assert_tensors_close(&values(&swa.model()), &values(&expected), 1e-6);
        // The average lives without autodiff, with the live model's ids.
        let avg = swa.into_model();
        assert!(!avg.weight.val().is_autodiff());
        assert_eq!(avg.weight.id, base.weight.id);
    }

    #[test]
    fn refuses_another_model() {
        let device = Device::flex();
        let live = LinearConfig::new(2, 3).init(&device);
        let mut swa = SwaConfig::new().init(&live);
        swa.update(&live).expect("same model");
        let before = values(&swa.model());
        let other = LinearConfig::new(2, 3).init(&device); // new ids
        let err = swa.update(&other).expect_err("other ids");
        assert!(err.to_string().contains("no tensor for"), "{err}");
        // Same ids, other shape.
        let mut wide = LinearConfig::new(2, 4).init(&device);
        wide.weight = Param::initialized(live.weight.id, wide.weight.val());
        assert!(swa.update(&wide).is_err());
        assert_eq!(swa.n_averaged(), 1);
        assert_tensors_close(&values(&swa.model()), &before, 0.0);
    }
}
