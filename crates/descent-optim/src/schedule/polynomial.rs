//! Polynomial decay to an end rate over `total_iters` steps (PyTorch `PolynomialLR`).

use burn::config::Config;

use super::counter::counter_scheduler;
use super::validate::{at_least_one, non_negative, positive};
use crate::OptimError;

/// Configuration of [`PolynomialLr`].
///
/// `total_iters` counts calls to `step()` (batches in our trainer); see
/// [`ScheduleConfig`](super::ScheduleConfig) to give it in epochs.
#[derive(Config, Debug)]
pub struct PolynomialLrConfig {
    /// The rate of the first step (finite, > 0).
    pub initial_lr: f64,
    /// Steps over which the rate decays; afterwards it stays at `end_lr` (>= 1).
    pub total_iters: usize,
    /// Power of the polynomial (finite, > 0; 1 is linear).
    #[config(default = "super::defaults::POLY_POWER")]
    pub power: f64,
    /// The rate reached after `total_iters` steps (finite, >= 0). PyTorch's `PolynomialLR` has no
    /// such parameter and always decays to 0, which is the default here.
    #[config(default = "super::defaults::POLY_END_LR")]
    pub end_lr: f64,
}

impl PolynomialLrConfig {
    /// Builds the schedule.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `initial_lr`, `total_iters`, `power` or `end_lr`.
    pub fn init(&self) -> Result<PolynomialLr, OptimError> {
        Ok(PolynomialLr {
            initial_lr: positive("initial_lr", self.initial_lr)?,
            total_iters: at_least_one("total_iters", self.total_iters)?,
            power: positive("power", self.power)?,
            end_lr: non_negative("end_lr", self.end_lr)?,
            position: 0,
        })
    }
}

/// `lr(t) = end_lr + (initial_lr - end_lr) * (1 - min(t, T) / T)^power` with `T = total_iters`.
///
/// With `end_lr = 0` this is PyTorch `PolynomialLR`'s closed form (PyTorch's `step()` multiplies
/// recursively; the two agree to rounding).
#[derive(Clone, Debug, PartialEq)]
pub struct PolynomialLr {
    initial_lr: f64,
    total_iters: usize,
    power: f64,
    end_lr: f64,
    position: usize,
}

impl PolynomialLr {
    /// The rate of step `t` (0-based), without changing the state.
    pub fn lr_at(&self, t: usize) -> f64 {
        let done = t.min(self.total_iters) as f64 / self.total_iters as f64;
        self.end_lr + (self.initial_lr - self.end_lr) * (1.0 - done).powf(self.power)
    }
}

counter_scheduler!(PolynomialLr);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::{
        TORCH_RTOL, assert_close, assert_invalid, check_resume, take,
    };

    // PyTorch reference (poly.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python poly.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import PolynomialLR
    //
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = PolynomialLR(opt, total_iters=80, power=0.9)
    //     lrs = []
    //     for _ in range(120):
    //         lrs.append(opt.param_groups[0]["lr"])
    //         opt.step()
    //         sched.step()
    //     print(lrs)
    #[test]
    fn matches_torch() {
        const TORCH: [f64; 120] = [
            0.1,
            0.09887429363102976,
            0.09774716137503496,
            0.09661858310936049,
            0.09548853816214999,
            0.09435700528992709,
            0.09322396265394997,
            0.09208938779525476,
            0.09095325760829624,
            0.08981554831308604,
            0.08867623542572074,
            0.08753529372718215,
            0.08639269723028194,
            0.08524841914461168,
            0.08410243183934578,
            0.08295470680373178,
            0.08180521460508587,
            0.08065392484409503,
            0.07950080610720743,
            0.07834582591587101,
            0.07718895067235707,
            0.07603014560187754,
            0.07486937469067591,
            0.0737066006197368,
            0.07254178469372201,
            0.0713748867646978,
            0.07020586515016962,
            0.06903467654488618,
            0.06786127592581252,
            0.0666856164496011,
            0.06550764934180989,
            0.0643273237770244,
            0.06314458674893554,
            0.06195938292930485,
            0.06077165451460893,
            0.0595813410589957,
            0.05838837929199805,
            0.05719270291923576,
            0.05599424240408454,
            0.054792924727996836,
            0.05358867312681467,
            0.05238140680000753,
            0.05117104058928824,
            0.04995748462248903,
            0.048740643917899555,
            0.04752041794345412,
            0.04629670012417446,
            0.045069377290089106,
            0.04383832905540871,
            0.04260342711797409,
            0.041364534465827635,
            0.040121504475076425,
            0.03887417987987636,
            0.03762239159117669,
            0.03636595733556944,
            0.03510468007884245,
            0.03383834619016499,
            0.03256672329159089,
            0.03128955772283357,
            0.030006571531761103,
            0.028717458874925883,
            0.027421881676983333,
            0.02611946434906786,
            0.024809787298045442,
            0.02349237886176038,
            0.022166705165320957,
            0.020832157186556895,
            0.019488034005995178,
            0.018133520731367456,
            0.016767658810915263,
            0.01538930516681145,
            0.013997074372496865,
            0.01258925411794167,
            0.011163676619968203,
            0.00971751315111567,
            0.00824692444233059,
            0.006746414238367822,
            0.0052074863586066035,
            0.003615313873979815,
            0.0019373987344354154,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        ];
        let mut schedule = PolynomialLrConfig::new(0.1, 80)
            .with_power(0.9)
            .init()
            .expect("valid");
        assert_close(&take(&mut schedule, TORCH.len()), &TORCH, TORCH_RTOL);
    }

    #[test]
    fn decays_to_the_end_rate_and_stays() {
        let mut schedule = PolynomialLrConfig::new(0.1, 4)
            .with_power(2.0)
            .with_end_lr(0.02)
            .init()
            .expect("valid");
        let expected = [0.1, 0.065, 0.04, 0.025, 0.02, 0.02, 0.02];
        assert_close(&take(&mut schedule, expected.len()), &expected, 1e-12);
    }

    #[test]
    fn resumes() {
        let schedule = PolynomialLrConfig::new(0.1, 80)
            .with_power(0.9)
            .init()
            .expect("valid");
        check_resume(&schedule, &[0, 40, 80, 100], 30);
    }

    #[test]
    fn rejects_invalid_configs() {
        assert_invalid(PolynomialLrConfig::new(-1.0, 10).init(), "initial_lr");
        assert_invalid(PolynomialLrConfig::new(0.1, 0).init(), "total_iters");
        assert_invalid(
            PolynomialLrConfig::new(0.1, 10).with_power(0.0).init(),
            "power",
        );
        assert_invalid(
            PolynomialLrConfig::new(0.1, 10).with_end_lr(-0.1).init(),
            "end_lr",
        );
    }
}
