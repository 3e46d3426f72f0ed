//! `descent train --trajectory-every` and `descent landscape trajectory` end to end: a tiny
//! MLP on blobs keeps its weights every epoch; the PCA plane is scanned and drawn.

mod common;

use common::{descent, ok, s, text};

use descent_landscape::trajectory::load_trajectory;

#[test]
fn trajectory_is_kept_scanned_and_drawn() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("run");
    let train = |epochs: &str, resume: bool| {
        let mut args = vec![
            "train",
            "--model",
            "mlp",
            "--hidden",
            "8",
            "--dataset",
            "blobs",
            "--epochs",
            epochs,
            "--batch-size",
            "32",
            "--lr",
            "0.1",
            "--seed",
            "2",
            "--trajectory-every",
            "1",
            "--out",
            s(&run),
        ];
        if resume {
            args.push("--resume");
        }
        descent(&args)
    };
    ok(train("3", false));
    // Resuming to 5 epochs appends to the same trajectory.
    ok(train("5", true));
    let index: serde_json::Value = serde_json::from_slice(
        &std::fs::read(run.join("trajectory").join("index.json")).expect("index"),
    )
    .expect("json");
    let snapshots = index["snapshots"].as_array().expect("snapshots");
    let epochs: Vec<u64> = snapshots
        .iter()
        .map(|s| s["epoch"].as_u64().expect("epoch"))
        .collect();
    assert_eq!(epochs, vec![0, 1, 2, 3, 4, 5]);
    for s in snapshots {
        let file = s["file"].as_str().expect("file");
        assert!(run.join("trajectory").join(file).is_file(), "{file}");
    }
    let out_file = dir.path().join("traj.npz");
    let out = ok(descent(&[
        "landscape",
        "trajectory",
        s(&run),
        "--resolution",
        "5",
        "--samples",
        "60",
        "--out",
        s(&out_file),
    ]));
    assert!(text(&out.stdout).contains("PC1 ("), "{}", text(&out.stdout));
    let (scan, info) = load_trajectory(&out_file).expect("a trajectory file");
    assert_eq!(scan.done_count(), 25);
    // The training split by default (the loss that was minimized).
    assert!(scan.values["loss_train"].iter().all(|v| v.is_finite()));
    assert_eq!(info.path.len(), 6);
    assert_eq!(info.path[5], [0.0, 0.0]);
    assert!(info.explained[0] >= info.explained[1] && info.explained[1] > 0.0);
    assert!(info.explained[0] + info.explained[1] <= 1.0 + 1e-9);
    // Biases are part of the PCA by default (Li et al.'s plot_trajectory.py), and each
    // point's share of its displacement that the plane keeps is reported.
    assert_eq!(info.bias_bn, descent_landscape::BiasBn::Include);
    assert_eq!(info.fit.len(), 6);
    assert_eq!(info.fit[5], None);
    assert!(
        info.fit[..5]
            .iter()
            .all(|f| f.is_some_and(|f| (0.0..=1.0).contains(&f)))
    );
    assert!(
        text(&out.stdout).contains("plane fit"),
        "{}",
        text(&out.stdout)
    );
    // The default grid holds the whole path.
    let (x, y) = (scan.meta.grid.x, scan.meta.grid.y.expect("2-D"));
    for p in &info.path {
        assert!(x.min <= p[0] && p[0] <= x.max && y.min <= p[1] && p[1] <= y.max);
    }
    for ext in ["svg", "png"] {
        assert!(dir.path().join(format!("traj.{ext}")).is_file(), "{ext}");
    }
    let svg = std::fs::read_to_string(dir.path().join("traj.svg")).expect("svg");
    assert!(svg.contains("PC1 ("), "axis label with the variance share");
    // A run without a trajectory is a clear error.
    let plain = dir.path().join("plain");
    ok(descent(&[
        "train",
        "--model",
        "mlp",
        "--hidden",
        "8",
        "--dataset",
        "blobs",
        "--epochs",
        "1",
        "--out",
        s(&plain),
    ]));
    let out = descent(&[
        "landscape",
        "trajectory",
        s(&plain),
        "--out",
        s(&dir.path().join("x.npz")),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--trajectory-every"),
        "{}",
        text(&out.stderr)
    );
}
