//! Lays out and draws a [`LinePlot`] as SVG.

use super::colormap::SERIES;
use super::frame::{self, Frame, Scale, Side};
use super::legend::{Entry, legend};
use super::svg::Svg;
use super::{LinePlot, YAxis};

/// The SVG document for a validated plot.
pub(crate) fn render(plot: &LinePlot) -> String {
    let (w, h) = (f64::from(plot.width), f64::from(plot.height));
    let (w, h) = (
        if w == 0.0 { 800.0 } else { w },
        if h == 0.0 { 500.0 } else { h },
    );
    let has_right = plot.series.iter().any(|s| s.axis == YAxis::Right);
    let values = |axis: YAxis| {
        plot.series
            .iter()
            .filter(move |s| s.axis == axis)
            .flat_map(|s| s.y.iter().copied())
    };
    let top = if plot.title.is_empty() { 20.0 } else { 45.0 };
    let bottom = h - 55.0;
    // Scales first (pixels fixed below), so the tick labels' width sets the margins.
    let left_scale = Scale::fit(values(YAxis::Left), plot.log_y, 0.05, bottom, top);
    let right_scale = Scale::fit(values(YAxis::Right), false, 0.05, bottom, top);
    let (lt, rt) = (left_scale.ticks(6), right_scale.ticks(6));
    let left = frame::vertical_axis_width(&lt) + 12.0;
    let right = w - if has_right {
        frame::vertical_axis_width(&rt) + 12.0
    } else {
        25.0
    };
    let frame = Frame {
        left,
        top,
        right,
        bottom,
    };
    let x_scale = Scale::fit(
        plot.series.iter().flat_map(|s| s.x.iter().copied()),
        false,
        0.0,
        left,
        right,
    );
    let xt = x_scale.ticks(((right - left) / 90.0).max(2.0) as usize);

    let mut svg = Svg::new(w, h);
    frame::title(&mut svg, w, &plot.title);
    frame::grid_lines(&mut svg, &frame, &x_scale, &xt, Side::Bottom);
    frame::grid_lines(&mut svg, &frame, &left_scale, &lt, Side::Left);
    svg.begin_clip(left, top, right - left, bottom - top);
    for (k, s) in plot.series.iter().enumerate() {
        let scale = if s.axis == YAxis::Left {
            &left_scale
        } else {
            &right_scale
        };
        let runs = frame::finite_runs(
            s.x.iter()
                .zip(&s.y)
                .map(|(x, y)| (!scale.log || *y > 0.0).then(|| [x_scale.map(*x), scale.map(*y)])),
        );
        let colour = SERIES[k % SERIES.len()];
        let dash = if s.axis == YAxis::Right {
            " stroke-dasharray=\"7 4\""
        } else {
            ""
        };
        svg.path(
            &runs,
            false,
            &format!("fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" stroke-linejoin=\"round\"{dash}"),
        );
        // Lone points (between NaN neighbours) would be invisible as lines: draw dots.
        for run in runs.iter().filter(|r| r.len() == 1) {
            svg.circle(run[0], 2.5, &format!("fill=\"{colour}\""));
        }
    }
    svg.end_group();
    frame::axis(&mut svg, &frame, &x_scale, &xt, Side::Bottom, &plot.x_label);
    frame::axis(
        &mut svg,
        &frame,
        &left_scale,
        &lt,
        Side::Left,
        &plot.y_label_left,
    );
    if has_right {
        let label = plot.y_label_right.as_deref().unwrap_or("");
        frame::axis(&mut svg, &frame, &right_scale, &rt, Side::Right, label);
    } else {
        svg.line([right, top], [right, bottom], "#333333", 1.0);
    }
    svg.line([left, top], [right, top], "#333333", 1.0);
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
        legend(&mut svg, right - 8.0, top + 8.0, &entries);
    }
    svg.finish()
}
