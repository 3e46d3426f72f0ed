//! Lays out and draws a [`LinePlot`] as SVG.

use crate::colormap::SERIES;
use crate::figure::Figure;
use crate::frame::{self, Frame, Scale, Side};
use crate::legend::{Entry, Legend};
use crate::svg::Svg;
use crate::{LinePlot, YAxis};

/// The figure of a validated plot.
pub(crate) fn render(plot: &LinePlot) -> Figure {
    let (w, h) = (f64::from(plot.width), f64::from(plot.height));
    let (w, h) = (
        if w == 0.0 { 800.0 } else { w },
        if h == 0.0 { 500.0 } else { h },
    );
    let has_right = plot.series.iter().any(|s| s.axis == YAxis::Right);
    let log_x = plot.log_x;
    let x_ok = move |x: f64| !log_x || x > 0.0;
    // The y values on `axis` at the x values the x axis shows, with the ends of bands.
    let values = |axis: YAxis| -> Vec<f64> {
        plot.series
            .iter()
            .filter(|s| s.axis == axis)
            .flat_map(|s| {
                let band = s.band.as_deref().unwrap_or(&[]);
                s.x.iter()
                    .zip(&s.y)
                    .enumerate()
                    .flat_map(move |(k, (x, y))| {
                        let b = band
                            .get(k)
                            .copied()
                            .filter(|b| b.is_finite())
                            .unwrap_or(0.0);
                        [(*x, *y), (*x, y - b), (*x, y + b)]
                    })
            })
            .filter(|(x, _)| x_ok(*x))
            .map(|(_, y)| y)
            .collect()
    };
    let mut svg = Svg::new(w, h);
    let top = frame::title(&mut svg, w, &plot.title);
    let bottom = h - frame::bottom_axis_height();
    // Scales first (pixels fixed below), so the tick labels' width sets the margins.
    let left_scale = Scale::fit(
        values(YAxis::Left).into_iter(),
        plot.log_y,
        0.05,
        bottom,
        top,
    );
    let right_scale = Scale::fit(values(YAxis::Right).into_iter(), false, 0.05, bottom, top);
    let (lt, rt) = (left_scale.ticks(6), right_scale.ticks(6));
    let left = frame::vertical_axis_width(&lt);
    let right = w - if has_right {
        frame::vertical_axis_width(&rt)
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
        plot.series
            .iter()
            .flat_map(|s| s.x.iter().copied())
            .filter(|x| x_ok(*x)),
        plot.log_x,
        0.0,
        left,
        right,
    );
    let xt = x_scale.ticks(((right - left) / 90.0).max(2.0) as usize);

    frame::grid_lines(&mut svg, &frame, &x_scale, &xt, Side::Bottom);
    frame::grid_lines(&mut svg, &frame, &left_scale, &lt, Side::Left);
    svg.begin_clip(left, top, right - left, bottom - top);
    // Every point drawn (and points along the segments between them), for the legend's
    // placement.
    let mut drawn: Vec<[f64; 2]> = Vec::new();
    for (k, s) in plot.series.iter().enumerate() {
        let scale = if s.axis == YAxis::Left {
            &left_scale
        } else {
            &right_scale
        };
        let runs = frame::finite_runs(s.x.iter().zip(&s.y).map(|(x, y)| {
            (x_ok(*x) && (!scale.log || *y > 0.0)).then(|| [x_scale.map(*x), scale.map(*y)])
        }));
        for run in &runs {
            for w in run.windows(2) {
                drawn.extend((0..8).map(|t| {
                    let t = f64::from(t) / 8.0;
                    [
                        w[0][0] + t * (w[1][0] - w[0][0]),
                        w[0][1] + t * (w[1][1] - w[0][1]),
                    ]
                }));
            }
            drawn.extend(run.last());
        }
        let colour = SERIES[k % SERIES.len()];
        if let Some(band) = &s.band {
            // One closed outline per stretch of points whose band is drawable: the upper
            // edge forward, the lower edge back.
            let mut outlines: Vec<Vec<[f64; 2]>> = Vec::new();
            let mut stretch: Vec<[f64; 3]> = Vec::new();
            let mut close = |stretch: &mut Vec<[f64; 3]>| {
                let mut outline: Vec<[f64; 2]> = stretch.iter().map(|p| [p[0], p[2]]).collect();
                outline.extend(stretch.iter().rev().map(|p| [p[0], p[1]]));
                outlines.push(outline);
                stretch.clear();
            };
            for ((x, y), b) in s.x.iter().zip(&s.y).zip(band) {
                let (lo, hi) = (y - b, y + b);
                let ok = x_ok(*x) && lo.is_finite() && hi.is_finite() && (!scale.log || lo > 0.0);
                if ok {
                    stretch.push([x_scale.map(*x), scale.map(lo), scale.map(hi)]);
                } else if !stretch.is_empty() {
                    close(&mut stretch);
                }
            }
            if !stretch.is_empty() {
                close(&mut stretch);
            }
            svg.path(
                &outlines,
                true,
                &format!("fill=\"{colour}\" fill-opacity=\"0.25\" stroke=\"none\""),
            );
        }
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
    svg.record(frame.region());
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
        if let Some(legend) = Legend::new(&entries) {
            // The corner that hides the fewest points of the curves, top right on a tie.
            let inset = 8.0;
            let corners = [
                [right - inset, top + inset],
                [left + inset + legend.width, top + inset],
                [right - inset, bottom - inset - legend.height],
                [left + inset + legend.width, bottom - inset - legend.height],
            ];
            let hidden = |at: &[f64; 2]| {
                let b = legend.region(at[0], at[1], true).bounds();
                drawn
                    .iter()
                    .filter(|p| p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3])
                    .count()
            };
            let at = corners
                .iter()
                .min_by_key(|c| hidden(c))
                .copied()
                .unwrap_or(corners[0]);
            legend.draw(&mut svg, at[0], at[1], true);
        }
    }
    let (svg, layout) = svg.finish();
    Figure { svg, layout }
}

impl LinePlot {
    /// Lays out and draws the plot, without writing it.
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`](crate::PlotError::InvalidInput) for unusable data (see [`LinePlot::validate`]).
    pub fn render(&self) -> Result<Figure, crate::PlotError> {
        self.validate()?;
        Ok(render(self))
    }
}
