//! The figures of a curve file (feature `plot`): the loss along the curve and along the
//! straight line in one plot, and both paths on the plane of `A`, the bend and `C`.

use std::path::Path;

use descent_plot::{LinePlot, Series, YAxis, draw_lines};

use crate::LandscapeError;
use crate::curve::file::CurveResult;

/// Draws the loss (left axis) and accuracy (right axis, when measured) of the first split
/// along both paths to `path` (`.svg` or `.png`), the barriers in the title.
///
/// # Errors
///
/// [`LandscapeError::Plot`] for an unusable result or an unwritable file.
pub fn draw_profiles(result: &CurveResult, path: &Path) -> Result<(), LandscapeError> {
    Ok(draw_lines(&profiles_plot(result)?, path)?)
}

/// The plot [`draw_profiles`] draws: the loss (and accuracy) of the first split along the
/// curve and along the straight line, the barriers in the title.
///
/// # Errors
///
/// [`LandscapeError::InvalidOption`] for a result that holds no loss.
pub fn profiles_plot(result: &CurveResult) -> Result<LinePlot, LandscapeError> {
    let p = &result.profiles;
    let Some(loss) = p.barrier_metric.clone() else {
        return Err(LandscapeError::invalid(
            "curve file",
            "profiles",
            "holds no loss to draw",
        ));
    };
    let acc = loss.replacen("loss", "acc", 1);
    let name = result.kind.to_string();
    let mut series = Vec::new();
    for (label, profile) in [(name.as_str(), &p.curve), ("line", &p.line)] {
        if let Some(values) = profile.values.get(&loss) {
            series.push(Series::new(
                format!("{label} {loss}"),
                p.t.clone(),
                values.clone(),
            ));
        }
    }
    let mut right = None;
    for (label, profile) in [(name.as_str(), &p.curve), ("line", &p.line)] {
        if let Some(values) = profile.values.get(&acc) {
            series.push(
                Series::new(format!("{label} {acc}"), p.t.clone(), values.clone()).on(YAxis::Right),
            );
            right = Some("accuracy".to_string());
        }
    }
    let show = |b: Option<f64>| b.map_or("n/a".to_string(), |b| format!("{b:.4}"));
    let plot = LinePlot {
        title: format!(
            "barrier: {name} {}, line {} (max along the path - mean of the ends)",
            show(p.curve.barrier),
            show(p.line.barrier)
        ),
        x_label: "t (0 = A, 1 = C)".into(),
        series,
        y_label_left: loss,
        y_label_right: right,
        ..LinePlot::default()
    };
    Ok(plot)
}

/// Draws both paths on the plane of `A`, the bend and `C` (orthonormal coordinates, Euclidean
/// units) to `path`; nothing is drawn (and `false` returned) when the file has no plane.
///
/// # Errors
///
/// [`LandscapeError::Plot`] for an unwritable file.
pub fn draw_plane_path(result: &CurveResult, path: &Path) -> Result<bool, LandscapeError> {
    let Some(plane) = &result.plane else {
        return Ok(false);
    };
    let xy = |points: &[[f64; 2]]| -> (Vec<f64>, Vec<f64>) {
        (
            points.iter().map(|p| p[0]).collect(),
            points.iter().map(|p| p[1]).collect(),
        )
    };
    let (cx, cy) = xy(&plane.curve);
    let (lx, ly) = xy(&plane.line);
    let [a, b, c] = plane.plane.marks;
    let plot = LinePlot {
        title: format!(
            "plane of A ({:.2}, {:.2}), bend ({:.2}, {:.2}), C ({:.2}, {:.2})",
            a[0], a[1], b[0], b[1], c[0], c[1]
        ),
        x_label: "u = (bend - A) / |bend - A|".into(),
        series: vec![
            Series::new(result.kind.to_string(), cx, cy),
            Series::new("line", lx, ly),
            Series::new(
                "control polygon A - bend - C",
                vec![a[0], b[0], c[0]],
                vec![a[1], b[1], c[1]],
            ),
        ],
        y_label_left: "v (orthonormal)".into(),
        ..LinePlot::default()
    };
    draw_lines(&plot, path)?;
    Ok(true)
}

/// Draws the loss contours of the plane scan `scan` (made by
/// [`scan_curve_plane`](super::plane_scan::scan_curve_plane)) with the curve and the straight
/// line of `result` over them and `A`, the bend and `C` marked, to `path`. The scan's
/// orthonormal coordinates are the ones of [`CurveResult::plane`] (`A` at the origin, the
/// bend on the x axis), so the paths sit where they belong.
///
/// # Errors
///
/// [`LandscapeError::InvalidOption`] if the scan is not 2-D or has no loss, or the result no
/// plane; plot errors.
pub fn draw_plane_scan(
    result: &CurveResult,
    scan: &crate::ScanFile,
    path: &Path,
) -> Result<(), LandscapeError> {
    use descent_plot::{Aspect, Marker, PathOverlay, SurfacePlot, SurfaceStyle, draw_surface};
    let plane = result
        .plane
        .as_ref()
        .ok_or_else(|| LandscapeError::invalid("plane", "none", "the curve file has no plane"))?;
    let (metric, values) = crate::scan_plot::loss_values(scan)?;
    let grid = scan.meta.grid;
    let y = grid
        .y
        .ok_or_else(|| LandscapeError::invalid("grid", "1-D", "a plane scan is 2-D"))?;
    let [a, b, c] = plane.plane.marks;
    let marker = |label: &str, at| Marker {
        label: label.into(),
        at,
    };
    let plot = SurfacePlot {
        title: format!("{metric} on the plane of A, the bend and C"),
        x_label: "u (Euclidean)".into(),
        y_label: "v (Euclidean)".into(),
        value_label: metric,
        x: grid.x.values(),
        y: y.values(),
        values,
        style: SurfaceStyle::Contour,
        aspect: Aspect::Equal,
        paths: vec![
            PathOverlay {
                label: result.kind.to_string(),
                points: plane.curve.clone(),
            },
            PathOverlay {
                label: "line".into(),
                points: plane.line.clone(),
            },
        ],
        markers: vec![marker("A", a), marker("bend", b), marker("C", c)],
        ..SurfacePlot::default()
    };
    Ok(draw_surface(&plot, path)?)
}
