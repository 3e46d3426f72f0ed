//! `descent landscape curvature` and `descent landscape spectrum` end to end: a tiny MLP
//! trained by `descent train` on spirals, measured through the real binary. (The numbers
//! themselves are checked against PyTorch's exact Hessian in
//! `descent-landscape/src/curvature/reference_tests.rs`.)

use std::path::{Path, PathBuf};
mod common;

use common::{descent, ok, s, text, train_spirals_mlp};

use descent_landscape::curvature::CurvatureFile;

/// An MLP 2-16-3 trained on spirals for two epochs.
fn train(dir: &Path) -> PathBuf {
    let out = dir.join("run");
    ok(train_spirals_mlp(
        &out,
        &[
            "--epochs",
            "2",
            "--batch-size",
            "32",
            "--lr",
            "0.1",
            "--seed",
            "1",
        ],
    ));
    out
}

#[test]
fn curvature_of_a_trained_mlp_is_printed_and_saved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = train(dir.path());
    let file = dir.path().join("curvature.npz");
    let out = ok(descent(&[
        "landscape",
        "curvature",
        s(&run),
        "--samples",
        "100",
        "--top-k",
        "2",
        "--iterations",
        "60",
        "--trace-min-draws",
        "6",
        "--trace-max-draws",
        "6",
        "--per-layer",
        "--sharpness",
        "keskar,adaptive",
        "--sharpness-eps",
        "0.01",
        "--sharpness-steps",
        "3",
        "--sharpness-starts",
        "2",
        "--seed",
        "4",
        "--out",
        s(&file),
    ]));
    let stdout = text(&out.stdout);
    for label in [
        "lambda_max",
        "lambda_min",
        "largest 2",
        "residual",
        "trace",
        "Mlp.hidden.0",
        "sharpness",
        "Keskar et al. 2017 metric 2.1",
        "ASAM",
        "data            train",
    ] {
        assert!(stdout.contains(label), "{label} missing from\n{stdout}");
    }
    let c = CurvatureFile::load(&file).expect("a curvature file");
    let r = &c.report;
    // The training split by default: the loss is the one `descent eval` reports on the same
    // 100 training samples.
    assert_eq!(c.eval.splits, ["train"]);
    let eval = ok(descent(&[
        "eval",
        s(&run),
        "--split",
        "train",
        "--samples",
        "100",
        "--json",
    ]));
    let v: serde_json::Value = serde_json::from_slice(&eval.stdout).expect("json");
    let want = v["loss"].as_f64().expect("loss");
    assert!(
        (r.loss - want).abs() < 1e-4 * (1.0 + want),
        "{} vs {want}",
        r.loss
    );
    assert_eq!(r.parameters, 2 * 16 + 16 + 16 * 3 + 3);
    assert_eq!(r.largest.len(), 2);
    assert_eq!(r.smallest.len(), 1);
    assert!(r.largest[0].value >= r.largest[1].value);
    assert!(r.lambda_max.value >= r.lambda_min.value);
    // A converged eigenpair passed the residual test, against the recorded norm.
    for e in r.largest.iter().chain(&r.smallest) {
        assert!(e.residual.is_finite());
        assert_eq!(
            e.converged,
            e.residual <= c.options.eigen.tol * r.hessian_norm,
            "{e:?}"
        );
    }
    assert_eq!(r.trace.draws.len(), 6);
    assert_eq!(r.layers.len(), 2);
    assert_eq!(
        r.layers.iter().map(|l| l.parameters).sum::<usize>(),
        r.parameters
    );
    assert_eq!(r.sharpness.len(), 2);
    assert!(
        r.sharpness
            .iter()
            .all(|s| s.value >= 0.0 && s.max_loss >= s.loss)
    );
    assert!(r.hessian_vector_products > 0);
    assert_eq!(c.options.eigen.seed, 4);
    // --per-layer also draws the blocks: a bar per layer for each of the file's three numbers
    // (the SVG holds each layer's name and each value's bar label).
    let svg = std::fs::read_to_string(dir.path().join("curvature-layers.svg")).expect("layers svg");
    assert!(dir.path().join("curvature-layers.png").is_file());
    for l in &r.layers {
        assert!(
            svg.contains(&l.layer),
            "{} missing from the layers figure",
            l.layer
        );
    }
    for series in ["largest eigenvalue", "smallest eigenvalue", "trace"] {
        assert!(
            svg.contains(series),
            "{series} missing from the layers figure"
        );
    }
    assert!(stdout.contains("curvature-layers.svg"), "{stdout}");
}

#[test]
fn spectrum_is_saved_with_a_density_that_integrates_to_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = train(dir.path());
    let file = dir.path().join("spectrum.npz");
    let out = ok(descent(&[
        "landscape",
        "spectrum",
        s(&run),
        "--lanczos-steps",
        "30",
        "--probes",
        "2",
        "--samples",
        "100",
        "--out",
        s(&file),
    ]));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("mean eigenvalue"), "{stdout}");
    let f = descent_landscape::curvature::SpectrumFile::load(&file).expect("a spectrum file");
    assert_eq!(f.meta.eval.splits, ["train"]);
    assert_eq!(f.density.nodes.len(), 2);
    assert_eq!(f.meta.products, 60);
    assert!((f.density.integral() - 1.0).abs() < 1e-3);
    for (t, w) in f.density.nodes.iter().zip(&f.density.weights) {
        assert_eq!(t.len(), 30);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }
    for ext in ["svg", "png"] {
        let path = dir.path().join(format!("spectrum.{ext}"));
        assert!(stdout.contains(&path.display().to_string()), "{stdout}");
        assert!(path.is_file(), "{ext}");
    }
    let svg = std::fs::read_to_string(dir.path().join("spectrum.svg")).expect("svg");
    assert!(svg.contains("eigenvalue") && svg.contains("log scale"));
}

#[test]
fn bad_curvature_options_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = descent(&[
        "landscape",
        "curvature",
        s(&dir.path().join("missing")),
        "--out",
        s(&dir.path().join("c.npz")),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("missing"),
        "{}",
        text(&out.stderr)
    );
    let run = train(dir.path());
    for (flag, value, needle) in [
        ("--split", "train,test", "one split"),
        ("--iterations", "0", "iterations"),
        ("--trace-min-draws", "1", "trace draws"),
        ("--trace-rtol", "0", "trace_rtol"),
        ("--tol", "0", "tol"),
        ("--top-k", "0", "top_k"),
        ("--method", "cubic", "cubic"),
        ("--precision", "f16", "f16"),
    ] {
        let out = descent(&[
            "landscape",
            "curvature",
            s(&run),
            "--samples",
            "30",
            flag,
            value,
            "--out",
            s(&dir.path().join("c.npz")),
        ]);
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(needle),
            "{flag}: {}",
            text(&out.stderr)
        );
    }
    assert!(!dir.path().join("c.npz").exists());
}

#[test]
fn curvature_map_of_a_scan_is_saved_and_plotted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = train(dir.path());
    let scan = dir.path().join("scan.npz");
    ok(descent(&[
        "landscape",
        "scan",
        s(&run),
        "--x",
        "-0.5:0.5:3",
        "--y",
        "-0.5:0.5:3",
        "--samples",
        "100",
        "--out",
        s(&scan),
    ]));
    let map = dir.path().join("map.npz");
    let out = ok(descent(&[
        "landscape",
        "curvature-map",
        s(&scan),
        "--samples",
        "100",
        "--iterations",
        "30",
        "--out",
        s(&map),
    ]));
    assert!(
        text(&out.stdout).contains("9 points"),
        "{}",
        text(&out.stdout)
    );
    let file = descent_landscape::ScanFile::load(&map).expect("a scan-format file");
    assert_eq!(file.done_count(), 9);
    let (ratio, max, min) = (
        &file.values["curvature_ratio"],
        &file.values["lambda_max"],
        &file.values["lambda_min"],
    );
    for k in 0..9 {
        assert!(max[k].is_finite() && min[k].is_finite(), "point {k}");
        assert!(max[k] >= min[k], "point {k}: {} < {}", max[k], min[k]);
        assert!(
            (ratio[k] - (min[k] / max[k]).abs()).abs() < 1e-12,
            "point {k}"
        );
    }
    let out = ok(descent(&[
        "landscape",
        "plot",
        s(&map),
        "--metric",
        "curvature_ratio",
        "--style",
        "heatmap",
    ]));
    assert!(text(&out.stdout).contains(".svg"), "{}", text(&out.stdout));
    // A 1-D scan has no plane to map.
    let line = dir.path().join("line.npz");
    ok(descent(&[
        "landscape",
        "scan",
        s(&run),
        "--x",
        "-1:1:3",
        "--samples",
        "50",
        "--out",
        s(&line),
    ]));
    let out = descent(&[
        "landscape",
        "curvature-map",
        s(&line),
        "--out",
        s(&dir.path().join("bad.npz")),
    ]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("2-D"), "{}", text(&out.stderr));
    assert!(!dir.path().join("bad.npz").exists());
}
