//! Helpers shared by the schedule tests.

use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};

/// Relative tolerance for comparisons with PyTorch.
pub(crate) const TORCH_RTOL: f64 = 1e-6;

/// Asserts `actual[i]` equals `expected[i]` within `rtol` relative (plus 1e-15 absolute, so exact
/// zeros compare), and that the lengths agree.
pub(crate) fn assert_close(actual: &[f64], expected: &[f64], rtol: f64) {
    assert_eq!(actual.len(), expected.len(), "sequence lengths differ");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= rtol * e.abs() + 1e-15,
            "value {i}: got {a}, expected {e} (rtol {rtol})"
        );
    }
}

/// The next `n` rates of `scheduler`.
pub(crate) fn take(scheduler: &mut dyn LrScheduler, n: usize) -> Vec<f64> {
    (0..n).map(|_| scheduler.step()).collect()
}

/// For each `k` in `points`: runs a copy of `fresh` for `k` steps, saves its record through the
/// burnpack byte format, loads it into another fresh copy, and checks that both give bit-identical
/// rates for the next `horizon` steps.
pub(crate) fn check_resume<S: LrScheduler + Clone>(fresh: &S, points: &[usize], horizon: usize) {
    for &k in points {
        let mut original = fresh.clone();
        take(&mut original, k);
        let bytes = original
            .to_record()
            .into_bytes()
            .expect("record serializes");
        let record = LrSchedulerRecord::from_bytes(bytes).expect("record deserializes");
        let mut resumed = fresh.clone();
        resumed.load_record(record);
        for i in 0..horizon {
            let (a, b) = (original.step(), resumed.step());
            assert_eq!(
                a.to_bits(),
                b.to_bits(),
                "resumed at {k}: step {i} after resume gives {b}, expected {a}"
            );
        }
    }
}

/// Asserts `result` is an [`OptimError::InvalidConfig`](crate::OptimError::InvalidConfig)
/// naming `field`.
pub(crate) fn assert_invalid<T: core::fmt::Debug>(
    result: Result<T, crate::OptimError>,
    field: &str,
) {
    match result {
        Err(crate::OptimError::InvalidConfig { field: f, .. }) => {
            assert_eq!(f, field, "wrong field in the error")
        }
        other => panic!("expected an error naming {field}, got {other:?}"),
    }
}
