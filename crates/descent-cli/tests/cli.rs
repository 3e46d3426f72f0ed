//! The `descent` binary end to end: real processes, real files, exit codes.

use std::path::Path;
mod common;

use common::{descent, text};

#[test]
fn train_then_eval_a_small_mlp() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("run");
    let out_s = out.to_str().expect("utf-8 path");
    let run = descent(&[
        "train",
        "--model",
        "mlp",
        "--hidden",
        "16",
        "--dataset",
        "spirals",
        "--epochs",
        "2",
        "--batch-size",
        "16",
        "--lr",
        "0.1",
        "--out",
        out_s,
    ]);
    assert!(run.status.success(), "stderr: {}", text(&run.stderr));
    let stdout = text(&run.stdout);
    assert!(stdout.contains("test accuracy"), "{stdout}");
    for file in [
        "config.json",
        "metrics.jsonl",
        "metrics.csv",
        "model.bpk",
        "model.json",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    assert!(out.join("checkpoint/state.json").is_file());
    let csv = std::fs::read_to_string(out.join("metrics.csv")).expect("csv");
    assert_eq!(csv.lines().count(), 3, "header + 2 epochs: {csv}");

    let eval = descent(&["eval", out_s, "--json"]);
    assert!(eval.status.success(), "stderr: {}", text(&eval.stderr));
    let metrics: serde_json::Value = serde_json::from_slice(&eval.stdout).expect("json");
    assert_eq!(metrics["samples"], 500);
    // The evaluation of the saved model equals the run's own last test measurement.
    let last = std::fs::read_to_string(out.join("metrics.jsonl")).expect("jsonl");
    let last: serde_json::Value =
        serde_json::from_str(last.lines().last().expect("a line")).expect("json");
    let logged = last["test"]["accuracy"].as_f64().expect("number");
    let evaluated = metrics["accuracy"].as_f64().expect("number");
    assert!((logged - evaluated).abs() < 1e-9, "{logged} vs {evaluated}");

    // Starting again in the same folder is refused; resuming extends it.
    let again = descent(&[
        "train",
        "--model",
        "mlp",
        "--dataset",
        "spirals",
        "--out",
        out_s,
    ]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("--resume"),
        "{}",
        text(&again.stderr)
    );
    let resumed = descent(&["train", "--resume", "--epochs", "3", "--out", out_s]);
    assert!(
        resumed.status.success(),
        "stderr: {}",
        text(&resumed.stderr)
    );
    let csv = std::fs::read_to_string(out.join("metrics.csv")).expect("csv");
    assert_eq!(csv.lines().count(), 4, "header + 3 epochs: {csv}");
}

#[test]
fn devices_lists_the_cpu() {
    let out = descent(&["devices"]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("cpu") && stdout.contains("flex"),
        "{stdout}"
    );
}

/// Bad input: a one-line error naming the problem, a non-zero stable exit code, no panic,
/// and no output folder left behind.
#[test]
fn bad_input_gives_a_clear_error_and_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("never");
    let out_s = out.to_str().expect("utf-8 path");
    let empty = dir.path().join("empty-cifar");
    std::fs::create_dir(&empty).expect("mkdir");
    let empty_s = empty.to_str().expect("utf-8 path");
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["--device", "tpu", "train", "--out", out_s],
            2,
            "unknown device `tpu`",
        ),
        (
            &[
                "train",
                "--dataset",
                "cifar10",
                "--data-dir",
                "/nonexistent/cifar",
                "--out",
                out_s,
            ],
            3,
            "/nonexistent/cifar",
        ),
        (
            &[
                "train",
                "--dataset",
                "cifar10",
                "--data-dir",
                empty_s,
                "--out",
                out_s,
            ],
            3,
            "data_batch_1.bin",
        ),
        (&["train", "--lr", "-0.1", "--out", out_s], 2, "lr"),
        (&["train", "--epochs", "0", "--out", out_s], 2, "epochs"),
        (&["train", "--model", "vgg12", "--out", out_s], 2, "vgg12"),
        (&["train", "--batch-size", "many"], 2, "many"),
        (&["eval", "/nonexistent/run"], 3, "/nonexistent/run"),
    ];
    for (args, code, needle) in cases {
        let result = descent(args);
        let stderr = text(&result.stderr);
        assert_eq!(result.status.code(), Some(*code), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            !Path::new(out_s).join("config.json").exists(),
            "{args:?} left output"
        );
    }
}

/// `--plateau` on a metric that cannot improve by the threshold halves the rate after each
/// `patience + 1` epochs, and `--stop-below-lr` ends the run once the rate reaches the floor:
/// the logged rates show the reductions and the run stops before its epoch budget.
#[test]
fn plateau_reduces_the_rate_and_the_floor_stops_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("run");
    let out_s = out.to_str().expect("utf-8 path");
    let run = descent(&[
        "train",
        "--model",
        "mlp",
        "--hidden",
        "8",
        "--dataset",
        "blobs",
        "--train-samples",
        "64",
        "--epochs",
        "20",
        "--batch-size",
        "64",
        "--optimizer",
        "sgd",
        "--lr",
        "0.1",
        "--monitor",
        "train-loss",
        "--plateau",
        "--plateau-factor",
        "0.5",
        "--plateau-patience",
        "0",
        // No full-batch step lowers the loss a hundredfold: every epoch after the first is bad.
        "--plateau-threshold",
        "0.99",
        "--stop-below-lr",
        "0.02",
        "--out",
        out_s,
    ]);
    assert!(run.status.success(), "stderr: {}", text(&run.stderr));
    let stderr = text(&run.stderr);
    assert!(stderr.contains("plateau: learning rate"), "{stderr}");
    assert!(stderr.contains("stopped after epoch"), "{stderr}");
    let jsonl = std::fs::read_to_string(out.join("metrics.jsonl")).expect("jsonl");
    let rates: Vec<f64> = jsonl
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).expect("json");
            record["lr"].as_f64().expect("lr")
        })
        .collect();
    // Epoch 1 is the first observation (an improvement on "nothing yet"); every epoch after it
    // halves the rate: 0.1, 0.1, 0.05, 0.025, then 0.0125 <= 0.02 stops the run after epoch 4.
    let expected = [0.1, 0.1, 0.05, 0.025];
    assert_eq!(rates.len(), expected.len(), "{rates:?}");
    for (got, want) in rates.iter().zip(expected) {
        assert!((got - want).abs() < 1e-12, "{rates:?}");
    }
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("checkpoint/state.json")).expect("state"),
    )
    .expect("json");
    assert_eq!(state["rules"]["stopped"]["epoch"], 4);
}

/// `descent schedule` printing ~40,000 lines, far more than a pipe holds.
fn long_schedule() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_descent"));
    command.args([
        "schedule",
        "--schedule",
        "cosine",
        "--lr",
        "0.1",
        "--epochs",
        "100",
        "--per",
        "step",
        "--train-samples",
        "50000",
        "--batch-size",
        "128",
    ]);
    command
}

#[test]
fn a_closed_stdout_ends_the_program_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    // `descent schedule ... | head -1`: ~40,000 lines, far more than a pipe holds.
    let mut child = long_schedule()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let stdout = child.stdout.take().expect("piped");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("reads a line");
    // The reader is dropped here: the pipe's read end closes.
    let out = child.wait_with_output().expect("ends");
    let stderr = text(&out.stderr);
    assert!(!first.is_empty());
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}

#[test]
fn the_binary_runs_with_the_malloc_settings_unless_told_otherwise() {
    use std::process::Stdio;
    // A run that blocks on its full stdout pipe, so it is alive to be looked at.
    let environ_of = |extra: &[(&str, &str)], wait: std::time::Duration| -> String {
        let mut child = long_schedule()
            .env_remove("MALLOC_MMAP_THRESHOLD_")
            .env_remove("MALLOC_TRIM_THRESHOLD_")
            .env_remove("MALLOC_TOP_PAD_")
            .env_remove("GLIBC_TUNABLES")
            .env_remove("DESCENT_MALLOC")
            .envs(extra.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawns");
        let path = format!("/proc/{}/environ", child.id());
        // Until the re-exec has happened the environment is the original one; the settings
        // appear within the first moments (the pipe keeps it alive meanwhile).
        let deadline = std::time::Instant::now() + wait;
        let mut environ = String::new();
        while std::time::Instant::now() < deadline {
            environ = String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default())
                .replace('\0', "\n");
            if environ.contains("MALLOC_TOP_PAD_") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        environ
    };
    let tuned = environ_of(&[], std::time::Duration::from_secs(10));
    assert!(tuned.contains("MALLOC_TOP_PAD_=268435456"), "{tuned}");
    assert!(tuned.contains("MALLOC_MMAP_THRESHOLD_=33554432"), "{tuned}");
    // Given a second to re-exec, it does not.
    let system = environ_of(
        &[("DESCENT_MALLOC", "system")],
        std::time::Duration::from_secs(1),
    );
    assert!(!system.contains("MALLOC_TOP_PAD_"), "{system}");
}

/// Issue 21: `--hidden ""` is what `--help` offers for "no hidden layer": logistic regression.
#[test]
fn an_empty_hidden_list_trains_logistic_regression() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("run");
    let run = descent(&[
        "train",
        "--model",
        "mlp",
        "--hidden",
        "",
        "--dataset",
        "spirals",
        "--epochs",
        "1",
        "--out",
        common::s(&out),
    ]);
    assert!(run.status.success(), "stderr: {}", text(&run.stderr));
    let card: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("model.json")).expect("model.json"))
            .expect("json");
    assert_eq!(
        card["model"]["hidden_sizes"],
        serde_json::json!([]),
        "{card}"
    );
}

/// Issue 21: several `descent train` started in the same second without `--out` each get a
/// folder of their own (`runs/train-DATE-TIME`, then `-2`, `-3`, ...), claimed atomically.
#[test]
fn runs_started_together_get_folders_of_their_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let children: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_descent"))
                .args([
                    "train",
                    "--model",
                    "mlp",
                    "--hidden",
                    "4",
                    "--dataset",
                    "spirals",
                    "--epochs",
                    "1",
                ])
                .current_dir(dir.path())
                .env_remove("BURN_DEVICE")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawns")
        })
        .collect();
    let mut named = Vec::new();
    for child in children {
        let out = child.wait_with_output().expect("ends");
        assert!(out.status.success(), "stderr: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let folder = stdout
            .split("run folder ")
            .nth(1)
            .map(|rest| rest.trim().to_string())
            .unwrap_or_else(|| panic!("no run folder in {stdout}"));
        named.push(folder);
    }
    let mut distinct = named.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "{named:?}");
    let folders: Vec<_> = std::fs::read_dir(dir.path().join("runs"))
        .expect("runs/")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(folders.len(), 4, "{folders:?}");
    for folder in folders {
        assert!(folder.join("model.bpk").is_file(), "{}", folder.display());
        let csv = std::fs::read_to_string(folder.join("metrics.csv")).expect("csv");
        assert_eq!(csv.lines().count(), 2, "{}: {csv}", folder.display());
    }
}

/// Issue 21: with stderr's reader gone (`descent train 2>&1 | head -1`), training and scans
/// keep going without their log lines and end as usual, with whole files.
#[test]
fn a_closed_stderr_neither_panics_nor_stops_the_work() {
    use std::process::Stdio;
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("run");
    let quiet = |args: &[&str]| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_descent"))
            .args(args)
            .env_remove("BURN_DEVICE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawns");
        // The read end closes at once: every line written to stderr fails.
        drop(child.stderr.take());
        child.wait_with_output().expect("ends")
    };
    let out = quiet(&[
        "train",
        "--model",
        "mlp",
        "--hidden",
        "8",
        "--dataset",
        "spirals",
        "--epochs",
        "2",
        "--log-every",
        "1",
        "--out",
        common::s(&run),
    ]);
    assert_eq!(out.status.code(), Some(0), "stdout: {}", text(&out.stdout));
    assert!(run.join("model.bpk").is_file());
    let csv = std::fs::read_to_string(run.join("metrics.csv")).expect("csv");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let scan = dir.path().join("scan.npz");
    let out = quiet(&[
        "landscape",
        "scan",
        common::s(&run),
        "--x",
        "-1:1:11",
        "--samples",
        "50",
        "--save-every",
        "0",
        "--out",
        common::s(&scan),
    ]);
    assert_eq!(out.status.code(), Some(0), "stdout: {}", text(&out.stdout));
    let file = descent_landscape::ScanFile::load(&scan).expect("a whole scan file");
    assert_eq!(file.done_count(), 11);
}

/// Issue 21: without a usable XDG_RUNTIME_DIR, wgpu's drivers (Mesa's lavapipe here) printed
/// `error: XDG_RUNTIME_DIR is invalid ...` lines that read as failures; `descent` gives itself
/// a private runtime folder instead.
#[test]
fn wgpu_prints_no_runtime_dir_noise() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_descent"))
        .args(["--device", "wgpu", "devices"])
        .env_remove("BURN_DEVICE")
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .expect("runs");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("XDG_RUNTIME_DIR"), "{stderr}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_descent"))
        .args(["--device", "wgpu", "devices"])
        .env_remove("BURN_DEVICE")
        .env("XDG_RUNTIME_DIR", "relative/not/valid")
        .output()
        .expect("runs");
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("XDG_RUNTIME_DIR"), "{stderr}");
}
