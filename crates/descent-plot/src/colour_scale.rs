//! Values to colours and contour levels for a surface: the range, log option and levels.

use crate::SurfacePlot;
use crate::surface::DEFAULT_LEVELS;
use crate::ticks::{Ticks, linear_ticks, log_ticks};

/// Maps surface values onto `[0, 1]` for the colour map, in the space contours are drawn in
/// (`log10` of the values when `log`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColourScale {
    /// The range's ends, in value units.
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    /// Contour levels in value units, strictly inside `(lo, hi)`, increasing.
    pub levels: Vec<f64>,
}

impl ColourScale {
    /// The scale of a validated plot: its `value_range`, or the finite (positive, when log)
    /// values' range.
    pub(crate) fn of(plot: &SurfacePlot) -> Self {
        let log = plot.log_values;
        let (lo, hi) = match plot.value_range {
            Some([lo, hi]) => (lo, hi),
            None => {
                let usable = plot
                    .values
                    .iter()
                    .copied()
                    .filter(|v| v.is_finite() && (!log || *v > 0.0));
                usable.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(v), b.max(v))
                })
            }
        };
        let (lo, hi) = if hi > lo {
            (lo, hi)
        } else if log {
            (lo / 2.0, lo * 2.0)
        } else {
            (lo - 0.5, hi + 0.5)
        };
        let target = if plot.levels == 0 {
            DEFAULT_LEVELS
        } else {
            plot.levels
        };
        let levels = if log {
            log_levels(lo, hi, target)
        } else {
            linear_ticks(lo, hi, target).values
        };
        let levels = levels.into_iter().filter(|l| *l > lo && *l < hi).collect();
        ColourScale {
            lo,
            hi,
            log,
            levels,
        }
    }

    /// `v` in the contouring space (`log10(v)` when log, with `v <= 0` below the range).
    pub(crate) fn space(&self, v: f64) -> f64 {
        if !self.log {
            v
        } else if v > 0.0 {
            v.log10()
        } else if v.is_nan() {
            f64::NAN
        } else {
            self.lo.log10() - 1.0
        }
    }

    /// The position of `v` on the colour map, clamped to `[0, 1]` (NaN stays NaN).
    pub(crate) fn t(&self, v: f64) -> f64 {
        let (a, b) = (self.space(self.lo), self.space(self.hi));
        let t = (self.space(v) - a) / (b - a);
        if t.is_nan() { t } else { t.clamp(0.0, 1.0) }
    }

    /// Ticks for the colour bar.
    pub(crate) fn ticks(&self) -> Ticks {
        if self.log {
            log_ticks(self.lo, self.hi)
        } else {
            linear_ticks(self.lo, self.hi, 6)
        }
    }
}

/// About `target` log-spaced levels on round numbers: `{1, 2, 5} x 10^k` when that gives
/// few enough, else every n-th power of ten; linear ticks within less than a decade.
pub(crate) fn log_levels(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let decades = (hi / lo).log10();
    if decades < 1.0 {
        return linear_ticks(lo, hi, target).values;
    }
    let (e0, e1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let inside = |v: &f64| *v > lo && *v < hi;
    let fine: Vec<f64> = (e0..=e1)
        .flat_map(|e| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(e)))
        .filter(inside)
        .collect();
    if fine.len() <= target * 3 / 2 {
        return fine;
    }
    let powers: Vec<f64> = (e0..=e1).map(|e| 10f64.powi(e)).filter(inside).collect();
    let every = powers.len().div_ceil(target.max(1));
    powers.into_iter().step_by(every.max(1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_levels_are_round_and_log_spaced() {
        assert_eq!(
            log_levels(0.05, 30.0, 12),
            vec![0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0]
        );
        let l = log_levels(1e-6, 1e6, 6);
        assert_eq!(l.len(), 6, "{l:?}");
        assert!(
            l.windows(2).all(|w| (w[1] / w[0] - 100.0).abs() < 1e-6),
            "{l:?}"
        );
    }

    #[test]
    fn colour_positions_clamp_to_the_range() {
        let plot = SurfacePlot {
            x: vec![0.0, 1.0],
            y: vec![0.0, 1.0],
            values: vec![1.0, 10.0, 100.0, f64::NAN],
            log_values: true,
            ..Default::default()
        };
        let c = ColourScale::of(&plot);
        assert_eq!((c.lo, c.hi), (1.0, 100.0));
        assert!((c.t(10.0) - 0.5).abs() < 1e-12);
        assert_eq!(c.t(1e6), 1.0);
        assert_eq!(c.t(-3.0), 0.0);
        assert!(c.t(f64::NAN).is_nan());
    }
}
