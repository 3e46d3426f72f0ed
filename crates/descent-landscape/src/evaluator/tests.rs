use burn::module::Module;
use burn::tensor::{Device, Tensor};
use descent_data::{ImageBatcher, ImageDataset, ImageShape};
use descent_models::Model;

use super::*;
use crate::kind::ParamKind;
use crate::scan::{ScanOptions, SilentScan, Surface, run_scan};
use crate::scan_file::{ScanFile, example_meta};
use crate::test_utils::tiny_vgg;
use crate::vector::ParamVector;
use crate::{BiasBn, DirectionConfig, Grid};

/// 12 single-channel 8x8 images, 3 classes.
fn data() -> ImageDataset {
    let images: Vec<f32> = (0..12 * 64)
        .map(|i| ((i * 37 % 29) as f32 / 14.0) - 1.0 + 0.01 * (i / 64) as f32)
        .collect();
    let labels: Vec<usize> = (0..12).map(|i| i % 3).collect();
    ImageDataset::from_f32("blobs", ImageShape::new(1, 8, 8), 3, images, labels).expect("valid")
}

/// All 12 images in one batch: recompute then gives the exact statistics.
fn set(device: &Device) -> PreparedSet {
    PreparedSet::new(
        "train",
        &data(),
        &ImageBatcher::new(None, None, 0),
        12,
        device,
    )
    .expect("valid")
}

fn floats(t: Tensor<1>) -> Vec<f64> {
    t.into_data()
        .convert::<f64>()
        .try_to_vec::<f64>()
        .expect("floats")
}

/// Per-channel mean and biased variance of the first conv layer's output over the data (the
/// first batch-norm layer's input), in f64 from the raw values.
fn first_layer_stats(model: &Model, device: &Device) -> (Vec<f64>, Vec<f64>) {
    let Model::Vgg(vgg) = model else {
        panic!("a VGG")
    };
    let images = set(device).batches[0].images.clone();
    let out = vgg.features[0].conv.forward(images);
    let [n, c, h, w] = out.dims();
    let v = floats(out.reshape([n * c * h * w]));
    let per = n * h * w;
    let values =
        |ch: usize| (0..n).flat_map(move |i| (0..h * w).map(move |p| (i * c + ch) * h * w + p));
    let mean: Vec<f64> = (0..c)
        .map(|ch| values(ch).map(|k| v[k]).sum::<f64>() / per as f64)
        .collect();
    let var = (0..c)
        .map(|ch| values(ch).map(|k| (v[k] - mean[ch]).powi(2)).sum::<f64>() / per as f64)
        .collect();
    (mean, var)
}

fn entry(model: &Model, path: &str) -> Vec<f64> {
    floats(
        ParamVector::from_module(model)
            .get(path)
            .unwrap_or_else(|| panic!("{path}"))
            .value
            .clone(),
    )
}

fn assert_close(actual: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(actual.len(), expected.len());
    for (a, e) in actual.iter().zip(expected) {
        assert!(
            (a - e).abs() <= tol * (1.0 + e.abs()),
            "got {a}, expected {e}"
        );
    }
}

#[test]
fn bn_policy_names_round_trip() {
    for p in [BnPolicy::Keep, BnPolicy::Recompute] {
        assert_eq!(p.to_string().parse::<BnPolicy>().expect("parse"), p);
    }
    let err = "refresh".parse::<BnPolicy>().expect_err("typo");
    assert!(err.to_string().contains("refresh"), "{err}");
}

#[test]
fn recompute_scan_sets_exact_statistics_and_changes_nothing_else() {
    let device = Device::flex();
    let model = tiny_vgg(&device).valid();
    let theta = ParamVector::from_module(&model);
    // Directions through the batch-norm parameters too, so the statistics must follow.
    let (dirs, _) = DirectionConfig {
        seed: 5,
        bias_bn: BiasBn::Include,
        ..DirectionConfig::default()
    }
    .directions(&theta, 2);
    let grid = Grid {
        x: "-0.5:0.5:3".parse().expect("axis"),
        y: Some("-0.5:0.5:3".parse().expect("axis")),
    };
    let mut keep = ClassifierEvaluator::new(vec![set(&device)]);
    let mut recompute = ClassifierEvaluator::new(vec![set(&device)]).with_bn(BnPolicy::Recompute);
    let mut surface = Surface::new(model.clone(), dirs).expect("layout");
    let mut scans = Vec::new();
    for evaluator in [&mut keep, &mut recompute] {
        let mut file = ScanFile::new(example_meta(grid, &["loss_train", "acc_train"]));
        run_scan(
            &mut surface,
            evaluator,
            &mut file,
            None,
            &ScanOptions::default(),
            &mut SilentScan,
        )
        .expect("scan");
        scans.push(file);
    }

    // A corner point: the recomputed statistics are the data's exact mean and variance
    // at that point's weights, and the scan's value is the recomputed model's loss.
    let (a, b) = grid.point(0);
    let at = surface.model_at(a, b).expect("point").clone();
    let fresh = recompute.recompute_bn(at.clone()).expect("recompute");
    let (mean, var) = first_layer_stats(&at, &device);
    assert_close(
        &entry(&fresh, "Vgg.features.0.norm.running_mean"),
        &mean,
        1e-5,
    );
    assert_close(
        &entry(&fresh, "Vgg.features.0.norm.running_var"),
        &var,
        1e-5,
    );
    assert_ne!(
        entry(&at, "Vgg.features.0.norm.running_mean"),
        entry(&fresh, "Vgg.features.0.norm.running_mean")
    );
    let direct = keep.measure(&fresh);
    assert_eq!(scans[1].values["loss_train"][0], direct[0]);
    assert_eq!(scans[1].values["acc_train"][0], direct[1]);

    // The centre: same parameters as the model, only the running statistics differ, and so
    // does the loss.
    let centre = recompute.recompute_bn(model.clone()).expect("recompute");
    let (before, after) = (
        ParamVector::from_module(&model),
        ParamVector::from_module(&centre),
    );
    let mut buffers_changed = 0;
    for (x, y) in before.entries().iter().zip(after.entries()) {
        assert_eq!(x.info, y.info);
        let buffer = x.info.kind == ParamKind::Buffer;
        let (x, y) = (floats(x.value.clone()), floats(y.value.clone()));
        if buffer {
            buffers_changed += usize::from(x != y);
        } else {
            assert_eq!(x, y, "a parameter changed");
        }
    }
    assert!(buffers_changed > 0, "no statistic was recomputed");
    let k = 4; // (0, 0)
    assert_eq!(grid.point(k), (0.0, 0.0));
    assert_eq!(scans[1].values["loss_train"][k], keep.measure(&centre)[0]);
    assert!((scans[0].values["loss_train"][k] - scans[1].values["loss_train"][k]).abs() > 1e-6);
}
