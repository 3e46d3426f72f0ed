//! Cosine and linear interpolation between two rates, exact at both ends.

/// `to + (from - to) * (1 + cos(phase)) / 2`: `from` at phase 0, `to` at phase pi.
///
/// Computed from the nearer end, so phase 0 gives exactly `from` and phase pi exactly `to`
/// (the textbook form `to + (from - to) * ...` can miss `from` by one ulp), and the result never
/// leaves `[min(from, to), max(from, to)]`.
pub(crate) fn cosine_between(from: f64, to: f64, phase: f64) -> f64 {
    let c = phase.cos();
    let value = if c >= 0.0 {
        from - (from - to) * (1.0 - c) / 2.0
    } else {
        to + (from - to) * (1.0 + c) / 2.0
    };
    value.clamp(from.min(to), from.max(to))
}

/// `from + (to - from) * pct`: `from` at 0, `to` at 1, computed from the nearer end so both ends
/// are exact, and clamped to the interval between them.
pub(crate) fn linear_between(from: f64, to: f64, pct: f64) -> f64 {
    let value = if pct <= 0.5 {
        from + (to - from) * pct
    } else {
        to - (to - from) * (1.0 - pct)
    };
    value.clamp(from.min(to), from.max(to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::f64::consts::PI;

    #[test]
    fn exact_at_both_ends() {
        for (from, to) in [(0.1, 0.001), (0.3, 0.1), (0.004, 0.1), (0.7, 0.7)] {
            assert_eq!(cosine_between(from, to, 0.0), from);
            assert_eq!(cosine_between(from, to, PI), to);
            assert_eq!(linear_between(from, to, 0.0), from);
            assert_eq!(linear_between(from, to, 1.0), to);
        }
        assert!((cosine_between(1.0, 0.0, PI / 2.0) - 0.5).abs() < 1e-15);
    }
}
