//! One self-contained HTML page for training runs and studies, made from their files alone.
//!
//! `descent report RUN_OR_STUDY... --out report.html` is a thin layer over [`write_report`].
//! The page holds, for each run folder: its configuration, its epochs (loss, accuracy,
//! learning rate, time), its checkpoints and averages, and every landscape file in it or
//! beside it (scans, interpolations, planes, trajectories, curvature maps, curvature and
//! spectrum files), each drawn by the function its `descent landscape` command draws it with.
//! The training curves of all runs are overlaid in one set of figures (loss and accuracy per
//! epoch, the learning rate of every step, SWA's start and the averages' results). A study
//! folder (`descent study`'s, or any folder of run folders; [`study`]) adds its claim, table,
//! verdict and figures, then each of its runs.
//!
//! The page needs no network: CSS inline, figures as `data:` URIs (SVG), and one small script
//! that checks on load that every figure decoded; a Content-Security-Policy forbids anything
//! else. Every string read from a file is HTML-escaped. The file is written atomically
//! (`descent-files`).
//!
//! ```
//! use std::path::PathBuf;
//!
//! use descent_report::{ReportError, write_report};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let runs = dir.path().join("runs");
//! if runs.join("a").is_dir() {
//!     // Made by `descent train --out runs/a` (and `runs/b`): curves overlaid.
//!     let written = write_report(&[runs.join("a"), runs.join("b")], &dir.path().join("ab.html"))?;
//!     println!("{} figures in {}", written.figures, written.path.display());
//! }
//! // A folder that holds no run is bad input naming the path, and no page is written.
//! std::fs::create_dir(&runs)?;
//! let page = dir.path().join("report.html");
//! let err = write_report(&[runs.clone()], &page).unwrap_err();
//! assert!(matches!(err, ReportError::NotARun { ref path, .. } if *path == runs));
//! assert!(!page.exists());
//! # Ok(())
//! # }
//! ```

pub mod curves;
pub mod error;
pub mod escape;
pub mod landscape;
pub mod page;
pub mod run;
pub mod study;

use std::path::{Path, PathBuf};

pub use error::ReportError;
pub use page::Input;
pub use run::{RunSummary, read_run};
pub use study::{StudySummary, read_study};

/// What [`write_report`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSummary {
    /// The page.
    pub path: PathBuf,
    /// Runs shown (those inside studies included).
    pub runs: usize,
    /// Landscape files drawn.
    pub landscape_files: usize,
    /// Figures in the page.
    pub figures: usize,
}

/// Reads one input: a run folder, or a folder of run folders (a study).
///
/// # Errors
///
/// [`ReportError::NotARun`] for a path that is neither; the errors of reading the run, its
/// landscape files or the study.
pub fn read_input(path: &Path) -> Result<Input, ReportError> {
    if run::is_run_folder(path) {
        let summary = read_run(path)?;
        let files = landscape::find_landscape(path, &summary.name)?;
        Ok(Input::Run(Box::new(summary), files))
    } else if study::is_study_folder(path) {
        let summary = read_study(path)?;
        let files = summary
            .runs
            .iter()
            .map(|run| landscape::find_landscape(&run.dir, &run.name))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Input::Study(Box::new(summary), files))
    } else {
        // read_run names what is wrong: missing, a file, or no config.json.
        Err(run::not_a_run(path))
    }
}

/// The page for `inputs` (see the crate's docs), as HTML text, with its figure count.
///
/// # Errors
///
/// As [`read_input`] for each input; [`ReportError::Plot`] if a figure cannot be drawn.
pub fn render_report(inputs: &[PathBuf]) -> Result<(String, ReportSummary), ReportError> {
    let read = inputs
        .iter()
        .map(|p| read_input(p))
        .collect::<Result<Vec<_>, _>>()?;
    let names: Vec<String> = read
        .iter()
        .map(|input| match input {
            Input::Run(run, _) => run.name.clone(),
            Input::Study(study, _) => study.name.clone(),
        })
        .collect();
    let title = format!("descent report: {}", names.join(", "));
    let (html, figures) = page::page(&read, &title)?;
    let (runs, landscape_files) = read.iter().fold((0, 0), |(r, l), input| match input {
        Input::Run(_, files) => (r + 1, l + files.len()),
        Input::Study(study, files) => (
            r + study.runs.len(),
            l + files.iter().map(Vec::len).sum::<usize>(),
        ),
    });
    Ok((
        html,
        ReportSummary {
            path: PathBuf::new(),
            runs,
            landscape_files,
            figures,
        },
    ))
}

/// Writes the page for `inputs` to `out`, atomically.
///
/// # Errors
///
/// As [`render_report`]; [`ReportError::Write`] if `out` cannot be written.
pub fn write_report(inputs: &[PathBuf], out: &Path) -> Result<ReportSummary, ReportError> {
    let (html, mut summary) = render_report(inputs)?;
    descent_files::write_file(out, html.as_bytes())?;
    summary.path = out.to_path_buf();
    Ok(summary)
}
