//! Exponential decay: multiply the rate by `gamma` at every step (PyTorch `ExponentialLR`).

use burn::config::Config;

use super::counter::counter_scheduler;
use super::validate::positive;
use crate::OptimError;

/// Configuration of [`ExponentialLr`].
///
/// `gamma` applies per call to `step()` (per batch in our trainer); see
/// [`ScheduleConfig`](super::ScheduleConfig) for a per-epoch `gamma`.
#[derive(Config, Debug)]
pub struct ExponentialLrConfig {
    /// The rate of the first step (finite, > 0).
    pub initial_lr: f64,
    /// Multiplicative factor per step (finite, > 0; above 1 the rate grows, as in a range test).
    pub gamma: f64,
}

impl ExponentialLrConfig {
    /// Builds the schedule.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `initial_lr` or `gamma`.
    pub fn init(&self) -> Result<ExponentialLr, OptimError> {
        Ok(ExponentialLr {
            initial_lr: positive("initial_lr", self.initial_lr)?,
            gamma: positive("gamma", self.gamma)?,
            position: 0,
        })
    }
}

/// `lr(t) = initial_lr * gamma^t`, PyTorch `ExponentialLR`'s closed form (PyTorch's `step()`
/// multiplies recursively; the two agree to ~1e-14 relative over hundreds of steps).
#[derive(Clone, Debug, PartialEq)]
pub struct ExponentialLr {
    initial_lr: f64,
    gamma: f64,
    position: usize,
}

impl ExponentialLr {
    /// The rate of step `t` (0-based), without changing the state.
    pub fn lr_at(&self, t: usize) -> f64 {
        self.initial_lr * self.gamma.powf(t as f64)
    }
}

counter_scheduler!(ExponentialLr);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::{
        TORCH_RTOL, assert_close, assert_invalid, check_resume, take,
    };

    // PyTorch reference (exponential.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python exponential.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import ExponentialLR
    //
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = ExponentialLR(opt, gamma=0.97)
    //     lrs = []
    //     for _ in range(150):
    //         lrs.append(opt.param_groups[0]["lr"])
    //         opt.step()
    //         sched.step()
    //     print(lrs)
    #[test]
    fn matches_torch() {
        const TORCH: [f64; 150] = [
            0.1,
            0.097,
            0.09409000000000001,
            0.09126730000000001,
            0.088529281,
            0.08587340257,
            0.08329720049289999,
            0.08079828447811299,
            0.0783743359437696,
            0.0760231058654565,
            0.0737424126894928,
            0.07153014030880801,
            0.06938423609954376,
            0.06730270901655745,
            0.06528362774606072,
            0.0633251189136789,
            0.06142536534626853,
            0.05958260438588047,
            0.05779512625430405,
            0.05606127246667493,
            0.05437943429267468,
            0.05274805126389444,
            0.051165609725977605,
            0.04963064143419828,
            0.048141722191172326,
            0.04669747052543716,
            0.04529654640967404,
            0.04393765001738382,
            0.042619520516862304,
            0.04134093490135644,
            0.04010070685431574,
            0.03889768564868627,
            0.037730755079225686,
            0.036598832426848915,
            0.03550086745404345,
            0.034435841430422144,
            0.03340276618750948,
            0.032400683201884196,
            0.03142866270582767,
            0.03048580282465284,
            0.029571228739913254,
            0.028684091877715857,
            0.02782356912138438,
            0.02698886204774285,
            0.026179196186310563,
            0.025393820300721244,
            0.024632005691699606,
            0.023893045520948616,
            0.023176254155320156,
            0.022480966530660552,
            0.021806537534740735,
            0.021152341408698514,
            0.02051777116643756,
            0.019902238031444433,
            0.0193051708905011,
            0.018726015763786068,
            0.018164235290872487,
            0.017619308232146313,
            0.01709072898518192,
            0.016578007115626462,
            0.01608066690215767,
            0.015598246895092939,
            0.01513029948824015,
            0.014676390503592944,
            0.014236098788485156,
            0.013809015824830602,
            0.013394745350085684,
            0.012992902989583112,
            0.012603115899895618,
            0.01222502242289875,
            0.011858271750211787,
            0.011502523597705433,
            0.011157447889774269,
            0.01082272445308104,
            0.010498042719488608,
            0.01018310143790395,
            0.00987760839476683,
            0.009581280142923825,
            0.00929384173863611,
            0.009015026486477026,
            0.008744575691882715,
            0.008482238421126234,
            0.008227771268492447,
            0.007980938130437673,
            0.007741509986524542,
            0.007509264686928806,
            0.007283986746320942,
            0.007065467143931314,
            0.006853503129613374,
            0.006647898035724973,
            0.006448461094653224,
            0.006255007261813627,
            0.006067357043959218,
            0.005885336332640441,
            0.0057087762426612275,
            0.005537512955381391,
            0.005371387566719949,
            0.0052102459397183505,
            0.0050539385615268,
            0.004902320404680996,
            0.004755250792540566,
            0.004612593268764349,
            0.004474215470701419,
            0.004339989006580377,
            0.004209789336382965,
            0.004083495656291476,
            0.003960990786602732,
            0.00384216106300465,
            0.0037268962311145103,
            0.003615089344181075,
            0.0035066366638556424,
            0.003401437563939973,
            0.0032993944370217736,
            0.0032004126039111205,
            0.0031044002257937867,
            0.003011268219019973,
            0.0029209301724493738,
            0.0028333022672758926,
            0.0027483031992576157,
            0.0026658541032798873,
            0.0025858784801814907,
            0.002508302125776046,
            0.0024330530620027646,
            0.0023600614701426814,
            0.002289259626038401,
            0.002220581837257249,
            0.0021539643821395314,
            0.0020893454506753454,
            0.0020266650871550848,
            0.001965865134540432,
            0.001906889180504219,
            0.0018496825050890924,
            0.0017941920299364195,
            0.001740366269038327,
            0.001688155280967177,
            0.0016375106225381617,
            0.0015883853038620168,
            0.0015407337447461563,
            0.0014945117324037715,
            0.0014496763804316584,
            0.0014061860890187087,
            0.0013640005063481474,
            0.001323080491157703,
            0.0012833880764229718,
            0.0012448864341302827,
            0.001207539841106374,
            0.0011713136458731828,
            0.0011361742364969874,
            0.0011020890094020777,
            0.0010690263391200153,
        ];
        let mut schedule = ExponentialLrConfig::new(0.1, 0.97).init().expect("valid");
        assert_close(&take(&mut schedule, TORCH.len()), &TORCH, TORCH_RTOL);
    }

    #[test]
    fn resumes() {
        let schedule = ExponentialLrConfig::new(0.1, 0.97).init().expect("valid");
        check_resume(&schedule, &[0, 1, 77], 10);
    }

    #[test]
    fn rejects_invalid_configs() {
        let cases = [
            (ExponentialLrConfig::new(0.0, 0.9), "initial_lr"),
            (ExponentialLrConfig::new(0.1, 0.0), "gamma"),
            (ExponentialLrConfig::new(0.1, f64::INFINITY), "gamma"),
        ];
        for (config, field) in cases {
            assert_invalid(config.init(), field);
        }
    }
}
