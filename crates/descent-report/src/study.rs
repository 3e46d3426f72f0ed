//! [`StudySummary`]: a study folder, read.
//!
//! A folder made by `descent study` (`protocol.json`, `results.json`, `results.md`, its
//! figures, and its runs under `runs/ARM/seedN/`; the layout is `descent-study`'s), or any
//! folder of run folders. The runs are found up to three folders down and named by their path
//! inside the study (`step/seed0`); the results are read with `descent-study`'s own types; every
//! `.svg` and `.png` in the folder and in its `lessons/` is shown as a figure.

use std::path::{Path, PathBuf};

use descent_study::{PROTOCOL_FILE, RESULTS_JSON, StudyResults};

use crate::ReportError;
use crate::run::{RunSummary, folder_name, is_run_folder, read_run};

/// A figure file of a study, embedded as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyFigure {
    /// The file.
    pub path: PathBuf,
    /// Its MIME type (`image/svg+xml` or `image/png`).
    pub mime: &'static str,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A study folder, read.
#[derive(Debug, Clone)]
pub struct StudySummary {
    /// The folder.
    pub dir: PathBuf,
    /// Its name in the report.
    pub name: String,
    /// Its runs, sorted by path, each named by its path inside the study.
    pub runs: Vec<RunSummary>,
    /// Its `results.json`, if it has one.
    pub results: Option<StudyResults>,
    /// Its figure files, sorted by name.
    pub figures: Vec<StudyFigure>,
}

/// The run folders in `dir` and up to `depth` folders below it, sorted by path.
fn run_folders(dir: &Path, depth: usize) -> Result<Vec<PathBuf>, ReportError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ReportError::io("listing", dir, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    entries.sort();
    let mut found = Vec::new();
    for path in entries {
        if is_run_folder(&path) {
            found.push(path);
        } else if depth > 1 {
            found.extend(run_folders(&path, depth - 1)?);
        }
    }
    Ok(found)
}

/// Whether `dir` is read as a study: a folder, not itself a run, holding a `protocol.json` or
/// a run folder up to three folders down.
pub fn is_study_folder(dir: &Path) -> bool {
    dir.is_dir()
        && !is_run_folder(dir)
        && (dir.join(PROTOCOL_FILE).is_file()
            || run_folders(dir, 3).is_ok_and(|runs| !runs.is_empty()))
}

/// The `.svg` and `.png` files directly in `dir`, sorted by name.
fn figures_in(dir: &Path) -> Result<Vec<StudyFigure>, ReportError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ReportError::io("listing", dir, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let mut figures = Vec::new();
    for path in paths {
        let mime = match path.extension().and_then(|x| x.to_str()) {
            Some("svg") => "image/svg+xml",
            Some("png") => "image/png",
            _ => continue,
        };
        let bytes = std::fs::read(&path).map_err(|e| ReportError::io("reading", &path, e))?;
        figures.push(StudyFigure { path, mime, bytes });
    }
    Ok(figures)
}

/// Reads the study folder `dir`.
///
/// # Errors
///
/// [`ReportError::NotARun`] if it is no study; the errors of reading its runs, its
/// `results.json` (which must be `descent study`'s) and its figures.
pub fn read_study(dir: &Path) -> Result<StudySummary, ReportError> {
    if !is_study_folder(dir) {
        return Err(ReportError::NotARun {
            path: dir.to_path_buf(),
            reason: "is neither a run folder (no config.json) nor a study (no protocol.json, \
                     no run folders)"
                .into(),
        });
    }
    let mut runs = Vec::new();
    for path in run_folders(dir, 3)? {
        let mut run = read_run(&path)?;
        let inside = path.strip_prefix(dir).unwrap_or(&path);
        let inside = inside.strip_prefix("runs").unwrap_or(inside);
        run.name = inside.display().to_string();
        runs.push(run);
    }
    let mut figures = figures_in(dir)?;
    figures.extend(figures_in(&dir.join("lessons"))?);
    let results_path = dir.join(RESULTS_JSON);
    let results = if results_path.is_file() {
        let bytes = std::fs::read(&results_path)
            .map_err(|e| ReportError::io("reading", &results_path, e))?;
        Some(
            serde_json::from_slice::<StudyResults>(&bytes)
                .map_err(|e| ReportError::bad_file(&results_path, e))?,
        )
    } else {
        None
    };
    let name = folder_name(dir);
    Ok(StudySummary {
        dir: dir.to_path_buf(),
        name,
        runs,
        results,
        figures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_studies_are_read_with_their_results_and_figures() {
        // docs/studies holds what descent study wrote (without the run folders).
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/studies");
        let restarts = read_study(&root.join("restarts-small")).expect("a study");
        let results = restarts.results.expect("results.json");
        assert_eq!(results.protocol.study.to_string(), "restarts");
        assert!(!results.rows.is_empty());
        assert!(
            restarts
                .figures
                .iter()
                .any(|f| f.path.ends_with("accuracy.svg"))
        );
        let optimizers = read_study(&root.join("optimizers-small")).expect("a study");
        assert!(!optimizers.results.expect("results").lessons.is_empty());
        assert!(
            optimizers
                .figures
                .iter()
                .any(|f| f.path.starts_with(root.join("optimizers-small/lessons")))
        );
        assert!(
            read_study(&root).is_err(),
            "a folder of studies is no study"
        );
    }
}
