//! The training loop: epochs of mini-batch gradient descent on any [`ImageClassifier`].

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Bytes, Device, Int, Tensor};
use descent_data::{ImageBatcher, ImageDataset, shuffled_indices};
use descent_models::ImageClassifier;
use descent_optim::{Sam, SamConfig};

use crate::averaging::{self, AverageReport, Averages, EnsembleReport};
use crate::checkpoint::{self, CheckpointParts, Progress, STATE_FORMAT, TrainerState};
use crate::config::{HeldOut, ValidationData};
use crate::error::TrainError;
use crate::evaluate::{Metrics, correct_count, evaluate, evaluate_ensemble};
use crate::history::{self, EpochRecord};
use crate::layout::{self, RunFolder};
use crate::observer::{Observer, StepInfo};
use crate::options::TrainOptions;
use crate::records;
use crate::rules::{ActiveRules, RateSchedule, Stopped};
use crate::seed::{SeedPurpose, derive};
use crate::trajectory::TrajectoryRecorder;

/// How a call to [`Trainer::fit`] ended.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainReport {
    /// Every completed epoch of the run, including those before a resume.
    pub history: Vec<EpochRecord>,
    /// Metrics on the test set after the last epoch, if a test set was given.
    pub final_test: Option<Metrics>,
    /// Set when an end-of-epoch rule (early stopping, convergence, rate floor) ended the run
    /// before its last epoch.
    pub stopped: Option<Stopped>,
    /// The epoch whose weights the trainer holds at the end when early stopping restored the
    /// best epoch (`final_test` is then that epoch's test metrics).
    pub restored_epoch: Option<usize>,
    /// The weight averages (SWA, EMA) that took at least one update, as saved at the end.
    pub averages: Vec<AverageReport>,
    /// The snapshots kept and their ensemble's test metrics, when snapshots were asked for.
    pub ensemble: Option<EnsembleReport>,
}

/// A model, its optimizer and learning-rate schedule, and where the run stands.
///
/// The loop takes any Burn optimizer ([`ModuleOptimizer`]) and any schedule
/// ([`LrScheduler`], stepped once per optimizer step), so Burn's built-ins and ours plug in
/// alike. Every random draw derives from [`TrainOptions::seed`] and the epoch/step, so a run
/// resumed from a checkpoint ends with the same weights as one that never stopped.
pub struct Trainer<M: ImageClassifier> {
    model: Option<M>,
    optimizer: ModuleOptimizer,
    /// Sharpness-aware minimization around `optimizer`, when the options ask for it.
    sam: Option<Sam>,
    schedule: RateSchedule,
    rules: ActiveRules,
    best_model: Option<M>,
    options: TrainOptions,
    device: Device,
    loss_fn: CrossEntropyLoss,
    state: TrainerState,
    folder: Option<RunFolder>,
    model_config: Option<serde_json::Value>,
    gradient_hook: Option<GradientHook<M>>,
    momentum: Option<CycledMomentum>,
    trajectory: Option<TrajectoryRecorder>,
    averages: Averages<M>,
    /// Snapshots of a run without a folder (with one, they are read back from it).
    snapshots: Vec<(usize, M)>,
    /// The validation split held out of the training set, evaluated after every epoch.
    validation: Option<ValidationData>,
}

/// A momentum set before every step from a schedule (cyclic and one-cycle rates cycle it, as
/// PyTorch's `cycle_momentum`), through the handle the optimizer was built with
/// ([`OptimizerConfig::init_with_momentum`](descent_optim::OptimizerConfig::init_with_momentum)).
/// The momentum is a function of the global step, so a resumed run sets the same values.
#[derive(Clone, Debug)]
pub struct CycledMomentum {
    /// The momentum of each step.
    pub schedule: descent_optim::MomentumSchedule,
    /// The optimizer's handle.
    pub handle: descent_optim::MomentumHandle,
}

/// A transformation of the gradients between backward pass and optimizer step (for example
/// clipping by the global norm over all parameters).
pub type GradientHook<M> = Box<dyn FnMut(&M, GradientsParams) -> GradientsParams + Send>;

/// The model between steps. The trainer holds it in an `Option` only so that [`Trainer::step`]
/// can move it into the optimizer (which returns the updated model) and back; every path out
/// of `step` puts it back, so it is present whenever anything else looks. A free function on
/// the field, so callers can borrow other fields (the trajectory recorder) at the same time.
fn live<M>(model: &Option<M>) -> &M {
    model
        .as_ref()
        .expect("the model is only taken out during a step") // unwrap-ok: only `step` takes it, and restores it
}

impl<M: ImageClassifier> Trainer<M> {
    /// A trainer for `model` (already on `device`; the trainer enables autodiff on it).
    ///
    /// `scheduler` is stepped once per optimizer step. If the options ask for a plateau rule
    /// ([`TrainOptions::rules`]), the trainer wraps `scheduler` in it: the rule scales its rates
    /// and is fed the monitored metric after every epoch.
    pub fn new(
        model: M,
        optimizer: ModuleOptimizer,
        scheduler: Box<dyn LrScheduler>,
        options: TrainOptions,
        device: &Device,
    ) -> Result<Self, TrainError> {
        options.validate()?;
        let schedule = RateSchedule::new(scheduler, &options.rules)?;
        let rules = ActiveRules::new(&options.rules)?;
        let device = device.clone().autodiff();
        let model = model.to_device(&device).train();
        let averages = Averages::new(&options.averaging, &model)?;
        let sam = options.sam.as_ref().map(SamConfig::init).transpose()?;
        Ok(Self {
            model: Some(model),
            optimizer,
            sam,
            schedule,
            rules,
            best_model: None,
            options,
            loss_fn: CrossEntropyLossConfig::new().init(&device),
            device,
            state: TrainerState {
                format: STATE_FORMAT,
                progress: Progress::default(),
                epoch_loss_sum: 0.0,
                epoch_correct: 0,
                epoch_samples: 0,
                history: Vec::new(),
                rules: Default::default(),
                averaging: Default::default(),
                checksums: Default::default(),
                validation: None,
            },
            folder: None,
            model_config: None,
            gradient_hook: None,
            momentum: None,
            trajectory: None,
            averages,
            snapshots: Vec::new(),
            validation: None,
        })
    }

    /// Evaluates `validation` (samples held out of the training set, never trained on) after
    /// every epoch, records its metrics in the history and lets the rules monitor them
    /// ([`Monitor::ValLoss`](crate::Monitor::ValLoss)); `validation.held_out` goes into every
    /// checkpoint, and a resumed run must hold out the same samples.
    pub fn with_validation(mut self, validation: ValidationData) -> Self {
        self.state.validation = Some(validation.held_out);
        self.validation = Some(validation);
        self
    }

    /// Writes logs and checkpoints into `folder` (created if missing).
    pub fn with_folder(mut self, folder: RunFolder) -> Self {
        self.folder = Some(folder);
        self
    }

    /// Stores the model's configuration in every checkpoint as `model.json`, so a checkpoint
    /// folder can be loaded on its own (`descent eval`).
    pub fn with_model_config(mut self, config: serde_json::Value) -> Self {
        self.model_config = Some(config);
        self
    }

    /// Transforms every step's gradients before the optimizer sees them.
    pub fn with_gradient_hook(mut self, hook: GradientHook<M>) -> Self {
        self.gradient_hook = Some(hook);
        self
    }

    /// Sets the optimizer's momentum before every step from `momentum.schedule` (see
    /// [`CycledMomentum`]).
    pub fn with_momentum(mut self, momentum: CycledMomentum) -> Self {
        self.momentum = Some(momentum);
        self
    }

    /// The model being trained.
    pub fn model(&self) -> &M {
        live(&self.model)
    }

    /// Consumes the trainer, returning the model.
    pub fn into_model(self) -> M {
        self.model
            .expect("the model is only taken out during a step") // unwrap-ok: only `step` takes it, and restores it
    }

    /// Where the run stands.
    pub fn progress(&self) -> Progress {
        self.state.progress
    }

    /// The completed epochs.
    pub fn history(&self) -> &[EpochRecord] {
        &self.state.history
    }

    /// The loop's settings.
    pub fn options(&self) -> &TrainOptions {
        &self.options
    }

    /// Restores model, optimizer, schedule and progress from a checkpoint folder written by a
    /// trainer built with the same configuration.
    pub fn load_checkpoint(&mut self, dir: &Path) -> Result<(), TrainError> {
        let state = checkpoint::read_state(dir)?;
        let held_out = self.validation.as_ref().map(|v| v.held_out);
        if state.validation != held_out {
            let describe = |h: Option<HeldOut>| match h {
                Some(h) => format!("{} samples (fingerprint {:016x})", h.samples, h.fingerprint),
                None => "no samples".into(),
            };
            return Err(TrainError::BadCheckpoint {
                path: dir.join(layout::STATE),
                reason: format!(
                    "the run held out {} for validation, this one holds out {}",
                    describe(state.validation),
                    describe(held_out)
                ),
            });
        }
        // Load into a copy without autodiff, then move it onto the autodiff device as `new`
        // does: loading straight into tracked parameters would make them non-leaf tensors.
        let plain = self.model().valid();
        let sums = &state.checksums;
        let model_path = dir.join(layout::MODEL);
        let bytes = records::read(dir, layout::MODEL)?;
        let check = records::verify(dir, layout::MODEL, &bytes, sums);
        let loaded = records::load_module_bytes(plain, bytes, &model_path)?;
        check?;

        let optim_path = dir.join(layout::OPTIMIZER);
        let bytes = records::read(dir, layout::OPTIMIZER)?;
        let check = records::verify(dir, layout::OPTIMIZER, &bytes, sums);
        // Checked beyond `from_bytes`: some damaged records make Burn's `load_record` panic.
        let optim_record = records::parse_optimizer(bytes, &optim_path)?;
        check?;

        let sched_path = dir.join(layout::SCHEDULER);
        let bytes = records::read(dir, layout::SCHEDULER)?;
        records::verify(dir, layout::SCHEDULER, &bytes, sums)?;
        let record = LrSchedulerRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| {
            TrainError::BadCheckpoint {
                path: sched_path,
                reason: format!("not a schedule state: {e}"),
            }
        })?;
        // Every record is checked before any of them is used.
        self.model = Some(loaded.to_device(&self.device).train());
        self.optimizer = self.optimizer.clone().load_record(optim_record);
        self.schedule.load_record(record);
        self.rules.load(&state.rules);
        if let Some(live) = &self.model {
            self.averages.load(
                &self.options.averaging,
                live,
                dir,
                state.averaging,
                &state.checksums,
            )?;
        }
        self.best_model = None;
        self.snapshots.clear();
        self.state = state;
        Ok(())
    }

    /// The checkpoint on disk that a stopped run goes back to, if one was written.
    fn last_checkpoint(&self) -> Option<PathBuf> {
        self.folder
            .as_ref()
            .map(RunFolder::checkpoint)
            .filter(|dir| dir.join(layout::STATE).is_file())
    }

    /// Checks the progress of a loaded checkpoint against `train_len` training samples and
    /// the options: the step within the epoch lies inside it, and the history, the step
    /// count and the epoch's sums agree with it. A state that fails would resume with an
    /// empty or overlapping epoch (and write `NaN` metrics).
    ///
    /// # Errors
    ///
    /// [`TrainError::BadCheckpoint`] naming the checkpoint and the first inconsistency.
    pub fn check_progress(&self, train_len: usize) -> Result<(), TrainError> {
        let steps = self.options.steps_per_epoch(train_len);
        let p = self.state.progress;
        let bad = |reason: String| TrainError::BadCheckpoint {
            path: self
                .folder
                .as_ref()
                .map_or_else(|| PathBuf::from(layout::STATE), RunFolder::checkpoint),
            reason: format!("{}: {reason}", layout::STATE),
        };
        if p.step_in_epoch >= steps.max(1) {
            return Err(bad(format!(
                "step_in_epoch {} is past the end of an epoch of {steps} steps ({train_len} \
                 samples in batches of {})",
                p.step_in_epoch, self.options.batch_size
            )));
        }
        if self.state.history.len() != p.epoch {
            return Err(bad(format!(
                "{} epochs are complete but the history holds {}",
                p.epoch,
                self.state.history.len()
            )));
        }
        let expected = (p.epoch as u64)
            .checked_mul(steps as u64)
            .and_then(|s| s.checked_add(p.step_in_epoch as u64));
        if expected != Some(p.global_step) {
            return Err(bad(format!(
                "global_step {} is not {} epochs of {steps} steps and {} more",
                p.global_step, p.epoch, p.step_in_epoch
            )));
        }
        let samples = p.step_in_epoch.saturating_mul(self.options.batch_size);
        if self.state.epoch_samples != samples {
            return Err(bad(format!(
                "epoch_samples {} is not {} steps of {} samples",
                self.state.epoch_samples, p.step_in_epoch, self.options.batch_size
            )));
        }
        Ok(())
    }

    /// Writes a checkpoint of the current state into the run folder's `checkpoint/`.
    pub fn save_checkpoint(&self) -> Result<Option<PathBuf>, TrainError> {
        let Some(folder) = &self.folder else {
            return Ok(None);
        };
        // A checkpoint is where a diverged run goes back to: never save weights that already
        // overflowed (the loss of the step that made them was still finite).
        if let Some((tensor, value)) = records::first_non_finite(self.model()) {
            let progress = self.state.progress;
            return Err(TrainError::NonFiniteWeights {
                epoch: if progress.step_in_epoch == 0 {
                    progress.epoch
                } else {
                    progress.epoch + 1
                },
                global_step: progress.global_step,
                tensor,
                value,
                checkpoint: self.last_checkpoint(),
            });
        }
        let path = folder.checkpoint();
        let bad = |what: &str, e: &dyn std::fmt::Display| TrainError::BadCheckpoint {
            path: path.clone(),
            reason: format!("cannot serialize the {what}: {e}"),
        };
        let parts = CheckpointParts {
            model: records::module_bytes(self.model())?,
            optimizer: self
                .optimizer
                .into_bytes()
                .map_err(|e| bad("optimizer", &e))?,
            scheduler: self
                .schedule
                .to_record()
                .into_bytes()
                .map_err(|e| bad("schedule", &e))?,
            state: TrainerState {
                averaging: self.averages.state(),
                ..self.state.clone()
            },
            model_config: self.model_config.clone(),
            extra_models: self.averages.checkpoint_files()?,
        };
        checkpoint::save(&path, &parts)?;
        Ok(Some(path))
    }

    /// Trains until [`TrainOptions::epochs`] epochs are complete, evaluating on `test` after
    /// each epoch and checkpointing into the run folder (if any).
    ///
    /// A non-finite loss stops the run with [`TrainError::Diverged`] before the bad step is
    /// applied or saved: the last checkpoint on disk stays the last good one.
    pub fn fit(
        &mut self,
        train: &ImageDataset,
        test: Option<&ImageDataset>,
        batcher: &ImageBatcher,
        observer: &mut dyn Observer,
    ) -> Result<TrainReport, TrainError> {
        self.prepare_run(train, test, observer)?;
        let steps = self.options.steps_per_epoch(train.len());
        let epochs = self.options.epochs;
        while self.state.progress.epoch < epochs && self.state.rules.stopped.is_none() {
            let epoch = self.state.progress.epoch + 1;
            let started = Instant::now();
            let lr = self.run_epoch_steps(train, batcher, epoch, steps, observer)?;
            let record = self.epoch_record(epoch, lr, started, test, batcher);
            let stopped = self.end_epoch(&record, observer)?;
            if epoch < epochs && stopped.is_none() && observer.interrupt_requested() {
                // The epoch's checkpoint was just written.
                return Err(TrainError::Interrupted {
                    epoch,
                    step: steps,
                    global_step: self.state.progress.global_step,
                    checkpoint: self.folder.as_ref().map(RunFolder::checkpoint),
                });
            }
        }
        self.finish_run(train, test, batcher, observer)
    }

    /// Checks the data and the options against each other before the first step, makes the
    /// run folder and opens the trajectory recorder (recording the start when at step 0).
    fn prepare_run(
        &mut self,
        train: &ImageDataset,
        test: Option<&ImageDataset>,
        observer: &mut dyn Observer,
    ) -> Result<(), TrainError> {
        if train.is_empty() {
            return Err(TrainError::InvalidOption {
                field: "training set",
                value: train.name().to_string(),
                reason: "holds no samples".into(),
            });
        }
        self.check_progress(train.len())?;
        self.check_monitors(test, observer)?;
        if let Some(folder) = &self.folder {
            std::fs::create_dir_all(&folder.dir)
                .map_err(|e| TrainError::io("creating", &folder.dir, e))?;
        }
        if let Some(config) = self.options.trajectory {
            let Some(folder) = &self.folder else {
                return Err(TrainError::InvalidOption {
                    field: "trajectory_every",
                    value: config.every.to_string(),
                    reason: "trajectory snapshots need a run folder".into(),
                });
            };
            let step = self.state.progress.global_step;
            let mut recorder = TrajectoryRecorder::open(&folder.dir, config, step)?;
            if step == 0 {
                recorder.record(self.model(), 0, 0)?;
            }
            self.trajectory = Some(recorder);
        }
        Ok(())
    }

    /// Checks that every metric a rule watches will be there (a test set, a validation
    /// split), and warns through `observer` when a rule tunes on the test set.
    fn check_monitors(
        &self,
        test: Option<&ImageDataset>,
        observer: &mut dyn Observer,
    ) -> Result<(), TrainError> {
        if test.is_none() && self.options.rules.needs_test_set() {
            return Err(TrainError::InvalidOption {
                field: "monitor",
                value: "test".into(),
                reason: "a rule watches a test metric but no test set was given".into(),
            });
        }
        if self.validation.is_none() && self.options.rules.needs_validation_set() {
            return Err(TrainError::InvalidOption {
                field: "monitor",
                value: "val".into(),
                reason: "a rule watches a validation metric but the run holds out no \
                         validation split"
                    .into(),
            });
        }
        if let Some(monitor) = self.options.rules.monitors().find(|m| m.needs_test_set()) {
            observer.warning(&format!(
                "a rule monitors {monitor}: it tunes on the test set, which is meant to measure \
                 the result (hold out a validation split and monitor val-loss instead)"
            ));
        }
        Ok(())
    }

    /// The optimizer steps of epoch `epoch` that remain (all of them, or those after a resume
    /// point inside it), each followed by what is due after a step: averaging, a trajectory
    /// point, a mid-epoch checkpoint, an interruption. Returns the last step's learning rate
    /// (NaN when no step remained).
    fn run_epoch_steps(
        &mut self,
        train: &ImageDataset,
        batcher: &ImageBatcher,
        epoch: usize,
        steps: usize,
        observer: &mut dyn Observer,
    ) -> Result<f64, TrainError> {
        let order = if self.options.shuffle {
            shuffled_indices(
                train.len(),
                derive(self.options.seed, SeedPurpose::Shuffle, epoch as u64),
            )
        } else {
            (0..train.len()).collect()
        };
        let first = self.state.progress.step_in_epoch;
        observer.epoch_started(epoch, self.options.epochs, first, steps);
        let mut lr = f64::NAN;
        for (index, chunk) in order
            .chunks(self.options.batch_size)
            .enumerate()
            .skip(first)
        {
            lr = self.step(train, batcher, chunk, epoch, index + 1, steps, observer)?;
            let global_step = self.state.progress.global_step;
            self.averages.after_step(
                &self.options.averaging,
                live(&self.model),
                epoch,
                global_step,
            )?;
            if let Some(recorder) = &mut self.trajectory
                && recorder.config().due_after_step(global_step)
            {
                recorder.record(live(&self.model), epoch, global_step)?;
            }
            if let Some(every) = self.options.checkpoint_every_steps
                && global_step.is_multiple_of(every)
                && index + 1 < steps
                && let Some(path) = self.save_checkpoint()?
            {
                observer.checkpoint_written(&path);
            }
            // On the epoch's last step the epoch is finished first (evaluated and saved).
            if index + 1 < steps && observer.interrupt_requested() {
                let checkpoint = self.save_checkpoint()?;
                return Err(TrainError::Interrupted {
                    epoch,
                    step: index + 1,
                    global_step,
                    checkpoint,
                });
            }
        }
        Ok(lr)
    }

    /// What epoch `epoch` did: its training metrics (summed over its steps), the validation
    /// split's and the test set's metrics after it, its last learning rate and its duration.
    fn epoch_record(
        &self,
        epoch: usize,
        lr: f64,
        started: Instant,
        test: Option<&ImageDataset>,
        batcher: &ImageBatcher,
    ) -> EpochRecord {
        let seconds = started.elapsed().as_secs_f64();
        let train = self.state.epoch_sum().finish().unwrap_or(Metrics {
            loss: f64::NAN,
            accuracy: f64::NAN,
            samples: 0,
        });
        let eval = |set: &ImageDataset| {
            evaluate(
                self.model(),
                set,
                batcher,
                self.options.eval_batch_size,
                &self.device,
            )
        };
        let validation = self.validation.as_ref().and_then(|v| eval(&v.data));
        let test = test.and_then(eval);
        // Resumed exactly at an epoch's end: the last lr is in the history.
        let lr = if lr.is_nan() {
            self.state.history.last().map_or(f64::NAN, |r| r.lr)
        } else {
            lr
        };
        EpochRecord {
            epoch,
            global_step: self.state.progress.global_step,
            lr,
            train,
            validation,
            test,
            seconds,
        }
    }

    /// Everything due at an epoch's end, in order: the rules' verdict (plateau, early stopping,
    /// the best weights kept), the trajectory point, averaging and snapshots, the new state,
    /// the logs and the checkpoint, then the observer's news. Returns why the run stops, if a
    /// rule stopped it.
    fn end_epoch(
        &mut self,
        record: &EpochRecord,
        observer: &mut dyn Observer,
    ) -> Result<Option<Stopped>, TrainError> {
        let epoch = record.epoch;
        let verdict = self.rules.after_epoch(record, &mut self.schedule);
        if verdict.improved && self.options.rules.restore_best() {
            self.keep_best()?;
        }
        let stopped = verdict.stop.map(|reason| Stopped {
            epoch,
            reason: reason.to_string(),
        });
        if let Some(recorder) = &mut self.trajectory
            && recorder.config().due_after_epoch(epoch)
        {
            recorder.record(live(&self.model), epoch, self.state.progress.global_step)?;
        }
        self.end_of_epoch_averaging(epoch)?;
        self.state.rules = self.rules.save(stopped.clone());
        self.state.history.push(record.clone());
        self.state.progress.epoch = epoch;
        self.state.progress.step_in_epoch = 0;
        self.state.epoch_loss_sum = 0.0;
        self.state.epoch_correct = 0;
        self.state.epoch_samples = 0;
        if let Some(folder) = &self.folder {
            history::write_logs(&folder.dir, &self.state.history)?;
        }
        if let Some(path) = self.save_checkpoint()? {
            observer.checkpoint_written(&path);
        }
        observer.epoch_finished(record);
        if let Some((from, to)) = verdict.reduced {
            observer.lr_reduced(epoch, from, to);
        }
        if let Some(stopped) = &stopped {
            observer.stopped(stopped);
        }
        Ok(stopped)
    }

    /// After the last epoch: the best epoch's weights restored (early stopping), the averages
    /// finished and evaluated, the snapshot ensemble evaluated, and the report.
    fn finish_run(
        &mut self,
        train: &ImageDataset,
        test: Option<&ImageDataset>,
        batcher: &ImageBatcher,
        observer: &mut dyn Observer,
    ) -> Result<TrainReport, TrainError> {
        let mut final_test = self.state.history.last().and_then(|r| r.test);
        let mut restored_epoch = None;
        if self.options.rules.restore_best()
            && let Some(best) = self.rules.best_epoch()
            && best != self.state.progress.epoch
        {
            self.restore_best()?;
            final_test = self.state.history.get(best - 1).and_then(|r| r.test);
            restored_epoch = Some(best);
            observer.best_restored(best);
        }
        let averages = self.finish_averages(train, test, batcher, observer)?;
        let ensemble = self.finish_snapshots(test, batcher)?;
        Ok(TrainReport {
            history: self.state.history.clone(),
            final_test,
            stopped: self.state.rules.stopped.clone(),
            restored_epoch,
            averages,
            ensemble,
        })
    }

    /// Folds the epoch's final weights into SWA (when due) and keeps a snapshot (when due),
    /// before the epoch's checkpoint is written.
    fn end_of_epoch_averaging(&mut self, epoch: usize) -> Result<(), TrainError> {
        let live = live(&self.model);
        self.averages
            .after_epoch(&self.options.averaging, live, epoch)?;
        if let Some(snapshots) = &self.options.averaging.snapshots
            && snapshots.is_due(epoch)
        {
            let snapshot = live.valid();
            // With a run folder the snapshot lives there (read back for the ensemble at the
            // end), so the run does not hold one model per snapshot in memory meanwhile.
            match &self.folder {
                Some(folder) => averaging::write_model_dir(
                    &folder.snapshot(epoch),
                    &records::module_bytes(&snapshot)?,
                    self.model_config.as_ref(),
                    None,
                )?,
                None => self.snapshots.push((epoch, snapshot)),
            }
        }
        Ok(())
    }

    /// Recomputes the averages' batch-norm statistics, evaluates them on `test` and writes
    /// each into the run folder (`swa/`, `ema/`), and the SWAG posterior (`swag.bin`).
    fn finish_averages(
        &mut self,
        train: &ImageDataset,
        test: Option<&ImageDataset>,
        batcher: &ImageBatcher,
        observer: &mut dyn Observer,
    ) -> Result<Vec<AverageReport>, TrainError> {
        let mut reports = Vec::new();
        let options = &self.options.averaging;
        for (name, average) in [
            (layout::SWA_DIR, &self.averages.swa),
            (layout::EMA_DIR, &self.averages.ema),
        ] {
            let Some(average) = average else { continue };
            if average.n_averaged() == 0 {
                continue;
            }
            let (model, recomputed) = averaging::finish(
                average,
                options,
                train,
                batcher,
                self.options.batch_size,
                &self.device,
            )?;
            let test = test.and_then(|set| {
                evaluate(
                    &model,
                    set,
                    batcher,
                    self.options.eval_batch_size,
                    &self.device,
                )
            });
            let report = AverageReport {
                name: name.to_string(),
                updates: average.n_averaged(),
                batch_norm_recomputed: recomputed,
                test,
            };
            if let Some(folder) = &self.folder {
                let dir = folder.average(name);
                let bytes = records::module_bytes(&model)?;
                averaging::write_model_dir(
                    &dir,
                    &bytes,
                    self.model_config.as_ref(),
                    Some(&report),
                )?;
                observer.checkpoint_written(&dir);
            }
            reports.push(report);
        }
        if let (Some(swag), Some(folder)) = (&self.averages.swag, &self.folder)
            && swag.n_models() > 0
        {
            let path = folder.dir.join(layout::SWAG_FILE);
            descent_files::write_file(&path, &swag.to_bytes())?;
            observer.checkpoint_written(&path);
        }
        Ok(reports)
    }

    /// Evaluates the snapshot ensemble on `test` (reading back snapshots an earlier process
    /// of this run wrote).
    fn finish_snapshots(
        &mut self,
        test: Option<&ImageDataset>,
        batcher: &ImageBatcher,
    ) -> Result<Option<EnsembleReport>, TrainError> {
        let Some(snapshots) = &self.options.averaging.snapshots else {
            return Ok(None);
        };
        let mut members = Vec::new();
        let mut epochs = Vec::new();
        for epoch in snapshots.due_epochs(self.state.progress.epoch) {
            let member = match self.snapshots.iter().find(|(e, _)| *e == epoch) {
                Some((_, model)) => model.clone(),
                None => {
                    let Some(folder) = &self.folder else { continue };
                    let path = folder.snapshot(epoch).join(layout::MODEL);
                    records::load_module(self.model().valid(), &path)?
                }
            };
            members.push(member);
            epochs.push(epoch);
        }
        let test = match (test, members.is_empty()) {
            (Some(set), false) => evaluate_ensemble(
                &members,
                set,
                batcher,
                self.options.eval_batch_size,
                &self.device,
            )?,
            _ => None,
        };
        Ok(Some(EnsembleReport { epochs, test }))
    }

    /// Keeps the current weights as the best so far: in memory, and in the run folder's
    /// `best/` (written before the checkpoint that records this epoch as best, so a resumed
    /// run always finds them).
    fn keep_best(&mut self) -> Result<(), TrainError> {
        let best = self.model().valid();
        if let Some(folder) = &self.folder {
            let dir = folder.best();
            std::fs::create_dir_all(&dir).map_err(|e| TrainError::io("creating", &dir, e))?;
            let bytes = records::module_bytes(&best)?;
            descent_files::write_file(&dir.join(layout::MODEL), &bytes)?;
            if let Some(config) = &self.model_config {
                let text =
                    serde_json::to_vec_pretty(config).map_err(|e| TrainError::BadCheckpoint {
                        path: dir.clone(),
                        reason: e.to_string(),
                    })?;
                descent_files::write_file(&dir.join(layout::MODEL_CARD), &text)?;
            }
        }
        self.best_model = Some(best);
        Ok(())
    }

    /// Replaces the weights by the best epoch's: kept in memory, or (after a resume) read back
    /// from the run folder's `best/`.
    fn restore_best(&mut self) -> Result<(), TrainError> {
        let best = match self.best_model.take() {
            Some(best) => best,
            None => {
                let folder = self
                    .folder
                    .as_ref()
                    .ok_or_else(|| TrainError::BadCheckpoint {
                        path: PathBuf::from("best"),
                        reason: "the best epoch's weights were neither kept in memory nor in a \
                             run folder"
                            .into(),
                    })?;
                let path = folder.best().join(layout::MODEL);
                records::load_module(self.model().valid(), &path)?
            }
        };
        self.model = Some(best.to_device(&self.device).train());
        Ok(())
    }

    /// One optimizer step on the samples `chunk`; returns the learning rate used.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        train: &ImageDataset,
        batcher: &ImageBatcher,
        chunk: &[usize],
        epoch: usize,
        step: usize,
        steps: usize,
        observer: &mut dyn Observer,
    ) -> Result<f64, TrainError> {
        let global_step = self.state.progress.global_step + 1;
        let seed = self.options.seed;
        // Dropout draws from the device generator: reseed it per step so a resumed run draws
        // the same masks.
        self.device
            .seed(derive(seed, SeedPurpose::Dropout, global_step));
        let batch = batcher.batch_indices(
            train,
            chunk,
            derive(seed, SeedPurpose::Augment, global_step),
            &self.device,
        );
        let model = self.model.take().expect("model present between steps"); // unwrap-ok: only `step` takes it, and restores it
        let logits = model.logits(batch.images.clone());
        let loss = self.loss_fn.forward(logits.clone(), batch.targets.clone());
        let correct = correct_count(logits.detach(), batch.targets.clone());
        // One read for both numbers: a single host-device round trip per step.
        let stats = Tensor::cat(vec![loss.clone().detach(), correct.float()], 0)
            .into_data()
            .try_into_vec::<f32>()
            .unwrap_or_else(|_| vec![f32::NAN, 0.0]);
        let (loss_value, correct_value) = (stats[0], stats[1]);
        if !loss_value.is_finite() {
            self.model = Some(model);
            return Err(TrainError::Diverged {
                epoch,
                step,
                global_step,
                value: loss_value,
                checkpoint: self.last_checkpoint(),
            });
        }
        let lr = self.schedule.step();
        if let Some(momentum) = &self.momentum {
            // Step `global_step` (from 1) trains with the schedule's rate number
            // `global_step - 1` (from 0), and so with its momentum.
            let index = usize::try_from(global_step - 1).unwrap_or(usize::MAX);
            momentum.handle.set(momentum.schedule.at(index));
        }
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.descend(lr, model, grads, batch.images, batch.targets));

        self.state.progress.global_step = global_step;
        self.state.progress.step_in_epoch = step;
        self.state.epoch_loss_sum += f64::from(loss_value) * chunk.len() as f64;
        self.state.epoch_correct += correct_value.round() as u64;
        self.state.epoch_samples += chunk.len();
        observer.step_finished(&StepInfo {
            epoch,
            epochs: self.options.epochs,
            step,
            steps_per_epoch: steps,
            global_step,
            loss: loss_value,
            lr,
        });
        Ok(lr)
    }

    /// The optimizer's step from `model` with the gradients `grads` of the batch
    /// (`images`, `targets`) taken there, through the gradient hook; with SAM the gradients
    /// the step uses are those at the ascent point, a second forward and backward pass
    /// ([`Sam::step`]: batch-norm running statistics are updated by the first pass only).
    fn descend(
        &mut self,
        lr: f64,
        model: M,
        grads: GradientsParams,
        images: Tensor<4>,
        targets: Tensor<1, Int>,
    ) -> M {
        let hook = &mut self.gradient_hook;
        let mut finish = |model: &M, grads| match hook.as_mut() {
            Some(hook) => hook(model, grads),
            None => grads,
        };
        let Some(sam) = &self.sam else {
            let grads = finish(&model, grads);
            return self.optimizer.step(lr, model, grads);
        };
        let loss_fn = &self.loss_fn;
        sam.step(&mut self.optimizer, lr, model, &grads, |ascent| {
            let loss = loss_fn.forward(ascent.logits(images), targets);
            finish(ascent, GradientsParams::from_grads(loss.backward(), ascent))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::Silent;
    use burn::lr_scheduler::constant::ConstantLr;
    use burn::module::Module;
    use burn::optim::SgdConfig;
    use descent_models::MlpConfig;

    fn spirals() -> ImageDataset {
        descent_data::synthetic::spirals(128, 3, 0.05, 1).expect("generates")
    }

    fn trainer(lr: f64, device: &Device) -> Trainer<descent_models::Mlp> {
        device.seed(1);
        let model = MlpConfig::new(2, vec![16], 3).init(device).expect("valid");
        let options = TrainOptions {
            epochs: 1,
            batch_size: 16,
            ..TrainOptions::default()
        };
        Trainer::new(
            model,
            SgdConfig::new().init(),
            Box::new(ConstantLr::new(lr)),
            options,
            device,
        )
        .expect("valid options")
    }

    /// A run folder holding the checkpoint of one sane epoch, and that checkpoint's weights.
    fn one_good_epoch() -> (tempfile::TempDir, RunFolder, Vec<u8>) {
        let device = Device::flex();
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = RunFolder {
            dir: dir.path().to_path_buf(),
        };
        let batcher = ImageBatcher::new(None, None, 0);
        let mut good = trainer(0.1, &device).with_folder(folder.clone());
        good.fit(&spirals(), None, &batcher, &mut Silent)
            .expect("trains");
        let saved = std::fs::read(folder.checkpoint().join("model.bpk")).expect("checkpoint");
        (dir, folder, saved)
    }

    #[test]
    fn divergence_stops_the_run_and_keeps_the_last_good_checkpoint() {
        let (_dir, folder, saved) = one_good_epoch();
        let (device, batcher) = (Device::flex(), ImageBatcher::new(None, None, 0));

        // Continue the same run for a second epoch with an absurd learning rate.
        let mut bad = trainer(1e30, &device).with_folder(folder.clone());
        bad.load_checkpoint(&folder.checkpoint()).expect("loads");
        bad.options.epochs = 2;
        let err = bad
            .fit(&spirals(), None, &batcher, &mut Silent)
            .expect_err("the loss explodes");
        match &err {
            TrainError::Diverged { epoch, step, .. } => {
                assert_eq!(*epoch, 2);
                assert!(
                    *step >= 2,
                    "the first step of epoch 2 still had a finite loss"
                );
            }
            other => panic!("expected Diverged, got {other}"),
        }
        let message = err.to_string();
        assert!(message.contains("smaller learning rate"), "{message}");
        assert_eq!(
            std::fs::read(folder.checkpoint().join("model.bpk")).expect("checkpoint"),
            saved,
            "the last good checkpoint is untouched"
        );
        let state = checkpoint::read_state(&folder.checkpoint()).expect("state");
        assert_eq!(state.progress.epoch, 1);
    }

    #[test]
    fn a_damaged_optimizer_state_is_refused_on_resume_not_a_panic() {
        // Momentum, so that the optimizer state holds tensors.
        let momentum = || {
            let optimizer = descent_optim::OptimizerConfig::from_kind(
                descent_optim::OptimizerKind::Momentum,
                &descent_optim::OptimizerParams::default(),
            )
            .expect("valid")
            .init()
            .expect("valid");
            let device = Device::flex();
            device.seed(1);
            let model = MlpConfig::new(2, vec![16], 3).init(&device).expect("valid");
            Trainer::new(
                model,
                optimizer,
                Box::new(ConstantLr::new(0.1)),
                TrainOptions {
                    epochs: 1,
                    batch_size: 16,
                    ..TrainOptions::default()
                },
                &device,
            )
            .expect("valid options")
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = RunFolder {
            dir: dir.path().to_path_buf(),
        };
        let batcher = ImageBatcher::new(None, None, 0);
        momentum()
            .with_folder(folder.clone())
            .fit(&spirals(), None, &batcher, &mut Silent)
            .expect("trains");
        let path = folder.checkpoint().join(layout::OPTIMIZER);
        let mut bytes = std::fs::read(&path).expect("optimizer.bpk");
        // The checkpoint fuzz target's finding: one changed byte of a key, and Burn's
        // `load_record` panicked on a state tensor without a parameter id.
        let at = bytes
            .windows(8)
            .position(|w| w == b"param_id")
            .expect("the key is in the file");
        bytes[at] = b'q';
        std::fs::write(&path, bytes).expect("write");
        let mut resumed = momentum().with_folder(folder.clone());
        let err = resumed
            .load_checkpoint(&folder.checkpoint())
            .expect_err("refused");
        assert!(err.to_string().contains("names no parameter"), "{err}");
    }

    #[test]
    fn weights_that_overflow_are_never_checkpointed() {
        let (_dir, folder, saved) = one_good_epoch();
        let (device, batcher) = (Device::flex(), ImageBatcher::new(None, None, 0));

        // A rate beyond f32's range: the first step's loss is finite (it is computed before
        // the update) but the update leaves the weights infinite or NaN, and the checkpoint
        // due right after that step must refuse them.
        let mut bad = trainer(1e300, &device).with_folder(folder.clone());
        bad.load_checkpoint(&folder.checkpoint()).expect("loads");
        bad.options.epochs = 2;
        bad.options.checkpoint_every_steps = Some(1);
        let err = bad
            .fit(&spirals(), None, &batcher, &mut Silent)
            .expect_err("the weights overflow");
        match &err {
            TrainError::NonFiniteWeights {
                epoch,
                global_step,
                value,
                ..
            } => {
                assert_eq!(*epoch, 2);
                assert_eq!(*global_step, state_steps(&folder) + 1);
                assert!(!value.is_finite());
            }
            other => panic!("expected NonFiniteWeights, got {other}"),
        }
        assert!(err.to_string().contains("smaller learning rate"), "{err}");
        assert_eq!(
            std::fs::read(folder.checkpoint().join("model.bpk")).expect("checkpoint"),
            saved,
            "the last good checkpoint is untouched"
        );
    }

    fn state_steps(folder: &RunFolder) -> u64 {
        checkpoint::read_state(&folder.checkpoint())
            .expect("state")
            .progress
            .global_step
    }

    #[test]
    fn finite_weights_pass_the_check_and_each_kind_of_overflow_is_found() {
        let device = Device::flex();
        let model = trainer(0.1, &device).model().clone();
        assert_eq!(records::first_non_finite(&model), None);
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let broken = model.clone().map(&mut SetFirst(bad));
            let (tensor, value) = records::first_non_finite(&broken).expect("found");
            assert!(tensor.starts_with("tensor 1 of "), "{tensor}");
            assert_eq!(value.to_bits(), bad.to_bits());
        }
    }

    /// Puts `self.0` into the first value of the first tensor of a module.
    struct SetFirst(f32);

    impl burn::module::ModuleMapper for SetFirst {
        fn map_float<const D: usize>(
            &mut self,
            param: burn::module::Param<Tensor<D>>,
        ) -> burn::module::Param<Tensor<D>> {
            if self.0.is_finite() {
                return param;
            }
            let value = std::mem::replace(&mut self.0, 0.0);
            param.map(|tensor| {
                let device = tensor.device();
                let dims = tensor.dims().to_vec();
                let mut data = tensor.into_data().try_to_vec::<f32>().expect("f32");
                data[0] = value;
                Tensor::from_data(burn::tensor::TensorData::new(data, dims), &device)
            })
        }
    }

    #[test]
    fn full_batch_and_per_example_descent_take_the_expected_number_of_steps() {
        let device = Device::flex();
        let batcher = ImageBatcher::new(None, None, 0);
        for (batch_size, steps) in [(128, 1), (1000, 1), (1, 128), (50, 3)] {
            let mut t = trainer(0.05, &device);
            t.options.batch_size = batch_size;
            let report = t
                .fit(&spirals(), None, &batcher, &mut Silent)
                .expect("trains");
            assert_eq!(report.history[0].global_step, steps, "batch {batch_size}");
            assert_eq!(report.history[0].train.samples, 128);
        }
    }

    /// Early stopping on a rule that only the first epoch can satisfy: the run stops at epoch
    /// 3 (patience 2), ends with epoch 1's weights, and a run interrupted after epoch 2 and
    /// resumed stops and restores identically (the best weights come back from `best/`).
    #[test]
    fn early_stopping_restores_the_best_epoch_and_resumes_exactly() {
        use crate::rules::{EarlyStoppingOptions, EpochRules, Monitor};
        use descent_optim::EarlyStoppingConfig;

        let device = Device::flex();
        let batcher = ImageBatcher::new(None, None, 0);
        let model = trainer(0.1, &device).into_model().valid();
        let options = |epochs| TrainOptions {
            epochs,
            batch_size: 16,
            rules: EpochRules {
                early_stopping: Some(EarlyStoppingOptions {
                    monitor: Monitor::TrainAccuracy,
                    // Accuracy never rises by a whole 1.0 after the first epoch.
                    rule: EarlyStoppingConfig::new()
                        .with_mode(descent_optim::MetricMode::Max)
                        .with_patience(2)
                        .with_min_delta(1.0)
                        .with_restore_best(true),
                }),
                ..EpochRules::default()
            },
            ..TrainOptions::default()
        };
        let build = |epochs, folder: &RunFolder| {
            Trainer::new(
                model.clone(),
                SgdConfig::new().init(),
                Box::new(ConstantLr::new(0.1)),
                options(epochs),
                &device,
            )
            .expect("valid")
            .with_folder(folder.clone())
        };
        let weights = |t: &Trainer<descent_models::Mlp>| {
            records::module_bytes(&t.model().valid()).expect("serializes")
        };

        let straight_dir = tempfile::tempdir().expect("tempdir");
        let straight_folder = RunFolder {
            dir: straight_dir.path().to_path_buf(),
        };
        let mut straight = build(10, &straight_folder);
        let report = straight
            .fit(&spirals(), None, &batcher, &mut Silent)
            .expect("trains");
        assert_eq!(report.history.len(), 3);
        assert_eq!(report.stopped.as_ref().map(|s| s.epoch), Some(3));
        assert_eq!(report.restored_epoch, Some(1));
        let best = std::fs::read(straight_folder.best().join("model.bpk")).expect("best");
        let last = std::fs::read(straight_folder.checkpoint().join("model.bpk")).expect("last");
        assert_eq!(weights(&straight).to_vec(), best);
        assert_ne!(best, last, "epochs 2 and 3 changed the weights");

        let one_dir = tempfile::tempdir().expect("tempdir");
        let mut one_epoch = build(
            1,
            &RunFolder {
                dir: one_dir.path().to_path_buf(),
            },
        );
        one_epoch
            .fit(&spirals(), None, &batcher, &mut Silent)
            .expect("trains");
        assert_eq!(weights(&one_epoch), weights(&straight), "epoch 1's weights");

        let resumed_dir = tempfile::tempdir().expect("tempdir");
        let resumed_folder = RunFolder {
            dir: resumed_dir.path().to_path_buf(),
        };
        let mut first = build(2, &resumed_folder);
        let report = first
            .fit(&spirals(), None, &batcher, &mut Silent)
            .expect("trains");
        assert!(report.stopped.is_none());
        let mut resumed = build(10, &resumed_folder);
        resumed
            .load_checkpoint(&resumed_folder.checkpoint())
            .expect("loads");
        let report = resumed
            .fit(&spirals(), None, &batcher, &mut Silent)
            .expect("trains");
        assert_eq!(report.stopped.as_ref().map(|s| s.epoch), Some(3));
        assert_eq!(report.restored_epoch, Some(1));
        assert_eq!(weights(&resumed), weights(&straight));

        // A stopped run stays stopped when resumed again.
        let mut again = build(10, &resumed_folder);
        again
            .load_checkpoint(&resumed_folder.checkpoint())
            .expect("loads");
        let report = again
            .fit(&spirals(), None, &batcher, &mut Silent)
            .expect("trains");
        assert_eq!(report.history.len(), 3);
        assert_eq!(weights(&again), weights(&straight));
    }

    /// A one-cycle run with cycled momentum (Adam's beta1 and SGD's momentum), stopped after
    /// two of its four epochs and resumed, ends with the weights of the run that never stopped;
    /// and the cycled momentum changes them (it is applied).
    #[test]
    fn cycled_momentum_resumes_exactly() {
        use descent_optim::schedule::ScheduleKind;
        use descent_optim::{
            AdamConfig, MomentumConfig, MomentumHandle, OptimizerConfig, SgdConfig as OurSgd,
        };

        let device = Device::flex();
        let batcher = ImageBatcher::new(None, None, 0);
        let model = trainer(0.1, &device).into_model().valid();
        let schedule = ScheduleKind::OneCycle.default_config();
        let steps_per_epoch = TrainOptions {
            batch_size: 16,
            ..TrainOptions::default()
        }
        .steps_per_epoch(spirals().len());
        for optimizer in [
            OptimizerConfig::Adam(AdamConfig::new()),
            OptimizerConfig::Sgd(OurSgd::new().with_momentum(Some(MomentumConfig::new(0.9)))),
        ] {
            let build = |epochs, folder: &RunFolder, cycled: bool| {
                let rates = schedule.init(0.05, steps_per_epoch, 4).expect("valid");
                let momentum = schedule.momentum(0.05, steps_per_epoch, 4).expect("valid");
                let handle = MomentumHandle::new();
                let options = TrainOptions {
                    epochs,
                    batch_size: 16,
                    ..TrainOptions::default()
                };
                let optim = if cycled {
                    optimizer.init_with_momentum(&handle)
                } else {
                    optimizer.init()
                };
                let t = Trainer::new(
                    model.clone(),
                    optim.expect("valid"),
                    Box::new(rates),
                    options,
                    &device,
                )
                .expect("valid")
                .with_folder(folder.clone());
                match (cycled, momentum) {
                    (true, Some(schedule)) => t.with_momentum(CycledMomentum { schedule, handle }),
                    _ => t,
                }
            };
            let weights = |t: &Trainer<descent_models::Mlp>| {
                records::module_bytes(&t.model().valid()).expect("serializes")
            };
            let folder = || {
                let dir = tempfile::tempdir().expect("tempdir");
                let folder = RunFolder {
                    dir: dir.path().to_path_buf(),
                };
                (dir, folder)
            };

            let (_straight_dir, straight_folder) = folder();
            let mut straight = build(4, &straight_folder, true);
            straight
                .fit(&spirals(), None, &batcher, &mut Silent)
                .expect("trains");

            let (_resumed_dir, resumed_folder) = folder();
            build(2, &resumed_folder, true)
                .fit(&spirals(), None, &batcher, &mut Silent)
                .expect("trains");
            let mut resumed = build(4, &resumed_folder, true);
            resumed
                .load_checkpoint(&resumed_folder.checkpoint())
                .expect("loads");
            resumed
                .fit(&spirals(), None, &batcher, &mut Silent)
                .expect("trains");
            assert_eq!(weights(&resumed), weights(&straight), "{optimizer:?}");

            let (_plain_dir, plain_folder) = folder();
            let mut plain = build(4, &plain_folder, false);
            plain
                .fit(&spirals(), None, &batcher, &mut Silent)
                .expect("trains");
            assert_ne!(weights(&plain), weights(&straight), "{optimizer:?}");
        }
    }

    #[test]
    fn a_rule_on_test_metrics_needs_a_test_set() {
        use crate::rules::{EpochRules, Monitor, PlateauOptions};
        use descent_optim::ReduceLrOnPlateauConfig;

        let device = Device::flex();
        let mut t = trainer(0.1, &device);
        t.options.rules = EpochRules {
            plateau: Some(PlateauOptions {
                monitor: Monitor::TestLoss,
                rule: ReduceLrOnPlateauConfig::new(),
            }),
            ..EpochRules::default()
        };
        let err = t
            .fit(
                &spirals(),
                None,
                &ImageBatcher::new(None, None, 0),
                &mut Silent,
            )
            .expect_err("no test set");
        assert!(err.to_string().contains("test set"), "{err}");
    }

    #[test]
    fn a_checkpoint_of_another_architecture_is_refused() {
        let device = Device::flex();
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = RunFolder {
            dir: dir.path().to_path_buf(),
        };
        let batcher = ImageBatcher::new(None, None, 0);
        let mut t = trainer(0.1, &device).with_folder(folder.clone());
        t.fit(&spirals(), None, &batcher, &mut Silent)
            .expect("trains");

        let other = MlpConfig::new(2, vec![8, 8], 3)
            .init(&device)
            .expect("valid");
        let mut wrong = Trainer::new(
            other,
            SgdConfig::new().init(),
            Box::new(ConstantLr::new(0.1)),
            TrainOptions::default(),
            &device,
        )
        .expect("valid");
        let err = wrong
            .load_checkpoint(&folder.checkpoint())
            .expect_err("other architecture");
        assert!(err.to_string().contains("model.bpk"), "{err}");
    }
}
