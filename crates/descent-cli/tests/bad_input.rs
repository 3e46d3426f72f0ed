//! Every bad input of the hardening issue in one table, through the real binary with real
//! files: each row must fail with its own exit code and a one-line error naming the thing and
//! the problem, never panic, and leave no output behind: no new file, and older results
//! byte-identical.
//!
//! The disk-full rows run the binary under `ulimit -f` (with SIGXFSZ ignored), so a write past
//! the limit fails with EFBIG, as on a full disk; that needs no privileges.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

use common::{descent, descent_env, ok, s, text};

/// Exit codes, as in `descent_cli::exit`.
const USAGE: i32 = 2;
const BAD_INPUT: i32 = 3;
const DIVERGED: i32 = 5;
const OUTPUT: i32 = 6;

/// One bad input.
struct Row {
    /// What the issue calls it.
    name: &'static str,
    /// The command line.
    args: Vec<String>,
    /// The expected exit code.
    code: i32,
    /// Texts the error line must contain: the offending path or value and a word for the
    /// problem.
    needles: Vec<String>,
    /// Paths that must not exist afterwards.
    absent: Vec<PathBuf>,
    /// Files and folders that must be byte-identical afterwards (older results).
    kept: Vec<PathBuf>,
    /// Whether stderr may hold progress lines before the error (the error comes in the
    /// middle of training or of a scan); otherwise the error is the only line.
    progress: bool,
    /// Run under `ulimit -f` with this many 512-byte blocks (a full disk).
    file_limit_blocks: Option<u32>,
    /// Extra environment variables.
    env: Vec<(&'static str, &'static str)>,
}

impl Row {
    fn new(name: &'static str, args: &[&str], code: i32, needles: &[&str]) -> Row {
        Row {
            name,
            args: args.iter().map(|a| a.to_string()).collect(),
            code,
            needles: needles.iter().map(|n| n.to_string()).collect(),
            absent: Vec::new(),
            kept: Vec::new(),
            progress: false,
            file_limit_blocks: None,
            env: Vec::new(),
        }
    }

    fn env(mut self, name: &'static str, value: &'static str) -> Row {
        self.env.push((name, value));
        self
    }

    fn absent(mut self, paths: &[&Path]) -> Row {
        self.absent.extend(paths.iter().map(|p| p.to_path_buf()));
        self
    }

    fn kept(mut self, paths: &[&Path]) -> Row {
        self.kept.extend(paths.iter().map(|p| p.to_path_buf()));
        self
    }

    fn progress(mut self) -> Row {
        self.progress = true;
        self
    }

    fn disk_full(mut self, blocks: u32) -> Row {
        self.file_limit_blocks = Some(blocks);
        self
    }

    fn run(&self) -> Output {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        match self.file_limit_blocks {
            None => descent_env(&args, &self.env),
            Some(blocks) => {
                // dash and bash both count `ulimit -f` for sh in 512-byte blocks here; the
                // limit only has to fall between the files that fit and the one that must not.
                let script = format!("ulimit -f {blocks}; trap '' XFSZ; exec \"$0\" \"$@\"");
                Command::new("sh")
                    .arg("-c")
                    .arg(script)
                    .arg(env!("CARGO_BIN_EXE_descent"))
                    .args(&args)
                    .env_remove("BURN_DEVICE")
                    .env_remove("SLURM_ARRAY_TASK_ID")
                    .env_remove("SLURM_ARRAY_TASK_COUNT")
                    .env_remove("JOB_COMPLETION_INDEX")
                    .output()
                    .expect("sh runs")
            }
        }
    }
}

/// The bytes of every file under `path` (or of the file itself), by relative name.
fn snapshot(path: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    if path.is_file() {
        files.insert(PathBuf::new(), std::fs::read(path).expect("read"));
        return files;
    }
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let entry = entry.expect("entry").path();
            if entry.is_dir() {
                stack.push(entry);
            } else {
                let rel = entry.strip_prefix(path).expect("inside").to_path_buf();
                files.insert(rel, std::fs::read(&entry).expect("read"));
            }
        }
    }
    files
}

/// Every entry of `dir` whose name marks a temporary file of an atomic write.
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.to_string_lossy().contains(".tmp-") {
                found.push(path.clone());
            }
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    found
}

/// A tiny deterministic byte stream (pixels need not be pretty, only varied).
fn noise(n: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

/// A CIFAR-10 binary folder with `per_file` records in each of the six batches.
fn cifar(dir: &Path, per_file: usize) -> PathBuf {
    std::fs::create_dir_all(dir).expect("mkdir");
    let names = (1..=5)
        .map(|i| format!("data_batch_{i}.bin"))
        .chain(["test_batch.bin".to_string()]);
    for (f, name) in names.enumerate() {
        let mut bytes = Vec::new();
        for r in 0..per_file {
            bytes.push((r % 10) as u8);
            bytes.extend(noise(3072, (f * 100 + r) as u32));
        }
        std::fs::write(dir.join(name), bytes).expect("write");
    }
    dir.to_path_buf()
}

/// IDX image file bytes: `n` images of `h` x `w`.
fn idx_images(n: u32, h: u32, w: u32, seed: u32) -> Vec<u8> {
    let mut bytes = [0x0803u32, n, h, w]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect::<Vec<u8>>();
    bytes.extend(noise((n * h * w) as usize, seed));
    bytes
}

/// IDX label file bytes: `n` labels cycling through the ten classes.
fn idx_labels(n: u32) -> Vec<u8> {
    let mut bytes = [0x0801u32, n]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect::<Vec<u8>>();
    bytes.extend((0..n).map(|i| (i % 10) as u8));
    bytes
}

/// An MNIST-style folder of raw IDX files, 8 samples per split.
fn mnist(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("mkdir");
    for (i, split) in ["train", "t10k"].iter().enumerate() {
        std::fs::write(
            dir.join(format!("{split}-images-idx3-ubyte")),
            idx_images(8, 28, 28, i as u32),
        )
        .expect("write");
        std::fs::write(
            dir.join(format!("{split}-labels-idx1-ubyte")),
            idx_labels(8),
        )
        .expect("write");
    }
    dir.to_path_buf()
}

/// A copy of the folder `from` (and its sub-folders) at `to`, then `edit` applied to it.
fn variant(from: &Path, to: &Path, edit: impl FnOnce(&Path)) -> PathBuf {
    copy_dir(from, to);
    edit(to);
    to.to_path_buf()
}

/// Copies the folder `from` to `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry").path();
        let target = to.join(entry.file_name().expect("name"));
        if entry.is_dir() {
            copy_dir(&entry, &target);
        } else {
            std::fs::copy(&entry, target).expect("copy");
        }
    }
}

/// Trains an MLP on spirals for one epoch into `dir/name`.
fn train_mlp(dir: &Path, name: &str, hidden: &str) -> PathBuf {
    train_mlp_seeded(dir, name, hidden, "1")
}

/// [`train_mlp`] from another seed: the same architecture with other weights.
fn train_mlp_seeded(dir: &Path, name: &str, hidden: &str, seed: &str) -> PathBuf {
    let out = dir.join(name);
    ok(descent(&[
        "train",
        "--model",
        "mlp",
        "--hidden",
        hidden,
        "--dataset",
        "spirals",
        "--epochs",
        "1",
        "--seed",
        seed,
        "--out",
        s(&out),
    ]));
    out
}

const EVAL: [&str; 4] = ["--samples", "20", "--batch-size", "20"];

#[test]
fn every_bad_input_gives_one_clear_line_a_stable_code_and_no_damage() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let p = |name: &str| dir.join(name);

    // The good inputs the bad ones are made from, checked to work first.
    let good_cifar = cifar(&p("cifar"), 4);
    let good_mnist = mnist(&p("mnist"));
    for (dataset, data) in [("cifar10", &good_cifar), ("mnist", &good_mnist)] {
        let out = p(&format!("good-{dataset}"));
        ok(descent(&[
            "train",
            "--model",
            "mlp",
            "--hidden",
            "8",
            "--epochs",
            "1",
            "--dataset",
            dataset,
            "--data-dir",
            s(data),
            "--out",
            s(&out),
        ]));
    }
    let net = train_mlp(dir, "net", "8");
    let wide = train_mlp(dir, "wide", "16");
    // A bigger run, so that its checkpoint does not fit under the disk-full limit.
    let big = train_mlp(dir, "big", "64,64");
    // An older scan result, which no failed command may touch.
    let old_scan = p("old.npz");
    let old_directions = p("old.directions.npz");
    ok(descent(
        &[
            &["landscape", "scan", s(&net), "--x", "0:1:3", "--out"][..],
            &[s(&old_scan)],
            &EVAL[..],
        ]
        .concat(),
    ));
    // A scan started but not computed: its file (32 KB for 41x41 points) does not fit under
    // the disk-full limit, its directions file (3 KB) does.
    let partial = p("partial.npz");
    let partial_scan = |extra: &[&str]| -> Vec<String> {
        [
            &[
                "landscape",
                "scan",
                s(&net),
                "--x",
                "-1:1:41",
                "--y",
                "-1:1:41",
                "--out",
                s(&partial),
            ][..],
            &EVAL[..],
            extra,
        ]
        .concat()
        .iter()
        .map(|a| a.to_string())
        .collect()
    };
    let args: Vec<String> = partial_scan(&["--max-points", "0"]);
    ok(descent(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));

    // Bad data, each made from the good folders.
    let empty = variant(&good_cifar, &p("cifar-empty"), |d| {
        std::fs::write(d.join("data_batch_2.bin"), b"").expect("write")
    });
    let truncated = variant(&good_cifar, &p("cifar-truncated"), |d| {
        let f = d.join("data_batch_1.bin");
        let bytes = std::fs::read(&f).expect("read");
        std::fs::write(&f, &bytes[..3073 + 1000]).expect("write")
    });
    let cifar_label = variant(&good_cifar, &p("cifar-label"), |d| {
        let f = d.join("test_batch.bin");
        let mut bytes = std::fs::read(&f).expect("read");
        bytes[3073] = 10;
        std::fs::write(&f, bytes).expect("write")
    });
    let magic = variant(&good_mnist, &p("mnist-magic"), |d| {
        let f = d.join("train-images-idx3-ubyte");
        let mut bytes = std::fs::read(&f).expect("read");
        bytes[3] = 0x01;
        std::fs::write(&f, bytes).expect("write")
    });
    let idx_label = variant(&good_mnist, &p("mnist-label"), |d| {
        let f = d.join("t10k-labels-idx1-ubyte");
        let mut bytes = std::fs::read(&f).expect("read");
        bytes[8 + 5] = 12;
        std::fs::write(&f, bytes).expect("write")
    });
    let size = variant(&good_mnist, &p("mnist-size"), |d| {
        std::fs::write(d.join("t10k-images-idx3-ubyte"), idx_images(8, 32, 32, 9)).expect("write")
    });
    // A run folder whose weights are another architecture's, for eval and for resume.
    let swapped = variant(&net, &p("swapped"), |d| {
        std::fs::copy(wide.join("model.bpk"), d.join("model.bpk")).expect("copy");
    });
    let swapped_ckpt = variant(&net, &p("swapped-ckpt"), |d| {
        std::fs::copy(
            wide.join("checkpoint/model.bpk"),
            d.join("checkpoint/model.bpk"),
        )
        .expect("copy");
    });
    // A scan file cut in half.
    let corrupt = p("corrupt.npz");
    let bytes = std::fs::read(&old_scan).expect("read");
    std::fs::write(&corrupt, &bytes[..bytes.len() / 2]).expect("write");
    // A file where a folder should be.
    let file = p("a-file");
    std::fs::write(&file, b"not a folder").expect("write");

    // Issue 21. A run of the same architecture as `net` with other weights.
    let net_b = train_mlp_seeded(dir, "net-b", "8", "2");
    // A checkpoint whose state says it stopped past the end of its epoch.
    let past_end = variant(&net, &p("past-end"), |d| {
        let f = d.join("checkpoint/state.json");
        let mut state: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&f).expect("read")).expect("json");
        state["progress"]["step_in_epoch"] = 999.into();
        std::fs::write(&f, serde_json::to_vec_pretty(&state).expect("json")).expect("write");
    });
    // Checkpoint records with one byte flipped in the middle (their tensors' data).
    let flip = |name: &'static str| {
        move |d: &Path| {
            let f = d.join("checkpoint").join(name);
            let mut bytes = std::fs::read(&f).expect("read");
            let at = bytes.len() * 3 / 4;
            bytes[at] ^= 0x10;
            std::fs::write(&f, bytes).expect("write");
        }
    };
    let flipped_model = variant(&net, &p("flipped-model"), flip("model.bpk"));
    let flipped_optimizer = variant(&net, &p("flipped-optimizer"), flip("optimizer.bpk"));
    // A scan started on `moved`, whose weights are then replaced by net-b's (a run retrained
    // in place).
    let moved = variant(&net, &p("moved"), |_| {});
    let moved_scan = p("moved.npz");
    ok(descent(
        &[
            &["landscape", "scan", s(&moved), "--x", "-1:1:5", "--out"][..],
            &[s(&moved_scan), "--max-points", "2"],
            &EVAL[..],
        ]
        .concat(),
    ));
    std::fs::copy(net_b.join("model.bpk"), moved.join("model.bpk")).expect("copy");
    // Directions drawn (and filter-normalized) for `net`, left beside an --out whose scan
    // file was removed.
    let fresh_scan = p("fresh.npz");
    ok(descent(
        &[
            &["landscape", "scan", s(&net), "--x", "-1:1:5", "--out"][..],
            &[s(&fresh_scan), "--max-points", "0"],
            &EVAL[..],
        ]
        .concat(),
    ));
    std::fs::remove_file(&fresh_scan).expect("remove");
    let fresh_directions = p("fresh.directions.npz");

    let out = p("out");
    let new_scan = p("new.npz");
    let train = |extra: &[&str]| -> Vec<String> {
        [
            &["train", "--model", "mlp", "--hidden", "8", "--epochs", "1"][..],
            extra,
            &["--out", s(&out)][..],
        ]
        .concat()
        .iter()
        .map(|a| a.to_string())
        .collect()
    };
    let data_row = |name, dataset: &str, data: &Path, code, needles: &[&str]| {
        let args = train(&["--dataset", dataset, "--data-dir", s(data)]);
        let mut row = Row::new(name, &[], code, needles).absent(&[&out]);
        row.args = args;
        row
    };
    let scan = |extra: &[&str]| -> Vec<String> {
        [&["landscape", "scan"][..], extra, &EVAL[..]]
            .concat()
            .iter()
            .map(|a| a.to_string())
            .collect()
    };
    let scan_row = |name, extra: &[&str], code, needles: &[&str]| {
        let mut row = Row::new(name, &[], code, needles);
        row.args = scan(extra);
        row
    };
    let nowhere = p("nowhere");
    let rows = vec![
        data_row(
            "missing folder",
            "cifar10",
            &nowhere,
            BAD_INPUT,
            &[s(&nowhere), "not found"],
        ),
        data_row(
            "empty file",
            "cifar10",
            &empty,
            BAD_INPUT,
            &[s(&empty.join("data_batch_2.bin")), "empty"],
        ),
        data_row(
            "truncated batch",
            "cifar10",
            &truncated,
            BAD_INPUT,
            &[s(&truncated.join("data_batch_1.bin")), "truncated"],
        ),
        data_row(
            "wrong magic",
            "mnist",
            &magic,
            BAD_INPUT,
            &[s(&magic.join("train-images-idx3-ubyte")), "magic"],
        ),
        data_row(
            "label out of range (CIFAR-10)",
            "cifar10",
            &cifar_label,
            BAD_INPUT,
            &[
                s(&cifar_label.join("test_batch.bin")),
                "label 10 out of range",
            ],
        ),
        data_row(
            "label out of range (IDX)",
            "mnist",
            &idx_label,
            BAD_INPUT,
            &[
                s(&idx_label.join("t10k-labels-idx1-ubyte")),
                "label 12 out of range",
            ],
        ),
        data_row(
            "image size mismatch",
            "mnist",
            &size,
            BAD_INPUT,
            &[
                s(&size.join("t10k-images-idx3-ubyte")),
                "32x32, expected 28x28",
            ],
        ),
        Row::new(
            "checkpoint of another architecture (eval)",
            &["eval", s(&swapped)],
            BAD_INPUT,
            &[s(&swapped.join("model.bpk")), "another architecture"],
        ),
        Row::new(
            "checkpoint of another architecture (resume)",
            &[
                "train",
                "--resume",
                "--epochs",
                "2",
                "--out",
                s(&swapped_ckpt),
            ],
            BAD_INPUT,
            &[
                s(&swapped_ckpt.join("checkpoint/model.bpk")),
                "another architecture",
            ],
        )
        .kept(&[&swapped_ckpt]),
        Row::new(
            "checkpoint of another architecture (interpolate)",
            &[
                "landscape",
                "interpolate",
                s(&net),
                s(&wide),
                "--x",
                "0:1:3",
                "--out",
                s(&new_scan),
            ],
            BAD_INPUT,
            &[s(&wide), "mismatch", "differ"],
        )
        .absent(&[&new_scan]),
        scan_row(
            "direction file of another model",
            &[
                s(&wide),
                "--x",
                "0:1:3",
                "--directions",
                s(&old_directions),
                "--out",
                s(&new_scan),
            ],
            BAD_INPUT,
            &[s(&old_directions), "mismatch", "Mlp.hidden.0.weight"],
        )
        .absent(&[&new_scan])
        .kept(&[&old_directions]),
        scan_row(
            "corrupt scan file (resumed)",
            &[s(&net), "--x", "0:1:3", "--out", s(&corrupt)],
            BAD_INPUT,
            &[s(&corrupt), "not a zip"],
        )
        .kept(&[&corrupt])
        .absent(&[&p("corrupt.directions.npz")]),
        Row::new(
            "corrupt scan file (plotted)",
            &["landscape", "plot", s(&corrupt)],
            BAD_INPUT,
            &[s(&corrupt), "not a zip"],
        )
        .kept(&[&corrupt])
        .absent(&[&p("corrupt.svg")]),
        Row::new(
            "corrupt scan file (merged)",
            &[
                "landscape",
                "merge",
                s(&old_scan),
                s(&corrupt),
                "--out",
                s(&new_scan),
            ],
            BAD_INPUT,
            &[s(&corrupt), "not a zip"],
        )
        .absent(&[&new_scan]),
        {
            let mut row = Row::new("NaN learning rate", &[], USAGE, &["lr", "NaN", "positive"]);
            row.args = train(&["--dataset", "spirals", "--lr", "NaN"]);
            row.absent(&[&out])
        },
        {
            let mut row = Row::new(
                "negative learning rate",
                &[],
                USAGE,
                &["lr", "-0.1", "positive"],
            );
            row.args = train(&["--dataset", "spirals", "--lr", "-0.1"]);
            row.absent(&[&out])
        },
        scan_row(
            "grid with 0 points",
            &[s(&net), "--x", "-1:1:0", "--out", s(&old_scan)],
            USAGE,
            &["-1:1:0", "at least one point"],
        )
        .kept(&[&old_scan, &old_directions]),
        scan_row(
            "grid with negative points",
            &[s(&net), "--x", "-1:1:-3", "--out", s(&old_scan)],
            USAGE,
            &["-1:1:-3", "grid axis"],
        )
        .kept(&[&old_scan, &old_directions]),
        scan_row(
            "min > max",
            &[
                s(&net),
                "--x",
                "-1:1:3",
                "--y",
                "1:-1:3",
                "--out",
                s(&old_scan),
            ],
            USAGE,
            &["1:-1:3", "min must not exceed max"],
        )
        .kept(&[&old_scan, &old_directions]),
        {
            // A name that is no device is a bad flag value (2); exit 4 is for a device this
            // build has but cannot open here.
            let mut row = Row::new(
                "unknown device (train)",
                &[],
                USAGE,
                &["tpu", "unknown device"],
            );
            row.args = [
                &["--device", "tpu"][..],
                &train(&["--dataset", "spirals"])
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            ]
            .concat()
            .iter()
            .map(|a| a.to_string())
            .collect();
            row.absent(&[&out])
        },
        {
            let mut row = scan_row(
                "unknown device (scan)",
                &[s(&net), "--x", "0:1:3", "--out", s(&old_scan)],
                USAGE,
                &["tpu", "unknown device"],
            );
            row.args
                .splice(0..0, ["--device".to_string(), "tpu".to_string()]);
            row.kept(&[&old_scan, &old_directions])
        },
        {
            let run = file.join("run");
            let mut row = Row::new(
                "unwritable output folder (train)",
                &[],
                OUTPUT,
                &[s(&run), "Not a directory"],
            );
            row.args = train(&["--dataset", "spirals"]);
            let last = row.args.len() - 1;
            row.args[last] = s(&run).to_string();
            row.kept(&[&file])
        },
        scan_row(
            "unwritable output folder (scan)",
            &[s(&net), "--x", "0:1:3", "--out", s(&file.join("scan.npz"))],
            OUTPUT,
            &[s(&file.join("scan.directions.npz")), "Not a directory"],
        )
        .kept(&[&file]),
        {
            let mut row = Row::new(
                "disk full (scan resumed)",
                &[],
                OUTPUT,
                &[s(&partial), "File too large"],
            )
            .kept(&[&partial, &p("partial.directions.npz")])
            .progress()
            .disk_full(16);
            row.args = partial_scan(&["--max-points", "2", "--save-every", "0"]);
            row
        },
        Row::new(
            "disk full (training resumed)",
            &["train", "--resume", "--epochs", "2", "--out", s(&big)],
            OUTPUT,
            &[s(&big.join("checkpoint")), "File too large"],
        )
        .kept(&[
            &big.join("checkpoint"),
            &big.join("model.bpk"),
            &big.join("model.json"),
        ])
        .progress()
        .disk_full(16),
        // ----- issue 21 -----
        {
            let mut row = Row::new(
                "unknown device (BURN_DEVICE)",
                &[],
                USAGE,
                &["tpu", "unknown device"],
            )
            .env("BURN_DEVICE", "tpu");
            row.args = train(&["--dataset", "spirals"]);
            row.absent(&[&out])
        },
        {
            // 2 x 10^11 x 4 bytes for the first layer alone.
            let mut row = Row::new(
                "MLP too large for memory",
                &[],
                USAGE,
                &["100000000000", "parameters", "memory"],
            );
            row.args = train(&["--dataset", "spirals", "--hidden", "100000000000"]);
            row.absent(&[&out])
        },
        {
            let mut row = Row::new(
                "VGG too wide for memory",
                &[],
                USAGE,
                &["x100000", "parameters", "memory"],
            );
            row.args = [
                "train",
                "--model",
                "vgg9",
                "--width",
                "100000",
                "--epochs",
                "1",
                "--out",
                s(&out),
            ]
            .iter()
            .map(|a| a.to_string())
            .collect();
            row.absent(&[&out])
        },
        {
            let mut row = Row::new("dropout of 1", &[], USAGE, &["dropout", "1"]);
            row.args = train(&["--dataset", "spirals", "--dropout", "1.0"]);
            row.absent(&[&out])
        },
        {
            let mut row = Row::new("hidden layer of 0", &[], USAGE, &["hidden", "0"]);
            row.args = train(&["--dataset", "spirals", "--hidden", "8,0"]);
            row.absent(&[&out])
        },
        {
            let mut row = Row::new("width of 0", &[], USAGE, &["width", "0"]);
            row.args = ["train", "--model", "vgg9", "--width", "0", "--out", s(&out)]
                .iter()
                .map(|a| a.to_string())
                .collect();
            row.absent(&[&out])
        },
        {
            let mut row = Row::new("0 training samples", &[], USAGE, &["train_samples", "0"]);
            row.args = train(&["--dataset", "spirals", "--train-samples", "0"]);
            row.absent(&[&out])
        },
        {
            let mut row = Row::new(
                "divergence before any checkpoint",
                &[],
                DIVERGED,
                &["no checkpoint", "smaller learning rate"],
            );
            row.args = train(&["--dataset", "spirals", "--lr", "1e30"]);
            row.progress()
        },
        Row::new(
            "resumed state past its epoch's end",
            &["train", "--resume", "--epochs", "2", "--out", s(&past_end)],
            BAD_INPUT,
            &[s(&past_end.join("checkpoint")), "step_in_epoch 999"],
        )
        .kept(&[&past_end]),
        Row::new(
            "flipped byte in model.bpk",
            &[
                "train",
                "--resume",
                "--epochs",
                "2",
                "--out",
                s(&flipped_model),
            ],
            BAD_INPUT,
            &[s(&flipped_model.join("checkpoint/model.bpk")), "checksum"],
        )
        .kept(&[&flipped_model]),
        Row::new(
            "flipped byte in optimizer.bpk",
            &[
                "train",
                "--resume",
                "--epochs",
                "2",
                "--out",
                s(&flipped_optimizer),
            ],
            BAD_INPUT,
            &[
                s(&flipped_optimizer.join("checkpoint/optimizer.bpk")),
                "checksum",
            ],
        )
        .kept(&[&flipped_optimizer]),
        scan_row(
            "scan resumed onto other weights",
            &[s(&moved), "--x", "-1:1:5", "--out", s(&moved_scan)],
            BAD_INPUT,
            &[s(&moved_scan), "weights"],
        )
        .kept(&[&moved_scan, &p("moved.directions.npz")]),
        scan_row(
            "directions file of other weights",
            &[s(&net_b), "--x", "-1:1:5", "--out", s(&fresh_scan)],
            BAD_INPUT,
            &[s(&fresh_directions), "weights"],
        )
        .kept(&[&fresh_directions])
        .absent(&[&fresh_scan]),
        scan_row(
            "grid of 10^10 points",
            &[
                s(&net),
                "--x",
                "-1:1:100000",
                "--y",
                "-1:1:100000",
                "--out",
                s(&new_scan),
            ],
            USAGE,
            &["10000000000 points", "GB"],
        )
        .absent(&[&new_scan, &p("new.directions.npz")]),
        // 3.2 GB per array: this one grew to all the machine's memory before the kernel killed
        // it (not run before the fix, for that reason).
        scan_row(
            "grid of 4 x 10^8 points",
            &[
                s(&net),
                "--x",
                "-1:1:20000",
                "--y",
                "-1:1:20000",
                "--out",
                s(&new_scan),
            ],
            USAGE,
            &["400000000 points", "3.2 GB"],
        )
        .absent(&[&new_scan, &p("new.directions.npz")]),
        Row::new(
            "merge onto an existing file",
            &["landscape", "merge", s(&old_scan), "--out", s(&file)],
            USAGE,
            &[s(&file), "exists"],
        )
        .kept(&[&file]),
    ];

    // Every row is checked, and every failing row reported, before the test fails.
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|row| check(row, dir).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n\n")
    );
}

/// Fails with `message` unless `condition` holds.
macro_rules! ensure {
    ($condition:expr, $($message:tt)+) => {
        if !$condition {
            return Err(format!($($message)+));
        }
    };
}

/// Runs one row and checks its exit code, its one error line, and the files it must leave
/// alone; `dir` is searched for temporaries left behind.
fn check(row: &Row, dir: &Path) -> Result<(), String> {
    let before: Vec<_> = row.kept.iter().map(|k| snapshot(k)).collect();
    let result = row.run();
    let stderr = text(&result.stderr);
    let context = format!("{} ({:?}):\n{stderr}", row.name, row.args);
    ensure!(
        result.status.code() == Some(row.code),
        "exit {:?}, expected {}: {context}",
        result.status.code(),
        row.code
    );
    ensure!(!stderr.contains("panicked"), "{context}");
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let errors: Vec<&&str> = lines.iter().filter(|l| l.starts_with("error")).collect();
    ensure!(errors.len() == 1, "one error line: {context}");
    let error = *errors[0];
    ensure!(
        lines.last() == Some(&error),
        "the error comes last: {context}"
    );
    if !row.progress {
        ensure!(lines.len() == 1, "nothing but the error: {context}");
    }
    for needle in &row.needles {
        ensure!(
            error.contains(needle.as_str()),
            "{needle:?} missing: {context}"
        );
    }
    for path in &row.absent {
        ensure!(
            !path.exists(),
            "{} was left behind: {context}",
            path.display()
        );
    }
    for (path, old) in row.kept.iter().zip(&before) {
        ensure!(
            snapshot(path) == *old,
            "{} changed: {context}",
            path.display()
        );
    }
    let left = temporaries(dir);
    ensure!(left.is_empty(), "temporary files left: {left:?}: {context}");
    Ok(())
}
