//! Whether a monitored metric should go down or up, and how a significant change is measured.

use super::validate::named_enum;

/// Direction of improvement of a monitored metric.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MetricMode {
    /// Lower is better (a loss): `min`.
    #[default]
    Min,
    /// Higher is better (an accuracy): `max`.
    Max,
}

named_enum!(MetricMode, "mode", {
    Min => "min",
    Max => "max",
});

/// How a threshold on the change of a metric is measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ThresholdMode {
    /// Relative to the reference value: `rel` (PyTorch's `ReduceLROnPlateau` default).
    #[default]
    Rel,
    /// In the metric's own units: `abs`.
    Abs,
}

named_enum!(ThresholdMode, "threshold_mode", {
    Rel => "rel" | "relative",
    Abs => "abs" | "absolute",
});

impl MetricMode {
    /// Whether `value` improves on `best` by more than `threshold`, as PyTorch's
    /// `ReduceLROnPlateau._is_better`: `min`/`rel` is `value < best * (1 - threshold)`,
    /// `min`/`abs` is `value < best - threshold`, `max`/`rel` is `value > best * (1 + threshold)`
    /// and `max`/`abs` is `value > best + threshold`. A NaN `value` never improves.
    pub fn is_better(self, value: f64, best: f64, threshold: f64, mode: ThresholdMode) -> bool {
        match (self, mode) {
            (MetricMode::Min, ThresholdMode::Rel) => value < best * (1.0 - threshold),
            (MetricMode::Min, ThresholdMode::Abs) => value < best - threshold,
            (MetricMode::Max, ThresholdMode::Rel) => value > best * (threshold + 1.0),
            (MetricMode::Max, ThresholdMode::Abs) => value > best + threshold,
        }
    }

    /// The worst possible value: `+inf` for `min`, `-inf` for `max`.
    pub fn worst(self) -> f64 {
        match self {
            MetricMode::Min => f64::INFINITY,
            MetricMode::Max => f64::NEG_INFINITY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for mode in MetricMode::ALL {
            assert_eq!(
                mode.to_string().parse::<MetricMode>().expect("parses"),
                *mode
            );
        }
        for mode in ThresholdMode::ALL {
            assert_eq!(
                mode.to_string().parse::<ThresholdMode>().expect("parses"),
                *mode
            );
        }
    }

    #[test]
    fn improvement_tests() {
        let (min, max) = (MetricMode::Min, MetricMode::Max);
        assert!(min.is_better(0.98, 1.0, 0.01, ThresholdMode::Rel));
        assert!(!min.is_better(0.995, 1.0, 0.01, ThresholdMode::Rel));
        assert!(min.is_better(0.8, 1.0, 0.1, ThresholdMode::Abs));
        assert!(!min.is_better(0.95, 1.0, 0.1, ThresholdMode::Abs));
        assert!(max.is_better(1.02, 1.0, 0.01, ThresholdMode::Rel));
        assert!(!max.is_better(1.0, 1.0, 0.0, ThresholdMode::Abs));
        assert!(min.is_better(5.0, min.worst(), 1e-4, ThresholdMode::Rel));
        assert!(max.is_better(-5.0, max.worst(), 1e-4, ThresholdMode::Rel));
        assert!(!min.is_better(f64::NAN, min.worst(), 0.0, ThresholdMode::Abs));
    }
}
