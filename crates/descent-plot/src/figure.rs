//! [`Figure`]: a drawn figure, its SVG document and its [`Layout`], before it is written.

use std::path::Path;

use crate::layout::Layout;
use crate::{ImageFormat, PlotError};

/// A drawn figure: the SVG document, and where each of its parts went.
///
/// [`LinePlot::render`](crate::LinePlot::render), [`SurfacePlot::render`](crate::SurfacePlot::render)
/// and [`BarPlot::render`](crate::BarPlot::render) make one; the `draw_*` functions render
/// and [`write`](Figure::write) in one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The SVG document.
    pub svg: String,
    /// Every text and box of the figure, in pixels.
    pub layout: Layout,
}

impl Figure {
    /// Writes the figure to `path`, an `.svg` or `.png` file (chosen by extension),
    /// atomically. PNGs are rendered at twice the SVG's size with the embedded font.
    ///
    /// # Errors
    /// [`PlotError::UnsupportedFormat`] for another extension, [`PlotError::Render`] if
    /// rasterizing fails, [`PlotError::Io`] when the file cannot be written.
    pub fn write(&self, path: &Path) -> Result<(), PlotError> {
        let format = ImageFormat::from_path(path)?;
        crate::output::write_image(&self.svg, format, path)
    }

    /// The figure as PNG bytes (twice the SVG's size), without writing a file.
    ///
    /// # Errors
    /// [`PlotError::Render`] if rasterizing fails.
    pub fn png(&self) -> Result<Vec<u8>, PlotError> {
        crate::output::render_png(&self.svg, Path::new("<memory>"))
    }
}
