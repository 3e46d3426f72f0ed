//! The PCA plane of a training trajectory (Li et al. 2018, sec. 7): the weights a run kept
//! (`descent train --trajectory-every K`, see `descent_train::trajectory`), their first two
//! principal directions around the final weights ([`pca`](crate::pca::pca())), the path
//! projected on them, the loss scanned over that plane, and the contour plot with the path.
//!
//! The file is a scan file ([`ScanFile`], kind [`ScanKind::Trajectory`]) with four more
//! arrays, `path_x`, `path_y` (each snapshot's coordinates; the final weights are `(0, 0)`),
//! `explained_variance` (the two components' shares), `path_fit` (the share of each
//! snapshot's squared displacement the plane keeps; NaN for the final weights), and a raw
//! `trajectory.json`
//! ([`TrajectoryInfo`]). [`ScanFile::load`] reads it like any scan; [`load_trajectory`] reads
//! the extras too.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use descent_train::records::load_module;
use descent_train::trajectory::TrajectoryIndex;
use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::direction::BiasBn;
use crate::directions_file::{DirectionSet, DirectionSource};
use crate::evaluator::PointEvaluator;
use crate::grid::{Axis, Grid};
use crate::job::{EvalOptions, card_value, load_checkpoints, prepare_evaluator};
use crate::npz::{NpyArray, NpyData, Npz};
use crate::pca::pca;
use crate::scan::{ScanObserver, ScanOptions, Surface, run_scan};
use crate::scan_file::{SCAN_FORMAT, ScanFile, ScanKind, ScanMeta};
use crate::vector::ParamVector;

/// What the trajectory scan adds to a scan file (`trajectory.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrajectoryInfo {
    /// Each point's coordinates on the two components, in training order; the last is the
    /// final weights, `(0, 0)`.
    pub path: Vec<[f64; 2]>,
    /// Epoch of each point.
    pub epochs: Vec<usize>,
    /// Optimizer steps of each point.
    pub steps: Vec<u64>,
    /// The share of the variance each component explains.
    pub explained: [f64; 2],
    /// Whether biases and norm-layer parameters were part of the PCA.
    pub bias_bn: BiasBn,
    /// How well the PCA plane fits each point of the path: the share of its squared
    /// displacement from the final weights that the plane keeps ([`Pca::fit`](crate::pca::Pca);
    /// `None` for the final weights themselves).
    #[serde(default)]
    pub fit: Vec<Option<f64>>,
}

impl TrajectoryInfo {
    /// The smallest and the median of [`TrajectoryInfo::fit`] over the displaced points.
    pub fn fit_summary(&self) -> Option<(f64, f64)> {
        let mut f: Vec<f64> = self.fit.iter().flatten().copied().collect();
        if f.is_empty() {
            return None;
        }
        f.sort_by(f64::total_cmp);
        Some((f[0], f[f.len() / 2]))
    }

    /// Axis labels like `PC1 (83.2%)`.
    pub fn axis_labels(&self) -> [String; 2] {
        [
            format!("PC1 ({:.1}%)", 100.0 * self.explained[0]),
            format!("PC2 ({:.1}%)", 100.0 * self.explained[1]),
        ]
    }
}

/// A trajectory scan of a run.
#[derive(Debug, Clone)]
pub struct TrajectoryJob {
    /// The run folder (with `trajectory/index.json` and its final checkpoint).
    pub run_dir: PathBuf,
    /// Biases and norm-layer parameters in the PCA (Li et al.'s `plot_trajectory.py` keeps
    /// them unless `--ignore biasbn`).
    pub bias_bn: BiasBn,
    /// The grid along PC1; `None`: the path's extent plus [`TrajectoryJob::margin`].
    pub x: Option<Axis>,
    /// The grid along PC2; `None` likewise.
    pub y: Option<Axis>,
    /// Points per axis of a default grid.
    pub resolution: usize,
    /// A default grid extends the path's extent by this share of its width on each side.
    pub margin: f64,
    /// Evaluation data.
    pub eval: EvalOptions,
    /// The scan file; the plots go next to it (`.svg`, `.png`).
    pub out: PathBuf,
    /// Saving and stopping.
    pub options: ScanOptions,
}

/// What [`run_trajectory_job`] produced.
#[derive(Debug, Clone)]
pub struct TrajectoryOutcome {
    /// The scan.
    pub file: ScanFile,
    /// The path and the variance shares.
    pub info: TrajectoryInfo,
    /// The figures written (none without the `plot` feature).
    pub figures: Vec<PathBuf>,
}

/// The default axis over `values` (the path's coordinates): their extent widened by `margin`
/// of its width on each side (by 1 if the extent is empty), `num` points.
pub fn default_axis(values: &[f64], margin: f64, num: usize) -> Result<Axis, LandscapeError> {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let width = if hi > lo { hi - lo } else { 1.0 };
    format!("{}:{}:{num}", lo - margin * width, hi + margin * width).parse()
}

/// Runs a [`TrajectoryJob`]: PCA, scan, file, plots.
///
/// # Errors
///
/// A run without trajectory, too few snapshots, snapshots of another architecture, bad
/// options, data and write errors.
pub fn run_trajectory_job(
    job: &TrajectoryJob,
    device: &Device,
    device_name: &str,
    observer: &mut dyn ScanObserver,
) -> Result<TrajectoryOutcome, LandscapeError> {
    if job.resolution < 2 || !(job.margin.is_finite() && job.margin >= 0.0) {
        return Err(LandscapeError::invalid(
            "grid",
            format!("{} points, margin {}", job.resolution, job.margin),
            "need at least 2 points per axis and a margin of 0 or more",
        ));
    }
    let index = TrajectoryIndex::load(&job.run_dir)?;
    let mut models = load_checkpoints(std::slice::from_ref(&job.run_dir), None, device)?;
    let (card, final_model) = models.remove(0);
    let reference = ParamVector::from_module(&final_model);
    let mut points = Vec::with_capacity(index.snapshots.len() + 1);
    let mut epochs = Vec::new();
    let mut steps = Vec::new();
    for (snapshot, path) in index.snapshots.iter().zip(index.paths(&job.run_dir)) {
        let model = load_module(card.init(device)?, &path)?;
        let v = ParamVector::from_module(&model);
        v.check_layout(&reference, &path.display().to_string(), "the final model")?;
        points.push(v);
        epochs.push(snapshot.epoch);
        steps.push(snapshot.global_step);
    }
    // The final weights end the path (unless the last snapshot already is them).
    let last_is_final = points
        .last()
        .and_then(|p| p.sub(&reference).ok())
        .is_some_and(|d| d.norm() == 0.0);
    if !last_is_final {
        points.push(reference.clone());
        epochs.push(card_epochs(&job.run_dir).unwrap_or(usize::MAX));
        steps.push(card_steps(&job.run_dir).unwrap_or(u64::MAX));
    }
    let result = pca(&points, &reference, job.bias_bn, 2)?;
    let path: Vec<[f64; 2]> = result.coords.iter().map(|c| [c[0], c[1]]).collect();
    let info = TrajectoryInfo {
        path: path.clone(),
        epochs,
        steps,
        explained: [result.explained[0], result.explained[1]],
        bias_bn: job.bias_bn,
        fit: result.fit.clone(),
    };
    let xs: Vec<f64> = path.iter().map(|p| p[0]).collect();
    let ys: Vec<f64> = path.iter().map(|p| p[1]).collect();
    let grid = Grid::new(
        match job.x {
            Some(a) => a,
            None => default_axis(&xs, job.margin, job.resolution)?,
        },
        Some(match job.y {
            Some(a) => a,
            None => default_axis(&ys, job.margin, job.resolution)?,
        }),
    )?;
    let directions = result.components.clone();
    let set = DirectionSet::new(
        DirectionSource::Target {
            checkpoints: index
                .paths(&job.run_dir)
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        },
        directions.clone(),
    );
    let (mut evaluator, spec) = prepare_evaluator(&card, Some(&job.run_dir), &job.eval, device)?;
    let meta = ScanMeta {
        format: SCAN_FORMAT.into(),
        version: 1,
        kind: ScanKind::Trajectory,
        checkpoints: vec![job.run_dir.display().to_string()],
        model: card_value(&card),
        model_description: card.model.describe(),
        grid,
        directions: set.meta.source.clone(),
        directions_hash: set.hash()?,
        directions_file: None,
        weights_hash: None,
        cosine: Some(directions[0].cosine(&directions[1])?),
        plane: None,
        eval: spec,
        metrics: PointEvaluator::<descent_models::Model>::metric_names(&evaluator),
        shard: None,
        device: device_name.to_string(),
    };
    let mut file = ScanFile::new(meta);
    let mut surface = Surface::new(final_model, directions)?;
    run_scan(
        &mut surface,
        &mut evaluator,
        &mut file,
        None,
        &job.options,
        observer,
    )?;
    save_trajectory(&file, &info, &job.out)?;
    #[cfg(feature = "plot")]
    let figures = draw_trajectory(&file, &info, &job.out.with_extension(""))?;
    #[cfg(not(feature = "plot"))]
    let figures = Vec::new();
    Ok(TrajectoryOutcome {
        file,
        info,
        figures,
    })
}

fn card_state(run_dir: &Path) -> Option<descent_train::checkpoint::TrainerState> {
    descent_train::checkpoint::read_state(&run_dir.join("checkpoint")).ok()
}

fn card_epochs(run_dir: &Path) -> Option<usize> {
    card_state(run_dir).map(|s| s.progress.epoch)
}

fn card_steps(run_dir: &Path) -> Option<u64> {
    card_state(run_dir).map(|s| s.progress.global_step)
}

/// Writes a trajectory scan file atomically: the scan's arrays and `meta.json`, plus
/// `path_x`, `path_y`, `explained_variance` and `trajectory.json`.
///
/// # Errors
///
/// Write errors.
pub fn save_trajectory(
    file: &ScanFile,
    info: &TrajectoryInfo,
    path: &Path,
) -> Result<(), LandscapeError> {
    let mut npz = Npz::from_bytes(&file.to_bytes()?)
        .map_err(|e| LandscapeError::invalid("scan", "bytes", e))?;
    let n = info.path.len();
    npz.arrays.insert(
        "path_x".into(),
        NpyArray::new(
            vec![n],
            NpyData::F64(info.path.iter().map(|p| p[0]).collect()),
        ),
    );
    npz.arrays.insert(
        "path_y".into(),
        NpyArray::new(
            vec![n],
            NpyData::F64(info.path.iter().map(|p| p[1]).collect()),
        ),
    );
    npz.arrays.insert(
        "explained_variance".into(),
        NpyArray::new(vec![2], NpyData::F64(info.explained.to_vec())),
    );
    npz.arrays.insert(
        "path_fit".into(),
        NpyArray::new(
            vec![info.fit.len()],
            NpyData::F64(info.fit.iter().map(|f| f.unwrap_or(f64::NAN)).collect()),
        ),
    );
    let json = serde_json::to_vec_pretty(info)
        .map_err(|e| LandscapeError::invalid("trajectory", "info", e.to_string()))?;
    npz.raw.insert("trajectory.json".into(), json);
    let bytes = npz
        .to_bytes()
        .map_err(|e| LandscapeError::invalid("trajectory", "npz", e))?;
    descent_files::write_file(path, &bytes)?;
    Ok(())
}

/// Reads a trajectory scan file: the scan and its [`TrajectoryInfo`].
///
/// # Errors
///
/// As [`ScanFile::load`]; [`LandscapeError::BadFile`] if it has no `trajectory.json`.
pub fn load_trajectory(path: &Path) -> Result<(ScanFile, TrajectoryInfo), LandscapeError> {
    let bytes = std::fs::read(path).map_err(|e| LandscapeError::io("reading", path, e))?;
    trajectory_from_bytes(&bytes, path)
}

/// [`load_trajectory`] from the file's bytes; `path` only names the file in errors.
///
/// # Errors
///
/// As [`ScanFile::from_bytes`]; [`LandscapeError::BadFile`] if it has no `trajectory.json`.
pub fn trajectory_from_bytes(
    bytes: &[u8],
    path: &Path,
) -> Result<(ScanFile, TrajectoryInfo), LandscapeError> {
    let file = ScanFile::from_bytes(bytes, path)?;
    let npz = Npz::from_bytes(bytes).map_err(|e| LandscapeError::bad_file(path, e))?;
    let info = npz
        .raw
        .get("trajectory.json")
        .ok_or_else(|| LandscapeError::bad_file(path, "no trajectory.json: not a trajectory scan"))
        .and_then(|b| {
            serde_json::from_slice::<TrajectoryInfo>(b)
                .map_err(|e| LandscapeError::bad_file(path, format!("trajectory.json: {e}")))
        })?;
    Ok((file, info))
}

/// Draws the loss contours of a trajectory scan with the path on them
/// ([`trajectory_plot`]), as `stem.svg` and `stem.png`.
///
/// # Errors
///
/// [`LandscapeError::InvalidOption`] if the scan has no loss; plot errors.
#[cfg(feature = "plot")]
pub fn draw_trajectory(
    file: &ScanFile,
    info: &TrajectoryInfo,
    stem: &Path,
) -> Result<Vec<PathBuf>, LandscapeError> {
    let plot = trajectory_plot(file, info)?;
    let mut written = Vec::new();
    for ext in ["svg", "png"] {
        let path = stem.with_extension(ext);
        descent_plot::draw_surface(&plot, &path)?;
        written.push(path);
    }
    Ok(written)
}

/// The figure of a trajectory scan: its loss contours with the path on them; the axes show
/// each component's share of the variance.
///
/// The axes keep their own scales ([`Aspect::Free`](descent_plot::Aspect::Free)), as in
/// Li et al.'s trajectory figures: the first component usually spans several times the
/// second.
///
/// # Errors
///
/// [`LandscapeError::InvalidOption`] if the scan has no loss or is not 2-D.
#[cfg(feature = "plot")]
pub fn trajectory_plot(
    file: &ScanFile,
    info: &TrajectoryInfo,
) -> Result<descent_plot::SurfacePlot, LandscapeError> {
    let (metric, values) = crate::scan_plot::loss_values(file)?;
    let grid = file.meta.grid;
    let y = grid
        .y
        .ok_or_else(|| LandscapeError::invalid("grid", "1-D", "a trajectory scan is 2-D"))?;
    let [x_label, y_label] = info.axis_labels();
    let start = info.path.first().copied().unwrap_or([0.0, 0.0]);
    use descent_plot::{Aspect, Marker, PathOverlay, SurfacePlot, SurfaceStyle};
    Ok(SurfacePlot {
        title: format!(
            "Training trajectory of {} on the PCA plane",
            file.meta.model_description
        ),
        x_label,
        y_label,
        value_label: metric,
        x: grid.x.values(),
        y: y.values(),
        values,
        style: SurfaceStyle::Contour,
        aspect: Aspect::Free,
        paths: vec![PathOverlay {
            label: "trajectory".into(),
            points: info.path.clone(),
        }],
        markers: vec![
            Marker {
                label: "start".into(),
                at: start,
            },
            Marker {
                label: "final".into(),
                at: [0.0, 0.0],
            },
        ],
        ..SurfacePlot::default()
    })
}
