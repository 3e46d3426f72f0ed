//! A whole run from one serializable configuration: what `descent train` does.
//!
//! A run folder holds:
//!
//! | file                     | written                                  |
//! |--------------------------|------------------------------------------|
//! | `config.json`            | once, at the start: the full [`RunConfig`] |
//! | `metrics.jsonl`, `.csv`  | after every epoch                        |
//! | `checkpoint/`            | after every epoch (and every k steps)    |
//! | `model.bpk`, `model.json`| at the end: the final weights and their [`ModelCard`] |

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use descent_data::{DatasetKind, ImageDataset, ImageShape, Normalization};
use descent_models::{Model, ModelConfig};
use serde::{Deserialize, Serialize};

use crate::averaging::SwaOptions;
use crate::config::{NormalizationChoice, RunConfig};
use crate::error::TrainError;
use crate::layout::{self, RunFolder};
use crate::lock::PathLock;
use crate::observer::{Observer, RunStart};
use crate::records;
use crate::seed::{SeedPurpose, derive};
use crate::trainer::{CycledMomentum, TrainReport, Trainer};
use descent_files as atomic;

/// What a trained model needs to be used again: its architecture, its input and the
/// normalization it was trained with. Saved as `model.json` beside every model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// The architecture.
    pub model: ModelConfig,
    /// The shape of one input.
    pub input: ImageShape,
    /// Number of classes.
    pub num_classes: usize,
    /// The normalization applied to inputs.
    pub normalization: Option<Normalization>,
    /// The dataset it was trained on (and its folder), the default for evaluation.
    pub dataset: DatasetKind,
    /// The dataset's folder, if one was given.
    pub data_dir: Option<PathBuf>,
    /// The seed generated datasets were drawn with (so evaluation sees the same test set).
    #[serde(default)]
    pub data_seed: u64,
}

impl ModelCard {
    /// Parses the bytes of a `model.json`; `path` only names the file in errors.
    ///
    /// # Errors
    ///
    /// [`TrainError::BadCheckpoint`] if the bytes are not a model card.
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<ModelCard, TrainError> {
        serde_json::from_slice(bytes).map_err(|e| TrainError::BadCheckpoint {
            path: path.to_path_buf(),
            reason: format!("not a model card: {e}"),
        })
    }

    /// Builds the model the card describes (fresh weights) on `device`.
    pub fn init(&self, device: &Device) -> Result<Model, TrainError> {
        Ok(self.model.init(device)?)
    }

    /// Loads a card and its weights from a run folder, a checkpoint folder, or a `.bpk` file
    /// with `model.json` beside it.
    pub fn load_model(path: &Path, device: &Device) -> Result<(ModelCard, Model), TrainError> {
        let (card_path, weights) = ModelCard::locate(path)?;
        let bytes =
            std::fs::read(&card_path).map_err(|e| TrainError::io("reading", &card_path, e))?;
        let card = ModelCard::from_json(&bytes, &card_path)?;
        // A card from a file describes a model of any size: refuse one whose weights alone
        // exceed the machine's memory before allocating them.
        crate::memory::check_weights_fit(&card.model, crate::memory::total_memory())
            .and_then(|()| card.model.validate().map_err(|e| e.to_string()))
            .map_err(|reason| TrainError::BadCheckpoint {
                path: card_path.clone(),
                reason,
            })?;
        let model = card.init(device)?;
        let model = records::load_module(model, &weights)?;
        Ok((card, model))
    }
}

impl ModelCard {
    /// Finds `(model.json, weights.bpk)` for a path given by the user: a run folder, a
    /// checkpoint folder (or a run folder's `checkpoint/`), or a `.bpk` file with `model.json`
    /// beside it.
    ///
    /// # Errors
    ///
    /// [`TrainError::BadCheckpoint`] when the path holds no model.
    pub fn locate(path: &Path) -> Result<(PathBuf, PathBuf), TrainError> {
        locate_model(path)
    }
}

fn locate_model(path: &Path) -> Result<(PathBuf, PathBuf), TrainError> {
    if !path.exists() {
        return Err(TrainError::BadCheckpoint {
            path: path.to_path_buf(),
            reason: "no such file or folder".into(),
        });
    }
    if path.is_file() {
        let card = path.with_file_name(layout::MODEL_CARD);
        return Ok((card, path.to_path_buf()));
    }
    for dir in [path.to_path_buf(), path.join("checkpoint")] {
        let card = dir.join(layout::MODEL_CARD);
        let weights = dir.join(layout::MODEL);
        if card.is_file() && weights.is_file() {
            return Ok((card, weights));
        }
    }
    Err(TrainError::BadCheckpoint {
        path: path.to_path_buf(),
        reason: format!(
            "holds no {} and {} (give a run folder, a checkpoint folder or a .bpk file)",
            layout::MODEL,
            layout::MODEL_CARD
        ),
    })
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The per-epoch history and final test metrics.
    pub report: TrainReport,
    /// The run folder.
    pub folder: PathBuf,
    /// The configuration as run (normalization resolved).
    pub config: RunConfig,
}

/// Starts a new run in `folder` (which must not hold a run already: older results are never
/// overwritten) or, with `resume`, continues the run there from its last checkpoint.
///
/// On resume the folder's `config.json` defines the run; `epochs_override` may extend it.
pub fn train_run(
    config: &RunConfig,
    folder: &Path,
    device: &Device,
    resume: bool,
    epochs_override: Option<usize>,
    observer: &mut dyn Observer,
) -> Result<RunOutcome, TrainError> {
    let config_path = folder.join(layout::CONFIG);
    let checkpoint_dir = RunFolder {
        dir: folder.to_path_buf(),
    }
    .checkpoint();
    let holds_run = || config_path.exists() || checkpoint_dir.exists();
    let already = || TrainError::InvalidOption {
        field: "out",
        value: folder.display().to_string(),
        reason: "already holds a run; pass --resume to continue it, or choose another folder"
            .into(),
    };
    // A resumed run is locked from the start (recovery below renames its files); a new one
    // once its folder is made, below.
    let mut lock = None;
    let mut config = if resume {
        if !config_path.exists() {
            return Err(TrainError::InvalidOption {
                field: "out",
                value: folder.display().to_string(),
                reason: format!(
                    "holds no run to resume (no {}); drop --resume to start one there",
                    layout::CONFIG
                ),
            });
        }
        lock = Some(PathLock::run_folder(folder)?);
        // A process killed between the two renames of a checkpoint write left the last
        // complete checkpoint moved aside.
        atomic::recover_dir(&checkpoint_dir)?;
        let bytes =
            std::fs::read(&config_path).map_err(|e| TrainError::io("reading", &config_path, e))?;
        RunConfig::from_json(&bytes, &config_path)?
    } else {
        if holds_run() {
            return Err(already());
        }
        config.clone()
    };
    if let Some(epochs) = epochs_override {
        config.training.epochs = epochs;
    }
    config.training.validate()?;
    config.data.validate()?;
    let seed = config.training.seed;
    let data = config.data.load(seed)?;
    fit_model_to_data(&mut config.model, &data.train)?;
    // A bad model in a resumed run's config.json is a bad file; in a new run, a bad option.
    config.model.validate().map_err(|e| match resume {
        true => TrainError::BadCheckpoint {
            path: config_path.clone(),
            reason: e.to_string(),
        },
        false => TrainError::Model(e),
    })?;
    let size = crate::memory::check_training_fits(
        &config.model,
        config.training.batch_size,
        crate::memory::total_memory(),
    )?;
    if let Some(swag) = &config.training.averaging.swag {
        crate::memory::check_swag_fits(
            &size,
            swag.rank,
            config.training.batch_size,
            crate::memory::total_memory(),
        )?;
    }
    if let Some(n) = &data.normalization {
        config.data.normalization = NormalizationChoice::Fixed(n.clone());
    }

    let card = ModelCard {
        model: config.model.clone(),
        input: data.train.shape(),
        num_classes: data.train.num_classes(),
        normalization: data.normalization.clone(),
        dataset: config.data.dataset,
        data_dir: config.data.dir.clone(),
        data_seed: seed,
    };
    let card_json = serde_json::to_value(&card).map_err(|e| TrainError::BadCheckpoint {
        path: folder.to_path_buf(),
        reason: e.to_string(),
    })?;

    device.seed(derive(seed, SeedPurpose::Init, 0));
    let model = config.model.init(device)?;
    let steps_per_epoch = config.training.steps_per_epoch(data.train.len());
    // A schedule that cycles the momentum sets it through a handle before every step.
    let momentum = config.schedule.momentum(
        config.learning_rate,
        steps_per_epoch,
        config.training.epochs,
    )?;
    let handle = descent_optim::MomentumHandle::new();
    let optimizer = match momentum {
        Some(_) => config.optimizer.init_with_momentum(&handle)?,
        None => config.optimizer.init()?,
    };
    let scheduler = run_schedule(&config, steps_per_epoch)?;
    let mut trainer = Trainer::new(
        model,
        optimizer,
        Box::new(scheduler),
        config.training.clone(),
        device,
    )?
    .with_folder(RunFolder {
        dir: folder.to_path_buf(),
    })
    .with_model_config(card_json.clone());
    if let Some(schedule) = momentum {
        trainer = trainer.with_momentum(CycledMomentum { schedule, handle });
    }
    if let Some(validation) = data.validation {
        trainer = trainer.with_validation(validation);
    }
    if config.optimizer.grad_clipping().is_some() {
        let optimizer = config.optimizer.clone();
        trainer = trainer.with_gradient_hook(Box::new(move |model: &Model, grads| {
            optimizer.clip_gradients(model, grads)
        }));
    }
    // A run stopped before its first checkpoint (the folder is written whole, by rename, or
    // not at all) resumes from its start: config.json alone defines it.
    if resume && checkpoint_dir.exists() {
        trainer.load_checkpoint(&checkpoint_dir)?;
        trainer.check_progress(data.train.len())?;
    }
    // Written only once the checkpoint has loaded: a refused resume leaves the folder as it
    // was.
    std::fs::create_dir_all(folder).map_err(|e| TrainError::io("creating", folder, e))?;
    if lock.is_none() {
        lock = Some(PathLock::run_folder(folder)?);
        // Another process may have started a run here since the check above.
        if holds_run() {
            return Err(already());
        }
    }
    let text = serde_json::to_vec_pretty(&config).map_err(|e| TrainError::BadCheckpoint {
        path: config_path.clone(),
        reason: e.to_string(),
    })?;
    atomic::write_file(&config_path, &text)?;
    // Temporaries of writes a killed process did not finish; nothing reads them.
    atomic::remove_stale_temporaries(folder);
    observer.run_started(&RunStart {
        config: &config,
        folder,
        samples: (data.train.len(), data.test.len()),
        resumed: (resume && checkpoint_dir.exists()).then(|| trainer.progress()),
    });
    let report = trainer.fit(&data.train, Some(&data.test), &data.batcher, observer)?;

    let weights = records::module_bytes(trainer.model())?;
    atomic::write_file(&folder.join(layout::MODEL), &weights)?;
    let card_text =
        serde_json::to_vec_pretty(&card_json).map_err(|e| TrainError::BadCheckpoint {
            path: folder.to_path_buf(),
            reason: e.to_string(),
        })?;
    atomic::write_file(&folder.join(layout::MODEL_CARD), &card_text)?;
    drop(lock);
    Ok(RunOutcome {
        report,
        folder: folder.to_path_buf(),
        config,
    })
}

/// Fills the model's input and class-count fields left at 0 from the training set, and
/// refuses a model whose non-zero fields do not match the data.
pub fn fit_model_to_data(model: &mut ModelConfig, train: &ImageDataset) -> Result<(), TrainError> {
    let shape = train.shape();
    let classes = train.num_classes();
    let mismatch = |field: &'static str, value: usize, expected: usize| TrainError::InvalidOption {
        field,
        value: value.to_string(),
        reason: format!("the dataset {} needs {expected}", train.name()),
    };
    let fill = |slot: &mut usize, field: &'static str, expected: usize| {
        if *slot == 0 {
            *slot = expected;
            Ok(())
        } else if *slot != expected {
            Err(mismatch(field, *slot, expected))
        } else {
            Ok(())
        }
    };
    match model {
        ModelConfig::Mlp(mlp) => {
            fill(&mut mlp.input_size, "input_size", shape.numel())?;
            fill(&mut mlp.num_classes, "num_classes", classes)?;
        }
        ModelConfig::Vgg(vgg) => {
            square(train, "vgg", "VGG")?;
            fill(&mut vgg.in_channels, "in_channels", shape.channels)?;
            fill(&mut vgg.image_size, "image_size", shape.height)?;
            fill(&mut vgg.num_classes, "num_classes", classes)?;
        }
        ModelConfig::ResNet(resnet) => {
            square(train, "resnet", "A ResNet")?;
            fill(&mut resnet.in_channels, "in_channels", shape.channels)?;
            fill(&mut resnet.image_size, "image_size", shape.height)?;
            fill(&mut resnet.num_classes, "num_classes", classes)?;
        }
    }
    Ok(())
}

/// Refuses a dataset of non-square images for a convolutional model (`value` as the option
/// spells it, `name` as a sentence does).
fn square(train: &ImageDataset, value: &str, name: &str) -> Result<(), TrainError> {
    let shape = train.shape();
    if shape.height != shape.width {
        return Err(TrainError::InvalidOption {
            field: "model",
            value: value.into(),
            reason: format!(
                "{name} takes square images; {} has {}x{}",
                train.name(),
                shape.height,
                shape.width
            ),
        });
    }
    Ok(())
}

/// The learning-rate schedule a run with `config` steps through: its schedule over its epochs,
/// handed to SWALR when SWA starts if SWA has a rate of its own. (A plateau rule scales the
/// rate further at run time; the rate each epoch ended with is in `metrics.jsonl`.)
///
/// # Errors
///
/// [`TrainError::Optim`] for a schedule that rejects the budget or the SWA rate.
pub fn run_schedule(
    config: &RunConfig,
    steps_per_epoch: usize,
) -> Result<descent_optim::Schedule, TrainError> {
    let scheduler = config.schedule.init(
        config.learning_rate,
        steps_per_epoch,
        config.training.epochs,
    )?;
    // SWALR takes over from the run's schedule when averaging starts, if a rate is given.
    Ok(match &config.training.averaging.swa {
        Some(SwaOptions {
            start_epoch,
            lr: Some(rate),
            ..
        }) => rate.after(scheduler, *start_epoch, steps_per_epoch)?,
        _ => scheduler,
    })
}
