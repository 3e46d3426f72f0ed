//! Figures drawn from plain data into SVG or PNG files, and ParaView export: the plotting
//! of the descent workspace.
//!
//! Plain data in, file out: nothing here knows about scans, models or optimizers, so the
//! landscape scans, the toy surfaces, the schedule command and the curvature figures all
//! draw with it.
//!
//! - [`LinePlot`] + [`draw_lines`]: curves ([`Series`]) on a left and an optional right y axis
//!   ([`YAxis`]), linear or log on either axis (`log_x`, `log_y`), legend.
//! - [`BarPlot`] + [`draw_bars`]: values per category ([`BarSeries`]), grouped when there are
//!   several series, on a linear or log y axis; long category names are turned.
//! - [`SurfacePlot`] + [`draw_surface`]: a 2-D grid of values as contours with their levels
//!   written along the lines, filled contours, a heatmap or a shaded 3-D view
//!   ([`SurfaceStyle`]), with matplotlib's viridis colour bar, optimizer paths
//!   ([`PathOverlay`]) and [`Marker`]s on top, equal units on both axes unless asked
//!   otherwise ([`Aspect`]). NaN values are gaps.
//! - [`write_vtp`] / [`write_vts`]: the surface as VTK XML PolyData / StructuredGrid for
//!   ParaView.
//!
//! Every figure is first laid out ([`LinePlot::render`], ...: a [`Figure`]): its text is
//! measured with the font it is drawn in, and its [`Layout`] lists where each part went
//! (title, axis labels, tick labels, plot area, colour bar, legend, contour and marker
//! labels), so [`Layout::problems`] can tell that nothing overlaps. The format follows the
//! file's extension ([`ImageFormat`]); PNGs are rendered from the same SVG with an embedded
//! DejaVu Sans font (`assets/`, Bitstream Vera licence), so they do not depend on the fonts
//! installed. Every file is written atomically (`descent-files`).
//!
//! ```
//! use descent_plot::{
//!     BarPlot, BarSeries, LinePlot, PathOverlay, Series, SurfacePlot, SurfaceStyle, YAxis,
//!     draw_bars, draw_lines, draw_surface,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let x: Vec<f64> = (0..21).map(|i| -1.0 + 0.1 * i as f64).collect();
//! let lines = LinePlot {
//!     title: "1-D scan".into(),
//!     x_label: "alpha".into(),
//!     y_label_left: "loss".into(),
//!     y_label_right: Some("accuracy".into()),
//!     series: vec![
//!         Series::new("loss", x.clone(), x.iter().map(|a| 0.1 + a * a).collect()),
//!         Series::new("accuracy", x.clone(), x.iter().map(|a| 1.0 - 0.5 * a * a).collect())
//!             .on(YAxis::Right),
//!     ],
//!     ..Default::default()
//! };
//! draw_lines(&lines, &dir.path().join("scan.svg"))?;
//!
//! // A spectrum: eigenvalues against their density, on a log y axis.
//! let lambda: Vec<f64> = (0..50).map(|i| i as f64).collect();
//! let spectrum = LinePlot {
//!     title: "Hessian eigenvalue density".into(),
//!     x_label: "eigenvalue".into(),
//!     y_label_left: "density".into(),
//!     series: vec![Series::new("density", lambda.clone(), lambda.iter().map(|l| (-l / 5.0).exp()).collect())],
//!     log_y: true,
//!     ..Default::default()
//! };
//! draw_lines(&spectrum, &dir.path().join("spectrum.png"))?;
//!
//! // A value per layer.
//! let layers = BarPlot {
//!     y_label: "largest eigenvalue".into(),
//!     categories: vec!["conv1".into(), "conv2".into(), "fc".into()],
//!     series: vec![BarSeries::new("lambda_max", vec![40.0, 12.0, 3.5])],
//!     ..Default::default()
//! };
//! draw_bars(&layers, &dir.path().join("layers.svg"))?;
//!
//! let values = x.iter().flat_map(|b| x.iter().map(move |a| a * a + 2.0 * b * b)).collect();
//! let surface = SurfacePlot {
//!     title: "bowl".into(),
//!     x_label: "x".into(),
//!     y_label: "y".into(),
//!     value_label: "loss".into(),
//!     x: x.clone(),
//!     y: x.clone(),
//!     values,
//!     style: SurfaceStyle::Contour,
//!     paths: vec![PathOverlay { label: "GD".into(), points: vec![[0.9, 0.8], [0.5, 0.1], [0.0, 0.0]] }],
//!     ..Default::default()
//! };
//! let figure = surface.render()?;
//! assert!(figure.layout.problems().is_empty());
//! figure.write(&dir.path().join("bowl.png"))?;
//! # Ok(())
//! # }
//! ```

pub mod bar;
mod bar_render;
pub mod colormap;
mod colour_scale;
pub mod contour;
mod contour_labels;
pub mod error;
pub mod figure;
pub mod font;
pub mod format;
mod frame;
pub mod layout;
mod legend;
pub mod line;
mod line_render;
mod output;
pub mod panels;
pub mod style;
pub mod surface;
mod surface3d;
mod surface_render;
mod svg;
pub mod ticks;
mod viridis_table;
pub mod vtk;

pub use bar::{BarPlot, BarSeries, draw_bars};
pub use colormap::viridis;
pub use contour::{Polyline, contour_lines, filled_bands};
pub use error::PlotError;
pub use figure::Figure;
pub use format::ImageFormat;
pub use layout::{Layout, LayoutProblem, Part, Region};
pub use line::{LinePlot, Series, YAxis, draw_lines};
pub use style::SurfaceStyle;
pub use surface::{Aspect, DEFAULT_LEVELS, Marker, PathOverlay, SurfacePlot, draw_surface};
pub use ticks::{Ticks, format_tick, linear_ticks, log_ticks};
pub use vtk::{Field, write_vtp, write_vts};

#[cfg(test)]
mod tests;
