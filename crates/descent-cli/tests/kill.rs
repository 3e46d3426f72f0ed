//! SIGKILL and Ctrl-C (SIGINT) at random moments, then resume: a training run and a landscape
//! scan each end with exactly the files of a run that was never interrupted.
//!
//! The kill delays are drawn from a seed taken from the clock and printed in every assertion
//! message; `DESCENT_KILL_SEED=<seed>` replays a failure.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use common::{ok, s, text};
use descent_train::{DeviceChoice, ModelCard};

/// How many times each job is killed before it may finish.
const KILLS: usize = 4;

/// A small xorshift generator: the delays need to be reproducible, not good.
struct Delays {
    state: u64,
}

impl Delays {
    fn new(seed: u64) -> Delays {
        Delays {
            state: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
        }
    }

    /// A delay drawn uniformly from `[lo, hi)`.
    fn next(&mut self, lo: Duration, hi: Duration) -> Duration {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let unit = (self.state >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo).mul_f64(unit)
    }
}

/// The seed of this test's kill delays: `DESCENT_KILL_SEED`, or the clock.
fn kill_seed() -> u64 {
    match std::env::var("DESCENT_KILL_SEED") {
        Ok(text) => text.parse().expect("DESCENT_KILL_SEED is a number"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    }
}

/// The binary with `args`, run in `cwd`, in a clean environment, output discarded.
fn command(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_descent"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("BURN_DEVICE")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .env_remove("JOB_COMPLETION_INDEX");
    cmd
}

/// Waits `delay`, then kills `child` with SIGKILL unless it already ended. Returns whether it
/// was killed (false: it finished first, and must have succeeded).
fn kill_after(mut child: Child, delay: Duration, context: &str) -> bool {
    let deadline = Instant::now() + delay;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            assert!(
                status.success(),
                "ended with {status} before the kill: {context}"
            );
            return false;
        }
        if Instant::now() >= deadline {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// What is under `dir`: every regular file by relative path (sorted), and apart from them the
/// temporaries of atomic writes that a kill leaves behind (`.NAME.tmp-PID`, never read).
fn contents(dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let (mut found, mut temporaries) = (Vec::new(), Vec::new());
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.to_string_lossy().contains(".tmp-") {
                temporaries.push(path);
            } else if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).expect("inside").to_path_buf());
            }
        }
    }
    found.sort();
    (found, temporaries)
}

/// Every regular file under `dir` but the temporaries, see [`contents`].
fn files(dir: &Path) -> Vec<PathBuf> {
    contents(dir).0
}

/// The temporaries anywhere under `dir`, see [`contents`].
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    contents(dir).1
}

/// `value` without the wall-clock `seconds` of each epoch record: the one field of a run
/// folder that legitimately differs between two runs.
fn without_times(mut value: serde_json::Value) -> serde_json::Value {
    match &mut value {
        serde_json::Value::Object(map) => {
            map.remove("seconds");
            for v in map.values_mut() {
                *v = without_times(v.take());
            }
        }
        serde_json::Value::Array(items) => {
            for v in items.iter_mut() {
                *v = without_times(v.take());
            }
        }
        _ => {}
    }
    value
}

/// Asserts that the folders `a` and `b` hold the same files with the same contents; JSON and
/// JSON-lines files are compared without their `seconds` fields, the CSV log without its
/// seconds column.
fn assert_same_folder(a: &Path, b: &Path, context: &str) {
    let (fa, fb) = (files(a), files(b));
    assert_eq!(fa, fb, "file lists differ: {context}");
    for rel in fa {
        let (x, y) = (
            std::fs::read(a.join(&rel)).expect("read"),
            std::fs::read(b.join(&rel)).expect("read"),
        );
        let name = rel.to_string_lossy();
        let same = if name.ends_with(".json") {
            let parse = |bytes: &[u8], folder: &Path| {
                let value = serde_json::from_slice::<serde_json::Value>(bytes).expect("json");
                without_times(without_checksums(value, &folder.join(&rel), context))
            };
            parse(&x, a) == parse(&y, b)
        } else if name.ends_with(".jsonl") {
            let parse = |bytes: &[u8]| -> Vec<serde_json::Value> {
                text(bytes)
                    .lines()
                    .map(|l| without_times(serde_json::from_str(l).expect("json line")))
                    .collect()
            };
            parse(&x) == parse(&y)
        } else if name.ends_with(".csv") {
            csv_without_seconds(&text(&x)) == csv_without_seconds(&text(&y))
        } else if name.ends_with(".bpk")
            && (name.contains("model") || name.ends_with("swa.bpk") || name.ends_with("ema.bpk"))
        {
            // The running averages of a checkpoint are models too (random ids inside).
            weight_bits(&a.join(&rel)) == weight_bits(&b.join(&rel))
        } else if name.ends_with("optimizer.bpk") {
            // Keyed by the random parameter ids: compared through the extension run instead.
            true
        } else {
            x == y
        };
        assert!(same, "{name} differs: {context}");
    }
}

/// A checkpoint's `state.json` (at `path`) without its `checksums`, after checking each
/// against the file it names beside it. The records hold Burn's random parameter ids, so
/// their bytes and checksums differ between two processes (their contents are compared
/// above: weights bit for bit, optimizer state by what it does).
fn without_checksums(
    mut value: serde_json::Value,
    path: &Path,
    context: &str,
) -> serde_json::Value {
    if let Some(sums) = value
        .as_object_mut()
        .and_then(|map| map.remove("checksums"))
    {
        let folder = path.parent().expect("a file in a folder");
        for (file, sum) in sums.as_object().expect("an object") {
            let bytes = std::fs::read(folder.join(file)).expect("a record the state names");
            let actual = format!("crc32:{:08x}", crc32(&bytes));
            assert_eq!(
                Some(actual.as_str()),
                sum.as_str(),
                "{}: {file}: {context}",
                path.display()
            );
        }
    }
    value
}

/// CRC-32 (IEEE, as zip and `crc32fast`), bit by bit: the tests' own reference.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Every tensor of a saved model, as exact bit patterns in module order. The files themselves
/// differ between processes: Burn stores each parameter's id, which is random.
fn weight_bits(path: &Path) -> Vec<Vec<u32>> {
    struct Collect(Vec<Vec<u32>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let values = param
                .val()
                .into_data()
                .try_to_vec::<f32>()
                .expect("f32 data");
            self.0.push(values.into_iter().map(f32::to_bits).collect());
        }
    }
    let device = DeviceChoice::Cpu.open().expect("cpu");
    let (_, model) = ModelCard::load_model(path, &device).expect("a model");
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    assert!(!collect.0.is_empty());
    collect.0
}

/// The CSV log with its `seconds` column removed.
fn csv_without_seconds(csv: &str) -> Vec<Vec<String>> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let keep: Vec<bool> = header.iter().map(|h| *h != "seconds").collect();
    std::iter::once(header.join(","))
        .chain(lines.map(str::to_string))
        .map(|line| {
            line.split(',')
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(c, _)| c.to_string())
                .collect()
        })
        .collect()
}

/// The training command of both runs: an MLP on spirals, many short steps, a checkpoint every
/// 7 steps (not a divisor of the 125 steps per epoch, so kills land mid-epoch too).
fn train_args(resume: bool) -> Vec<&'static str> {
    train_args_with(resume, &[])
}

/// [`train_args`] with `extra` flags.
fn train_args_with(resume: bool, extra: &[&'static str]) -> Vec<&'static str> {
    let mut args = vec![
        "train",
        "--model",
        "mlp",
        "--hidden",
        "32,32",
        "--dataset",
        "spirals",
        "--epochs",
        "12",
        "--batch-size",
        "8",
        "--optimizer",
        "momentum",
        "--schedule",
        "cosine",
        "--lr",
        "0.05",
        "--seed",
        "7",
        "--checkpoint-every-steps",
        "7",
        "--log-every",
        "0",
        "--out",
        "run",
    ];
    args.extend_from_slice(extra);
    if resume {
        args.push("--resume");
    }
    args
}

#[test]
fn training_killed_and_resumed_ends_like_an_uninterrupted_run() {
    killed_and_resumed_ends_like_an_uninterrupted_run(&[], &[]);
}

/// SWA with SWAG collecting every 50 steps (mid-epoch, so kills land between collects and
/// the rank-3 deviation ring wraps many times): the posterior files (compared byte for byte)
/// end the same.
#[test]
fn swag_killed_and_resumed_ends_like_an_uninterrupted_run() {
    killed_and_resumed_ends_like_an_uninterrupted_run(
        &[
            "--swa-start",
            "3",
            "--swa-every-steps",
            "50",
            "--swag",
            "--swag-rank",
            "3",
        ],
        &["swag.bin", "checkpoint/swag.bin"],
    );
}

/// SAM (two passes per step) with a validation split monitored by a plateau rule: a killed
/// run holds out the same samples when resumed and ends with the same bytes.
#[test]
fn sam_with_a_validation_split_killed_and_resumed_ends_like_an_uninterrupted_run() {
    killed_and_resumed_ends_like_an_uninterrupted_run(
        &[
            "--sam",
            "0.05",
            "--val-split",
            "0.2",
            "--plateau",
            "--plateau-patience",
            "1",
        ],
        &[],
    );
}

/// Runs [`train_args_with`] `extra` straight, and killed [`KILLS`] times at random moments
/// and resumed; both folders must end equal, also after one more epoch from each, and hold
/// `files` besides the weights.
fn killed_and_resumed_ends_like_an_uninterrupted_run(extra: &[&'static str], files: &[&str]) {
    let seed = kill_seed();
    let mut delays = Delays::new(seed);
    let tmp = tempfile::tempdir().expect("tempdir");
    let (straight, killed) = (tmp.path().join("straight"), tmp.path().join("killed"));
    std::fs::create_dir_all(&straight).expect("mkdir");
    std::fs::create_dir_all(&killed).expect("mkdir");

    let start = Instant::now();
    ok(command(&straight, &train_args_with(false, extra))
        .output()
        .expect("runs"));
    // Kills fall anywhere from start-up to well into a run as long as the straight one, so
    // that most rounds are killed before they finish.
    let span = start.elapsed();

    let mut log = Vec::new();
    for round in 0..KILLS {
        // config.json is written (atomically) once the data is loaded; a run killed before
        // that has left nothing and starts again.
        let resume = killed.join("run/config.json").exists();
        let delay = delays.next(Duration::from_millis(20), span.mul_f64(0.7));
        let context = format!("seed {seed}, round {round}, kills so far {log:?}");
        let child = command(&killed, &train_args_with(resume, extra))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let was_killed = kill_after(child, delay, &context);
        log.push(format!(
            "{}{} after {:?}",
            if resume { "resume" } else { "start" },
            if was_killed { " killed" } else { " finished" },
            delay
        ));
        if !was_killed {
            break;
        }
    }
    let resume = killed.join("run/config.json").exists();
    let last = command(&killed, &train_args_with(resume, extra))
        .output()
        .expect("runs");
    let context = format!("DESCENT_KILL_SEED={seed}, rounds {log:?}");
    assert!(
        last.status.success(),
        "final run failed: {}: {context}",
        text(&last.stderr)
    );
    assert_same_folder(&straight.join("run"), &killed.join("run"), &context);
    assert_eq!(
        temporaries(&killed.join("run")),
        Vec::<PathBuf>::new(),
        "resume removes what killed writes left: {context}"
    );
    for &file in [
        "model.bpk",
        "checkpoint/model.bpk",
        "checkpoint/optimizer.bpk",
    ]
    .iter()
    .chain(files)
    {
        assert!(
            straight.join("run").join(file).is_file(),
            "{file}: {context}"
        );
    }
    // The optimizer state (momentum buffers, keyed by random parameter ids) is checked by
    // what it does: one more epoch from each checkpoint gives the same weights.
    for folder in [&straight, &killed] {
        let mut args = train_args_with(true, extra);
        let epochs = args
            .iter()
            .position(|a| *a == "--epochs")
            .expect("--epochs")
            + 1;
        args[epochs] = "13";
        ok(command(folder, &args).output().expect("runs"));
    }
    assert_same_folder(&straight.join("run"), &killed.join("run"), &context);
    eprintln!("training kill rounds (seed {seed}): {log:?}");
}

/// Sends SIGINT (what Ctrl-C sends) to `child` after `delay` unless it ended first, and
/// returns its exit code and stderr.
fn interrupt_after(child: Child, delay: Duration) -> (Option<i32>, String) {
    let deadline = Instant::now() + delay;
    let mut child = child;
    while Instant::now() < deadline {
        if child.try_wait().expect("try_wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    if child.try_wait().expect("try_wait").is_none() {
        let sent = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -INT failed");
    }
    let out = child.wait_with_output().expect("reaped");
    (out.status.code(), text(&out.stderr))
}

#[test]
fn ctrl_c_saves_the_step_it_stopped_at_and_resume_ends_like_an_uninterrupted_run() {
    let seed = kill_seed();
    let mut delays = Delays::new(seed);
    let tmp = tempfile::tempdir().expect("tempdir");
    let (straight, stopped) = (tmp.path().join("straight"), tmp.path().join("stopped"));
    std::fs::create_dir_all(&straight).expect("mkdir");
    std::fs::create_dir_all(&stopped).expect("mkdir");
    // No periodic mid-epoch checkpoints: after Ctrl-C, only the interrupt's own checkpoint can
    // hold a mid-epoch step.
    let args = |resume: bool| -> Vec<&'static str> {
        let mut args: Vec<&str> = train_args(resume);
        let every = args
            .iter()
            .position(|a| *a == "--checkpoint-every-steps")
            .expect("flag");
        args.drain(every..every + 2);
        // Longer than the SIGKILL test's run, so most signals land inside training.
        let epochs = args.iter().position(|a| *a == "--epochs").expect("flag") + 1;
        args[epochs] = "40";
        args
    };
    let start = Instant::now();
    ok(command(&straight, &args(false)).output().expect("runs"));
    let span = start.elapsed();

    let mut log = Vec::new();
    let mut interrupted = 0;
    for round in 0..KILLS {
        let resume = stopped.join("run/config.json").exists();
        let delay = delays.next(Duration::from_millis(150), span.mul_f64(0.7));
        let child = command(&stopped, &args(resume))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let (code, stderr) = interrupt_after(child, delay);
        let context = format!("DESCENT_KILL_SEED={seed}, round {round}, {log:?}: {stderr}");
        log.push(format!(
            "{code:?} after {delay:?}{}",
            if stderr.contains("interrupted in epoch") {
                " in training"
            } else {
                ""
            }
        ));
        match code {
            Some(0) => break,
            // A signal before the handler is installed (start-up) ends the process the
            // default way, like a kill.
            None => interrupted += 1,
            Some(130) => {
                interrupted += 1;
                // A signal before the first step or during loading ends the process without
                // a checkpoint; one during training names it and the way back.
                if stderr.contains("interrupted in epoch") {
                    assert!(
                        stderr.contains("descent train --resume --out run"),
                        "{context}"
                    );
                    let state: serde_json::Value = serde_json::from_slice(
                        &std::fs::read(stopped.join("run/checkpoint/state.json"))
                            .expect("the interrupt saved a checkpoint"),
                    )
                    .expect("json");
                    let step = stderr
                        .split("(global step ")
                        .nth(1)
                        .and_then(|rest| rest.split(')').next())
                        .and_then(|n| n.parse::<u64>().ok())
                        .expect("the message names the global step");
                    assert_eq!(state["progress"]["global_step"], step, "{context}");
                }
            }
            other => panic!("exit {other:?}: {context}"),
        }
    }
    let resume = stopped.join("run/config.json").exists();
    let last = command(&stopped, &args(resume)).output().expect("runs");
    let context = format!("DESCENT_KILL_SEED={seed}, rounds {log:?}");
    assert!(
        last.status.success(),
        "final run failed: {}: {context}",
        text(&last.stderr)
    );
    assert_same_folder(&straight.join("run"), &stopped.join("run"), &context);
    eprintln!("ctrl-c rounds (seed {seed}, {interrupted} interrupted): {log:?}");
}

/// A 2-D scan of 961 points on two splits, saved after every point.
fn scan_args(checkpoint: &Path) -> Vec<String> {
    [
        "landscape",
        "scan",
        s(checkpoint),
        "--x",
        "-1:1:31",
        "--y",
        "-1:1:31",
        "--split",
        "train,test",
        "--samples",
        "1000",
        "--batch-size",
        "1000",
        "--save-every",
        "0",
        "--out",
        "scan.npz",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect()
}

#[test]
fn scan_killed_and_resumed_ends_like_an_uninterrupted_scan() {
    let seed = kill_seed();
    let mut delays = Delays::new(seed.rotate_left(17));
    let tmp = tempfile::tempdir().expect("tempdir");
    let net = tmp.path().join("net");
    ok(command(
        tmp.path(),
        &[
            "train",
            "--model",
            "mlp",
            "--hidden",
            "16",
            "--dataset",
            "spirals",
            "--epochs",
            "1",
            "--seed",
            "3",
            "--out",
            s(&net),
        ],
    )
    .output()
    .expect("runs"));
    let args = scan_args(&net);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (straight, killed) = (tmp.path().join("straight"), tmp.path().join("killed"));
    std::fs::create_dir_all(&straight).expect("mkdir");
    std::fs::create_dir_all(&killed).expect("mkdir");

    let start = Instant::now();
    ok(command(&straight, &args).output().expect("runs"));
    let span = start.elapsed();

    let mut log = Vec::new();
    for round in 0..KILLS {
        let delay = delays.next(Duration::from_millis(20), span.mul_f64(0.7));
        let context = format!("seed {seed}, round {round}, kills so far {log:?}");
        let child = command(&killed, &args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let was_killed = kill_after(child, delay, &context);
        log.push(format!(
            "{} after {delay:?}",
            if was_killed { "killed" } else { "finished" }
        ));
        if !was_killed {
            break;
        }
    }
    let last = command(&killed, &args).output().expect("runs");
    let context = format!("DESCENT_KILL_SEED={seed}, rounds {log:?}");
    assert!(
        last.status.success(),
        "final scan failed: {}: {context}",
        text(&last.stderr)
    );
    // The scan file names its directions file relative to the working folder, so the two
    // files must be byte-identical, and so must the directions.
    for file in ["scan.npz", "scan.directions.npz"] {
        assert!(
            std::fs::read(straight.join(file)).expect("read")
                == std::fs::read(killed.join(file)).expect("read"),
            "{file} differs: {context}"
        );
    }
    assert_eq!(files(&straight), files(&killed), "{context}");
    eprintln!("scan kill rounds (seed {seed}): {log:?}");

    // Ctrl-C on a fresh scan: it stops at the next point, saves, says how to go on, and the
    // same command finishes it like the uninterrupted scan.
    let stopped = tmp.path().join("stopped");
    std::fs::create_dir_all(&stopped).expect("mkdir");
    let delay = delays.next(span.mul_f64(0.3), span.mul_f64(0.7));
    let child = command(&stopped, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let (code, stderr) = interrupt_after(child, delay);
    let context = format!("DESCENT_KILL_SEED={seed}, ctrl-c after {delay:?}: {stderr}");
    match code {
        Some(0) => eprintln!("the scan finished before the Ctrl-C: {context}"),
        // A signal before the handler is installed (start-up) ends the process the default
        // way; nothing was written yet.
        None => eprintln!("the Ctrl-C came during start-up: {context}"),
        Some(130) => assert!(
            stderr.contains("scan.npz holds the") && stderr.contains("run the same command"),
            "{context}"
        ),
        other => panic!("exit {other:?}: {context}"),
    }
    ok(command(&stopped, &args).output().expect("runs"));
    for file in ["scan.npz", "scan.directions.npz"] {
        assert!(
            std::fs::read(straight.join(file)).expect("read")
                == std::fs::read(stopped.join(file)).expect("read"),
            "{file} differs: {context}"
        );
    }
}

/// Waits until `path` exists (the run or scan got that far) or `child` ended; true if it
/// exists.
fn wait_for(path: &Path, child: &mut Child, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if path.exists() {
            return true;
        }
        if child.try_wait().expect("try_wait").is_some() {
            return path.exists();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

/// A training run long enough to be interrupted or run into: 40 short epochs, SWA from the
/// 30th (so a resume that forgot the run's own epochs is refused, not just short).
fn long_run_args() -> Vec<&'static str> {
    vec![
        "train",
        "--model",
        "mlp",
        "--hidden",
        "32,32",
        "--dataset",
        "spirals",
        "--epochs",
        "40",
        "--batch-size",
        "100",
        "--swa-start",
        "30",
        "--seed",
        "5",
        "--log-every",
        "0",
        "--out",
        "run",
    ]
}

/// Issue 21: the command printed after Ctrl-C, run exactly as printed (no `--epochs`),
/// continues the run with its own settings to its own end, and leaves its config alone.
#[test]
fn the_printed_resume_command_finishes_the_run_as_configured() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut child = command(tmp.path(), &long_run_args())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    assert!(
        wait_for(
            &tmp.path().join("run/metrics.csv"),
            &mut child,
            Duration::from_secs(120)
        ),
        "the first epoch never ended"
    );
    let config_before = std::fs::read(tmp.path().join("run/config.json")).expect("config");
    let (code, stderr) = interrupt_after(child, Duration::ZERO);
    assert_eq!(code, Some(130), "interrupted during training: {stderr}");
    let printed = stderr
        .lines()
        .find_map(|line| line.trim().strip_prefix("continue with: "))
        .unwrap_or_else(|| panic!("no resume command in {stderr}"))
        .to_string();
    let words: Vec<&str> = printed.split_whitespace().collect();
    assert_eq!(words.first(), Some(&"descent"), "{printed}");
    let resumed = command(tmp.path(), &words[1..]).output().expect("runs");
    assert!(
        resumed.status.success(),
        "`{printed}` failed: {}",
        text(&resumed.stderr)
    );
    let csv = std::fs::read_to_string(tmp.path().join("run/metrics.csv")).expect("csv");
    assert_eq!(
        csv.lines().count(),
        41,
        "header + the run's 40 epochs: {csv}"
    );
    assert!(tmp.path().join("run/swa/model.bpk").is_file());
    let config_after = std::fs::read(tmp.path().join("run/config.json")).expect("config");
    assert_eq!(
        without_times(serde_json::from_slice(&config_before).expect("json")),
        without_times(serde_json::from_slice(&config_after).expect("json")),
        "the resume rewrote config.json"
    );
}

/// Issue 21: a second process on a run folder (or scan file) in use is refused at once,
/// naming the process that holds it; once that one is gone, the same command works.
#[test]
fn a_run_or_scan_in_use_is_refused_naming_its_process() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut first = command(tmp.path(), &long_run_args())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    assert!(
        wait_for(
            &tmp.path().join("run/metrics.csv"),
            &mut first,
            Duration::from_secs(120)
        ),
        "the first epoch never ended"
    );
    let second = command(
        tmp.path(),
        &["train", "--resume", "--epochs", "40", "--out", "run"],
    )
    .output()
    .expect("runs");
    let stderr = text(&second.stderr);
    let holder = first.id();
    let (code, _) = interrupt_after(first, Duration::ZERO);
    assert_eq!(code, Some(130), "the first run was still training");
    assert_eq!(second.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains(&format!("in use by PID {holder}")),
        "{stderr}"
    );
    ok(command(tmp.path(), &["train", "--resume", "--out", "run"])
        .output()
        .expect("runs"));

    let args = scan_args(&tmp.path().join("run"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut first = command(tmp.path(), &args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    assert!(
        wait_for(
            &tmp.path().join("scan.npz"),
            &mut first,
            Duration::from_secs(120)
        ),
        "the scan never saved"
    );
    let second = command(tmp.path(), &args).output().expect("runs");
    let stderr = text(&second.stderr);
    let holder = first.id();
    let (code, _) = interrupt_after(first, Duration::ZERO);
    assert_eq!(code, Some(130), "the first scan was still scanning");
    assert_eq!(second.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains(&format!("in use by PID {holder}")),
        "{stderr}"
    );
    ok(command(tmp.path(), &args).output().expect("runs"));
}
