//! `descent landscape` end to end: tiny MLPs trained by `descent train` on spirals, scanned,
//! interrupted and resumed, sharded and merged, through the real binary.

use std::path::{Path, PathBuf};
mod common;

use common::{descent, descent_env, ok, s, text};

use descent_landscape::ScanFile;
use descent_landscape::curvature::CurvatureFile;

/// Trains an MLP 2-16-3 on spirals for one epoch; all runs share the data (same seed).
fn train(dir: &Path, name: &str, lr: &str) -> PathBuf {
    let out = dir.join(name);
    ok(descent(&[
        "train",
        "--model",
        "mlp",
        "--hidden",
        "16",
        "--dataset",
        "spirals",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--lr",
        lr,
        "--seed",
        "1",
        "--out",
        s(&out),
    ]));
    out
}

/// Test loss of a checkpoint on the first 100 spirals test samples, by `descent eval`.
fn eval_loss(run: &Path) -> f64 {
    let out = ok(descent(&["eval", s(run), "--samples", "100", "--json"]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["loss"].as_f64().expect("loss")
}

/// Whether two scans hold bit-identical values.
fn same_bits(a: &ScanFile, b: &ScanFile) -> bool {
    a.values.len() == b.values.len()
        && a.values.iter().all(|(k, v)| {
            b.values.get(k).is_some_and(|w| {
                v.len() == w.len() && v.iter().zip(w).all(|(x, y)| x.to_bits() == y.to_bits())
            })
        })
}

/// The test split (the default is the training split), 100 samples.
const EVAL: [&str; 6] = ["--samples", "100", "--batch-size", "32", "--split", "test"];

#[test]
fn scan_resume_shards_merge_interpolate_and_plane() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = train(dir.path(), "a", "0.1");
    let b = train(dir.path(), "b", "0.3");
    let c = train(dir.path(), "c", "0.03");

    // A straight 2-D scan.
    let straight = dir.path().join("straight.npz");
    let scan = |out: &Path, extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec![
            "landscape",
            "scan",
            s(&a),
            "--x",
            "-1:1:5",
            "--y",
            "-1:1:3",
            "--seed",
            "4",
            "--out",
            s(out),
        ];
        args.extend_from_slice(&EVAL);
        args.extend_from_slice(extra);
        descent_env(&args, env)
    };
    let out = ok(scan(&straight, &[], &[]));
    let file = ScanFile::load(&straight).expect("scan file");
    // Every point has the standard error of its mean loss over the 100 samples (checked
    // against numpy in descent-landscape's tests), and the summary names their range.
    let errors = &file.std_errors["loss_test"];
    assert!(
        errors.iter().all(|e| e.is_finite() && *e > 0.0),
        "{errors:?}"
    );
    assert!(
        text(&out.stdout).contains("standard errors")
            && text(&out.stdout).contains("a subset of 100 samples"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(file.done_count(), 15);
    assert!(dir.path().join("straight.directions.npz").is_file());
    // The centre (point 7 = (0, 0)) is the model's own loss.
    let centre = file.values["loss_test"][7];
    let own = eval_loss(&a);
    assert!((centre - own).abs() < 1e-6, "{centre} vs {own}");
    assert!(file.meta.cosine.is_some());

    // Interrupted after 6 points, then resumed: the same file.
    let resumed = dir.path().join("resumed.npz");
    let first = ok(scan(&resumed, &["--max-points", "6"], &[]));
    assert!(
        text(&first.stderr).contains("resume"),
        "{}",
        text(&first.stderr)
    );
    assert_eq!(ScanFile::load(&resumed).expect("partial").done_count(), 6);
    ok(scan(&resumed, &[], &[]));
    let (r, st) = (
        ScanFile::load(&resumed).expect("resumed"),
        ScanFile::load(&straight).expect("straight"),
    );
    assert_eq!(r.done, st.done);
    assert!(
        same_bits(&r, &st),
        "resumed values differ from the straight scan"
    );
    assert!(
        r.std_errors["loss_test"]
            .iter()
            .zip(&st.std_errors["loss_test"])
            .all(|(x, y)| x.to_bits() == y.to_bits()),
        "resumed standard errors differ from the straight scan"
    );
    // Only the name of the directions file (derived from --out) differs.
    let mut meta = r.meta.clone();
    meta.directions_file = st.meta.directions_file.clone();
    assert_eq!(meta, st.meta);

    // Three shards (one chosen by Slurm's variables, one by a Kubernetes index) merge into
    // the straight scan. They reuse its directions file.
    let directions = dir.path().join("straight.directions.npz");
    let dir_flag = ["--directions", s(&directions)];
    let shards: Vec<PathBuf> = (0..3)
        .map(|i| dir.path().join(format!("s{i}.npz")))
        .collect();
    ok(scan(
        &shards[0],
        &[&dir_flag[..], &["--shard", "0/3"]].concat(),
        &[],
    ));
    ok(scan(
        &shards[1],
        &dir_flag,
        &[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ],
    ));
    ok(scan(
        &shards[2],
        &[&dir_flag[..], &["--shard-count", "3"]].concat(),
        &[("JOB_COMPLETION_INDEX", "2")],
    ));
    assert_eq!(ScanFile::load(&shards[1]).expect("shard").done_count(), 5);
    let merged = dir.path().join("merged.npz");
    ok(descent(&[
        "landscape",
        "merge",
        s(&shards[0]),
        s(&shards[1]),
        s(&shards[2]),
        "--out",
        s(&merged),
    ]));
    let (m, st) = (
        ScanFile::load(&merged).expect("merged"),
        ScanFile::load(&straight).expect("straight"),
    );
    assert_eq!(m.done, st.done);
    assert!(
        same_bits(&m, &st),
        "merged values differ from the straight scan"
    );
    // The shards used the straight scan's directions file: the merged file is byte-identical.
    assert!(
        std::fs::read(&merged).expect("read") == std::fs::read(&straight).expect("read"),
        "merged file differs from the straight scan's"
    );
    // A shard of another grid is refused.
    let other = dir.path().join("other.npz");
    ok(descent_env(
        &[
            &[
                "landscape",
                "scan",
                s(&a),
                "--x",
                "-1:1:4",
                "--shard",
                "0/2",
                "--out",
                s(&other),
            ][..],
            &EVAL[..],
        ]
        .concat(),
        &[],
    ));
    let bad = descent(&[
        "landscape",
        "merge",
        s(&shards[0]),
        s(&other),
        "--out",
        s(&merged),
    ]);
    assert_eq!(bad.status.code(), Some(3), "{}", text(&bad.stderr));
    assert!(text(&bad.stderr).contains("grid"), "{}", text(&bad.stderr));

    // Interpolation: 0 and 1 are the two models.
    let line = dir.path().join("line.npz");
    ok(descent(
        &[
            &[
                "landscape",
                "interpolate",
                s(&a),
                s(&b),
                "--x",
                "-0.5:1.5:5",
                "--out",
                s(&line),
            ][..],
            &EVAL[..],
        ]
        .concat(),
    ));
    let line = ScanFile::load(&line).expect("line");
    let (la, lb) = (eval_loss(&a), eval_loss(&b));
    assert!((line.values["loss_test"][1] - la).abs() < 1e-5);
    assert!((line.values["loss_test"][3] - lb).abs() < 1e-4 * (1.0 + lb));
    assert!((la - lb).abs() > 1e-4, "the two runs differ");

    // The affine plane: (0,0) = A, (1,0) = B, (0,1) = C.
    let plane = dir.path().join("plane.npz");
    ok(descent(
        &[
            &[
                "landscape",
                "plane",
                s(&a),
                s(&b),
                s(&c),
                "--affine",
                "--x",
                "0:1:2",
                "--y",
                "0:1:2",
            ][..],
            &["--out", s(&plane)][..],
            &EVAL[..],
        ]
        .concat(),
    ));
    let plane = ScanFile::load(&plane).expect("plane");
    let loss = &plane.values["loss_test"];
    let lc = eval_loss(&c);
    assert!((loss[0] - la).abs() < 1e-5);
    assert!((loss[1] - lb).abs() < 1e-4 * (1.0 + lb));
    assert!((loss[2] - lc).abs() < 1e-4 * (1.0 + lc));
}

#[test]
fn bad_inputs_give_clear_errors_and_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = train(dir.path(), "a", "0.1");
    // A bad axis is a usage error.
    let out = descent(&[
        "landscape",
        "scan",
        s(&a),
        "--x",
        "1:-1:5",
        "--out",
        "x.npz",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("grid axis"),
        "{}",
        text(&out.stderr)
    );
    // Directions of another architecture: bad input, naming the parameter.
    let wide = dir.path().join("wide");
    ok(descent(&[
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
        "1",
        "--out",
        s(&wide),
    ]));
    let first = dir.path().join("first.npz");
    ok(descent(
        &[
            &[
                "landscape",
                "scan",
                s(&a),
                "--x",
                "0:1:2",
                "--out",
                s(&first),
            ][..],
            &EVAL[..],
        ]
        .concat(),
    ));
    let directions = dir.path().join("first.directions.npz");
    let out = descent(&[
        "landscape",
        "scan",
        s(&wide),
        "--x",
        "0:1:2",
        "--directions",
        s(&directions),
        "--out",
        s(&dir.path().join("w.npz")),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Mlp.hidden.0"),
        "{}",
        text(&out.stderr)
    );
    // A corrupt scan file in the way of a resume: bad input, naming the file.
    let bytes = std::fs::read(&first).expect("read");
    std::fs::write(&first, &bytes[..bytes.len() / 2]).expect("truncate");
    let out = descent(
        &[
            &[
                "landscape",
                "scan",
                s(&a),
                "--x",
                "0:1:2",
                "--out",
                s(&first),
            ][..],
            &EVAL[..],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("first.npz"),
        "{}",
        text(&out.stderr)
    );
    // Other options over an existing scan: refused instead of mixing two scans.
    let second = dir.path().join("second.npz");
    ok(descent(
        &[
            &[
                "landscape",
                "scan",
                s(&a),
                "--x",
                "0:1:2",
                "--out",
                s(&second),
            ][..],
            &EVAL[..],
        ]
        .concat(),
    ));
    let out = descent(
        &[
            &[
                "landscape",
                "scan",
                s(&a),
                "--x",
                "0:1:2",
                "--norm",
                "layer",
            ][..],
            &["--out", s(&second)][..],
            &EVAL[..],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    // A missing checkpoint.
    let out = descent(&[
        "landscape",
        "interpolate",
        s(&a),
        "nowhere",
        "--out",
        "l.npz",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("nowhere"),
        "{}",
        text(&out.stderr)
    );
}

/// Whether `bytes` start with the PNG signature.
fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

/// The files of `dir` whose name starts with `prefix`.
fn files_starting(dir: &Path, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    names
}

#[test]
fn plot_draws_curves_surfaces_and_vtp_from_scan_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = train(dir.path(), "net", "0.1");
    let scan = |out: &Path, axes: &[&str], extra: &[&str]| {
        ok(descent(
            &[
                &["landscape", "scan", s(&a), "--out", s(out)][..],
                axes,
                &EVAL[..],
                extra,
            ]
            .concat(),
        ))
    };
    let line = dir.path().join("line.npz");
    scan(&line, &["--x", "-1:1:5"], &[]);
    let plane = dir.path().join("plane.npz");
    scan(
        &plane,
        &["--x", "-1:1:3", "--y", "-1:1:3"],
        &["--norm", "layer"],
    );

    // 1-D: loss and accuracy curves, log loss axis, SVG and PNG; the paths are printed.
    let out = ok(descent(&[
        "landscape",
        "plot",
        s(&line),
        "--format",
        "svg,png",
        "--log",
    ]));
    let printed: Vec<PathBuf> = text(&out.stdout).lines().map(PathBuf::from).collect();
    assert_eq!(
        printed,
        [dir.path().join("line.svg"), dir.path().join("line.png")]
    );
    let svg = std::fs::read_to_string(dir.path().join("line.svg")).expect("svg");
    for expected in [
        "test loss",
        "test accuracy",
        "alpha (direction 1, filter-normalized)",
        "around net (mlp 2-16-3 relu), filter-normalized random direction",
        "100 samples of",
    ] {
        assert!(svg.contains(expected), "{expected:?} not in the SVG");
    }
    assert!(is_png(
        &std::fs::read(dir.path().join("line.png")).expect("png")
    ));

    // 2-D: every style in SVG and PNG, and the ParaView export, under another stem.
    let stem = dir.path().join("figs").join("p");
    std::fs::create_dir(dir.path().join("figs")).expect("mkdir");
    let out = ok(descent(&[
        "landscape",
        "plot",
        s(&plane),
        "--style",
        "contour,filled,heatmap,surface",
        "--format",
        "svg,png,vtp",
        "--out",
        s(&stem),
    ]));
    assert_eq!(
        text(&out.stdout).lines().count(),
        9,
        "{}",
        text(&out.stdout)
    );
    let figs = dir.path().join("figs");
    for style in ["contour", "filled", "heatmap", "surface"] {
        let svg = std::fs::read_to_string(figs.join(format!("p-{style}.svg"))).expect("svg");
        for expected in [
            "alpha (direction 1, layer-normalized)",
            "beta (direction 2, cosine to direction 1:",
            "test loss around net",
            "layer-normalized random directions",
        ] {
            assert!(svg.contains(expected), "{expected:?} not in p-{style}.svg");
        }
        let png = std::fs::read(figs.join(format!("p-{style}.png"))).expect("png");
        assert!(is_png(&png), "p-{style}.png");
    }
    let vtp = std::fs::read_to_string(figs.join("p.vtp")).expect("vtp");
    assert!(vtp.starts_with("<?xml") && vtp.contains("PolyData"));
    assert!(vtp.contains("Name=\"loss_test\"") && vtp.contains("Name=\"acc_test\""));

    // Usage errors name the value and write nothing.
    for (flag, value) in [
        ("--style", "wireframe"),
        ("--format", "jpg"),
        ("--metric", "loss_val"),
    ] {
        let out = descent(&[
            "landscape",
            "plot",
            s(&plane),
            flag,
            value,
            "--out",
            s(&dir.path().join("bad")),
        ]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains(value), "{}", text(&out.stderr));
    }
    let out = descent(&["landscape", "plot", s(&line), "--format", "vtp"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("1-D"), "{}", text(&out.stderr));
    assert!(files_starting(dir.path(), "bad").is_empty());
    assert!(!dir.path().join("line.vtp").exists());

    // An unfinished scan: drawn with gaps once a point is done, refused before.
    let partial = dir.path().join("partial.npz");
    scan(
        &partial,
        &["--x", "-1:1:3", "--y", "-1:1:3"],
        &["--max-points", "0"],
    );
    let out = descent(&["landscape", "plot", s(&partial)]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("partial.npz"),
        "{}",
        text(&out.stderr)
    );
    assert!(files_starting(dir.path(), "partial-").is_empty());
    scan(
        &partial,
        &["--x", "-1:1:3", "--y", "-1:1:3"],
        &["--max-points", "5"],
    );
    assert_eq!(ScanFile::load(&partial).expect("partial").done_count(), 5);
    ok(descent(&[
        "landscape",
        "plot",
        s(&partial),
        "--style",
        "heatmap",
    ]));
    assert_eq!(
        files_starting(dir.path(), "partial-"),
        ["partial-heatmap.svg"]
    );
}

/// `loss` of `descent eval ... --json`.
fn json_loss(out: &std::process::Output) -> f64 {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["loss"].as_f64().expect("loss")
}

/// A run trained on 200 of Fashion-MNIST's 60,000 training images (needs Debian's
/// `dataset-fashion-mnist`, which `scripts/test` installs) has its training loss measured on
/// those 200 by `eval --split train` and by the landscape commands, and on the whole split
/// only when `--dataset` is named. Before, every command drew from the whole split: the
/// "training loss" of such a run was mostly the loss on images it never saw.
#[test]
fn the_training_loss_of_a_run_is_measured_on_the_images_it_trained_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("run");
    ok(descent(&[
        "train",
        "--model",
        "mlp",
        "--hidden",
        "64",
        "--dataset",
        "fashion-mnist",
        "--train-samples",
        "200",
        "--epochs",
        "40",
        "--batch-size",
        "20",
        "--lr",
        "0.01",
        "--seed",
        "3",
        "--out",
        s(&run),
    ]));
    // The run's own 200 images: it has nearly memorized them.
    let own = json_loss(&ok(descent(&[
        "eval",
        s(&run),
        "--split",
        "train",
        "--json",
    ])));
    // 2000 images of the whole split (the first, by `--samples`): mostly unseen.
    let whole = json_loss(&ok(descent(&[
        "eval",
        s(&run),
        "--split",
        "train",
        "--dataset",
        "fashion-mnist",
        "--samples",
        "2000",
        "--json",
    ])));
    assert!(own < 0.1, "a 200-image run memorizes its images: {own}");
    assert!(whole > 5.0 * own, "own {own}, whole split {whole}");
    // Curvature and a 1-D scan (its centre, alpha = 0) measure the same loss on the same 200
    // images, from the run folder and from its checkpoint folder.
    for model in [run.clone(), run.join("checkpoint")] {
        let file = dir.path().join("curvature.npz");
        let _ = std::fs::remove_file(&file);
        let out = ok(descent(&[
            "landscape",
            "curvature",
            s(&model),
            "--top-k",
            "1",
            "--iterations",
            "5",
            "--trace-min-draws",
            "2",
            "--trace-max-draws",
            "2",
            "--out",
            s(&file),
        ]));
        assert!(
            text(&out.stdout).contains("the run's 200 training images"),
            "{}",
            text(&out.stdout)
        );
        let loss = CurvatureFile::load(&file)
            .expect("curvature file")
            .report
            .loss;
        assert!(
            (loss - own).abs() < 1e-4 * (1.0 + own),
            "curvature {loss}, eval {own}"
        );
    }
    let scan = dir.path().join("scan.npz");
    ok(descent(&[
        "landscape",
        "scan",
        s(&run),
        "--x",
        "-0.5:0.5:3",
        "--out",
        s(&scan),
    ]));
    let file = ScanFile::load(&scan).expect("scan");
    assert!(
        file.meta.eval.datasets[0].contains("the run's 200 training images"),
        "{:?}",
        file.meta.eval.datasets
    );
    let centre = file.values["loss_train"][1];
    assert!(
        (centre - own).abs() < 1e-4 * (1.0 + own),
        "scan {centre}, eval {own}"
    );
    // A model copied out of its run folder has no run: the whole split.
    let copied = dir.path().join("copied");
    std::fs::create_dir(&copied).expect("mkdir");
    for name in ["model.bpk", "model.json"] {
        std::fs::copy(run.join(name), copied.join(name)).expect("copy");
    }
    let alone = json_loss(&ok(descent(&[
        "eval",
        s(&copied),
        "--split",
        "train",
        "--samples",
        "2000",
        "--json",
    ])));
    assert!(
        (alone - whole).abs() < 1e-4 * (1.0 + whole),
        "copied {alone}, whole split {whole}"
    );
    // Naming the dataset measures its whole training split, as before.
    let file = dir.path().join("whole.npz");
    ok(descent(&[
        "landscape",
        "curvature",
        s(&run),
        "--dataset",
        "fashion-mnist",
        "--samples",
        "2000",
        "--top-k",
        "1",
        "--iterations",
        "5",
        "--trace-min-draws",
        "2",
        "--trace-max-draws",
        "2",
        "--out",
        s(&file),
    ]));
    let loss = CurvatureFile::load(&file)
        .expect("curvature file")
        .report
        .loss;
    assert!(loss > 5.0 * own, "whole split {loss}, own {own}");
}
