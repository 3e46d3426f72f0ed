//! Axis ticks at round numbers, and their labels.

/// Tick positions for an axis and the spacing they were chosen with.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    /// The tick values, increasing, all inside the requested range.
    pub values: Vec<f64>,
    /// The spacing between ticks (linear axes) or 0 for a log axis.
    pub step: f64,
}

/// About `target` ticks at multiples of 1, 2 or 5 times a power of ten inside `[lo, hi]`
/// (the classic "nice numbers" choice). A degenerate range gives the one value.
pub fn linear_ticks(lo: f64, hi: f64, target: usize) -> Ticks {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if !(lo.is_finite() && hi.is_finite()) || hi - lo <= f64::EPSILON * lo.abs().max(1e-300) {
        return Ticks {
            values: if lo.is_finite() { vec![lo] } else { Vec::new() },
            step: 0.0,
        };
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * 0.999)
        .unwrap_or(10.0 * mag);
    let first = (lo / step - 1e-9).ceil();
    let last = (hi / step + 1e-9).floor();
    let values = (first as i64..=last as i64)
        .map(|k| {
            let v = k as f64 * step;
            if v.abs() < step * 1e-9 { 0.0 } else { v }
        })
        .collect();
    Ticks { values, step }
}

/// Ticks for a log axis over `[lo, hi]` (both > 0): every power of ten inside, thinned to
/// about 8; with fewer than two decades inside, also 2x and 5x each decade, then a linear
/// choice if still fewer than 2 ticks.
pub fn log_ticks(lo: f64, hi: f64) -> Ticks {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if !(lo > 0.0 && hi.is_finite()) {
        return Ticks {
            values: Vec::new(),
            step: 0.0,
        };
    }
    let inside = |v: &f64| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9);
    let (e0, e1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let decades: Vec<f64> = (e0..=e1).map(|e| 10f64.powi(e)).filter(inside).collect();
    if decades.len() >= 2 {
        let every = decades.len().div_ceil(8);
        let values = decades.into_iter().step_by(every).collect();
        return Ticks { values, step: 0.0 };
    }
    let values: Vec<f64> = (e0..=e1)
        .flat_map(|e| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(e)))
        .filter(inside)
        .collect();
    if values.len() >= 2 {
        return Ticks { values, step: 0.0 };
    }
    let mut t = linear_ticks(lo, hi, 4);
    t.values.retain(|v| *v > 0.0);
    t.step = 0.0;
    t
}

/// A tick label: as many decimals as `step` needs (`0.25` -> 2), no trailing noise; values
/// of magnitude >= 1e5 or < 1e-3 (or log ticks, `step == 0`, outside that range) in
/// scientific notation like `1e-4` or `2.5e6`.
pub fn format_tick(value: f64, step: f64) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let mag = value.abs();
    if !(1e-3..1e5).contains(&mag) {
        let s = format!("{value:.3e}");
        // Trim the mantissa's trailing zeros: 2.500e6 -> 2.5e6.
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = m.trim_end_matches('0').trim_end_matches('.');
        return format!("{m}e{e}");
    }
    let decimals = if step > 0.0 {
        decimals_for(step)
    } else {
        decimals_for(mag)
    };
    let s = format!("{value:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// The number of decimals that writes `v` without rounding it (up to 6).
fn decimals_for(v: f64) -> usize {
    (0..=6)
        .find(|d| {
            let scaled = v * 10f64.powi(*d as i32);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.abs().max(1.0)
        })
        .unwrap_or(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
    }

    #[test]
    fn linear_ticks_are_round_and_inside() {
        let t = linear_ticks(0.0, 1.0, 5);
        assert!(close(&t.values, &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]), "{t:?}");
        let t = linear_ticks(-1.0, 1.0, 4);
        assert!(close(&t.values, &[-1.0, -0.5, 0.0, 0.5, 1.0]), "{t:?}");
        let t = linear_ticks(0.13, 0.87, 5);
        assert!(close(&t.values, &[0.2, 0.4, 0.6, 0.8]), "{t:?}");
        let t = linear_ticks(0.0, 100.0, 6);
        assert_eq!(t.step, 20.0);
        let t = linear_ticks(3.0, 3.0, 5);
        assert_eq!(t.values, vec![3.0]);
    }

    #[test]
    fn log_ticks_choose_decades_or_mantissas() {
        let t = log_ticks(1e-3, 10.0);
        assert!(close(&t.values, &[1e-3, 1e-2, 1e-1, 1.0, 10.0]), "{t:?}");
        let t = log_ticks(0.15, 0.9);
        assert!(close(&t.values, &[0.2, 0.5]), "{t:?}");
        let t = log_ticks(1e-20, 1.0);
        assert!(t.values.len() <= 8, "{t:?}");
        assert!(log_ticks(-1.0, 1.0).values.is_empty());
    }

    #[test]
    fn labels_have_just_enough_decimals() {
        assert_eq!(format_tick(0.2, 0.2), "0.2");
        assert_eq!(format_tick(0.25, 0.25), "0.25");
        assert_eq!(format_tick(1.0, 0.25), "1.00");
        assert_eq!(format_tick(40.0, 20.0), "40");
        assert_eq!(format_tick(-0.0000001, 0.5), "-1e-7");
        assert_eq!(format_tick(0.0, 0.5), "0");
        assert_eq!(format_tick(2.5e6, 5e5), "2.5e6");
        assert_eq!(format_tick(1e-4, 0.0), "1e-4");
        assert_eq!(format_tick(0.01, 0.0), "0.01");
    }
}
