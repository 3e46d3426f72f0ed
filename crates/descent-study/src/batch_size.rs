//! The `batch-size` study: small against large batches, with and without weight decay, each
//! run trained to a comparable end, then measured: test error, the top Hessian eigenvalue,
//! Keskar et al.'s sharpness and its filter-normalized variant, and a 1-D filter-normalized
//! loss curve (Li et al. 2018, Fig. 3; Keskar et al. 2017).
//!
//! Li et al.'s point, which the verdict follows: in raw coordinates (their Fig. 2, and any
//! measure whose box or direction does not follow the weights' scale, as Keskar's sharpness
//! and the Hessian's eigenvalues) the ordering of sharpness flips when weight decay is on,
//! because weight decay shrinks the small-batch weights and so magnifies their curvature;
//! with filter normalization (their Fig. 3) the large batch is sharper and worse with and
//! without weight decay.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::Device;
use descent_landscape::curvature::job::{CurvatureJob, run_curvature_job};
use descent_landscape::curvature::{
    CurvatureFile, CurvatureOptions, EigenOptions, SharpnessDefinition, SharpnessOptions,
    TraceOptions,
};
use descent_landscape::{
    Axis, BiasBn, DirectionChoice, DirectionConfig, EvalOptions, Grid, Normalization, PlaneAxes,
    ScanFile, ScanJob, ScanKind, ScanOptions, SilentScan, TrainingImages, run_job,
};
use descent_models::VggDepth;
use descent_optim::schedule::ScheduleConfig;
use descent_plot::{LinePlot, Series, draw_lines};

use crate::base::{BaseRun, momentum_sgd, run_config, vgg_bn};
use crate::measures::{BatchMeasures, Measures};
use crate::protocol::TrainTo;
use crate::results::{Row, StudyResults};
use crate::{Arm, Protocol, Scale, StudyError, StudyName, Verdict};

/// The arms, in this order: small and large batch without weight decay, then with 5e-4.
pub const ARMS: [&str; 4] = ["small-wd0", "large-wd0", "small-wd5e-4", "large-wd5e-4"];

/// The curve file in each run folder, and its directions.
pub const CURVE_FILE: &str = "curve-1d.npz";
/// The curvature file in each run folder.
pub const CURVATURE_FILE: &str = "curvature.npz";

struct Budget {
    width: f64,
    train_samples: Option<usize>,
    test_samples: Option<usize>,
    small: usize,
    large: usize,
    lr: f64,
    target: f64,
    every: usize,
    cap: usize,
    seeds: Vec<u64>,
    measures: BatchMeasures,
}

fn budget(scale: Scale) -> Budget {
    match scale {
        Scale::Smoke => Budget {
            width: 0.0625,
            train_samples: Some(512),
            test_samples: Some(256),
            small: 32,
            large: 256,
            lr: 0.1,
            target: 2.2,
            every: 1,
            cap: 3,
            seeds: vec![0, 1],
            measures: BatchMeasures {
                samples: 128,
                curve_points: 5,
                curve_radius: 1.0,
                eigen_iterations: 4,
                keskar_epsilon: 1e-3,
                filter_epsilon: 0.05,
                sharpness_starts: 1,
                sharpness_steps: 2,
            },
        },
        Scale::Small => Budget {
            width: 0.125,
            train_samples: Some(4000),
            test_samples: None,
            small: 128,
            large: 500,
            lr: 0.1,
            target: 0.05,
            every: 2,
            cap: 40,
            seeds: vec![0, 1, 2],
            measures: BatchMeasures {
                samples: 1000,
                curve_points: 21,
                curve_radius: 1.0,
                eigen_iterations: 20,
                keskar_epsilon: 1e-3,
                filter_epsilon: 0.05,
                sharpness_starts: 2,
                sharpness_steps: 10,
            },
        },
        Scale::Full => Budget {
            width: 1.0,
            train_samples: None,
            test_samples: None,
            small: 128,
            large: 8192,
            lr: 0.1,
            target: 0.01,
            every: 10,
            cap: 300,
            seeds: vec![0, 1, 2],
            measures: BatchMeasures {
                samples: 10_000,
                curve_points: 51,
                curve_radius: 1.0,
                eigen_iterations: 100,
                keskar_epsilon: 1e-3,
                filter_epsilon: 0.05,
                sharpness_starts: 3,
                sharpness_steps: 10,
            },
        },
    }
}

/// The protocol at `scale`.
///
/// # Errors
///
/// [`StudyError::Optim`] if the optimizer settings are refused (they are constants).
pub fn protocol(scale: Scale, data_dir: Option<PathBuf>) -> Result<Protocol, StudyError> {
    let b = budget(scale);
    let full = scale == Scale::Full;
    let base = run_config(BaseRun {
        model: vgg_bn(VggDepth::Vgg9, b.width),
        full,
        data_dir,
        train_samples: b.train_samples,
        test_samples: b.test_samples,
        schedule: ScheduleConfig::Constant,
        lr: b.lr,
        epochs: b.every,
    })?;
    let to = TrainTo {
        train_loss: b.target,
        every_epochs: b.every,
        max_epochs: b.cap,
    };
    let mut arms = Vec::new();
    for (label, (batch, wd)) in ARMS.iter().zip([
        (b.small, 0.0),
        (b.large, 0.0),
        (b.small, 5e-4),
        (b.large, 5e-4),
    ]) {
        let mut config = base.clone();
        config.training.batch_size = batch;
        config.optimizer = momentum_sgd(wd)?;
        arms.push(Arm {
            label: (*label).into(),
            what: format!(
                "batch {batch}, weight decay {wd}, trained until the mean training loss of an \
                 epoch is at most {} (checked every {} epochs, at most {} epochs)",
                b.target, b.every, b.cap
            ),
            config,
            train_to: Some(to),
        });
    }
    let data = if full {
        "VGG-9 with batch norm on CIFAR-10 with 4-pixel crops and flips".to_string()
    } else {
        format!(
            "VGG-9 with batch norm at width {} on {} Fashion-MNIST training images (a subset \
             drawn by each run's seed)",
            b.width,
            b.train_samples.unwrap_or(60_000)
        )
    };
    let m = &b.measures;
    Ok(Protocol {
        study: StudyName::BatchSize,
        scale,
        claim: "Without weight decay, large batches reach sharper minima with higher test error; \
                with weight decay 5e-4 the ordering of sharpness measured in raw coordinates \
                flips (the small batch's minimum looks sharper), while filter-normalized \
                sharpness still ranks the large batch sharper and worse."
            .into(),
        source: "Li et al. 2018, Visualizing the Loss Landscape of Neural Nets \
                 (arXiv:1712.09913), Sec. 4 and Figs. 2-3 (VGG-9 on CIFAR-10, batch 128 vs \
                 8192, weight decay 0 vs 5e-4); Keskar et al. 2017, On Large-Batch Training \
                 for Deep Learning (arXiv:1609.04836), metric 2.1"
            .into(),
        description: format!(
            "{data}; batch {small} vs {large} (the large batch is {share:.1}% of the training \
             set; Li et al.'s 8192 is 16.4% of CIFAR-10's), weight decay 0 vs 5e-4, SGD with \
             momentum 0.9 at a constant rate {lr} for both batch sizes; seeds {seeds:?}. Each \
             run is trained to a comparable end: extended {every} epochs at a time until the \
             mean training loss over an epoch's steps is at most {target}, at most {cap} \
             epochs; a run stopped by the cap is reported as not converged and left out of \
             the comparison. Measured on each run, on {samples} of its own training images (the \
             first of the same seeded draw, so inside the subset it trained on; running \
             statistics kept): the test error; the top Hessian eigenvalue \
             (Lanczos, {iters} steps, finite-difference Hessian-vector products); Keskar et \
             al.'s sharpness (metric 2.1, box eps (|x|+1) with eps {keps}); the \
             filter-normalized sharpness (the same measure over a filter-normalized box of \
             size {feps}, biases and batch norm fixed); both by projected sign-gradient ascent \
             ({starts} start(s) of {steps} steps each; a lower bound of the maximum, as Keskar's L-BFGS-B is); and the \
             1-D training-loss curve along one filter-normalized random direction (seeded by \
             the run's seed) at {points} points in [-{radius}, {radius}]. Differences from Li \
             et al.: they train every run for 300 epochs with a step-decayed rate (as we read \
             their Sec. 4 and appendix), we train to a loss target at a constant rate; a \
             Fashion-MNIST subset and a narrow VGG-9 below the full scale; their curves are \
             plotted from the whole training set, ours from the subset.",
            small = b.small,
            large = b.large,
            share = 100.0 * b.large as f64 / b.train_samples.unwrap_or(50_000) as f64,
            lr = b.lr,
            seeds = b.seeds,
            every = b.every,
            target = b.target,
            cap = b.cap,
            samples = m.samples,
            iters = m.eigen_iterations,
            keps = m.keskar_epsilon,
            feps = m.filter_epsilon,
            starts = m.sharpness_starts,
            steps = m.sharpness_steps,
            points = m.curve_points,
            radius = m.curve_radius,
        ),
        verdict_rule: "Over the converged runs of each arm (mean and sample sd over seeds), six \
                       comparisons, each holding when the difference exceeds the larger of the \
                       two arms' sds: with weight decay 0, the large batch has (1) higher test \
                       error, (2) higher Keskar sharpness and (3) higher filter-normalized \
                       sharpness than the small batch; with weight decay 5e-4, (4) the small \
                       batch has the higher Keskar sharpness (the flip of raw sharpness), and \
                       the large batch still has (5) higher test error and (6) higher \
                       filter-normalized sharpness. Reproduced if all six hold; not reproduced if \
                       any is contradicted by more than its margin; mixed otherwise (including \
                       an arm with fewer than two converged runs, which cannot be compared). The \
                       top eigenvalue is reported, not judged."
            .into(),
        seeds: b.seeds,
        arms,
        measures: Some(Measures::BatchSize(b.measures)),
    })
}

/// Measures the trained run in `folder` (each measurement is kept in the folder and read
/// back when the study resumes): `lambda_max`, `keskar`, `filter_sharpness`.
///
/// # Errors
///
/// The landscape tools' errors, naming the file or option.
pub fn measure(
    m: &BatchMeasures,
    seed: u64,
    folder: &Path,
    device: &Device,
) -> Result<BTreeMap<String, f64>, StudyError> {
    // The run's training subset is the first `train_samples` of a permutation drawn by its
    // seed (descent_data::ImageDataset::random_subset); the same seed draws the measured
    // images as the first `samples` of that permutation, inside the subset trained on.
    let eval = EvalOptions {
        samples: Some(m.samples),
        subset_seed: seed,
        batch_size: 500,
        training_images: TrainingImages::Split,
        ..EvalOptions::default()
    };
    let curve = folder.join(CURVE_FILE);
    let axis = Axis::new(-m.curve_radius, m.curve_radius, m.curve_points)?;
    run_job(
        &ScanJob {
            kind: ScanKind::Random,
            checkpoints: vec![folder.to_path_buf()],
            imported: None,
            grid: Grid { x: axis, y: None },
            directions: DirectionChoice::Random(DirectionConfig {
                seed,
                normalization: Normalization::Filter,
                bias_bn: BiasBn::Ignore,
                orthogonalize: false,
            }),
            plane_axes: PlaneAxes::default(),
            eval: eval.clone(),
            out: curve,
            shard: None,
            options: ScanOptions::default(),
        },
        device,
        "cpu",
        &mut SilentScan,
    )?;
    let path = folder.join(CURVATURE_FILE);
    let file = if path.is_file() {
        CurvatureFile::load(&path)?
    } else {
        let sharpness = |definition, epsilon| SharpnessOptions {
            definition,
            epsilon,
            starts: m.sharpness_starts,
            steps: m.sharpness_steps,
            seed,
            ..SharpnessOptions::default()
        };
        let options = CurvatureOptions {
            top_k: 1,
            bottom_k: 1,
            eigen: EigenOptions {
                max_iterations: m.eigen_iterations,
                seed,
                ..EigenOptions::default()
            },
            // The trace is not part of this study: the fewest draws the estimator accepts.
            trace: TraceOptions {
                min_draws: 2,
                max_draws: 2,
                seed,
                ..TraceOptions::default()
            },
            sharpness: vec![
                sharpness(SharpnessDefinition::Keskar, m.keskar_epsilon),
                sharpness(SharpnessDefinition::FilterNormalized, m.filter_epsilon),
            ],
            ..CurvatureOptions::default()
        };
        run_curvature_job(
            &CurvatureJob {
                checkpoint: folder.to_path_buf(),
                imported: None,
                eval,
                options,
                out: path,
            },
            device,
            "cpu",
        )?
    };
    let report = &file.report;
    let mut out = BTreeMap::new();
    out.insert("lambda_max".to_string(), report.lambda_max.value);
    // Whether Lanczos met its residual test in its steps (1) or not (0): in results.json.
    out.insert(
        "lambda_max_converged".to_string(),
        f64::from(u8::from(report.lambda_max.converged)),
    );
    for s in &report.sharpness {
        let key = match s.options.definition {
            SharpnessDefinition::Keskar => "keskar",
            SharpnessDefinition::FilterNormalized => "filter_sharpness",
            SharpnessDefinition::Adaptive => continue,
        };
        out.insert(key.to_string(), s.value);
    }
    Ok(out)
}

/// One comparison of the rule: `a`'s mean of `key` minus `b`'s (with `"error"` the test
/// error), and the margin (the larger sd).
fn difference(a: &Row, b: &Row, key: &str) -> Option<(f64, f64)> {
    let (sa, sb) = if key == "error" {
        (a.accuracy, b.accuracy)
    } else {
        (*a.measures.get(key)?, *b.measures.get(key)?)
    };
    let margin = sa.sd.unwrap_or(0.0).max(sb.sd.unwrap_or(0.0));
    let d = sa.mean - sb.mean;
    Some((if key == "error" { -d } else { d }, margin))
}

/// The verdict by the protocol's rule.
pub fn verdict(rows: &[Row]) -> (Verdict, String) {
    let find = |label: &str| rows.iter().find(|r| r.label == label && r.accuracy.n >= 2);
    let [s0, l0, s5, l5] = ARMS.map(find);
    let (Some(s0), Some(l0), Some(s5), Some(l5)) = (s0, l0, s5, l5) else {
        let missing: Vec<&str> = ARMS.iter().filter(|a| find(a).is_none()).copied().collect();
        return (
            Verdict::Mixed,
            format!(
                "no comparison: fewer than two converged runs in {}",
                missing.join(", ")
            ),
        );
    };
    // (what, bigger, smaller, measure): "bigger" should exceed "smaller".
    let checks = [
        (
            "wd 0: large-batch test error above small's",
            l0,
            s0,
            "error",
        ),
        (
            "wd 0: large-batch Keskar sharpness above small's",
            l0,
            s0,
            "keskar",
        ),
        (
            "wd 0: large-batch filter-normalized sharpness above small's",
            l0,
            s0,
            "filter_sharpness",
        ),
        (
            "wd 5e-4: small-batch Keskar sharpness above large's (the flip)",
            s5,
            l5,
            "keskar",
        ),
        (
            "wd 5e-4: large-batch test error above small's",
            l5,
            s5,
            "error",
        ),
        (
            "wd 5e-4: large-batch filter-normalized sharpness above small's",
            l5,
            s5,
            "filter_sharpness",
        ),
    ];
    let mut held = 0;
    let mut contradicted = 0;
    let mut parts = Vec::new();
    for (what, bigger, smaller, key) in checks {
        let Some((d, margin)) = difference(bigger, smaller, key) else {
            parts.push(format!("{what}: not measured"));
            continue;
        };
        let (d, margin, unit) = if key == "error" {
            (100.0 * d, 100.0 * margin, " points")
        } else {
            (d, margin, "")
        };
        let state = if d > margin {
            held += 1;
            "holds"
        } else if d < -margin {
            contradicted += 1;
            "contradicted"
        } else {
            "within the spread"
        };
        parts.push(format!(
            "{what}: {state} (difference {d:+.3}{unit}, margin {margin:.3})"
        ));
    }
    let verdict = if held == checks.len() {
        Verdict::Reproduced
    } else if contradicted > 0 {
        Verdict::NotReproduced
    } else {
        Verdict::Mixed
    };
    (
        verdict,
        format!("{held} of {} hold. {}.", checks.len(), parts.join("; ")),
    )
}

/// Draws `curves-wd0.svg` and `curves-wd5e-4.svg`: every run's 1-D curve, small and large
/// batch on one figure per weight decay.
///
/// # Errors
///
/// An unreadable curve file; plotting errors.
pub fn draw(results: &StudyResults, out: &Path) -> Result<(), StudyError> {
    let p = &results.protocol;
    for (wd, small, large) in [("0", ARMS[0], ARMS[1]), ("5e-4", ARMS[2], ARMS[3])] {
        let mut series = Vec::new();
        for arm in p
            .arms
            .iter()
            .filter(|a| a.label == small || a.label == large)
        {
            for &seed in &p.seeds {
                let path = Protocol::run_folder(out, arm, seed).join(CURVE_FILE);
                let file = ScanFile::load(&path)?;
                let Some(loss) = file.values.get("loss_train") else {
                    continue;
                };
                let x: Vec<f64> = file.meta.grid.points().iter().map(|p| p.0).collect();
                let converged = results
                    .runs
                    .iter()
                    .find(|r| r.arm == arm.label && r.seed == seed)
                    .and_then(|r| r.converged);
                let note = if converged == Some(false) {
                    ", not converged"
                } else {
                    ""
                };
                series.push(Series::new(
                    format!(
                        "{} (batch {}), seed {seed}{note}",
                        if arm.label == small { "small" } else { "large" },
                        arm.config.training.batch_size
                    ),
                    x,
                    loss.clone(),
                ));
            }
        }
        let plot = LinePlot {
            title: format!(
                "weight decay {wd}: training loss along a filter-normalized direction ({} scale)",
                p.scale
            ),
            x_label: "alpha (filter-normalized direction)".into(),
            y_label_left: "training loss (subset)".into(),
            series,
            ..LinePlot::default()
        };
        draw_lines(&plot, &out.join(format!("curves-wd{wd}.svg")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Spread;

    fn row(label: &str, acc: [f64; 3], keskar: [f64; 3], filter: [f64; 3]) -> Row {
        let mut row = Row::of_accuracies(label, &acc).expect("values");
        row.measures
            .insert("keskar".into(), Spread::of(&keskar).expect("k"));
        row.measures
            .insert("filter_sharpness".into(), Spread::of(&filter).expect("f"));
        row
    }

    #[test]
    fn the_rule_needs_all_six_comparisons_beyond_the_spread() {
        let rows = |flip: bool| {
            vec![
                row(
                    "small-wd0",
                    [0.90, 0.91, 0.92],
                    [1.0, 1.1, 1.2],
                    [0.1, 0.1, 0.1],
                ),
                row(
                    "large-wd0",
                    [0.85, 0.86, 0.87],
                    [3.0, 3.1, 3.2],
                    [0.5, 0.5, 0.5],
                ),
                row(
                    "small-wd5e-4",
                    [0.91, 0.92, 0.93],
                    [4.0, 4.1, 4.2],
                    [0.2, 0.2, 0.2],
                ),
                row(
                    "large-wd5e-4",
                    [0.86, 0.87, 0.88],
                    if flip {
                        [2.0, 2.1, 2.2]
                    } else {
                        [6.0, 6.1, 6.2]
                    },
                    [0.6, 0.6, 0.6],
                ),
            ]
        };
        let (v, reason) = verdict(&rows(true));
        assert_eq!(v, Verdict::Reproduced, "{reason}");
        let (v, reason) = verdict(&rows(false));
        assert_eq!(v, Verdict::NotReproduced, "{reason}");
        assert!(reason.contains("(the flip): contradicted"), "{reason}");
        // An arm with one converged run cannot be compared.
        let mut short = rows(true);
        short[1] = row("large-wd0", [0.85, 0.86, 0.87], [3.0; 3], [0.5; 3]);
        short[1].accuracy = Spread::of(&[0.85]).expect("one");
        let (v, reason) = verdict(&short);
        assert_eq!(v, Verdict::Mixed);
        assert!(reason.contains("large-wd0"), "{reason}");
    }

    #[test]
    fn each_arm_trains_to_the_same_target_at_its_own_batch_and_decay() {
        let p = protocol(Scale::Small, None).expect("valid");
        let labels: Vec<&str> = p.arms.iter().map(|a| a.label.as_str()).collect();
        assert_eq!(labels, ARMS);
        let to: Vec<_> = p.arms.iter().map(|a| a.train_to).collect();
        assert!(to.iter().all(|t| *t == to[0] && t.is_some()));
        let batches: Vec<usize> = p
            .arms
            .iter()
            .map(|a| a.config.training.batch_size)
            .collect();
        assert_eq!(batches, [128, 500, 128, 500]);
        assert!(matches!(p.measures, Some(Measures::BatchSize(_))));
    }
}
