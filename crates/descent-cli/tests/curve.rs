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

/// The arguments of a curve run long enough to be killed while its bend trains: 60 epochs of
/// 200 samples.
fn long_curve_args<'a>(a: &'a Path, b: &'a Path, out: &'a Path, seed: &'a str) -> Vec<&'a str> {
    vec![
        "landscape",
        "curve",
        s(a),
        s(b),
        "--epochs",
        "60",
        "--batch-size",
        "50",
        "--points",
        "5",
        "--samples",
        "100",
        "--train-samples",
        "200",
        "--seed",
        seed,
        "--out",
        s(out),
    ]
}

#[test]
fn a_curve_killed_while_its_bend_trains_resumes_to_the_same_bend() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().expect("tempdir");
    let a = train(dir.path(), "a", "1");
    let b = train(dir.path(), "b", "2");

    let straight = dir.path().join("straight");
    ok(descent(&long_curve_args(&a, &b, &straight, "7")));
    assert!(
        !straight.join("progress.npz").exists(),
        "the progress file is removed once curve.json is written"
    );

    // Kill the same run with SIGKILL as soon as its first epoch's progress is on disk.
    let stopped = dir.path().join("stopped");
    let mut child = Command::new(env!("CARGO_BIN_EXE_descent"))
        .args(long_curve_args(&a, &b, &stopped, "7"))
        .env_remove("BURN_DEVICE")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let progress = stopped.join("progress.npz");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !progress.exists() && Instant::now() < deadline {
        if child.try_wait().expect("try_wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    assert!(
        progress.exists() && !stopped.join("curve.json").exists(),
        "the kill should land while the bend trains (raise the epochs if this machine is faster)"
    );
    let meta = {
        let bytes = std::fs::read(&progress).expect("progress");
        let npz = descent_landscape::npz::Npz::from_bytes(&bytes).expect("npz");
        let meta: serde_json::Value =
            serde_json::from_slice(npz.raw.get("meta.json").expect("meta")).expect("json");
        meta
    };
    let done = meta["history"].as_array().expect("history").len();
    assert!((1..60).contains(&done), "{done} epochs done at the kill");

    // Another job on the same folder is refused, naming the file; the progress is kept.
    let other = descent(&long_curve_args(&a, &b, &stopped, "8"));
    assert_eq!(other.status.code(), Some(3), "{}", text(&other.stderr));
    assert!(
        text(&other.stderr).contains("progress of another curve run"),
        "{}",
        text(&other.stderr)
    );
    assert!(progress.exists());

    // The same job continues and ends exactly where the uninterrupted one did.
    ok(descent(&long_curve_args(&a, &b, &stopped, "7")));
    assert!(!progress.exists());
    assert_eq!(
        std::fs::read(straight.join("bend").join("model.bpk")).expect("bend"),
        std::fs::read(stopped.join("bend").join("model.bpk")).expect("bend"),
        "the resumed bend differs from the uninterrupted one ({done} epochs done at the kill)"
    );
    let result = |dir: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.join("curve.json")).expect("curve.json"))
            .expect("json")
    };
    let (x, y) = (result(&straight), result(&stopped));
    assert_eq!(x["history"], y["history"]);
    assert_eq!(x["profiles"], y["profiles"]);
}
