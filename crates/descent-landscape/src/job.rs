//! Whole scans of checkpoints written by `descent train`: load the models and the evaluation
//! data, build or load the directions, open (or resume) the scan file, and run. This is what
//! `descent landscape scan|interpolate|plane` calls.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;
use descent_data::{DatasetKind, ImageBatcher, LoadOptions, Split};
use descent_models::Model;
use descent_train::ModelCard;
use descent_train::lock::PathLock;

use crate::LandscapeError;
use crate::direction::{DirectionConfig, target_direction};
use crate::directions_file::{DirectionSet, DirectionSource, sha256_hex};
use crate::evaluator::{BnPolicy, ClassifierEvaluator, PointEvaluator, PreparedSet};
use crate::grid::Grid;
use crate::plane::{PlaneAxes, PlaneInfo, plane_basis};
use crate::scan::{ScanObserver, ScanOptions, ScanOutcome, Surface, run_scan};
use crate::scan_file::{EvalSpec, SCAN_FORMAT, ScanFile, ScanKind, ScanMeta};
use crate::shard::Shard;
use crate::vector::ParamVector;

/// Where the random directions of a scan come from.
#[derive(Debug, Clone, PartialEq)]
pub enum DirectionChoice {
    /// Draw them (and save them next to the scan file).
    Random(DirectionConfig),
    /// Read them from a directions file (to redo or extend a scan).
    Load(PathBuf),
}

/// Which data each point is evaluated on.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalOptions {
    /// The splits (metrics `loss_<split>`, `acc_<split>`).
    pub splits: Vec<Split>,
    /// A fixed seeded subset of this many samples per split (generated sets: generate this
    /// many); `None` for the whole split.
    pub samples: Option<usize>,
    /// The subset's seed.
    pub subset_seed: u64,
    /// Samples per forward pass.
    pub batch_size: usize,
    /// The dataset, if not the model card's.
    pub dataset: Option<DatasetKind>,
    /// Its folder, if not the model card's.
    pub data_dir: Option<PathBuf>,
    /// Batch-norm statistics.
    pub bn: BnPolicy,
    /// Which images the training split means.
    pub training_images: TrainingImages,
}

/// Which images the training split means for a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrainingImages {
    /// The images its run trained on (the run's seeded subset, without its validation split;
    /// [`descent_train::run_data::run_training_set`]) when the model lies in a run folder and
    /// no other dataset or folder is asked for; the dataset's training split otherwise. A run
    /// trained on 12,000 of Fashion-MNIST's 60,000 images has its training loss measured on
    /// those 12,000.
    #[default]
    Run,
    /// The dataset's whole training split, whatever the run trained on.
    Split,
}

/// The default evaluates the training split: the loss that was minimized, which Li et al.
/// (2018), PyHessian and Keskar et al. (2017) measure.
impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            splits: vec![Split::Train],
            samples: None,
            subset_seed: 0,
            batch_size: 256,
            dataset: None,
            data_dir: None,
            bn: BnPolicy::Keep,
            training_images: TrainingImages::Run,
        }
    }
}

impl EvalOptions {
    /// Checks that exactly one split is asked for, as the Hessian's tools need (one loss
    /// function); `measured` names what is measured, for the error ("curvature", "the
    /// spectrum").
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] on the field `split`, naming the splits given.
    pub fn require_one_split(&self, measured: &str) -> Result<(), LandscapeError> {
        if self.splits.len() == 1 {
            return Ok(());
        }
        Err(LandscapeError::invalid(
            "split",
            self.splits
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(","),
            format!("{measured} is measured on one split: train or test"),
        ))
    }
}

/// A model card as the JSON value a result file records. Through text, so that it compares
/// equal to the same card read back from a file (an f32 field becomes the f64 its shortest
/// decimal form parses to); `Null` if it cannot be written.
pub(crate) fn card_value(card: &ModelCard) -> serde_json::Value {
    serde_json::to_string(card)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// One scan of checkpoints.
#[derive(Debug, Clone)]
pub struct ScanJob {
    /// What to scan: random directions around `checkpoints[0]`, the line through two
    /// checkpoints, or the plane through three.
    pub kind: ScanKind,
    /// Run folders, checkpoint folders or `.bpk` files (with `model.json` beside), or
    /// PyTorch weights files described by `imported`.
    pub checkpoints: Vec<PathBuf>,
    /// The card of the PyTorch weights files among `checkpoints` (see
    /// [`descent_train::import`]); `None` when there are none.
    pub imported: Option<ModelCard>,
    /// The grid (2-D for a plane; 1-D for an interpolation).
    pub grid: Grid,
    /// Random directions' source (ignored for interpolation and planes).
    pub directions: DirectionChoice,
    /// The axes of a plane through three models (ignored by other kinds).
    pub plane_axes: PlaneAxes,
    /// Evaluation data.
    pub eval: EvalOptions,
    /// The scan file to write (resumed if it exists with the same settings).
    pub out: PathBuf,
    /// Only this share of the points.
    pub shard: Option<Shard>,
    /// Saving and stopping.
    pub options: ScanOptions,
}

/// What [`run_job`] did.
#[derive(Debug, Clone)]
pub struct JobOutcome {
    /// Points computed now and still missing.
    pub outcome: ScanOutcome,
    /// The scan file as saved.
    pub file: ScanFile,
    /// The directions file written or read, for random scans.
    pub directions_file: Option<PathBuf>,
    /// Whether an existing file was resumed.
    pub resumed: bool,
}

/// The directions file written next to a scan file: `<out>.directions.npz` with `out`'s
/// extension replaced (`scan.npz` -> `scan.directions.npz`).
pub fn directions_path(out: &Path) -> PathBuf {
    out.with_extension("directions.npz")
}

/// SHA-256 (hex) of the weights files of `paths` (run folders, checkpoint folders or `.bpk`
/// files, as [`ModelCard::load_model`] finds them), in order: what a scan file records, so
/// that a checkpoint retrained in place is told apart from the one scanned.
///
/// # Errors
///
/// A checkpoint that cannot be found or read.
pub fn weights_hash(paths: &[PathBuf]) -> Result<String, LandscapeError> {
    let mut all = Vec::new();
    for path in paths {
        // A PyTorch weights file is its own weights file.
        let weights = match descent_train::import::is_torch_file(path) {
            true => path.clone(),
            false => ModelCard::locate(path)?.1,
        };
        let bytes =
            std::fs::read(&weights).map_err(|e| LandscapeError::io("reading", &weights, e))?;
        all.extend_from_slice(sha256_hex(&bytes).as_bytes());
    }
    Ok(match paths.len() {
        1 => String::from_utf8_lossy(&all).into_owned(),
        _ => sha256_hex(&all),
    })
}

/// Loads each checkpoint (eval mode), checking that they share one architecture. A PyTorch
/// weights file (`.safetensors`, `.pt`, `.pth`) among them is read with the card `imported`
/// (see [`descent_train::import`]).
///
/// # Errors
///
/// Checkpoint loading errors; [`LandscapeError::Mismatch`] for different architectures.
pub fn load_checkpoints(
    paths: &[PathBuf],
    imported: Option<&ModelCard>,
    device: &Device,
) -> Result<Vec<(ModelCard, Model)>, LandscapeError> {
    let mut out: Vec<(ModelCard, Model)> = Vec::new();
    let loaded = descent_train::import::load_models(paths, imported, device)?;
    for (path, (card, model)) in paths.iter().zip(loaded) {
        if let Some((first, _)) = out.first()
            && first.model != card.model
        {
            return Err(LandscapeError::Mismatch {
                left: paths[0].display().to_string(),
                right: path.display().to_string(),
                detail: format!(
                    "the models differ: {} vs {}",
                    first.model.describe(),
                    card.model.describe()
                ),
            });
        }
        out.push((card, model.valid()));
    }
    Ok(out)
}

/// The checkpoints, for messages: `a`, or `a, b and c`.
fn checkpoint_list(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// The `split` of `dataset` (in `dir`, or its usual place) for the model of `card`: checked to
/// fit the model, and cut to a seeded subset of `samples` when given (generated sets are
/// generated with that many samples, from the card's data seed).
///
/// # Errors
///
/// Data loading errors; [`LandscapeError::InvalidOption`] if the data does not fit the model.
pub(crate) fn load_card_split(
    card: &ModelCard,
    dataset: DatasetKind,
    dir: Option<&Path>,
    split: Split,
    samples: Option<usize>,
    subset_seed: u64,
) -> Result<descent_data::ImageDataset, LandscapeError> {
    let options = LoadOptions {
        synthetic_samples: samples,
        seed: card.data_seed,
    };
    let set = descent_data::load(dataset, dir, split, &options)?;
    if set.shape() != card.input || set.num_classes() != card.num_classes {
        return Err(LandscapeError::invalid(
            "dataset",
            set.name(),
            format!(
                "its samples are {} with {} classes, the model takes {} with {} classes",
                set.shape(),
                set.num_classes(),
                card.input,
                card.num_classes
            ),
        ));
    }
    Ok(match samples {
        Some(n) if n < set.len() => set.random_subset(n, subset_seed),
        _ => set,
    })
}

/// The images `model`'s run trained on, when `split` is the training split and `eval` asks for
/// them ([`TrainingImages::Run`], no other dataset or folder).
fn run_images(
    card: &ModelCard,
    model: Option<&Path>,
    eval: &EvalOptions,
    split: Split,
) -> Result<Option<descent_data::ImageDataset>, LandscapeError> {
    match model {
        Some(model)
            if split == Split::Train
                && eval.training_images == TrainingImages::Run
                && eval.dataset.is_none()
                && eval.data_dir.is_none() =>
        {
            Ok(descent_train::run_data::run_training_set(card, model)?)
        }
        _ => Ok(None),
    }
}

/// Loads and batches the evaluation sets a model card implies.
///
/// # Errors
///
/// Data loading errors; [`LandscapeError::InvalidOption`] if the data does not fit the model.
pub fn prepare_evaluator(
    card: &ModelCard,
    model: Option<&Path>,
    eval: &EvalOptions,
    device: &Device,
) -> Result<(ClassifierEvaluator, EvalSpec), LandscapeError> {
    let dataset = eval.dataset.unwrap_or(card.dataset);
    let dir = eval.data_dir.clone().or_else(|| card.data_dir.clone());
    let batcher = ImageBatcher::new(card.normalization.clone(), None, 0);
    let mut sets = Vec::new();
    let mut names = Vec::new();
    if eval.splits.is_empty() {
        return Err(LandscapeError::invalid(
            "splits",
            "",
            "name at least one of train, test",
        ));
    }
    for &split in &eval.splits {
        let set = match run_images(card, model, eval, split)? {
            Some(train) => match eval.samples {
                Some(n) if n < train.len() => train.random_subset(n, eval.subset_seed),
                _ => train,
            },
            None => load_card_split(
                card,
                dataset,
                dir.as_deref(),
                split,
                eval.samples,
                eval.subset_seed,
            )?,
        };
        names.push(set.name().to_string());
        sets.push(PreparedSet::new(
            split.to_string(),
            &set,
            &batcher,
            eval.batch_size,
            device,
        )?);
    }
    let spec = EvalSpec {
        datasets: names,
        splits: eval.splits.iter().map(|s| s.to_string()).collect(),
        samples: eval.samples,
        subset_seed: eval.subset_seed,
        batch_size: eval.batch_size,
        bn: eval.bn,
    };
    Ok((ClassifierEvaluator::new(sets).with_bn(eval.bn), spec))
}

/// Runs (or resumes) one scan of checkpoints; see [`ScanJob`].
///
/// # Errors
///
/// Bad options, unreadable checkpoints or data, mismatched directions, an existing scan file
/// with other settings ([`LandscapeError::Incompatible`]), and write errors.
pub fn run_job(
    job: &ScanJob,
    device: &Device,
    device_name: &str,
    observer: &mut dyn ScanObserver,
) -> Result<JobOutcome, LandscapeError> {
    let (needed, two_d) = match job.kind {
        ScanKind::Random => (1, job.grid.y.is_some()),
        ScanKind::Interpolation => (2, false),
        ScanKind::Plane => (3, true),
        ScanKind::Trajectory => {
            return Err(LandscapeError::invalid(
                "kind",
                job.kind,
                "a trajectory scan is run by descent_landscape::trajectory::run_trajectory_job",
            ));
        }
    };
    if job.checkpoints.len() != needed {
        return Err(LandscapeError::invalid(
            "checkpoints",
            job.checkpoints.len(),
            format!("{} takes {needed}", job.kind),
        ));
    }
    if two_d != job.grid.y.is_some() {
        return Err(LandscapeError::invalid(
            "y",
            job.grid.y.map_or("none".into(), |y| y.to_string()),
            if two_d {
                format!("{} needs a second axis", job.kind)
            } else {
                format!("{} has one axis", job.kind)
            },
        ));
    }
    job.grid.validate()?;
    // One process at a time on a scan file. A lock file that cannot be made (a read-only or
    // missing folder) is no refusal: the scan's own writes report that better.
    let _lock = match PathLock::beside(&job.out) {
        Ok(lock) => Some(lock),
        Err(e @ descent_train::TrainError::InUse { .. }) => return Err(e.into()),
        Err(_) => None,
    };
    let models = load_checkpoints(&job.checkpoints, job.imported.as_ref(), device)?;
    let weights = weights_hash(&job.checkpoints)?;
    let centre_weights = weights_hash(&job.checkpoints[..1])?;
    // A scan resumed onto a checkpoint retrained in place would mix the points of two
    // models: refused first, before anything else about the file is compared.
    let existing = match job.out.exists() {
        true => Some(ScanFile::load(&job.out)?),
        false => None,
    };
    if let Some(recorded) = existing.as_ref().and_then(|f| f.meta.weights_hash.as_ref())
        && *recorded != weights
    {
        return Err(LandscapeError::Incompatible {
            reason: format!(
                "{} was scanned from other weights than {} holds now (retrained in place?); \
                 choose another --out to scan these",
                job.out.display(),
                checkpoint_list(&job.checkpoints)
            ),
        });
    }
    let (card, centre_model) = models[0].clone();
    let centre = ParamVector::from_module(&centre_model);
    let count = if two_d { 2 } else { 1 };
    let checkpoint_names: Vec<String> = job
        .checkpoints
        .iter()
        .map(|p| p.display().to_string())
        .collect();

    // A newly drawn directions file is saved only once every check below has passed, so a
    // refused scan leaves no file behind.
    let mut unsaved_directions = None;
    let mut plane: Option<PlaneInfo> = None;
    let (set, directions_file) = match (&job.kind, &job.directions) {
        (ScanKind::Random, DirectionChoice::Load(path)) => {
            let set = DirectionSet::load(path, &centre.infos(), device)?;
            if set.directions.len() < count {
                return Err(LandscapeError::bad_file(
                    path,
                    format!(
                        "holds {} direction(s), the scan needs {count}",
                        set.directions.len()
                    ),
                ));
            }
            (set, Some(path.clone()))
        }
        (ScanKind::Random, DirectionChoice::Random(config)) => {
            let path = directions_path(&job.out);
            let set = if path.exists() {
                let set = DirectionSet::load(&path, &centre.infos(), device)?;
                if set
                    .meta
                    .weights_hash
                    .as_ref()
                    .is_some_and(|h| *h != centre_weights)
                {
                    return Err(LandscapeError::Incompatible {
                        reason: format!(
                            "{} holds directions drawn for other weights than {} holds (their \
                             filter normalization follows those weights); remove it, choose \
                             another --out, or pass it with --directions to use it anyway",
                            path.display(),
                            job.checkpoints[0].display()
                        ),
                    });
                }
                if set.meta.source != DirectionSource::Random(*config)
                    || set.directions.len() != count
                {
                    return Err(LandscapeError::Incompatible {
                        reason: format!(
                            "{} holds other directions than these options draw; remove it, \
                             choose another --out, or pass it with --directions",
                            path.display()
                        ),
                    });
                }
                set
            } else {
                let (dirs, _) = config.directions(&centre, count);
                let mut set = DirectionSet::new(DirectionSource::Random(*config), dirs);
                set.meta.weights_hash = Some(centre_weights.clone());
                unsaved_directions = Some(path.clone());
                set
            };
            (set, Some(path))
        }
        (ScanKind::Plane, _) => {
            let basis = plane_basis(
                &centre,
                &ParamVector::from_module(&models[1].1),
                &ParamVector::from_module(&models[2].1),
                job.plane_axes,
            )?;
            plane = Some(basis.info);
            let set = DirectionSet::new(
                DirectionSource::Target {
                    checkpoints: checkpoint_names.clone(),
                },
                basis.directions.to_vec(),
            );
            (set, None)
        }
        _ => {
            let mut dirs = Vec::new();
            for (_, model) in &models[1..] {
                dirs.push(target_direction(&centre, &ParamVector::from_module(model))?);
            }
            let set = DirectionSet::new(
                DirectionSource::Target {
                    checkpoints: checkpoint_names.clone(),
                },
                dirs,
            );
            (set, None)
        }
    };
    let directions: Vec<ParamVector> = set.directions.iter().take(count).cloned().collect();
    // A plane's axes are compared over the trainable parameters (its basis is orthonormal
    // there); random directions over everything they hold.
    let cosine = match &plane {
        Some(info) if info.axes == PlaneAxes::Orthonormal => Some(0.0),
        Some(info) => Some(info.cosine),
        None => {
            (directions.len() == 2).then(|| directions[0].cosine(&directions[1]).unwrap_or(0.0))
        }
    };

    let (mut evaluator, spec) = prepare_evaluator(
        &card,
        job.checkpoints.first().map(PathBuf::as_path),
        &job.eval,
        device,
    )?;
    let meta = ScanMeta {
        format: SCAN_FORMAT.into(),
        version: 1,
        kind: job.kind,
        checkpoints: checkpoint_names,
        model: card_value(&card),
        model_description: card.model.describe(),
        grid: job.grid,
        directions: set.meta.source.clone(),
        directions_hash: set.hash()?,
        directions_file: directions_file.as_ref().map(|p| p.display().to_string()),
        weights_hash: Some(weights),
        cosine,
        plane,
        eval: spec,
        metrics: PointEvaluator::<Model>::metric_names(&evaluator),
        shard: job.shard,
        device: device_name.to_string(),
    };
    let (mut file, resumed) = if let Some(existing) = existing {
        // A file from before weights were recorded resumes without that check.
        let meta = match existing.meta.weights_hash {
            None => ScanMeta {
                weights_hash: None,
                ..meta
            },
            Some(_) => meta,
        };
        if let Some(diff) = existing.meta.first_difference(&meta) {
            return Err(LandscapeError::Incompatible {
                reason: format!(
                    "{} holds another scan ({diff}); choose another --out to start a new one",
                    job.out.display()
                ),
            });
        }
        if existing.meta.shard != meta.shard {
            return Err(LandscapeError::Incompatible {
                reason: format!(
                    "{} is shard {}, not {}",
                    job.out.display(),
                    existing.meta.shard.map_or("all".into(), |s| s.to_string()),
                    meta.shard.map_or("all".into(), |s| s.to_string())
                ),
            });
        }
        (existing, true)
    } else {
        (ScanFile::new(meta), false)
    };
    let mut surface = Surface::new(centre_model, directions)?;
    if let Some(path) = &unsaved_directions {
        set.save(path)?;
    }
    let outcome = run_scan(
        &mut surface,
        &mut evaluator,
        &mut file,
        Some(&job.out),
        &job.options,
        observer,
    )?;
    Ok(JobOutcome {
        outcome,
        file,
        directions_file,
        resumed,
    })
}

/// The default grid of a plane scan: the three models' marks on `axes` widened by `margin`
/// of their extent on each side (Garipov et al.'s `plane.py` uses 0.2), `num` points per axis.
///
/// # Errors
///
/// Unreadable checkpoints; models that span no plane; a bad margin or count.
pub fn plane_default_grid(
    checkpoints: &[PathBuf],
    imported: Option<&ModelCard>,
    axes: PlaneAxes,
    margin: f64,
    num: usize,
    device: &Device,
) -> Result<Grid, LandscapeError> {
    if checkpoints.len() != 3 {
        return Err(LandscapeError::invalid(
            "checkpoints",
            checkpoints.len(),
            "a plane takes 3",
        ));
    }
    let models = load_checkpoints(checkpoints, imported, device)?;
    let v: Vec<ParamVector> = models
        .iter()
        .map(|(_, m)| ParamVector::from_module(m))
        .collect();
    let basis = plane_basis(&v[0], &v[1], &v[2], axes)?;
    crate::plane::grid_around(&basis.info, margin, num)
}
