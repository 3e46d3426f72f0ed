//! Contour labels: each level's value written along its lines, as matplotlib's
//! `clabel(inline=True)` writes them in Li et al.'s figures: turned with the line, the line
//! cut under the label, one label per line piece where one fits.
//!
//! A place fits when the line is nearly straight under the label, the label lies inside the
//! plot area, and it covers no obstacle: another label, the legend, a marker or its label,
//! an optimizer path, or another contour line. Among the places that fit, the straightest
//! one nearest the middle of the line wins.

use std::collections::HashMap;

use crate::font;
use crate::layout::{Part, Region};
use crate::svg::{Anchor, TextStyle, text_region};

/// Size of contour labels in px.
pub(crate) const LABEL_FONT: f64 = 10.0;

/// A label placed on a line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Label {
    /// The text.
    pub text: String,
    /// Its baseline's middle.
    pub at: [f64; 2],
    /// Its rotation in degrees (within `(-90, 90]`, so it never reads upside down).
    pub angle: f64,
    /// The box it covers.
    pub region: Region,
}

impl Label {
    /// How the label is set.
    pub(crate) fn style(&self) -> TextStyle {
        TextStyle::new(LABEL_FONT)
            .anchor(Anchor::Middle)
            .rotate(self.angle)
    }
}

/// Segments of lines (contour lines, paths) bucketed on a coarse grid, so a label's box is
/// tested only against the segments near it.
pub(crate) struct Segments {
    cell: f64,
    buckets: HashMap<(i64, i64), Vec<usize>>,
    /// Each segment and the line it belongs to (labels ignore their own line).
    segments: Vec<([f64; 2], [f64; 2], usize)>,
}

impl Segments {
    pub(crate) fn new() -> Self {
        Segments {
            cell: 24.0,
            buckets: HashMap::new(),
            segments: Vec::new(),
        }
    }

    fn key(&self, p: [f64; 2]) -> (i64, i64) {
        (
            (p[0] / self.cell).floor() as i64,
            (p[1] / self.cell).floor() as i64,
        )
    }

    /// Adds the segments of `line` under the owner id `owner`.
    pub(crate) fn add(&mut self, line: &[[f64; 2]], owner: usize) {
        for w in line.windows(2) {
            if !(w[0].iter().chain(&w[1]).all(|v| v.is_finite())) {
                continue;
            }
            let k = self.segments.len();
            self.segments.push((w[0], w[1], owner));
            let (a, b) = (self.key(w[0]), self.key(w[1]));
            for i in a.0.min(b.0)..=a.0.max(b.0) {
                for j in a.1.min(b.1)..=a.1.max(b.1) {
                    self.buckets.entry((i, j)).or_default().push(k);
                }
            }
        }
    }

    /// Whether a segment of a line other than `skip` crosses `region`.
    fn hit(&self, region: &Region, skip: usize) -> bool {
        let b = region.bounds();
        let (lo, hi) = (self.key([b[0], b[1]]), self.key([b[2], b[3]]));
        for i in lo.0..=hi.0 {
            for j in lo.1..=hi.1 {
                let Some(ks) = self.buckets.get(&(i, j)) else {
                    continue;
                };
                for &k in ks {
                    let (p, q, owner) = self.segments[k];
                    if owner != skip && crosses(&region.corners, p, q) {
                        return true;
                    }
                }
            }
        }
        false
    }
}

/// Whether the segment `p`-`q` meets the convex polygon `poly` (the separating-axis test
/// over the polygon's edge normals and the segment's normal; touching counts).
pub(crate) fn crosses(poly: &[[f64; 2]], p: [f64; 2], q: [f64; 2]) -> bool {
    let n = poly.len();
    let normals = (0..n)
        .map(|k| {
            let (a, b) = (poly[k], poly[(k + 1) % n]);
            [b[1] - a[1], a[0] - b[0]]
        })
        .chain(std::iter::once([q[1] - p[1], p[0] - q[0]]));
    for axis in normals {
        if axis[0] == 0.0 && axis[1] == 0.0 {
            continue;
        }
        let dot = |v: [f64; 2]| v[0] * axis[0] + v[1] * axis[1];
        let (lo, hi) = poly
            .iter()
            .map(|v| dot(*v))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| {
                (l.min(x), h.max(x))
            });
        let (a, b) = (dot(p), dot(q));
        if a.max(b) < lo || a.min(b) > hi {
            return false;
        }
    }
    true
}

/// What labels must stay clear of.
pub(crate) struct Obstacles {
    /// Boxes: the legend, markers and their labels, labels placed so far.
    pub regions: Vec<Region>,
    /// Lines: paths and contour lines.
    pub lines: Segments,
}

impl Obstacles {
    fn blocked(&self, region: &Region, own_line: usize) -> bool {
        self.regions.iter().any(|r| r.overlaps(region)) || self.lines.hit(region, own_line)
    }
}

/// A polyline with its cumulative arc length.
struct Walk<'a> {
    points: &'a [[f64; 2]],
    at: Vec<f64>,
}

impl<'a> Walk<'a> {
    fn new(points: &'a [[f64; 2]]) -> Self {
        let mut at = Vec::with_capacity(points.len());
        let mut s = 0.0;
        for (k, p) in points.iter().enumerate() {
            if k > 0 {
                let q = points[k - 1];
                s += (p[0] - q[0]).hypot(p[1] - q[1]);
            }
            at.push(s);
        }
        Walk { points, at }
    }

    fn length(&self) -> f64 {
        self.at.last().copied().unwrap_or(0.0)
    }

    /// The point at arc length `s` (clamped to the line).
    fn point(&self, s: f64) -> [f64; 2] {
        let k = self
            .at
            .partition_point(|a| *a < s)
            .clamp(1, self.points.len() - 1);
        let (s0, s1) = (self.at[k - 1], self.at[k]);
        let t = if s1 > s0 {
            ((s - s0) / (s1 - s0)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (p, q) = (self.points[k - 1], self.points[k]);
        [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]
    }

    /// The line between arc lengths `a` and `b`, its ends interpolated.
    fn piece(&self, a: f64, b: f64) -> Vec<[f64; 2]> {
        let mut out = vec![self.point(a)];
        out.extend(
            self.points
                .iter()
                .zip(&self.at)
                .filter(|(_, s)| **s > a && **s < b)
                .map(|(p, _)| *p),
        );
        out.push(self.point(b));
        out
    }

    /// How far the line strays from the chord between arc lengths `a` and `b`.
    fn bend(&self, a: f64, b: f64) -> f64 {
        let (p, q) = (self.point(a), self.point(b));
        let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
        let len = dx.hypot(dy).max(1e-9);
        self.points
            .iter()
            .zip(&self.at)
            .filter(|(_, s)| **s > a && **s < b)
            .map(|(v, _)| ((v[0] - p[0]) * dy - (v[1] - p[1]) * dx).abs() / len)
            .fold(0.0, f64::max)
    }
}

/// Places at most one label `text` on each of `lines` (pixel polylines of one level, each
/// with its owner id in `owners`, as registered in `obstacles.lines`), inside `area`, clear
/// of `obstacles`; every label placed becomes an obstacle. Returns the lines with a gap cut
/// under each label, and the labels.
pub(crate) fn place(
    lines: &[Vec<[f64; 2]>],
    owners: &[usize],
    text: &str,
    area: &Region,
    obstacles: &mut Obstacles,
) -> (Vec<Vec<[f64; 2]>>, Vec<Label>) {
    let width = font::text_width(text, LABEL_FONT);
    let thick = font::ascent(LABEL_FONT) + font::descent(LABEL_FONT);
    // The stretch of line the label replaces: the text and a little air at both ends.
    let span = width + 2.0 * font::PAD + 2.0;
    let mut cut = Vec::new();
    let mut labels = Vec::new();
    for (line, &owner) in lines.iter().zip(owners) {
        let walk = Walk::new(line);
        let length = walk.length();
        if line.len() < 2 || length < 2.5 * span {
            cut.push(line.clone());
            continue;
        }
        let mut best: Option<(f64, f64, Label)> = None;
        let steps = ((length - span) / (span / 4.0)).floor() as usize;
        for k in 0..=steps {
            let s = span / 2.0 + k as f64 * (span / 4.0);
            let (a, b) = (s - span / 2.0, s + span / 2.0);
            let bend = walk.bend(a, b);
            if bend > 0.3 * thick {
                continue;
            }
            let (p, q) = (walk.point(a), walk.point(b));
            let mut angle = (q[1] - p[1]).atan2(q[0] - p[0]).to_degrees();
            if angle > 90.0 {
                angle -= 180.0;
            } else if angle <= -90.0 {
                angle += 180.0;
            }
            let c = walk.point(s);
            // The baseline sits so the box is centred on the line.
            let (sin, cos) = angle.to_radians().sin_cos();
            let lift = (font::ascent(LABEL_FONT) - font::descent(LABEL_FONT)) / 2.0;
            let at = [c[0] - lift * sin, c[1] + lift * cos];
            let style = TextStyle::new(LABEL_FONT)
                .anchor(Anchor::Middle)
                .rotate(angle);
            let mut region = text_region(Part::ContourLabel, at, style, text);
            region.corners = grow(&region.corners, font::PAD);
            if !area.contains(&region) || obstacles.blocked(&region, owner) {
                continue;
            }
            let score = bend + 0.02 * (s - length / 2.0).abs();
            if best
                .as_ref()
                .is_none_or(|(best_score, _, _)| score < *best_score)
            {
                best = Some((
                    score,
                    s,
                    Label {
                        text: text.to_string(),
                        at,
                        angle,
                        region,
                    },
                ));
            }
        }
        match best {
            Some((_, s, label)) => {
                let (a, b) = (s - span / 2.0, s + span / 2.0);
                let closed = match (line.first(), line.last()) {
                    (Some(a), Some(b)) => (a[0] - b[0]).hypot(a[1] - b[1]) < 1e-6,
                    _ => false,
                };
                if closed {
                    // A loop: one piece, from the label's end around to its start.
                    let mut piece = walk.piece(b, length);
                    piece.extend(walk.piece(0.0, a).into_iter().skip(1));
                    cut.push(piece);
                } else {
                    cut.push(walk.piece(0.0, a));
                    cut.push(walk.piece(b, length));
                }
                obstacles.regions.push(label.region.clone());
                labels.push(label);
            }
            None => cut.push(line.clone()),
        }
    }
    (cut, labels)
}

/// The rectangle `corners` grown by `by` pixels on every side: each corner moves outwards
/// along both of its edges.
fn grow(corners: &[[f64; 2]], by: f64) -> Vec<[f64; 2]> {
    if corners.len() != 4 {
        return corners.to_vec();
    }
    let unit = |a: [f64; 2], b: [f64; 2]| {
        let (dx, dy) = (a[0] - b[0], a[1] - b[1]);
        let l = dx.hypot(dy).max(1e-12);
        [dx / l, dy / l]
    };
    (0..4)
        .map(|k| {
            let p = corners[k];
            let (u, v) = (unit(p, corners[(k + 3) % 4]), unit(p, corners[(k + 1) % 4]));
            [p[0] + by * (u[0] + v[0]), p[1] + by * (u[1] + v[1])]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area() -> Region {
        Region::rect(Part::PlotArea, 0.0, 0.0, 400.0, 400.0)
    }

    #[test]
    fn a_straight_line_gets_one_label_in_its_middle_along_it_and_a_gap() {
        let line = vec![[50.0, 350.0], [350.0, 50.0]]; // rising at 45 degrees on screen
        let mut obstacles = Obstacles {
            regions: Vec::new(),
            lines: Segments::new(),
        };
        obstacles.lines.add(&line, 0);
        let (cut, labels) = place(
            std::slice::from_ref(&line),
            &[0],
            "0.5",
            &area(),
            &mut obstacles,
        );
        assert_eq!(labels.len(), 1);
        let label = &labels[0];
        assert!((label.angle + 45.0).abs() < 1e-9, "{}", label.angle);
        let b = label.region.bounds();
        let centre = [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0];
        assert!(
            (centre[0] - 200.0).abs() < 2.0 && (centre[1] - 200.0).abs() < 2.0,
            "{centre:?}"
        );
        assert_eq!(cut.len(), 2, "the line is cut under the label");
        // The gap is as long as the label's span.
        let gap = (cut[1][0][0] - cut[0].last().expect("end")[0])
            .hypot(cut[1][0][1] - cut[0].last().expect("end")[1]);
        let span = font::text_width("0.5", LABEL_FONT) + 2.0 * font::PAD + 2.0;
        assert!((gap - span).abs() < 1e-6, "{gap} vs {span}");
    }

    #[test]
    fn labels_avoid_obstacles_other_lines_and_the_edge() {
        // A horizontal line whose middle is covered by a box: the label moves aside.
        let line = vec![[20.0, 200.0], [380.0, 200.0]];
        let blocker = Region::rect(Part::Legend, 150.0, 190.0, 250.0, 210.0);
        let mut obstacles = Obstacles {
            regions: vec![blocker.clone()],
            lines: Segments::new(),
        };
        obstacles.lines.add(&line, 0);
        // A second line 4 px below crosses any label box of the first.
        obstacles.lines.add(&[[20.0, 204.0], [380.0, 204.0]], 1);
        let (_, labels) = place(
            std::slice::from_ref(&line),
            &[0],
            "12.5",
            &area(),
            &mut obstacles,
        );
        assert!(labels.is_empty(), "no room between two close lines");
        let mut obstacles = Obstacles {
            regions: vec![blocker.clone()],
            lines: Segments::new(),
        };
        let (_, labels) = place(&[line], &[0], "12.5", &area(), &mut obstacles);
        assert_eq!(labels.len(), 1);
        assert!(!labels[0].region.overlaps(&blocker));
        assert!(area().contains(&labels[0].region));
        // A line hugging the area's edge cannot be labelled inside it.
        let edge = vec![[20.0, 1.0], [380.0, 1.0]];
        let (_, labels) = place(&[edge], &[5], "1", &area(), &mut obstacles);
        assert!(labels.is_empty());
    }

    #[test]
    fn a_closed_loop_stays_one_piece_around_its_label() {
        let loop_: Vec<[f64; 2]> = (0..=64)
            .map(|k| {
                let t = std::f64::consts::TAU * k as f64 / 64.0;
                [200.0 + 150.0 * t.cos(), 200.0 + 150.0 * t.sin()]
            })
            .collect();
        let mut obstacles = Obstacles {
            regions: Vec::new(),
            lines: Segments::new(),
        };
        let (cut, labels) = place(&[loop_], &[0], "3", &area(), &mut obstacles);
        assert_eq!(labels.len(), 1);
        assert_eq!(cut.len(), 1);
    }
}
