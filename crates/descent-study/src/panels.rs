//! Figures of several panels: SVG files drawn separately, put side by side in one file
//! (the arrangement is `descent_plot::panels`'s).

use std::path::{Path, PathBuf};

use crate::StudyError;

/// Puts the SVG files `panels` next to each other, left to right, in one SVG file (written
/// whole, by rename).
pub(crate) fn side_by_side(panels: &[PathBuf], out: &Path) -> Result<(), StudyError> {
    let mut texts = Vec::with_capacity(panels.len());
    for path in panels {
        let text = std::fs::read_to_string(path).map_err(|e| StudyError::BadFile {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        texts.push(text);
    }
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let svg = descent_plot::panels::side_by_side(&texts)?;
    descent_files::write_file(out, svg.as_bytes())?;
    Ok(())
}
