//! `descent train --swag` and `descent eval RUN --swag` through the binary: a tiny run, its
//! posterior file, the evaluation table and JSON, and the inputs they refuse.

mod common;

use common::{descent, ok, s, text, train_spirals_mlp};

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(text(&out.stdout).trim()).expect("one JSON object")
}

fn close(a: &serde_json::Value, b: &serde_json::Value, tol: f64) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) => (a - b).abs() <= tol,
        _ => false,
    }
}

#[test]
fn train_with_swag_then_evaluate_the_bayesian_model_average() {
    let root = tempfile::tempdir().expect("tempdir");
    let run = root.path().join("run");
    let trained = ok(train_spirals_mlp(
        &run,
        &[
            "--epochs",
            "6",
            "--lr",
            "0.1",
            "--swa-start",
            "2",
            "--swag",
            "--swag-rank",
            "3",
        ],
    ));
    assert!(run.join("swag.bin").is_file());
    assert!(
        text(&trained.stdout).contains("descent eval"),
        "{}",
        text(&trained.stdout)
    );
    assert!(run.join("checkpoint/swag.bin").is_file());
    assert_eq!(
        std::fs::read(run.join("swag.bin")).expect("read"),
        std::fs::read(run.join("checkpoint/swag.bin")).expect("read"),
        "the final posterior is the last checkpoint's"
    );

    let out = ok(descent(&[
        "eval",
        s(&run),
        "--swag",
        "--swag-samples",
        "3",
        "--json",
    ]));
    let got = json(&out);
    assert_eq!(
        got["collected_models"], 4,
        "epochs 3..6 after --swa-start 2"
    );
    assert_eq!(got["deviations"], 3, "the last K = 3");
    assert_eq!(got["options"]["scale"], 0.5);
    for row in ["swag", "swa", "last"] {
        assert_eq!(got[row]["samples"], 500, "{row}: the spirals test set");
        let ece = got[row]["ece"].as_f64().expect("ece");
        assert!((0.0..=1.0).contains(&ece), "{row}: {ece}");
    }

    // The last weights are what plain eval measures (its loss is the mean cross-entropy).
    let plain = json(&ok(descent(&["eval", s(&run), "--json"])));
    assert_eq!(got["last"]["accuracy"], plain["accuracy"]);
    assert!(
        close(&got["last"]["nll"], &plain["loss"], 1e-5),
        "{got} {plain}"
    );
    // Plain eval reports the same ECE of the last weights (15 equal-width bins, Guo et al.).
    assert!(
        close(&got["last"]["ece"], &plain["ece"], 1e-6),
        "{got} {plain}"
    );
    // The posterior's mean is the SWA average (same moments, same collects).
    let swa = json(&ok(descent(&[
        "eval",
        s(&run),
        "--averaged",
        "swa",
        "--json",
    ])));
    assert_eq!(got["swa"]["accuracy"], swa["accuracy"]);
    assert!(close(&got["swa"]["nll"], &swa["loss"], 1e-5), "{got} {swa}");
    // With scale 0 every sample is the mean, so their average is the SWA mean's prediction.
    let zero = json(&ok(descent(&[
        "eval",
        s(&run),
        "--swag",
        "--swag-samples",
        "2",
        "--swag-scale",
        "0",
        "--json",
    ])));
    assert_eq!(zero["swag"]["accuracy"], zero["swa"]["accuracy"]);
    assert!(
        close(&zero["swag"]["nll"], &zero["swa"]["nll"], 1e-9),
        "{zero}"
    );
    assert!(
        close(&zero["swag"]["ece"], &zero["swa"]["ece"], 1e-9),
        "{zero}"
    );
    // The same seed draws the same samples; another seed others.
    let again = json(&ok(descent(&[
        "eval",
        s(&run),
        "--swag",
        "--swag-samples",
        "3",
        "--json",
    ])));
    assert_eq!(again, got);
    let other = json(&ok(descent(&[
        "eval",
        s(&run),
        "--swag",
        "--swag-samples",
        "3",
        "--seed",
        "5",
        "--json",
    ])));
    assert_ne!(other["swag"]["nll"], got["swag"]["nll"]);

    // The table names the three rows.
    let out = ok(descent(&[
        "eval",
        s(&run),
        "--swag",
        "--swag-samples",
        "2",
        "--swag-covariance",
        "diagonal",
    ]));
    let table = text(&out.stdout);
    for needle in ["swag-bma", "swa-mean", "last", "diagonal", "ece"] {
        assert!(table.contains(needle), "{needle}: {table}");
    }
}

/// A VGG with batch norm: each sample's statistics are recomputed on `--bn-samples`
/// training samples.
#[test]
fn swag_of_a_batch_norm_network_recomputes_statistics_per_sample() {
    let root = tempfile::tempdir().expect("tempdir");
    let run = root.path().join("vgg");
    ok(descent(&[
        "train",
        "--model",
        "vgg11",
        "--dataset",
        "synthetic",
        "--train-samples",
        "64",
        "--test-samples",
        "32",
        "--epochs",
        "3",
        "--batch-size",
        "32",
        "--lr",
        "0.05",
        "--swa-start",
        "1",
        "--swag",
        "--swag-rank",
        "2",
        "--out",
        s(&run),
    ]));
    let got = json(&ok(descent(&[
        "eval",
        s(&run),
        "--swag",
        "--swag-samples",
        "2",
        "--bn-samples",
        "48",
        "--samples",
        "32",
        "--json",
    ])));
    assert_eq!(got["bn_samples_used"], 48, "{got}");
    assert_eq!(got["swag"]["samples"], 32, "{got}");
    // Without --bn-samples: the run's own 64 training samples (its config.json).
    let all = json(&ok(descent(&[
        "eval",
        s(&run),
        "--swag",
        "--swag-samples",
        "1",
        "--json",
    ])));
    assert_eq!(all["bn_samples_used"], 64, "{all}");
}

#[test]
fn bad_swag_input_is_refused_with_exit_2() {
    let root = tempfile::tempdir().expect("tempdir");
    let plain = root.path().join("plain");
    ok(train_spirals_mlp(&plain, &["--epochs", "2"]));
    for (args, needle) in [
        (
            vec![
                "--epochs",
                "3",
                "--swa-start",
                "1",
                "--swag",
                "--swag-rank",
                "1",
            ],
            "--swag-rank",
        ),
        (
            vec![
                "--epochs",
                "3",
                "--swa-start",
                "1",
                "--swag",
                "--swag-rank",
                "0",
            ],
            "--swag-rank",
        ),
        (vec!["--epochs", "3", "--swag"], "--swa-start"),
        // 1e9 x 99 parameters x 4 bytes: 396 GB, more than this machine has.
        (
            vec![
                "--epochs",
                "3",
                "--swa-start",
                "1",
                "--swag",
                "--swag-rank",
                "1000000000",
            ],
            "K = 1000000000",
        ),
    ] {
        let out = train_spirals_mlp(&root.path().join("bad"), &args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(needle),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!root.path().join("bad").exists(), "{args:?} left a folder");
    }
    let out = descent(&["eval", s(&plain), "--swag"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("swag.bin") && stderr.contains("--swag"),
        "{stderr}"
    );
    let swag = root.path().join("swag");
    ok(train_spirals_mlp(
        &swag,
        &[
            "--epochs",
            "3",
            "--swa-start",
            "1",
            "--swag",
            "--swag-rank",
            "2",
        ],
    ));
    for (args, needle) in [
        (vec!["--swag", "--swag-samples", "0"], "--swag-samples"),
        (vec!["--swag", "--swag-scale", "-1"], "swag_scale"),
        (vec!["--swag", "--swag-scale", "nan"], "swag_scale"),
        (vec!["--swag", "--bn-samples", "0"], "--bn-samples"),
        (
            vec!["--swag", "--swag-covariance", "kfac"],
            "--swag-covariance",
        ),
        (vec!["--swag", "--averaged", "swa"], "--averaged"),
    ] {
        let mut full = vec!["eval", s(&swag)];
        full.extend(args.iter().copied());
        let out = descent(&full);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    // A damaged posterior file is bad input (3), naming the file.
    let bytes = std::fs::read(swag.join("swag.bin")).expect("read");
    std::fs::write(swag.join("swag.bin"), &bytes[..bytes.len() - 3]).expect("write");
    let out = descent(&["eval", s(&swag), "--swag"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("swag.bin"),
        "{}",
        text(&out.stderr)
    );
}
