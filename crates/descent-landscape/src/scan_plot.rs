//! Figures of a scan file, drawn from the file alone (never by re-scanning): 1-D loss and
//! accuracy curves on twin axes, 2-D contour / filled contour / heatmap / 3-D surface
//! images, and ParaView `.vtp` export, with labelled axes and a title that says what was
//! scanned (checkpoint and model, direction kind and normalization, split and data).
//!
//! Points not computed yet are NaN: curves break and surfaces show blanks there, so an
//! unfinished scan can be looked at while it runs; a scan with no point done is refused.
//!
//! ```
//! use descent_landscape::scan_file::example_meta;
//! use descent_landscape::scan_plot::{ScanFigureFormat, ScanPlotRequest, draw_scan};
//! use descent_landscape::{Grid, ScanFile};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let grid = Grid { x: "-1:1:5".parse()?, y: Some("-1:1:5".parse()?) };
//! let mut file = ScanFile::new(example_meta(grid, &["loss_test", "acc_test"]));
//! for k in 0..25 {
//!     let (a, b) = (-1.0 + 0.5 * (k % 5) as f64, -1.0 + 0.5 * (k / 5) as f64);
//!     file.values.get_mut("loss_test").unwrap()[k] = 0.1 + a * a + 2.0 * b * b;
//!     file.values.get_mut("acc_test").unwrap()[k] = 1.0 - 0.2 * (a * a + b * b);
//!     file.done[k] = true;
//! }
//! let dir = tempfile::tempdir()?;
//! let request = ScanPlotRequest {
//!     formats: vec![ScanFigureFormat::Svg, ScanFigureFormat::Vtp],
//!     ..Default::default()
//! };
//! let written = draw_scan(&file, &dir.path().join("scan"), &request)?;
//! assert_eq!(written.len(), 2); // scan-contour.svg, scan.vtp
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::LandscapeError;
use crate::directions_file::DirectionSource;
use crate::evaluator::BnPolicy;
use crate::scan_file::{ScanFile, ScanKind};
use descent_plot::{
    ImageFormat, LinePlot, Series, SurfacePlot, SurfaceStyle, YAxis, draw_lines, draw_surface,
    write_vtp,
};

/// The kinds of file [`draw_scan`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanFigureFormat {
    /// An SVG image.
    Svg,
    /// A PNG image (rendered from the SVG with an embedded font).
    Png,
    /// VTK PolyData for ParaView: the surface with every metric as point data (2-D only).
    Vtp,
}

impl ScanFigureFormat {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ScanFigureFormat::Svg => "svg",
            ScanFigureFormat::Png => "png",
            ScanFigureFormat::Vtp => "vtp",
        }
    }

    fn image(self) -> Option<ImageFormat> {
        match self {
            ScanFigureFormat::Svg => Some(ImageFormat::Svg),
            ScanFigureFormat::Png => Some(ImageFormat::Png),
            ScanFigureFormat::Vtp => None,
        }
    }
}

impl fmt::Display for ScanFigureFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

impl FromStr for ScanFigureFormat {
    type Err = LandscapeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "svg" => Ok(ScanFigureFormat::Svg),
            "png" => Ok(ScanFigureFormat::Png),
            "vtp" => Ok(ScanFigureFormat::Vtp),
            _ => Err(LandscapeError::invalid(
                "format",
                s,
                "expected svg, png or vtp",
            )),
        }
    }
}

/// Parses a surface style name (`contour`, `filled`, `heatmap`, `surface`) into a
/// [`SurfaceStyle`], as a [`LandscapeError::InvalidOption`] naming the value on failure.
///
/// # Errors
///
/// An unknown name.
pub fn parse_style(s: &str) -> Result<SurfaceStyle, LandscapeError> {
    s.trim().parse::<SurfaceStyle>().map_err(|_| {
        LandscapeError::invalid("style", s, "expected contour, filled, heatmap or surface")
    })
}

/// Which figures [`draw_scan`] draws.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanPlotRequest {
    /// The metric (e.g. `loss_test`); `None` for the default: every split's loss and accuracy
    /// (1-D), the first loss (2-D). Given for a 1-D scan, a loss is drawn with its split's
    /// accuracy on the right axis.
    pub metric: Option<String>,
    /// The files to write.
    pub formats: Vec<ScanFigureFormat>,
    /// 2-D styles, one image per style and image format (ignored for 1-D scans).
    pub styles: Vec<SurfaceStyle>,
    /// Logarithmic loss axis (1-D) or log-spaced levels and colours (2-D).
    pub log: bool,
}

impl Default for ScanPlotRequest {
    fn default() -> Self {
        ScanPlotRequest {
            metric: None,
            formats: vec![ScanFigureFormat::Svg],
            styles: vec![SurfaceStyle::Contour],
            log: false,
        }
    }
}

/// A metric's name for people: `loss_test` -> `test loss`, `acc_train` -> `train accuracy`;
/// other names unchanged.
pub fn metric_label(metric: &str) -> String {
    if let Some(split) = metric.strip_prefix("loss_") {
        format!("{split} loss")
    } else if let Some(split) = metric.strip_prefix("acc_") {
        format!("{split} accuracy")
    } else {
        metric.to_string()
    }
}

/// A checkpoint path's short name: its last component, or the last two when the last is a
/// generic `model.bpk`.
fn short_name(path: &str) -> String {
    let p = Path::new(path);
    let last = p
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string());
    match (last.as_str(), p.parent().and_then(|q| q.file_name())) {
        ("model.bpk", Some(parent)) => format!("{}/{last}", parent.to_string_lossy()),
        _ => last,
    }
}

/// What was scanned, in one line: the checkpoints and model, the directions, the data and
/// the batch-norm policy, e.g. `around run-a (mlp 2-16-3 relu), filter-normalized random
/// directions, biases/BN ignored, 100 samples of spirals-test`.
pub fn scan_description(file: &ScanFile) -> String {
    let meta = &file.meta;
    let names: Vec<String> = meta.checkpoints.iter().map(|c| short_name(c)).collect();
    let model = if meta.model_description.is_empty() {
        String::new()
    } else {
        format!(" ({})", meta.model_description)
    };
    let mut parts = Vec::new();
    let plural = if meta.grid.y.is_some() { "s" } else { "" };
    match meta.kind {
        ScanKind::Random => {
            let centre = names.first().map_or(String::new(), |n| format!(" {n}"));
            parts.push(format!("around{centre}{model}"));
            match &meta.directions {
                DirectionSource::Random(config) => {
                    parts.push(format!(
                        "{}-normalized random direction{plural}",
                        config.normalization
                    ));
                    parts.push(format!(
                        "biases/BN {}",
                        match config.bias_bn {
                            crate::BiasBn::Ignore => "ignored",
                            crate::BiasBn::Include => "included",
                        }
                    ));
                }
                DirectionSource::Target { .. } => {
                    parts.push(format!("target direction{plural}"));
                }
            }
        }
        ScanKind::Interpolation => parts.push(format!("from {}{model}", names.join(" to "))),
        ScanKind::Plane => parts.push(format!("plane through {}{model}", names.join(", "))),
        ScanKind::Trajectory => {
            let run = names.first().map_or(String::new(), |n| format!(" of {n}"));
            parts.push(format!("PCA plane of the training trajectory{run}{model}"));
        }
    }
    let datasets = meta.eval.datasets.join(" + ");
    match (meta.eval.samples, datasets.is_empty()) {
        (Some(n), false) => parts.push(format!("{n} samples of {datasets}")),
        (None, false) => parts.push(datasets),
        _ => {}
    }
    if meta.eval.bn != BnPolicy::Keep {
        parts.push(format!("BN statistics: {}", meta.eval.bn));
    }
    parts.join(", ")
}

/// The axis labels of a scan: x, and y for 2-D scans.
fn axis_labels(file: &ScanFile) -> (String, String) {
    let meta = &file.meta;
    let names: Vec<String> = meta.checkpoints.iter().map(|c| short_name(c)).collect();
    let name = |i: usize, fallback: &str| names.get(i).cloned().unwrap_or_else(|| fallback.into());
    match meta.kind {
        ScanKind::Random => {
            let norm = match &meta.directions {
                DirectionSource::Random(c) => format!(", {}-normalized", c.normalization),
                DirectionSource::Target { .. } => String::new(),
            };
            let cos = meta.cosine.map_or(String::new(), |c| {
                format!(", cosine to direction 1: {c:.3}")
            });
            (
                format!("alpha (direction 1{norm})"),
                format!("beta (direction 2{cos})"),
            )
        }
        ScanKind::Interpolation => (
            format!("alpha (0 = {}, 1 = {})", name(0, "A"), name(1, "B")),
            String::new(),
        ),
        ScanKind::Plane => match &meta.plane {
            Some(p) if p.axes == crate::PlaneAxes::Orthonormal => (
                format!(
                    "distance along {} - {} (orthonormal basis)",
                    name(1, "B"),
                    name(0, "A")
                ),
                format!(
                    "distance orthogonal to it, towards {} (cosine of B - A and C - A: {:.3})",
                    name(2, "C"),
                    p.cosine
                ),
            ),
            Some(p) => (
                format!("alpha (along {} - {})", name(1, "B"), name(0, "A")),
                format!(
                    "beta (along {} - {}; affine axes, cosine {:.3}: sheared)",
                    name(2, "C"),
                    name(0, "A"),
                    p.cosine
                ),
            ),
            None => (
                format!("alpha (along {} - {})", name(1, "B"), name(0, "A")),
                format!("beta (along {} - {})", name(2, "C"), name(0, "A")),
            ),
        },
        ScanKind::Trajectory => ("PC1".into(), "PC2".into()),
    }
}

/// `metric`'s values with NaN at the points not done.
fn values(file: &ScanFile, metric: &str) -> Result<Vec<f64>, LandscapeError> {
    let v = file.values.get(metric).ok_or_else(|| {
        LandscapeError::invalid(
            "metric",
            metric,
            format!("the scan file holds {}", file.meta.metrics.join(", ")),
        )
    })?;
    Ok(v.iter()
        .zip(&file.done)
        .map(|(&x, &d)| if d { x } else { f64::NAN })
        .collect())
}

/// The first loss metric of `file` (its name, and its values with NaN at the points not
/// done): the surface the trajectory and curve figures draw their paths on.
pub(crate) fn loss_values(file: &ScanFile) -> Result<(String, Vec<f64>), LandscapeError> {
    let metric = file
        .meta
        .metrics
        .iter()
        .find(|m| m.starts_with("loss"))
        .cloned()
        .ok_or_else(|| LandscapeError::invalid("metric", "loss", "the scan has no loss"))?;
    let values = values(file, &metric)?;
    Ok((metric, values))
}

fn check_some_done(file: &ScanFile) -> Result<(), LandscapeError> {
    if file.done_count() == 0 {
        return Err(LandscapeError::invalid(
            "scan",
            format!("0 of {} points done", file.done.len()),
            "no point is computed yet; nothing to plot",
        ));
    }
    Ok(())
}

/// The 1-D figure of a scan: losses on the left axis (log-scaled when `log`), accuracies on
/// the right. `metric` chooses one metric (and, for a loss `loss_<split>`, its accuracy
/// `acc_<split>` on the right); `None` draws every split. A loss whose file records standard
/// errors ([`ScanFile::std_errors`]) is drawn with a shaded band of +- one standard error.
///
/// # Errors
///
/// [`LandscapeError::InvalidOption`] for a 2-D scan or an unknown metric;
/// [`LandscapeError::InvalidOption`] (field `scan`) if no point is done.
pub fn scan_line_plot(
    file: &ScanFile,
    metric: Option<&str>,
    log: bool,
) -> Result<LinePlot, LandscapeError> {
    if let Some(y) = file.meta.grid.y {
        return Err(LandscapeError::invalid(
            "grid",
            y,
            "curves are drawn for 1-D scans; this scan is 2-D",
        ));
    }
    check_some_done(file)?;
    let x = file.meta.grid.x.values();
    let names: Vec<&str> = file.meta.metrics.iter().map(String::as_str).collect();
    let (left, right): (Vec<&str>, Vec<&str>) = match metric {
        Some(m) => {
            values(file, m)?;
            let companion = m
                .strip_prefix("loss_")
                .map(|split| format!("acc_{split}"))
                .and_then(|acc| names.iter().copied().find(|n| *n == acc));
            (vec![m], companion.into_iter().collect())
        }
        None => {
            let left: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| !n.starts_with("acc_"))
                .collect();
            let right: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| n.starts_with("acc_"))
                .collect();
            if left.is_empty() {
                (right, Vec::new())
            } else {
                (left, right)
            }
        }
    };
    let mut series = Vec::new();
    for (axis, group) in [(YAxis::Left, &left), (YAxis::Right, &right)] {
        for m in group.iter() {
            let mut s = Series::new(metric_label(m), x.clone(), values(file, m)?).on(axis);
            // A loss with standard errors (`--subset`) gets its band of +- one error.
            if let Some(errors) = file.std_errors.get(*m)
                && m.starts_with("loss_")
                && errors.iter().any(|e| e.is_finite())
            {
                s = s.with_band(errors.clone());
            }
            series.push(s);
        }
    }
    let label = |group: &[&str]| {
        let labels: Vec<String> = group.iter().map(|m| metric_label(m)).collect();
        // "train loss, test loss" -> "loss" when every entry shares the last word.
        let last: Vec<&str> = labels.iter().filter_map(|l| l.rsplit(' ').next()).collect();
        if labels.len() > 1 && last.windows(2).all(|w| w[0] == w[1]) {
            last[0].to_string()
        } else {
            labels.join(", ")
        }
    };
    let what = if right.is_empty() {
        label(&left)
    } else {
        format!("{} and {}", label(&left), label(&right))
    };
    let title = format!("{what} {}", scan_description(file));
    let (x_label, _) = axis_labels(file);
    Ok(LinePlot {
        title,
        x_label,
        y_label_left: label(&left),
        y_label_right: (!right.is_empty()).then(|| label(&right)),
        series,
        log_y: log,
        ..LinePlot::default()
    })
}

/// The default metric of a 2-D figure: the first loss, or the first metric.
fn default_metric(file: &ScanFile) -> Result<&str, LandscapeError> {
    file.meta
        .metrics
        .iter()
        .find(|m| m.starts_with("loss_"))
        .or_else(|| file.meta.metrics.first())
        .map(String::as_str)
        .ok_or_else(|| LandscapeError::invalid("metric", "", "the scan file holds no metric"))
}

/// The 2-D figure of `metric` (default: the first loss) in `style`, with log-spaced levels
/// and colours when `log`; the rest as [`SurfacePlot`]'s defaults (about 20 labelled
/// contour levels, equal units on both axes), which a caller may change before drawing it
/// with [`draw_surface`].
///
/// # Errors
///
/// [`LandscapeError::InvalidOption`] for a 1-D scan or an unknown metric;
/// [`LandscapeError::InvalidOption`] (field `scan`) if no point is done.
pub fn scan_surface_plot(
    file: &ScanFile,
    metric: Option<&str>,
    style: SurfaceStyle,
    log: bool,
) -> Result<SurfacePlot, LandscapeError> {
    let Some(y) = file.meta.grid.y else {
        return Err(LandscapeError::invalid(
            "style",
            style,
            "surfaces are drawn for 2-D scans; this scan is 1-D",
        ));
    };
    check_some_done(file)?;
    let metric = match metric {
        Some(m) => m,
        None => default_metric(file)?,
    };
    let values = values(file, metric)?;
    let title = format!("{} {}", metric_label(metric), scan_description(file));
    let (x_label, y_label) = axis_labels(file);
    Ok(SurfacePlot {
        title,
        x_label,
        y_label,
        value_label: metric_label(metric),
        x: file.meta.grid.x.values(),
        y: y.values(),
        values,
        style,
        log_values: log,
        markers: plane_markers(file),
        ..SurfacePlot::default()
    })
}

/// The three models of a plane scan, marked where they sit (named by their checkpoints).
fn plane_markers(file: &ScanFile) -> Vec<descent_plot::Marker> {
    let Some(plane) = &file.meta.plane else {
        return Vec::new();
    };
    let names: Vec<String> = file
        .meta
        .checkpoints
        .iter()
        .map(|c| short_name(c))
        .collect();
    plane
        .marks
        .iter()
        .zip(["A", "B", "C"])
        .enumerate()
        .map(|(k, (at, letter))| descent_plot::Marker {
            label: names
                .get(k)
                .map_or(letter.to_string(), |n| format!("{letter}: {n}")),
            at: *at,
        })
        .collect()
}

/// Draws the figures `request` asks for from `file`, next to `stem` (a path without
/// extension), and returns the files written:
///
/// - 1-D scans: `<stem>[-<metric>].svg|png` (curves; `vtp` is refused);
/// - 2-D scans: `<stem>[-<metric>]-<style>.svg|png` per style, and `<stem>[-<metric>].vtp`
///   holding every metric (the chosen one first, as the height).
///
/// Everything is checked before the first file is written; each file is written atomically.
///
/// # Errors
///
/// [`LandscapeError::InvalidOption`] for an unknown metric, `vtp` for a 1-D scan, or no
/// format or style, or when no point is done;
/// [`LandscapeError::Plot`] when drawing or writing fails.
pub fn draw_scan(
    file: &ScanFile,
    stem: &Path,
    request: &ScanPlotRequest,
) -> Result<Vec<PathBuf>, LandscapeError> {
    if request.formats.is_empty() {
        return Err(LandscapeError::invalid("format", "", "name at least one"));
    }
    let suffix = request
        .metric
        .as_deref()
        .map_or(String::new(), |m| format!("-{m}"));
    let name = |tail: &str, ext: &str| {
        let base = stem
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scan".into());
        stem.with_file_name(format!("{base}{suffix}{tail}.{ext}"))
    };
    check_some_done(file)?;
    let mut written = Vec::new();
    if file.meta.grid.y.is_none() {
        if request.formats.contains(&ScanFigureFormat::Vtp) {
            return Err(LandscapeError::invalid(
                "format",
                "vtp",
                "the ParaView export is a surface; this scan is 1-D (use svg or png)",
            ));
        }
        let plot = scan_line_plot(file, request.metric.as_deref(), request.log)?;
        plot.validate()?;
        for format in &request.formats {
            let path = name("", format.extension());
            draw_lines(&plot, &path)?;
            written.push(path);
        }
        return Ok(written);
    }
    if request.styles.is_empty() {
        return Err(LandscapeError::invalid("style", "", "name at least one"));
    }
    let plots = request
        .styles
        .iter()
        .map(|&style| {
            let plot = scan_surface_plot(file, request.metric.as_deref(), style, request.log)?;
            plot.validate()?;
            Ok(plot)
        })
        .collect::<Result<Vec<_>, LandscapeError>>()?;
    for format in &request.formats {
        match format.image() {
            Some(image) => {
                for plot in &plots {
                    let path = name(&format!("-{}", plot.style), image.extension());
                    draw_surface(plot, &path)?;
                    written.push(path);
                }
            }
            None => {
                let first = match request.metric.as_deref() {
                    Some(m) => m,
                    None => default_metric(file)?,
                };
                let mut order = vec![first];
                order.extend(
                    file.meta
                        .metrics
                        .iter()
                        .map(String::as_str)
                        .filter(|m| *m != first),
                );
                let arrays = order
                    .iter()
                    .map(|m| values(file, m))
                    .collect::<Result<Vec<_>, _>>()?;
                let fields: Vec<(&str, &[f64])> = order
                    .iter()
                    .zip(&arrays)
                    .map(|(m, v)| (*m, v.as_slice()))
                    .collect();
                let y = file.meta.grid.y.map(|a| a.values()).unwrap_or_default();
                let path = name("", "vtp");
                write_vtp(&file.meta.grid.x.values(), &y, &fields, &path)?;
                written.push(path);
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests;
