//! [`MomentumSchedule`]: the momentum a `cyclic` or `onecycle` schedule sets at each step
//! (PyTorch's `cycle_momentum=True`).

use super::{CyclicLr, OneCycleLr};

/// The schedule whose momentum a piece follows.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum MomentumCycle {
    /// [`CyclicLr::momentum_at`].
    Cyclic(CyclicLr),
    /// [`OneCycleLr::momentum_at`].
    OneCycle(OneCycleLr),
}

/// One cycled schedule's momentum over the steps `[start, end)`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MomentumPiece {
    pub(crate) start: usize,
    pub(crate) end: Option<usize>,
    cycle: MomentumCycle,
    base: f64,
    max: f64,
}

impl MomentumPiece {
    pub(crate) fn new(start: usize, cycle: MomentumCycle, base: f64, max: f64) -> Self {
        Self {
            start,
            end: None,
            cycle,
            base,
            max,
        }
    }
}

/// The momentum a schedule sets at each step, built by
/// [`ScheduleConfig::momentum`](super::ScheduleConfig::momentum); a pure function of the step,
/// so resuming needs no state of its own.
///
/// Step `t` (counted from 0 like the rates: [`at`](Self::at)`(t)` goes with the `t`-th rate)
/// gets `max_momentum - (max_momentum - base_momentum) * s` where the rate is
/// `base + (peak - base) * s`, PyTorch's `CyclicLR` and `OneCycleLR` (tested against them).
/// Outside its cycled schedule (e.g. during a `sequence`'s warm-up) the optimizer keeps its
/// own momentum: there PyTorch leaves the last momentum it set (or `max_momentum` from the
/// scheduler's construction).
#[derive(Clone, Debug, PartialEq)]
pub struct MomentumSchedule {
    pieces: Vec<MomentumPiece>,
}

impl MomentumSchedule {
    pub(crate) fn new(pieces: Vec<MomentumPiece>) -> Self {
        Self { pieces }
    }

    /// The momentum of step `t` (0-based), or `None` where the optimizer keeps its own.
    pub fn at(&self, t: usize) -> Option<f64> {
        self.pieces
            .iter()
            .find(|p| t >= p.start && p.end.is_none_or(|end| t < end))
            .map(|p| match &p.cycle {
                MomentumCycle::Cyclic(s) => s.momentum_at(t - p.start, p.base, p.max),
                MomentumCycle::OneCycle(s) => s.momentum_at(t - p.start, p.base, p.max),
            })
    }

    /// The momenta of the first `n` steps.
    pub fn trace(&self, n: usize) -> Vec<Option<f64>> {
        (0..n).map(|t| self.at(t)).collect()
    }
}

#[cfg(test)]
mod tests;
