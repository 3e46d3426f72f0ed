//! The same training on every compiled backend reaches the same accuracy (within a
//! tolerance: float reductions are ordered differently on each backend).
//!
//! wgpu runs on Mesa's lavapipe on machines without a GPU (`scripts/test` installs it).

mod common;

use descent::train::{DeviceChoice, Silent, train_run};

fn final_accuracy(choice: DeviceChoice) -> f64 {
    let device = choice
        .open()
        .unwrap_or_else(|e| panic!("{choice} does not open here: {e}"));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = common::small_run(4);
    config.data.dataset = descent::data::DatasetKind::Blobs;
    if let descent::models::ModelConfig::Mlp(mlp) = &mut config.model {
        mlp.dropout = None;
    }
    let outcome = train_run(&config, dir.path(), &device, false, None, &mut Silent)
        .unwrap_or_else(|e| panic!("training on {choice} failed: {e}"));
    let acc = outcome.report.final_test.expect("test set").accuracy;
    eprintln!("{choice}: test accuracy {acc:.4}");
    acc
}

#[test]
fn every_compiled_backend_reaches_the_same_accuracy() {
    let reference = final_accuracy(DeviceChoice::Flex);
    assert!(
        reference > 0.8,
        "the reference run learns (accuracy {reference})"
    );
    let mut others = vec![DeviceChoice::NdArray];
    if std::env::var_os("DESCENT_SKIP_WGPU").is_none() {
        others.push(DeviceChoice::Wgpu);
    }
    for choice in others.into_iter().filter(|c| c.is_compiled()) {
        let acc = final_accuracy(choice);
        assert!(
            (acc - reference).abs() <= 0.03,
            "{choice} reached {acc:.4}, flex {reference:.4}"
        );
    }
}
