//! The curvature map of a 2-D scan: `|lambda_min / lambda_max|` of the Hessian at every point
//! of the scan's plane (Li et al. 2018, section 6), with both eigenvalues.
//!
//! A ratio near 0 means the surface is convex there (no significant negative curvature); a
//! large ratio marks saddle-like, non-convex regions. Each point runs the eigenvalue method of
//! [`eigen`](super::eigen) (Lanczos by default, both ends from one run) on finite-difference
//! Hessian-vector products, so the map is expensive: use a coarse grid and a data subset. The
//! metric `converged` is 1 where both eigenpairs passed the residual test, 0 elsewhere.

use std::path::{Path, PathBuf};

use burn::tensor::Device;

use crate::LandscapeError;
use crate::curvature::{
    EigenOptions, Hessian, HvpOptions, Objective, extreme_eigenpairs, model_objective,
};
use crate::directions_file::DirectionSet;
use crate::job::{EvalOptions, load_checkpoints, prepare_evaluator};
use crate::scan_file::{ScanFile, ScanKind};
use crate::vector::ParamVector;

/// The metrics of a curvature-map file, in this order.
pub const MAP_METRICS: [&str; 4] = ["curvature_ratio", "lambda_max", "lambda_min", "converged"];

/// One point of the map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapPoint {
    /// The largest eigenvalue of the Hessian.
    pub lambda_max: f64,
    /// The smallest (most negative) eigenvalue.
    pub lambda_min: f64,
    /// Whether both passed the residual test.
    pub converged: bool,
}

impl MapPoint {
    /// `|lambda_min / lambda_max|` (NaN when `lambda_max` is 0).
    pub fn ratio(&self) -> f64 {
        if self.lambda_max == 0.0 {
            f64::NAN
        } else {
            (self.lambda_min / self.lambda_max).abs()
        }
    }
}

/// The extreme eigenvalues of `objective`'s Hessian at `centre + a * d + b * e` for every
/// `(a, b)` of `points`.
///
/// # Errors
///
/// Mismatched layouts; bad power options or finite-difference step; the objective's errors.
pub fn extreme_eigenvalues_on_plane<O: Objective>(
    objective: &mut O,
    centre: &ParamVector,
    d: &ParamVector,
    e: &ParamVector,
    points: &[(f64, f64)],
    eigen: &EigenOptions,
    hvp: &HvpOptions,
) -> Result<Vec<MapPoint>, LandscapeError> {
    eigen.validate()?;
    hvp.validate()?;
    let mut out = Vec::with_capacity(points.len());
    for &(a, b) in points {
        let theta = centre.axpy(a, d)?.axpy(b, e)?;
        let mut hessian = Hessian::new(objective, &theta, hvp)?;
        let ends = extreme_eigenpairs(&mut hessian, 1, 1, eigen)?;
        out.push(MapPoint {
            lambda_max: ends.largest[0].value,
            lambda_min: ends.smallest[0].value,
            converged: ends.converged(),
        });
    }
    Ok(out)
}

/// A curvature map of the scan file `scan` (2-D, random directions saved beside it).
#[derive(Debug, Clone)]
pub struct CurvatureMapJob {
    /// The 2-D scan file whose plane is mapped.
    pub scan: PathBuf,
    /// The card of the scan's checkpoint when it is a PyTorch weights file (see
    /// [`descent_train::import`]).
    pub imported: Option<descent_train::ModelCard>,
    /// The data the Hessian is measured on: exactly one split.
    pub eval: EvalOptions,
    /// The eigenvalue method.
    pub eigen: EigenOptions,
    /// The Hessian-vector products.
    pub hvp: HvpOptions,
    /// The map file to write (scan-file format, metrics [`MAP_METRICS`]).
    pub out: PathBuf,
}

/// Runs a [`CurvatureMapJob`] and saves its file (written once, at the end).
///
/// # Errors
///
/// A scan that is not 2-D or has no directions file; unreadable files or data; bad options;
/// write errors.
pub fn run_curvature_map_job(
    job: &CurvatureMapJob,
    device: &Device,
    device_name: &str,
) -> Result<ScanFile, LandscapeError> {
    job.eval.require_one_split("the curvature map")?;
    let scan = ScanFile::load(&job.scan)?;
    let meta = &scan.meta;
    if meta.grid.y.is_none() || meta.kind != ScanKind::Random {
        return Err(LandscapeError::bad_file(
            &job.scan,
            format!(
                "the curvature map needs a 2-D scan along random directions, this is a {}-D {} scan",
                if meta.grid.y.is_some() { 2 } else { 1 },
                meta.kind
            ),
        ));
    }
    let directions_path = directions_path(&job.scan, meta.directions_file.as_deref())?;
    let checkpoint = meta
        .checkpoints
        .first()
        .ok_or_else(|| LandscapeError::bad_file(&job.scan, "names no checkpoint".to_string()))?;
    let device = device.clone().without_autodiff();
    let mut models =
        load_checkpoints(&[PathBuf::from(checkpoint)], job.imported.as_ref(), &device)?;
    let (card, model) = models.remove(0);
    let (evaluator, spec) =
        prepare_evaluator(&card, Some(Path::new(checkpoint)), &job.eval, &device)?;
    let set = &evaluator.sets()[0];
    let mut objective = model_objective(model, set, &device, job.hvp.precision)?;
    let centre = objective.params();
    let directions = DirectionSet::load(&directions_path, &centre.infos(), &device)?;
    if directions.directions.len() < 2 {
        return Err(LandscapeError::bad_file(
            &directions_path,
            "holds fewer than two directions".to_string(),
        ));
    }
    let points = meta.grid.points();
    let values = extreme_eigenvalues_on_plane(
        &mut objective,
        &centre,
        &directions.directions[0],
        &directions.directions[1],
        &points,
        &job.eigen,
        &job.hvp,
    )?;
    let mut map_meta = meta.clone();
    map_meta.metrics = MAP_METRICS.iter().map(|m| m.to_string()).collect();
    map_meta.eval = spec;
    map_meta.shard = None;
    map_meta.device = device_name.to_string();
    let mut file = ScanFile::new(map_meta);
    for (k, p) in values.iter().enumerate() {
        for (name, v) in MAP_METRICS.iter().zip([
            p.ratio(),
            p.lambda_max,
            p.lambda_min,
            if p.converged { 1.0 } else { 0.0 },
        ]) {
            if let Some(column) = file.values.get_mut(*name) {
                column[k] = v;
            }
        }
        file.done[k] = true;
    }
    file.save(&job.out)?;
    Ok(file)
}

/// The directions file of a scan: the recorded path, or a file of that name beside the scan.
fn directions_path(scan: &Path, recorded: Option<&str>) -> Result<PathBuf, LandscapeError> {
    let recorded = recorded
        .ok_or_else(|| LandscapeError::bad_file(scan, "records no directions file".to_string()))?;
    let path = PathBuf::from(recorded);
    if path.exists() {
        return Ok(path);
    }
    let beside = path
        .file_name()
        .map(|name| scan.parent().unwrap_or(Path::new(".")).join(name));
    match beside {
        Some(p) if p.exists() => Ok(p),
        _ => Err(LandscapeError::bad_file(
            scan,
            format!("its directions file {recorded} is missing"),
        )),
    }
}
