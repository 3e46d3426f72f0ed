//! Plots of loss curves and surfaces, drawn from plain data into SVG or PNG files, and
//! ParaView export.
//!
//! Plain data in, file out: nothing here knows about scans, models or optimizers, so the
//! scan commands, the toy-valley crate and the schedule command all draw with it.
//!
//! - [`LinePlot`] + [`draw_lines`]: curves ([`Series`]) on a left and an optional right y axis
//!   ([`YAxis`]), log-scale option, legend.
//! - [`SurfacePlot`] + [`draw_surface`]: a 2-D grid of values as contours (marching squares),
//!   filled contours, a heatmap or a shaded 3-D view ([`SurfaceStyle`]), with a viridis colour
//!   bar, optimizer paths ([`PathOverlay`]) and [`Marker`]s on top. NaN values are gaps.
//! - [`write_vtp`] / [`write_vts`]: the surface as VTK XML PolyData / StructuredGrid for
//!   ParaView.
//!
//! The format follows the file's extension ([`ImageFormat`]); PNGs are rendered from the same
//! SVG with an embedded DejaVu Sans font (`assets/`, Bitstream Vera licence), so they do not
//! depend on the fonts installed. Every file is written atomically (temporary file, rename).
//!
//! ```
//! use descent_landscape::plot::{
//!     LinePlot, PathOverlay, Series, SurfacePlot, SurfaceStyle, YAxis, draw_lines, draw_surface,
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
//! let values = x.iter().flat_map(|b| x.iter().map(move |a| a * a + 2.0 * b * b)).collect();
//! let surface = SurfacePlot {
//!     title: "bowl".into(),
//!     x_label: "x".into(),
//!     y_label: "y".into(),
//!     value_label: "loss".into(),
//!     x: x.clone(),
//!     y: x.clone(),
//!     values,
//!     style: SurfaceStyle::FilledContour,
//!     paths: vec![PathOverlay { label: "GD".into(), points: vec![[0.9, 0.8], [0.5, 0.1], [0.0, 0.0]] }],
//!     ..Default::default()
//! };
//! draw_surface(&surface, &dir.path().join("bowl.png"))?;
//! # Ok(())
//! # }
//! ```

pub mod colormap;
pub mod contour;
pub mod error;
pub mod format;
pub mod line;
pub mod style;
pub mod surface;
pub mod ticks;
pub mod vtk;

mod colour_scale;
mod frame;
mod legend;
mod line_render;
mod output;
mod surface3d;
mod surface_render;
mod svg;

pub use colormap::viridis;
pub use contour::{Polyline, contour_lines, filled_bands};
pub use error::PlotError;
pub use format::ImageFormat;
pub use line::{LinePlot, Series, YAxis, draw_lines};
pub use style::SurfaceStyle;
pub use surface::{Marker, PathOverlay, SurfacePlot, draw_surface};
pub use ticks::{Ticks, format_tick, linear_ticks, log_ticks};
pub use vtk::{Field, write_vtp, write_vts};

#[cfg(test)]
mod tests;
