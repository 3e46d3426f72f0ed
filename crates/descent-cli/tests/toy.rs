//! `descent toy` end to end: real processes, real files, exit codes.

mod common;

use common::text;
use std::process::Output;

/// Runs `descent toy` with `args`.
fn descent(args: &[&str]) -> Output {
    let mut all = vec!["toy"];
    all.extend_from_slice(args);
    common::descent(&all)
}

#[test]
fn rosenbrock_paths_as_csv_json_and_a_picture() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("paths.csv");
    let json = dir.path().join("paths.json");
    let svg = dir.path().join("paths.svg");
    let png = dir.path().join("paths.png");
    let (csv_s, json_s) = (csv.to_str().expect("utf-8"), json.to_str().expect("utf-8"));
    let (svg_s, png_s) = (svg.to_str().expect("utf-8"), png.to_str().expect("utf-8"));
    let common = [
        "--function",
        "rosenbrock",
        "--optimizer",
        "momentum",
        "--lr",
        "0.001",
        "--steps",
        "500",
        "--compare",
        "sgd:label=plain gd",
        "--resolution",
        "41",
    ];
    let run = descent(&[&common[..], &["--out", csv_s, "--plot", svg_s]].concat());
    assert!(run.status.success(), "stderr: {}", text(&run.stderr));
    let stdout = text(&run.stdout);
    // The same end points as PyTorch's SGD (see descent-toy's walk tests).
    assert!(stdout.contains("momentum lr=0.001: (0.933"), "{stdout}");
    assert!(stdout.contains("plain gd: (-1.112"), "{stdout}");
    let rows = std::fs::read_to_string(&csv).expect("csv");
    assert_eq!(rows.lines().count(), 1 + 2 * 501);
    assert!(rows.starts_with("label,step,x,y,loss,lr,grad_x,grad_y\nmomentum lr=0.001,0,-1.5,2,"));
    let picture = std::fs::read_to_string(&svg).expect("svg");
    assert!(picture.contains("<svg") && picture.contains("plain gd"));

    let run = descent(&[&common[..], &["--out", json_s, "--plot", png_s]].concat());
    assert!(run.status.success(), "stderr: {}", text(&run.stderr));
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json")).expect("valid json");
    assert_eq!(doc["function"], "rosenbrock");
    assert_eq!(doc["paths"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        doc["paths"][0]["points"].as_array().map(Vec::len),
        Some(501)
    );
    assert_eq!(
        std::fs::read(&png).expect("png")[..8],
        [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n']
    );
}

#[test]
fn divergence_is_reported_and_not_a_failure() {
    let run = descent(&["--function", "bowl", "--lr", "0.5", "--steps", "300"]);
    assert!(run.status.success(), "stderr: {}", text(&run.stderr));
    assert!(
        text(&run.stdout).contains("diverged at step"),
        "{}",
        text(&run.stdout)
    );
}

#[test]
fn bad_input_exits_with_a_usage_code_and_names_the_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let txt = dir.path().join("p.txt");
    let gif = dir.path().join("p.gif");
    let cases: [(&[&str], &str, i32); 6] = [
        (&["--function", "everest"], "everest", 2),
        (&["--start=1,2,3"], "start", 2),
        (&["--lr", "0"], "lr", 2),
        (
            &["--steps", "5", "--out", txt.to_str().expect("utf-8")],
            "p.txt",
            2,
        ),
        (
            &["--steps", "5", "--plot", gif.to_str().expect("utf-8")],
            "p.gif",
            2,
        ),
        (
            &["--steps", "5", "--out", "/nonexistent-folder/p.csv"],
            "/nonexistent-folder",
            6,
        ),
    ];
    for (args, needle, code) in cases {
        let run = descent(args);
        let stderr = text(&run.stderr);
        assert_eq!(run.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}
