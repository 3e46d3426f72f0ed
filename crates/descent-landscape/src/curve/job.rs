//! A whole curve run on two checkpoints of `descent train` (`descent landscape curve`): load
//! `A` and `C`, train the bend on the training split, save it as a checkpoint, measure both
//! paths with batch-norm statistics recomputed at every point, write `curve.json` and the
//! figures.
//!
//! The output folder holds `curve.json` ([`CurveResult`]), `bend/model.bpk` with its
//! `model.json` (a checkpoint like any other: `descent landscape plane A OUT/bend C` scans the
//! plane of the curve), and with the `plot` feature `profile.svg` and `plane.svg`. A folder
//! that already holds a `curve.json` is refused, never overwritten. While the bend trains,
//! `progress.npz` ([`crate::curve::progress`]) is rewritten after every epoch: running the
//! same job again on the same folder continues from the last finished epoch and ends with the
//! same bend, bit for bit, as a run that was never stopped (the file is removed once
//! `curve.json` is written).

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use descent_data::{ImageBatcher, Split};
use descent_models::Model;
use descent_train::ModelCard;
use descent_train::lock::PathLock;

use crate::LandscapeError;
use crate::curve::file::{CURVE_FORMAT, CurveResult};
use crate::curve::profile::{evaluate_paths, plane_path};
use crate::curve::progress::{CurveJobKey, PROGRESS_FILE, load_progress, save_progress};
use crate::curve::train::{BendState, CurveEpoch, CurveTrainConfig, train_bend};
use crate::curve::{Curve, CurveKind, curve_ts};
use crate::evaluator::BnPolicy;
use crate::job::{
    EvalOptions, card_value, load_card_split, load_checkpoints, prepare_evaluator, weights_hash,
};
use crate::vector::ParamVector;

/// The file name of the result in the output folder.
pub const CURVE_FILE: &str = "curve.json";
/// The folder of the trained bend's checkpoint in the output folder.
pub const BEND_DIR: &str = "bend";

/// One curve run.
#[derive(Debug, Clone)]
pub struct CurveJob {
    /// `A` and `C`: run folders, checkpoint folders or `.bpk` files, or PyTorch weights
    /// files described by `imported`.
    pub checkpoints: [PathBuf; 2],
    /// The card of the PyTorch weights files among `checkpoints` (see
    /// [`descent_train::import`]); `None` when there are none.
    pub imported: Option<ModelCard>,
    /// Bezier or chain.
    pub kind: CurveKind,
    /// How the bend is trained.
    pub train: CurveTrainConfig,
    /// Train on a fixed seeded subset of this many training samples (all if `None`).
    pub train_samples: Option<usize>,
    /// Points along each path (61 in `eval_curve.py`).
    pub points: usize,
    /// How each point is evaluated; the batch-norm policy is always
    /// [`BnPolicy::Recompute`].
    pub eval: EvalOptions,
    /// The output folder.
    pub out: PathBuf,
}

/// What [`run_curve_job`] reports as it goes.
pub trait CurveObserver {
    /// A training epoch ended.
    fn epoch(&mut self, epoch: &CurveEpoch, epochs: usize);
    /// `done` of `total` path points are measured.
    fn point(&mut self, done: usize, total: usize);
}

/// An observer that ignores everything.
pub struct SilentCurve;

impl CurveObserver for SilentCurve {
    fn epoch(&mut self, _: &CurveEpoch, _: usize) {}
    fn point(&mut self, _: usize, _: usize) {}
}

/// Runs `job` on `device` (named `device_name` in the file); returns the saved result.
///
/// # Errors
///
/// An output folder that already holds a result, unreadable or mismatched checkpoints, data
/// that does not fit, bad options, and write errors.
pub fn run_curve_job(
    job: &CurveJob,
    device: &Device,
    device_name: &str,
    observer: &mut dyn CurveObserver,
) -> Result<CurveResult, LandscapeError> {
    job.train.validate()?;
    let ts = curve_ts(job.points)?;
    let file = job.out.join(CURVE_FILE);
    if file.exists() {
        return Err(LandscapeError::invalid(
            "out",
            job.out.display(),
            format!(
                "already holds {CURVE_FILE}; choose another folder or remove it (never \
                 overwritten)"
            ),
        ));
    }
    std::fs::create_dir_all(&job.out).map_err(|e| LandscapeError::io("creating", &job.out, e))?;
    let _lock = PathLock::beside(&file)?;
    let models = load_checkpoints(&job.checkpoints, job.imported.as_ref(), device)?;
    let hashes = [
        weights_hash(&job.checkpoints[..1])?,
        weights_hash(&job.checkpoints[1..])?,
    ];
    let (card, template) = models[0].clone();
    let start = ParamVector::from_module(&template);
    let end = ParamVector::from_module(&models[1].1);
    let mut curve = Curve::new(job.kind, start, end)?;

    let train_set = training_set(&card, job)?;
    let key = CurveJobKey {
        kind: job.kind,
        weights_sha256: hashes.clone(),
        train: job.train.clone(),
        train_dataset: train_set.name().to_string(),
        train_samples: train_set.len(),
    };
    let progress = job.out.join(PROGRESS_FILE);
    let state = if progress.exists() {
        let layout = ParamVector::from_module_infos(&template);
        let (bend, state) = load_progress(&progress, &key, &layout, device)?;
        curve.bend = bend;
        for e in &state.history {
            observer.epoch(e, job.train.epochs);
        }
        state
    } else {
        BendState::default()
    };
    let batcher = ImageBatcher::new(card.normalization.clone(), None, 0);
    let epochs = job.train.epochs;
    let history = train_bend(
        &template,
        &mut curve,
        &train_set,
        &batcher,
        &job.train,
        device,
        state,
        &mut |curve, state| {
            save_progress(&progress, &key, &curve.bend, state)?;
            if let Some(e) = state.history.last() {
                observer.epoch(e, epochs);
            }
            Ok(())
        },
    )?;
    save_bend(&card, &template, &curve.bend, &job.out.join(BEND_DIR))?;

    let eval = EvalOptions {
        bn: BnPolicy::Recompute,
        ..job.eval.clone()
    };
    let (mut evaluator, spec) = prepare_evaluator(&card, None, &eval, device)?;
    let profiles = evaluate_paths(&template, &curve, &ts, &mut evaluator, &mut |d, t| {
        observer.point(d, t)
    })?;
    let result = CurveResult {
        format: CURVE_FORMAT.to_string(),
        kind: job.kind,
        checkpoints: job.checkpoints.clone().map(|p| p.display().to_string()),
        weights_sha256: hashes,
        card: card_value(&card),
        device: device_name.to_string(),
        train: job.train.clone(),
        train_dataset: train_set.name().to_string(),
        train_samples: train_set.len(),
        history,
        eval: spec,
        profiles,
        plane: plane_path(&curve, &ts)?,
    };
    #[cfg(feature = "plot")]
    {
        crate::curve::plot::draw_profiles(&result, &job.out.join("profile.svg"))?;
        crate::curve::plot::draw_plane_path(&result, &job.out.join("plane.svg"))?;
    }
    result.save(&file)?;
    // The result holds everything the progress did; a leftover file would only be refused by
    // the check above, so its removal failing is not an error.
    let _ = std::fs::remove_file(&progress);
    Ok(result)
}

/// The training split the card implies (or `job.eval`'s dataset), subset if asked.
fn training_set(
    card: &ModelCard,
    job: &CurveJob,
) -> Result<descent_data::ImageDataset, LandscapeError> {
    let dir = job.eval.data_dir.clone().or_else(|| card.data_dir.clone());
    load_card_split(
        card,
        job.eval.dataset.unwrap_or(card.dataset),
        dir.as_deref(),
        Split::Train,
        job.train_samples,
        job.train.seed,
    )
}

/// Writes the bend as a checkpoint (`model.bpk` and `model.json`) into `dir`.
fn save_bend(
    card: &ModelCard,
    template: &Model,
    bend: &ParamVector,
    dir: &Path,
) -> Result<(), LandscapeError> {
    std::fs::create_dir_all(dir).map_err(|e| LandscapeError::io("creating", dir, e))?;
    let model = bend.load_into(template.clone(), true)?;
    let bytes = descent_train::records::module_bytes(&model)?;
    descent_files::write_file(&dir.join(descent_train::layout::MODEL), &bytes)?;
    let card_json = serde_json::to_vec_pretty(card)
        .map_err(|e| LandscapeError::invalid("model card", dir.display(), e.to_string()))?;
    descent_files::write_file(&dir.join(descent_train::layout::MODEL_CARD), &card_json)?;
    Ok(())
}
