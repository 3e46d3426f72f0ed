//! `descent study NAME`: a claim of the field as a fixed protocol of ordinary runs, resumed
//! where a killed study stopped, ending in a table with the spread over seeds and a verdict
//! (descent-study does the work).

use std::path::PathBuf;

use clap::Args;
use descent_study::{Protocol, Provenance, Scale, StudyError, StudyEvent, StudyName, run_study};
use descent_train::ConsoleObserver;
use descent_train::observer::log_line;

use crate::values::named;

/// `descent study`.
#[derive(Debug, Clone, Args)]
pub struct StudyArgs {
    /// The study: batch-size (small vs large batch, weight decay 0 vs 5e-4, each run trained
    /// to a training-loss target: test error, top Hessian eigenvalue, Keskar and
    /// filter-normalized sharpness, 1-D curves), skip-connections (ResNet-20/56 with and
    /// without shortcuts: 2-D contours, non-convex share, curvature-ratio map), swa (SWA vs
    /// SGD at budgets 1-1.5), restarts (SGDR and snapshot ensembles vs step decay) or
    /// optimizers (the toy lessons).
    #[arg(value_parser = named(StudyName::ALL, |s| s.name()))]
    pub name: StudyName,
    /// smoke (a minute or two: proves it runs, not a result), small (Fashion-MNIST on a CPU
    /// in about an hour) or full (the papers' data and budget).
    #[arg(long, default_value = "small", value_parser = named(Scale::ALL, |s| s.name()))]
    pub scale: Scale,
    /// Folder holding the dataset's files (default: the dataset's usual place).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The study folder: protocol.json, runs/ARM/seedN/, results.json, results.md and the
    /// figure. An existing folder of the same protocol is resumed [default:
    /// studies/NAME-SCALE].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Only print the protocol (as JSON) and exit.
    #[arg(long)]
    pub protocol: bool,
}

/// Runs `descent study`.
pub fn run(device_name: &str, args: StudyArgs) -> anyhow::Result<()> {
    let protocol = Protocol::new(args.name, args.scale, args.data_dir.clone()).map_err(unwrap)?;
    if args.protocol {
        println!("{}", serde_json::to_string_pretty(&protocol)?);
        return Ok(());
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("studies").join(format!("{}-{}", args.name, args.scale)));
    let (_, device) = super::open_device(device_name)?;
    let mut observer = ConsoleObserver::with_terminal(false);
    let mut events = |event: StudyEvent| match event {
        StudyEvent::RunStarted {
            arm,
            seed,
            resumed,
            done,
            total,
        } => log_line(format_args!(
            "study {}: run {}/{total}: {arm}, seed {seed}{}",
            args.name,
            done + 1,
            if resumed { " (resumed)" } else { "" }
        )),
    };
    let results = run_study(
        &protocol,
        &out,
        &device,
        provenance(),
        &mut observer,
        &mut events,
    )
    .map_err(unwrap)?;
    println!("{}", results.markdown());
    let figure = if results.rows.is_empty() {
        "lessons/"
    } else {
        descent_study::ACCURACY_FIGURE
    };
    println!(
        "study written to {} ({}, {}, {figure})",
        out.display(),
        descent_study::RESULTS_MD,
        descent_study::RESULTS_JSON,
    );
    Ok(())
}

/// A run's own error keeps its exit code.
fn unwrap(err: StudyError) -> anyhow::Error {
    match err {
        StudyError::Train(inner) => inner.into(),
        other => other.into(),
    }
}

/// Today's date, the CPU model and core count, and the commit the binary was built from.
fn provenance() -> Provenance {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = crate::date::civil_from_days((secs / 86_400) as i64);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    // The commit the binary was built from (build.rs), not the working directory's: a study
    // run outside the checkout named the package version instead, or another repository's.
    let commit = env!("DESCENT_COMMIT").to_string();
    Provenance {
        date: format!("{y:04}-{m:02}-{d:02}"),
        machine: format!("{cpu}, {cores} cores"),
        commit,
    }
}
