//! [`SequentialLr`]: schedules run one after another, switched at milestones (PyTorch
//! `SequentialLR`).

use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};

use super::Schedule;
use super::validate::invalid;
use crate::OptimError;

const POSITION_KEY: &str = "position";

/// Runs `schedules[0]` for the first `milestones[0]` steps, then `schedules[1]` from its own first
/// step until `milestones[1]`, and so on.
///
/// Milestones count calls to `step()` since the start of the sequence (batches in our trainer;
/// [`ScheduleConfig::Sequence`](super::ScheduleConfig::Sequence) converts epochs). Each schedule
/// starts fresh at its milestone: its first value is its `lr_at(0)`.
///
/// # Differences from PyTorch
///
/// PyTorch's `SequentialLR` shares one optimizer between its children: at a milestone it calls
/// the next child's closed form at epoch 0, then that child's recursive `step()`, which reads the
/// optimizer's current rate. For PyTorch's closed-form-capable schedulers (`LinearLR`,
/// `ExponentialLR`, `StepLR`, `MultiStepLR`, `CosineAnnealingLR`, `PolynomialLR`, `ConstantLR`)
/// this is the same as a fresh start, and the tests match PyTorch's sequences to 1e-6. Children
/// without a closed form, or a `ReduceLROnPlateau` (PyTorch rejects it), behave differently; here
/// every child is independent, and a plateau rule wraps the whole sequence instead (see
/// [`ReduceLrOnPlateau`](super::ReduceLrOnPlateau)). Each child keeps its own state, saved in the
/// record, so the children not yet started or already finished resume correctly too.
#[derive(Clone, Debug)]
pub struct SequentialLr {
    schedules: Vec<Schedule>,
    milestones: Vec<usize>,
    position: usize,
}

impl SequentialLr {
    /// Chains `schedules`, switching at `milestones`.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `schedules` when it is empty, or `milestones` when
    /// there are not exactly `schedules.len() - 1` of them, strictly increasing and above 0.
    pub fn new(schedules: Vec<Schedule>, milestones: Vec<usize>) -> Result<Self, OptimError> {
        if schedules.is_empty() {
            return Err(invalid("schedules", "[]", "needs at least one schedule"));
        }
        if milestones.len() + 1 != schedules.len() {
            return Err(invalid(
                "milestones",
                format!("{milestones:?}"),
                format!(
                    "needs exactly one milestone fewer than schedules ({})",
                    schedules.len()
                ),
            ));
        }
        if milestones.first() == Some(&0) || milestones.windows(2).any(|w| w[0] >= w[1]) {
            return Err(invalid(
                "milestones",
                format!("{milestones:?}"),
                "must be above 0 and strictly increasing",
            ));
        }
        Ok(Self {
            schedules,
            milestones,
            position: 0,
        })
    }

    /// Index of the schedule that gives the rate of step `position`.
    pub fn active_index(&self, position: usize) -> usize {
        self.milestones.partition_point(|&m| m <= position)
    }

    /// Steps taken so far.
    pub fn position(&self) -> usize {
        self.position
    }
}

impl LrScheduler for SequentialLr {
    fn step(&mut self) -> f64 {
        let index = self.active_index(self.position);
        self.position = self.position.saturating_add(1);
        self.schedules[index].step()
    }

    fn to_record(&self) -> LrSchedulerRecord {
        self.schedules.iter().enumerate().fold(
            LrSchedulerRecord::new().with_scalar(POSITION_KEY, self.position),
            |record, (index, schedule)| {
                record.with_record(&index.to_string(), schedule.to_record())
            },
        )
    }

    fn load_record(&mut self, record: LrSchedulerRecord) {
        if let Some(position) = record.scalar::<usize>(POSITION_KEY) {
            self.position = position;
        }
        for (index, schedule) in self.schedules.iter_mut().enumerate() {
            schedule.load_record(record.record(&index.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::{
        TORCH_RTOL, assert_close, assert_invalid, check_resume, take,
    };
    use crate::schedule::{
        CosineAnnealingLrConfig, ExponentialLrConfig, LinearLrConfig, StepLrConfig,
    };

    fn three() -> SequentialLr {
        let warmup = LinearLrConfig::new(0.1)
            .with_start_factor(0.1)
            .with_total_iters(10);
        SequentialLr::new(
            vec![
                Schedule::new(warmup.init().expect("valid")),
                Schedule::new(ExponentialLrConfig::new(0.1, 0.9).init().expect("valid")),
                Schedule::new(
                    StepLrConfig::new(0.1, 7)
                        .with_gamma(0.5)
                        .init()
                        .expect("valid"),
                ),
            ],
            vec![10, 40],
        )
        .expect("valid")
    }

    // PyTorch reference (sequential.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python sequential.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import ExponentialLR, LinearLR, SequentialLR, StepLR
    //
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     warmup = LinearLR(opt, start_factor=0.1, total_iters=10)
    //     decay = ExponentialLR(opt, gamma=0.9)
    //     steps = StepLR(opt, step_size=7, gamma=0.5)
    //     sched = SequentialLR(opt, [warmup, decay, steps], milestones=[10, 40])
    //     lrs = []
    //     for _ in range(120):
    //         lrs.append(opt.param_groups[0]["lr"])
    //         opt.step()
    //         sched.step()
    //     print(lrs)
    #[test]
    fn matches_torch_three_schedules() {
        const TORCH: [f64; 120] = [
            0.010000000000000002,
            0.019000000000000003,
            0.028000000000000008,
            0.03700000000000001,
            0.04600000000000001,
            0.055000000000000014,
            0.06400000000000002,
            0.07300000000000002,
            0.08200000000000003,
            0.09100000000000004,
            0.1,
            0.09000000000000001,
            0.08100000000000002,
            0.07290000000000002,
            0.06561000000000002,
            0.05904900000000002,
            0.05314410000000002,
            0.04782969000000002,
            0.043046721000000024,
            0.03874204890000002,
            0.03486784401000002,
            0.03138105960900001,
            0.028242953648100012,
            0.025418658283290013,
            0.022876792454961013,
            0.020589113209464913,
            0.01853020188851842,
            0.01667718169966658,
            0.015009463529699923,
            0.013508517176729932,
            0.01215766545905694,
            0.010941898913151246,
            0.009847709021836121,
            0.00886293811965251,
            0.007976644307687259,
            0.007178979876918534,
            0.006461081889226681,
            0.005814973700304013,
            0.005233476330273611,
            0.00471012869724625,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.05,
            0.05,
            0.05,
            0.05,
            0.05,
            0.05,
            0.05,
            0.025,
            0.025,
            0.025,
            0.025,
            0.025,
            0.025,
            0.025,
            0.0125,
            0.0125,
            0.0125,
            0.0125,
            0.0125,
            0.0125,
            0.0125,
            0.00625,
            0.00625,
            0.00625,
            0.00625,
            0.00625,
            0.00625,
            0.00625,
            0.003125,
            0.003125,
            0.003125,
            0.003125,
            0.003125,
            0.003125,
            0.003125,
            0.0015625,
            0.0015625,
            0.0015625,
            0.0015625,
            0.0015625,
            0.0015625,
            0.0015625,
            0.00078125,
            0.00078125,
            0.00078125,
            0.00078125,
            0.00078125,
            0.00078125,
            0.00078125,
            0.000390625,
            0.000390625,
            0.000390625,
            0.000390625,
            0.000390625,
            0.000390625,
            0.000390625,
            0.0001953125,
            0.0001953125,
            0.0001953125,
            0.0001953125,
            0.0001953125,
            0.0001953125,
            0.0001953125,
            9.765625e-05,
            9.765625e-05,
            9.765625e-05,
            9.765625e-05,
            9.765625e-05,
            9.765625e-05,
            9.765625e-05,
            4.8828125e-05,
            4.8828125e-05,
            4.8828125e-05,
        ];
        assert_close(&take(&mut three(), TORCH.len()), &TORCH, TORCH_RTOL);
    }

    // PyTorch reference (sequential_cosine.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python sequential_cosine.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
    //
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     warmup = LinearLR(opt, start_factor=0.01, total_iters=5)
    //     cosine = CosineAnnealingLR(opt, T_max=100, eta_min=1e-4)
    //     sched = SequentialLR(opt, [warmup, cosine], milestones=[5])
    //     lrs = []
    //     for _ in range(110):
    //         lrs.append(opt.param_groups[0]["lr"])
    //         opt.step()
    //         sched.step()
    //     print(lrs)
    #[test]
    fn matches_torch_warmup_then_cosine() {
        const TORCH: [f64; 110] = [
            0.001,
            0.0208,
            0.0406,
            0.060399999999999995,
            0.0802,
            0.1,
            0.0999753526902683,
            0.09990143508499218,
            0.09977832013192386,
            0.0996061293306582,
            0.09938503261272714,
            0.09911524817389802,
            0.09879704225884045,
            0.09843072889837513,
            0.09801666959956332,
            0.09755527298894293,
            0.09704699440926357,
            0.09649233547011815,
            0.09589184355291484,
            0.09524611127067767,
            0.09455577588320897,
            0.09382151866819098,
            0.093044064248847,
            0.09222417987882567,
            0.09136267468501438,
            0.09046039886902865,
            0.08951824286816575,
            0.0885371364766507,
            0.08751804792804148,
            0.08646198293969953,
            0.08536998372026806,
            0.08424312794113802,
            0.08308252767291642,
            0.08188932828794707,
            0.0806647073299662,
            0.07940987335200905,
            0.07812606472371394,
            0.07681454840920089,
            0.07547661871673106,
            0.07411359602138069,
            0.07272682546199037,
            0.07131767561367539,
            0.0698875371372073,
            0.0684378214065997,
            0.06696995911625234,
            0.06548539886902865,
            0.06398560574665954,
            0.062472059863884516,
            0.06094625490775733,
            0.05940969666355698,
            0.05786390152875956,
            0.056310395016537035,
            0.054750710250259814,
            0.05318638645048923,
            0.05161896741595253,
            0.050050000000000025,
            0.04848103258404752,
            0.046913613549510826,
            0.045349289749740236,
            0.04378960498346303,
            0.04223609847124049,
            0.04069030333644308,
            0.03915374509224274,
            0.03762794013611552,
            0.03611439425334052,
            0.03461460113097141,
            0.03313004088374771,
            0.03166217859340037,
            0.030212462862792718,
            0.028782324386324633,
            0.027373174538009654,
            0.02598640397861933,
            0.024623381283268967,
            0.02328545159079912,
            0.021973935276286088,
            0.020690126647990987,
            0.019435292670033834,
            0.01821067171205296,
            0.01701747232708361,
            0.01585687205886201,
            0.014730016279731965,
            0.013638017060300513,
            0.01258195207195855,
            0.01156286352334934,
            0.01058175713183427,
            0.009639601130971386,
            0.008737325314985648,
            0.007875820121174363,
            0.007055935751153014,
            0.0062784813318090184,
            0.005544224116791033,
            0.004853888729322337,
            0.0042081564470851564,
            0.0036076645298818476,
            0.003053005590736441,
            0.002544727011057083,
            0.0020833304004367007,
            0.0016692711016248845,
            0.001302957741159572,
            0.000984751826101999,
            0.0007149673872728743,
            0.0004938706693418358,
            0.0003216798680761543,
            0.0001985649150078357,
            0.0001246473097317066,
            0.0001,
            0.0001246473097317066,
            0.00019856491500783565,
            0.0003216798680761542,
            0.0004938706693418302,
        ];
        let warmup = LinearLrConfig::new(0.1)
            .with_start_factor(0.01)
            .with_total_iters(5);
        let cosine = CosineAnnealingLrConfig::new(0.1, 100).with_eta_min(1e-4);
        let mut schedule = SequentialLr::new(
            vec![
                Schedule::new(warmup.init().expect("valid")),
                Schedule::new(cosine.init().expect("valid")),
            ],
            vec![5],
        )
        .expect("valid");
        assert_close(&take(&mut schedule, TORCH.len()), &TORCH, TORCH_RTOL);
    }

    #[test]
    fn resumes_in_every_segment() {
        check_resume(&three(), &[0, 5, 10, 11, 39, 40, 41, 90], 30);
    }

    #[test]
    fn rejects_invalid_milestones() {
        let one = || Schedule::new(StepLrConfig::new(0.1, 3).init().expect("valid"));
        assert_invalid(SequentialLr::new(vec![], vec![]), "schedules");
        assert_invalid(SequentialLr::new(vec![one(), one()], vec![]), "milestones");
        assert_invalid(SequentialLr::new(vec![one(), one()], vec![0]), "milestones");
        assert_invalid(
            SequentialLr::new(vec![one(), one(), one()], vec![5, 5]),
            "milestones",
        );
    }
}
