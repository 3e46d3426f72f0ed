//! Determinism: the same configuration and seed, trained twice on the same CPU backend, give
//! bit-identical weights and the same metrics history (every number but the wall-clock time).
//!
//! Checked on every CPU backend compiled into this build (flex, ndarray), with dropout (an MLP)
//! and with batch norm, convolutions and random crops and flips (a narrow VGG), so that every
//! random draw (initial weights, data order, dropout masks, augmentation) and every reduction
//! is covered. Runs in separate processes are covered end to end by `descent-cli`'s kill test.

mod common;

use std::path::Path;

use common::history_without_times;
use descent::data::{Augmentation, DatasetKind};
use descent::models::{ModelConfig, VggConfig, VggDepth};
use descent::train::{DeviceChoice, RunConfig, Silent, train_run};

/// Every parameter and buffer of the run's final model, as exact bit patterns, in module
/// order (parameter ids are random and are not compared).
fn weight_bits(dir: &Path, choice: DeviceChoice) -> Vec<Vec<u32>> {
    common::model_bits_on(&dir.join("model.bpk"), choice)
}

/// A narrow VGG-11 with batch norm on 128 synthetic images, with random crops and flips.
fn small_vgg() -> RunConfig {
    let mut config = common::small_run(2);
    let mut vgg = VggConfig::new(VggDepth::Vgg11);
    vgg.width = 0.125;
    config.model = ModelConfig::Vgg(vgg);
    config.data.dataset = DatasetKind::SyntheticImages;
    config.data.train_samples = Some(128);
    config.data.test_samples = Some(64);
    config.data.augmentation = Some(Augmentation::cifar10());
    config.learning_rate = 0.02;
    config
}

/// The CPU backends compiled into this build.
fn cpu_backends() -> Vec<DeviceChoice> {
    let mut found = Vec::new();
    if cfg!(feature = "flex") {
        found.push(DeviceChoice::Flex);
    }
    if cfg!(feature = "ndarray") {
        found.push(DeviceChoice::NdArray);
    }
    assert!(!found.is_empty(), "no CPU backend compiled in");
    found
}

/// Trains `config` twice on `choice` and asserts that the two runs agree bit for bit.
fn assert_twice_the_same(name: &str, config: &RunConfig, choice: DeviceChoice) {
    let _serial = common::one_run_at_a_time();
    let root = tempfile::tempdir().expect("tempdir");
    let device = choice.open().expect("device");
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    train_run(config, &a, &device, false, None, &mut Silent).expect("first run");
    train_run(config, &b, &device, false, None, &mut Silent).expect("second run");
    let (wa, wb) = (weight_bits(&a, choice), weight_bits(&b, choice));
    assert_eq!(wa.len(), wb.len());
    for (i, (x, y)) in wa.iter().zip(&wb).enumerate() {
        assert!(
            x == y,
            "{name} on {choice}: tensor {i} differs between two runs"
        );
    }
    let (ha, hb) = (history_without_times(&a), history_without_times(&b));
    assert_eq!(ha, hb, "{name} on {choice}: histories differ");
    assert_eq!(ha.len(), config.training.epochs);
    // The checkpoints' bookkeeping agrees too (state.json without times).
    let state = |dir: &Path| {
        let text = std::fs::read_to_string(dir.join("checkpoint/state.json")).expect("state");
        let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
        // The record files' checksums: they hold Burn's random parameter ids, so their bytes
        // differ between two runs (the weights are compared bit for bit above). Each checksum
        // is checked against its file, then left out.
        if let Some(sums) = v.as_object_mut().and_then(|map| map.remove("checksums")) {
            for (file, sum) in sums.as_object().expect("an object") {
                let bytes = std::fs::read(dir.join("checkpoint").join(file)).expect("record");
                assert_eq!(
                    Some(descent::train::records::checksum(&bytes).as_str()),
                    sum.as_str(),
                    "{file}"
                );
            }
        }
        if let Some(history) = v["history"].as_array_mut() {
            for record in history {
                record.as_object_mut().expect("object").remove("seconds");
            }
        }
        v
    };
    assert_eq!(
        state(&a),
        state(&b),
        "{name} on {choice}: checkpoint states differ"
    );
}

#[test]
fn an_mlp_with_dropout_trains_bit_identically_twice_on_each_cpu_backend() {
    for choice in cpu_backends() {
        assert_twice_the_same("mlp", &common::small_run(2), choice);
    }
}

#[test]
fn a_vgg_with_batch_norm_and_augmentation_trains_bit_identically_twice_on_flex() {
    // ndarray takes over a second per convolution step here; flex covers the conv kernels.
    if cfg!(feature = "flex") {
        assert_twice_the_same("vgg11", &small_vgg(), DeviceChoice::Flex);
    }
}
