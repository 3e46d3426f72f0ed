//! ResNets from the command line: `descent train --model resnetN` with projection, zero-pad
//! or no shortcuts, and the flags of other architectures refused.
//!
//! Tests that read Fashion-MNIST need Debian's `dataset-fashion-mnist` (`scripts/test`
//! installs it).

mod common;

use common::{descent, ok, s, text};

#[test]
fn resnets_train_from_the_command_line_with_and_without_shortcuts() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, extra) in [
        (
            "resnet20",
            vec!["--dataset", "fashion-mnist", "--train-samples", "256"],
        ),
        (
            "resnet20",
            vec![
                "--dataset",
                "fashion-mnist",
                "--train-samples",
                "256",
                "--no-shortcuts",
            ],
        ),
        (
            "resnet56",
            vec![
                "--dataset",
                "synthetic",
                "--train-samples",
                "128",
                "--width",
                "0.5",
            ],
        ),
        (
            "resnet56",
            vec![
                "--dataset",
                "synthetic",
                "--train-samples",
                "128",
                "--width",
                "0.5",
                "--shortcut",
                "zero-pad",
            ],
        ),
    ] {
        let run = dir.path().join(format!("{name}-{}", extra.join("")));
        let mut args = vec![
            "train",
            "--model",
            name,
            "--epochs",
            "1",
            "--batch-size",
            "64",
            "--test-samples",
            "128",
            "--lr",
            "0.05",
            "--out",
            s(&run),
        ];
        args.extend(extra.iter().copied());
        ok(descent(&args));
        let card = std::fs::read_to_string(run.join("model.json")).expect("model.json");
        let card: serde_json::Value = serde_json::from_str(&card).expect("json");
        assert_eq!(card["model"]["kind"], "resnet");
        let shortcut = if extra.contains(&"--no-shortcuts") {
            "none"
        } else if extra.contains(&"zero-pad") {
            "zero-pad"
        } else {
            "projection"
        };
        assert_eq!(card["model"]["shortcut"], shortcut);
        assert_eq!(
            card["model"]["depth"],
            name[6..].parse::<u64>().expect("depth")
        );
    }
    // Flags of another architecture are refused.
    let out = descent(&["train", "--model", "vgg11", "--no-shortcuts"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = descent(&["train", "--model", "resnet18"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}
