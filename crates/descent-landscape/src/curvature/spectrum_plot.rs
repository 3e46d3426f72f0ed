//! The figure of a spectrum file: the smoothed eigenvalue density on a log scale against the
//! eigenvalue, as in PyHessian's figures (`density + 1e-7`, so the empty stretches between
//! the outliers and the bulk stay on the axis), drawn by `descent-plot` (feature `plot`).

use std::path::{Path, PathBuf};

use crate::LandscapeError;
use crate::curvature::spectrum_file::SpectrumFile;
use descent_plot::{LinePlot, Series, draw_lines};

/// PyHessian's floor under the density before taking its logarithm.
pub const DENSITY_FLOOR: f64 = 1e-7;

/// The line plot of `file`'s density.
pub fn spectrum_plot(file: &SpectrumFile) -> LinePlot {
    let m = &file.meta;
    let d = &file.density;
    LinePlot {
        title: format!(
            "Hessian eigenvalue density of {} ({} on {}, {} probes x {} Lanczos steps)",
            m.model_description,
            m.eval.splits.join(","),
            m.eval.datasets.join(","),
            m.options.probes,
            m.options.steps
        ),
        x_label: "eigenvalue".into(),
        y_label_left: format!("density + {DENSITY_FLOOR:e} (log scale)"),
        series: vec![Series::new(
            "stochastic Lanczos quadrature",
            d.grid.clone(),
            d.density.iter().map(|p| p + DENSITY_FLOOR).collect(),
        )],
        log_y: true,
        width: 900,
        ..LinePlot::default()
    }
}

/// Draws `file`'s density as `stem.svg` and `stem.png`; returns the files written.
///
/// # Errors
///
/// Plot and write errors.
pub fn draw_spectrum(file: &SpectrumFile, stem: &Path) -> Result<Vec<PathBuf>, LandscapeError> {
    let plot = spectrum_plot(file);
    let mut written = Vec::new();
    for ext in ["svg", "png"] {
        let path = stem.with_extension(ext);
        draw_lines(&plot, &path)?;
        written.push(path);
    }
    Ok(written)
}
