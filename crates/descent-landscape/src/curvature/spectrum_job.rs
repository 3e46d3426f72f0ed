//! The spectral density of a checkpoint written by `descent train`: load it and its data,
//! run stochastic Lanczos quadrature on its Hessian, save a [`SpectrumFile`]. This is what
//! `descent landscape spectrum` calls.

use std::path::PathBuf;

use burn::tensor::Device;

use crate::LandscapeError;
use crate::curvature::density::{DensityOptions, slq_density};
use crate::curvature::flat::FlatLayout;
use crate::curvature::hvp::{Hessian, HvpOptions};
use crate::curvature::model_objective::model_objective;
use crate::curvature::objective::Objective;
use crate::curvature::spectrum_file::{
    SPECTRUM_FORMAT, SPECTRUM_VERSION, SpectrumFile, SpectrumMeta,
};
use crate::job::{EvalOptions, card_value, load_checkpoints, prepare_evaluator};

/// One spectral density of a checkpoint.
#[derive(Debug, Clone)]
pub struct SpectrumJob {
    /// A run folder, checkpoint folder or `.bpk` file (with `model.json` beside), or a
    /// PyTorch weights file described by `imported`.
    pub checkpoint: PathBuf,
    /// The card of `checkpoint` when it is a PyTorch weights file (see
    /// [`descent_train::import`]).
    pub imported: Option<descent_train::ModelCard>,
    /// The data the loss is measured on: exactly one split.
    pub eval: EvalOptions,
    /// The density's options.
    pub density: DensityOptions,
    /// The Hessian-vector products.
    pub hvp: HvpOptions,
    /// The file to write.
    pub out: PathBuf,
}

/// Runs a [`SpectrumJob`] and saves its file.
///
/// # Errors
///
/// Bad options (including more or fewer than one split), unreadable checkpoints or data, the
/// objective's errors, write errors.
pub fn run_spectrum_job(
    job: &SpectrumJob,
    device: &Device,
    device_name: &str,
) -> Result<SpectrumFile, LandscapeError> {
    job.eval.require_one_split("the spectrum")?;
    job.density.validate()?;
    job.hvp.validate()?;
    let device = device.clone().without_autodiff();
    let mut models = load_checkpoints(
        std::slice::from_ref(&job.checkpoint),
        job.imported.as_ref(),
        &device,
    )?;
    let (card, model) = models.remove(0);
    let (evaluator, spec) = prepare_evaluator(&card, Some(&job.checkpoint), &job.eval, &device)?;
    let set = &evaluator.sets()[0];
    let mut objective = model_objective(model, set, &device, job.hvp.precision)?;
    let theta = objective.params();
    let layout = FlatLayout::new(&theta.infos());
    let theta = layout.unflatten(&layout.flatten(&theta)?, &theta, job.hvp.precision)?;
    let loss = objective.loss(&theta)?;
    let mut hessian = Hessian::new(&mut objective, &theta, &job.hvp)?;
    let density = slq_density(&mut hessian, &job.density)?;
    let meta = SpectrumMeta {
        format: SPECTRUM_FORMAT.into(),
        version: SPECTRUM_VERSION,
        checkpoint: job.checkpoint.display().to_string(),
        model: card_value(&card),
        model_description: card.model.describe(),
        eval: spec,
        loss,
        hvp: job.hvp,
        options: job.density,
        dim: density.dim,
        products: density.products,
        kernel_variance: density.kernel_variance,
        moments: [density.moment(1), density.moment(2)],
        device: device_name.to_string(),
    };
    let file = SpectrumFile { meta, density };
    file.save(&job.out)?;
    Ok(file)
}
