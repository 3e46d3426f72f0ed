//! Cosine annealing with warm restarts, stepped per batch with fractional epochs (SGDR,
//! Loshchilov & Hutter 2017, <https://arxiv.org/abs/1608.03983>).

use burn::config::Config;

use super::anneal::cosine_between;
use super::counter::counter_scheduler;
use super::validate::{at_least_one, invalid, non_negative, positive};
use crate::OptimError;

/// Configuration of [`WarmRestarts`].
///
/// Periods are in epochs and the rate moves every batch: at batch `b` of epoch `e` the schedule
/// uses `T_cur = e + b / steps_per_epoch` epochs, as in the paper. Set `steps_per_epoch = 1` to
/// count `t_0` in calls to `step()` instead (PyTorch's `scheduler.step()` without argument).
#[derive(Config, Debug)]
pub struct WarmRestartsConfig {
    /// The peak rate `eta_max` of the first cycle (finite, > 0).
    pub initial_lr: f64,
    /// Length of the first cycle in epochs, `T_0` (>= 1).
    pub t_0: usize,
    /// Batches per epoch, the trainer's number of `step()` calls per epoch (>= 1).
    pub steps_per_epoch: usize,
    /// Each cycle is `t_mult` times longer than the previous one, `T_mult` (>= 1).
    #[config(default = "super::defaults::SGDR_T_MULT")]
    pub t_mult: usize,
    /// The lowest rate (finite, 0 <= `eta_min` <= `initial_lr`).
    #[config(default = "super::defaults::ETA_MIN")]
    pub eta_min: f64,
    /// Factor applied to the peak rate at each restart: cycle `k` starts at
    /// `max(eta_min, initial_lr * restart_decay^k)`. In (0, 1]; 1 (the default) is plain SGDR.
    /// PyTorch's `CosineAnnealingWarmRestarts` has no such option.
    #[config(default = "super::defaults::SGDR_RESTART_DECAY")]
    pub restart_decay: f64,
}

impl WarmRestartsConfig {
    /// Builds the schedule.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `initial_lr`, `t_0`, `steps_per_epoch`, `t_mult`,
    /// `eta_min` or `restart_decay`.
    pub fn init(&self) -> Result<WarmRestarts, OptimError> {
        let initial_lr = positive("initial_lr", self.initial_lr)?;
        let eta_min = non_negative("eta_min", self.eta_min)?;
        if eta_min > initial_lr {
            return Err(invalid("eta_min", eta_min, "must not exceed initial_lr"));
        }
        if !(self.restart_decay > 0.0 && self.restart_decay <= 1.0) {
            return Err(invalid(
                "restart_decay",
                self.restart_decay,
                "must lie in (0, 1]",
            ));
        }
        Ok(WarmRestarts {
            initial_lr,
            t_0: at_least_one("t_0", self.t_0)?,
            steps_per_epoch: at_least_one("steps_per_epoch", self.steps_per_epoch)?,
            t_mult: at_least_one("t_mult", self.t_mult)?,
            eta_min,
            restart_decay: self.restart_decay,
            position: 0,
        })
    }
}

/// Where a batch falls in the cycles of [`WarmRestarts`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CyclePosition {
    /// Cycle index, 0 for the first cycle.
    pub cycle: usize,
    /// Epochs since the last restart, fractional: `T_cur`.
    pub t_cur: f64,
    /// Length of the current cycle in epochs: `T_i`.
    pub t_i: usize,
}

/// SGDR: `lr = eta_min + (peak_k - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2`.
///
/// `T_i = t_0 * t_mult^k` in cycle `k`, `T_cur` counts epochs (fractional) since the restart, and
/// `peak_k = max(eta_min, initial_lr * restart_decay^k)`. The rate is exactly `peak_k` at the
/// first batch after each restart, approaches `eta_min` at the end of each cycle, and never leaves
/// `[eta_min, initial_lr]` (property-tested).
///
/// # Relation to PyTorch
///
/// With `restart_decay = 1`, step `n` (batch `b = n % steps_per_epoch` of epoch
/// `e = n / steps_per_epoch`) returns the rate PyTorch's `CosineAnnealingWarmRestarts` sets after
/// `scheduler.step(e + b / steps_per_epoch)`, i.e. the paper's rate for that batch. Note that
/// PyTorch's documented loop calls `step(epoch + i / iters)` *after* batch `i`, so its batch `i`
/// trains with the rate of batch `i - 1` (one batch late); we give each batch its own rate.
///
/// Cycles are found with integer arithmetic. PyTorch finds them with a floating-point logarithm,
/// which misses some restarts by rounding: with `T_0 = 1, T_mult = 3` its `step(121)` gives
/// `eta_min` where the restart (and its own argument-free `step()`) gives `eta_max` (tested).
#[derive(Clone, Debug, PartialEq)]
pub struct WarmRestarts {
    initial_lr: f64,
    t_0: usize,
    steps_per_epoch: usize,
    t_mult: usize,
    eta_min: f64,
    restart_decay: f64,
    position: usize,
}

impl WarmRestarts {
    /// The cycle, `T_cur` and `T_i` of step `t` (batch `t % steps_per_epoch` of epoch
    /// `t / steps_per_epoch`).
    pub fn cycle_position(&self, t: usize) -> CyclePosition {
        let epoch = t / self.steps_per_epoch;
        let fraction = (t % self.steps_per_epoch) as f64 / self.steps_per_epoch as f64;
        let (cycle, start, t_i) = if self.t_mult == 1 {
            let cycle = epoch / self.t_0;
            (cycle, cycle * self.t_0, self.t_0)
        } else {
            let (mut cycle, mut start, mut t_i) = (0_usize, 0_usize, self.t_0);
            // Cycle lengths grow geometrically, so this runs O(log epoch) times; saturation keeps
            // absurd positions from overflowing (the last cycle then just lasts "forever").
            while epoch - start >= t_i {
                start = start.saturating_add(t_i);
                t_i = t_i.saturating_mul(self.t_mult);
                cycle += 1;
            }
            (cycle, start, t_i)
        };
        CyclePosition {
            cycle,
            t_cur: (epoch - start) as f64 + fraction,
            t_i,
        }
    }

    /// The peak rate of cycle `cycle`: `max(eta_min, initial_lr * restart_decay^cycle)`.
    pub fn peak(&self, cycle: usize) -> f64 {
        (self.initial_lr * self.restart_decay.powf(cycle as f64)).max(self.eta_min)
    }

    /// The rate of step `t` (0-based), without changing the state.
    pub fn lr_at(&self, t: usize) -> f64 {
        let at = self.cycle_position(t);
        let phase = core::f64::consts::PI * at.t_cur / at.t_i as f64;
        cosine_between(self.peak(at.cycle), self.eta_min, phase)
    }
}

counter_scheduler!(WarmRestarts);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::{
        TORCH_RTOL, assert_close, assert_invalid, check_resume, take,
    };
    use proptest::prelude::*;

    // T_mult = 2, 8 batches per epoch: cycles of 1, 2, 4 and 8 epochs (120 batches).
    // PyTorch reference (sgdr_tmult2.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python sgdr_tmult2.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts
    //
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = CosineAnnealingWarmRestarts(opt, T_0=1, T_mult=2, eta_min=1e-4)
    //     iters = 8
    //     lrs = []
    //     for epoch in range(15):
    //         for i in range(iters):
    //             sched.step(epoch + i / iters)  # lr of batch i of this epoch
    //             lrs.append(opt.param_groups[0]["lr"])
    //             opt.step()
    //     print(lrs)
    #[test]
    fn matches_torch_t_mult_2_per_batch() {
        const TORCH: [f64; 120] = [
            0.1,
            0.09619778264893877,
            0.08536998372026805,
            0.06916503744663624,
            0.050050000000000004,
            0.030934962553363768,
            0.014730016279731955,
            0.0039022173510612273,
            0.1,
            0.09904022475614137,
            0.09619778264893877,
            0.09158190713451214,
            0.08536998372026805,
            0.07780073313932913,
            0.06916503744663624,
            0.05979476158470562,
            0.050050000000000004,
            0.0403052384152944,
            0.030934962553363768,
            0.022299266860670883,
            0.014730016279731955,
            0.00851809286548786,
            0.0039022173510612273,
            0.00105977524385864,
            0.1,
            0.09975947709727624,
            0.09904022475614137,
            0.09784916976982383,
            0.09619778264893877,
            0.09410196715420033,
            0.09158190713451214,
            0.08866187214546871,
            0.08536998372026805,
            0.0817379445439741,
            0.07780073313932913,
            0.07359626700445861,
            0.06916503744663624,
            0.0645497196288604,
            0.05979476158470562,
            0.05494595615946157,
            0.050050000000000004,
            0.04515404384053845,
            0.0403052384152944,
            0.035550280371139616,
            0.030934962553363768,
            0.026503732995541415,
            0.022299266860670883,
            0.018362055456025914,
            0.014730016279731955,
            0.011438127854531287,
            0.00851809286548786,
            0.005998032845799671,
            0.0039022173510612273,
            0.002250830230176169,
            0.00105977524385864,
            0.00034052290272376895,
            0.1,
            0.09993983303744837,
            0.09975947709727624,
            0.09945936667274083,
            0.09904022475614137,
            0.09850306109706748,
            0.09784916976982383,
            0.09708012605589189,
            0.09619778264893877,
            0.09520426519151601,
            0.09410196715420033,
            0.0928935440695136,
            0.09158190713451214,
            0.09017021619745821,
            0.08866187214546871,
            0.08706050871148022,
            0.08536998372026805,
            0.08359436979460858,
            0.0817379445439741,
            0.07980518025939706,
            0.07780073313932913,
            0.07572943207245142,
            0.07359626700445861,
            0.0714063769168426,
            0.06916503744663624,
            0.06687764817694139,
            0.0645497196288604,
            0.06218685998616804,
            0.05979476158470562,
            0.05737918719904532,
            0.05494595615946157,
            0.05250093033265454,
            0.050050000000000004,
            0.04759906966734548,
            0.04515404384053845,
            0.04272081280095469,
            0.0403052384152944,
            0.037913140013831975,
            0.035550280371139616,
            0.03322235182305861,
            0.030934962553363768,
            0.02869362308315742,
            0.026503732995541415,
            0.02437056792754858,
            0.022299266860670883,
            0.020294819740602953,
            0.018362055456025914,
            0.01650563020539143,
            0.014730016279731955,
            0.013039491288519804,
            0.011438127854531287,
            0.009929783802541791,
            0.00851809286548786,
            0.007206455930486414,
            0.005998032845799671,
            0.004895734808484006,
            0.0039022173510612273,
            0.003019873944108116,
            0.002250830230176169,
            0.0015969389029325287,
            0.00105977524385864,
            0.0006406333272591884,
            0.00034052290272376895,
            0.00016016696255163838,
        ];
        let mut schedule = WarmRestartsConfig::new(0.1, 1, 8)
            .with_t_mult(2)
            .with_eta_min(1e-4)
            .init()
            .expect("valid");
        assert_close(&take(&mut schedule, TORCH.len()), &TORCH, TORCH_RTOL);
    }

    // T_mult = 2 with 7 batches per epoch (fractions that are not powers of two) and eta_min = 0.
    // PyTorch reference (sgdr_tmult2_odd.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python sgdr_tmult2_odd.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts
    //
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.05)
    //     sched = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.0)
    //     iters = 7
    //     lrs = []
    //     for epoch in range(16):
    //         for i in range(iters):
    //             sched.step(epoch + i / iters)  # lr of batch i of this epoch
    //             lrs.append(opt.param_groups[0]["lr"])
    //             opt.step()
    //     print(lrs)
    #[test]
    fn matches_torch_t_mult_2_odd_batches() {
        const TORCH: [f64; 112] = [
            0.05,
            0.04937319780454559,
            0.04752422169756048,
            0.04454578706170075,
            0.040587245046468344,
            0.035847093477938956,
            0.03056302334890786,
            0.025,
            0.019436976651092144,
            0.014152906522061049,
            0.009412754953531664,
            0.005454212938299255,
            0.0024757783024395245,
            0.0006268021954544096,
            0.05,
            0.04984280524733107,
            0.04937319780454559,
            0.048597083257709194,
            0.04752422169756049,
            0.04616810498070711,
            0.04454578706170075,
            0.04267766952966369,
            0.040587245046468344,
            0.03830080191288342,
            0.035847093477938956,
            0.03325697654887918,
            0.03056302334890786,
            0.027799111902582697,
            0.025,
            0.0222008880974173,
            0.019436976651092144,
            0.01674302345112082,
            0.014152906522061049,
            0.01169919808711659,
            0.009412754953531673,
            0.0073223304703363135,
            0.00545421293829925,
            0.0038318950192928972,
            0.0024757783024395245,
            0.0014029167422908108,
            0.0006268021954544096,
            0.0001571947526689377,
            0.05,
            0.049960670375445417,
            0.04984280524733107,
            0.0496467754629559,
            0.04937319780454559,
            0.04902293304862749,
            0.048597083257709194,
            0.04809698831278217,
            0.04752422169756048,
            0.046880585547718845,
            0.04616810498070711,
            0.04538902172398151,
            0.04454578706170075,
            0.043641054122079144,
            0.04267766952966369,
            0.041658664448800106,
            0.04058724504646834,
            0.039466782404495145,
            0.03830080191288342,
            0.037092972177631,
            0.035847093477938956,
            0.03456708580912725,
            0.03325697654887918,
            0.03192088778562124,
            0.03056302334890786,
            0.02918765558261841,
            0.027799111902582704,
            0.02640176118092979,
            0.025,
            0.023598238819070215,
            0.0222008880974173,
            0.020812344417381595,
            0.019436976651092144,
            0.018079112214378773,
            0.01674302345112082,
            0.015432914190872758,
            0.014152906522061049,
            0.012907027822368997,
            0.01169919808711659,
            0.010533217595504858,
            0.009412754953531673,
            0.008341335551199902,
            0.0073223304703363135,
            0.0063589458779208605,
            0.00545421293829925,
            0.004610978276018496,
            0.0038318950192928972,
            0.0031194144522811635,
            0.0024757783024395245,
            0.0019030116872178317,
            0.0014029167422908108,
            0.00097706695137251,
            0.0006268021954544096,
            0.00035322453704410284,
            0.0001571947526689377,
            3.932962455458489e-05,
            0.05,
            0.04999016565957633,
            0.049960670375445417,
            0.04991153735294049,
            0.04984280524733107,
            0.04975452813341114,
            0.0496467754629559,
            0.049519632010080764,
            0.04937319780454559,
            0.04920758805305654,
            0.04902293304862749,
            0.048819378068072405,
            0.048597083257709194,
            0.048356223507364994,
        ];
        let mut schedule = WarmRestartsConfig::new(0.05, 2, 7)
            .with_t_mult(2)
            .init()
            .expect("valid");
        assert_close(&take(&mut schedule, TORCH.len()), &TORCH, TORCH_RTOL);
    }

    // PyTorch reference (sgdr_tmult1.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python sgdr_tmult1.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts
    //
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=1, eta_min=0.0)
    //     iters = 7
    //     lrs = []
    //     for epoch in range(18):
    //         for i in range(iters):
    //             sched.step(epoch + i / iters)  # lr of batch i of this epoch
    //             lrs.append(opt.param_groups[0]["lr"])
    //             opt.step()
    //     print(lrs)
    #[test]
    fn matches_torch_t_mult_1_per_batch() {
        const TORCH: [f64; 126] = [
            0.1,
            0.09944154131125643,
            0.09777864028930704,
            0.09504844339512096,
            0.09131193871579975,
            0.08665259359149131,
            0.08117449009293669,
            0.07500000000000001,
            0.06826705121831976,
            0.06112604669781572,
            0.05373650467932122,
            0.04626349532067879,
            0.03887395330218429,
            0.03173294878168026,
            0.025000000000000012,
            0.018825509907063328,
            0.013347406408508684,
            0.008688061284200266,
            0.004951556604879049,
            0.0022213597106929607,
            0.0005584586887435739,
            0.1,
            0.09944154131125643,
            0.09777864028930705,
            0.09504844339512097,
            0.09131193871579975,
            0.08665259359149131,
            0.08117449009293669,
            0.07500000000000001,
            0.06826705121831973,
            0.06112604669781572,
            0.0537365046793212,
            0.04626349532067881,
            0.03887395330218429,
            0.03173294878168027,
            0.025000000000000012,
            0.01882550990706331,
            0.013347406408508684,
            0.008688061284200249,
            0.004951556604879049,
            0.0022213597106929607,
            0.0005584586887435794,
            0.1,
            0.09944154131125643,
            0.09777864028930705,
            0.09504844339512096,
            0.09131193871579975,
            0.08665259359149131,
            0.0811744900929367,
            0.07500000000000001,
            0.06826705121831973,
            0.06112604669781572,
            0.0537365046793212,
            0.04626349532067881,
            0.03887395330218429,
            0.03173294878168027,
            0.025000000000000012,
            0.018825509907063345,
            0.01334740640850865,
            0.008688061284200249,
            0.004951556604879049,
            0.002221359710692977,
            0.0005584586887435683,
            0.1,
            0.09944154131125643,
            0.09777864028930704,
            0.09504844339512096,
            0.09131193871579975,
            0.08665259359149134,
            0.08117449009293666,
            0.07500000000000001,
            0.06826705121831977,
            0.061126046697815684,
            0.0537365046793212,
            0.04626349532067881,
            0.03887395330218433,
            0.031732948781680224,
            0.025000000000000012,
            0.018825509907063345,
            0.01334740640850865,
            0.008688061284200249,
            0.004951556604879049,
            0.002221359710692977,
            0.0005584586887435683,
            0.1,
            0.09944154131125643,
            0.09777864028930704,
            0.09504844339512096,
            0.09131193871579975,
            0.08665259359149134,
            0.08117449009293666,
            0.07500000000000001,
            0.06826705121831977,
            0.061126046697815684,
            0.0537365046793212,
            0.04626349532067881,
            0.03887395330218433,
            0.031732948781680224,
            0.025000000000000012,
            0.018825509907063345,
            0.01334740640850865,
            0.008688061284200249,
            0.004951556604879049,
            0.002221359710692977,
            0.0005584586887435683,
            0.1,
            0.09944154131125643,
            0.09777864028930704,
            0.09504844339512096,
            0.09131193871579975,
            0.08665259359149134,
            0.08117449009293666,
            0.07500000000000001,
            0.06826705121831977,
            0.061126046697815774,
            0.053736504679321284,
            0.04626349532067872,
            0.03887395330218423,
            0.031732948781680224,
            0.025000000000000012,
            0.018825509907063345,
            0.013347406408508728,
            0.008688061284200299,
            0.00495155660487901,
            0.0022213597106929494,
            0.0005584586887435683,
        ];
        let mut schedule = WarmRestartsConfig::new(0.1, 3, 7).init().expect("valid");
        assert_close(&take(&mut schedule, TORCH.len()), &TORCH, TORCH_RTOL);
    }

    // Stepped per epoch (steps_per_epoch = 1). The script's second print shows PyTorch's
    // `step(epoch)` disagreeing with its own `step()` at epoch 121: [(121, 0.1, 0.001)].
    // PyTorch reference (sgdr_tmult3_epoch.py, torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python sgdr_tmult3_epoch.py`):
    //
    //     import torch
    //     from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts
    //
    //     # Stepped once per epoch with no argument (torch's own counter).
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = CosineAnnealingWarmRestarts(opt, T_0=1, T_mult=3, eta_min=1e-3)
    //     lrs = []
    //     for epoch in range(125):
    //         lrs.append(opt.param_groups[0]["lr"])
    //         opt.step()
    //         sched.step()
    //     print(lrs)
    //     # The same with step(epoch): torch's log-based cycle index misses the restart at epoch 121.
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = CosineAnnealingWarmRestarts(opt, T_0=1, T_mult=3, eta_min=1e-3)
    //     lrs2 = []
    //     for epoch in range(125):
    //         sched.step(epoch)
    //         lrs2.append(opt.param_groups[0]["lr"])
    //         opt.step()
    //     print([(e, a, b) for e, (a, b) in enumerate(zip(lrs, lrs2)) if abs(a - b) > 1e-12])
    #[test]
    fn matches_torch_t_mult_3_per_epoch_including_the_restart_torch_misses() {
        const TORCH: [f64; 125] = [
            0.1,
            0.1,
            0.07525000000000001,
            0.025750000000000012,
            0.1,
            0.09701478472890247,
            0.08841919993438942,
            0.07525000000000001,
            0.059095584794513066,
            0.041904415205486954,
            0.025750000000000012,
            0.012580800065610593,
            0.003985215271097539,
            0.1,
            0.09966529870822619,
            0.09866572109370128,
            0.09701478472890247,
            0.09473481569600892,
            0.09185664666494037,
            0.08841919993438942,
            0.08446896107450233,
            0.08005935028928791,
            0.07525000000000001,
            0.07010594841893827,
            0.06469676001919897,
            0.059095584794513066,
            0.053378169031068554,
            0.04762183096893145,
            0.04190441520548696,
            0.03630323998080104,
            0.03089405158106174,
            0.025750000000000012,
            0.020940649710712095,
            0.016531038925497694,
            0.012580800065610579,
            0.009143353335059657,
            0.006265184303991098,
            0.003985215271097539,
            0.0023342789062987214,
            0.0013347012917738204,
            0.1,
            0.0999627736489594,
            0.0998511505878057,
            0.09966529870822619,
            0.09940549754910205,
            0.09907213787605555,
            0.09866572109370128,
            0.09818685849148608,
            0.09763627032425157,
            0.09701478472890247,
            0.09632333647881008,
            0.09556296557782426,
            0.09473481569600892,
            0.09384013244945351,
            0.09288026152674819,
            0.09185664666494037,
            0.0907708274780169,
            0.08962443714117858,
            0.08841919993438942,
            0.08715692864889574,
            0.08583952186061601,
            0.08446896107450233,
            0.08304730774416866,
            0.08157670017126889,
            0.08005935028928791,
            0.07849754033658367,
            0.07689361942368372,
            0.07525000000000001,
            0.07356915422527568,
            0.07185361025122206,
            0.07010594841893827,
            0.06832879737783316,
            0.0665248301318869,
            0.06469676001919897,
            0.06284733663087007,
            0.06097934167535584,
            0.059095584794513066,
            0.057198899337631504,
            0.055292138099807375,
            0.053378169031068554,
            0.05145987092270531,
            0.049540129077294714,
            0.04762183096893145,
            0.04570786190019264,
            0.04380110066236853,
            0.041904415205486954,
            0.04002065832464419,
            0.03815266336912993,
            0.03630323998080104,
            0.03447516986811312,
            0.032671202622166835,
            0.03089405158106174,
            0.029146389748777948,
            0.027430845774724343,
            0.025750000000000012,
            0.02410638057631628,
            0.02250245966341635,
            0.020940649710712095,
            0.019423299828731134,
            0.01795269225583136,
            0.016531038925497694,
            0.015160478139384006,
            0.013843071351104283,
            0.012580800065610579,
            0.011375562858821419,
            0.010229172521983108,
            0.009143353335059657,
            0.008119738473251814,
            0.007159867550546497,
            0.006265184303991098,
            0.005437034422175745,
            0.004676663521189929,
            0.003985215271097539,
            0.003363729675748442,
            0.0028131415085139236,
            0.0023342789062987214,
            0.0019278621239444578,
            0.001594502450897954,
            0.0013347012917738204,
            0.001148849412194295,
            0.001037226351040613,
            0.1,
            0.09999586327784415,
            0.09998345380278953,
            0.0999627736489594,
        ];
        let mut schedule = WarmRestartsConfig::new(0.1, 1, 1)
            .with_t_mult(3)
            .with_eta_min(1e-3)
            .init()
            .expect("valid");
        let ours = take(&mut schedule, TORCH.len());
        assert_close(&ours, &TORCH, TORCH_RTOL);
        // Restart at epoch 1 + 3 + 9 + 27 + 81 = 121, where torch's step(121) gives eta_min.
        assert_eq!(ours[121], 0.1);
    }

    #[test]
    fn restart_decay_scales_each_peak() {
        let schedule = WarmRestartsConfig::new(0.1, 2, 5)
            .with_t_mult(2)
            .with_eta_min(0.01)
            .with_restart_decay(0.5)
            .init()
            .expect("valid");
        // Restarts at epochs 0, 2, 6, 14, 30 -> batches 0, 10, 30, 70, 150.
        let peaks = [0.1, 0.05, 0.025, 0.0125, 0.01];
        for (batch, peak) in [0, 10, 30, 70, 150].into_iter().zip(peaks) {
            assert!(
                (schedule.lr_at(batch) - peak).abs() < 1e-15,
                "batch {batch}"
            );
        }
        // Mid-cycle of cycle 1 (epoch 4 of [2, 6)): halfway between 0.05 and eta_min.
        assert!((schedule.lr_at(20) - (0.01 + 0.04 / 2.0)).abs() < 1e-15);
    }

    #[test]
    fn resumes_mid_cycle() {
        let schedule = WarmRestartsConfig::new(0.1, 1, 8)
            .with_t_mult(2)
            .with_eta_min(1e-4)
            .with_restart_decay(0.8)
            .init()
            .expect("valid");
        // Start, mid-batch of the first cycle, a restart, mid-cycle of the second and third.
        check_resume(&schedule, &[0, 3, 8, 13, 29, 50, 119], 60);
    }

    #[test]
    fn rejects_invalid_configs() {
        let ok = || WarmRestartsConfig::new(0.1, 10, 100);
        assert_invalid(WarmRestartsConfig::new(-0.1, 10, 100).init(), "initial_lr");
        assert_invalid(WarmRestartsConfig::new(0.1, 0, 100).init(), "t_0");
        assert_invalid(
            WarmRestartsConfig::new(0.1, 10, 0).init(),
            "steps_per_epoch",
        );
        assert_invalid(ok().with_t_mult(0).init(), "t_mult");
        assert_invalid(ok().with_eta_min(-1.0).init(), "eta_min");
        assert_invalid(ok().with_eta_min(0.5).init(), "eta_min");
        assert_invalid(ok().with_restart_decay(0.0).init(), "restart_decay");
        assert_invalid(ok().with_restart_decay(1.5).init(), "restart_decay");
    }

    proptest! {
        #[test]
        fn stays_within_bounds_and_peaks_after_each_restart(
            eta_max in 1e-4_f64..1.0,
            min_fraction in 0.0_f64..1.0,
            t_0 in 1_usize..5,
            t_mult in 1_usize..4,
            steps_per_epoch in 1_usize..12,
        ) {
            let eta_min = eta_max * min_fraction;
            let mut schedule = WarmRestartsConfig::new(eta_max, t_0, steps_per_epoch)
                .with_t_mult(t_mult)
                .with_eta_min(eta_min)
                .init()
                .expect("valid");
            let steps = 400;
            let lrs = take(&mut schedule, steps);
            let mut restart = 0_usize;
            let mut length = t_0;
            for (t, lr) in lrs.iter().enumerate() {
                prop_assert!(*lr >= eta_min && *lr <= eta_max, "step {}: {} outside bounds", t, lr);
                if t == restart * steps_per_epoch {
                    prop_assert_eq!(*lr, eta_max);
                    restart += length;
                    length *= t_mult;
                } else if min_fraction < 0.99 {
                    prop_assert!(*lr < eta_max, "step {}: {} is not below the peak", t, lr);
                }
            }
        }
    }
}
