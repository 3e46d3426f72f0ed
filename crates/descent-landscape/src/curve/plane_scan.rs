//! The loss on the plane of `A`, the trained bend and `C` (Garipov et al. 2018, Figure 1 and
//! `plane.py`), scanned by the ordinary plane scan ([`run_job`] with [`ScanKind::Plane`]) on
//! the bend's checkpoint, so that the curve and the line can be drawn over its contours
//! ([`plot::draw_plane_scan`](super::plot::draw_plane_scan)).

use std::path::PathBuf;

use burn::tensor::Device;

use crate::LandscapeError;
use crate::curve::file::CurveResult;
use crate::curve::job::{BEND_DIR, CurveJob};
use crate::direction::DirectionConfig;
use crate::evaluator::BnPolicy;
use crate::job::{DirectionChoice, EvalOptions, JobOutcome, ScanJob, run_job};
use crate::plane::{PlaneAxes, grid_around};
use crate::scan::{ScanObserver, ScanOptions};
use crate::scan_file::ScanKind;

/// The scan file of the plane in a curve's output folder.
pub const PLANE_SCAN_FILE: &str = "plane.npz";

/// The grid of a curve's plane scan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaneGrid {
    /// Points per axis.
    pub resolution: usize,
    /// The grid spans the three models plus this share of their extent on each side
    /// (`plane.py` uses 0.2).
    pub margin: f64,
}

/// Scans the plane through `A`, the bend saved in the job's folder `out` and `C` on `grid`,
/// with the job's evaluation but batch-norm statistics recomputed at every point, into
/// `out/plane.npz` (resumed if it exists with the same settings). PyTorch files among `A` and
/// `C` are read with the job's card.
///
/// # Errors
///
/// A result without a plane (the bend stayed on the line), and the scan's errors.
pub fn scan_curve_plane(
    result: &CurveResult,
    job: &CurveJob,
    grid: PlaneGrid,
    device: &Device,
    device_name: &str,
    observer: &mut dyn ScanObserver,
) -> Result<JobOutcome, LandscapeError> {
    let plane = result.plane.as_ref().ok_or_else(|| {
        LandscapeError::invalid(
            "plane",
            "none",
            "the bend stayed on the line through A and C; there is no plane to scan",
        )
    })?;
    let [a, c] = &result.checkpoints;
    let out = &job.out;
    let scan = ScanJob {
        kind: ScanKind::Plane,
        checkpoints: vec![PathBuf::from(a), out.join(BEND_DIR), PathBuf::from(c)],
        imported: job.imported.clone(),
        grid: grid_around(&plane.plane, grid.margin, grid.resolution)?,
        directions: DirectionChoice::Random(DirectionConfig::default()),
        plane_axes: PlaneAxes::Orthonormal,
        eval: EvalOptions {
            bn: BnPolicy::Recompute,
            ..job.eval.clone()
        },
        out: out.join(PLANE_SCAN_FILE),
        shard: None,
        options: ScanOptions::default(),
    };
    run_job(&scan, device, device_name, observer)
}
