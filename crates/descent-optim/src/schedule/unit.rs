//! [`ScheduleUnit`]: what the durations of a schedule count, and when its rate moves.

use super::validate::named_enum;

/// What the durations of a [`ScheduleConfig`](super::ScheduleConfig) count and how often the
/// rate changes. Our trainer calls `step()` once per batch in every case.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ScheduleUnit {
    /// `epoch`: durations in epochs, the rate changes only at epoch boundaries. Gives exactly
    /// PyTorch's rates for a scheduler stepped once per epoch (`StepLR`, `CosineAnnealingLR`...).
    #[default]
    Epoch,
    /// `batch`: durations in batches, the rate changes every batch. Gives exactly PyTorch's rates
    /// for a scheduler stepped once per batch.
    Batch,
    /// `fractional-epoch`: durations in epochs, the rate changes every batch, following the
    /// schedule at the fractional epoch `e + b / steps_per_epoch` (as SGDR does): a cosine over
    /// 10 epochs becomes a smooth cosine over `10 * steps_per_epoch` batches, an exponential
    /// `gamma` per epoch becomes `gamma^(1 / steps_per_epoch)` per batch, step decays still
    /// happen at epoch boundaries.
    FractionalEpoch,
}

named_enum!(ScheduleUnit, "unit", {
    Epoch => "epoch",
    Batch => "batch" | "step" | "iteration",
    FractionalEpoch => "fractional-epoch" | "fractional_epoch" | "fractional" | "frac",
});

impl ScheduleUnit {
    /// `FractionalEpoch`, the default unit of warm restarts.
    pub fn fractional() -> Self {
        ScheduleUnit::FractionalEpoch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for unit in ScheduleUnit::ALL {
            assert_eq!(
                unit.to_string().parse::<ScheduleUnit>().expect("parses"),
                *unit
            );
            let json = serde_json::to_string(unit).expect("serializes");
            assert_eq!(
                serde_json::from_str::<ScheduleUnit>(&json).expect("parses"),
                *unit
            );
        }
        assert_eq!(
            "frac".parse::<ScheduleUnit>().expect("alias"),
            ScheduleUnit::FractionalEpoch
        );
    }
}
