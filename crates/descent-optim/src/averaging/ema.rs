//! [`EmaConfig`]: an exponential moving average of the weights.

use burn::config::Config;
use burn::module::Module;

use super::{AveragedModel, AveragingRule, BufferPolicy};
use crate::OptimError;

/// Configuration of an exponential moving average of the weights:
/// `avg <- decay * avg + (1 - decay) * w` at each update, the first update copying `w`
/// (PyTorch's `AveragedModel(multi_avg_fn=get_ema_multi_avg_fn(decay))`).
#[derive(Config, Debug)]
pub struct EmaConfig {
    /// Weight of the old average, in [0, 1) (e.g. 0.999 when updating every step).
    pub decay: f64,
    /// What updates do with batch-norm buffers.
    #[config(default = "BufferPolicy::Copy")]
    pub buffers: BufferPolicy,
}

impl EmaConfig {
    /// Starts an EMA of `live`; the first update copies its weights.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `decay` when it is outside [0, 1).
    pub fn init<M: Module>(&self, live: &M) -> Result<AveragedModel<M>, OptimError> {
        AveragedModel::new(live, AveragingRule::Ema { decay: self.decay }, self.buffers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::averaging::test_utils::{assert_tensors_close, values};
    use burn::nn::LinearConfig;
    use burn::tensor::{Device, Tensor};

    // Hand-computed with decay 0.9 on a weight filled with the values 10, 20, 40, -10 in turn:
    //   update 1: copy            -> 10
    //   update 2: 0.9*10  + 0.1*20  = 11
    //   update 3: 0.9*11  + 0.1*40  = 13.9
    //   update 4: 0.9*13.9 + 0.1*(-10) = 11.51
    #[test]
    fn matches_a_hand_computed_sequence() {
        let device = Device::flex();
        let mut live = LinearConfig::new(3, 2).init(&device);
        let mut ema = EmaConfig::new(0.9).init(&live).expect("valid decay");
        for (value, expected) in [(10.0, 10.0), (20.0, 11.0), (40.0, 13.9), (-10.0, 11.51)] {
            live.weight = live
                .weight
                .map(|w| Tensor::<2>::full(w.dims(), value, &device));
            ema.update(&live).expect("same model");
            let got = ema.model().weight.val();
            let want = Tensor::<2>::full([3, 2], expected, &device);
            assert_tensors_close(&[got.reshape([6])], &[want.reshape([6])], 1e-5);
        }
        assert_eq!(ema.n_averaged(), 4);
        // The bias never changed: its average is itself.
        assert_tensors_close(&values(&ema.model())[1..], &values(&live)[1..], 1e-6);
    }

    #[test]
    fn rejects_decays_outside_the_unit_interval() {
        let device = Device::flex();
        let live = LinearConfig::new(3, 2).init(&device);
        for decay in [-0.1, 1.0, 1.5, f64::NAN] {
            match EmaConfig::new(decay).init(&live) {
                Err(OptimError::InvalidConfig { field, .. }) => assert_eq!(field, "decay"),
                other => panic!("decay {decay}: expected an error, got {other:?}"),
            }
        }
        assert!(EmaConfig::new(0.0).init(&live).is_ok());
    }
}
