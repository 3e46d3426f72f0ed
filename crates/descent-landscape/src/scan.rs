//! Scanning a grid: set the parameters to `theta + a d (+ b e)` at each point, evaluate, and
//! record the results in a [`ScanFile`] that is saved atomically as points finish.

use std::path::Path;
use std::time::{Duration, Instant};

use burn::module::Module;

use crate::LandscapeError;
use crate::evaluator::PointEvaluator;
use crate::scan_file::ScanFile;
pub use crate::surface::Surface;

/// Progress of a scan, reported by [`run_scan`].
pub trait ScanObserver {
    /// Called once: `share` points belong to this run (its shard), `done` of them already are.
    fn started(&mut self, _share: usize, _done: usize) {}
    /// Called after each point: its index, coordinates and values.
    fn point(&mut self, _k: usize, _a: f64, _b: f64, _values: &[f64]) {}
    /// Called at the end.
    fn finished(&mut self) {}
    /// Asked after every point: `true` stops the scan there, saving the file (for example on
    /// Ctrl-C); the same scan resumes from it later.
    fn stop_requested(&mut self) -> bool {
        false
    }
}

/// Reports nothing.
pub struct SilentScan;

impl ScanObserver for SilentScan {}

/// How [`run_scan`] runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScanOptions {
    /// Stop after computing this many points (the file is saved and stays resumable).
    pub max_points: Option<usize>,
    /// Save the file at least this often while computing (and always at the end).
    pub save_every: Duration,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_points: None,
            save_every: Duration::from_secs(5),
        }
    }
}

/// What a call to [`run_scan`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanOutcome {
    /// Points computed by this call.
    pub computed: usize,
    /// Points of this shard still missing (0 when complete).
    pub remaining: usize,
}

/// Computes the points of `file`'s grid that belong to its shard and are not done yet, in
/// point order, saving `file` to `path` (atomically) every [`ScanOptions::save_every`] and at
/// the end. An interrupted scan loses at most the points since the last save and resumes
/// where it stopped; resumed or not, each point's numbers are the same.
///
/// # Errors
///
/// The evaluator's errors; [`LandscapeError::InvalidOption`] if the evaluator's metric names
/// are not the file's; saving errors.
pub fn run_scan<M: Module>(
    surface: &mut Surface<M>,
    evaluator: &mut dyn PointEvaluator<M>,
    file: &mut ScanFile,
    path: Option<&Path>,
    options: &ScanOptions,
    observer: &mut dyn ScanObserver,
) -> Result<ScanOutcome, LandscapeError> {
    let names = evaluator.metric_names();
    if names != file.meta.metrics {
        return Err(LandscapeError::invalid(
            "metrics",
            names.join(","),
            format!("the scan file records {}", file.meta.metrics.join(",")),
        ));
    }
    let grid = file.meta.grid;
    let shard = file.meta.shard;
    let share: Vec<usize> = (0..grid.len())
        .filter(|&k| shard.is_none_or(|s| s.contains(k)))
        .collect();
    let todo: Vec<usize> = share.iter().copied().filter(|&k| !file.done[k]).collect();
    observer.started(share.len(), share.len() - todo.len());
    let points = grid.points();
    let mut computed = 0;
    let mut last_save = Instant::now();
    let mut unsaved = false;
    for &k in &todo {
        if options.max_points.is_some_and(|m| computed >= m) {
            break;
        }
        let (a, b) = points[k];
        let point = evaluator.evaluate_at(surface, a, b)?;
        file.set_point(k, &names, &point);
        let values = point.values;
        computed += 1;
        unsaved = true;
        observer.point(k, a, b, &values);
        if let Some(path) = path
            && last_save.elapsed() >= options.save_every
        {
            file.save(path)?;
            last_save = Instant::now();
            unsaved = false;
        }
        if observer.stop_requested() {
            break;
        }
    }
    if let Some(path) = path
        && (unsaved || !path.exists())
    {
        file.save(path)?;
    }
    observer.finished();
    Ok(ScanOutcome {
        computed,
        remaining: todo.len() - computed,
    })
}

#[cfg(test)]
mod tests;
