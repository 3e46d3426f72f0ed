//! A run that stops and resumes from its checkpoint ends exactly where an uninterrupted run
//! ends: same weights (bit for bit) and the same metrics history.

mod common;

use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use descent::train::{ModelCard, Observer, Silent, train_run};

/// The final weights of a run, tensor by tensor in module order, as exact bit patterns
/// (parameter ids are random per process and are not compared).
fn run_folder_bytes(dir: &Path) -> Vec<Vec<u32>> {
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
    let device = descent::train::DeviceChoice::Cpu.open().expect("cpu");
    let (_, model) = ModelCard::load_model(&dir.join("model.bpk"), &device).expect("final model");
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    assert!(!collect.0.is_empty());
    collect.0
}

fn history_without_times(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("metrics.jsonl")).expect("metrics written");
    text.lines()
        .map(|line| {
            let mut v: serde_json::Value = serde_json::from_str(line).expect("json line");
            v.as_object_mut().expect("object").remove("seconds");
            v
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

/// Copies the checkpoint written at a chosen global step aside, as if the process had been
/// killed right after writing it.
struct KeepCheckpointAt {
    step: u64,
    current: u64,
    saved: PathBuf,
}

impl Observer for KeepCheckpointAt {
    fn step_finished(&mut self, info: &descent::train::StepInfo) {
        self.current = info.global_step;
    }
    fn checkpoint_written(&mut self, path: &Path) {
        if self.current == self.step && !self.saved.exists() {
            copy_dir(path, &self.saved);
        }
    }
}

/// Runs `config` to the end while keeping the checkpoint written at `step`, then puts that
/// checkpoint back (as if the process had been killed right after writing it), resumes, and
/// returns the run folder.
fn interrupted_at(config: &descent::train::RunConfig, root: &Path, step: u64) -> PathBuf {
    let device = descent::train::DeviceChoice::Cpu.open().expect("cpu");
    let dir = root.join(format!("interrupted-{step}"));
    let mut keep = KeepCheckpointAt {
        step,
        current: 0,
        saved: root.join(format!("kept-at-{step}")),
    };
    train_run(config, &dir, &device, false, None, &mut keep).expect("trains");
    assert!(
        keep.saved.exists(),
        "a checkpoint was written at step {step}"
    );
    std::fs::remove_dir_all(dir.join("checkpoint")).expect("rm");
    std::fs::remove_file(dir.join("model.bpk")).expect("rm");
    std::fs::write(dir.join("metrics.jsonl"), b"garbage from after the kill\n").expect("write");
    copy_dir(&keep.saved, &dir.join("checkpoint"));
    train_run(config, &dir, &device, true, None, &mut Silent).expect("resumes");
    dir
}

#[test]
fn resumed_runs_end_with_the_same_weights_as_uninterrupted_ones() {
    let _serial = common::one_run_at_a_time();
    let device = descent::train::DeviceChoice::Cpu.open().expect("cpu");
    let root = tempfile::tempdir().expect("tempdir");
    // 3 epochs of 10 steps (300 samples, batch 32), a checkpoint every 7 steps and at each
    // epoch's end.
    let mut config = common::small_run(3);
    config.training.checkpoint_every_steps = Some(7);

    let straight = root.path().join("straight");
    train_run(&config, &straight, &device, false, None, &mut Silent).expect("trains");

    // Killed at an epoch's end (step 10) and in the middle of epoch 2 (step 14).
    for step in [10, 14] {
        let resumed = interrupted_at(&config, root.path(), step);
        assert_eq!(
            run_folder_bytes(&straight),
            run_folder_bytes(&resumed),
            "weights differ after resuming from step {step}"
        );
        assert_eq!(
            history_without_times(&straight),
            history_without_times(&resumed)
        );
    }
}

#[test]
fn resume_can_extend_a_finished_run() {
    let _serial = common::one_run_at_a_time();
    let device = descent::train::DeviceChoice::Cpu.open().expect("cpu");
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("run");
    train_run(
        &common::small_run(1),
        &dir,
        &device,
        false,
        None,
        &mut Silent,
    )
    .expect("trains");
    let outcome = train_run(
        &common::small_run(1),
        &dir,
        &device,
        true,
        Some(2),
        &mut Silent,
    )
    .expect("extends");
    assert_eq!(outcome.report.history.len(), 2);
    assert_eq!(outcome.config.training.epochs, 2);
}

#[test]
fn a_folder_holding_a_run_is_never_overwritten() {
    let _serial = common::one_run_at_a_time();
    let device = descent::train::DeviceChoice::Cpu.open().expect("cpu");
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("run");
    train_run(
        &common::small_run(1),
        &dir,
        &device,
        false,
        None,
        &mut Silent,
    )
    .expect("trains");
    let before = run_folder_bytes(&dir);
    let err = train_run(
        &common::small_run(1),
        &dir,
        &device,
        false,
        None,
        &mut Silent,
    )
    .expect_err("refuses to start over an existing run");
    assert!(err.to_string().contains("--resume"), "{err}");
    assert_eq!(before, run_folder_bytes(&dir));
}
