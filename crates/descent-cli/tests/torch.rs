//! PyTorch weights in and out through the binary: a ResNet-20 trained in PyTorch on
//! Fashion-MNIST is imported, evaluated with PyTorch's accuracy, scanned without conversion,
//! and exported back.
//!
//! The PyTorch files are made by `crates/descent-models/scripts/torch_state_dicts.py`
//! (`resnet20_fmnist.pt`: a ResNet-20, 1x28x28, width 0.25, projection shortcuts, trained for five
//! epochs on the first 2000 Fashion-MNIST training images with inputs normalized as
//! `(pixel / 255 - 0.2860) / 0.3530`; `resnet20_fmnist.expected.json`: its loss and accuracy
//! on the first 1000 test images, computed by PyTorch). Abridged:
//!
//! ```python
//! net = ResNet(20, 'B', 0.25, 1)
//! x, y = fmnist('train', 2000)      # (images / 255 - MEAN) / STD
//! opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
//! for epoch in range(5): ...         # batches of 64, seeded order
//! net.eval(); torch.save(net.state_dict(), 'resnet20_fmnist.pt')
//! tx, ty = fmnist('test', 1000)
//! logits = net(tx)
//! expected = {'loss': F.cross_entropy(logits, ty).item(),
//!             'correct': int((logits.argmax(1) == ty).sum()), ...}
//! ```
//!
//! Tests that read Fashion-MNIST need Debian's `dataset-fashion-mnist` (`scripts/test`
//! installs it).

mod common;

use std::path::{Path, PathBuf};

use common::{descent, ok, s, text};

fn data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../descent-models/tests/data/torch")
        .join(file)
}

fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(data("resnet20_fmnist.expected.json")).expect("read");
    serde_json::from_str(&text).expect("json")
}

const ARCH: [&str; 8] = [
    "--model",
    "resnet20",
    "--width",
    "0.25",
    "--dataset",
    "fashion-mnist",
    "--normalize",
    "0.2860/0.3530",
];

fn eval_json(args: &[&str]) -> serde_json::Value {
    let out = ok(descent(args));
    serde_json::from_str(text(&out.stdout).trim()).expect("eval --json")
}

/// Our metrics on the first 1000 test images equal PyTorch's.
fn assert_pytorchs_metrics(metrics: &serde_json::Value) {
    let want = expected();
    assert_eq!(metrics["samples"], 1000);
    let correct = (metrics["accuracy"].as_f64().expect("accuracy") * 1000.0).round();
    assert_eq!(correct as i64, want["correct"].as_i64().expect("correct"));
    let loss = metrics["loss"].as_f64().expect("loss");
    let want_loss = want["loss"].as_f64().expect("loss");
    assert!(
        (loss - want_loss).abs() < 1e-4,
        "loss {loss} vs PyTorch {want_loss}"
    );
}

#[test]
fn resnet20_trained_in_pytorch_is_imported_evaluated_scanned_and_exported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pt = data("resnet20_fmnist.pt");
    let imported = dir.path().join("imported");

    // Import once into a model folder ...
    let mut args = vec!["import", s(&pt)];
    args.extend(ARCH);
    args.extend(["--out", s(&imported)]);
    let out = ok(descent(&args));
    assert!(
        text(&out.stdout).contains("resnet20 x0.25 (1x28x28 -> 10) (17462 parameters)"),
        "{}",
        text(&out.stdout)
    );
    // ... evaluated: PyTorch's accuracy and loss.
    assert_pytorchs_metrics(&eval_json(&[
        "eval",
        s(&imported),
        "--samples",
        "1000",
        "--json",
    ]));
    // The file itself, without converting it.
    let mut args = vec!["eval", s(&pt), "--samples", "1000", "--json"];
    args.extend(ARCH);
    assert_pytorchs_metrics(&eval_json(&args));

    // A 1-D filter-normalized scan of the PyTorch file: the trained weights sit lower than
    // a filter-norm step away on either side.
    let scan = dir.path().join("scan.npz");
    let mut args = vec![
        "landscape",
        "scan",
        s(&pt),
        "--x",
        "-1:1:3",
        "--split",
        "test",
        "--samples",
        "200",
        "--out",
        s(&scan),
    ];
    args.extend(ARCH);
    ok(descent(&args));
    let file = descent_landscape::ScanFile::load(&scan).expect("scan file");
    assert_eq!(file.done_count(), 3);
    let loss = &file.values["loss_test"];
    assert_eq!(loss.len(), 3);
    assert!(loss[1] < loss[0] && loss[1] < loss[2], "{loss:?}");

    // Exported back: safetensors and npz with PyTorch's names and layouts, which read back
    // into the same model (and, where PyTorch is installed, into PyTorch: see below).
    let exported = dir.path().join("resnet20_fmnist.safetensors");
    ok(descent(&[
        "export",
        s(&imported),
        "--format",
        "safetensors",
        "--out",
        s(&exported),
    ]));
    let mut args = vec!["eval", s(&exported), "--samples", "1000", "--json"];
    args.extend(ARCH);
    assert_pytorchs_metrics(&eval_json(&args));
    let out = ok(descent(&["export", s(&imported), "--format", "npz"]));
    let npz_path = imported.join("model.npz");
    assert!(
        text(&out.stdout).contains("model.npz"),
        "{}",
        text(&out.stdout)
    );
    let npz = descent_landscape::npz::Npz::from_bytes(&std::fs::read(&npz_path).expect("npz"))
        .expect("npz");
    assert_eq!(npz.arrays["linear.weight"].shape, [10, 16]); // PyTorch's [out, in]
    assert_eq!(npz.arrays["layer2.0.shortcut.0.weight"].shape, [8, 4, 1, 1]);
    assert_eq!(npz.arrays["layer3.2.bn2.running_var"].shape, [16]);
    assert!(
        !npz.arrays
            .keys()
            .any(|k| k.contains("gamma") || k.contains("num_batches"))
    );
    // Into a folder that does not exist yet: export makes it.
    let nested = dir.path().join("missing/folder/resnet20.npz");
    ok(descent(&[
        "export",
        s(&imported),
        "--format",
        "npz",
        "--out",
        s(&nested),
    ]));
    assert_eq!(
        std::fs::read(&nested).expect("nested export"),
        std::fs::read(&npz_path).expect("npz")
    );
    let npz_dir = dir.path().join("npz");
    std::fs::create_dir(&npz_dir).expect("dir");
    std::fs::copy(&npz_path, npz_dir.join("resnet20_fmnist.npz")).expect("copy");
    // An MLP and a VGG made by PyTorch (five SGD steps on random data): imported and exported
    // beside the ResNet, so PyTorch checks them too.
    for (name, flags) in [
        (
            "mlp",
            &["--model", "mlp", "--hidden", "32,16", "--dropout", "0.1"][..],
        ),
        ("vgg9_bn", &["--model", "vgg9", "--width", "0.0625"][..]),
    ] {
        // Into a folder whose parent does not exist yet either: import makes both, and leaves
        // nothing but the model's two files (no temporaries).
        let folder = dir.path().join("imports").join(name);
        let file = data(&format!("{name}.pt"));
        let mut args = vec![
            "import",
            s(&file),
            "--dataset",
            "fashion-mnist",
            "--out",
            s(&folder),
        ];
        args.extend(flags);
        ok(descent(&args));
        let mut files: Vec<_> = std::fs::read_dir(&folder)
            .expect("imported folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, ["model.bpk", "model.json"]);
        assert_eq!(
            std::fs::read_dir(dir.path().join("imports"))
                .expect("imports")
                .count(),
            if name == "mlp" { 1 } else { 2 },
            "a temporary folder was left beside {name}"
        );
        let exported = dir.path().join(format!("{name}.safetensors"));
        ok(descent(&["export", s(&folder), "--out", s(&exported)]));
    }
    pytorch_loads(dir.path(), 3);
    pytorch_loads(&npz_dir, 1);
}

/// Runs `torch_state_dicts.py --check DIR` (strict `load_state_dict` of each of the `files`
/// exports into the reference PyTorch definition, logits within 1e-5 of PyTorch's) with the PyTorch virtualenv of these
/// machines (`~/.cache/torch-venv/bin/python`, or the Python `DESCENT_TORCH_PYTHON` names).
/// Without one it says so loudly and returns, unless `DESCENT_REQUIRE_TORCH=1`: then it fails.
fn pytorch_loads(dir: &Path, files: usize) {
    let python = std::env::var_os("DESCENT_TORCH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default()
                .join(".cache/torch-venv/bin/python")
        });
    if !python.exists() {
        let message = format!(
            "no PyTorch at {}: the PyTorch side of the round trip is not run",
            python.display()
        );
        if std::env::var("DESCENT_REQUIRE_TORCH").is_ok_and(|v| v == "1") {
            panic!("DESCENT_REQUIRE_TORCH=1 but {message}");
        }
        eprintln!("SKIPPED: {message}");
        return;
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../descent-models/scripts/torch_state_dicts.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .arg("--check")
        .arg(dir)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "PyTorch refused the export:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let summary = format!("{files} passed, 0 failed");
    assert!(
        text(&out.stdout).contains(&summary),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn pytorch_files_without_their_architecture_or_of_another_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pt = data("resnet20_fmnist.pt");
    // No --model: exit 2, saying how to give it.
    let out = descent(&["eval", s(&pt), "--dataset", "fashion-mnist"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--model"),
        "{}",
        text(&out.stderr)
    );
    let out = descent(&[
        "import",
        s(&pt),
        "--dataset",
        "fashion-mnist",
        "--out",
        s(&dir.path().join("a")),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // Another architecture: exit 3, naming the tensors; nothing written.
    let out_dir = dir.path().join("b");
    let out = descent(&[
        "import",
        s(&pt),
        "--model",
        "resnet32",
        "--dataset",
        "fashion-mnist",
        "--out",
        s(&out_dir),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("layer1.3.conv1.weight"),
        "{}",
        text(&out.stderr)
    );
    assert!(!out_dir.exists());
    // A flag of another architecture: exit 2.
    let out = descent(&[
        "import",
        s(&pt),
        "--model",
        "vgg11",
        "--no-shortcuts",
        "--dataset",
        "fashion-mnist",
        "--out",
        s(&out_dir),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // Not a PyTorch file at all: exit 3.
    let junk = dir.path().join("junk.pt");
    std::fs::write(&junk, b"junk").expect("write");
    let out = descent(&[
        "import",
        s(&junk),
        "--model",
        "resnet20",
        "--dataset",
        "fashion-mnist",
        "--out",
        s(&out_dir),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    // Architecture flags for a model of ours, which has its own model.json: exit 2.
    let ours = dir.path().join("ours");
    let mut args = vec!["import", s(&pt), "--out", s(&ours)];
    args.extend(ARCH);
    ok(descent(&args));
    let mut args = vec!["eval", s(&ours)];
    args.extend(ARCH);
    let out = descent(&args);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("own model.json"),
        "{}",
        text(&out.stderr)
    );
    // Bad normalization: exit 2.
    let out = descent(&[
        "import",
        s(&pt),
        "--model",
        "resnet20",
        "--dataset",
        "fashion-mnist",
        "--normalize",
        "0.3,0.2/0.3,0.1",
        "--out",
        s(&out_dir),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}
