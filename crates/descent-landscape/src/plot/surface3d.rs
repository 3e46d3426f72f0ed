//! The 3-D view of a surface: an orthographic projection seen from azimuth -60 degrees and
//! elevation 30 degrees (matplotlib's default view), quads shaded with the colour map and a
//! little Lambert lighting, drawn back to front (painter's algorithm), with the base box's
//! ticks and the paths lifted onto the surface.

use super::SurfacePlot;
use super::colormap::{PATHS, viridis};
use super::colour_scale::ColourScale;
use super::frame::{Frame, TICK_FONT};
use super::svg::{Anchor, Svg, text_width};
use super::ticks::{format_tick, linear_ticks};

/// At most this many quads per axis are drawn; finer grids are sampled with a stride.
const MAX_CELLS: usize = 90;

/// A camera: unit vectors to the eye, screen right and screen up.
struct View {
    eye: [f64; 3],
    right: [f64; 3],
    up: [f64; 3],
}

impl View {
    fn new(azimuth_deg: f64, elevation_deg: f64) -> Self {
        let (a, e) = (azimuth_deg.to_radians(), elevation_deg.to_radians());
        View {
            eye: [e.cos() * a.cos(), e.cos() * a.sin(), e.sin()],
            right: [-a.sin(), a.cos(), 0.0],
            up: [-e.sin() * a.cos(), -e.sin() * a.sin(), e.cos()],
        }
    }

    fn project(&self, p: [f64; 3]) -> [f64; 2] {
        [dot(p, self.right), dot(p, self.up)]
    }

    fn depth(&self, p: [f64; 3]) -> f64 {
        dot(p, self.eye)
    }
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Draws the 3-D view of `plot` inside `area`.
pub(crate) fn draw(svg: &mut Svg, plot: &SurfacePlot, c: &ColourScale, area: &Frame) {
    let view = View::new(-60.0, 30.0);
    let (x0, x1) = (plot.x[0], plot.x[plot.x.len() - 1]);
    let (y0, y1) = (plot.y[0], plot.y[plot.y.len() - 1]);
    // Model space: x and y on [-1, 1], height = colour position on [-0.6, 0.6].
    let mx = |x: f64| 2.0 * (x - x0) / (x1 - x0) - 1.0;
    let my = |y: f64| 2.0 * (y - y0) / (y1 - y0) - 1.0;
    let mz = |v: f64| 1.2 * c.t(v) - 0.6;
    // Fit the box's projection into the area, keeping the aspect.
    let corners: Vec<[f64; 2]> = [-1.0, 1.0]
        .iter()
        .flat_map(|a| {
            [-1.0, 1.0]
                .iter()
                .flat_map(move |b| [-0.6, 0.6].map(|z| [*a, *b, z]))
        })
        .map(|p| view.project(p))
        .collect();
    let (lo_x, hi_x) = corners
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p[0]), b.max(p[0]))
        });
    let (lo_y, hi_y) = corners
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p[1]), b.max(p[1]))
        });
    let margin = 45.0;
    let s = ((area.width() - 2.0 * margin) / (hi_x - lo_x))
        .min((area.height() - 2.0 * margin) / (hi_y - lo_y));
    let cx = (area.left + area.right) / 2.0 - s * (lo_x + hi_x) / 2.0;
    let cy = (area.top + area.bottom) / 2.0 + s * (lo_y + hi_y) / 2.0;
    let to_px = |p: [f64; 3]| {
        let q = view.project(p);
        [cx + s * q[0], cy - s * q[1]]
    };

    // The floor of the box and its tick labels on the two front edges.
    let floor =
        [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]].map(|[a, b]| to_px([a, b, -0.6]));
    svg.path(
        &[floor.to_vec()],
        true,
        "fill=\"#f4f4f4\" stroke=\"#999999\" stroke-width=\"1\"",
    );
    let xt = linear_ticks(x0, x1, 5);
    for v in &xt.values {
        let p = to_px([mx(*v), -1.0, -0.6]);
        svg.line(p, [p[0], p[1] + 5.0], "#555555", 1.0);
        svg.text(
            p[0],
            p[1] + 18.0,
            TICK_FONT,
            Anchor::Middle,
            0.0,
            &format_tick(*v, xt.step),
        );
    }
    let yt = linear_ticks(y0, y1, 5);
    for v in &yt.values {
        let p = to_px([1.0, my(*v), -0.6]);
        svg.line(p, [p[0] + 5.0, p[1]], "#555555", 1.0);
        svg.text(
            p[0] + 8.0,
            p[1] + 12.0,
            TICK_FONT,
            Anchor::Start,
            0.0,
            &format_tick(*v, yt.step),
        );
    }
    let xl = to_px([0.0, -1.0, -0.6]);
    svg.text(
        xl[0] - 20.0,
        xl[1] + 40.0,
        14.0,
        Anchor::Middle,
        0.0,
        &plot.x_label,
    );
    let yl = to_px([1.0, 0.0, -0.6]);
    let widest = yt
        .values
        .iter()
        .map(|v| text_width(&format_tick(*v, yt.step), TICK_FONT))
        .fold(0.0, f64::max);
    svg.text(
        yl[0] + widest + 30.0,
        yl[1] + 30.0,
        14.0,
        Anchor::Middle,
        0.0,
        &plot.y_label,
    );

    // Quads, far to near.
    let (nx, ny) = (plot.x.len(), plot.y.len());
    let sx = (nx - 1).div_ceil(MAX_CELLS);
    let sy = (ny - 1).div_ceil(MAX_CELLS);
    let is: Vec<usize> = (0..nx)
        .step_by(sx)
        .chain(((nx - 1) % sx != 0).then_some(nx - 1))
        .collect();
    let js: Vec<usize> = (0..ny)
        .step_by(sy)
        .chain(((ny - 1) % sy != 0).then_some(ny - 1))
        .collect();
    let light = normalize([-0.4, -0.6, 1.0]);
    let mut quads: Vec<(f64, Vec<[f64; 2]>, String)> = Vec::new();
    for jw in js.windows(2) {
        for iw in is.windows(2) {
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
            let pts: Vec<[f64; 3]> = idx
                .iter()
                .zip(vals)
                .map(|((i, j), v)| [mx(plot.x[*i]), my(plot.y[*j]), mz(v)])
                .collect();
            let depth = pts.iter().map(|p| view.depth(*p)).sum::<f64>() / 4.0;
            let normal = normalize(cross(sub(pts[2], pts[0]), sub(pts[3], pts[1])));
            let shade = 0.65 + 0.35 * dot(normal, light).abs();
            let t = vals.iter().map(|v| c.t(*v)).sum::<f64>() / 4.0;
            let [r, g, b] = viridis(t).map(|ch| (f64::from(ch) * shade).round().min(255.0) as u8);
            quads.push((
                depth,
                pts.iter().map(|p| to_px(*p)).collect(),
                format!("#{r:02x}{g:02x}{b:02x}"),
            ));
        }
    }
    quads.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (_, poly, colour) in &quads {
        svg.path(
            std::slice::from_ref(poly),
            true,
            &format!("fill=\"{colour}\" stroke=\"{colour}\" stroke-width=\"0.5\""),
        );
    }
    // A light wireframe over the quads helps read the shape.
    let wire_every = (is.len().max(js.len()) / 15).max(1);
    let mut wires = Vec::new();
    for j in js.iter().step_by(wire_every) {
        wires.extend(super::frame::finite_runs(is.iter().map(|i| {
            let v = plot.at(*i, *j);
            v.is_finite()
                .then(|| to_px([mx(plot.x[*i]), my(plot.y[*j]), mz(v)]))
        })));
    }
    for i in is.iter().step_by(wire_every) {
        wires.extend(super::frame::finite_runs(js.iter().map(|j| {
            let v = plot.at(*i, *j);
            v.is_finite()
                .then(|| to_px([mx(plot.x[*i]), my(plot.y[*j]), mz(v)]))
        })));
    }
    svg.path(
        &wires,
        false,
        "fill=\"none\" stroke=\"#000000\" stroke-opacity=\"0.25\" stroke-width=\"0.5\"",
    );

    // Paths and markers lifted onto the surface (bilinear height), drawn on top.
    let lift = |p: [f64; 2]| -> Option<[f64; 2]> {
        let v = bilinear(plot, p)?;
        Some(to_px([mx(p[0]), my(p[1]), mz(v) + 0.01]))
    };
    for (k, path) in plot.paths.iter().enumerate() {
        let colour = PATHS[k % PATHS.len()];
        let runs = super::frame::finite_runs(path.points.iter().map(|p| lift(*p)));
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
    for m in &plot.markers {
        if let Some(p) = lift(m.at) {
            svg.circle(
                p,
                4.5,
                "fill=\"#ffffff\" stroke=\"#000000\" stroke-width=\"1.3\"",
            );
            svg.text_halo(p[0] + 8.0, p[1] - 8.0, 12.0, Anchor::Start, &m.label);
        }
    }
    let entries: Vec<super::legend::Entry<'_>> = plot
        .paths
        .iter()
        .enumerate()
        .map(|(k, p)| super::legend::Entry {
            label: &p.label,
            colour: PATHS[k % PATHS.len()],
            outlined: true,
        })
        .collect();
    super::legend::legend(svg, area.right, area.top, &entries);
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
mod tests {
    use super::*;

    #[test]
    fn bilinear_is_exact_on_a_plane_and_none_outside() {
        let plot = SurfacePlot {
            x: vec![0.0, 1.0, 3.0],
            y: vec![0.0, 2.0],
            values: vec![0.0, 1.0, 3.0, 4.0, 5.0, 7.0], // v = x + 2 y
            ..Default::default()
        };
        let v = bilinear(&plot, [2.5, 0.5]).expect("inside");
        assert!((v - 3.5).abs() < 1e-12, "{v}");
        assert_eq!(bilinear(&plot, [3.0, 2.0]), Some(7.0));
        assert_eq!(bilinear(&plot, [3.5, 1.0]), None);
    }

    #[test]
    fn view_axes_are_orthonormal() {
        let v = View::new(-60.0, 30.0);
        for (a, b) in [(v.eye, v.right), (v.eye, v.up), (v.right, v.up)] {
            assert!(dot(a, b).abs() < 1e-12);
        }
        for a in [v.eye, v.right, v.up] {
            assert!((dot(a, a) - 1.0).abs() < 1e-12);
        }
    }
}
