//! The shared machinery of closed-form schedules: a step counter, `lr_at(counter)`, and a
//! one-scalar record.

/// Record key of the step counter.
pub(crate) const POSITION_KEY: &str = "position";

/// Implements [`LrScheduler`](burn::lr_scheduler::LrScheduler) for a type with a
/// `position: usize` field and a `fn lr_at(&self, position: usize) -> f64` method, plus the
/// inherent `position()` and `seek()` accessors.
macro_rules! counter_scheduler {
    ($ty:ident) => {
        impl $ty {
            /// How many rates [`step`](burn::lr_scheduler::LrScheduler::step) has returned so far;
            /// the next call returns `lr_at(position())`.
            pub fn position(&self) -> usize {
                self.position
            }

            /// Jumps to `position`: the next call to `step()` returns `lr_at(position)`.
            pub fn seek(&mut self, position: usize) {
                self.position = position;
            }
        }

        impl burn::lr_scheduler::LrScheduler for $ty {
            fn step(&mut self) -> f64 {
                let lr = self.lr_at(self.position);
                self.position = self.position.saturating_add(1);
                lr
            }

            fn to_record(&self) -> burn::lr_scheduler::LrSchedulerRecord {
                burn::lr_scheduler::LrSchedulerRecord::new()
                    .with_scalar($crate::schedule::counter::POSITION_KEY, self.position)
            }

            fn load_record(&mut self, record: burn::lr_scheduler::LrSchedulerRecord) {
                if let Some(position) =
                    record.scalar::<usize>($crate::schedule::counter::POSITION_KEY)
                {
                    self.position = position;
                }
            }
        }
    };
}

pub(crate) use counter_scheduler;
