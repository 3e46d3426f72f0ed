//! Weight averaging through `train_run`: SWA, EMA and snapshots are saved beside the
//! checkpoints, and a run killed in the middle of averaging and resumed ends with the same
//! averages, bit for bit, as one that never stopped; on a model without batch norm and on
//! one with it (whose averages get their statistics recomputed).

mod common;

use std::path::Path;

use common::{interrupted_at, model_bits, run_folder_bytes};
use descent::data::DatasetKind;
use descent::models::{ModelConfig, VggConfig, VggDepth};
use descent::optim::averaging::BufferPolicy;
use descent::optim::schedule::AnnealStrategy;
use descent::train::{
    AveragingOptions, DeviceChoice, EmaOptions, RunConfig, Silent, Snapshots, SwaOptions, SwaRate,
    SwagOptions, train_run,
};

/// SWA from the end of epoch 2 with SWALR (and SWAG of rank 2 at the same moments), EMA every
/// 2 steps, snapshots at epochs 2 and 4.
fn averaging(every_steps: Option<u64>, buffers: BufferPolicy) -> AveragingOptions {
    AveragingOptions {
        swa: Some(SwaOptions {
            start_epoch: 1,
            every_steps,
            lr: Some(SwaRate {
                swa_lr: 0.03,
                anneal_epochs: 1,
                anneal: AnnealStrategy::Linear,
            }),
        }),
        swag: Some(SwagOptions { rank: 2 }),
        ema: Some(EmaOptions {
            decay: 0.9,
            every_steps: 2,
        }),
        snapshots: Some(Snapshots::Epochs { epochs: vec![2, 4] }),
        buffers,
        recompute_batch_norm: true,
    }
}

/// Everything averaging left in a run folder: the final SWA and EMA weights, their reports
/// (with test metrics, which also see the recomputed batch-norm statistics) and the snapshots.
fn averaging_outputs(dir: &Path) -> Vec<(String, Vec<Vec<u32>>, String)> {
    let mut outputs = Vec::new();
    for name in ["swa", "ema", "snapshots/epoch-0002", "snapshots/epoch-0004"] {
        let folder = dir.join(name);
        let about = std::fs::read_to_string(folder.join("averaging.json")).unwrap_or_default();
        outputs.push((name.to_string(), model_bits(&folder), about));
    }
    // The SWAG posterior (no parameter ids inside: compared byte for byte).
    let swag = std::fs::read(dir.join("swag.bin")).expect("swag.bin written");
    outputs.push(("swag.bin".into(), Vec::new(), format!("{swag:?}")));
    outputs
}

fn check_resume_mid_averaging(config: &RunConfig, kill_steps: &[u64], batch_norm: bool) {
    let device = DeviceChoice::Cpu.open().expect("cpu");
    let root = tempfile::tempdir().expect("tempdir");
    let straight = root.path().join("straight");
    let outcome = train_run(config, &straight, &device, false, None, &mut Silent).expect("trains");
    let names: Vec<&str> = outcome
        .report
        .averages
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["swa", "ema"]);
    for average in &outcome.report.averages {
        assert_eq!(
            average.batch_norm_recomputed, batch_norm,
            "{}",
            average.name
        );
    }
    let ensemble = outcome.report.ensemble.as_ref().expect("snapshots asked");
    assert_eq!(ensemble.epochs, [2, 4]);
    assert!(ensemble.test.is_some());
    let expected = averaging_outputs(&straight);
    for &step in kill_steps {
        let resumed = interrupted_at(config, root.path(), step);
        assert_eq!(
            run_folder_bytes(&straight),
            run_folder_bytes(&resumed),
            "final weights differ after resuming from step {step}"
        );
        let got = averaging_outputs(&resumed);
        for (want, got) in expected.iter().zip(&got) {
            assert!(
                want == got,
                "{} differs after resuming from step {step}",
                want.0
            );
        }
    }
}

#[test]
fn mlp_resumed_mid_averaging_ends_with_the_same_averages() {
    let _serial = common::one_run_at_a_time();
    // 4 epochs of 10 steps (300 samples, batch 32), a checkpoint every 7 steps.
    let mut config = common::small_run(4);
    config.training.checkpoint_every_steps = Some(7);
    config.training.averaging = averaging(None, BufferPolicy::Copy);
    // Step 21 is the first of epoch 3 (one SWA update, ten EMA updates behind it), step 28
    // the middle of epoch 3 and step 35 the middle of epoch 4, after the first snapshot.
    check_resume_mid_averaging(&config, &[21, 28, 35], false);
}

#[test]
fn vgg_with_batch_norm_resumed_mid_averaging_ends_with_the_same_averages() {
    let _serial = common::one_run_at_a_time();
    let mut vgg = VggConfig::new(VggDepth::Vgg9);
    vgg.width = 0.125;
    let mut config = common::small_run(4);
    config.model = ModelConfig::Vgg(vgg);
    config.data.dataset = DatasetKind::SyntheticImages;
    config.data.train_samples = Some(160);
    config.data.test_samples = Some(64);
    config.learning_rate = 0.02;
    config.training.checkpoint_every_steps = Some(3);
    // SWA every 2 steps after epoch 1, averaging the BN statistics as well (then recomputed).
    config.training.averaging = averaging(Some(2), BufferPolicy::Average);
    // 5 steps an epoch: step 9 is inside epoch 2 after two SWA updates, 15 ends epoch 3.
    check_resume_mid_averaging(&config, &[9, 15], true);
}

#[test]
fn averaging_outputs_are_named_in_the_report_and_the_folders() {
    let _serial = common::one_run_at_a_time();
    let device = DeviceChoice::Cpu.open().expect("cpu");
    let root = tempfile::tempdir().expect("tempdir");
    let mut config = common::small_run(3);
    config.training.averaging = averaging(None, BufferPolicy::Copy);
    config.training.averaging.snapshots = Some(Snapshots::Epochs { epochs: vec![1, 3] });
    let dir = root.path().join("run");
    let outcome = train_run(&config, &dir, &device, false, None, &mut Silent).expect("trains");
    let swa = &outcome.report.averages[0];
    // Epochs 2 and 3 end after the start epoch 1.
    assert_eq!((swa.name.as_str(), swa.updates), ("swa", 2));
    // 30 steps, every 2nd.
    let ema = &outcome.report.averages[1];
    assert_eq!((ema.name.as_str(), ema.updates), ("ema", 15));
    // An MLP has no batch norm to recompute.
    assert!(!swa.batch_norm_recomputed && !ema.batch_norm_recomputed);
    let saved: descent::train::AverageReport =
        serde_json::from_slice(&std::fs::read(dir.join("swa/averaging.json")).expect("written"))
            .expect("a report");
    assert_eq!(&saved, swa);
    assert_eq!(
        descent::train::averaging::snapshot_dirs(&dir).expect("snapshots"),
        [
            dir.join("snapshots/epoch-0001"),
            dir.join("snapshots/epoch-0003")
        ]
    );
    // The last snapshot is the final model.
    assert_eq!(
        model_bits(&dir.join("snapshots/epoch-0003")),
        run_folder_bytes(&dir)
    );
}
