//! Where each part of a figure went: every text, the plot area, the colour bar and the
//! legend as a convex region in pixels, recorded while the figure is drawn, so a test (or a
//! caller placing more on the figure) can check that nothing overlaps.
//!
//! Regions are convex polygons (a rotated label is a rotated rectangle; the 3-D view's plot
//! area is the outline of its box), compared with the separating-axis test.

use std::fmt;

/// What a region of a figure holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The title above the plot.
    Title,
    /// The x axis label.
    XLabel,
    /// The (left) y axis label.
    YLabel,
    /// The right y axis label of a line plot.
    RightLabel,
    /// One tick label of the x axis (or of the 3-D view's x edge).
    XTick,
    /// One tick label of the (left) y axis (or of the 3-D view's y edge).
    YTick,
    /// One tick label of a line plot's right y axis.
    RightTick,
    /// One category label under a bar chart.
    Category,
    /// Where data is drawn: the frame of a 2-D plot, the outline of the 3-D view's box.
    PlotArea,
    /// The colour bar's strip.
    ColourBar,
    /// One tick label of the colour bar.
    ColourBarTick,
    /// The colour bar's label.
    ColourBarLabel,
    /// The legend box.
    Legend,
    /// A contour level's value written along its line.
    ContourLabel,
    /// A marker's label.
    MarkerLabel,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A convex region of a figure, in pixels (SVG user units, y down).
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// What it holds.
    pub part: Part,
    /// The text drawn in it (empty for boxes that are not text).
    pub text: String,
    /// Whether it lies on the data, inside a [`Part::PlotArea`] (legend, contour and marker
    /// labels of 2-D plots), rather than beside it.
    pub on_plot: bool,
    /// Its corners, in order around it.
    pub corners: Vec<[f64; 2]>,
}

/// Overlaps smaller than this (in pixels) are touching, not overlapping.
const TOUCH: f64 = 0.5;

impl Region {
    /// An axis-aligned rectangle `[x0, x1] x [y0, y1]`.
    pub fn rect(part: Part, x0: f64, y0: f64, x1: f64, y1: f64) -> Self {
        Region {
            part,
            text: String::new(),
            on_plot: false,
            corners: vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
        }
    }

    /// The smallest axis-aligned rectangle holding the region, `[x0, y0, x1, y1]`.
    pub fn bounds(&self) -> [f64; 4] {
        self.corners.iter().fold(
            [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            |b, p| {
                [
                    b[0].min(p[0]),
                    b[1].min(p[1]),
                    b[2].max(p[0]),
                    b[3].max(p[1]),
                ]
            },
        )
    }

    /// Whether the two regions overlap by more than half a pixel (the separating-axis test:
    /// convex polygons are apart exactly when some edge normal of one of them separates
    /// their projections).
    pub fn overlaps(&self, other: &Region) -> bool {
        overlap_depth(&self.corners, &other.corners) > TOUCH
    }

    /// Whether `other` lies inside this region (within half a pixel).
    pub fn contains(&self, other: &Region) -> bool {
        let n = self.corners.len();
        if n < 3 {
            return false;
        }
        // Orientation of the polygon, so "inside" is the same side of every edge.
        let area: f64 = (0..n)
            .map(|k| {
                let (a, b) = (self.corners[k], self.corners[(k + 1) % n]);
                a[0] * b[1] - b[0] * a[1]
            })
            .sum();
        let sign = area.signum();
        other.corners.iter().all(|p| {
            (0..n).all(|k| {
                let (a, b) = (self.corners[k], self.corners[(k + 1) % n]);
                let len = (b[0] - a[0]).hypot(b[1] - a[1]).max(1e-12);
                let cross = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
                sign * cross / len >= -TOUCH
            })
        })
    }
}

/// How deep two convex polygons overlap: the smallest overlap
/// of their projections over every edge normal of both; 0 or less when apart.
fn overlap_depth(a: &[[f64; 2]], b: &[[f64; 2]]) -> f64 {
    let mut depth = f64::INFINITY;
    for poly in [a, b] {
        let n = poly.len();
        for k in 0..n {
            let (p, q) = (poly[k], poly[(k + 1) % n]);
            let (nx, ny) = (q[1] - p[1], p[0] - q[0]);
            let len = nx.hypot(ny);
            if len < 1e-12 {
                continue;
            }
            let project = |pts: &[[f64; 2]]| {
                pts.iter()
                    .map(|v| (v[0] * nx + v[1] * ny) / len)
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                        (lo.min(x), hi.max(x))
                    })
            };
            let ((a0, a1), (b0, b1)) = (project(a), project(b));
            depth = depth.min(a1.min(b1) - a0.max(b0));
            if depth <= 0.0 {
                return depth;
            }
        }
    }
    depth
}

/// Every region of a drawn figure, and the figure's size.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layout {
    /// The image width in pixels.
    pub width: f64,
    /// The image height in pixels.
    pub height: f64,
    /// The regions, in drawing order.
    pub regions: Vec<Region>,
}

/// Something wrong with a layout, found by [`Layout::problems`].
#[derive(Debug, Clone, PartialEq)]
pub enum LayoutProblem {
    /// Two regions overlap.
    Overlap(Region, Region),
    /// A region reaches outside the image.
    OutsideImage(Region),
    /// A region meant to lie on the data is not inside the plot area.
    OffPlot(Region),
}

impl fmt::Display for LayoutProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |r: &Region| {
            let b = r.bounds();
            format!(
                "{} {:?} at [{:.1}, {:.1}]-[{:.1}, {:.1}]",
                r.part, r.text, b[0], b[1], b[2], b[3]
            )
        };
        match self {
            LayoutProblem::Overlap(a, b) => write!(f, "{} overlaps {}", name(a), name(b)),
            LayoutProblem::OutsideImage(r) => write!(f, "{} reaches outside the image", name(r)),
            LayoutProblem::OffPlot(r) => write!(f, "{} is not inside the plot area", name(r)),
        }
    }
}

impl Layout {
    /// The regions holding `part`.
    pub fn parts(&self, part: Part) -> impl Iterator<Item = &Region> {
        self.regions.iter().filter(move |r| r.part == part)
    }

    /// Everything that makes the figure hard to read: regions that overlap (a region on the
    /// data may overlap the plot area it lies on, nothing else), regions outside the image,
    /// and regions meant to lie on the data that leave the plot area. Empty for a clean
    /// layout.
    pub fn problems(&self) -> Vec<LayoutProblem> {
        let mut found = Vec::new();
        let image = Region::rect(Part::PlotArea, 0.0, 0.0, self.width, self.height);
        let areas: Vec<&Region> = self.parts(Part::PlotArea).collect();
        for (k, a) in self.regions.iter().enumerate() {
            if !image.contains(a) {
                found.push(LayoutProblem::OutsideImage(a.clone()));
            }
            if a.on_plot && !areas.iter().any(|area| area.contains(a)) {
                found.push(LayoutProblem::OffPlot(a.clone()));
            }
            for b in &self.regions[k + 1..] {
                let lies_on = |x: &Region, y: &Region| x.part == Part::PlotArea && y.on_plot;
                if !lies_on(a, b) && !lies_on(b, a) && a.overlaps(b) {
                    found.push(LayoutProblem::Overlap(a.clone(), b.clone()));
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rectangles_overlap_only_when_they_share_area() {
        let a = Region::rect(Part::XTick, 0.0, 0.0, 10.0, 10.0);
        let b = Region::rect(Part::XTick, 9.0, 9.0, 20.0, 20.0);
        let touching = Region::rect(Part::XTick, 10.0, 0.0, 20.0, 10.0);
        let far = Region::rect(Part::XTick, 30.0, 0.0, 40.0, 10.0);
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&touching));
        assert!(!a.overlaps(&far));
    }

    #[test]
    fn a_rotated_box_is_apart_from_a_rectangle_its_bounds_would_hit() {
        // A 45-degree diamond around (10, 10) of half-diagonal 5: its bounding box reaches
        // (14.9, 14.9), but the diamond stays left of x + y = 30.
        let diamond = Region {
            part: Part::ContourLabel,
            text: "0.5".into(),
            on_plot: true,
            corners: vec![[10.0, 5.0], [15.0, 10.0], [10.0, 15.0], [5.0, 10.0]],
        };
        let corner = Region::rect(Part::Legend, 13.5, 13.5, 20.0, 20.0);
        assert!(!diamond.overlaps(&corner));
        let inside = Region::rect(Part::Legend, 11.0, 9.0, 12.0, 11.0);
        assert!(diamond.overlaps(&inside));
    }

    #[test]
    fn problems_name_overlaps_escapes_and_labels_off_the_plot() {
        let mut on = Region::rect(Part::ContourLabel, 10.0, 10.0, 20.0, 15.0);
        on.on_plot = true;
        let mut off = Region::rect(Part::ContourLabel, 95.0, 10.0, 105.0, 15.0);
        off.on_plot = true;
        let layout = Layout {
            width: 100.0,
            height: 100.0,
            regions: vec![
                Region::rect(Part::PlotArea, 5.0, 5.0, 90.0, 90.0),
                on,
                Region::rect(Part::XTick, 40.0, 92.0, 60.0, 99.0),
                Region::rect(Part::XLabel, 55.0, 95.0, 70.0, 110.0),
                off,
            ],
        };
        let problems = layout.problems();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 4, "{text:#?}");
        // The label lying on the plot area is not an overlap.
        assert!(
            !text
                .iter()
                .any(|t| t.contains("[10.0, 10.0]") && t.contains("overlaps"))
        );
    }
}
