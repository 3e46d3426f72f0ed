//! Issue 23 through the binary: the plane through three models on an orthonormal basis in
//! Euclidean units (Garipov et al. 2018), the old affine axes behind `--affine`, and the
//! training split as the default of the landscape commands.

use std::path::{Path, PathBuf};
mod common;

use common::{descent, ok, s, text};

use burn::tensor::Device;
use descent_landscape::{ParamKind, ParamVector, PlaneAxes, ScanFile};
use descent_train::ModelCard;

/// An MLP 2-8-3 on spirals, one epoch; the runs share their initial weights (same seed).
fn train(dir: &Path, name: &str, lr: &str) -> PathBuf {
    let out = dir.join(name);
    ok(descent(&[
        "train",
        "--model",
        "mlp",
        "--hidden",
        "8",
        "--dataset",
        "spirals",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--lr",
        lr,
        "--seed",
        "1",
        "--out",
        s(&out),
    ]));
    out
}

/// A checkpoint's trainable parameters, flat, in f64.
fn weights(run: &Path) -> Vec<f64> {
    let (_, model) = ModelCard::load_model(run, &Device::flex()).expect("checkpoint");
    let v = ParamVector::from_module(&model);
    v.entries()
        .iter()
        .filter(|e| e.info.kind != ParamKind::Buffer)
        .flat_map(|e| e.value.to_data().iter::<f64>().collect::<Vec<_>>())
        .collect()
}

/// Training loss on the first 50 samples, by `descent eval`.
fn train_loss(run: &Path) -> f64 {
    let out = ok(descent(&[
        "eval",
        s(run),
        "--split",
        "train",
        "--samples",
        "50",
        "--json",
    ]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["loss"].as_f64().expect("loss")
}

fn plane(dir: &Path, runs: &[PathBuf], name: &str, extra: &[&str]) -> ScanFile {
    let out = dir.join(name);
    ok(descent(
        &[
            &[
                "landscape",
                "plane",
                s(&runs[0]),
                s(&runs[1]),
                s(&runs[2]),
                "--samples",
                "50",
                "--out",
                s(&out),
            ][..],
            extra,
        ]
        .concat(),
    ));
    ScanFile::load(&out).expect("plane file")
}

#[test]
fn plane_is_orthonormal_in_euclidean_units_with_the_models_at_their_marks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runs = [
        train(dir.path(), "a", "0.1"),
        train(dir.path(), "b", "0.3"),
        train(dir.path(), "c", "0.03"),
    ];
    // The reference geometry, from the checkpoints' weights (Garipov's plane.py in f64).
    let [wa, wb, wc] = [&runs[0], &runs[1], &runs[2]].map(|r| weights(r));
    let ab: Vec<f64> = wb.iter().zip(&wa).map(|(x, y)| x - y).collect();
    let ac: Vec<f64> = wc.iter().zip(&wa).map(|(x, y)| x - y).collect();
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
    let bx = dot(&ab, &ab).sqrt();
    let cx = dot(&ab, &ac) / bx;
    let cy = (dot(&ac, &ac) - cx * cx).sqrt();
    let cosine = cx / dot(&ac, &ac).sqrt();
    assert!(
        cosine.abs() > 0.05,
        "the test needs a sheared affine plane: {cosine}"
    );

    let file = plane(dir.path(), &runs, "plane.npz", &["--resolution", "5"]);
    let info = file.meta.plane.expect("plane info");
    assert_eq!(info.axes, PlaneAxes::Orthonormal);
    assert_eq!(file.meta.cosine, Some(0.0));
    assert!(
        (info.cosine - cosine).abs() < 1e-6,
        "{} vs {cosine}",
        info.cosine
    );
    let want = [[0.0, 0.0], [bx, 0.0], [cx, cy]];
    for (got, want) in info.marks.iter().zip(want) {
        for k in 0..2 {
            assert!(
                (got[k] - want[k]).abs() < 1e-5 * bx,
                "{:?} vs {want:?}",
                info.marks
            );
        }
    }
    // The default grid spans the three models plus 20% on each side.
    let (x, y) = (file.meta.grid.x, file.meta.grid.y.expect("2-D"));
    assert_eq!((x.num, y.num), (5, 5));
    for m in &info.marks {
        assert!(x.min < m[0] + 1e-12 && m[0] < x.max + 1e-12);
        assert!(y.min < m[1] + 1e-12 && m[1] < y.max + 1e-12);
    }

    // The plot marks the three models and shows the cosine the orthonormal axes removed.
    ok(descent(&[
        "landscape",
        "plot",
        s(&dir.path().join("plane.npz")),
    ]));
    let svg = std::fs::read_to_string(dir.path().join("plane-contour.svg")).expect("svg");
    for needle in [
        "A: a".to_string(),
        "B: b".to_string(),
        "C: c".to_string(),
        "orthonormal basis".to_string(),
        format!("cosine of B - A and C - A: {cosine:.3}"),
    ] {
        assert!(svg.contains(&needle), "{needle:?} not in the plane's SVG");
    }

    // Scanning through the marks gives each model's own training loss.
    let axis = |lo: f64, hi: f64| format!("{lo:.17e}:{hi:.17e}:2");
    let ab_file = plane(
        dir.path(),
        &runs,
        "ab.npz",
        &["--x", &axis(0.0, bx), "--y", &axis(0.0, cy)],
    );
    let c_file = plane(
        dir.path(),
        &runs,
        "c.npz",
        &["--x", &axis(cx, cx + 1.0), "--y", &axis(cy, cy + 1.0)],
    );
    let [la, lb, lc] = [&runs[0], &runs[1], &runs[2]].map(|r| train_loss(r));
    let close = |got: f64, want: f64| (got - want).abs() < 1e-4 * (1.0 + want);
    assert!(close(ab_file.values["loss_train"][0], la));
    assert!(close(ab_file.values["loss_train"][1], lb));
    assert!(close(c_file.values["loss_train"][0], lc));

    // The affine axes: the models at (0,0), (1,0), (0,1), and the cosine recorded.
    let affine = plane(
        dir.path(),
        &runs,
        "affine.npz",
        &["--affine", "--x", "0:1:2", "--y", "0:1:2"],
    );
    let info = affine.meta.plane.expect("plane info");
    assert_eq!(info.axes, PlaneAxes::Affine);
    assert_eq!(info.marks, [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]);
    assert!((affine.meta.cosine.expect("2-D") - cosine).abs() < 1e-6);
    let loss = &affine.values["loss_train"];
    assert!(close(loss[0], la) && close(loss[1], lb) && close(loss[2], lc));
}

#[test]
fn landscape_commands_evaluate_the_training_split_by_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = train(dir.path(), "a", "0.1");
    let out = dir.path().join("scan.npz");
    ok(descent(&[
        "landscape",
        "scan",
        s(&run),
        "--x",
        "-1:1:3",
        "--samples",
        "50",
        "--out",
        s(&out),
    ]));
    let file = ScanFile::load(&out).expect("scan");
    assert_eq!(file.meta.eval.splits, ["train"]);
    assert!((file.values["loss_train"][1] - train_loss(&run)).abs() < 1e-6);
    for command in [
        "scan",
        "curvature",
        "spectrum",
        "trajectory",
        "curvature-map",
    ] {
        let help = text(&ok(descent(&["landscape", command, "--help"])).stdout);
        assert!(
            help.contains("default is the training split"),
            "{command} --help:\n{help}"
        );
    }
}
