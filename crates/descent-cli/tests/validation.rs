//! `descent train --val-split` / `--val-samples`: a seeded hold-out of the training set,
//! evaluated every epoch, recorded in the history, monitored by default by the plateau and
//! early-stopping rules. Resume is in `kill.rs`; the split's disjointness and seeding in
//! `descent-train` (`config.rs`).

mod common;

use common::{ok, text, train_spirals_mlp};

/// An MLP run on 200 spiral points in `out` with `extra` flags.
fn run(out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut flags = vec![
        "--train-samples",
        "200",
        "--test-samples",
        "50",
        "--batch-size",
        "20",
        "--log-every",
        "0",
    ];
    flags.extend_from_slice(extra);
    train_spirals_mlp(out, &flags)
}

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("reads")).expect("json")
}

/// The `column` of metrics.csv, one value per epoch.
fn column(out: &std::path::Path, column: &str) -> Vec<String> {
    let csv = std::fs::read_to_string(out.join("metrics.csv")).expect("metrics.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let at = header.iter().position(|h| *h == column).expect("column");
    lines
        .map(|l| l.split(',').nth(at).unwrap_or("").to_string())
        .collect()
}

#[test]
fn the_split_is_evaluated_every_epoch_and_recorded() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    ok(run(&out, &["--epochs", "3", "--val-split", "0.25"]));
    let config = json(&out.join("config.json"));
    assert_eq!(config["data"]["validation"]["fraction"], 0.25, "{config}");
    let state = json(&out.join("checkpoint/state.json"));
    assert_eq!(state["validation"]["samples"], 50, "{state}");
    for record in state["history"].as_array().expect("history") {
        assert_eq!(record["validation"]["samples"], 50, "{record}");
        assert_eq!(
            record["train"]["samples"], 150,
            "trained on the rest: {record}"
        );
    }
    let losses = column(&out, "val_loss");
    assert_eq!(losses.len(), 3);
    for loss in &losses {
        assert!(loss.parse::<f64>().expect("a number") > 0.0, "{losses:?}");
    }

    // --val-samples holds out a count; without a split the columns stay empty.
    let counted = tmp.path().join("counted");
    ok(run(&counted, &["--epochs", "1", "--val-samples", "30"]));
    assert_eq!(
        json(&counted.join("config.json"))["data"]["validation"]["samples"],
        30
    );
    let none = tmp.path().join("none");
    ok(run(&none, &["--epochs", "1"]));
    assert_eq!(column(&none, "val_loss"), vec![String::new()]);
    assert!(
        json(&none.join("config.json"))["data"]
            .get("validation")
            .is_none()
    );
}

#[test]
fn bad_splits_exit_2_with_a_clear_message() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (flags, needle) in [
        (&["--val-split", "0"][..], "val_split"),
        (&["--val-split", "1"][..], "val_split"),
        (&["--val-split", "-0.1"][..], "val_split"),
        (&["--val-split", "1.5"][..], "val_split"),
        (&["--val-samples", "0"][..], "val_samples"),
        (&["--val-samples", "200"][..], "leaving none to train on"),
        (&["--val-samples", "5000"][..], "leaving none to train on"),
        (
            &["--val-split", "0.1", "--val-samples", "5"][..],
            "cannot be used with",
        ),
        (
            &["--monitor", "val-loss", "--plateau"][..],
            "validation split",
        ),
    ] {
        let out = run(&tmp.path().join("bad"), flags);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(needle), "{flags:?}: {stderr}");
        assert!(!tmp.path().join("bad").join("config.json").exists());
    }
}

#[test]
fn rules_monitor_the_validation_split_by_default_and_warn_on_the_test_set() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("early");
    // A rate that overshoots after a few epochs, so the validation loss turns and the rule
    // stops the run.
    let flags = [
        "--epochs",
        "30",
        "--lr",
        "0.5",
        "--optimizer",
        "momentum",
        "--val-split",
        "0.2",
        "--early-stopping",
        "2",
        "--restore-best",
        "--plateau",
        "--plateau-patience",
        "1",
    ];
    let done = ok(run(&out, &flags));
    let stderr = text(&done.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
    let config = json(&out.join("config.json"));
    let rules = &config["training"]["rules"];
    assert_eq!(rules["plateau"]["monitor"], "val-loss", "{rules}");
    assert_eq!(rules["early_stopping"]["monitor"], "val-loss", "{rules}");
    // The rule's best epoch is the epoch of the lowest validation loss, and the final
    // weights are that epoch's.
    let losses: Vec<f64> = column(&out, "val_loss")
        .iter()
        .map(|v| v.parse().expect("number"))
        .collect();
    let best = losses
        .iter()
        .enumerate()
        .fold(
            (0, f64::INFINITY),
            |b, (i, &l)| if l < b.1 { (i, l) } else { b },
        )
        .0
        + 1;
    let state = json(&out.join("checkpoint/state.json"));
    assert_eq!(
        state["rules"]["early_stopping"]["best_epoch"], best,
        "{losses:?}: {}",
        state["rules"]
    );
    assert!(losses.len() < 30, "the rule stopped the run: {losses:?}");
    assert!(best < losses.len(), "{losses:?}");
    assert!(stderr.contains(&format!("best epoch, {best}")), "{stderr}");
    assert!(stderr.contains("plateau: learning rate"), "{stderr}");
    assert_eq!(
        std::fs::read(out.join("model.bpk")).expect("final"),
        std::fs::read(out.join("best/model.bpk")).expect("best")
    );

    // Monitoring the test set is allowed, with a warning.
    let tuned = tmp.path().join("tuned");
    let mut on_test = flags.to_vec();
    on_test.extend(["--monitor", "test-loss"]);
    let done = ok(run(&tuned, &on_test));
    let stderr = text(&done.stderr);
    assert!(
        stderr.contains("warning") && stderr.contains("test set"),
        "{stderr}"
    );
}

#[test]
fn a_resume_that_would_hold_out_other_samples_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    ok(run(&out, &["--epochs", "1", "--val-split", "0.2"]));
    let path = out.join("config.json");
    let edited = std::fs::read_to_string(&path)
        .expect("config")
        .replace("\"fraction\": 0.2", "\"fraction\": 0.3");
    std::fs::write(&path, edited).expect("write");
    let refused = run(&out, &["--epochs", "2", "--resume"]);
    let stderr = text(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(stderr.contains("held out 40 samples"), "{stderr}");
}
