//! The training progress of a curve run, saved after every epoch so that a run killed while it
//! trains its bend continues where it stopped (`OUT/progress.npz`).
//!
//! The file holds the bend `B` and the optimizer's velocity as `f4` arrays (`bend/<path>`,
//! `velocity/<path>`) and a `meta.json` entry ([`ProgressMeta`]) naming the job it belongs to
//! and the epochs done with their records. Each epoch's `t` draws and data order come from
//! `(seed, step)` and `(seed, epoch)` alone ([`crate::curve::train`]), so a resumed run takes
//! exactly the steps the uninterrupted one takes: the same bend, bit for bit. The file is
//! replaced atomically after each epoch and removed once `curve.json` is written.

use std::path::Path;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::curve::CurveKind;
use crate::curve::train::{BendState, CurveEpoch, CurveTrainConfig};
use crate::npz::Npz;
use crate::vector::{ParamInfo, ParamVector, check_infos};
use crate::vector_npz::{put_vector, take_vector};

/// The file name of the progress in a curve's output folder.
pub const PROGRESS_FILE: &str = "progress.npz";

/// The `format` field of [`ProgressMeta`].
pub const PROGRESS_FORMAT: &str = "descent-curve-progress";

/// What makes two curve runs the same run: a progress file is picked up only by its own job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveJobKey {
    /// Bezier or chain.
    pub kind: CurveKind,
    /// SHA-256 of the two end points' weights files.
    pub weights_sha256: [String; 2],
    /// How the bend is trained (epochs, rate, seed...).
    pub train: CurveTrainConfig,
    /// The training data's name and sample count.
    pub train_dataset: String,
    /// How many of its samples are used.
    pub train_samples: usize,
}

/// The `meta.json` entry of a progress file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressMeta {
    /// Always [`PROGRESS_FORMAT`].
    pub format: String,
    /// The job this progress belongs to.
    pub job: CurveJobKey,
    /// The parameters, in the model's order.
    pub params: Vec<ParamInfo>,
    /// Whether a velocity is stored (none after 0 steps or with momentum 0).
    pub has_velocity: bool,
    /// Every finished epoch.
    pub history: Vec<CurveEpoch>,
}

/// Writes the progress of `job` after `state.history.len()` epochs, atomically.
///
/// # Errors
///
/// A tensor that cannot be read back, a path too long for a zip entry, a failed write.
pub fn save_progress(
    path: &Path,
    job: &CurveJobKey,
    bend: &ParamVector,
    state: &BendState,
) -> Result<(), LandscapeError> {
    let mut npz = Npz::default();
    put_vector(&mut npz, "bend", bend)?;
    if let Some(v) = &state.velocity {
        put_vector(&mut npz, "velocity", v)?;
    }
    let meta = ProgressMeta {
        format: PROGRESS_FORMAT.into(),
        job: job.clone(),
        params: bend.infos(),
        has_velocity: state.velocity.is_some(),
        history: state.history.clone(),
    };
    let meta = serde_json::to_vec_pretty(&meta)
        .map_err(|e| LandscapeError::invalid("curve progress", "meta", e.to_string()))?;
    npz.raw.insert("meta.json".into(), meta);
    let bytes = npz
        .to_bytes()
        .map_err(|e| LandscapeError::invalid("curve progress", "npz", e))?;
    descent_files::write_file(path, &bytes)?;
    Ok(())
}

/// Reads the progress at `path` for `job`: the bend and the training state to continue from.
/// `model` is the layout of the end points ([`ParamVector::from_module_infos`]).
///
/// # Errors
///
/// [`LandscapeError::BadFile`] for a corrupt file, one written by another job (other end
/// points, training settings or data) or with more epochs than the job has;
/// [`LandscapeError::Mismatch`] for another architecture.
pub fn load_progress(
    path: &Path,
    job: &CurveJobKey,
    model: &[ParamInfo],
    device: &Device,
) -> Result<(ParamVector, BendState), LandscapeError> {
    let bad = |reason: String| LandscapeError::bad_file(path, reason);
    let bytes = std::fs::read(path).map_err(|e| LandscapeError::io("reading", path, e))?;
    let npz = Npz::from_bytes(&bytes).map_err(bad)?;
    let meta_bytes = npz
        .raw
        .get("meta.json")
        .ok_or_else(|| bad("no meta.json: not a curve progress file".into()))?;
    let meta: ProgressMeta = serde_json::from_slice(meta_bytes).map_err(|e| {
        bad(format!(
            "meta.json is not a curve progress description: {e}"
        ))
    })?;
    if meta.format != PROGRESS_FORMAT {
        return Err(bad(format!(
            "format is {:?}, not {PROGRESS_FORMAT:?}",
            meta.format
        )));
    }
    if meta.job != *job {
        return Err(bad(format!(
            "it is the progress of another curve run (end points, training settings or data \
             differ: it holds {}); use another --out folder, or remove the file to start over",
            serde_json::to_string(&meta.job).unwrap_or_default()
        )));
    }
    if meta.history.len() > job.train.epochs {
        return Err(bad(format!(
            "it records {} epochs, the run has {}",
            meta.history.len(),
            job.train.epochs
        )));
    }
    check_infos(
        model,
        &meta.params,
        "the model",
        &format!("curve progress file {}", path.display()),
    )?;
    let bend = take_vector(&npz, "bend", &meta.params, device, path)?;
    let velocity = meta
        .has_velocity
        .then(|| take_vector(&npz, "velocity", &meta.params, device, path))
        .transpose()?;
    Ok((
        bend,
        BendState {
            velocity,
            history: meta.history,
        },
    ))
}
