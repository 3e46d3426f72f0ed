//! Lays out and draws a [`SurfacePlot`] as SVG.

use super::SurfacePlot;
use super::svg::{Anchor, Svg};

/// The SVG document for a validated plot.
pub(crate) fn render(plot: &SurfacePlot) -> String {
    let (w, h) = (
        f64::from(plot.width.max(100)),
        f64::from(plot.height.max(100)),
    );
    let mut svg = Svg::new(w, h);
    svg.text(w / 2.0, 24.0, 16.0, Anchor::Middle, 0.0, &plot.title);
    svg.finish()
}
