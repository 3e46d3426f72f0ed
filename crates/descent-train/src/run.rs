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
use descent_data::{
    Augmentation, DatasetKind, ImageBatcher, ImageDataset, ImageShape, LoadOptions, Normalization,
    Split,
};
use descent_files as atomic;
use descent_models::{Model, ModelConfig};
use descent_optim::{OptimizerConfig, ScheduleConfig};
use serde::{Deserialize, Serialize};

use crate::averaging::SwaOptions;
use crate::checkpoint;
use crate::error::TrainError;
use crate::observer::{Observer, RunStart};
use crate::options::TrainOptions;
use crate::seed::{SeedPurpose, derive};
use crate::trainer::{RunFolder, TrainReport, Trainer};

/// Which data a run trains and tests on, and how it is prepared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataConfig {
    /// The dataset.
    pub dataset: DatasetKind,
    /// Its folder; `None` is the dataset's usual place (synthetic sets need none).
    pub dir: Option<PathBuf>,
    /// Train on a seeded random subset of this size (synthetic sets: generate this many).
    pub train_samples: Option<usize>,
    /// Test on the first this many test samples.
    pub test_samples: Option<usize>,
    /// How inputs are normalized.
    pub normalization: NormalizationChoice,
    /// Random crops and flips of training images.
    pub augmentation: Option<Augmentation>,
}

/// How a run normalizes its inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NormalizationChoice {
    /// Raw inputs (pixels in `[0, 1]`).
    None,
    /// Per-channel mean and std of the training set, computed at the start of the run and
    /// then stored in `config.json` as [`NormalizationChoice::Fixed`].
    FromTrainingSet,
    /// Given per-channel mean and std.
    Fixed(Normalization),
}

/// The training and test sets of a run and the batcher that prepares them.
pub struct RunData {
    /// The training set.
    pub train: ImageDataset,
    /// The test set.
    pub test: ImageDataset,
    /// Normalization (and augmentation for training batches).
    pub batcher: ImageBatcher,
    /// The normalization actually used.
    pub normalization: Option<Normalization>,
}

impl DataConfig {
    /// Loads both splits, takes the subsets and resolves the normalization.
    pub fn load(&self, seed: u64) -> Result<RunData, TrainError> {
        let options = LoadOptions {
            synthetic_samples: self.train_samples,
            seed,
        };
        let mut train =
            descent_data::load(self.dataset, self.dir.as_deref(), Split::Train, &options)?;
        let test_options = LoadOptions {
            synthetic_samples: self.test_samples,
            seed,
        };
        let mut test = descent_data::load(
            self.dataset,
            self.dir.as_deref(),
            Split::Test,
            &test_options,
        )?;
        if let Some(n) = self.train_samples
            && n < train.len()
        {
            train = train.random_subset(n, seed);
        }
        if let Some(n) = self.test_samples {
            test = test.take(n);
        }
        let normalization = match &self.normalization {
            NormalizationChoice::None => None,
            NormalizationChoice::FromTrainingSet => Some(train.channel_stats()),
            NormalizationChoice::Fixed(n) => Some(n.clone()),
        };
        let batcher = ImageBatcher::new(
            normalization.clone(),
            self.augmentation,
            derive(seed, SeedPurpose::Augment, u64::MAX),
        );
        Ok(RunData {
            train,
            test,
            batcher,
            normalization,
        })
    }
}

/// Everything that defines a training run; saved as `config.json` in the run folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The architecture.
    pub model: ModelConfig,
    /// The data.
    pub data: DataConfig,
    /// The optimizer.
    pub optimizer: OptimizerConfig,
    /// The learning-rate schedule.
    pub schedule: ScheduleConfig,
    /// The base (peak) learning rate the schedule scales.
    pub learning_rate: f64,
    /// Epochs, batch size, seed, checkpoints.
    pub training: TrainOptions,
}

impl RunConfig {
    /// Parses the bytes of a run's `config.json`; `path` only names the file in errors.
    ///
    /// # Errors
    ///
    /// [`TrainError::BadCheckpoint`] if the bytes are not a run configuration.
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<RunConfig, TrainError> {
        serde_json::from_slice(bytes).map_err(|e| TrainError::BadCheckpoint {
            path: path.to_path_buf(),
            reason: format!("not a run configuration: {e}"),
        })
    }
}

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
        let (card_path, weights) = locate_model(path)?;
        let bytes =
            std::fs::read(&card_path).map_err(|e| TrainError::io("reading", &card_path, e))?;
        let card = ModelCard::from_json(&bytes, &card_path)?;
        let model = card.init(device)?;
        let model = checkpoint::load_module(model, &weights)?;
        Ok((card, model))
    }
}

/// Finds `(model.json, weights.bpk)` for a path given by the user.
fn locate_model(path: &Path) -> Result<(PathBuf, PathBuf), TrainError> {
    if !path.exists() {
        return Err(TrainError::BadCheckpoint {
            path: path.to_path_buf(),
            reason: "no such file or folder".into(),
        });
    }
    if path.is_file() {
        let card = path.with_file_name(checkpoint::files::MODEL_CONFIG);
        return Ok((card, path.to_path_buf()));
    }
    for dir in [path.to_path_buf(), path.join("checkpoint")] {
        let card = dir.join(checkpoint::files::MODEL_CONFIG);
        let weights = dir.join(checkpoint::files::MODEL);
        if card.is_file() && weights.is_file() {
            return Ok((card, weights));
        }
    }
    Err(TrainError::BadCheckpoint {
        path: path.to_path_buf(),
        reason: format!(
            "holds no {} and {} (give a run folder, a checkpoint folder or a .bpk file)",
            checkpoint::files::MODEL,
            checkpoint::files::MODEL_CONFIG
        ),
    })
}

/// File names in a run folder.
pub mod files {
    /// The run's configuration.
    pub const CONFIG: &str = "config.json";
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
    let config_path = folder.join(files::CONFIG);
    let checkpoint_dir = RunFolder {
        dir: folder.to_path_buf(),
    }
    .checkpoint();
    if resume {
        // A process killed between the two renames of a checkpoint write left the last
        // complete checkpoint moved aside.
        atomic::recover_dir(&checkpoint_dir)?;
    }
    let mut config = if resume {
        if !config_path.exists() {
            return Err(TrainError::InvalidOption {
                field: "out",
                value: folder.display().to_string(),
                reason: format!(
                    "holds no run to resume (no {}); drop --resume to start one there",
                    files::CONFIG
                ),
            });
        }
        let bytes =
            std::fs::read(&config_path).map_err(|e| TrainError::io("reading", &config_path, e))?;
        RunConfig::from_json(&bytes, &config_path)?
    } else {
        if config_path.exists() || checkpoint_dir.exists() {
            return Err(TrainError::InvalidOption {
                field: "out",
                value: folder.display().to_string(),
                reason:
                    "already holds a run; pass --resume to continue it, or choose another folder"
                        .into(),
            });
        }
        config.clone()
    };
    if let Some(epochs) = epochs_override {
        config.training.epochs = epochs;
    }
    config.training.validate()?;
    let seed = config.training.seed;
    let data = config.data.load(seed)?;
    fit_model_to_data(&mut config.model, &data.train)?;
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
    let optimizer = config.optimizer.init()?;
    let scheduler = config.schedule.init(
        config.learning_rate,
        steps_per_epoch,
        config.training.epochs,
    )?;
    // SWALR takes over from the run's schedule when averaging starts, if a rate is given.
    let scheduler = match &config.training.averaging.swa {
        Some(SwaOptions {
            start_epoch,
            lr: Some(rate),
            ..
        }) => rate.after(scheduler, *start_epoch, steps_per_epoch)?,
        _ => scheduler,
    };
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
    }
    // Written only once the checkpoint has loaded: a refused resume leaves the folder as it
    // was.
    std::fs::create_dir_all(folder).map_err(|e| TrainError::io("creating", folder, e))?;
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

    let weights = checkpoint::module_bytes(trainer.model())?;
    atomic::write_file(&folder.join(checkpoint::files::MODEL), &weights)?;
    let card_text =
        serde_json::to_vec_pretty(&card_json).map_err(|e| TrainError::BadCheckpoint {
            path: folder.to_path_buf(),
            reason: e.to_string(),
        })?;
    atomic::write_file(&folder.join(checkpoint::files::MODEL_CONFIG), &card_text)?;
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
            if shape.height != shape.width {
                return Err(TrainError::InvalidOption {
                    field: "model",
                    value: "vgg".into(),
                    reason: format!(
                        "VGG takes square images; {} has {}x{}",
                        train.name(),
                        shape.height,
                        shape.width
                    ),
                });
            }
            fill(&mut vgg.in_channels, "in_channels", shape.channels)?;
            fill(&mut vgg.image_size, "image_size", shape.height)?;
            fill(&mut vgg.num_classes, "num_classes", classes)?;
        }
    }
    Ok(())
}
