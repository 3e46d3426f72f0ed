//! The figure of a curvature file's per-layer blocks (`--per-layer`): for each layer, the
//! largest and smallest eigenvalue and the trace of its diagonal Hessian block, as grouped
//! bars (PyHessian users ask for this view: its issues #9 and #10), drawn by `descent-plot`
//! (feature `plot`). The bars are the file's numbers; a block whose estimates did not pass
//! their tests is marked "(not converged)" under its name.

use std::path::{Path, PathBuf};

use descent_plot::{BarPlot, BarSeries, draw_bars};

use crate::LandscapeError;
use crate::curvature::file::CurvatureFile;

/// The bar chart of `file`'s per-layer blocks, or `None` when the file has none (measured
/// without `--per-layer`).
pub fn layers_plot(file: &CurvatureFile) -> Option<BarPlot> {
    let layers = &file.report.layers;
    if layers.is_empty() {
        return None;
    }
    let categories = layers
        .iter()
        .map(|l| {
            let settled = l.lambda_max.converged && l.lambda_min.converged && l.trace.converged;
            if settled {
                l.layer.clone()
            } else {
                format!("{} (not converged)", l.layer)
            }
        })
        .collect();
    Some(BarPlot {
        title: format!(
            "Curvature of each layer's diagonal Hessian block: {} ({} on {})",
            file.model_description,
            file.eval.splits.join(","),
            file.eval.datasets.join(",")
        ),
        x_label: "layer".into(),
        y_label: "eigenvalue, trace".into(),
        categories,
        series: vec![
            BarSeries::new(
                "largest eigenvalue",
                layers.iter().map(|l| l.lambda_max.value).collect(),
            ),
            BarSeries::new(
                "smallest eigenvalue",
                layers.iter().map(|l| l.lambda_min.value).collect(),
            ),
            BarSeries::new("trace", layers.iter().map(|l| l.trace.mean).collect()),
        ],
        width: 900,
        ..BarPlot::default()
    })
}

/// Draws `file`'s per-layer chart as `stem.svg` and `stem.png`; returns the files written
/// (none when the file has no per-layer blocks).
///
/// # Errors
///
/// Plot and write errors.
pub fn draw_layers(file: &CurvatureFile, stem: &Path) -> Result<Vec<PathBuf>, LandscapeError> {
    let Some(plot) = layers_plot(file) else {
        return Ok(Vec::new());
    };
    let mut written = Vec::new();
    for ext in ["svg", "png"] {
        let path = stem.with_extension(ext);
        draw_bars(&plot, &path)?;
        written.push(path);
    }
    Ok(written)
}
