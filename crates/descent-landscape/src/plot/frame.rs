//! The plot area: data-to-pixel scales, tick marks, grid lines and axis labels.

use super::svg::{Anchor, Svg};
use super::ticks::{Ticks, format_tick, linear_ticks, log_ticks};

/// Maps data values on `[lo, hi]` (log10 of them when `log`) to pixels `[p0, p1]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    pub p0: f64,
    pub p1: f64,
}

impl Scale {
    /// A scale over the finite (positive when `log`) values of `data`, padded by `pad` of the
    /// span on both ends; a flat range is widened so it still has a span.
    pub(crate) fn fit(
        data: impl Iterator<Item = f64>,
        log: bool,
        pad: f64,
        p0: f64,
        p1: f64,
    ) -> Self {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in data.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            (lo, hi) = if log { (0.1, 10.0) } else { (0.0, 1.0) };
        }
        if log {
            let (a, b) = widen(lo.log10(), hi.log10(), pad);
            (lo, hi) = (10f64.powf(a), 10f64.powf(b));
        } else {
            (lo, hi) = widen(lo, hi, pad);
        }
        Scale {
            lo,
            hi,
            log,
            p0,
            p1,
        }
    }

    /// The pixel position of `v` (not clamped).
    pub(crate) fn map(&self, v: f64) -> f64 {
        let t = if self.log {
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        self.p0 + t * (self.p1 - self.p0)
    }

    /// Ticks inside the range, about `target` of them on a linear scale.
    pub(crate) fn ticks(&self, target: usize) -> Ticks {
        if self.log {
            log_ticks(self.lo, self.hi)
        } else {
            linear_ticks(self.lo, self.hi, target)
        }
    }
}

fn widen(lo: f64, hi: f64, pad: f64) -> (f64, f64) {
    if hi - lo <= 1e-12 * lo.abs().max(1.0) {
        let d = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
        (lo - d, hi + d)
    } else {
        let d = pad * (hi - lo);
        (lo - d, hi + d)
    }
}

/// The rectangle data is drawn in, in pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl Frame {
    pub(crate) fn width(&self) -> f64 {
        self.right - self.left
    }

    pub(crate) fn height(&self) -> f64 {
        self.bottom - self.top
    }
}

/// Which side of the frame an axis is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Bottom,
    Left,
    Right,
}

pub(crate) const TICK_FONT: f64 = 12.0;
pub(crate) const LABEL_FONT: f64 = 14.0;
pub(crate) const TITLE_FONT: f64 = 16.0;
const AXIS: &str = "#333333";
const GRID: &str = "#e3e3e3";

/// Draws light grid lines at the ticks (call before the data).
pub(crate) fn grid_lines(svg: &mut Svg, frame: &Frame, scale: &Scale, ticks: &Ticks, side: Side) {
    for v in &ticks.values {
        let p = scale.map(*v);
        match side {
            Side::Bottom => svg.line([p, frame.top], [p, frame.bottom], GRID, 1.0),
            Side::Left | Side::Right => svg.line([frame.left, p], [frame.right, p], GRID, 1.0),
        }
    }
}

/// Draws the axis line, ticks, tick labels and the axis label on `side`.
pub(crate) fn axis(
    svg: &mut Svg,
    frame: &Frame,
    scale: &Scale,
    ticks: &Ticks,
    side: Side,
    label: &str,
) {
    let labels: Vec<String> = ticks
        .values
        .iter()
        .map(|v| format_tick(*v, ticks.step))
        .collect();
    match side {
        Side::Bottom => {
            svg.line(
                [frame.left, frame.bottom],
                [frame.right, frame.bottom],
                AXIS,
                1.0,
            );
            for (v, l) in ticks.values.iter().zip(&labels) {
                let x = scale.map(*v);
                svg.line([x, frame.bottom], [x, frame.bottom + 5.0], AXIS, 1.0);
                svg.text(x, frame.bottom + 19.0, TICK_FONT, Anchor::Middle, 0.0, l);
            }
            let cx = (frame.left + frame.right) / 2.0;
            svg.text(
                cx,
                frame.bottom + 40.0,
                LABEL_FONT,
                Anchor::Middle,
                0.0,
                label,
            );
        }
        Side::Left | Side::Right => {
            let (x0, dir) = if side == Side::Left {
                (frame.left, -1.0)
            } else {
                (frame.right, 1.0)
            };
            svg.line([x0, frame.top], [x0, frame.bottom], AXIS, 1.0);
            let anchor = if side == Side::Left {
                Anchor::End
            } else {
                Anchor::Start
            };
            let mut widest: f64 = 0.0;
            for (v, l) in ticks.values.iter().zip(&labels) {
                let y = scale.map(*v);
                svg.line([x0, y], [x0 + 5.0 * dir, y], AXIS, 1.0);
                svg.text(x0 + 8.0 * dir, y + 4.0, TICK_FONT, anchor, 0.0, l);
                widest = widest.max(super::svg::text_width(l, TICK_FONT));
            }
            let cy = (frame.top + frame.bottom) / 2.0;
            let lx = x0 + dir * (widest + 20.0);
            svg.text(lx, cy, LABEL_FONT, Anchor::Middle, 90.0 * dir, label);
        }
    }
}

/// The space a vertical axis's tick labels and label need, in pixels.
pub(crate) fn vertical_axis_width(scale_ticks: &Ticks) -> f64 {
    let widest = scale_ticks
        .values
        .iter()
        .map(|v| super::svg::text_width(&format_tick(*v, scale_ticks.step), TICK_FONT))
        .fold(0.0, f64::max);
    widest + 36.0
}

/// The title centred above the frame.
pub(crate) fn title(svg: &mut Svg, width: f64, title: &str) {
    if !title.is_empty() {
        svg.text(width / 2.0, 26.0, TITLE_FONT, Anchor::Middle, 0.0, title);
    }
}

/// Splits a sequence of points into the runs of finite points.
pub(crate) fn finite_runs(points: impl Iterator<Item = Option<[f64; 2]>>) -> Vec<Vec<[f64; 2]>> {
    let mut runs = vec![Vec::new()];
    for p in points {
        match p {
            Some(p) if p[0].is_finite() && p[1].is_finite() => {
                if let Some(last) = runs.last_mut() {
                    last.push(p);
                }
            }
            _ => {
                if runs.last().is_some_and(|r| !r.is_empty()) {
                    runs.push(Vec::new());
                }
            }
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_map_ends_to_pixels_and_pad() {
        let s = Scale::fit([0.0, 10.0].into_iter(), false, 0.0, 100.0, 200.0);
        assert_eq!(s.map(0.0), 100.0);
        assert_eq!(s.map(5.0), 150.0);
        let s = Scale::fit(
            [1e-3, 10.0, f64::NAN, -1.0].into_iter(),
            true,
            0.0,
            0.0,
            4.0,
        );
        assert!((s.map(1e-2) - 1.0).abs() < 1e-12);
        let flat = Scale::fit([2.0, 2.0].into_iter(), false, 0.05, 0.0, 1.0);
        assert!(flat.lo < 2.0 && flat.hi > 2.0);
    }

    #[test]
    fn nan_breaks_runs() {
        let pts = [
            Some([0.0, 1.0]),
            Some([1.0, f64::NAN]),
            Some([2.0, 2.0]),
            Some([3.0, 3.0]),
            None,
        ];
        let runs = finite_runs(pts.into_iter());
        assert_eq!(runs, vec![vec![[0.0, 1.0]], vec![[2.0, 2.0], [3.0, 3.0]]]);
    }
}
