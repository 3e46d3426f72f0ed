//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use descent::data::{DatasetKind, synthetic::SyntheticImagesConfig};
use descent::models::{MlpConfig, ModelConfig};
use descent::optim::schedule::ScheduleConfig;
use descent::optim::{OptimizerConfig, OptimizerKind, OptimizerParams};
use descent::train::{
    DataConfig, DeviceChoice, ModelCard, NormalizationChoice, Observer, RunConfig, Silent,
    StepInfo, TrainOptions, train_run,
};

/// A small, fast run: an MLP with dropout on 16x16 synthetic images, augmented, with momentum
/// SGD on a cosine schedule, so that resume has to get data order, augmentation, dropout,
/// optimizer state and schedule state all right.
pub fn small_run(epochs: usize) -> RunConfig {
    let mut mlp = MlpConfig::new(0, vec![32], 0);
    mlp.dropout = Some(0.2);
    RunConfig {
        model: ModelConfig::Mlp(mlp),
        data: DataConfig {
            dataset: DatasetKind::Spirals,
            dir: None,
            train_samples: Some(300),
            test_samples: Some(100),
            normalization: NormalizationChoice::FromTrainingSet,
            augmentation: None,
            validation: None,
        },
        optimizer: OptimizerConfig::from_kind(OptimizerKind::Momentum, &OptimizerParams::default())
            .expect("valid optimizer"),
        schedule: ScheduleConfig::Cosine {
            t_max: None,
            eta_min: 0.0,
            unit: Default::default(),
        },
        learning_rate: 0.1,
        training: TrainOptions {
            epochs,
            batch_size: 32,
            eval_batch_size: 64,
            seed: 5,
            shuffle: true,
            checkpoint_every_steps: None,
            rules: Default::default(),
            trajectory: None,
            averaging: Default::default(),
            sam: None,
        },
    }
}

/// A synthetic image set of `n` samples with the given seed.
pub fn synthetic(n: usize, seed: u64) -> descent::data::ImageDataset {
    SyntheticImagesConfig::new(n)
        .with_seed(seed)
        .generate()
        .expect("generates")
}

/// Burn's CPU backends seed one process-wide random generator (`Device::seed`), which the
/// runs draw their initial weights and dropout masks from. Tests that compare runs bit for bit
/// hold this lock so that runs in parallel test threads do not draw from it in between.
pub fn one_run_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The weights of the model at `path` (a run folder, checkpoint folder or .bpk), tensor by
/// tensor in module order, as exact bit patterns (parameter ids are random per process and
/// are not compared).
pub fn model_bits(path: &Path) -> Vec<Vec<u32>> {
    model_bits_on(path, DeviceChoice::Cpu)
}

/// [`model_bits`], loading the model on the device `choice`.
pub fn model_bits_on(path: &Path, choice: DeviceChoice) -> Vec<Vec<u32>> {
    struct Collect(Vec<Vec<u32>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let values = param
                .val()
                .into_data()
                .try_to_vec::<f32>()
                .expect("f32 data");
            self.0.push(values.into_iter().map(f32::to_bits).collect());
        }
    }
    let device = choice.open().expect("device");
    let (_, model) = ModelCard::load_model(path, &device).expect("a saved model");
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    assert!(!collect.0.is_empty());
    collect.0
}

/// The final weights of the run in `dir` (its `model.bpk`), see [`model_bits`].
pub fn run_folder_bytes(dir: &Path) -> Vec<Vec<u32>> {
    model_bits(&dir.join("model.bpk"))
}

/// The run's `metrics.jsonl` without the wall-clock times.
pub fn history_without_times(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("metrics.jsonl")).expect("metrics written");
    text.lines()
        .map(|line| {
            let mut v: serde_json::Value = serde_json::from_str(line).expect("json line");
            v.as_object_mut().expect("object").remove("seconds");
            v
        })
        .collect()
}

/// Copies the folder `from` (recursively) to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// Copies the whole run folder aside right after the checkpoint of a chosen global step is
/// written: what a process killed at that moment would have left on disk.
pub struct KeepRunAt {
    /// The global step whose checkpoint to keep.
    pub step: u64,
    current: u64,
    /// Where the copy goes.
    pub saved: PathBuf,
}

impl Observer for KeepRunAt {
    fn step_finished(&mut self, info: &StepInfo) {
        self.current = info.global_step;
    }
    fn checkpoint_written(&mut self, path: &Path) {
        if self.current == self.step
            && !self.saved.exists()
            && path.file_name().is_some_and(|name| name == "checkpoint")
        {
            let run = path
                .parent()
                .expect("a checkpoint folder is inside the run folder");
            copy_dir(run, &self.saved);
        }
    }
}

/// Runs `config` to the end while keeping the run folder as it was right after the
/// checkpoint at `step`, puts that folder back (as if the process had been killed then),
/// resumes, and returns the run folder.
pub fn interrupted_at(config: &RunConfig, root: &Path, step: u64) -> PathBuf {
    let device = DeviceChoice::Cpu.open().expect("cpu");
    let dir = root.join(format!("interrupted-{step}"));
    let mut keep = KeepRunAt {
        step,
        current: 0,
        saved: root.join(format!("kept-at-{step}")),
    };
    train_run(config, &dir, &device, false, None, &mut keep).expect("trains");
    assert!(
        keep.saved.exists(),
        "a checkpoint was written at step {step}"
    );
    std::fs::remove_dir_all(&dir).expect("rm");
    copy_dir(&keep.saved, &dir);
    train_run(config, &dir, &device, true, None, &mut Silent).expect("resumes");
    dir
}
