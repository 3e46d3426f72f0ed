//! [`Schedule`]: any learning-rate scheduler behind one concrete type.

use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};

/// Any [`LrScheduler`], boxed, as one concrete type that itself implements [`LrScheduler`].
///
/// [`ScheduleConfig::init`](super::ScheduleConfig::init) returns this, so it can go wherever a
/// generic `S: LrScheduler` is expected (Burn's `Learner`, [`PerEpoch`](super::PerEpoch),
/// [`ReduceLrOnPlateau`](super::ReduceLrOnPlateau)) and be cloned, traced and recorded.
#[derive(Clone)]
pub struct Schedule {
    inner: Box<dyn LrScheduler>,
}

impl Schedule {
    /// Boxes `scheduler`.
    pub fn new<S: LrScheduler + 'static>(scheduler: S) -> Self {
        Self {
            inner: Box::new(scheduler),
        }
    }

    /// The rate the next [`step`](LrScheduler::step) will return, without advancing (it steps a
    /// clone).
    pub fn peek(&self) -> f64 {
        self.inner.clone().step()
    }

    /// The boxed scheduler.
    pub fn into_boxed(self) -> Box<dyn LrScheduler> {
        self.inner
    }
}

impl From<Box<dyn LrScheduler>> for Schedule {
    fn from(inner: Box<dyn LrScheduler>) -> Self {
        Self { inner }
    }
}

impl From<Schedule> for Box<dyn LrScheduler> {
    fn from(schedule: Schedule) -> Self {
        schedule.inner
    }
}

impl core::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Schedule")
            .field("next_lr", &self.peek())
            .finish_non_exhaustive()
    }
}

impl LrScheduler for Schedule {
    fn step(&mut self) -> f64 {
        self.inner.step()
    }

    fn to_record(&self) -> LrSchedulerRecord {
        self.inner.to_record()
    }

    fn load_record(&mut self, record: LrSchedulerRecord) {
        self.inner.load_record(record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_utils::{check_resume, take};
    use crate::schedule::{ExponentialLrConfig, StepLrConfig};

    #[test]
    fn delegates_and_peeks_without_advancing() {
        let mut schedule = Schedule::new(ExponentialLrConfig::new(1.0, 0.5).init().expect("valid"));
        assert_eq!(schedule.peek(), 1.0);
        assert_eq!(schedule.peek(), 1.0);
        assert_eq!(take(&mut schedule, 3), vec![1.0, 0.5, 0.25]);
        assert_eq!(schedule.peek(), 0.125);
        let mut boxed: Box<dyn LrScheduler> = schedule.into();
        assert_eq!(boxed.step(), 0.125);
    }

    #[test]
    fn resumes() {
        let schedule = Schedule::new(StepLrConfig::new(0.1, 3).init().expect("valid"));
        check_resume(&schedule, &[0, 2, 3, 10], 8);
    }
}
