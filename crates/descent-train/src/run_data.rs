//! The training images of the run a model belongs to: what "the training loss" means for a
//! model trained on a subset (`--train-samples`) or with a validation split held out.
//!
//! A model saved by `descent train` lies in a run folder (`RUN/model.bpk`), in one of its
//! folders (`RUN/checkpoint/`, `RUN/swa/`, `RUN/ema/`, `RUN/best/`) or two levels down
//! (`RUN/snapshots/epoch-NNNN/`), with the run's `config.json` in `RUN`. That file names the
//! dataset, the seeded subset and the validation split the run drew, so the exact images it
//! trained on can be drawn again ([`DataConfig::load`](crate::config::DataConfig::load) with
//! the card's data seed, as training did).

use std::path::Path;

use descent_data::ImageDataset;

use crate::config::RunConfig;
use crate::error::TrainError;
use crate::layout;
use crate::run::ModelCard;

/// How many folders up from a model's own folder a run's `config.json` is looked for
/// (`RUN/snapshots/epoch-NNNN/` is two).
const LEVELS_UP: usize = 2;

/// The images the run that saved `model` trained on (its `config.json`'s dataset and subset,
/// without its validation split), named `"<dataset> (the run's N training images)"`, when
/// they are not simply the dataset's training split (a seeded subset of a dataset read from
/// files, the first `N` of a generated set, or either without a validation split).
///
/// `None` when the run trained on the whole split, or when `model` (a run folder, a
/// checkpoint folder or a `.bpk` file, as [`ModelCard::load_model`] takes) lies in no run
/// folder whose `config.json` describes the card's model and dataset (a model copied out of
/// its run, an imported file).
///
/// # Errors
///
/// [`TrainError`] when the run's data cannot be loaded.
pub fn run_training_set(
    card: &ModelCard,
    model: &Path,
) -> Result<Option<ImageDataset>, TrainError> {
    let start = if model.is_dir() {
        model
    } else {
        match model.parent() {
            Some(parent) => parent,
            None => return Ok(None),
        }
    };
    for dir in start.ancestors().take(LEVELS_UP + 1) {
        let path = dir.join(layout::CONFIG);
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| TrainError::io("reading", &path, e))?;
        // Another tool's config.json, or a run of another model: not this model's run.
        let Ok(run) = RunConfig::from_json(&bytes, &path) else {
            return Ok(None);
        };
        if run.model != card.model || run.data.dataset != card.dataset {
            return Ok(None);
        }
        // A run on a whole split trained on exactly what the split holds.
        if run.data.train_samples.is_none() && run.data.validation.is_none() {
            return Ok(None);
        }
        let train = run.data.load(card.data_seed)?.train;
        let name = format!(
            "{} (the run's {} training images)",
            train.name(),
            train.len()
        );
        return Ok(Some(train.with_name(name)));
    }
    Ok(None)
}
