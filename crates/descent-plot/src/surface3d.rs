//! The 3-D view of a surface: an orthographic projection seen from azimuth -60 degrees and
//! elevation 30 degrees (matplotlib's default view), quads shaded with the colour map and a
//! little Lambert lighting, with the base box's ticks and labels along its two front edges
//! and the paths lifted onto the surface.
//!
//! Depth order: quads are drawn far to near by the depth of their centre *on the floor*
//! (the grid position, height left out). For a height field seen from above, a view ray
//! moves monotonically through the grid's rows and columns, so a quad can only hide quads
//! whose floor position is farther along the view; sorting by full 3-D depth instead lets a
//! tall far quad come after a low near one and be painted over it. The wireframe is drawn
//! with each quad, so hidden wires stay hidden.
//!
//! Layout: tick labels stand off the two front edges of the floor, outward; each axis label
//! runs parallel to its edge beyond the tick labels (as matplotlib sets them). The scale is
//! the largest at which the box, every label and the legend fit in the area.

use crate::SurfacePlot;
use crate::colormap::{PATHS, viridis};
use crate::colour_scale::ColourScale;
use crate::font;
use crate::frame::{Frame, LABEL_FONT, TICK_FONT};
use crate::layout::{Part, Region};
use crate::legend::{Entry, Legend};
use crate::svg::{Anchor, Svg, TextStyle, text_region};
use crate::ticks::{format_tick, linear_ticks};

/// At most this many quads per axis are drawn; finer grids are sampled with a stride.
const MAX_CELLS: usize = 90;
/// Half the box's height in model units (x and y span [-1, 1]).
const HALF_HEIGHT: f64 = 0.6;

/// A camera: unit vectors to the eye, screen right and screen up.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View {
    pub eye: [f64; 3],
    pub right: [f64; 3],
    pub up: [f64; 3],
}

impl View {
    pub(crate) fn new(azimuth_deg: f64, elevation_deg: f64) -> Self {
        let (a, e) = (azimuth_deg.to_radians(), elevation_deg.to_radians());
        View {
            eye: [e.cos() * a.cos(), e.cos() * a.sin(), e.sin()],
            right: [-a.sin(), a.cos(), 0.0],
            up: [-e.sin() * a.cos(), -e.sin() * a.sin(), e.cos()],
        }
    }

    pub(crate) fn project(&self, p: [f64; 3]) -> [f64; 2] {
        [dot(p, self.right), dot(p, self.up)]
    }

    /// How near to the eye a point of the floor `(x, y)` is, its height left out: the key
    /// of the painter's order.
    fn floor_depth(&self, x: f64, y: f64) -> f64 {
        x * self.eye[0] + y * self.eye[1]
    }
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Model space to pixels: the projection scaled by `s` about `(cx, cy)`.
#[derive(Clone, Copy)]
struct Screen {
    s: f64,
    cx: f64,
    cy: f64,
}

impl Screen {
    fn px(&self, view: &View, p: [f64; 3]) -> [f64; 2] {
        let q = view.project(p);
        [self.cx + self.s * q[0], self.cy - self.s * q[1]]
    }
}

/// The labels of the box's two front edges at one scale: ticks and axis labels, where they
/// are drawn and the boxes they fill.
struct EdgeLabels {
    texts: Vec<(Part, [f64; 2], TextStyle, String)>,
    regions: Vec<Region>,
    ticks: Vec<([f64; 2], [f64; 2])>,
}

/// One front edge of the floor: from `a` to `b` in model space, its ticks, its label.
struct Edge<'a> {
    a: [f64; 3],
    b: [f64; 3],
    /// Tick values and their position along the edge in `[0, 1]`.
    ticks: Vec<(String, f64)>,
    label: &'a str,
    tick_part: Part,
    label_part: Part,
}

/// Lays out the tick labels and the axis label of `edge` at `screen`: each tick label off
/// the edge along its outward normal (left out where it would cover `avoid`, the other
/// edge's labels, as at the corner both edges share), the axis label parallel to the edge
/// beyond them, slid along the edge away from `avoid` if it would cover them, then moved
/// farther out if sliding is not enough ([`draw`] lays the view out again with short labels
/// when they still collide).
fn edge_labels(
    view: &View,
    screen: Screen,
    edge: &Edge<'_>,
    centre: [f64; 2],
    avoid: &[Region],
) -> EdgeLabels {
    let (a, b) = (screen.px(view, edge.a), screen.px(view, edge.b));
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = dx.hypot(dy).max(1e-9);
    let along = [dx / len, dy / len];
    // The normal pointing away from the floor's centre.
    let mid = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
    let mut n = [-along[1], along[0]];
    if (mid[0] - centre[0]) * n[0] + (mid[1] - centre[1]) * n[1] < 0.0 {
        n = [-n[0], -n[1]];
    }
    let (up, down) = (font::ascent(TICK_FONT), font::descent(TICK_FONT));
    let mut out = EdgeLabels {
        texts: Vec::new(),
        regions: Vec::new(),
        ticks: Vec::new(),
    };
    let mut reach: f64 = 0.0;
    for (text, t) in &edge.ticks {
        let p = [a[0] + t * dx, a[1] + t * dy];
        out.ticks.push((p, [p[0] + 5.0 * n[0], p[1] + 5.0 * n[1]]));
        // The box's half extent along n, so its nearest side is 7 px off the edge.
        let (hw, hh) = (font::text_width(text, TICK_FONT) / 2.0, (up + down) / 2.0);
        let extent = hw * n[0].abs() + hh * n[1].abs();
        let c = [p[0] + n[0] * (7.0 + extent), p[1] + n[1] * (7.0 + extent)];
        let at = [c[0], c[1] + (up - down) / 2.0];
        let style = TextStyle::new(TICK_FONT).anchor(Anchor::Middle);
        let region = text_region(edge.tick_part, at, style, text);
        // At the corner the edges share, the other edge's label already names the place.
        if avoid.iter().any(|r| r.overlaps(&region)) {
            continue;
        }
        out.regions.push(region);
        out.texts.push((edge.tick_part, at, style, text.clone()));
        reach = reach.max(7.0 + 2.0 * extent);
    }
    if !edge.label.is_empty() {
        let mut angle = along[1].atan2(along[0]).to_degrees();
        if angle > 90.0 {
            angle -= 180.0;
        } else if angle <= -90.0 {
            angle += 180.0;
        }
        let (lup, ldown) = (font::ascent(LABEL_FONT), font::descent(LABEL_FONT));
        let off = reach + 8.0 + (lup + ldown) / 2.0;
        let style = TextStyle::new(LABEL_FONT)
            .anchor(Anchor::Middle)
            .rotate(angle);
        let (sin, cos) = angle.to_radians().sin_cos();
        let lift = (lup - ldown) / 2.0;
        let place = |slide: f64, push: f64| {
            let c = [
                mid[0] + n[0] * (off + push) + along[0] * slide,
                mid[1] + n[1] * (off + push) + along[1] * slide,
            ];
            // The baseline sits so the box is centred at c.
            [c[0] - lift * sin, c[1] + lift * cos]
        };
        // Slide towards whichever end of the edge is farther from the other edge's labels.
        let toward = if avoid.is_empty() {
            0.0
        } else {
            let c: [f64; 2] = avoid.iter().fold([0.0, 0.0], |s, r| {
                let b = r.bounds();
                [s[0] + (b[0] + b[2]) / 2.0, s[1] + (b[1] + b[3]) / 2.0]
            });
            let c = [c[0] / avoid.len() as f64, c[1] / avoid.len() as f64];
            if (c[0] - mid[0]) * along[0] + (c[1] - mid[1]) * along[1] > 0.0 {
                -1.0
            } else {
                1.0
            }
        };
        let own = out.regions.clone();
        let clear = |at: [f64; 2]| {
            let r = text_region(edge.label_part, at, style, edge.label);
            !avoid.iter().chain(&own).any(|o| o.overlaps(&r))
        };
        // Slide along the edge up to half its length, then, if that is not enough, stand
        // farther off the edge, a line at a time.
        let line = lup + ldown;
        let at = (0..4)
            .flat_map(|push| (0..=20).map(move |k| (push, k)))
            .map(|(push, k)| {
                place(
                    toward * len / 2.0 * f64::from(k) / 20.0,
                    f64::from(push) * line,
                )
            })
            .find(|&at| clear(at))
            .unwrap_or_else(|| place(0.0, 0.0));
        out.regions
            .push(text_region(edge.label_part, at, style, edge.label));
        out.texts
            .push((edge.label_part, at, style, edge.label.to_string()));
    }
    out
}

/// The part of `label` before a parenthesis (`alpha (direction 1, filter-normalized)` ->
/// `alpha`): what a small 3-D view shows when the whole labels run into each other at the
/// corner both edges share (or crowd the ticks).
fn short_label(label: &str) -> &str {
    label.find(" (").map_or(label, |i| &label[..i])
}

/// The convex hull of `points` (monotone chain), counter-clockwise in screen terms.
fn hull(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut p = points.to_vec();
    p.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    p.dedup();
    if p.len() < 3 {
        return p;
    }
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let mut lower: Vec<[f64; 2]> = Vec::new();
    for &q in &p {
        while lower.len() >= 2 && cross(lower[lower.len() - 2], lower[lower.len() - 1], q) <= 0.0 {
            lower.pop();
        }
        lower.push(q);
    }
    let mut upper: Vec<[f64; 2]> = Vec::new();
    for &q in p.iter().rev() {
        while upper.len() >= 2 && cross(upper[upper.len() - 2], upper[upper.len() - 1], q) <= 0.0 {
            upper.pop();
        }
        upper.push(q);
    }
    lower.pop();
    upper.pop();
    lower.extend(upper);
    lower
}

/// Everything laid out at one scale: the box's outline, the labels, the legend's place.
struct Placement {
    screen: Screen,
    outline: Region,
    labels: Vec<EdgeLabels>,
    legend: Option<Region>,
}

/// Lays out the view at scale `s` (pixels per model unit), centred in `area`.
fn place(
    view: &View,
    s: f64,
    area: &Frame,
    edges: &[Edge<'_>; 2],
    legend: Option<&Legend<'_>>,
) -> Placement {
    let corners: Vec<[f64; 3]> = [-1.0, 1.0]
        .iter()
        .flat_map(|a| {
            [-1.0, 1.0]
                .iter()
                .flat_map(move |b| [-HALF_HEIGHT, HALF_HEIGHT].map(|z| [*a, *b, z]))
        })
        .collect();
    let projected: Vec<[f64; 2]> = corners.iter().map(|p| view.project(*p)).collect();
    let (lo_x, hi_x, lo_y, hi_y) = projected.iter().fold(
        (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ),
        |(a, b, c, d), p| (a.min(p[0]), b.max(p[0]), c.min(p[1]), d.max(p[1])),
    );
    let screen = Screen {
        s,
        cx: (area.left + area.right) / 2.0 - s * (lo_x + hi_x) / 2.0,
        cy: (area.top + area.bottom) / 2.0 + s * (lo_y + hi_y) / 2.0,
    };
    let outline_pts: Vec<[f64; 2]> = corners.iter().map(|p| screen.px(view, *p)).collect();
    let mut outline = Region::rect(Part::PlotArea, 0.0, 0.0, 0.0, 0.0);
    outline.corners = hull(&outline_pts);
    let centre = screen.px(view, [0.0, 0.0, -HALF_HEIGHT]);
    let first = edge_labels(view, screen, &edges[0], centre, &[]);
    let second = edge_labels(view, screen, &edges[1], centre, &first.regions);
    // The legend in whichever top corner of the area leaves the box clear.
    let legend = legend.map(|l| {
        let right = l.region(area.right, area.top, false);
        if right.overlaps(&outline) {
            l.region(area.left + l.width, area.top, false)
        } else {
            right
        }
    });
    Placement {
        screen,
        outline,
        labels: vec![first, second],
        legend,
    }
}

/// Whether two of the labels of `p` (ticks or axis labels, of either edge) overlap.
fn crowded(p: &Placement) -> bool {
    let regions: Vec<&Region> = p.labels.iter().flat_map(|l| &l.regions).collect();
    regions
        .iter()
        .enumerate()
        .any(|(i, a)| regions[i + 1..].iter().any(|b| a.overlaps(b)))
}

/// Whether everything of `p` lies in `area` and the legend clears the box.
fn fits(p: &Placement, area: &Frame) -> bool {
    let bounds = Region::rect(Part::PlotArea, area.left, area.top, area.right, area.bottom);
    let inside = std::iter::once(&p.outline)
        .chain(p.labels.iter().flat_map(|l| &l.regions))
        .chain(&p.legend)
        .all(|r| bounds.contains(r));
    inside && p.legend.as_ref().is_none_or(|l| !l.overlaps(&p.outline))
}

/// Draws the 3-D view of `plot` inside `area`.
pub(crate) fn draw(svg: &mut Svg, plot: &SurfacePlot, c: &ColourScale, area: &Frame) {
    let view = View::new(-60.0, 30.0);
    let (x0, x1) = (plot.x[0], plot.x[plot.x.len() - 1]);
    let (y0, y1) = (plot.y[0], plot.y[plot.y.len() - 1]);
    // Model space: x and y on [-1, 1], height = colour position on [-0.6, 0.6].
    let mx = |x: f64| 2.0 * (x - x0) / (x1 - x0) - 1.0;
    let my = |y: f64| 2.0 * (y - y0) / (y1 - y0) - 1.0;
    let mz = |v: f64| 2.0 * HALF_HEIGHT * c.t(v) - HALF_HEIGHT;
    let ticks = |lo: f64, hi: f64| {
        let t = linear_ticks(lo, hi, 5);
        t.values
            .iter()
            .map(|v| (format_tick(*v, t.step), (v - lo) / (hi - lo)))
            .collect::<Vec<_>>()
    };
    // The two front edges seen from azimuth -60: y = -1 (along x) and x = 1 (along y).
    let edges = [
        Edge {
            a: [-1.0, -1.0, -HALF_HEIGHT],
            b: [1.0, -1.0, -HALF_HEIGHT],
            ticks: ticks(x0, x1),
            label: &plot.x_label,
            tick_part: Part::XTick,
            label_part: Part::XLabel,
        },
        Edge {
            a: [1.0, -1.0, -HALF_HEIGHT],
            b: [1.0, 1.0, -HALF_HEIGHT],
            ticks: ticks(y0, y1),
            label: &plot.y_label,
            tick_part: Part::YTick,
            label_part: Part::YLabel,
        },
    ];
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
    // The largest scale at which everything fits (labels do not grow with the scale, so
    // fitting is monotone in it): bisection.
    let largest = |edges: &[Edge<'_>; 2]| {
        let (mut lo, mut hi) = (1.0, area.width().max(area.height()));
        for _ in 0..40 {
            let mid = (lo + hi) / 2.0;
            if fits(&place(&view, mid, area, edges, legend.as_ref()), area) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        place(&view, lo, area, edges, legend.as_ref())
    };
    let mut layout = largest(&edges);
    // Long axis labels in a small view: laid out again with their short forms.
    if crowded(&layout) {
        let short = edges.each_ref().map(|e| Edge {
            label: short_label(e.label),
            ticks: e.ticks.clone(),
            ..*e
        });
        layout = largest(&short);
    }
    let screen = layout.screen;
    let to_px = |p: [f64; 3]| screen.px(&view, p);

    // The floor of the box, its ticks and labels.
    let floor = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]
        .map(|[a, b]| to_px([a, b, -HALF_HEIGHT]));
    svg.path(
        &[floor.to_vec()],
        true,
        "fill=\"#f4f4f4\" stroke=\"#999999\" stroke-width=\"1\"",
    );
    for labels in &layout.labels {
        for (a, b) in &labels.ticks {
            svg.line(*a, *b, "#555555", 1.0);
        }
        for (part, at, style, text) in &labels.texts {
            svg.text(*part, *at, *style, text);
        }
    }
    svg.record(layout.outline.clone());

    let model = |i: usize, j: usize| [mx(plot.x[i]), my(plot.y[j]), mz(plot.at(i, j))];
    draw_quads(svg, &ordered_quads(plot, c, &view, &model), &to_px);

    // Paths and markers lifted onto the surface (bilinear height), drawn on top.
    let lift = |p: [f64; 2]| -> Option<[f64; 2]> {
        let v = bilinear(plot, p)?;
        Some(to_px([mx(p[0]), my(p[1]), mz(v) + 0.01]))
    };
    for (k, path) in plot.paths.iter().enumerate() {
        let colour = PATHS[k % PATHS.len()];
        let runs = crate::frame::finite_runs(path.points.iter().map(|p| lift(*p)));
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
        if let Some(first) = runs.first().and_then(|r| r.first()) {
            svg.circle(
                *first,
                4.5,
                &format!("fill=\"{colour}\" stroke=\"#222222\" stroke-width=\"1.5\""),
            );
        }
    }
    let mut taken: Vec<Region> = layout.legend.iter().cloned().collect();
    for m in &plot.markers {
        if let Some(p) = lift(m.at) {
            svg.circle(
                p,
                4.5,
                "fill=\"#ffffff\" stroke=\"#000000\" stroke-width=\"1.3\"",
            );
            // Beside the point, on the side that stays within the box and clear of the
            // labels placed so far.
            let style = |anchor| TextStyle::new(12.0).anchor(anchor);
            let candidates = [
                ([p[0] + 8.0, p[1] - 8.0], Anchor::Start),
                ([p[0] - 8.0, p[1] - 8.0], Anchor::End),
                ([p[0] + 8.0, p[1] + 18.0], Anchor::Start),
                ([p[0] - 8.0, p[1] + 18.0], Anchor::End),
            ];
            let (at, anchor) = candidates
                .iter()
                .copied()
                .find(|(at, anchor)| {
                    let r = text_region(Part::MarkerLabel, *at, style(*anchor), &m.label);
                    layout.outline.contains(&r) && !taken.iter().any(|t| t.overlaps(&r))
                })
                .unwrap_or(candidates[0]);
            taken.push(text_region(Part::MarkerLabel, at, style(anchor), &m.label));
            svg.text_halo(Part::MarkerLabel, at, style(anchor), &m.label);
        }
    }
    if let (Some(l), Some(region)) = (&legend, &layout.legend) {
        let b = region.bounds();
        l.draw(svg, b[2], b[1], false);
    }
}

/// One quad of the surface as drawn: its corners in model space (counter-clockwise on the
/// floor, from its lowest grid indices), its shaded colour, and the wire edges it owns (as
/// corner index pairs).
pub(crate) struct Quad {
    pub corners: [[f64; 3]; 4],
    pub colour: [u8; 3],
    pub wires: Vec<[usize; 2]>,
}

/// The surface's quads with finite corners, in drawing order: far to near by the depth of
/// their centre on the floor.
pub(crate) fn ordered_quads(
    plot: &SurfacePlot,
    c: &ColourScale,
    view: &View,
    model: &dyn Fn(usize, usize) -> [f64; 3],
) -> Vec<Quad> {
    let (nx, ny) = (plot.x.len(), plot.y.len());
    let is = strided(nx);
    let js = strided(ny);
    let wire_every = (is.len().max(js.len()) / 15).max(1);
    let wire = |k: usize, n: usize| k.is_multiple_of(wire_every) || k + 1 == n;
    let light = normalize([-0.4, -0.6, 1.0]);
    let mut quads = Vec::new();
    for (b, jw) in js.windows(2).enumerate() {
        for (a, iw) in is.windows(2).enumerate() {
            let idx = [
                (iw[0], jw[0]),
                (iw[1], jw[0]),
                (iw[1], jw[1]),
                (iw[0], jw[1]),
            ];
            let vals = idx.map(|(i, j)| plot.at(i, j));
            if vals.iter().any(|v| !v.is_finite()) {
                continue;
            }
            let pts = idx.map(|(i, j)| model(i, j));
            let depth =
                view.floor_depth((pts[0][0] + pts[2][0]) / 2.0, (pts[0][1] + pts[2][1]) / 2.0);
            let normal = normalize(cross(sub(pts[2], pts[0]), sub(pts[3], pts[1])));
            let shade = 0.65 + 0.35 * dot(normal, light).abs();
            let t = vals.iter().map(|v| c.t(*v)).sum::<f64>() / 4.0;
            let colour = viridis(t).map(|ch| (f64::from(ch) * shade).round().min(255.0) as u8);
            // A wire edge shared by two quads is drawn by the nearer one (painted later, its
            // fill would cover a wire drawn before it): its far edges are a quad's own, its
            // near edges only on the grid's border.
            let (rows, cols) = (js.len() - 1, is.len() - 1);
            let y_near_low = view.eye[1] < 0.0;
            let x_near_low = view.eye[0] < 0.0;
            // (row or column index, corner pair, on the border?) for the far and near edges.
            let row_edges = [(b, [0, 1], b == 0), (b + 1, [3, 2], b + 1 == rows)];
            let col_edges = [(a, [0, 3], a == 0), (a + 1, [1, 2], a + 1 == cols)];
            let (row_far, row_near) = if y_near_low {
                (row_edges[1], row_edges[0])
            } else {
                (row_edges[0], row_edges[1])
            };
            let (col_far, col_near) = if x_near_low {
                (col_edges[1], col_edges[0])
            } else {
                (col_edges[0], col_edges[1])
            };
            let mut wires = Vec::new();
            for (k, edge, border, far, n) in [
                (row_far.0, row_far.1, row_far.2, true, js.len()),
                (row_near.0, row_near.1, row_near.2, false, js.len()),
                (col_far.0, col_far.1, col_far.2, true, is.len()),
                (col_near.0, col_near.1, col_near.2, false, is.len()),
            ] {
                if (far || border) && wire(k, n) {
                    wires.push(edge);
                }
            }
            quads.push((
                depth,
                Quad {
                    corners: pts,
                    colour,
                    wires,
                },
            ));
        }
    }
    quads.sort_by(|a, b| a.0.total_cmp(&b.0));
    quads.into_iter().map(|(_, q)| q).collect()
}

/// Draws the quads far to near, each with its part of the wireframe.
fn draw_quads(svg: &mut Svg, quads: &[Quad], to_px: &dyn Fn([f64; 3]) -> [f64; 2]) {
    for q in quads {
        let px: Vec<[f64; 2]> = q.corners.iter().map(|p| to_px(*p)).collect();
        let colour = crate::colormap::hex(q.colour);
        svg.path(
            std::slice::from_ref(&px),
            true,
            &format!("fill=\"{colour}\" stroke=\"{colour}\" stroke-width=\"0.5\""),
        );
        let wires: Vec<Vec<[f64; 2]>> = q.wires.iter().map(|[a, b]| vec![px[*a], px[*b]]).collect();
        svg.path(
            &wires,
            false,
            "fill=\"none\" stroke=\"#000000\" stroke-opacity=\"0.25\" stroke-width=\"0.5\"",
        );
    }
}

/// The grid indices drawn along an axis of `n` points: every point, or every k-th (and
/// the last) when there are more than [`MAX_CELLS`] cells.
fn strided(n: usize) -> Vec<usize> {
    let stride = (n - 1).div_ceil(MAX_CELLS).max(1);
    (0..n)
        .step_by(stride)
        .chain((!(n - 1).is_multiple_of(stride)).then_some(n - 1))
        .collect()
}

/// The surface's value at `p` by bilinear interpolation, `None` outside the grid or next to
/// a NaN.
pub(crate) fn bilinear(plot: &SurfacePlot, p: [f64; 2]) -> Option<f64> {
    let cell = |a: &[f64], v: f64| -> Option<(usize, f64)> {
        if !(v >= a[0] && v <= a[a.len() - 1]) {
            return None;
        }
        let k = a.partition_point(|x| *x <= v).clamp(1, a.len() - 1) - 1;
        Some((k, (v - a[k]) / (a[k + 1] - a[k])))
    };
    let (i, fx) = cell(&plot.x, p[0])?;
    let (j, fy) = cell(&plot.y, p[1])?;
    let v = (1.0 - fx) * (1.0 - fy) * plot.at(i, j)
        + fx * (1.0 - fy) * plot.at(i + 1, j)
        + (1.0 - fx) * fy * plot.at(i, j + 1)
        + fx * fy * plot.at(i + 1, j + 1);
    v.is_finite().then_some(v)
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn normalize(a: [f64; 3]) -> [f64; 3] {
    let n = dot(a, a).sqrt();
    if n > 0.0 { a.map(|v| v / n) } else { a }
}

#[cfg(test)]
mod tests;
