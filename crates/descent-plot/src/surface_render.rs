//! Lays out and draws a [`SurfacePlot`] as SVG: the 2-D styles, the colour bar, paths,
//! markers and contour labels. The 3-D view is in `surface3d.rs`.

use crate::colormap::{PATHS, hex, viridis};
use crate::colour_scale::ColourScale;
use crate::contour::{contour_lines, filled_bands};
use crate::contour_labels::{self, Obstacles, Segments};
use crate::figure::Figure;
use crate::font;
use crate::frame::{self, Frame, Scale, Side};
use crate::layout::{Part, Region};
use crate::legend::{Entry, Legend};
use crate::svg::{Anchor, Svg, TextStyle, text_region};
use crate::ticks::format_tick;
use crate::{Aspect, SurfacePlot, SurfaceStyle};

/// The colour bar's strip width, and its gap from the plot.
const BAR: f64 = 18.0;
const BAR_GAP: f64 = 24.0;
/// The colour bar is at least this tall (centred on a flatter plot), so its ticks fit.
const BAR_MIN_HEIGHT: f64 = 240.0;
/// Size of marker labels.
const MARKER_FONT: f64 = 12.0;

/// The figure of a validated plot.
pub(crate) fn render(plot: &SurfacePlot) -> Figure {
    let (w, h) = (f64::from(plot.width), f64::from(plot.height));
    let (w, h) = (
        if w == 0.0 { 760.0 } else { w },
        if h == 0.0 { 600.0 } else { h },
    );
    let colours = ColourScale::of(plot);
    let mut svg = Svg::new(w, h);
    let top = frame::title(&mut svg, w, &plot.title);
    let bar_space = BAR_GAP + colour_bar_width(plot, &colours);
    if plot.style == SurfaceStyle::Surface3d {
        let area = Frame {
            left: 10.0,
            top,
            right: w - bar_space,
            bottom: h - 10.0,
        };
        crate::surface3d::draw(&mut svg, plot, &colours, &area);
        let bottom = h - frame::bottom_axis_height();
        colour_bar(
            &mut svg,
            plot,
            &colours,
            w - bar_space + BAR_GAP,
            top,
            bottom,
        );
    } else {
        let frame = frame_2d(plot, w, top, h - frame::bottom_axis_height(), bar_space);
        let y_scale = Scale::fit(plot.y.iter().copied(), false, 0.0, frame.bottom, frame.top);
        let yt = y_scale.ticks((frame.height() / 70.0).max(2.0) as usize);
        let x_scale = Scale::fit(plot.x.iter().copied(), false, 0.0, frame.left, frame.right);
        let xt = x_scale.ticks((frame.width() / 90.0).max(2.0) as usize);
        let to_px = |p: [f64; 2]| [x_scale.map(p[0]), y_scale.map(p[1])];
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
        let legend = Legend::new(&entries);
        let legend_at = legend.as_ref().map_or([frame.right, frame.top], |l| {
            legend_corner(l, plot, &to_px, &frame)
        });
        let mut obstacles = Obstacles {
            regions: legend
                .iter()
                .map(|l| l.region(legend_at[0], legend_at[1], true))
                .collect(),
            lines: Segments::new(),
        };
        let markers = place_markers(plot, &to_px, &frame, &mut obstacles);
        for (k, path) in plot.paths.iter().enumerate() {
            for run in frame::finite_runs(path.points.iter().map(|p| Some(to_px(*p)))) {
                obstacles.lines.add(&run, usize::MAX - k);
            }
        }
        svg.begin_clip(frame.left, frame.top, frame.width(), frame.height());
        if plot.style != SurfaceStyle::Contour {
            // Missing (NaN) points show as this light grey.
            let (l, t) = (frame.left, frame.top);
            svg.rect(l, t, frame.width(), frame.height(), "#eeeeee", None);
        }
        draw_2d(&mut svg, plot, &colours, &to_px, &frame, &mut obstacles);
        draw_paths(&mut svg, plot, &to_px);
        draw_markers(&mut svg, &markers);
        svg.end_group();
        svg.record(frame.region());
        frame::axis(&mut svg, &frame, &x_scale, &xt, Side::Bottom, &plot.x_label);
        frame::axis(&mut svg, &frame, &y_scale, &yt, Side::Left, &plot.y_label);
        svg.line(
            [frame.left, frame.top],
            [frame.right, frame.top],
            "#333333",
            1.0,
        );
        svg.line(
            [frame.right, frame.top],
            [frame.right, frame.bottom],
            "#333333",
            1.0,
        );
        if let Some(legend) = &legend {
            legend.draw(&mut svg, legend_at[0], legend_at[1], true);
        }
        let (bar_top, bar_bottom) = bar_extent(frame.top, frame.bottom, top, h - 20.0);
        colour_bar(
            &mut svg,
            plot,
            &colours,
            frame.right + BAR_GAP,
            bar_top,
            bar_bottom,
        );
    }
    let (svg, layout) = svg.finish();
    Figure { svg, layout }
}

/// The frame of a 2-D plot between `top` and `bottom`, with the y axis's labels on its left
/// and `bar_space` for the colour bar on its right: as large as fits, with equal units on
/// both axes for [`Aspect::Equal`], and the group centred in the image.
fn frame_2d(plot: &SurfacePlot, w: f64, top: f64, bottom: f64, bar_space: f64) -> Frame {
    let margin = |height: f64| {
        let scale = Scale::fit(plot.y.iter().copied(), false, 0.0, height, 0.0);
        frame::vertical_axis_width(&scale.ticks((height / 70.0).max(2.0) as usize))
    };
    let height = bottom - top;
    let mut left = margin(height);
    let width = (w - left - bar_space - 10.0).max(10.0);
    let (x0, x1) = (plot.x[0], plot.x[plot.x.len() - 1]);
    let (y0, y1) = (plot.y[0], plot.y[plot.y.len() - 1]);
    let (fw, fh) = match plot.aspect {
        Aspect::Free => (width, height),
        Aspect::Equal => {
            let k = (width / (x1 - x0)).min(height / (y1 - y0));
            (k * (x1 - x0), k * (y1 - y0))
        }
    };
    // A shorter frame may tick its y axis differently: keep room for the wider labels.
    left = left.max(margin(fh));
    let slack = (w - left - fw - bar_space - 10.0).max(0.0);
    let frame_left = left + slack / 2.0;
    let frame_top = top + (height - fh) / 2.0;
    Frame {
        left: frame_left,
        top: frame_top,
        right: frame_left + fw,
        bottom: frame_top + fh,
    }
}

/// The colour bar's top and bottom: the plot's, or at least [`BAR_MIN_HEIGHT`] centred on
/// it, within `[lo, hi]`.
fn bar_extent(top: f64, bottom: f64, lo: f64, hi: f64) -> (f64, f64) {
    let height = (bottom - top).max(BAR_MIN_HEIGHT.min(hi - lo));
    let centre = (top + bottom) / 2.0;
    let t = (centre - height / 2.0).clamp(lo, (hi - height).max(lo));
    (t, t + height)
}

/// Where the legend goes (its top-right corner): the corner of the frame it covers the
/// fewest path segments and markers in, top right first on a tie (matplotlib's
/// `loc="best"`, over the overlays only).
fn legend_corner(
    legend: &Legend<'_>,
    plot: &SurfacePlot,
    to_px: &dyn Fn([f64; 2]) -> [f64; 2],
    frame: &Frame,
) -> [f64; 2] {
    let inset = 8.0;
    let corners = [
        [frame.right - inset, frame.top + inset],
        [frame.left + inset + legend.width, frame.top + inset],
        [
            frame.left + inset + legend.width,
            frame.bottom - inset - legend.height,
        ],
        [frame.right - inset, frame.bottom - inset - legend.height],
    ];
    let cost = |at: &[f64; 2]| {
        let r = legend.region(at[0], at[1], true);
        let segments: usize = plot
            .paths
            .iter()
            .flat_map(|p| p.points.windows(2))
            .filter(|w| {
                let (a, b) = (to_px(w[0]), to_px(w[1]));
                a.iter().chain(&b).all(|v| v.is_finite())
                    && contour_labels::crosses(&r.corners, a, b)
            })
            .count();
        let markers = plot
            .markers
            .iter()
            .filter(|m| {
                let p = to_px(m.at);
                let star =
                    Region::rect(Part::Legend, p[0] - 8.0, p[1] - 8.0, p[0] + 8.0, p[1] + 8.0);
                star.overlaps(&r)
            })
            .count();
        segments + 3 * markers
    };
    let mut best = corners[0];
    let mut best_cost = cost(&best);
    for c in &corners[1..] {
        let k = cost(c);
        if k < best_cost {
            best = *c;
            best_cost = k;
        }
    }
    best
}

/// A marker placed on the plot: its star and its label.
struct PlacedMarker {
    at: [f64; 2],
    label: String,
    label_at: [f64; 2],
    anchor: Anchor,
}

/// Places each marker inside the frame and its label beside it (right, left, below right,
/// below left: the first place inside the frame clear of the legend and earlier markers);
/// stars and labels become obstacles for contour labels. Markers outside the frame are
/// left out.
fn place_markers(
    plot: &SurfacePlot,
    to_px: &dyn Fn([f64; 2]) -> [f64; 2],
    frame: &Frame,
    obstacles: &mut Obstacles,
) -> Vec<PlacedMarker> {
    let area = frame.region();
    let mut placed = Vec::new();
    for m in &plot.markers {
        let p = to_px(m.at);
        if !(p[0] >= frame.left && p[0] <= frame.right && p[1] >= frame.top && p[1] <= frame.bottom)
        {
            continue;
        }
        let star = Region::rect(
            Part::MarkerLabel,
            p[0] - 8.0,
            p[1] - 8.0,
            p[0] + 8.0,
            p[1] + 8.0,
        );
        let below = p[1] + 10.0 + font::ascent(MARKER_FONT);
        let candidates = [
            ([p[0] + 10.0, p[1] - 8.0], Anchor::Start),
            ([p[0] - 10.0, p[1] - 8.0], Anchor::End),
            ([p[0] + 10.0, below], Anchor::Start),
            ([p[0] - 10.0, below], Anchor::End),
        ];
        let region = |(at, anchor): ([f64; 2], Anchor)| {
            text_region(
                Part::MarkerLabel,
                at,
                TextStyle::new(MARKER_FONT).anchor(anchor),
                &m.label,
            )
        };
        // Clear of everything if possible, else at least inside the frame.
        let choice = candidates
            .iter()
            .copied()
            .find(|c| {
                let r = region(*c);
                area.contains(&r) && !obstacles.regions.iter().any(|o| o.overlaps(&r))
            })
            .or_else(|| {
                candidates
                    .iter()
                    .copied()
                    .find(|c| area.contains(&region(*c)))
            })
            .unwrap_or(candidates[0]);
        obstacles.regions.push(star);
        if !m.label.is_empty() {
            obstacles.regions.push(region(choice));
        }
        placed.push(PlacedMarker {
            at: p,
            label: m.label.clone(),
            label_at: choice.0,
            anchor: choice.1,
        });
    }
    placed
}

/// Contours (with their labels), filled contours or the heatmap, through `to_px`.
fn draw_2d(
    svg: &mut Svg,
    plot: &SurfacePlot,
    c: &ColourScale,
    to_px: &dyn Fn([f64; 2]) -> [f64; 2],
    frame: &Frame,
    obstacles: &mut Obstacles,
) {
    let field: Vec<f64> = plot.values.iter().map(|v| c.space(*v)).collect();
    if plot.style == SurfaceStyle::FilledContour {
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
    }
    if plot.style == SurfaceStyle::Heatmap {
        heatmap(svg, plot, c, to_px);
        return;
    }
    // Contour lines of every level, in pixels; each line is its own obstacle owner.
    let levels: Vec<Vec<Vec<[f64; 2]>>> = c
        .levels
        .iter()
        .map(|level| {
            contour_lines(&plot.x, &plot.y, &field, c.space(*level))
                .into_iter()
                .map(|l| l.into_iter().map(to_px).collect())
                .collect()
        })
        .collect();
    let mut owners: Vec<Vec<usize>> = Vec::new();
    let mut next = 0;
    for lines in &levels {
        owners.push((next..next + lines.len()).collect());
        for line in lines {
            obstacles.lines.add(line, next);
            next += 1;
        }
    }
    let step = if c.log {
        0.0
    } else {
        c.levels
            .windows(2)
            .map(|w| w[1] - w[0])
            .next()
            .unwrap_or(0.0)
    };
    let area = frame.region();
    for (k, level) in c.levels.iter().enumerate() {
        let (lines, labels) = if plot.contour_labels {
            let text = format_tick(*level, step);
            contour_labels::place(&levels[k], &owners[k], &text, &area, obstacles)
        } else {
            (levels[k].clone(), Vec::new())
        };
        let line_colour = viridis(c.t(*level));
        match plot.style {
            SurfaceStyle::Contour => {
                let colour = hex(line_colour);
                svg.path(
                    &lines,
                    false,
                    &format!("fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\""),
                );
                // Light colours of the map are hard to read as text on white: darken them.
                let text_colour = hex(readable(line_colour));
                for label in &labels {
                    svg.text_with(
                        Part::ContourLabel,
                        label.at,
                        label.style(),
                        &label.text,
                        &format!(" fill=\"{text_colour}\""),
                    );
                }
            }
            _ => {
                svg.path(
                    &lines,
                    false,
                    "fill=\"none\" stroke=\"#000000\" stroke-opacity=\"0.35\" stroke-width=\"0.7\"",
                );
                // Black on the map's light end, white on its dark end.
                let text_colour = if luminance(line_colour) > 0.45 {
                    "#000000"
                } else {
                    "#ffffff"
                };
                for label in &labels {
                    svg.text_with(
                        Part::ContourLabel,
                        label.at,
                        label.style(),
                        &label.text,
                        &format!(" fill=\"{text_colour}\""),
                    );
                }
            }
        }
    }
}

/// The relative luminance of an sRGB colour (Rec. 709 weights on the 8-bit values), 0 to 1.
fn luminance(c: [u8; 3]) -> f64 {
    (0.2126 * f64::from(c[0]) + 0.7152 * f64::from(c[1]) + 0.0722 * f64::from(c[2])) / 255.0
}

/// `colour`, darkened until it reads on white (luminance at most 0.45).
fn readable(colour: [u8; 3]) -> [u8; 3] {
    let l = luminance(colour);
    if l <= 0.45 {
        return colour;
    }
    let f = 0.45 / l;
    colour.map(|v| (f64::from(v) * f).round() as u8)
}

/// One coloured cell per grid point.
fn heatmap(
    svg: &mut Svg,
    plot: &SurfacePlot,
    c: &ColourScale,
    to_px: &dyn Fn([f64; 2]) -> [f64; 2],
) {
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

/// The colour-map position of the band between two levels in contouring space.
fn band_t(c: &ColourScale, a: f64, b: f64) -> f64 {
    let (lo, hi) = (c.space(c.lo), c.space(c.hi));
    let a = a.max(lo);
    let b = b.min(hi);
    ((a + b) / 2.0 - lo) / (hi - lo)
}

/// Paths (outlined, start circle, end square), through `to_px`.
fn draw_paths(svg: &mut Svg, plot: &SurfacePlot, to_px: &dyn Fn([f64; 2]) -> [f64; 2]) {
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
}

/// Markers (stars) and their labels where [`place_markers`] put them.
fn draw_markers(svg: &mut Svg, markers: &[PlacedMarker]) {
    for m in markers {
        svg.path(
            &[star(m.at, 8.0)],
            true,
            "fill=\"#ffffff\" stroke=\"#000000\" stroke-width=\"1.3\" stroke-linejoin=\"round\"",
        );
        let style = TextStyle::new(MARKER_FONT).anchor(m.anchor);
        svg.text_halo(Part::MarkerLabel, m.label_at, style, &m.label);
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

/// The colour bar's label: the value label, marked when the scale is logarithmic.
fn bar_label(plot: &SurfacePlot, c: &ColourScale) -> String {
    if c.log && !plot.value_label.is_empty() {
        format!("{} (log scale)", plot.value_label)
    } else {
        plot.value_label.clone()
    }
}

/// The width the colour bar needs: the strip, its tick labels and its label.
fn colour_bar_width(plot: &SurfacePlot, c: &ColourScale) -> f64 {
    let ticks = c.ticks();
    let widest = ticks
        .values
        .iter()
        .map(|v| font::text_width(&format_tick(*v, ticks.step), frame::TICK_FONT))
        .fold(0.0, f64::max);
    let label = if bar_label(plot, c).is_empty() {
        0.0
    } else {
        8.0 + font::ascent(frame::LABEL_FONT) + font::descent(frame::LABEL_FONT)
    };
    BAR + 7.0 + widest + label + 6.0
}

/// The vertical colour bar at `x`, from `top` to `bottom`, with ticks and the value label.
fn colour_bar(svg: &mut Svg, plot: &SurfacePlot, c: &ColourScale, x: f64, top: f64, bottom: f64) {
    let y_of = |t: f64| bottom - t * (bottom - top);
    if plot.style == SurfaceStyle::FilledContour {
        let mut edges = vec![c.lo];
        edges.extend(&c.levels);
        edges.push(c.hi);
        for band in edges.windows(2) {
            let (ta, tb) = (c.t(band[0]), c.t(band[1]));
            let colour = hex(viridis((ta + tb) / 2.0));
            svg.rect(x, y_of(tb), BAR, y_of(ta) - y_of(tb) + 0.3, &colour, None);
        }
    } else {
        const STEPS: usize = 128;
        for k in 0..STEPS {
            let (ta, tb) = (k as f64 / STEPS as f64, (k + 1) as f64 / STEPS as f64);
            let colour = hex(viridis((ta + tb) / 2.0));
            svg.rect(x, y_of(tb), BAR, y_of(ta) - y_of(tb) + 0.3, &colour, None);
        }
    }
    if matches!(
        plot.style,
        SurfaceStyle::Contour | SurfaceStyle::FilledContour
    ) {
        for l in &c.levels {
            let y = y_of(c.t(*l));
            svg.line([x, y], [x + BAR, y], "#000000", 0.6);
        }
    }
    svg.path(
        &[vec![
            [x, top],
            [x + BAR, top],
            [x + BAR, bottom],
            [x, bottom],
        ]],
        true,
        "fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"",
    );
    svg.record(Region::rect(Part::ColourBar, x, top, x + BAR, bottom));
    let ticks = c.ticks();
    let mut widest: f64 = 0.0;
    let style = TextStyle::new(frame::TICK_FONT);
    for v in &ticks.values {
        let y = y_of(c.t(*v));
        let label = format_tick(*v, ticks.step);
        svg.line([x + BAR, y], [x + BAR + 4.0, y], "#333333", 1.0);
        let at = [x + BAR + 7.0, y + 0.36 * frame::TICK_FONT];
        svg.text(Part::ColourBarTick, at, style, &label);
        widest = widest.max(font::text_width(&label, frame::TICK_FONT));
    }
    // The label reads downwards; its descent faces the tick labels.
    let lx = x + BAR + 7.0 + widest + 8.0 + font::descent(frame::LABEL_FONT);
    let ly = (top + bottom) / 2.0;
    let style = TextStyle::new(frame::LABEL_FONT)
        .anchor(Anchor::Middle)
        .rotate(90.0);
    svg.text(Part::ColourBarLabel, [lx, ly], style, &bar_label(plot, c));
}

impl SurfacePlot {
    /// Lays out and draws the plot, without writing it.
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`](crate::PlotError::InvalidInput) for unusable data (see [`SurfacePlot::validate`]).
    pub fn render(&self) -> Result<Figure, crate::PlotError> {
        self.validate()?;
        Ok(render(self))
    }
}
