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
    let direct = keep.measure(&fresh).values;
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
    assert_eq!(
        scans[1].values["loss_train"][k],
        keep.measure(&centre).values[0]
    );
    assert!((scans[0].values["loss_train"][k] - scans[1].values["loss_train"][k]).abs() > 1e-6);
}

/// A scan of an MLP 6-3-4 whose first layer is cached (its 3 outputs per sample are fewer
/// than its 6 inputs), on 7 samples in batches of 3, 3 and 1: losses, accuracies and their
/// standard errors at each point against PyTorch's per-sample cross-entropy and numpy's
/// `std(ddof=1) / sqrt(n)`. Weights and directions are `wave` values, data a formula:
///
/// ```python
/// import numpy as np, torch
/// import torch.nn.functional as F
/// def wave(n, seed):
///     return (0.5 * np.sin(0.37 * np.arange(n) + seed)).astype(np.float32)
/// shapes = [(6, 3), (3,), (3, 4), (4,)]  # Burn's layout: Linear weight [d_in, d_out]
/// def params(seed):
///     return [torch.tensor(wave(int(np.prod(s)), seed + k).reshape(s)) for k, s in enumerate(shapes)]
/// theta, d1, d2 = params(0.5), params(10.0), params(20.0)
/// x = torch.tensor([((i * 37 % 23) / 11.0) - 1.0 for i in range(7 * 6)], dtype=torch.float32).reshape(7, 6)
/// y = torch.tensor([i % 4 for i in range(7)])
/// for b in [0.0, 0.5]:
///     for a in [-1.0, 0.0, 1.0]:
///         w1, b1, w2, b2 = [t + a * u + b * v for t, u, v in zip(theta, d1, d2)]
///         logits = torch.relu(x @ w1 + b1) @ w2 + b2
///         l = F.cross_entropy(logits.double(), y, reduction="none").numpy()
///         c = (logits.argmax(1) == y).double().numpy()
///         print(f"({a}, {b}, {l.mean():.10}, {l.std(ddof=1) / np.sqrt(7):.10}, {c.mean():.10}, {c.std(ddof=1) / np.sqrt(7):.10}),")
/// ```
#[test]
fn cached_first_layer_scan_and_standard_errors_match_pytorch() {
    const TORCH: [(f64, f64, f64, f64, f64, f64); 6] = [
        (
            -1.0,
            0.0,
            1.435194242,
            0.1869418076,
            0.2857142857,
            0.1844277784,
        ),
        (
            0.0,
            0.0,
            1.372409516,
            0.07287958871,
            0.2857142857,
            0.1844277784,
        ),
        (
            1.0,
            0.0,
            1.383595669,
            0.004675456043,
            0.2857142857,
            0.1844277784,
        ),
        (
            -1.0,
            0.5,
            1.502207219,
            0.2173482053,
            0.2857142857,
            0.1844277784,
        ),
        (
            0.0,
            0.5,
            1.3893056,
            0.08949137629,
            0.2857142857,
            0.1844277784,
        ),
        (
            1.0,
            0.5,
            1.385290976,
            0.01133078694,
            0.2857142857,
            0.1844277784,
        ),
    ];
    let device = Device::flex();
    let model = descent_models::ModelConfig::from(descent_models::MlpConfig::new(6, vec![3], 4))
        .init(&device)
        .expect("valid config");
    let model = crate::test_utils::fill_waves(model, 0.5).valid();
    let infos = ParamVector::from_module(&model).infos();
    let paths: Vec<&str> = infos.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "Mlp.hidden.0.weight",
            "Mlp.hidden.0.bias",
            "Mlp.output.weight",
            "Mlp.output.bias"
        ]
    );
    let direction = |seed: f64| {
        let values = infos
            .iter()
            .enumerate()
            .map(|(k, info)| crate::test_utils::wave(info.numel(), seed + k as f64))
            .collect();
        ParamVector::from_host(&infos, values, &device).expect("layout")
    };
    let images: Vec<f32> = (0..7 * 6)
        .map(|i| ((i * 37 % 23) as f32 / 11.0) - 1.0)
        .collect();
    let data = ImageDataset::from_f32(
        "points",
        ImageShape::new(6, 1, 1),
        4,
        images,
        (0..7).map(|i| i % 4).collect(),
    )
    .expect("valid");
    let set = PreparedSet::new(
        "train",
        &data,
        &ImageBatcher::new(None, None, 0),
        3,
        &device,
    )
    .expect("valid");
    assert_eq!(set.batches.len(), 3);
    let mut evaluator = ClassifierEvaluator::new(vec![set]);
    let mut surface = Surface::new(model, vec![direction(10.0), direction(20.0)]).expect("layout");
    let grid = Grid {
        x: "-1:1:3".parse().expect("axis"),
        y: Some("0:0.5:2".parse().expect("axis")),
    };
    let mut file = ScanFile::new(example_meta(grid, &["loss_train", "acc_train"]));
    run_scan(
        &mut surface,
        &mut evaluator,
        &mut file,
        None,
        &ScanOptions::default(),
        &mut SilentScan,
    )
    .expect("scan");
    assert!(
        evaluator.cache.as_ref().is_some_and(|c| c.is_ready()),
        "the first layer was not cached"
    );
    let close = |ours: f64, theirs: f64, what: &str, k: usize| {
        assert!(
            (ours - theirs).abs() < 2e-6 * (1.0 + theirs.abs()),
            "{what} at point {k}: ours {ours}, PyTorch {theirs}"
        );
    };
    for (k, &(a, b, loss, loss_se, acc, acc_se)) in TORCH.iter().enumerate() {
        assert_eq!(grid.point(k), (a, b));
        close(file.values["loss_train"][k], loss, "loss", k);
        close(file.values["acc_train"][k], acc, "accuracy", k);
        close(file.std_errors["loss_train"][k], loss_se, "loss SE", k);
        close(file.std_errors["acc_train"][k], acc_se, "accuracy SE", k);
    }
    // The same values without the cache (limit 0), within float rounding.
    let mut plain = evaluator.clone().with_input_cache_limit(0);
    for (k, &(a, b, loss, loss_se, _, _)) in TORCH.iter().enumerate() {
        let p = plain.evaluate_at(&mut surface, a, b).expect("point");
        close(p.values[0], loss, "uncached loss", k);
        close(p.std_errors[0], loss_se, "uncached loss SE", k);
    }
    assert!(plain.cache.as_ref().is_some_and(|c| !c.is_ready()));
    // Saved and read back, errors included.
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("scan.npz");
    file.save(&path).expect("save");
    assert_eq!(ScanFile::load(&path).expect("load"), file);
}
