//! The landscape files of a run: every scan, interpolation, plane, trajectory, curvature map,
//! curvature and spectrum file in the run folder or beside it, and every curve between it and
//! another run (`curve.json` in a folder beside it), told apart by the `format` in
//! their `meta.json` and drawn by the functions the `descent landscape` commands draw them
//! with (`descent_landscape::scan_plot`, `trajectory`, `curvature::{layers_plot,
//! spectrum_plot}`): one home for each figure.

use std::path::{Path, PathBuf};

use descent_landscape::ScanFile;
use descent_landscape::curvature::file::{CURVATURE_FORMAT, CurvatureFile};
use descent_landscape::curvature::layers_plot::layers_plot;
use descent_landscape::curvature::spectrum_file::{SPECTRUM_FORMAT, SpectrumFile};
use descent_landscape::curvature::spectrum_plot::spectrum_plot;
use descent_landscape::curve::file::CurveResult;
use descent_landscape::curve::plot::profiles_plot;
use descent_landscape::npz::Npz;
use descent_landscape::scan_file::SCAN_FORMAT;
use descent_landscape::scan_plot::{scan_description, scan_line_plot, scan_surface_plot};
use descent_landscape::trajectory::{trajectory_from_bytes, trajectory_plot};
use descent_plot::{Figure, SurfaceStyle};

use crate::ReportError;

/// What kind of landscape file a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LandscapeKind {
    /// A scan file (`descent landscape scan|interpolate|plane|curvature-map`).
    Scan,
    /// A trajectory scan (`descent landscape trajectory`).
    Trajectory,
    /// A curvature file (`descent landscape curvature`).
    Curvature,
    /// A spectrum file (`descent landscape spectrum`).
    Spectrum,
    /// A curve between two minima (`descent landscape curve`: its `curve.json`).
    Curve,
}

/// A landscape file, drawn.
#[derive(Debug, Clone)]
pub struct LandscapeEntry {
    /// The file.
    pub path: PathBuf,
    /// Its kind.
    pub kind: LandscapeKind,
    /// One line on what it holds.
    pub description: String,
    /// Its figures, with a caption each.
    pub figures: Vec<(String, Figure)>,
    /// Its numbers worth reading as they are (a curvature file's estimates), as JSON text.
    pub details: Option<String>,
}

/// The `format` field of an `.npz` file's `meta.json`, or `None` for another file.
fn format_of(bytes: &[u8]) -> Option<(String, bool)> {
    let npz = Npz::from_bytes(bytes).ok()?;
    let meta: serde_json::Value = serde_json::from_slice(npz.raw.get("meta.json")?).ok()?;
    let format = meta.get("format")?.as_str()?.to_string();
    Some((format, npz.raw.contains_key("trajectory.json")))
}

fn render(
    what: &str,
    path: &Path,
    figure: Result<Figure, descent_plot::PlotError>,
) -> Result<Figure, ReportError> {
    figure.map_err(|source| ReportError::Plot {
        what: format!("{what} of {}", path.display()),
        source,
    })
}

/// Reads and draws the landscape file at `path`; `Ok(None)` for an `.npz` file that is no
/// landscape file of ours (a NumPy archive of the user's).
///
/// # Errors
///
/// [`ReportError::Io`] if it cannot be read; [`ReportError::BadFile`] for a file of ours that
/// does not parse; [`ReportError::Plot`] if a figure cannot be drawn from it.
pub fn read_landscape(path: &Path) -> Result<Option<(LandscapeEntry, Vec<String>)>, ReportError> {
    let bytes = std::fs::read(path).map_err(|e| ReportError::io("reading", path, e))?;
    let Some((format, trajectory)) = format_of(&bytes) else {
        return Ok(None);
    };
    let bad = |e: descent_landscape::LandscapeError| ReportError::bad_file(path, e);
    let entry = if format == SCAN_FORMAT && trajectory {
        let (file, info) = trajectory_from_bytes(&bytes, path).map_err(bad)?;
        let plot = trajectory_plot(&file, &info).map_err(bad)?;
        let figure = render("the trajectory plot", path, plot.render())?;
        let checkpoints = file.meta.checkpoints.clone();
        (
            LandscapeEntry {
                path: path.to_path_buf(),
                kind: LandscapeKind::Trajectory,
                description: scan_description(&file),
                figures: vec![(
                    "loss contours on the PCA plane, with the path".into(),
                    figure,
                )],
                details: None,
            },
            checkpoints,
        )
    } else if format == SCAN_FORMAT {
        let file = ScanFile::from_bytes(&bytes, path).map_err(bad)?;
        let mut figures = Vec::new();
        if file.done_count() > 0 {
            if file.meta.grid.y.is_none() {
                let plot = scan_line_plot(&file, None, false).map_err(bad)?;
                figures.push((
                    "loss and accuracy".into(),
                    render("the curves", path, plot.render())?,
                ));
            } else {
                let plot =
                    scan_surface_plot(&file, None, SurfaceStyle::Contour, false).map_err(bad)?;
                let caption = format!("{} contours", plot.value_label);
                figures.push((caption, render("the contours", path, plot.render())?));
            }
        }
        let mut description = scan_description(&file);
        if file.done_count() < file.done.len() {
            description.push_str(&format!(
                " ({} of {} points done)",
                file.done_count(),
                file.done.len()
            ));
        }
        let checkpoints = file.meta.checkpoints.clone();
        (
            LandscapeEntry {
                path: path.to_path_buf(),
                kind: LandscapeKind::Scan,
                description,
                figures,
                details: None,
            },
            checkpoints,
        )
    } else if format == CURVATURE_FORMAT {
        let file = CurvatureFile::from_bytes(&bytes, path).map_err(bad)?;
        let mut figures = Vec::new();
        if let Some(plot) = layers_plot(&file) {
            figures.push((
                "per-layer curvature".into(),
                render("the per-layer chart", path, plot.render())?,
            ));
        }
        let mut report = serde_json::to_value(&file.report).unwrap_or_default();
        if let Some(object) = report.as_object_mut() {
            object.remove("layers");
        }
        (
            LandscapeEntry {
                path: path.to_path_buf(),
                kind: LandscapeKind::Curvature,
                description: format!(
                    "Hessian curvature of {} at {} ({} on {})",
                    file.model_description,
                    file.checkpoint,
                    file.eval.splits.join(","),
                    file.eval.datasets.join(",")
                ),
                figures,
                details: serde_json::to_string_pretty(&report).ok(),
            },
            vec![file.checkpoint.clone()],
        )
    } else if format == SPECTRUM_FORMAT {
        let file = SpectrumFile::from_bytes(&bytes, path).map_err(bad)?;
        let figure = render("the spectrum", path, spectrum_plot(&file).render())?;
        (
            LandscapeEntry {
                path: path.to_path_buf(),
                kind: LandscapeKind::Spectrum,
                description: format!(
                    "Hessian eigenvalue density of {} at {}",
                    file.meta.model_description, file.meta.checkpoint
                ),
                figures: vec![("eigenvalue density".into(), figure)],
                details: None,
            },
            vec![file.meta.checkpoint.clone()],
        )
    } else {
        return Ok(None);
    };
    Ok(Some(entry))
}

/// The name of the file `descent landscape curve` writes in its folder.
const CURVE_FILE: &str = "curve.json";

/// Reads and draws the curve file at `path` (`descent landscape curve`'s `curve.json`): the
/// loss along the curve and along the straight line, drawn by the command's own plot code.
///
/// # Errors
///
/// [`ReportError::BadFile`] for a file that does not parse; [`ReportError::Plot`] if its
/// figure cannot be drawn.
pub fn read_curve(path: &Path) -> Result<(LandscapeEntry, Vec<String>), ReportError> {
    let bad = |e: descent_landscape::LandscapeError| ReportError::bad_file(path, e);
    let result = CurveResult::load(path).map_err(bad)?;
    let plot = profiles_plot(&result).map_err(bad)?;
    let figure = render("the curve's profiles", path, plot.render())?;
    let show = |b: Option<f64>| b.map_or("n/a".to_string(), |b| format!("{b:.4}"));
    let entry = LandscapeEntry {
        path: path.to_path_buf(),
        kind: LandscapeKind::Curve,
        description: format!(
            "{} curve between {} and {}: barrier {} along it, {} along the straight line \
             (Garipov et al. 2018)",
            result.kind,
            result.checkpoints[0],
            result.checkpoints[1],
            show(result.profiles.curve.barrier),
            show(result.profiles.line.barrier)
        ),
        figures: vec![("loss along the curve and the line".into(), figure)],
        details: None,
    };
    Ok((entry, result.checkpoints.to_vec()))
}

/// The `.npz` files directly in `dir`, sorted by name.
fn npz_files(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ReportError::io("listing", dir, e))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "npz"))
        .collect();
    files.sort();
    Ok(files)
}

/// Whether one of `checkpoints` (paths as given to the command that made a file) lies in the
/// run folder named `run_name`: one of its components is that name.
fn names_run(checkpoints: &[String], run_name: &str) -> bool {
    checkpoints.iter().any(|c| {
        Path::new(c)
            .components()
            .any(|part| part.as_os_str() == run_name)
    })
}

/// Every landscape file of the run folder `run` (named `run_name`): the `.npz` files in it and
/// in its subfolders one level down, and those beside it (in its parent folder) that name a
/// checkpoint inside it.
///
/// # Errors
///
/// As [`read_landscape`], for the first file that fails; a folder that cannot be listed.
pub fn find_landscape(run: &Path, run_name: &str) -> Result<Vec<LandscapeEntry>, ReportError> {
    let mut found = Vec::new();
    let mut inside = npz_files(run)?;
    let mut subfolders: Vec<PathBuf> = std::fs::read_dir(run)
        .map_err(|e| ReportError::io("listing", run, e))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .filter(|p| p.is_dir())
        .collect();
    subfolders.sort();
    for sub in subfolders {
        inside.extend(npz_files(&sub)?);
    }
    for path in inside {
        if let Some((entry, _)) = read_landscape(&path)? {
            found.push(entry);
        }
    }
    let parent = run
        .canonicalize()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    if let Some(parent) = parent {
        for path in npz_files(&parent)? {
            if let Some((entry, checkpoints)) = read_landscape(&path)?
                && names_run(&checkpoints, run_name)
            {
                found.push(entry);
            }
        }
        // Curves between this run and another: `curve.json` in a folder beside the run.
        let mut siblings: Vec<PathBuf> = std::fs::read_dir(&parent)
            .map_err(|e| ReportError::io("listing", &parent, e))?
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.path().join(CURVE_FILE))
            .filter(|p| p.is_file())
            .collect();
        siblings.sort();
        for path in siblings {
            let (entry, checkpoints) = read_curve(&path)?;
            if names_run(&checkpoints, run_name) {
                found.push(entry);
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_names_its_run_by_a_whole_component() {
        let given = vec!["runs/a/model.bpk".to_string(), "b".to_string()];
        assert!(names_run(&given, "a"));
        assert!(names_run(&given, "b"));
        assert!(!names_run(&given, "runs/a"));
        assert!(!names_run(&["runs/ab/model.bpk".to_string()], "a"));
    }
}
