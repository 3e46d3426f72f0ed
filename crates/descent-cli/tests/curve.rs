//! `descent landscape curve` end to end: two MLPs trained from different seeds on spirals, a
//! Bezier curve between them, its files, and its refusals, through the real binary.

use std::path::{Path, PathBuf};
mod common;

use common::{descent, ok, s, text, train_spirals_mlp};

use descent_landscape::ScanFile;

/// Trains an MLP 2-16-3 on spirals for two epochs from `seed`.
fn train(dir: &Path, name: &str, seed: &str) -> PathBuf {
    let out = dir.join(name);
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
            seed,
        ],
    ));
    out
}

fn numbers(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

#[test]
fn curve_trains_measures_both_paths_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = train(dir.path(), "a", "1");
    let b = train(dir.path(), "b", "2");
    let out = dir.path().join("curve");
    let run = ok(descent(&[
        "landscape",
        "curve",
        s(&a),
        s(&b),
        "--epochs",
        "2",
        "--points",
        "5",
        "--samples",
        "100",
        "--train-samples",
        "200",
        "--plane-resolution",
        "3",
        "--out",
        s(&out),
    ]));
    let stdout = text(&run.stdout);
    assert!(stdout.contains("bezier: loss_train at A"), "{stdout}");
    assert!(stdout.contains("line: loss_train at A"), "{stdout}");

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("curve.json")).expect("curve.json"))
            .expect("json");
    assert_eq!(json["format"], "descent-curve");
    assert_eq!(numbers(&json["profiles"]["t"]), [0.0, 0.25, 0.5, 0.75, 1.0]);
    assert_eq!(json["history"].as_array().expect("history").len(), 2);
    assert_eq!(json["eval"]["bn"], "recompute");
    for path in ["curve", "line"] {
        let losses = numbers(&json["profiles"][path]["values"]["loss_train"]);
        let max = losses.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let expected = max - 0.5 * (losses[0] + losses[4]);
        let barrier = json["profiles"][path]["barrier"].as_f64().expect("barrier");
        assert!(
            (barrier - expected).abs() < 1e-12,
            "{path}: {barrier} vs {expected}"
        );
    }
    // Both paths start at A and end at C.
    let curve = numbers(&json["profiles"]["curve"]["values"]["loss_train"]);
    let line = numbers(&json["profiles"]["line"]["values"]["loss_train"]);
    assert!((curve[0] - line[0]).abs() < 1e-6 && (curve[4] - line[4]).abs() < 1e-6);

    // The straight line agrees with `descent landscape interpolate` on the same subset.
    let scan = dir.path().join("line.npz");
    ok(descent(&[
        "landscape",
        "interpolate",
        s(&a),
        s(&b),
        "--x",
        "0:1:5",
        "--samples",
        "100",
        "--out",
        s(&scan),
    ]));
    let scanned = ScanFile::load(&scan).expect("scan file");
    for (x, y) in scanned.values["loss_train"].iter().zip(&line) {
        assert!((x - y).abs() < 1e-5, "interpolate {x} vs curve's line {y}");
    }

    // The bend is a checkpoint: the plane of A, bend and C scans.
    assert!(out.join("bend/model.bpk").is_file() && out.join("bend/model.json").is_file());
    ok(descent(&[
        "landscape",
        "plane",
        s(&a),
        s(&out.join("bend")),
        s(&b),
        "--resolution",
        "3",
        "--samples",
        "50",
        "--out",
        s(&dir.path().join("plane.npz")),
    ]));
    // --plane-resolution: the plane of A, bend, C scanned (3 x 3, done) and drawn with the paths.
    let plane = ScanFile::load(&out.join("plane.npz")).expect("plane scan");
    assert_eq!(plane.done_count(), 9);
    for figure in ["profile.svg", "plane.svg", "plane-loss.svg"] {
        let svg = std::fs::read_to_string(out.join(figure)).expect("figure");
        assert!(svg.starts_with("<svg") || svg.contains("<svg"), "{figure}");
    }

    // Never overwritten: the same folder again is a usage error naming it.
    let again = descent(&[
        "landscape",
        "curve",
        s(&a),
        s(&b),
        "--epochs",
        "1",
        "--out",
        s(&out),
    ]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("already holds curve.json"),
        "{}",
        text(&again.stderr)
    );
    // One bend only.
    let bends = descent(&[
        "landscape",
        "curve",
        s(&a),
        s(&b),
        "--bends",
        "2",
        "--out",
        s(&dir.path().join("c2")),
    ]);
    assert_eq!(bends.status.code(), Some(2), "{}", text(&bends.stderr));
    assert!(
        text(&bends.stderr).contains("bends"),
        "{}",
        text(&bends.stderr)
    );
    // A momentum of 1 or more is refused before anything runs.
    let bad = descent(&[
        "landscape",
        "curve",
        s(&a),
        s(&b),
        "--momentum",
        "1",
        "--out",
        s(&dir.path().join("c3")),
    ]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    assert!(!dir.path().join("c3").join("curve.json").exists());
}
