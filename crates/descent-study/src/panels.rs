//! Figures of several panels: SVG files drawn separately, put side by side in one file.

use std::path::{Path, PathBuf};

use crate::StudyError;

/// Puts the SVG files `panels` next to each other, left to right, in one SVG file (written
/// whole, by rename).
pub(crate) fn side_by_side(panels: &[PathBuf], out: &Path) -> Result<(), StudyError> {
    let mut body = String::new();
    let (mut x, mut height) = (0.0_f64, 0.0_f64);
    for path in panels {
        let bad = |reason: &str| StudyError::BadFile {
            path: path.clone(),
            reason: reason.into(),
        };
        let svg = std::fs::read_to_string(path).map_err(|e| bad(&e.to_string()))?;
        let start = svg.find("<svg").ok_or_else(|| bad("not an SVG file"))?;
        let svg = &svg[start..];
        let attr = |name: &str| -> Option<f64> {
            let open = &svg[..svg.find('>')?];
            let at = open.find(&format!(" {name}=\""))? + name.len() + 3;
            open[at..].split('"').next()?.parse().ok()
        };
        let (w, h) = (
            attr("width").ok_or_else(|| bad("panel without a width"))?,
            attr("height").ok_or_else(|| bad("panel without a height"))?,
        );
        body.push_str(&svg.replacen("<svg", &format!("<svg x=\"{x}\" y=\"0\""), 1));
        body.push('\n');
        x += w;
        height = height.max(h);
    }
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{x}\" height=\"{height}\" \
         viewBox=\"0 0 {x} {height}\">\n{body}</svg>\n"
    );
    descent_files::write_file(out, svg.as_bytes())?;
    Ok(())
}
