//! The plot area: data-to-pixel scales, tick marks, grid lines and axis labels.

use crate::font;
use crate::layout::{Part, Region};
use crate::svg::{Anchor, Svg, TextStyle};
use crate::ticks::{Ticks, format_tick, linear_ticks, log_ticks};

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

    /// The frame as the layout's plot area.
    pub(crate) fn region(&self) -> Region {
        Region::rect(Part::PlotArea, self.left, self.top, self.right, self.bottom)
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

/// Gap between a tick label and the axis label beyond it.
const LABEL_GAP: f64 = 8.0;

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
    let tick_style = TextStyle::new(TICK_FONT);
    let label_style = TextStyle::new(LABEL_FONT).anchor(Anchor::Middle);
    match side {
        Side::Bottom => {
            svg.line(
                [frame.left, frame.bottom],
                [frame.right, frame.bottom],
                AXIS,
                1.0,
            );
            let baseline = frame.bottom + 7.0 + font::ascent(TICK_FONT);
            for (v, l) in ticks.values.iter().zip(&labels) {
                let x = scale.map(*v);
                svg.line([x, frame.bottom], [x, frame.bottom + 5.0], AXIS, 1.0);
                svg.text(
                    Part::XTick,
                    [x, baseline],
                    tick_style.anchor(Anchor::Middle),
                    l,
                );
            }
            let cx = (frame.left + frame.right) / 2.0;
            let y = baseline + font::descent(TICK_FONT) + LABEL_GAP + font::ascent(LABEL_FONT);
            svg.text(Part::XLabel, [cx, y], label_style, label);
        }
        Side::Left | Side::Right => {
            let (x0, dir, part, label_part) = if side == Side::Left {
                (frame.left, -1.0, Part::YTick, Part::YLabel)
            } else {
                (frame.right, 1.0, Part::RightTick, Part::RightLabel)
            };
            svg.line([x0, frame.top], [x0, frame.bottom], AXIS, 1.0);
            let anchor = if side == Side::Left {
                Anchor::End
            } else {
                Anchor::Start
            };
            // Digits sit between the baseline and about 0.73 em above it: centre them.
            let centre = 0.36 * TICK_FONT;
            let mut widest: f64 = 0.0;
            for (v, l) in ticks.values.iter().zip(&labels) {
                let y = scale.map(*v);
                svg.line([x0, y], [x0 + 5.0 * dir, y], AXIS, 1.0);
                svg.text(
                    part,
                    [x0 + 8.0 * dir, y + centre],
                    tick_style.anchor(anchor),
                    l,
                );
                widest = widest.max(font::text_width(l, TICK_FONT));
            }
            let cy = (frame.top + frame.bottom) / 2.0;
            // The label reads upwards on the left, downwards on the right: either way its
            // descent faces the tick labels, and keeps the gap from the widest of them.
            let lx = x0 + dir * (8.0 + widest + LABEL_GAP + font::descent(LABEL_FONT));
            svg.text(label_part, [lx, cy], label_style.rotate(90.0 * dir), label);
        }
    }
}

/// The space a vertical axis's tick labels and label need beside the frame, in pixels.
pub(crate) fn vertical_axis_width(ticks: &Ticks) -> f64 {
    let widest = ticks
        .values
        .iter()
        .map(|v| font::text_width(&format_tick(*v, ticks.step), TICK_FONT))
        .fold(0.0, f64::max);
    8.0 + widest + LABEL_GAP + font::ascent(LABEL_FONT) + font::descent(LABEL_FONT) + 4.0
}

/// The space under the frame that the x tick labels and the x label need, in pixels.
pub(crate) fn bottom_axis_height() -> f64 {
    7.0 + font::ascent(TICK_FONT)
        + font::descent(TICK_FONT)
        + LABEL_GAP
        + font::ascent(LABEL_FONT)
        + font::descent(LABEL_FONT)
        + 6.0
}

/// The title, centred above the frame: one line, or several broken at `, ` where one would
/// not fit in `width`. Returns where the space under it begins.
pub(crate) fn title(svg: &mut Svg, width: f64, title: &str) -> f64 {
    if title.is_empty() {
        return 20.0;
    }
    let lines = wrap(title, width - 20.0, TITLE_FONT);
    let step = 1.2 * TITLE_FONT;
    let first = 8.0 + font::ascent(TITLE_FONT);
    let style = TextStyle::new(TITLE_FONT).anchor(Anchor::Middle);
    for (k, line) in lines.iter().enumerate() {
        svg.text(
            Part::Title,
            [width / 2.0, first + step * k as f64],
            style,
            line,
        );
    }
    first + step * (lines.len() - 1) as f64 + font::descent(TITLE_FONT) + 12.0
}

/// `text` broken into lines no wider than `width` at `size` px, at `", "` (kept at the end
/// of the line) or, failing that, at spaces; a single word wider than `width` stays whole.
pub(crate) fn wrap(text: &str, width: f64, size: f64) -> Vec<String> {
    if font::text_width(text, size) <= width {
        return vec![text.to_string()];
    }
    let separator = if text.contains(", ") { ", " } else { " " };
    let pieces: Vec<&str> = text.split(separator).collect();
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for (k, piece) in pieces.iter().enumerate() {
        let last = k + 1 == pieces.len();
        let piece = if last {
            (*piece).to_string()
        } else {
            format!("{piece}{}", separator.trim_end())
        };
        let candidate = if line.is_empty() {
            piece.clone()
        } else {
            format!("{line} {piece}")
        };
        if !line.is_empty() && font::text_width(&candidate, size) > width {
            lines.push(std::mem::take(&mut line));
            line = piece;
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
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
    fn long_titles_break_at_commas_and_fit() {
        let title = "test loss around run-a/model.bpk (mlp 784-100-10 relu), filter-normalized random directions, biases/BN ignored, 1000 samples of fashion-mnist-test";
        let lines = wrap(title, 600.0, TITLE_FONT);
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(
            lines
                .iter()
                .all(|l| font::text_width(l, TITLE_FONT) <= 600.0),
            "{lines:?}"
        );
        assert_eq!(lines.join(" "), title);
        assert_eq!(wrap("short", 600.0, TITLE_FONT), vec!["short".to_string()]);
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
