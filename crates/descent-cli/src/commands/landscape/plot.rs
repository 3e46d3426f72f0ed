//! `descent landscape plot`: figures from a scan file.
//!
//! Not wired yet: the drawing module (`descent_landscape::plot`) is being written; until it
//! lands this command reports that plainly instead of drawing.

use std::path::{Path, PathBuf};

use descent_landscape::{LandscapeError, ScanFile};

use super::args::PlotArgs;

/// Draws the figures of `file` next to `stem` and returns the files written.
pub fn draw(file: &ScanFile, stem: &Path, args: &PlotArgs) -> anyhow::Result<Vec<PathBuf>> {
    let _ = (file, stem, args);
    anyhow::bail!(LandscapeError::invalid(
        "plot",
        args.file.display(),
        "plotting is not available in this build yet (descent_landscape::plot is unfinished)"
    ))
}
