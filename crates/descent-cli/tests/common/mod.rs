//! What every end-to-end test of the `descent` binary needs: run it in a clean environment,
//! read its output, insist that it succeeded.
//!
//! Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs the binary with `args`, without the variables that would choose another device or a
/// cluster shard for it.
pub fn descent(args: &[&str]) -> Output {
    descent_env(args, &[])
}

/// [`descent`] with extra environment variables.
pub fn descent_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_descent"));
    cmd.args(args)
        .env_remove("BURN_DEVICE")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .env_remove("SLURM_ARRAY_TASK_MIN")
        .env_remove("JOB_COMPLETION_INDEX");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

/// Captured output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `out`, after asserting that the command succeeded (showing its output if not).
pub fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `descent train` of a small MLP (2-16-3) on the spirals set into `out`, with `flags` after
/// the model and data ones (epochs, batch size, seed, ...): the run most binary tests start
/// from.
pub fn train_spirals_mlp(out: &Path, flags: &[&str]) -> Output {
    let mut args = vec![
        "train",
        "--model",
        "mlp",
        "--hidden",
        "16",
        "--dataset",
        "spirals",
        "--out",
        s(out),
    ];
    args.extend_from_slice(flags);
    descent(&args)
}
