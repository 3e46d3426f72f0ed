//! Running a study: every arm with every seed as an ordinary run folder (a killed study
//! resumes each run from its last checkpoint), then the table, the verdict and the figure.

use std::path::Path;

use std::collections::BTreeMap;

use burn::tensor::Device;
use descent_plot::{LinePlot, Series, draw_lines};
use descent_train::averaging::AverageReport;
use descent_train::{EpochRecord, Observer, RunConfig, TrainReport, layout, train_run};

use crate::measures::Measures;
use crate::protocol::PROTOCOL_FILE;
use crate::results::{Provenance, Row, RunResult, Spread, StudyResults};
use crate::{Arm, Protocol, StudyError, StudyName};

/// The results files in a study folder.
pub const RESULTS_JSON: &str = "results.json";
/// The table, in Markdown.
pub const RESULTS_MD: &str = "results.md";
/// The figure: mean test accuracy per epoch of each arm.
pub const ACCURACY_FIGURE: &str = "accuracy.svg";

/// What a study is doing, for a progress display.
#[derive(Debug, Clone, PartialEq)]
pub enum StudyEvent {
    /// A run starts (`resumed`: it continues from its folder's checkpoint).
    RunStarted {
        /// The arm.
        arm: String,
        /// The seed.
        seed: u64,
        /// Whether the run continues an earlier one.
        resumed: bool,
        /// Runs of the study done before this one, and in all.
        done: usize,
        /// Runs in all.
        total: usize,
    },
}

/// Runs `protocol` in the folder `out` (made if missing): writes `protocol.json` first, or,
/// when the folder holds one, checks that it is the same protocol and resumes. Each run
/// reports through `observer`; `events` hears which run starts.
///
/// # Errors
///
/// [`StudyError::OtherProtocol`] when `out` holds another study or protocol;
/// [`StudyError::Train`] when a run fails; file errors naming the file.
pub fn run_study(
    protocol: &Protocol,
    out: &Path,
    device: &Device,
    provenance: Provenance,
    observer: &mut dyn Observer,
    events: &mut dyn FnMut(StudyEvent),
) -> Result<StudyResults, StudyError> {
    fix_protocol(protocol, out)?;
    if protocol.study == StudyName::Optimizers {
        let (lessons, verdict, reason) = crate::optimizers::run(protocol, out, device)?;
        let results = StudyResults {
            protocol: protocol.clone(),
            runs: Vec::new(),
            rows: Vec::new(),
            lessons,
            verdict,
            reason,
            command: protocol.command(),
            provenance,
        };
        return write_results(results, out);
    }
    let total = protocol.arms.len() * protocol.seeds.len();
    let mut runs = Vec::with_capacity(total);
    for arm in &protocol.arms {
        for &seed in &protocol.seeds {
            let folder = Protocol::run_folder(out, arm, seed);
            let resumed = folder.join(descent_train::layout::CONFIG).exists();
            if let Some(parent) = folder.parent() {
                std::fs::create_dir_all(parent).map_err(|e| StudyError::Output {
                    path: parent.to_path_buf(),
                    reason: format!("cannot make the folder: {e}"),
                })?;
            }
            events(StudyEvent::RunStarted {
                arm: arm.label.clone(),
                seed,
                resumed,
                done: runs.len(),
                total,
            });
            let measured = protocol.measures.is_some();
            let (report, converged) =
                train_arm(arm, seed, &folder, device, resumed, measured, observer)?;
            let mut measures = BTreeMap::new();
            if converged.is_some() {
                measures.insert("epochs".to_string(), report.history.len() as f64);
                if let Some(last) = report.history.last() {
                    measures.insert("train_loss".to_string(), last.train.loss);
                }
            }
            match &protocol.measures {
                Some(Measures::BatchSize(m)) => {
                    measures.extend(crate::batch_size::measure(m, seed, &folder, device)?);
                }
                Some(Measures::SkipConnections(m)) => {
                    let first = protocol.seeds.first() == Some(&seed);
                    measures.extend(crate::skip::measure(m, seed, first, &folder, device)?);
                }
                Some(Measures::Swa(m)) => {
                    measures.extend(crate::swa::measure(m, seed, &arm.label, &folder, device)?);
                }
                None => {}
            }
            let last = report.final_test.ok_or_else(|| StudyError::BadFile {
                path: folder.clone(),
                reason: "the run has no test metrics".into(),
            })?;
            let ensemble = report.ensemble.as_ref().and_then(|e| e.test);
            let swa = report
                .averages
                .iter()
                .find(|a| a.name == "swa")
                .and_then(|a| a.test);
            runs.push(RunResult {
                arm: arm.label.clone(),
                seed,
                test_accuracy: last.accuracy,
                test_loss: last.loss,
                ensemble_accuracy: ensemble.map(|m| m.accuracy),
                ensemble_loss: ensemble.map(|m| m.loss),
                swa_accuracy: swa.map(|m| m.accuracy),
                swa_loss: swa.map(|m| m.loss),
                accuracy_by_epoch: report
                    .history
                    .iter()
                    .map(|r| r.test.map_or(f64::NAN, |m| m.accuracy))
                    .collect(),
                converged,
                measures,
            });
        }
    }
    let rows = table(protocol, &runs);
    let (verdict, reason) = match protocol.study {
        StudyName::Restarts => crate::restarts::verdict(&rows),
        StudyName::Swa => crate::swa::verdict(&rows),
        StudyName::BatchSize => crate::batch_size::verdict(&rows),
        StudyName::SkipConnections => crate::skip::verdict(&rows),
        other => {
            return Err(StudyError::NotYet {
                study: other.to_string(),
                reason: "no verdict rule".into(),
            });
        }
    };
    let results = StudyResults {
        protocol: protocol.clone(),
        runs,
        rows,
        lessons: Vec::new(),
        verdict,
        reason,
        command: protocol.command(),
        provenance,
    };
    draw_accuracy(&results, &out.join(ACCURACY_FIGURE))?;
    match protocol.study {
        StudyName::BatchSize => crate::batch_size::draw(&results, out)?,
        StudyName::SkipConnections => crate::skip::draw(&results, out)?,
        StudyName::Swa => crate::swa::draw(&results, out)?,
        _ => {}
    }
    write_results(results, out)
}

/// Trains one run of `arm`: for its epochs, or, with [`Arm::train_to`], a stretch at a time
/// until the target or the cap. Returns the run's report and, for a run with a target,
/// whether it reached it. A killed study resumes at the stretch the run folder's
/// `config.json` names, where an uninterrupted one would be.
///
/// A `measured` run (its study scans it) that has finished is read from its logs instead of
/// being resumed: a resumed run saves its weights again, and a scan of the earlier file would
/// no longer match them.
fn train_arm(
    arm: &Arm,
    seed: u64,
    folder: &Path,
    device: &Device,
    mut resumed: bool,
    measured: bool,
    observer: &mut dyn Observer,
) -> Result<(TrainReport, Option<bool>), StudyError> {
    let config = Protocol::config_for(arm, seed);
    let mut epochs = config.training.epochs;
    if resumed {
        epochs = epochs.max(saved_epochs(folder)?);
    }
    loop {
        let finished = match (measured, resumed) {
            (true, true) => finished_history(folder, epochs)?,
            _ => None,
        };
        let report = match finished {
            Some(history) => TrainReport {
                final_test: history.last().and_then(|r| r.test),
                history,
                stopped: None,
                restored_epoch: None,
                averages: finished_averages(folder)?,
                ensemble: None,
            },
            None => {
                let extend = (resumed && arm.train_to.is_some()).then_some(epochs);
                train_run(&config, folder, device, resumed, extend, observer)?.report
            }
        };
        let Some(to) = arm.train_to else {
            return Ok((report, None));
        };
        resumed = true;
        let loss = report
            .history
            .last()
            .map_or(f64::INFINITY, |r| r.train.loss);
        if loss <= to.train_loss {
            return Ok((report, Some(true)));
        }
        if epochs >= to.max_epochs {
            return Ok((report, Some(false)));
        }
        epochs = (epochs + to.every_epochs).min(to.max_epochs);
    }
}

/// The epochs the run folder's `config.json` names (the last stretch a study asked for).
fn saved_epochs(folder: &Path) -> Result<usize, StudyError> {
    let path = folder.join(layout::CONFIG);
    let bytes = std::fs::read(&path).map_err(|e| StudyError::BadFile {
        path: path.clone(),
        reason: format!("cannot read: {e}"),
    })?;
    Ok(RunConfig::from_json(&bytes, &path)?.training.epochs)
}

/// The history of the run in `folder` if it has finished `epochs` epochs and saved its
/// weights after its last epoch's log (the weights are written last: a run killed between
/// the two holds an older `model.bpk`); `None` while it has more to do.
fn finished_history(folder: &Path, epochs: usize) -> Result<Option<Vec<EpochRecord>>, StudyError> {
    let path = folder.join(layout::METRICS_JSONL);
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let saved_after_log = match (modified(&folder.join(layout::MODEL)), modified(&path)) {
        (Some(weights), Some(log)) => weights >= log,
        _ => false,
    };
    if !saved_after_log || saved_epochs(folder)? != epochs {
        return Ok(None);
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) => return Ok(None),
    };
    let history = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str::<EpochRecord>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StudyError::BadFile {
            path: path.clone(),
            reason: format!("not an epoch log: {e}"),
        })?;
    Ok((history.len() == epochs).then_some(history))
}

/// The averages a finished run saved (`swa/` and `ema/`, each with its `averaging.json`,
/// written before the run's final weights).
fn finished_averages(folder: &Path) -> Result<Vec<AverageReport>, StudyError> {
    let mut out = Vec::new();
    for name in [layout::SWA_DIR, layout::EMA_DIR] {
        let path = folder.join(name).join(layout::AVERAGING);
        if !path.is_file() {
            continue;
        }
        let bad = |reason: String| StudyError::BadFile {
            path: path.clone(),
            reason,
        };
        let bytes = std::fs::read(&path).map_err(|e| bad(format!("cannot read: {e}")))?;
        out.push(
            serde_json::from_slice(&bytes)
                .map_err(|e| bad(format!("not an average's record: {e}")))?,
        );
    }
    Ok(out)
}

/// Writes `results.json` and `results.md`.
fn write_results(results: StudyResults, out: &Path) -> Result<StudyResults, StudyError> {
    let json = serde_json::to_vec_pretty(&results).map_err(|e| StudyError::BadFile {
        path: out.join(RESULTS_JSON),
        reason: e.to_string(),
    })?;
    descent_files::write_file(&out.join(RESULTS_JSON), &json)?;
    descent_files::write_file(&out.join(RESULTS_MD), results.markdown().as_bytes())?;
    Ok(results)
}

/// Writes the protocol, or checks that the folder's is the same.
fn fix_protocol(protocol: &Protocol, out: &Path) -> Result<(), StudyError> {
    let path = out.join(PROTOCOL_FILE);
    let bad = |reason: String| StudyError::BadFile {
        path: path.clone(),
        reason,
    };
    let ours = serde_json::to_value(protocol).map_err(|e| bad(e.to_string()))?;
    if path.exists() {
        let bytes = std::fs::read(&path).map_err(|e| bad(format!("cannot read: {e}")))?;
        let theirs: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        if theirs != ours {
            let found = match (theirs.get("study"), theirs.get("scale")) {
                (Some(study), Some(scale))
                    if Some(study) == ours.get("study") && Some(scale) == ours.get("scale") =>
                {
                    format!(
                        "another protocol of study {study} at scale {scale} (made by another \
                         version of descent; it differs in: {})",
                        differing_fields(&theirs, &ours).join(", ")
                    )
                }
                (Some(study), Some(scale)) => {
                    format!("the protocol of study {study} at scale {scale}, not this one")
                }
                _ => "a file that is not a study protocol".into(),
            };
            return Err(StudyError::OtherProtocol { path, found });
        }
        return Ok(());
    }
    std::fs::create_dir_all(out).map_err(|e| StudyError::Output {
        path: out.to_path_buf(),
        reason: format!("cannot make the folder: {e}"),
    })?;
    let text = serde_json::to_vec_pretty(&ours).map_err(|e| bad(e.to_string()))?;
    descent_files::write_file(&path, &text)?;
    Ok(())
}

/// The top-level fields in which two protocols (JSON objects) differ, in order.
fn differing_fields(a: &serde_json::Value, b: &serde_json::Value) -> Vec<String> {
    let keys = |v: &serde_json::Value| -> Vec<String> {
        v.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut all = keys(a);
    all.extend(keys(b));
    all.sort();
    all.dedup();
    all.into_iter().filter(|k| a.get(k) != b.get(k)).collect()
}

/// One row per arm (over its runs that reached the protocol's target, if it has one), and
/// one per arm's snapshot ensemble and SWA average.
fn table(protocol: &Protocol, runs: &[RunResult]) -> Vec<Row> {
    let mut rows = Vec::new();
    for arm in &protocol.arms {
        let of = |f: &dyn Fn(&RunResult) -> Option<f64>| -> Vec<f64> {
            runs.iter()
                .filter(|r| r.arm == arm.label && r.converged != Some(false))
                .filter_map(f)
                .collect()
        };
        let not_converged = runs
            .iter()
            .filter(|r| r.arm == arm.label && r.converged == Some(false))
            .count();
        let measures: BTreeMap<String, Spread> = crate::measures::columns(protocol.study)
            .iter()
            .filter_map(|c| {
                let spread = Spread::of(&of(&|r| r.measures.get(c.key).copied()))?;
                Some((c.key.to_string(), spread))
            })
            .collect();
        if let (Some(accuracy), Some(loss)) = (
            Spread::of(&of(&|r| Some(r.test_accuracy))),
            Spread::of(&of(&|r| Some(r.test_loss))),
        ) {
            rows.push(Row {
                label: arm.label.clone(),
                accuracy,
                loss,
                measures,
                not_converged,
            });
        }
        if let (Some(accuracy), Some(loss)) = (
            Spread::of(&of(&|r| r.ensemble_accuracy)),
            Spread::of(&of(&|r| r.ensemble_loss)),
        ) {
            rows.push(Row {
                label: format!("{} snapshot ensemble", arm.label),
                accuracy,
                loss,
                measures: BTreeMap::new(),
                not_converged: 0,
            });
        }
        if let (Some(accuracy), Some(loss)) = (
            Spread::of(&of(&|r| r.swa_accuracy)),
            Spread::of(&of(&|r| r.swa_loss)),
        ) {
            // An average's measurements are kept in its run's measures as `swa_KEY`.
            let measures = crate::measures::columns(protocol.study)
                .iter()
                .filter_map(|c| {
                    let key = format!("swa_{}", c.key);
                    let spread = Spread::of(&of(&|r| r.measures.get(&key).copied()))?;
                    Some((c.key.to_string(), spread))
                })
                .collect();
            rows.push(Row {
                label: format!("{} SWA average", arm.label),
                accuracy,
                loss,
                measures,
                not_converged: 0,
            });
        }
    }
    rows
}

/// Mean test accuracy per epoch of each arm.
fn draw_accuracy(results: &StudyResults, path: &Path) -> Result<(), StudyError> {
    let series = results
        .protocol
        .arms
        .iter()
        .filter_map(|arm| {
            let runs: Vec<&RunResult> =
                results.runs.iter().filter(|r| r.arm == arm.label).collect();
            let epochs = runs.iter().map(|r| r.accuracy_by_epoch.len()).min()?;
            let mean: Vec<f64> = (0..epochs)
                .map(|e| {
                    100.0 * runs.iter().map(|r| r.accuracy_by_epoch[e]).sum::<f64>()
                        / runs.len() as f64
                })
                .collect();
            let x: Vec<f64> = (1..=epochs).map(|e| e as f64).collect();
            Some(Series::new(arm.label.clone(), x, mean))
        })
        .collect();
    let plot = LinePlot {
        title: format!(
            "{} ({} scale): mean test accuracy over seeds {:?}",
            results.protocol.study, results.protocol.scale, results.protocol.seeds
        ),
        x_label: "epoch".into(),
        y_label_left: "test accuracy (%)".into(),
        series,
        ..LinePlot::default()
    };
    draw_lines(&plot, path)?;
    Ok(())
}
