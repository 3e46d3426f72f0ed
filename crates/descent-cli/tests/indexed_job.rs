//! A landscape scan as a Kubernetes Indexed Job (`scripts/k8s/scan-job.yaml`), with the
//! cluster left out: we have none in CI, so the test does what each pod does, with the variable
//! Kubernetes would set (`JOB_COMPLETION_INDEX`), then merges as `scripts/k8s/merge-job.yaml`
//! does and compares the result byte for byte with the same scan run unsharded. It also checks
//! that the manifest's shard count and its `completions` agree.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

use common::{ok, s};

/// The repository's `scripts/k8s/NAME`, read.
fn manifest(name: &str) -> String {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/k8s")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The number after the first `key` that a number follows in `text` (`completions: 4`,
/// `--shard-count 4`).
fn number_after(text: &str, key: &str) -> usize {
    text.match_indices(key)
        .find_map(|(at, _)| {
            text[at + key.len()..]
                .trim_start()
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or_else(|| panic!("no number after {key}"))
}

/// The binary with `args` in `cwd`, with only the environment given here choosing a shard.
fn descent_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_descent"));
    cmd.args(args)
        .current_dir(cwd)
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

#[test]
fn indexed_job_pods_merge_to_the_unsharded_scan() {
    let scan_job = manifest("scan-job.yaml");
    let merge_job = manifest("merge-job.yaml");
    // The manifest proper, after its comment block.
    let spec = &scan_job[scan_job.find("apiVersion:").expect("a manifest")..];
    let count = number_after(spec, "completions:");
    assert_eq!(
        number_after(spec, "--shard-count"),
        count,
        "the manifest's --shard-count must equal its completions"
    );
    assert!(spec.contains("completionMode: Indexed"));
    assert!(spec.contains("--out /data/scan/shards/shard-$JOB_COMPLETION_INDEX.npz"));
    for i in 0..count {
        assert!(
            merge_job.contains(&format!("/data/scan/shards/shard-{i}.npz")),
            "merge-job.yaml does not merge shard {i}"
        );
    }

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let run = dir.join("run");
    ok(descent_in(
        dir,
        &[
            "train",
            "--model",
            "mlp",
            "--hidden",
            "8",
            "--dataset",
            "spirals",
            "--epochs",
            "1",
            "--seed",
            "2",
            "--out",
            s(&run),
        ],
        &[],
    ));
    let scan = |cwd: &Path, out: &str, env: &[(&str, &str)], extra: &[&str]| {
        let mut args = vec![
            "landscape",
            "scan",
            s(&run),
            "--x",
            "-1:1:7",
            "--y",
            "-1:1:3",
            "--samples",
            "200",
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        ok(descent_in(cwd, &args, env));
    };
    // One process; then the pods, each with its index, in another folder with the same
    // relative names (the directions file's name is recorded as given).
    let single = dir.join("single");
    let pods = dir.join("pods");
    for d in [&single, &pods] {
        std::fs::create_dir_all(d.join("scan/shards")).expect("mkdir");
    }
    scan(&single, "scan/scan.npz", &[], &[]);
    let count_text = count.to_string();
    for i in 0..count {
        let index = i.to_string();
        scan(
            &pods,
            &format!("scan/shards/shard-{i}.npz"),
            &[("JOB_COMPLETION_INDEX", &index)],
            &["--shard-count", &count_text],
        );
    }
    let mut args = vec!["landscape".to_string(), "merge".to_string()];
    args.extend((0..count).map(|i| format!("scan/shards/shard-{i}.npz")));
    args.extend(["--out".to_string(), "scan/scan.npz".to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(descent_in(&pods, &args, &[]));
    for name in ["scan/scan.npz", "scan/scan.directions.npz"] {
        let a = std::fs::read(pods.join(name)).expect("merged");
        let b = std::fs::read(single.join(name)).expect("single");
        assert!(
            a == b,
            "{name}: the pods' merged file differs from the unsharded one"
        );
    }
}
