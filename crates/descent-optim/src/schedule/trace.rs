//! Reading a schedule's future rates without training.

use burn::lr_scheduler::LrScheduler;

/// The next `steps` rates of `scheduler`, advancing it: element `i` is the rate of the `i`-th
/// batch from the scheduler's current position. Clone the scheduler first to keep it unchanged
/// (`trace(&mut schedule.clone(), n)`).
///
/// ```
/// use descent_optim::schedule::{StepLrConfig, trace};
///
/// let mut schedule = StepLrConfig::new(0.1, 2).with_gamma(0.5).init().unwrap();
/// assert_eq!(trace(&mut schedule, 5), vec![0.1, 0.1, 0.05, 0.05, 0.025]);
/// ```
pub fn trace(scheduler: &mut dyn LrScheduler, steps: usize) -> Vec<f64> {
    (0..steps).map(|_| scheduler.step()).collect()
}

/// The rate the next [`step`](LrScheduler::step) of `scheduler` will return, leaving `scheduler`
/// unchanged (it steps a clone).
pub fn peek(scheduler: &dyn LrScheduler) -> f64 {
    burn::lr_scheduler::LrSchedulerClone::clone_box(scheduler).step()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::ExponentialLrConfig;

    #[test]
    fn traces_from_the_current_position() {
        let mut schedule = ExponentialLrConfig::new(1.0, 0.5).init().expect("valid");
        assert_eq!(peek(&schedule), 1.0);
        assert_eq!(trace(&mut schedule, 2), vec![1.0, 0.5]);
        assert_eq!(peek(&schedule), 0.25);
        assert_eq!(trace(&mut schedule.clone(), 2), vec![0.25, 0.125]);
        assert_eq!(trace(&mut schedule, 0), Vec::<f64>::new());
        assert_eq!(schedule.position(), 2);
    }
}
