//! Curvature of a checkpoint written by `descent train`: load it and its data, measure, save a
//! [`CurvatureFile`]. This is what `descent landscape curvature` calls.

use std::path::PathBuf;

use burn::tensor::Device;
use descent_models::Model;

use crate::LandscapeError;
use crate::curvature::file::{CURVATURE_FORMAT, CURVATURE_VERSION, CurvatureFile};
use crate::curvature::{CurvatureOptions, analyze, model_objective};
use crate::evaluator::PointEvaluator;
use crate::job::{EvalOptions, card_value, load_checkpoints, prepare_evaluator};

/// One curvature measurement of a checkpoint.
#[derive(Debug, Clone)]
pub struct CurvatureJob {
    /// A run folder, checkpoint folder or `.bpk` file (with `model.json` beside), or a
    /// PyTorch weights file described by `imported`.
    pub checkpoint: PathBuf,
    /// The card of `checkpoint` when it is a PyTorch weights file (see
    /// [`descent_train::import`]).
    pub imported: Option<descent_train::ModelCard>,
    /// The data the loss is measured on: exactly one split.
    pub eval: EvalOptions,
    /// What to compute.
    pub options: CurvatureOptions,
    /// The file to write.
    pub out: PathBuf,
}

/// Runs a [`CurvatureJob`] and saves its file.
///
/// # Errors
///
/// Bad options (including more or fewer than one split), unreadable checkpoints or data, the
/// objective's errors, write errors.
pub fn run_curvature_job(
    job: &CurvatureJob,
    device: &Device,
    device_name: &str,
) -> Result<CurvatureFile, LandscapeError> {
    job.eval.require_one_split("curvature")?;
    let device = device.clone().without_autodiff();
    let mut models = load_checkpoints(
        std::slice::from_ref(&job.checkpoint),
        job.imported.as_ref(),
        &device,
    )?;
    let (card, model) = models.remove(0);
    let (mut evaluator, spec) =
        prepare_evaluator(&card, Some(&job.checkpoint), &job.eval, &device)?;
    let measured = PointEvaluator::<Model>::evaluate(&mut evaluator, &model)?;
    let set = &evaluator.sets()[0];
    let mut objective = model_objective(model, set, &device, job.options.hvp.precision)?;
    let theta = objective.params();
    let report = analyze(&mut objective, &theta, &job.options)?;
    let file = CurvatureFile {
        format: CURVATURE_FORMAT.into(),
        version: CURVATURE_VERSION,
        checkpoint: job.checkpoint.display().to_string(),
        model: card_value(&card),
        model_description: card.model.describe(),
        eval: spec,
        accuracy: measured.get(1).copied().unwrap_or(f64::NAN),
        options: job.options.clone(),
        report,
        device: device_name.to_string(),
    };
    file.save(&job.out)?;
    Ok(file)
}
