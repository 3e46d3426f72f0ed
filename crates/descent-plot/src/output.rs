//! Writing a finished SVG document as an `.svg` or `.png` file, atomically.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::font::{DEJAVU_SANS, FAMILY};
use crate::{ImageFormat, PlotError};

/// Scale of PNG output relative to the SVG's size (2 = crisp on high-DPI screens and in print).
pub(crate) const PNG_SCALE: f32 = 2.0;

/// Writes `svg` to `path` as `format`: the document itself, or rendered to PNG at
/// [`PNG_SCALE`] times its size.
pub(crate) fn write_image(svg: &str, format: ImageFormat, path: &Path) -> Result<(), PlotError> {
    let bytes = match format {
        ImageFormat::Svg => svg.as_bytes().to_vec(),
        ImageFormat::Png => render_png(svg, path)?,
    };
    descent_files::write_file(path, &bytes)?;
    Ok(())
}

fn fontdb() -> Arc<resvg::usvg::fontdb::Database> {
    static DB: OnceLock<Arc<resvg::usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = resvg::usvg::fontdb::Database::new();
        db.load_font_data(DEJAVU_SANS.to_vec());
        db.set_sans_serif_family(FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// Rasterizes `svg` with resvg and encodes it as PNG.
pub(crate) fn render_png(svg: &str, path: &Path) -> Result<Vec<u8>, PlotError> {
    let render_err = |reason: String| PlotError::Render {
        path: path.to_path_buf(),
        reason,
    };
    let options = resvg::usvg::Options {
        font_family: FAMILY.to_string(),
        fontdb: fontdb(),
        ..Default::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &options).map_err(|e| render_err(e.to_string()))?;
    let size = tree.size();
    let (w, h) = (
        (size.width() * PNG_SCALE).ceil() as u32,
        (size.height() * PNG_SCALE).ceil() as u32,
    );
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h)
        .ok_or_else(|| render_err(format!("cannot allocate a {w} x {h} image")))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(PNG_SCALE, PNG_SCALE),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| render_err(e.to_string()))
}
