//! A run that stops and resumes from its checkpoint ends exactly where an uninterrupted run
//! ends: same weights (bit for bit) and the same metrics history.

mod common;

use common::{history_without_times, interrupted_at, run_folder_bytes};
use descent::train::{Silent, train_run};

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

#[test]
fn vgg_with_batch_norm_resumed_mid_epoch_ends_with_the_same_weights() {
    // Burn keeps a batch-norm statistics update pending until the module is synced; a
    // checkpoint taken mid-epoch used to hold the statistics of one step earlier.
    let _serial = common::one_run_at_a_time();
    let device = descent::train::DeviceChoice::Cpu.open().expect("cpu");
    let root = tempfile::tempdir().expect("tempdir");
    let mut vgg = descent::models::VggConfig::new(descent::models::VggDepth::Vgg9);
    vgg.width = 0.125;
    let mut config = common::small_run(2);
    config.model = descent::models::ModelConfig::Vgg(vgg);
    config.data.dataset = descent::data::DatasetKind::SyntheticImages;
    config.data.train_samples = Some(160);
    config.data.test_samples = Some(64);
    config.learning_rate = 0.02;
    // 5 steps an epoch; the checkpoint at step 3 is in the middle of epoch 1.
    config.training.checkpoint_every_steps = Some(3);
    let straight = root.path().join("straight");
    train_run(&config, &straight, &device, false, None, &mut Silent).expect("trains");
    let resumed = interrupted_at(&config, root.path(), 3);
    assert_eq!(run_folder_bytes(&straight), run_folder_bytes(&resumed));
    assert_eq!(
        history_without_times(&straight),
        history_without_times(&resumed)
    );
}
