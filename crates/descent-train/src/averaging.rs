//! Weight averaging during a run: stochastic weight averaging (SWA), an exponential moving
//! average (EMA) of the weights, and snapshots for an ensemble, kept beside the checkpoints.
//!
//! The averaging itself is [`descent_optim::averaging`]; this module decides *when* a run
//! averages and where the results go:
//!
//! | in the run folder            | holds                                              | written |
//! |------------------------------|----------------------------------------------------|---------|
//! | `swa/`                       | `model.bpk`, `model.json`, `averaging.json`         | at the end of the run |
//! | `ema/`                       | the same, for the moving average                    | at the end of the run |
//! | `snapshots/epoch-NNNN/`      | `model.bpk`, `model.json` of that epoch's weights   | at the end of each snapshot epoch |
//! | `checkpoint/swa.bpk`, `ema.bpk` | the running averages, with their update counts in `state.json` | with every checkpoint |
//! | `swag.bin`                   | the SWAG posterior: moments and deviation matrix ([`Swag::to_bytes`]) | at the end of the run |
//! | `checkpoint/swag.bin`        | the same, as collected so far                        | with every checkpoint |
//!
//! SWAG (Maddox et al. 2019) collects at exactly the moments SWA averages (so its mean *is*
//! the SWA average) and needs SWA's settings; `descent eval RUN --swag` samples from it.
//!
//! Because the running averages are part of every checkpoint, a run resumed in the middle of
//! averaging ends with the same averaged weights as one that never stopped. The folders
//! `swa/` and `ema/` hold the averages after their batch-norm statistics were recomputed (see
//! [`AveragingOptions::recompute_batch_norm`]), so `descent eval RUN/swa` evaluates what SWA
//! produced.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::Bytes;
use descent_data::{ImageBatcher, ImageDataset};
use descent_models::ImageClassifier;
use descent_optim::SwaLrConfig;
use descent_optim::averaging::{
    AveragedModel, AveragingRule, BufferPolicy, SnapshotPolicy, Swag, SwagConfig,
};
use descent_optim::schedule::{AnnealStrategy, Schedule};
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::evaluate::Metrics;
use crate::layout;
use crate::records;
use descent_files as atomic;

/// Which averages a run keeps, and how. All off by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AveragingOptions {
    /// Stochastic weight averaging: the equal-weight mean of the weights from a chosen epoch
    /// on (Izmailov et al. 2018).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swa: Option<SwaOptions>,
    /// SWA-Gaussian (Maddox et al. 2019): the moments and the last `K` deviations of the
    /// weights, collected whenever SWA averages (so it needs [`swa`](Self::swa)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swag: Option<SwagOptions>,
    /// An exponential moving average of the weights over the whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ema: Option<EmaOptions>,
    /// Keep the weights at chosen epochs for a snapshot ensemble (Huang et al. 2017).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshots: Option<Snapshots>,
    /// What the averages do with batch-norm running statistics while averaging: copy the live
    /// model's (`copy`, the default) or average them too (`average`).
    #[serde(default)]
    pub buffers: BufferPolicy,
    /// At the end of the run, reset the averages' batch-norm statistics and recompute them
    /// with one pass over the training data (as the SWA paper does). Default on; no effect on
    /// a model without batch norm.
    #[serde(default = "yes")]
    pub recompute_batch_norm: bool,
}

fn yes() -> bool {
    true
}

impl Default for AveragingOptions {
    fn default() -> Self {
        Self {
            swa: None,
            swag: None,
            ema: None,
            snapshots: None,
            buffers: BufferPolicy::Copy,
            recompute_batch_norm: true,
        }
    }
}

/// When SWA averages and what rate it trains with meanwhile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwaOptions {
    /// Epochs trained before averaging begins. The average then takes the weights at the end
    /// of every later epoch (or every [`every_steps`](Self::every_steps) steps within them);
    /// the first of these updates copies the weights.
    pub start_epoch: usize,
    /// Average every this many optimizer steps (counted from the start of the run) instead of
    /// once per epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_steps: Option<u64>,
    /// The SWALR rate for the averaging phase; `None` keeps the run's own schedule (for
    /// example a cyclic one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr: Option<SwaRate>,
}

/// SWALR's settings: anneal from the schedule's rate at the start of averaging to `swa_lr`
/// over `anneal_epochs` epochs, then hold it (PyTorch's `SWALR`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwaRate {
    /// The rate held once the anneal is over (finite, > 0).
    pub swa_lr: f64,
    /// Length of the anneal in epochs (0 jumps to `swa_lr` at once).
    pub anneal_epochs: usize,
    /// Shape of the anneal.
    #[serde(default)]
    pub anneal: AnnealStrategy,
}

impl SwaRate {
    /// The run's schedule `main` for the first `start_epoch` epochs, then SWALR.
    ///
    /// # Errors
    ///
    /// [`TrainError::Optim`] naming `swa_lr` when it is not finite and > 0, or `start_lr` when
    /// `main`'s rate at the switch is not > 0.
    pub fn after(
        &self,
        main: Schedule,
        start_epoch: usize,
        steps_per_epoch: usize,
    ) -> Result<Schedule, TrainError> {
        let config = SwaLrConfig::new(self.swa_lr)
            .with_anneal_epochs(self.anneal_epochs)
            .with_anneal_strategy(self.anneal);
        Ok(config.after(main, start_epoch, steps_per_epoch)?)
    }
}

/// SWAG's settings; it collects when SWA averages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwagOptions {
    /// `K`, the number of most recent deviations kept (the paper's 20; at least 2).
    pub rank: usize,
}

impl SwagOptions {
    /// The library configuration.
    pub fn config(&self) -> SwagConfig {
        SwagConfig::new().with_rank(self.rank)
    }
}

/// The moving average's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmaOptions {
    /// Weight of the old average at each update, in [0, 1): `avg = decay * avg + (1 - decay) * w`.
    pub decay: f64,
    /// Update every this many optimizer steps (>= 1).
    #[serde(default = "one")]
    pub every_steps: u64,
}

fn one() -> u64 {
    1
}

/// At the end of which epochs a run keeps a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "kebab-case")]
pub enum Snapshots {
    /// At the end of each warm-restart cycle of SGDR with these cycle lengths in epochs (the
    /// run's `t_0` and `t_mult`).
    CycleEnds {
        /// Length of the first cycle in epochs (>= 1).
        t_0: usize,
        /// Growth factor of the cycle lengths (>= 1).
        t_mult: usize,
    },
    /// At the end of these epochs (1-based).
    Epochs {
        /// The epochs, each >= 1.
        epochs: Vec<usize>,
    },
}

impl Snapshots {
    /// Whether a snapshot is due at the end of `epoch` (1-based).
    pub fn is_due(&self, epoch: usize) -> bool {
        epoch >= 1 && self.policy().is_due(epoch - 1)
    }

    /// The snapshot epochs (1-based) of a run of `epochs` epochs.
    pub fn due_epochs(&self, epochs: usize) -> Vec<usize> {
        (1..=epochs).filter(|&e| self.is_due(e)).collect()
    }

    fn policy(&self) -> SnapshotPolicy {
        match self {
            Snapshots::CycleEnds { t_0, t_mult } => SnapshotPolicy::CycleEnds {
                t_0: *t_0,
                t_mult: *t_mult,
            },
            Snapshots::Epochs { epochs } => {
                SnapshotPolicy::Epochs(epochs.iter().map(|e| e.saturating_sub(1)).collect())
            }
        }
    }
}

impl AveragingOptions {
    /// Whether any averaging or snapshot is asked for.
    pub fn is_active(&self) -> bool {
        self.swa.is_some() || self.swag.is_some() || self.ema.is_some() || self.snapshots.is_some()
    }

    /// Checks every field against a run of `epochs` epochs, naming the first bad one.
    pub fn validate(&self, epochs: usize) -> Result<(), TrainError> {
        let invalid = |field: &'static str, value: String, reason: String| {
            Err(TrainError::InvalidOption {
                field,
                value,
                reason,
            })
        };
        if let Some(swa) = &self.swa {
            if swa.start_epoch >= epochs {
                return invalid(
                    "swa_start",
                    swa.start_epoch.to_string(),
                    format!(
                        "averaging starts after this many epochs, so it must be below the \
                         run's {epochs} epochs"
                    ),
                );
            }
            if swa.every_steps == Some(0) {
                return invalid(
                    "swa_every_steps",
                    "0".into(),
                    "must be at least 1 (or absent)".into(),
                );
            }
            if let Some(rate) = &swa.lr
                && !(rate.swa_lr.is_finite() && rate.swa_lr > 0.0)
            {
                return invalid(
                    "swa_lr",
                    rate.swa_lr.to_string(),
                    "must be a positive finite number".into(),
                );
            }
        }
        if let Some(swag) = &self.swag {
            if self.swa.is_none() {
                return invalid(
                    "swag",
                    format!("rank {}", swag.rank),
                    "SWAG collects when SWA averages: give SWA's start (--swa-start) too".into(),
                );
            }
            if swag.rank < 2 {
                return invalid(
                    "swag_rank",
                    swag.rank.to_string(),
                    "must be at least 2 (samples divide by sqrt(K - 1))".into(),
                );
            }
        }
        if let Some(ema) = &self.ema {
            if !(0.0..1.0).contains(&ema.decay) {
                return invalid(
                    "ema",
                    ema.decay.to_string(),
                    "the decay must lie in [0, 1)".into(),
                );
            }
            if ema.every_steps == 0 {
                return invalid("ema_every_steps", "0".into(), "must be at least 1".into());
            }
        }
        match &self.snapshots {
            Some(Snapshots::CycleEnds { t_0, t_mult }) if *t_0 == 0 || *t_mult == 0 => {
                return invalid(
                    "snapshots",
                    format!("t_0 {t_0}, t_mult {t_mult}"),
                    "cycle lengths must be at least 1".into(),
                );
            }
            Some(Snapshots::Epochs { epochs: list }) => {
                if list.is_empty() {
                    return invalid("snapshot_epochs", "[]".into(), "lists no epoch".into());
                }
                if let Some(&bad) = list.iter().find(|&&e| e == 0 || e > epochs) {
                    return invalid(
                        "snapshot_epochs",
                        bad.to_string(),
                        format!("epochs are counted from 1 to the run's {epochs}"),
                    );
                }
            }
            Some(Snapshots::CycleEnds { .. }) | None => {}
        }
        Ok(())
    }
}

/// How far the running averages have got; saved in each checkpoint's `state.json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AveragingState {
    /// Updates folded into the SWA average so far.
    #[serde(default)]
    pub swa_updates: u64,
    /// Updates folded into the moving average so far.
    #[serde(default)]
    pub ema_updates: u64,
    /// Models collected into the SWAG posterior so far.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub swag_models: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl AveragingState {
    /// Whether nothing was averaged yet (the state then stays out of `state.json`).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// What one average ended as, in a [`TrainReport`](crate::TrainReport).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AverageReport {
    /// `swa` or `ema`: also the name of its folder in the run folder.
    pub name: String,
    /// How many weight vectors it averages (SWA) or updates it took (EMA).
    pub updates: u64,
    /// Whether its batch-norm statistics were recomputed from the training data.
    pub batch_norm_recomputed: bool,
    /// Its metrics on the test set, if a test set was given.
    pub test: Option<Metrics>,
}

/// The snapshots of a run and their ensemble, in a [`TrainReport`](crate::TrainReport).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleReport {
    /// The epochs (1-based) whose weights are members.
    pub epochs: Vec<usize>,
    /// The ensemble's metrics (mean of the members' softmax outputs) on the test set.
    pub test: Option<Metrics>,
}

/// The snapshot folders of a run folder, sorted by epoch.
///
/// # Errors
///
/// [`TrainError::Io`] when the folder cannot be listed; [`TrainError::BadCheckpoint`] when it
/// holds no snapshot.
pub fn snapshot_dirs(run: &Path) -> Result<Vec<PathBuf>, TrainError> {
    let dir = run.join(layout::SNAPSHOTS_DIR);
    if !dir.is_dir() {
        return Err(TrainError::BadCheckpoint {
            path: run.to_path_buf(),
            reason: "holds no snapshots/ folder (train with --snapshots or --snapshot-epochs)"
                .into(),
        });
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| TrainError::io("listing", &dir, e))? {
        let entry = entry.map_err(|e| TrainError::io("listing", &dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(epoch) = layout::snapshot_epoch(&name)
            && entry.path().join(layout::MODEL).is_file()
        {
            found.push((epoch, entry.path()));
        }
    }
    if found.is_empty() {
        return Err(TrainError::BadCheckpoint {
            path: dir,
            reason: "holds no snapshot (epoch-NNNN/model.bpk)".into(),
        });
    }
    found.sort();
    Ok(found.into_iter().map(|(_, path)| path).collect())
}

/// Writes a model folder (`model.bpk`, `model.json` and an optional `averaging.json`)
/// atomically.
pub(crate) fn write_model_dir(
    dir: &Path,
    weights: &[u8],
    card: Option<&serde_json::Value>,
    about: Option<&AverageReport>,
) -> Result<(), TrainError> {
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).map_err(|e| TrainError::io("creating", parent, e))?;
    }
    let bad = |e: serde_json::Error| TrainError::BadCheckpoint {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    };
    let card = card
        .map(serde_json::to_vec_pretty)
        .transpose()
        .map_err(bad)?;
    let about = about
        .map(serde_json::to_vec_pretty)
        .transpose()
        .map_err(bad)?;
    atomic::write_dir(dir, |tmp| {
        atomic::write_file(&tmp.join(layout::MODEL), weights)?;
        if let Some(card) = &card {
            atomic::write_file(&tmp.join(layout::MODEL_CARD), card)?;
        }
        if let Some(about) = &about {
            atomic::write_file(&tmp.join(layout::AVERAGING), about)?;
        }
        Ok(())
    })
}

/// The running averages of a trainer.
pub(crate) struct Averages<M> {
    pub(crate) swa: Option<AveragedModel<M>>,
    pub(crate) swag: Option<Swag<M>>,
    pub(crate) ema: Option<AveragedModel<M>>,
}

impl<M: ImageClassifier> Averages<M> {
    /// Fresh, empty averages of `live` for what `options` asks.
    pub(crate) fn new(options: &AveragingOptions, live: &M) -> Result<Self, TrainError> {
        let swa = match options.swa {
            Some(_) => Some(AveragedModel::new(
                live,
                AveragingRule::Equal,
                options.buffers,
            )?),
            None => None,
        };
        let ema = match &options.ema {
            Some(ema) => Some(AveragedModel::new(
                live,
                AveragingRule::Ema { decay: ema.decay },
                options.buffers,
            )?),
            None => None,
        };
        let swag = match &options.swag {
            Some(swag) => Some(swag.config().init(live)?),
            None => None,
        };
        Ok(Self { swa, swag, ema })
    }

    /// Folds `live` in after optimizer step `global_step` of (1-based) `epoch`, where due.
    pub(crate) fn after_step(
        &mut self,
        options: &AveragingOptions,
        live: &M,
        epoch: usize,
        global_step: u64,
    ) -> Result<(), TrainError> {
        if let (Some(ema), Some(avg)) = (&options.ema, &mut self.ema)
            && global_step.is_multiple_of(ema.every_steps)
        {
            avg.update(live)?;
        }
        if let (Some(swa), Some(avg)) = (&options.swa, &mut self.swa)
            && epoch > swa.start_epoch
            && let Some(every) = swa.every_steps
            && global_step.is_multiple_of(every)
        {
            avg.update(live)?;
            if let Some(swag) = &mut self.swag {
                swag.collect(live)?;
            }
        }
        Ok(())
    }

    /// Folds `live` in at the end of (1-based) `epoch`, where due.
    pub(crate) fn after_epoch(
        &mut self,
        options: &AveragingOptions,
        live: &M,
        epoch: usize,
    ) -> Result<(), TrainError> {
        if let (Some(swa), Some(avg)) = (&options.swa, &mut self.swa)
            && epoch > swa.start_epoch
            && swa.every_steps.is_none()
        {
            avg.update(live)?;
            if let Some(swag) = &mut self.swag {
                swag.collect(live)?;
            }
        }
        Ok(())
    }

    /// The update counts, for `state.json`.
    pub(crate) fn state(&self) -> AveragingState {
        AveragingState {
            swa_updates: self.swa.as_ref().map_or(0, AveragedModel::n_averaged),
            ema_updates: self.ema.as_ref().map_or(0, AveragedModel::n_averaged),
            swag_models: self.swag.as_ref().map_or(0, Swag::n_models),
        }
    }

    /// The averages that hold something, as checkpoint files.
    pub(crate) fn checkpoint_files(&self) -> Result<Vec<(&'static str, Bytes)>, TrainError> {
        let mut parts = Vec::new();
        for (name, avg) in [
            (layout::SWA_RECORD, &self.swa),
            (layout::EMA_RECORD, &self.ema),
        ] {
            if let Some(avg) = avg
                && avg.n_averaged() > 0
            {
                parts.push((name, records::module_bytes(&avg.model())?));
            }
        }
        if let Some(swag) = &self.swag
            && swag.n_models() > 0
        {
            parts.push((layout::SWAG_FILE, Bytes::from_bytes_vec(swag.to_bytes())));
        }
        Ok(parts)
    }

    /// Restores the averages from a checkpoint folder `dir` whose `state.json` says how far
    /// they had got; `live` is the (already restored) live model.
    pub(crate) fn load(
        &mut self,
        options: &AveragingOptions,
        live: &M,
        dir: &Path,
        state: AveragingState,
        checksums: &BTreeMap<String, String>,
    ) -> Result<(), TrainError> {
        *self = Self::new(options, live)?;
        let slots = [
            (layout::SWA_RECORD, &mut self.swa, state.swa_updates, "swa"),
            (layout::EMA_RECORD, &mut self.ema, state.ema_updates, "ema"),
        ];
        for (name, slot, updates, what) in slots {
            if updates == 0 {
                continue;
            }
            let Some(avg) = slot else {
                return Err(TrainError::BadCheckpoint {
                    path: dir.join(layout::STATE),
                    reason: format!(
                        "records {updates} {what} updates but this run does not average with \
                         {what}"
                    ),
                });
            };
            let bytes = records::read(dir, name)?;
            let check = records::verify(dir, name, &bytes, checksums);
            let model = records::load_module_bytes(live.valid(), bytes, &dir.join(name))?;
            check?;
            *avg = AveragedModel::from_parts(model, avg.rule(), avg.buffers(), updates)?;
        }
        if state.swag_models > 0 {
            let path = dir.join(layout::SWAG_FILE);
            if self.swag.is_none() {
                return Err(TrainError::BadCheckpoint {
                    path: dir.join(layout::STATE),
                    reason: format!(
                        "records {} swag models but this run does not collect SWAG",
                        state.swag_models
                    ),
                });
            }
            let bytes = records::read(dir, layout::SWAG_FILE)?;
            records::verify(dir, layout::SWAG_FILE, &bytes, checksums)?;
            let swag = read_swag(live, &bytes, &path)?;
            if swag.n_models() != state.swag_models {
                return Err(TrainError::BadCheckpoint {
                    path,
                    reason: format!(
                        "holds {} models where {} records {}",
                        swag.n_models(),
                        layout::STATE,
                        state.swag_models
                    ),
                });
            }
            self.swag = Some(swag);
        }
        Ok(())
    }
}

/// Reads a SWAG posterior file (`swag.bin`) for the parameters of `live`; `path` names the
/// file in errors.
///
/// # Errors
///
/// [`TrainError::BadCheckpoint`] naming the file when its bytes are not a posterior of this
/// model.
pub fn read_swag<M: ImageClassifier>(
    live: &M,
    bytes: &[u8],
    path: &Path,
) -> Result<Swag<M>, TrainError> {
    Swag::from_bytes(live, bytes).map_err(|e| TrainError::BadCheckpoint {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Finishes one average: recomputes its batch-norm statistics with one pass over `train`
/// (when asked, and when the model has batch norm) and returns the model to save.
pub(crate) fn finish<M: ImageClassifier>(
    average: &AveragedModel<M>,
    options: &AveragingOptions,
    train: &ImageDataset,
    batcher: &ImageBatcher,
    batch_size: usize,
    device: &burn::tensor::Device,
) -> Result<(M, bool), TrainError> {
    let model = average.model();
    if !options.recompute_batch_norm {
        return Ok((model, false));
    }
    crate::bma::recompute_on(model, train, batcher, batch_size, device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycle_end_snapshots_follow_sgdr_cycle_lengths() {
        // SGDR with t_0 = 2, t_mult = 2: cycles of 2, 4, 8 epochs end after epochs 2, 6, 14.
        let snapshots = Snapshots::CycleEnds { t_0: 2, t_mult: 2 };
        assert_eq!(snapshots.due_epochs(14), [2, 6, 14]);
        // t_mult = 1: every t_0 epochs.
        let snapshots = Snapshots::CycleEnds { t_0: 3, t_mult: 1 };
        assert_eq!(snapshots.due_epochs(10), [3, 6, 9]);
        assert!(!snapshots.is_due(0));
    }

    #[test]
    fn listed_snapshot_epochs_are_one_based() {
        let snapshots = Snapshots::Epochs {
            epochs: vec![5, 1, 3],
        };
        assert_eq!(snapshots.due_epochs(4), [1, 3]);
        assert!(snapshots.is_due(5));
        assert!(!snapshots.is_due(2));
    }

    #[test]
    fn validation_names_the_bad_field() {
        let swa = |start_epoch, every_steps, swa_lr: Option<f64>| AveragingOptions {
            swa: Some(SwaOptions {
                start_epoch,
                every_steps,
                lr: swa_lr.map(|swa_lr| SwaRate {
                    swa_lr,
                    anneal_epochs: 1,
                    anneal: AnnealStrategy::Cos,
                }),
            }),
            ..AveragingOptions::default()
        };
        let ema = |decay, every_steps| AveragingOptions {
            ema: Some(EmaOptions { decay, every_steps }),
            ..AveragingOptions::default()
        };
        let listed = |epochs: Vec<usize>| AveragingOptions {
            snapshots: Some(Snapshots::Epochs { epochs }),
            ..AveragingOptions::default()
        };
        for (options, field) in [
            (swa(5, None, None), "swa_start"),
            (swa(1, Some(0), None), "swa_every_steps"),
            (swa(1, None, Some(0.0)), "swa_lr"),
            (swa(1, None, Some(f64::NAN)), "swa_lr"),
            (ema(1.0, 1), "ema"),
            (
                AveragingOptions {
                    swag: Some(SwagOptions { rank: 20 }),
                    ..AveragingOptions::default()
                },
                "swag",
            ),
            (
                AveragingOptions {
                    swag: Some(SwagOptions { rank: 1 }),
                    ..swa(1, None, None)
                },
                "swag_rank",
            ),
            (ema(-0.1, 1), "ema"),
            (ema(0.9, 0), "ema_every_steps"),
            (listed(vec![]), "snapshot_epochs"),
            (listed(vec![0]), "snapshot_epochs"),
            (listed(vec![6]), "snapshot_epochs"),
            (
                AveragingOptions {
                    snapshots: Some(Snapshots::CycleEnds { t_0: 0, t_mult: 1 }),
                    ..AveragingOptions::default()
                },
                "snapshots",
            ),
        ] {
            match options.validate(5) {
                Err(TrainError::InvalidOption { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{options:?}: expected an error about {field}, got {other:?}"),
            }
        }
        for options in [
            AveragingOptions::default(),
            swa(4, Some(3), Some(0.05)),
            ema(0.0, 1),
            listed(vec![1, 5]),
        ] {
            options.validate(5).expect("valid");
        }
    }

    #[test]
    fn options_round_trip_through_json_and_default_to_off() {
        let options = AveragingOptions {
            swa: Some(SwaOptions {
                start_epoch: 3,
                every_steps: Some(10),
                lr: Some(SwaRate {
                    swa_lr: 0.05,
                    anneal_epochs: 2,
                    anneal: AnnealStrategy::Linear,
                }),
            }),
            swag: Some(SwagOptions { rank: 20 }),
            ema: Some(EmaOptions {
                decay: 0.999,
                every_steps: 1,
            }),
            snapshots: Some(Snapshots::CycleEnds { t_0: 4, t_mult: 2 }),
            buffers: BufferPolicy::Average,
            recompute_batch_norm: false,
        };
        let text = serde_json::to_string(&options).expect("serializes");
        let back: AveragingOptions = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, options);
        let off: AveragingOptions = serde_json::from_str("{}").expect("parses");
        assert_eq!(off, AveragingOptions::default());
        assert!(!off.is_active() && options.is_active());
        assert!(off.recompute_batch_norm);
    }
}
