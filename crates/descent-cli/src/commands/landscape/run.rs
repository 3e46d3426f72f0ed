//! Converts `descent landscape` arguments into library calls.

use std::path::PathBuf;
use std::time::Duration;

use descent_landscape::{
    DirectionChoice, DirectionConfig, Grid, LandscapeError, PlaneAxes, ScanFile, ScanJob, ScanKind,
    ScanOptions, merge_shard_files, run_job,
};

use super::args::{LandscapeArgs, LandscapeCommand, MergeArgs, PlotArgs};
use super::flags::{EvalFlags, OutputFlags, eval_options, imported_card, shard};
use super::progress::ScanProgress;
use descent_train::observer::log_line;

/// Runs `descent landscape`.
pub fn run(device_name: &str, args: LandscapeArgs) -> anyhow::Result<()> {
    // A training-crate error inside a landscape error (a checkpoint, a device) keeps its own
    // exit code.
    dispatch(device_name, args).map_err(|err| match err.downcast::<LandscapeError>() {
        Ok(LandscapeError::Train(inner)) => anyhow::Error::from(inner),
        Ok(other) => anyhow::Error::from(other),
        Err(err) => err,
    })
}

fn dispatch(device_name: &str, args: LandscapeArgs) -> anyhow::Result<()> {
    match args.command {
        LandscapeCommand::Scan(a) => {
            let (x, y) = (a.x, a.y);
            let directions = match &a.directions {
                Some(path) => DirectionChoice::Load(path.clone()),
                None => DirectionChoice::Random(DirectionConfig {
                    seed: a.seed,
                    normalization: a.norm,
                    bias_bn: a.bias_bn,
                    orthogonalize: a.orthogonalize,
                }),
            };
            scan(
                device_name,
                ScanKind::Random,
                vec![a.checkpoint],
                Grid::new(x, y)?,
                directions,
                PlaneAxes::default(),
                &a.eval,
                &a.output,
            )
        }
        LandscapeCommand::Interpolate(a) => scan(
            device_name,
            ScanKind::Interpolation,
            vec![a.a, a.b],
            Grid::new(a.x, None)?,
            DirectionChoice::Random(DirectionConfig::default()),
            PlaneAxes::default(),
            &a.eval,
            &a.output,
        ),
        LandscapeCommand::Plane(a) => {
            let (grid, axes) = super::plane::grid(device_name, &a)?;
            scan(
                device_name,
                ScanKind::Plane,
                vec![a.a, a.b, a.c],
                grid,
                DirectionChoice::Random(DirectionConfig::default()),
                axes,
                &a.eval,
                &a.output,
            )
        }
        LandscapeCommand::Plot(a) => plot(&a),
        LandscapeCommand::Merge(a) => merge_files(&a),
        LandscapeCommand::Curvature(a) => super::curvature::run(device_name, &a),
        LandscapeCommand::Spectrum(a) => super::spectrum::run(device_name, &a),
        LandscapeCommand::CurvatureMap(a) => super::curvature_map::run(device_name, &a),
        LandscapeCommand::Trajectory(a) => super::trajectory::run(device_name, &a),
        LandscapeCommand::Curve(a) => super::curve::run(device_name, &a),
    }
}

#[allow(clippy::too_many_arguments)]
fn scan(
    device_name: &str,
    kind: ScanKind,
    checkpoints: Vec<PathBuf>,
    grid: Grid,
    directions: DirectionChoice,
    plane_axes: PlaneAxes,
    eval: &EvalFlags,
    output: &OutputFlags,
) -> anyhow::Result<()> {
    if !(output.save_every.is_finite() && output.save_every >= 0.0) {
        anyhow::bail!(LandscapeError::invalid(
            "save_every",
            output.save_every,
            "must be a number of seconds, 0 or more"
        ));
    }
    let job = ScanJob {
        kind,
        checkpoints,
        imported: imported_card(eval)?,
        grid,
        directions,
        plane_axes,
        eval: eval_options(eval)?,
        out: output.out.clone(),
        shard: shard(output)?,
        options: ScanOptions {
            max_points: output.max_points,
            save_every: Duration::from_secs_f64(output.save_every),
        },
    };
    let (choice, device) = crate::commands::open_device(device_name)?;
    let interrupt = crate::commands::interrupt_flag()?;
    let mut progress = ScanProgress::new().with_interrupt(interrupt.clone());
    let outcome = run_job(&job, &device, &choice.to_string(), &mut progress)?;
    let file = &outcome.file;
    if let Some(path) = &outcome.directions_file {
        log_line(format_args!("directions: {}", path.display()));
    }
    match (&file.meta.plane, file.meta.cosine) {
        (Some(p), _) => log_line(format_args!(
            "{} axes; A at ({:.4}, {:.4}), B at ({:.4}, {:.4}), C at ({:.4}, {:.4}); cosine \
             between B - A and C - A: {:.6}",
            p.axes,
            p.marks[0][0],
            p.marks[0][1],
            p.marks[1][0],
            p.marks[1][1],
            p.marks[2][0],
            p.marks[2][1],
            p.cosine
        )),
        (None, Some(cos)) => log_line(format_args!("cosine between the two directions: {cos:.6}")),
        (None, None) => {}
    }
    let share = match file.meta.shard {
        Some(s) => format!(" (shard {s})"),
        None => String::new(),
    };
    if outcome.outcome.remaining > 0 && !interrupt.load(std::sync::atomic::Ordering::SeqCst) {
        log_line(format_args!(
            "stopped with {} points of this share missing; run the same command to resume",
            outcome.outcome.remaining
        ));
    }
    println!(
        "{}: {} of {} points done{share}, {} computed now",
        job.out.display(),
        file.done_count(),
        file.done.len(),
        outcome.outcome.computed
    );
    for line in error_summary(file) {
        println!("{line}");
    }
    if outcome.outcome.remaining > 0 && interrupt.load(std::sync::atomic::Ordering::SeqCst) {
        anyhow::bail!(crate::exit::Interrupted {
            saved: format!(
                "{} holds the {} points done, {} of this share are missing; run the same \
                 command to resume",
                job.out.display(),
                file.done_count(),
                outcome.outcome.remaining
            ),
        });
    }
    Ok(())
}

/// One line per loss with standard errors: the lowest loss with its error, and the range of
/// the errors over the points done, e.g.
/// `loss_train: lowest 0.4123 +- 0.0051 at (0.1, -0.2); standard errors 0.0049 to 0.0213
/// over 121 points (2048 samples each; see --subset)`.
fn error_summary(file: &ScanFile) -> Vec<String> {
    let points = file.meta.grid.points();
    let mut lines = Vec::new();
    for metric in file.meta.metrics.iter().filter(|m| m.starts_with("loss_")) {
        let Some(values) = file.values.get(metric) else {
            continue;
        };
        let done: Vec<usize> = (0..values.len())
            .filter(|&k| file.done[k] && values[k].is_finite())
            .collect();
        let errors: Vec<f64> = done
            .iter()
            .filter_map(|&k| file.std_error(metric, k))
            .collect();
        let Some(&best) = done
            .iter()
            .min_by(|&&i, &&j| values[i].total_cmp(&values[j]))
        else {
            continue;
        };
        if errors.is_empty() {
            continue;
        }
        let (lo, hi) = errors
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &e| {
                (lo.min(e), hi.max(e))
            });
        let (a, b) = points[best];
        let at = match file.meta.grid.y {
            Some(_) => format!("({a}, {b})"),
            None => format!("{a}"),
        };
        let best_error = file
            .std_error(metric, best)
            .map_or("unknown".to_string(), |e| format!("{e:.4}"));
        let samples = match file.meta.eval.samples {
            Some(n) => format!("a subset of {n} samples"),
            None => "the whole split".to_string(),
        };
        lines.push(format!(
            "{metric}: lowest {:.4} +- {best_error} at {at}; standard errors {lo:.4} to {hi:.4} \
             over {} points (standard error of the mean over {samples})",
            values[best],
            errors.len()
        ));
    }
    lines
}

fn merge_files(args: &MergeArgs) -> anyhow::Result<()> {
    // Like `scan`, merge never replaces an existing file (it may be another scan's result);
    // merge_shard_files checks that once the inputs are known to merge, so their own errors
    // come first, and writes nothing then.
    let outcome = merge_shard_files(&args.files, &args.out)?;
    let merged = &outcome.file;
    if let Some(path) = &outcome.directions_written {
        eprintln!("directions: {}", path.display());
    }
    let missing = merged.done.len() - merged.done_count();
    println!(
        "{}: {} of {} points done{}",
        args.out.display(),
        merged.done_count(),
        merged.done.len(),
        if missing > 0 {
            format!(" ({missing} missing: a shard is absent or unfinished)")
        } else {
            String::new()
        }
    );
    for line in error_summary(merged) {
        println!("{line}");
    }
    Ok(())
}

fn plot(args: &PlotArgs) -> anyhow::Result<()> {
    let file = ScanFile::load(&args.file)?;
    let stem: PathBuf = args
        .out
        .clone()
        .unwrap_or_else(|| args.file.with_extension(""));
    let written = super::plot::draw(&file, &stem, args)?;
    for path in written {
        println!("{}", path.display());
    }
    Ok(())
}
