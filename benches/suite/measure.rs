//! Timing helpers: medians of repeated steps, CPU used by other processes while we ran, and the
//! process's peak resident memory.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Summary of repeated timings, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Median of the samples.
    pub median: f64,
    /// Fastest sample.
    pub min: f64,
    /// Slowest sample.
    pub max: f64,
    /// Number of samples.
    pub n: usize,
}

impl Timing {
    /// Summarizes `samples` (seconds); `None` when there are none.
    pub fn from_samples(samples: &[f64]) -> Option<Timing> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
        };
        Some(Timing {
            median,
            min: sorted[0],
            max: sorted[n - 1],
            n,
        })
    }

    /// The summary as a JSON object (seconds).
    pub fn to_json(self) -> Value {
        json!({ "median": self.median, "min": self.min, "max": self.max, "n": self.n })
    }
}

/// How many steps to run and for how long at most.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Untimed steps first.
    pub warmup: usize,
    /// Timed steps (at most).
    pub steps: usize,
    /// Stop timing after this many seconds once at least `min_steps` steps are timed.
    pub max_seconds: f64,
    /// Timed steps run whatever the time limit says.
    pub min_steps: usize,
}

/// Runs `step(i)` `warmup` times untimed, then times up to `steps` calls (each call must finish
/// its work, e.g. by syncing the device). Returns the per-call seconds.
pub fn time_steps(budget: Budget, mut step: impl FnMut(usize)) -> Vec<f64> {
    for i in 0..budget.warmup {
        step(i);
    }
    let started = Instant::now();
    let limit = Duration::from_secs_f64(budget.max_seconds.max(0.0));
    let mut samples = Vec::with_capacity(budget.steps);
    for i in 0..budget.steps {
        if samples.len() >= budget.min_steps.max(1) && started.elapsed() > limit {
            break;
        }
        let t = Instant::now();
        step(budget.warmup + i);
        samples.push(t.elapsed().as_secs_f64());
    }
    samples
}

/// Clock ticks per second of `/proc` CPU times (`USER_HZ`, 100 on Linux x86-64).
const USER_HZ: f64 = 100.0;

/// Busy ticks of all CPUs (from `/proc/stat`'s first line): user..steal minus idle and iowait.
fn system_busy_ticks() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?;
    let vals: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|v| v.parse().ok())
        .collect();
    if vals.len() < 8 {
        return None;
    }
    Some(vals.iter().sum::<u64>() - vals[3] - vals[4])
}

/// CPU ticks used by this process (all threads, user + system), from `/proc/self/stat`.
fn own_ticks() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may contain spaces; fields after its closing parenthesis.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Measures the share of the machine's CPU that other processes used during a region, like
/// the PyTorch scripts' `foreign_cpu_frac`: (system busy - own) / (wall x CPUs).
pub struct CpuMonitor {
    started: Instant,
    busy: Option<u64>,
    own: Option<u64>,
}

impl CpuMonitor {
    /// Starts measuring.
    pub fn start() -> CpuMonitor {
        CpuMonitor {
            started: Instant::now(),
            busy: system_busy_ticks(),
            own: own_ticks(),
        }
    }

    /// The foreign CPU fraction since [`CpuMonitor::start`]; `None` without `/proc`.
    pub fn foreign_frac(&self) -> Option<f64> {
        let wall = self.started.elapsed().as_secs_f64();
        let busy = system_busy_ticks()?.checked_sub(self.busy?)? as f64 / USER_HZ;
        let own = own_ticks()?.checked_sub(self.own?)? as f64 / USER_HZ;
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        Some(((busy - own) / (wall * cpus)).max(0.0))
    }
}

/// Peak resident set size of this process in KiB (`VmHWM` of `/proc/self/status`).
pub fn peak_rss_kib() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
