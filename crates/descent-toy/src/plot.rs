//! Drawing paths over a function, with `descent-plot` (no drawing code here).
//!
//! 2-D functions: the function sampled on a grid (one Burn expression for the whole grid)
//! as a [`SurfacePlot`] with the paths as [`PathOverlay`]s and the known critical points as
//! [`Marker`]s; Rosenbrock, Himmelblau and Beale on a log colour scale. 1-D functions: a
//! [`LinePlot`] of the function with each path's `(x, loss)` points as a series.

use std::path::Path as FsPath;

use burn::tensor::{Device, Tensor};
use descent_plot::{
    LinePlot, Marker, PathOverlay, Series, SurfacePlot, SurfaceStyle, draw_lines, draw_surface,
};

use crate::function::CriticalKind;
use crate::point::read;
use crate::{Path, PlotBox, ToyError, ToyFunction};

/// How [`draw_paths`] draws.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotOptions {
    /// Grid points per axis (≥ 2; default 121).
    pub resolution: usize,
    /// The region drawn; `None` is the function's [`plot_box`](ToyFunction::plot_box).
    /// Path points outside it are clipped.
    pub region: Option<PlotBox>,
    /// Contour lines, filled contours, heatmap or 3-D surface (2-D functions).
    pub style: SurfaceStyle,
    /// Log colour scale; `None` follows [`ToyFunction::prefers_log_scale`].
    pub log_values: Option<bool>,
    /// The title; `None` is the function's name and formula.
    pub title: Option<String>,
}

impl Default for PlotOptions {
    fn default() -> Self {
        Self {
            resolution: 121,
            region: None,
            style: SurfaceStyle::Contour,
            log_values: None,
            title: None,
        }
    }
}

/// `n` evenly spaced values from `lo` to `hi`.
fn linspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
        .collect()
}

/// The function on the grid `x` by `y` (row-major along y, as [`SurfacePlot`] wants),
/// evaluated as one tensor expression on the flex device.
pub fn sample_grid(function: ToyFunction, x: &[f64], y: &[f64]) -> Result<Vec<f64>, ToyError> {
    let device = Device::flex();
    let xs: Vec<f32> = y.iter().flat_map(|_| x.iter().map(|&v| v as f32)).collect();
    let ys: Vec<f32> = y
        .iter()
        .flat_map(|&v| x.iter().map(move |_| v as f32))
        .collect();
    let values = function.value(
        Tensor::<1>::from_floats(xs.as_slice(), &device),
        Tensor::<1>::from_floats(ys.as_slice(), &device),
    );
    read(values)
}

/// Draws `paths` (all on `function`) to `file` (`.svg` or `.png`), atomically.
pub fn draw_paths(
    function: ToyFunction,
    paths: &[Path],
    file: &FsPath,
    options: &PlotOptions,
) -> Result<(), ToyError> {
    if options.resolution < 2 {
        return Err(ToyError::invalid(
            "resolution",
            options.resolution,
            "must be at least 2",
        ));
    }
    if let Some(other) = paths.iter().find(|p| p.config.function != function) {
        return Err(ToyError::invalid(
            "paths",
            &other.label,
            format!("walks {}, not {function}", other.config.function),
        ));
    }
    let region = options.region.unwrap_or_else(|| function.plot_box());
    let title = options
        .title
        .clone()
        .unwrap_or_else(|| format!("{function}: {}", function.formula()));
    let x = linspace(region.x[0], region.x[1], options.resolution);
    if function.dims() == 1 {
        let curve = sample_grid(function, &x, &[0.0])?;
        let mut series = vec![Series::new(function.to_string(), x, curve)];
        series.extend(paths.iter().map(|p| {
            Series::new(
                p.label.clone(),
                p.points.iter().map(|q| q[0]).collect(),
                p.losses.clone(),
            )
        }));
        let plot = LinePlot {
            title,
            x_label: "x".into(),
            y_label_left: "loss".into(),
            series,
            log_y: options.log_values.unwrap_or(false),
            ..Default::default()
        };
        draw_lines(&plot, file)?;
        return Ok(());
    }
    let y = linspace(region.y[0], region.y[1], options.resolution);
    let values = sample_grid(function, &x, &y)?;
    let inside = |p: [f64; 2]| {
        p[0] >= region.x[0] && p[0] <= region.x[1] && p[1] >= region.y[0] && p[1] <= region.y[1]
    };
    let markers = function
        .critical_points()
        .into_iter()
        .filter(|c| inside(c.at))
        .map(|c| Marker {
            label: match c.kind {
                CriticalKind::Global => "min",
                CriticalKind::Local => "local min",
                CriticalKind::Saddle => "saddle",
                CriticalKind::Maximum => "max",
            }
            .into(),
            at: c.at,
        })
        .collect();
    let plot = SurfacePlot {
        title,
        x_label: "x".into(),
        y_label: "y".into(),
        value_label: "loss".into(),
        x,
        y,
        values,
        style: options.style,
        log_values: options
            .log_values
            .unwrap_or_else(|| function.prefers_log_scale()),
        paths: paths
            .iter()
            .map(|p| PathOverlay {
                label: p.label.clone(),
                points: p.points.clone(),
            })
            .collect(),
        markers,
        ..Default::default()
    };
    draw_surface(&plot, file)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use descent_optim::{OptimizerConfig, SgdConfig};

    use super::*;
    use crate::WalkConfig;

    #[test]
    fn grids_are_row_major_along_y() {
        let f = ToyFunction::Rosenbrock;
        let (x, y) = ([-1.0, 0.0, 2.0], [0.5, 1.5]);
        let values = sample_grid(f, &x, &y).expect("grid");
        for (j, &yj) in y.iter().enumerate() {
            for (i, &xi) in x.iter().enumerate() {
                let exact = f.value_f64(xi, yj);
                assert!((values[j * 3 + i] - exact).abs() < 1e-4 * (1.0 + exact));
            }
        }
    }

    #[test]
    fn draws_2d_and_1d_paths_and_refuses_mixed_functions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sgd = OptimizerConfig::Sgd(SgdConfig::new());
        let run = |f: ToyFunction, lr| {
            WalkConfig::new(f, sgd.clone(), lr, 20)
                .run(&Device::flex())
                .expect("walk")
        };
        let rosenbrock = run(ToyFunction::Rosenbrock, 1e-3);
        let options = PlotOptions {
            resolution: 21,
            ..PlotOptions::default()
        };
        let svg = dir.path().join("r.svg");
        draw_paths(
            ToyFunction::Rosenbrock,
            std::slice::from_ref(&rosenbrock),
            &svg,
            &options,
        )
        .expect("2-D");
        let text = std::fs::read_to_string(&svg).expect("svg");
        assert!(
            text.starts_with("<svg") || text.starts_with("<?xml"),
            "{}",
            &text[..40]
        );
        let wells = run(ToyFunction::TwoWells, 0.5);
        let svg = dir.path().join("w.svg");
        draw_paths(
            ToyFunction::TwoWells,
            std::slice::from_ref(&wells),
            &svg,
            &options,
        )
        .expect("1-D");
        assert!(svg.is_file());
        let err =
            draw_paths(ToyFunction::TwoWells, &[rosenbrock], &svg, &options).expect_err("mixed");
        assert!(
            matches!(err, ToyError::InvalidOption { field: "paths", .. }),
            "{err}"
        );
    }
}
