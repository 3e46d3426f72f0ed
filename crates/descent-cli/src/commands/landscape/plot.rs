//! `descent landscape plot`: figures from a scan file, drawn by
//! [`descent_landscape::scan_plot::draw_scan`] (never by re-scanning).

use std::path::{Path, PathBuf};

use descent_landscape::scan_plot::{ScanFigureFormat, ScanPlotRequest, draw_scan};
use descent_landscape::{LandscapeError, ScanFile};

use super::args::PlotArgs;

/// Checks the options, then draws the figures of `file` next to `stem` and returns the
/// files written. Unknown formats, styles and metrics are usage errors naming the value; a
/// scan with no point done is bad input naming the file.
pub fn draw(file: &ScanFile, stem: &Path, args: &PlotArgs) -> anyhow::Result<Vec<PathBuf>> {
    let formats: Vec<ScanFigureFormat> = args.format.clone();
    let styles = args.style.clone();
    if let Some(metric) = &args.metric
        && !file.values.contains_key(metric)
    {
        anyhow::bail!(LandscapeError::invalid(
            "metric",
            metric,
            format!(
                "{} holds {}",
                args.file.display(),
                file.meta.metrics.join(", ")
            )
        ));
    }
    if file.done_count() == 0 {
        anyhow::bail!(LandscapeError::bad_file(
            &args.file,
            format!(
                "none of its {} points is computed yet; nothing to plot",
                file.done.len()
            )
        ));
    }
    let request = ScanPlotRequest {
        metric: args.metric.clone(),
        formats,
        styles,
        log: args.log,
    };
    Ok(draw_scan(file, stem, &request)?)
}
