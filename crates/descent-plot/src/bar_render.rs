//! Lays out and draws a [`BarPlot`] as SVG.

use crate::BarPlot;
use crate::colormap::SERIES;
use crate::figure::Figure;
use crate::font;
use crate::frame::{self, Frame, LABEL_FONT, Scale, Side, TICK_FONT};
use crate::layout::Part;
use crate::legend::{Entry, Legend};
use crate::svg::{Anchor, Svg, TextStyle};

/// How the category names are set under the axis.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Names {
    /// Side by side, level.
    Level,
    /// Turned by this many degrees (negative: reading upwards to the right), every `every`-th.
    Turned { degrees: f64, every: usize },
}

/// The figure of a validated chart.
pub(crate) fn render(plot: &BarPlot) -> Figure {
    let (w, h) = (f64::from(plot.width), f64::from(plot.height));
    let (w, h) = (
        if w == 0.0 { 800.0 } else { w },
        if h == 0.0 { 500.0 } else { h },
    );
    let n = plot.categories.len();
    let mut svg = Svg::new(w, h);
    let top = frame::title(&mut svg, w, &plot.title);
    let values = || {
        plot.series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .filter(|v| v.is_finite() && (!plot.log_y || *v > 0.0))
    };
    // Bars stand on zero on a linear axis; on a log axis, on the axis's bottom.
    let scale_of = |bottom: f64| {
        if plot.log_y {
            Scale::fit(values(), true, 0.05, bottom, top)
        } else {
            let lo = values().fold(0.0, f64::min);
            let hi = values().fold(0.0, f64::max);
            let pad = 0.05 * (hi - lo).max(f64::MIN_POSITIVE);
            let mut s = Scale::fit([lo, hi].into_iter(), false, 0.0, bottom, top);
            s.lo = if lo < 0.0 { lo - pad } else { 0.0 };
            s.hi = if hi > 0.0 { hi + pad } else { 0.0 };
            if s.hi <= s.lo {
                s.hi = s.lo + 1.0;
            }
            s
        }
    };
    let provisional = scale_of(h - 100.0);
    let left = frame::vertical_axis_width(&provisional.ticks(6));
    let right = w - 20.0;
    let slot = (right - left) / n as f64;
    let (up, down) = (font::ascent(TICK_FONT), font::descent(TICK_FONT));
    let widest = plot
        .categories
        .iter()
        .map(|c| font::text_width(c, TICK_FONT))
        .fold(0.0, f64::max);
    let names = if widest + 2.0 * font::PAD <= slot {
        Names::Level
    } else if (up + down) * std::f64::consts::SQRT_2 + font::PAD <= slot {
        Names::Turned {
            degrees: -45.0,
            every: 1,
        }
    } else {
        Names::Turned {
            degrees: -90.0,
            every: ((up + down + font::PAD) / slot).ceil().max(1.0) as usize,
        }
    };
    // How far the names reach below the axis.
    let reach = 7.0
        + match names {
            Names::Level => up + down,
            Names::Turned { degrees, .. } => {
                let (sin, cos) = degrees.to_radians().sin_cos();
                widest * sin.abs() + (up + down) * cos.abs()
            }
        };
    let x_label_space = if plot.x_label.is_empty() {
        6.0
    } else {
        8.0 + font::ascent(LABEL_FONT) + font::descent(LABEL_FONT) + 6.0
    };
    let bottom = (h - reach - x_label_space).max(top + 0.4 * (h - top));
    let y_scale = scale_of(bottom);
    let yt = y_scale.ticks(6);
    let frame = Frame {
        left,
        top,
        right,
        bottom,
    };
    frame::grid_lines(&mut svg, &frame, &y_scale, &yt, Side::Left);
    let base = if plot.log_y { bottom } else { y_scale.map(0.0) };
    let group = 0.8 * slot;
    let bar = group / plot.series.len() as f64;
    for (k, s) in plot.series.iter().enumerate() {
        let colour = SERIES[k % SERIES.len()];
        for (i, v) in s.values.iter().enumerate() {
            if !v.is_finite() || (plot.log_y && *v <= 0.0) {
                continue;
            }
            let x = left + slot * i as f64 + (slot - group) / 2.0 + bar * k as f64;
            let y = y_scale.map(*v).clamp(top, bottom);
            let (y0, y1) = (y.min(base), y.max(base));
            svg.rect(x, y0, bar, y1 - y0, colour, None);
        }
    }
    svg.record(frame.region());
    frame::axis(&mut svg, &frame, &y_scale, &yt, Side::Left, &plot.y_label);
    svg.line([left, bottom], [right, bottom], "#333333", 1.0);
    if !plot.log_y && y_scale.lo < 0.0 {
        svg.line([left, base], [right, base], "#333333", 1.0);
    }
    svg.line([left, top], [right, top], "#333333", 1.0);
    svg.line([right, top], [right, bottom], "#333333", 1.0);
    for (i, name) in plot.categories.iter().enumerate() {
        let x = left + slot * (i as f64 + 0.5);
        svg.line([x, bottom], [x, bottom + 5.0], "#333333", 1.0);
        match names {
            Names::Level => {
                let style = TextStyle::new(TICK_FONT).anchor(Anchor::Middle);
                svg.text(Part::Category, [x, bottom + 7.0 + up], style, name);
            }
            Names::Turned { degrees, every } => {
                if i % every != 0 {
                    continue;
                }
                // Anchored at its end just under the tick, the name runs down and left;
                // its box's centre line passes through the tick.
                let (sin, cos) = degrees.to_radians().sin_cos();
                let lift = (up - down) / 2.0;
                let c = [x, bottom + 7.0 + (up + down) / 2.0 * cos.abs()];
                let at = [c[0] - lift * sin, c[1] + lift * cos];
                let style = TextStyle::new(TICK_FONT)
                    .anchor(Anchor::End)
                    .rotate(degrees);
                svg.text(Part::Category, at, style, name);
            }
        }
    }
    if !plot.x_label.is_empty() {
        let y = bottom + reach + 8.0 + font::ascent(LABEL_FONT);
        let style = TextStyle::new(LABEL_FONT).anchor(Anchor::Middle);
        svg.text(
            Part::XLabel,
            [(left + right) / 2.0, y],
            style,
            &plot.x_label,
        );
    }
    if plot.series.len() > 1 {
        let entries: Vec<Entry<'_>> = plot
            .series
            .iter()
            .enumerate()
            .map(|(k, s)| Entry {
                label: &s.label,
                colour: SERIES[k % SERIES.len()],
                outlined: false,
            })
            .collect();
        if let Some(legend) = Legend::new(&entries) {
            legend.draw(&mut svg, right - 8.0, top + 8.0, true);
        }
    }
    let (svg, layout) = svg.finish();
    Figure { svg, layout }
}

impl BarPlot {
    /// Lays out and draws the chart, without writing it.
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`](crate::PlotError::InvalidInput) for unusable data (see [`BarPlot::validate`]).
    pub fn render(&self) -> Result<Figure, crate::PlotError> {
        self.validate()?;
        Ok(render(self))
    }
}
