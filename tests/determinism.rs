//! Determinism: the same configuration and seed, trained twice on the same CPU backend, give
//! bit-identical weights and the same metrics history (every number but the wall-clock time).
//!
//! Checked on every CPU backend compiled into this build (flex, ndarray), with dropout (an MLP)
//! and with batch norm, convolutions and random crops and flips (a narrow VGG), so that every
//! random draw (initial weights, data order, dropout masks, augmentation) and every reduction
//! is covered. Runs in separate processes are covered end to end by `descent-cli`'s kill test.

mod common;

use std::path::Path;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use descent::data::{Augmentation, DatasetKind};
use descent::models::{ModelConfig, VggConfig, VggDepth};
use descent::train::{DeviceChoice, ModelCard, RunConfig, Silent, train_run};

/// Every parameter and buffer of the run's final model, as exact bit patterns, in module
/// order (parameter ids are random and are not compared).
fn weight_bits(dir: &Path, choice: DeviceChoice) -> Vec<Vec<u32>> {
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
    let (_, model) = ModelCard::load_model(&dir.join("model.bpk"), &device).expect("final model");
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    assert!(!collect.0.is_empty());
    collect.0
}

/// The run's `metrics.jsonl` without the wall-clock `seconds`.
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
