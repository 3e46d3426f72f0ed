//! [`StudySummary`]: a folder of run folders, read as one study.
//!
//! The hook for `descent study` (issue 24, section 1), whose folder layout does not exist
//! yet: today a study is any folder whose subfolders include run folders; its runs are read
//! with [`read_run`], its results table from `results.json` when the
//! folder has one ([`ResultsTable`]: `{"columns": [..], "rows": [[..], ..]}`), and every `.svg`
//! and `.png` directly in it is shown as a figure. When the study command fixes its layout,
//! this file is the one place that reads it.

use std::path::{Path, PathBuf};

use crate::ReportError;
use crate::run::{RunSummary, is_run_folder, read_run};

/// The name of a study's results table in its folder.
pub const RESULTS_JSON: &str = "results.json";

/// A study's results: named columns and rows of cells (numbers or text).
#[derive(Debug, Clone, PartialEq)]
pub struct ResultsTable {
    /// The column names.
    pub columns: Vec<String>,
    /// The rows, each as long as `columns`.
    pub rows: Vec<Vec<String>>,
}

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
    /// Its runs, sorted by folder name.
    pub runs: Vec<RunSummary>,
    /// Its results table, if it has one.
    pub results: Option<ResultsTable>,
    /// Its figure files, sorted by name.
    pub figures: Vec<StudyFigure>,
}

/// Whether `dir` is read as a study: a folder, not itself a run, with a run folder among its
/// subfolders.
pub fn is_study_folder(dir: &Path) -> bool {
    dir.is_dir()
        && !is_run_folder(dir)
        && std::fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .filter_map(|e| e.ok())
                .any(|e| is_run_folder(&e.path()))
        })
}

fn cell(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Parses a `results.json`; `path` names the file in errors.
///
/// # Errors
///
/// [`ReportError::BadFile`] unless it is `{"columns": [strings], "rows": [[cells]]}` with
/// every row as long as the columns.
pub fn parse_results(bytes: &[u8], path: &Path) -> Result<ResultsTable, ReportError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ReportError::bad_file(path, e))?;
    let expected = "expected {\"columns\": [..], \"rows\": [[..], ..]}";
    let columns: Vec<String> = value
        .get("columns")
        .and_then(|c| c.as_array())
        .ok_or_else(|| ReportError::bad_file(path, expected))?
        .iter()
        .map(cell)
        .collect();
    let rows = value
        .get("rows")
        .and_then(|r| r.as_array())
        .ok_or_else(|| ReportError::bad_file(path, expected))?
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let cells: Vec<String> = row
                .as_array()
                .ok_or_else(|| ReportError::bad_file(path, format!("row {i} is not a list")))?
                .iter()
                .map(cell)
                .collect();
            if cells.len() == columns.len() {
                Ok(cells)
            } else {
                Err(ReportError::bad_file(
                    path,
                    format!(
                        "row {i} has {} cells for {} columns",
                        cells.len(),
                        columns.len()
                    ),
                ))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ResultsTable { columns, rows })
}

/// Reads the study folder `dir`.
///
/// # Errors
///
/// [`ReportError::NotARun`] if it holds no run folder; the errors of reading its runs, its
/// `results.json` and its figures.
pub fn read_study(dir: &Path) -> Result<StudySummary, ReportError> {
    if !is_study_folder(dir) {
        return Err(ReportError::NotARun {
            path: dir.to_path_buf(),
            reason: "is neither a run folder (no config.json) nor a folder of run folders".into(),
        });
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ReportError::io("listing", dir, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut runs = Vec::new();
    let mut figures = Vec::new();
    for path in &entries {
        if is_run_folder(path) {
            runs.push(read_run(path)?);
        } else if path.is_file() {
            let mime = match path.extension().and_then(|x| x.to_str()) {
                Some("svg") => "image/svg+xml",
                Some("png") => "image/png",
                _ => continue,
            };
            let bytes = std::fs::read(path).map_err(|e| ReportError::io("reading", path, e))?;
            figures.push(StudyFigure {
                path: path.clone(),
                mime,
                bytes,
            });
        }
    }
    let results_path = dir.join(RESULTS_JSON);
    let results = if results_path.is_file() {
        let bytes = std::fs::read(&results_path)
            .map_err(|e| ReportError::io("reading", &results_path, e))?;
        Some(parse_results(&bytes, &results_path)?)
    } else {
        None
    };
    let name = dir
        .canonicalize()
        .ok()
        .as_deref()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
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
    fn results_tables_parse_or_name_the_fault() {
        let path = Path::new("results.json");
        let table = parse_results(
            br#"{"columns": ["batch", "test error"], "rows": [[128, "7.4 +- 0.2"], [4096, null]]}"#,
            path,
        )
        .expect("parses");
        assert_eq!(table.columns, ["batch", "test error"]);
        assert_eq!(table.rows[0], ["128", "7.4 +- 0.2"]);
        assert_eq!(table.rows[1], ["4096", ""]);
        let err =
            parse_results(br#"{"columns": ["a"], "rows": [[1, 2]]}"#, path).expect_err("ragged");
        assert!(
            err.to_string().contains("row 0 has 2 cells for 1 columns"),
            "{err}"
        );
        assert!(parse_results(b"[1]", path).is_err());
    }
}
