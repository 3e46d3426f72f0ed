use super::*;
use crate::DirectionConfig;
use crate::direction::target_direction;
use crate::evaluator::{ClassifierEvaluator, PreparedSet};
use crate::grid::Grid;
use crate::scan_file::{ScanFile, example_meta, merge};
use crate::shard::Shard;
use crate::test_utils::{tiny_mlp, tiny_vgg};
use crate::vector::ParamVector;
use burn::tensor::Device;
use descent_data::{ImageBatcher, ImageDataset};
use descent_train::evaluate;

/// 4-feature points (as 4x1x1 images), 3 classes.
fn data() -> ImageDataset {
    let images: Vec<f32> = (0..40 * 4)
        .map(|i| ((i * 37 % 23) as f32 / 11.0) - 1.0)
        .collect();
    let labels: Vec<usize> = (0..40).map(|i| i % 3).collect();
    ImageDataset::from_f32(
        "points",
        descent_data::ImageShape::new(4, 1, 1),
        3,
        images,
        labels,
    )
    .expect("valid set")
}

fn evaluator(device: &Device) -> ClassifierEvaluator {
    let set = PreparedSet::new(
        "train",
        &data(),
        &ImageBatcher::new(None, None, 0),
        16,
        device,
    )
    .expect("valid");
    ClassifierEvaluator::new(vec![set])
}

fn grid() -> Grid {
    Grid {
        x: "-1:1:5".parse().expect("axis"),
        y: Some("-0.5:0.5:3".parse().expect("axis")),
    }
}

fn surface(device: &Device) -> Surface<descent_models::Model> {
    let model = tiny_mlp(device, 1).valid();
    let theta = ParamVector::from_module(&model);
    let (dirs, _) = DirectionConfig {
        seed: 3,
        ..DirectionConfig::default()
    }
    .directions(&theta, 2);
    Surface::new(model, dirs).expect("same layout")
}

fn new_file() -> ScanFile {
    ScanFile::new(example_meta(grid(), &["loss_train", "acc_train"]))
}

#[test]
fn centre_point_is_the_models_own_loss() {
    let device = Device::flex();
    let model = tiny_mlp(&device, 1).valid();
    let own = evaluate(
        &model,
        &data(),
        &ImageBatcher::new(None, None, 0),
        16,
        &device,
    )
    .expect("samples");
    let mut surface = surface(&device);
    let mut file = new_file();
    run_scan(
        &mut surface,
        &mut evaluator(&device),
        &mut file,
        None,
        &ScanOptions::default(),
        &mut SilentScan,
    )
    .expect("scan");
    // (0, 0) is point k = 1 * 5 + 2.
    assert_eq!(grid().point(7), (0.0, 0.0));
    let loss = file.values["loss_train"][7];
    let acc = file.values["acc_train"][7];
    assert!((loss - own.loss).abs() < 1e-6, "{loss} vs {}", own.loss);
    assert!((acc - own.accuracy).abs() < 1e-12);
    // Other points differ (the directions do move the weights).
    assert!((file.values["loss_train"][0] - loss).abs() > 1e-4);
}

#[test]
fn interpolation_endpoints_are_the_two_models() {
    let device = Device::flex();
    for (a, b) in [
        (tiny_mlp(&device, 1), tiny_mlp(&device, 2)),
        (
            tiny_vgg(&device),
            crate::test_utils::fill_waves(tiny_vgg(&device), 9.0),
        ),
    ] {
        let (a, b) = (a.valid(), b.valid());
        let shape = if matches!(a, descent_models::Model::Vgg(_)) {
            descent_data::ImageShape::new(1, 8, 8)
        } else {
            descent_data::ImageShape::new(4, 1, 1)
        };
        let n = 24;
        let images: Vec<f32> = (0..n * shape.numel())
            .map(|i| ((i * 37 % 23) as f32 / 11.0) - 1.0)
            .collect();
        let set = ImageDataset::from_f32("s", shape, 3, images, (0..n).map(|i| i % 3).collect())
            .expect("valid");
        let batcher = ImageBatcher::new(None, None, 0);
        let la = evaluate(&a, &set, &batcher, 10, &device).expect("samples");
        let lb = evaluate(&b, &set, &batcher, 10, &device).expect("samples");
        let d = target_direction(&ParamVector::from_module(&a), &ParamVector::from_module(&b))
            .expect("layout");
        let mut surface = Surface::new(a, vec![d]).expect("layout");
        let mut ev = ClassifierEvaluator::new(vec![
            PreparedSet::new("test", &set, &batcher, 10, &device).expect("valid"),
        ]);
        let mut file = ScanFile::new(example_meta(
            Grid {
                x: "-0.5:1.5:5".parse().expect("axis"),
                y: None,
            },
            &["loss_test", "acc_test"],
        ));
        run_scan(
            &mut surface,
            &mut ev,
            &mut file,
            None,
            &ScanOptions::default(),
            &mut SilentScan,
        )
        .expect("scan");
        let loss = &file.values["loss_test"];
        assert!(
            (loss[1] - la.loss).abs() < 1e-5,
            "{} vs {}",
            loss[1],
            la.loss
        );
        assert!(
            (loss[3] - lb.loss).abs() < 1e-4 * (1.0 + lb.loss),
            "{} vs {}",
            loss[3],
            lb.loss
        );
        assert!((la.loss - lb.loss).abs() > 1e-3, "the two models differ");
    }
}

#[test]
fn interrupted_and_resumed_scan_equals_a_straight_run() {
    let device = Device::flex();
    let dir = tempfile::tempdir().expect("tempdir");
    let straight = dir.path().join("straight.npz");
    let resumed = dir.path().join("resumed.npz");
    let mut file = new_file();
    run_scan(
        &mut surface(&device),
        &mut evaluator(&device),
        &mut file,
        Some(&straight),
        &ScanOptions::default(),
        &mut SilentScan,
    )
    .expect("scan");
    // Stop after 4 points, then resume from the file in a fresh surface and evaluator.
    let mut partial = new_file();
    let options = ScanOptions {
        max_points: Some(4),
        save_every: Duration::ZERO,
    };
    let out = run_scan(
        &mut surface(&device),
        &mut evaluator(&device),
        &mut partial,
        Some(&resumed),
        &options,
        &mut SilentScan,
    )
    .expect("scan");
    assert_eq!(
        out,
        ScanOutcome {
            computed: 4,
            remaining: 11
        }
    );
    let mut reloaded = ScanFile::load(&resumed).expect("partial file");
    assert_eq!(reloaded.done_count(), 4);
    let out = run_scan(
        &mut surface(&device),
        &mut evaluator(&device),
        &mut reloaded,
        Some(&resumed),
        &ScanOptions::default(),
        &mut SilentScan,
    )
    .expect("resume");
    assert_eq!(
        out,
        ScanOutcome {
            computed: 11,
            remaining: 0
        }
    );
    assert_eq!(
        std::fs::read(&straight).expect("read"),
        std::fs::read(&resumed).expect("read"),
        "resumed file differs from the straight run"
    );
}

#[test]
fn merged_shards_equal_the_unsharded_scan_and_conflicts_are_refused() {
    let device = Device::flex();
    let mut whole = new_file();
    run_scan(
        &mut surface(&device),
        &mut evaluator(&device),
        &mut whole,
        None,
        &ScanOptions::default(),
        &mut SilentScan,
    )
    .expect("scan");
    let mut shards = Vec::new();
    for i in 0..3 {
        let mut meta = example_meta(grid(), &["loss_train", "acc_train"]);
        meta.shard = Some(Shard::new(i, 3).expect("valid"));
        let mut file = ScanFile::new(meta);
        run_scan(
            &mut surface(&device),
            &mut evaluator(&device),
            &mut file,
            None,
            &ScanOptions::default(),
            &mut SilentScan,
        )
        .expect("shard");
        assert_eq!(file.done_count(), 5);
        shards.push((std::path::PathBuf::from(format!("shard{i}.npz")), file));
    }
    let merged = merge(&shards).expect("compatible shards");
    assert_eq!(
        merged.to_bytes().expect("bytes"),
        whole.to_bytes().expect("bytes")
    );
    // Another grid: refused, naming the field.
    let mut other = shards[1].clone();
    other.1.meta.grid.x.num = 6;
    let err = merge(&[shards[0].clone(), other]).expect_err("other grid");
    assert!(err.to_string().contains("grid"), "{err}");
    // The same point with other values: refused, naming the point.
    let mut forged = shards[0].clone();
    forged.1.values.get_mut("loss_train").expect("metric")[0] += 1.0;
    let err = merge(&[shards[0].clone(), forged]).expect_err("conflict");
    assert!(err.to_string().contains("point 0"), "{err}");
}

#[test]
fn corrupt_scan_files_are_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("scan.npz");
    new_file().save(&path).expect("save");
    assert!(ScanFile::load(&path).is_ok());
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() - 30]).expect("truncate");
    let err = ScanFile::load(&path).expect_err("truncated");
    assert!(err.to_string().contains("scan.npz"), "{err}");
    std::fs::write(&path, b"PK but no").expect("write");
    assert!(ScanFile::load(&path).is_err());
    let err = ScanFile::load(&dir.path().join("none.npz")).expect_err("missing");
    assert!(err.to_string().contains("none.npz"), "{err}");
}
