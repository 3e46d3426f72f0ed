//! `descent train` with SWA, EMA and snapshots, then `descent eval --averaged` and
//! `--ensemble` on what it saved, through the binary; and the flags it refuses.

mod common;

use common::{descent, ok, s, text};

/// Parses `{"loss":..,"accuracy":..,"samples":..}` from `descent eval --json`.
fn metrics(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(text(&out.stdout).trim()).expect("eval --json prints one JSON object")
}

/// The `test` metrics an average's `averaging.json` recorded at the end of training.
fn recorded(dir: &std::path::Path) -> serde_json::Value {
    let about: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("averaging.json")).expect("averaging.json written"),
    )
    .expect("json");
    about["test"].clone()
}

#[test]
fn train_with_swa_ema_and_snapshots_then_evaluate_them() {
    let root = tempfile::tempdir().expect("tempdir");
    let run = root.path().join("run");
    let out = ok(descent(&[
        "train",
        "--model",
        "mlp",
        "--hidden",
        "16",
        "--dataset",
        "spirals",
        "--epochs",
        "6",
        "--lr",
        "0.1",
        "--schedule",
        "sgdr",
        "--t0",
        "2",
        "--t-mult",
        "1",
        "--swa-start",
        "3",
        "--swa-lr",
        "0.05",
        "--swa-anneal-epochs",
        "1",
        "--ema",
        "0.99",
        "--snapshots",
        "--out",
        s(&run),
    ]));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("SWA average of 3 updates"), "{stdout}");
    assert!(stdout.contains("EMA average of "), "{stdout}");
    assert!(
        stdout.contains("snapshot ensemble of epochs 2, 4, 6"),
        "{stdout}"
    );
    for folder in ["swa", "ema", "snapshots/epoch-0002", "snapshots/epoch-0006"] {
        assert!(run.join(folder).join("model.bpk").is_file(), "{folder}");
    }
    assert!(run.join("checkpoint/swa.bpk").is_file());

    // eval --averaged reproduces what training recorded for the average.
    for name in ["swa", "ema"] {
        let out = ok(descent(&["eval", s(&run), "--averaged", name, "--json"]));
        let got = metrics(&out);
        let want = recorded(&run.join(name));
        assert_eq!(got["samples"], want["samples"]);
        assert_eq!(got["accuracy"], want["accuracy"], "{name}");
        let (a, b) = (got["loss"].as_f64(), want["loss"].as_f64());
        assert!((a.expect("loss") - b.expect("loss")).abs() < 1e-6, "{name}");
    }

    // The ensemble of the run's snapshots; the same members named one by one agree.
    let from_run = metrics(&ok(descent(&["eval", s(&run), "--ensemble", "--json"])));
    let snapshots = run.join("snapshots");
    let listed = metrics(&ok(descent(&[
        "eval",
        s(&snapshots.join("epoch-0002")),
        "--ensemble",
        s(&snapshots.join("epoch-0004")),
        s(&snapshots.join("epoch-0006")),
        "--json",
    ])));
    assert_eq!(from_run, listed);
    let out = ok(descent(&["eval", s(&run), "--ensemble"]));
    assert!(
        text(&out.stdout).starts_with("ensemble of 3 models"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn averaging_flags_that_cannot_work_are_refused() {
    let root = tempfile::tempdir().expect("tempdir");
    let out = root.path().join("never");
    let base = [
        "train",
        "--model",
        "mlp",
        "--dataset",
        "spirals",
        "--out",
        s(&out),
    ];
    for (extra, code, needle) in [
        (&["--snapshots"][..], 2, "--schedule sgdr"),
        (&["--swa-start", "5", "--epochs", "5"][..], 2, "swa_start"),
        (&["--swa-start", "1", "--swa-lr", "-1"][..], 2, "swa_lr"),
        (&["--ema", "1.5"][..], 2, "decay"),
        (&["--swa-lr", "0.1"][..], 2, "--swa-start"),
        (&["--snapshot-epochs", "0"][..], 2, "snapshot_epochs"),
        (&["--average-buffers", "median"][..], 2, "median"),
        (
            &[
                "--swa-start",
                "1",
                "--swa-lr",
                "0.1",
                "--swa-anneal",
                "cubic",
            ][..],
            2,
            "cubic",
        ),
    ] {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let result = descent(&args);
        let stderr = text(&result.stderr);
        assert_eq!(result.status.code(), Some(code), "{extra:?}: {stderr}");
        assert!(stderr.contains(needle), "{extra:?}: {stderr}");
        assert!(!out.exists(), "{extra:?} left a folder behind");
    }
}

#[test]
fn eval_of_an_average_or_ensemble_that_was_not_saved_is_refused() {
    let root = tempfile::tempdir().expect("tempdir");
    let run = root.path().join("plain");
    ok(descent(&[
        "train",
        "--model",
        "mlp",
        "--hidden",
        "4",
        "--dataset",
        "spirals",
        "--epochs",
        "1",
        "--out",
        s(&run),
    ]));
    for (args, needle) in [
        (vec!["eval", s(&run), "--averaged", "swa"], "--swa-start"),
        (vec!["eval", s(&run), "--averaged", "ema"], "--ema"),
        (vec!["eval", s(&run), "--averaged", "mean"], "swa or ema"),
        (vec!["eval", s(&run), "--ensemble"], "snapshots"),
    ] {
        let result = descent(&args);
        let stderr = text(&result.stderr);
        assert!(
            matches!(result.status.code(), Some(2 | 3)),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}
