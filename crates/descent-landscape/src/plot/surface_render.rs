//! Lays out and draws a [`SurfacePlot`] as SVG: the 2-D styles, the colour bar, paths and
//! markers. The 3-D view is in `surface3d.rs`.

use super::colormap::{PATHS, hex, viridis};
use super::colour_scale::ColourScale;
use super::contour::{contour_lines, filled_bands};
use super::frame::{self, Frame, Scale, Side};
use super::legend::{Entry, legend};
use super::svg::{Anchor, Svg};
use super::ticks::format_tick;
use super::{SurfacePlot, SurfaceStyle};

/// The SVG document for a validated plot.
pub(crate) fn render(plot: &SurfacePlot) -> String {
    let (w, h) = (f64::from(plot.width), f64::from(plot.height));
    let (w, h) = (
        if w == 0.0 { 760.0 } else { w },
        if h == 0.0 { 600.0 } else { h },
    );
    let colours = ColourScale::of(plot);
    let top = if plot.title.is_empty() { 20.0 } else { 45.0 };
    let bottom = h - 55.0;
    let bar_ticks = colours.ticks();
    // Colour bar: 18 px wide, its tick labels and rotated label to its right.
    let bar_space = 18.0 + frame::vertical_axis_width(&bar_ticks) + 24.0;
    let mut svg = Svg::new(w, h);
    frame::title(&mut svg, w, &plot.title);
    let right = w - bar_space;
    if plot.style == SurfaceStyle::Surface3d {
        let area = Frame {
            left: 20.0,
            top,
            right: right - 10.0,
            bottom: h - 20.0,
        };
        super::surface3d::draw(&mut svg, plot, &colours, &area);
    } else {
        let y_scale = Scale::fit(plot.y.iter().copied(), false, 0.0, bottom, top);
        let yt = y_scale.ticks(((bottom - top) / 70.0).max(2.0) as usize);
        let left = frame::vertical_axis_width(&yt) + 12.0;
        let frame = Frame {
            left,
            top,
            right,
            bottom,
        };
        let x_scale = Scale::fit(plot.x.iter().copied(), false, 0.0, left, right);
        let xt = x_scale.ticks(((right - left) / 90.0).max(2.0) as usize);
        let to_px = |p: [f64; 2]| [x_scale.map(p[0]), y_scale.map(p[1])];
        svg.begin_clip(left, top, frame.width(), frame.height());
        if plot.style != SurfaceStyle::Contour {
            // Missing (NaN) points show as this light grey.
            svg.rect(left, top, frame.width(), frame.height(), "#eeeeee", None);
        }
        draw_2d(&mut svg, plot, &colours, &to_px);
        draw_paths(&mut svg, plot, &to_px, right);
        svg.end_group();
        frame::axis(&mut svg, &frame, &x_scale, &xt, Side::Bottom, &plot.x_label);
        frame::axis(&mut svg, &frame, &y_scale, &yt, Side::Left, &plot.y_label);
        svg.line([left, top], [right, top], "#333333", 1.0);
        svg.line([right, top], [right, bottom], "#333333", 1.0);
        let entries: Vec<Entry<'_>> = plot
            .paths
            .iter()
            .enumerate()
            .map(|(k, p)| Entry {
                label: &p.label,
                colour: PATHS[k % PATHS.len()],
                outlined: true,
            })
            .collect();
        legend(&mut svg, right - 8.0, top + 8.0, &entries);
    }
    colour_bar(&mut svg, plot, &colours, w - bar_space + 24.0, top, bottom);
    svg.finish()
}

/// Contours, filled contours or the heatmap, through `to_px`.
fn draw_2d(
    svg: &mut Svg,
    plot: &SurfacePlot,
    c: &ColourScale,
    to_px: &dyn Fn([f64; 2]) -> [f64; 2],
) {
    let field: Vec<f64> = plot.values.iter().map(|v| c.space(*v)).collect();
    let lines_px = |level: f64| -> Vec<Vec<[f64; 2]>> {
        contour_lines(&plot.x, &plot.y, &field, c.space(level))
            .into_iter()
            .map(|l| l.into_iter().map(to_px).collect())
            .collect()
    };
    match plot.style {
        SurfaceStyle::Contour => {
            for level in &c.levels {
                let colour = hex(viridis(c.t(*level)));
                svg.path(
                    &lines_px(*level),
                    false,
                    &format!("fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\""),
                );
            }
        }
        SurfaceStyle::FilledContour => {
            let mut edges = vec![f64::NEG_INFINITY];
            edges.extend(c.levels.iter().map(|l| c.space(*l)));
            edges.push(f64::INFINITY);
            for band in edges.windows(2) {
                let polys: Vec<Vec<[f64; 2]>> =
                    filled_bands(&plot.x, &plot.y, &field, band[0], band[1])
                        .into_iter()
                        .map(|p| p.into_iter().map(to_px).collect())
                        .collect();
                let colour = hex(viridis(band_t(c, band[0], band[1])));
                // A thin stroke of the fill colour hides anti-aliasing seams between pieces.
                svg.path(
                    &polys,
                    true,
                    &format!("fill=\"{colour}\" stroke=\"{colour}\" stroke-width=\"0.6\""),
                );
            }
            for level in &c.levels {
                svg.path(
                    &lines_px(*level),
                    false,
                    "fill=\"none\" stroke=\"#000000\" stroke-opacity=\"0.35\" stroke-width=\"0.7\"",
                );
            }
        }
        SurfaceStyle::Heatmap => {
            let edges = |a: &[f64], k: usize| {
                let lo = if k == 0 {
                    a[0] - (a[1] - a[0]) / 2.0
                } else {
                    (a[k - 1] + a[k]) / 2.0
                };
                let m = a.len() - 1;
                let hi = if k == m {
                    a[m] + (a[m] - a[m - 1]) / 2.0
                } else {
                    (a[k] + a[k + 1]) / 2.0
                };
                (lo, hi)
            };
            for j in 0..plot.y.len() {
                let (y0, y1) = edges(&plot.y, j);
                for i in 0..plot.x.len() {
                    let v = plot.at(i, j);
                    if v.is_nan() {
                        continue;
                    }
                    let (x0, x1) = edges(&plot.x, i);
                    let (a, b) = (to_px([x0, y1]), to_px([x1, y0]));
                    let colour = hex(viridis(c.t(v)));
                    // Cells overlap by a fraction of a pixel so no seams show.
                    svg.rect(
                        a[0],
                        a[1],
                        b[0] - a[0] + 0.5,
                        b[1] - a[1] + 0.5,
                        &colour,
                        None,
                    );
                }
            }
        }
        SurfaceStyle::Surface3d => {}
    }
}

/// The colour-map position of the band between two levels in contouring space.
fn band_t(c: &ColourScale, a: f64, b: f64) -> f64 {
    let (lo, hi) = (c.space(c.lo), c.space(c.hi));
    let a = a.max(lo);
    let b = b.min(hi);
    ((a + b) / 2.0 - lo) / (hi - lo)
}

/// Paths (outlined, start circle, end square) and markers, through `to_px`; marker labels
/// stay left of `right_limit`.
fn draw_paths(
    svg: &mut Svg,
    plot: &SurfacePlot,
    to_px: &dyn Fn([f64; 2]) -> [f64; 2],
    right_limit: f64,
) {
    for (k, path) in plot.paths.iter().enumerate() {
        let colour = PATHS[k % PATHS.len()];
        let runs = frame::finite_runs(path.points.iter().map(|p| Some(to_px(*p))));
        svg.path(
            &runs,
            false,
            "fill=\"none\" stroke=\"#222222\" stroke-width=\"4\" stroke-linejoin=\"round\"",
        );
        svg.path(
            &runs,
            false,
            &format!(
                "fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.2\" stroke-linejoin=\"round\""
            ),
        );
        let finite: Vec<[f64; 2]> = runs.iter().flatten().copied().collect();
        if let (Some(first), Some(last)) = (finite.first(), finite.last()) {
            svg.circle(
                *first,
                5.0,
                &format!("fill=\"{colour}\" stroke=\"#222222\" stroke-width=\"1.5\""),
            );
            let s = 5.0;
            svg.path(
                &[vec![
                    [last[0] - s, last[1] - s],
                    [last[0] + s, last[1] - s],
                    [last[0] + s, last[1] + s],
                    [last[0] - s, last[1] + s],
                ]],
                true,
                &format!("fill=\"{colour}\" stroke=\"#222222\" stroke-width=\"1.5\""),
            );
        }
    }
    for m in &plot.markers {
        let p = to_px(m.at);
        svg.path(
            &[star(p, 8.0)],
            true,
            "fill=\"#ffffff\" stroke=\"#000000\" stroke-width=\"1.3\" stroke-linejoin=\"round\"",
        );
        // Labels near the right edge go to the marker's left, so the frame does not cut them.
        if p[0] + 10.0 + super::svg::text_width(&m.label, 12.0) > right_limit {
            svg.text_halo(p[0] - 10.0, p[1] - 8.0, 12.0, Anchor::End, &m.label);
        } else {
            svg.text_halo(p[0] + 10.0, p[1] - 8.0, 12.0, Anchor::Start, &m.label);
        }
    }
}

/// A five-pointed star of outer radius `r` around `c`.
fn star(c: [f64; 2], r: f64) -> Vec<[f64; 2]> {
    (0..10)
        .map(|k| {
            let a = std::f64::consts::PI * (k as f64 / 5.0 - 0.5);
            let rr = if k % 2 == 0 { r } else { r * 0.45 };
            [c[0] + rr * a.cos(), c[1] + rr * a.sin()]
        })
        .collect()
}

/// The vertical colour bar at `x`, from `top` to `bottom`, with ticks and the value label.
fn colour_bar(svg: &mut Svg, plot: &SurfacePlot, c: &ColourScale, x: f64, top: f64, bottom: f64) {
    const W: f64 = 18.0;
    let y_of = |t: f64| bottom - t * (bottom - top);
    if plot.style == SurfaceStyle::FilledContour {
        let mut edges = vec![c.lo];
        edges.extend(&c.levels);
        edges.push(c.hi);
        for band in edges.windows(2) {
            let (ta, tb) = (c.t(band[0]), c.t(band[1]));
            let colour = hex(viridis((ta + tb) / 2.0));
            svg.rect(x, y_of(tb), W, y_of(ta) - y_of(tb) + 0.3, &colour, None);
        }
    } else {
        const STEPS: usize = 128;
        for k in 0..STEPS {
            let (ta, tb) = (k as f64 / STEPS as f64, (k + 1) as f64 / STEPS as f64);
            let colour = hex(viridis((ta + tb) / 2.0));
            svg.rect(x, y_of(tb), W, y_of(ta) - y_of(tb) + 0.3, &colour, None);
        }
    }
    if matches!(
        plot.style,
        SurfaceStyle::Contour | SurfaceStyle::FilledContour
    ) {
        for l in &c.levels {
            let y = y_of(c.t(*l));
            svg.line([x, y], [x + W, y], "#000000", 0.6);
        }
    }
    svg.path(
        &[vec![[x, top], [x + W, top], [x + W, bottom], [x, bottom]]],
        true,
        "fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"",
    );
    let ticks = c.ticks();
    let mut widest: f64 = 0.0;
    for v in &ticks.values {
        let y = y_of(c.t(*v));
        let label = format_tick(*v, ticks.step);
        svg.line([x + W, y], [x + W + 4.0, y], "#333333", 1.0);
        svg.text(
            x + W + 7.0,
            y + 4.0,
            frame::TICK_FONT,
            Anchor::Start,
            0.0,
            &label,
        );
        widest = widest.max(super::svg::text_width(&label, frame::TICK_FONT));
    }
    let lx = x + W + 7.0 + widest + 14.0;
    let ly = (top + bottom) / 2.0;
    let label = if c.log && !plot.value_label.is_empty() {
        format!("{} (log scale)", plot.value_label)
    } else {
        plot.value_label.clone()
    };
    svg.text(lx, ly, frame::LABEL_FONT, Anchor::Middle, 90.0, &label);
}
