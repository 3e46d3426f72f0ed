//! `descent schedule` end to end: CSV and JSON tables, plot files, bad flags and exit codes.

mod common;

use common::{descent, text};

#[test]
fn sgdr_csv_per_epoch_restarts_at_the_cycle_ends() {
    // SGDR (Loshchilov & Hutter) with T_0 = 2, T_mult = 2, eta_min = 0, lr 0.1, stepped at
    // epoch starts: cycles [0, 2) and [2, 6); lr = 0.05 (1 + cos(pi t / T)).
    let out = descent(&[
        "schedule",
        "--schedule",
        "sgdr",
        "--t0",
        "2",
        "--t-mult",
        "2",
        "--lr",
        "0.1",
        "--epochs",
        "6",
        "--steps-per-epoch",
        "5",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("epoch,lr"));
    let rates: Vec<f64> = lines
        .map(|l| {
            l.split(',')
                .nth(1)
                .expect("lr column")
                .parse()
                .expect("number")
        })
        .collect();
    let pi = std::f64::consts::PI;
    let want = [
        0.1,
        0.05 * (1.0 + (pi / 2.0).cos()),
        0.1,
        0.05 * (1.0 + (pi / 4.0).cos()),
        0.05 * (1.0 + (pi * 2.0 / 4.0).cos()),
        0.05 * (1.0 + (pi * 3.0 / 4.0).cos()),
    ];
    assert_eq!(rates.len(), 6);
    for (got, want) in rates.iter().zip(want) {
        assert!((got - want).abs() < 1e-9, "{rates:?}");
    }
}

#[test]
fn json_per_step_to_a_file_with_a_png_plot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json_path = dir.path().join("s.json");
    let png_path = dir.path().join("s.png");
    let out = descent(&[
        "schedule",
        "--schedule",
        "onecycle",
        "--lr",
        "0.2",
        "--epochs",
        "3",
        "--train-samples",
        "100",
        "--batch-size",
        "32",
        "--per",
        "step",
        "--format",
        "json",
        "--out",
        json_path.to_str().expect("utf-8"),
        "--plot",
        png_path.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "the table went to the file");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("json")).expect("parses");
    assert_eq!(doc["steps_per_epoch"], 4, "ceil(100 / 32)");
    let rates = doc["rates"].as_array().expect("rates");
    assert_eq!(rates.len(), 12);
    assert_eq!(rates[5]["step"], 5);
    assert_eq!(rates[5]["epoch"], 1);
    let peak = rates
        .iter()
        .map(|r| r["lr"].as_f64().expect("lr"))
        .fold(0.0, f64::max);
    assert!(
        (peak - 0.2).abs() < 0.02,
        "one-cycle peaks near --lr: {peak}"
    );
    let png = std::fs::read(&png_path).expect("png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn svg_plot_names_the_schedule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let svg = dir.path().join("s.svg");
    let out = descent(&[
        "schedule",
        "--schedule",
        "multistep",
        "--milestones",
        "2,4",
        "--epochs",
        "6",
        "--plot",
        svg.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 7, "header + 6 epochs");
    let doc = std::fs::read_to_string(&svg).expect("svg");
    assert!(doc.contains("learning-rate schedule: multistep"), "{doc}");
    assert!(doc.contains("learning rate") && doc.contains(">epoch<"));
}

#[test]
fn bad_flags_fail_with_usage_codes_and_write_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("s.csv");
    let csv_s = csv.to_str().expect("utf-8");
    // A flag the schedule does not use.
    let out = descent(&[
        "schedule",
        "--schedule",
        "cosine",
        "--t0",
        "3",
        "--out",
        csv_s,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--t0"), "{}", text(&out.stderr));
    // An unknown schedule name, zero epochs, an unknown plot extension, a bad --per.
    for args in [
        vec!["schedule", "--schedule", "cosin"],
        vec!["schedule", "--epochs", "0"],
        vec!["schedule", "--plot", "s.jpg", "--out", csv_s],
        vec!["schedule", "--per", "week"],
        vec!["schedule", "--train-samples", "10"],
    ] {
        let out = descent(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).is_empty());
    }
    assert!(!csv.exists(), "no output after a usage error");
    // An unwritable output is exit code 6.
    let out = descent(&["schedule", "--out", "/nonexistent-dir/s.csv"]);
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
}
