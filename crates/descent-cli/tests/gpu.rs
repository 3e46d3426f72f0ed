//! The GPU devices as a user meets them: `descent devices` lists wgpu and cuda with what this
//! build and machine make of them, and `--device cuda` on a machine without one (or in a build
//! without the `cuda` feature, the default) fails with one clear line and the device exit code,
//! before any run folder is made.

mod common;

use common::{descent, s, text};

#[test]
fn devices_lists_the_gpus() {
    let out = descent(&["devices"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} line in\n{stdout}"))
            .to_string()
    };
    let cuda = line("cuda");
    if cfg!(feature = "cuda") {
        assert!(
            cuda.contains(" ok ") || cuda.contains("no CUDA device"),
            "{cuda}"
        );
    } else {
        assert!(
            cuda.contains("absent") && cuda.contains("--features cuda"),
            "{cuda}"
        );
    }
    line("wgpu");
}

#[test]
fn device_cuda_fails_cleanly_without_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("run");
    let out = descent(&[
        "--device",
        "cuda",
        "train",
        "--epochs",
        "1",
        "--out",
        s(&run),
    ]);
    if cfg!(feature = "cuda") && out.status.success() {
        // A cuda build on a machine with an NVIDIA GPU: nothing to check here.
        return;
    }
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one error line: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let expected = if cfg!(feature = "cuda") {
        "no CUDA device"
    } else {
        "device `cuda` is not compiled into this build"
    };
    assert!(stderr.contains(expected), "{stderr}");
    assert!(!run.exists(), "a failed device leaves no run folder");
}
