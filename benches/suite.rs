//! The speed suite of issue 7: one table, a row per workload and compiled backend.
//!
//! 1. MLP 3072-512-512-10 training step, batch 128, SGD momentum 0.9 (ours);
//! 2. VGG-11 (CIFAR, batch norm) training step, batch 128;
//! 3. VGG-11 at width 1/4: training (batch 128), eval-mode inference (batch 128 and 512);
//! 4. landscape scan of the width-1/4 VGG-11, filter-normalized plane, 2048 images, batch 512:
//!    seconds per point and the share of time not spent in forward passes;
//! 5. tiny MLP 2-32-1, batch 32, 1000 SGD steps: steps per second;
//! 6. our SGD + momentum versus Burn's built-in on the workloads of rows 1 and 3;
//! 7. ResNet-20 (CIFAR, projection shortcuts) training step, batch 128;
//! 8. ResNet-56 training step, batch 128;
//! 9. the scan of row 4 on the MLP of row 1 (no PyTorch side).
//!
//! Each (row, backend) runs in a child process (this binary with `--child`), so its peak
//! resident memory (`VmHWM`) is its own. Every backend asked for is opened once first: one that
//! is not compiled in or does not open here (`cuda` without an NVIDIA GPU, `wgpu` without an
//! adapter) is reported and skipped, so `--backends flex,wgpu,cuda` gives a GPU user the whole
//! table and others the part their machine has. float32, seeded synthetic data, medians of per-step
//! wall times after warm-up. The PyTorch scripts for the same workloads live in
//! `shared/bench/torch/`; `bench/compare.sh` runs both in one sitting and prints the ratios.
//!
//! ```text
//! cargo bench --bench suite --profile dev -- [--rows 1,2,3,4,5,6,7,8,9] [--backends flex,ndarray]
//!     [--steps N] [--warmup N] [--max-seconds S] [--grid N] [--seed N] [--json]
//! cargo bench --bench suite --profile dev -- --render results.jsonl   # table of saved --json output
//! ```

#[path = "suite/measure.rs"]
mod measure;
#[path = "suite/table.rs"]
mod table;
#[path = "suite/workloads.rs"]
mod workloads;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use descent::train::DeviceChoice;
use serde_json::Value;

use workloads::Settings;

/// What to run and how to print it.
#[derive(Debug, Clone)]
struct Args {
    /// Rows (1..=9) to run.
    rows: Vec<u32>,
    /// Backends by name (`flex`, `ndarray`, `wgpu`, `cuda`).
    backends: Vec<String>,
    /// Shared workload settings.
    settings: Settings,
    /// Print JSON lines instead of the table.
    json: bool,
    /// Internal: run one row in this process and print its records.
    child: bool,
    /// Internal: open this backend and exit 0 if it opens.
    probe: Option<String>,
    /// Print the table of the JSON lines in this file (from `--json`) instead of running.
    render: Option<String>,
}

const USAGE: &str = "usage: suite [--rows 1,2,3,4,5,6,7,8,9] [--backends flex,ndarray,wgpu,cuda] \
[--steps N] [--warmup N] [--max-seconds S] [--grid N] [--seed N] [--json] [--render FILE]";

/// The CPU backends compiled into this build (wgpu only when asked for: its first run
/// compiles shaders for minutes, and it is not a speed target on this machine).
fn default_backends() -> Vec<String> {
    [DeviceChoice::Flex, DeviceChoice::NdArray]
        .into_iter()
        .filter(|c| c.is_compiled())
        .map(|c| c.to_string())
        .collect()
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        rows: vec![1, 2, 3, 4, 5, 6, 7, 8, 9],
        backends: default_backends(),
        settings: Settings {
            steps: None,
            warmup: None,
            max_seconds: 60.0,
            grid: 3,
            seed: 0,
        },
        json: false,
        child: false,
        probe: None,
        render: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match flag.as_str() {
            // `cargo bench` passes `--bench` to every bench binary.
            "--bench" => {}
            "--json" => args.json = true,
            "--child" => args.child = true,
            "--probe" => args.probe = Some(value("--probe")?),
            "--render" => args.render = Some(value("--render")?),
            "--rows" => {
                args.rows = value("--rows")?
                    .split(',')
                    .map(|r| match r.trim().parse() {
                        Ok(n @ 1..=9) => Ok(n),
                        _ => Err(format!("unknown row {r:?} (1 to 9)")),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--backends" => {
                args.backends = value("--backends")?
                    .split(',')
                    .map(|b| b.trim().to_string())
                    .collect();
            }
            "--steps" => args.settings.steps = Some(number(&value("--steps")?)?),
            "--warmup" => args.settings.warmup = Some(number(&value("--warmup")?)?),
            "--grid" => args.settings.grid = number(&value("--grid")?)?,
            "--seed" => args.settings.seed = number(&value("--seed")?)? as u64,
            "--max-seconds" => {
                args.settings.max_seconds = value("--max-seconds")?
                    .parse()
                    .map_err(|e| format!("--max-seconds: {e}"))?;
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if args.settings.grid < 2 {
        return Err("--grid needs at least 2 points per axis".into());
    }
    Ok(args)
}

fn number(s: &str) -> Result<usize, String> {
    s.parse().map_err(|e| format!("{s:?}: {e}"))
}

/// Child mode: runs each asked row on each asked backend in this process and prints JSON lines.
fn run_child(args: &Args) -> Result<(), String> {
    for backend in &args.backends {
        let choice: DeviceChoice = backend.parse().map_err(|e| format!("{e}"))?;
        let device = choice.open().map_err(|e| format!("{backend}: {e}"))?;
        for &row in &args.rows {
            let records = match row {
                1 => workloads::mlp_train(&device, backend, &args.settings),
                2 => workloads::vgg_full_train(&device, backend, &args.settings),
                3 => workloads::vgg_narrow(&device, backend, &args.settings),
                4 => workloads::landscape(&device, backend, &args.settings),
                5 => workloads::tiny_mlp(&device, backend, &args.settings),
                6 => workloads::sgd_vs_burn(&device, backend, &args.settings),
                7 => workloads::resnet_train(20, &device, backend, &args.settings),
                8 => workloads::resnet_train(56, &device, backend, &args.settings),
                _ => workloads::landscape_mlp(&device, backend, &args.settings),
            };
            let rss = measure::peak_rss_kib();
            for mut rec in records {
                if let Some(map) = rec.as_object_mut() {
                    map.insert("peak_rss_kib".into(), rss.into());
                    map.insert("profile".into(), profile().into());
                    map.insert(
                        "rayon_threads".into(),
                        std::env::var("RAYON_NUM_THREADS").ok().into(),
                    );
                }
                println!("{rec}");
            }
        }
    }
    Ok(())
}

/// Whether `backend` names a device this build has and this machine opens, in a child
/// process (opening a GPU runtime in this one would stay in its memory for the whole run).
fn opens(backend: &str) -> Result<(), String> {
    let choice: DeviceChoice = backend.parse().map_err(|e| format!("{e}"))?;
    if !choice.is_compiled() {
        return Err(format!("{backend} is not compiled into this build"));
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args(["--probe", backend])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty() && !l.contains("XDG_RUNTIME_DIR"))
            .unwrap_or("did not open")
            .trim()
            .to_string())
    }
}

/// The cargo profile this binary was built with, as far as it can tell.
fn profile() -> &'static str {
    if cfg!(debug_assertions) {
        "dev (deps and descent-models opt-level 3, other crates of ours opt-level 0)"
    } else {
        "release/bench"
    }
}

/// Runs one (row, backend) in a child process and collects its records; a failing child
/// gives one record with an `error`.
fn spawn(args: &Args, row: u32, backend: &str) -> Vec<Value> {
    let exe = std::env::current_exe().expect("path of this binary");
    let mut cmd = Command::new(exe);
    cmd.args(["--child", "--rows", &row.to_string(), "--backends", backend]);
    // What the `descent` binary runs with (descent_train::allocator), unless the environment
    // decides (MALLOC_TUNED=1 of compare.sh, or DESCENT_MALLOC=system for glibc's defaults).
    if !descent::train::allocator::environment_decides() {
        cmd.envs(descent::train::allocator::MALLOC_TUNING.iter().copied());
    }
    let s = &args.settings;
    if let Some(n) = s.steps {
        cmd.args(["--steps", &n.to_string()]);
    }
    if let Some(n) = s.warmup {
        cmd.args(["--warmup", &n.to_string()]);
    }
    cmd.args(["--max-seconds", &s.max_seconds.to_string()]);
    cmd.args(["--grid", &s.grid.to_string(), "--seed", &s.seed.to_string()]);
    let failed =
        |msg: String| vec![serde_json::json!({ "row": row, "backend": backend, "error": msg })];
    let mut child = match cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn() {
        Ok(c) => c,
        Err(e) => return failed(e.to_string()),
    };
    let stdout = child.stdout.take().expect("piped stdout");
    let mut records = Vec::new();
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        match serde_json::from_str::<Value>(&line) {
            Ok(v) => {
                if args.json {
                    println!("{v}");
                }
                records.push(v);
            }
            Err(_) => eprintln!("{line}"),
        }
    }
    match child.wait() {
        Ok(status) if status.success() => records,
        Ok(status) => {
            let mut r = failed(format!("child exited with {status}"));
            if args.json {
                println!("{}", r[0]);
            }
            records.append(&mut r);
            records
        }
        Err(e) => failed(e.to_string()),
    }
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    if let Some(backend) = &args.probe {
        let opened = backend
            .parse::<DeviceChoice>()
            .map_err(|e| e.to_string())
            .and_then(|c| c.open().map_err(|e| e.to_string()));
        if let Err(msg) = opened {
            eprintln!("{msg}");
            std::process::exit(1);
        }
        return;
    }
    if args.child {
        if let Err(msg) = run_child(&args) {
            eprintln!("{msg}");
            std::process::exit(1);
        }
        return;
    }
    if let Some(path) = &args.render {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(1);
            }
        };
        let records: Vec<Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        print!("{}", table::render(&records, &args.settings, profile()));
        return;
    }
    let mut all = Vec::new();
    let mut backends = Vec::new();
    for backend in &args.backends {
        match opens(backend) {
            Ok(()) => backends.push(backend.clone()),
            Err(reason) => {
                let skipped = serde_json::json!({ "backend": backend, "skipped": reason });
                if args.json {
                    println!("{skipped}");
                } else {
                    eprintln!("skipping {backend}: {reason}");
                }
                all.push(skipped);
            }
        }
    }
    for &row in &args.rows {
        for backend in &backends {
            if !args.json {
                eprintln!("running row {row} on {backend} ...");
            }
            all.extend(spawn(&args, row, backend));
        }
    }
    if !args.json {
        print!("{}", table::render(&all, &args.settings, profile()));
    }
}
