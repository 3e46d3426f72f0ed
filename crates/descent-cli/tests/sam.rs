//! `descent train --sam`: sharpness-aware minimization from the command line, with every
//! optimizer, a schedule and weight averaging, recorded in config.json. The update itself is
//! checked against PyTorch in `descent-optim` (`optimizer/sam.rs`); resume in `kill.rs`.

mod common;

use common::{ok, text, train_spirals_mlp};

/// A one-epoch MLP run on spirals in `out` with `extra` flags.
fn run(out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut flags = vec![
        "--train-samples",
        "96",
        "--test-samples",
        "32",
        "--epochs",
        "2",
        "--batch-size",
        "16",
        "--log-every",
        "0",
    ];
    flags.extend_from_slice(extra);
    train_spirals_mlp(out, &flags)
}

fn config(out: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("config.json")).expect("config.json");
    serde_json::from_str(&text).expect("json")
}

fn weights(out: &std::path::Path) -> Vec<u8> {
    std::fs::read(out.join("model.bpk")).expect("model.bpk")
}

#[test]
fn sam_runs_with_every_optimizer_and_is_recorded() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for optimizer in ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"] {
        let plain = tmp.path().join(format!("{optimizer}-plain"));
        let sam = tmp.path().join(format!("{optimizer}-sam"));
        ok(run(&plain, &["--optimizer", optimizer]));
        ok(run(&sam, &["--optimizer", optimizer, "--sam", "0.05"]));
        let recorded = &config(&sam)["training"]["sam"];
        assert_eq!(recorded["rho"], 0.05, "{optimizer}: {recorded}");
        assert_eq!(recorded["adaptive"], false, "{optimizer}: {recorded}");
        assert!(config(&plain)["training"].get("sam").is_none());
        assert_ne!(
            weights(&plain),
            weights(&sam),
            "{optimizer}: SAM changed nothing"
        );
    }
}

#[test]
fn adaptive_sam_with_a_schedule_and_averaging() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("asam");
    let flags = [
        "--optimizer",
        "momentum",
        "--sam",
        "0.5",
        "--sam-adaptive",
        "--sam-eta",
        "0.01",
        "--schedule",
        "cosine",
        "--swa-start",
        "1",
        "--ema",
        "0.9",
    ];
    ok(run(&out, &flags));
    let recorded = &config(&out)["training"]["sam"];
    assert_eq!(recorded["adaptive"], true, "{recorded}");
    assert_eq!(recorded["eta"], 0.01, "{recorded}");
    assert!(out.join("swa/model.bpk").is_file());
    assert!(out.join("ema/model.bpk").is_file());
    let plain = tmp.path().join("sam");
    ok(run(&plain, &flags[..4]));
    assert_ne!(weights(&out), weights(&plain), "ASAM and SAM differ");
}

#[test]
fn bad_sam_values_exit_2_naming_the_value() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (flags, needle) in [
        (&["--sam", "0"][..], "rho"),
        (&["--sam", "-0.1"][..], "rho"),
        (&["--sam", "inf"][..], "rho"),
        (
            &["--sam", "0.1", "--sam-adaptive", "--sam-eta", "-1"][..],
            "eta",
        ),
        (&["--sam", "x"][..], "--sam"),
        (&["--sam-adaptive"][..], "--sam"),
    ] {
        let out = run(&tmp.path().join("bad"), flags);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{flags:?}: {}",
            text(&out.stderr)
        );
        let stderr = text(&out.stderr);
        assert!(stderr.contains(needle), "{flags:?}: {stderr}");
        assert!(!tmp.path().join("bad").exists(), "{flags:?} left a folder");
    }
}
