//! The `swa` study: stochastic weight averaging against SGD at the same and at longer
//! budgets (Izmailov et al. 2018, Table 1: VGG-16 on CIFAR-10, SGD 93.25% vs SWA 93.59% at
//! budget 1, 93.64% at 1.25, 93.70% at 1.5), and the width of the solutions along random
//! rays (their "Solution width": the training loss and test error at `w + t d`, `d` a random
//! direction of unit Euclidean norm, against the distance `t`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::Device;
use descent_data::Split;
use descent_data::rng::derive_seed;
use descent_landscape::{
    Axis, BiasBn, BnPolicy, DirectionChoice, DirectionConfig, EvalOptions, Grid, Normalization,
    PlaneAxes, ScanFile, ScanJob, ScanKind, ScanOptions, SilentScan, TrainingImages, run_job,
};
use descent_models::VggDepth;
use descent_optim::AnnealStrategy;
use descent_optim::schedule::{ScheduleConfig, ScheduleUnit};
use descent_plot::{LinePlot, Series, draw_lines};
use descent_train::averaging::{AveragingOptions, SwaOptions, SwaRate};

use crate::base::{BaseRun, run_config, vgg_bn};
use crate::measures::{Measures, SwaMeasures};
use crate::panels::side_by_side;
use crate::results::StudyResults;
use crate::{Arm, Protocol, Row, Scale, StudyError, StudyName, Verdict};

/// The SWA budgets, as multiples of SGD's.
pub const BUDGETS: [(f64, &str); 3] = [(1.0, "swa-1"), (1.25, "swa-1.25"), (1.5, "swa-1.5")];

/// The solutions whose width is measured, by arm: SGD's final weights, and the SWA averages
/// at budgets 1 (SGD's number of epochs) and 1.5.
pub const WIDTH_ARMS: [&str; 3] = ["sgd", "swa-1", "swa-1.5"];

/// The figure of the rays.
pub const WIDTH_FIGURE: &str = "width.svg";

struct Budget {
    epochs: usize,
    width: f64,
    seeds: Vec<u64>,
    train_samples: Option<usize>,
    test_samples: Option<usize>,
    measures: SwaMeasures,
}

fn budget(scale: Scale) -> Budget {
    match scale {
        Scale::Smoke => Budget {
            epochs: 4,
            width: 0.0625,
            seeds: vec![0, 1],
            train_samples: Some(1000),
            test_samples: Some(500),
            measures: SwaMeasures {
                samples: 128,
                rays: 2,
                points: 5,
                max_distance: 20.0,
                loss_rise: 0.1,
            },
        },
        Scale::Small => Budget {
            epochs: 12,
            width: 0.125,
            seeds: vec![0, 1, 2],
            train_samples: Some(12_000),
            test_samples: None,
            // The length was chosen from one probe before this protocol was fixed: a unit ray
            // from the old protocol's SGD run of seed 0 (no SWA average was probed) rose by
            // 0.05 at distance 5, 0.35 at 10, 1.2 at 15 and 6 at 30.
            measures: SwaMeasures {
                samples: 2000,
                rays: 3,
                points: 16,
                max_distance: 30.0,
                loss_rise: 0.1,
            },
        },
        Scale::Full => Budget {
            epochs: 200,
            width: 1.0,
            seeds: vec![0, 1, 2],
            train_samples: None,
            test_samples: None,
            // Not probed: Izmailov et al.'s networks have about 60 times the weights of the
            // small scale's, so a ray of the same length moves each weight about 8 times less.
            measures: SwaMeasures {
                samples: 10_000,
                rays: 10,
                points: 21,
                max_distance: 100.0,
                loss_rise: 0.1,
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
    // Izmailov et al.'s SGD baseline: the rate held for half the budget, then linearly down
    // to 1% of it at 90%, then held (their `schedule`); here a cosine to 1% over the budget,
    // the nearest schedule we have (stated in the description).
    let sgd_schedule = |epochs: usize| ScheduleConfig::Cosine {
        t_max: Some(epochs),
        eta_min: 0.0005,
        unit: ScheduleUnit::Epoch,
    };
    let lr = 0.05;
    let base = run_config(BaseRun {
        model: vgg_bn(VggDepth::Vgg16, b.width),
        full,
        data_dir,
        train_samples: b.train_samples,
        test_samples: b.test_samples,
        schedule: sgd_schedule(b.epochs),
        lr,
        epochs: b.epochs,
    })?;

    let swa_start = (b.epochs * 3).div_ceil(4);
    let mut arms = vec![Arm {
        label: "sgd".into(),
        what: format!(
            "SGD for the budget of {} epochs, the rate annealed by a cosine to 1% of its peak",
            b.epochs
        ),
        config: base.clone(),
        train_to: None,
    }];
    for (factor, label) in BUDGETS {
        let epochs = (b.epochs as f64 * factor).round() as usize;
        let mut config = base.clone();
        config.training.epochs = epochs;
        config.training.averaging = AveragingOptions {
            swa: Some(SwaOptions {
                start_epoch: swa_start,
                every_steps: None,
                lr: Some(SwaRate {
                    swa_lr: 0.01,
                    anneal_epochs: 1,
                    anneal: AnnealStrategy::Cos,
                }),
            }),
            ..AveragingOptions::default()
        };
        arms.push(Arm {
            label: label.into(),
            what: format!(
                "SWA at budget {factor}: {epochs} epochs, SGD's schedule for the first \
                 {swa_start}, then SWALR to a constant 0.01 and the weights averaged at the end \
                 of every epoch, batch-norm statistics recomputed for the average"
            ),
            config,
            train_to: None,
        });
    }
    let data = if full {
        "VGG-16 with batch norm on CIFAR-10 with 4-pixel crops and flips"
    } else {
        "VGG-16 with batch norm at a reduced width on Fashion-MNIST"
    };
    let subset = match b.train_samples {
        Some(n) => format!(" (the first {n} training images)"),
        None => String::new(),
    };
    let m = &b.measures;
    Ok(Protocol {
        study: StudyName::Swa,
        scale,
        claim: "At the same training budget, the average of the weights SGD visits with a \
                constant or cyclic rate (SWA) generalizes better than SGD's final weights, and \
                longer averaging helps further."
            .into(),
        source: "Izmailov et al. 2018, Averaging Weights Leads to Wider Optima and Better \
                 Generalization (arXiv:1803.05407), Table 1 (VGG-16 on CIFAR-10: SGD 93.25, \
                 SWA 93.59 / 93.64 / 93.70 at budgets 1 / 1.25 / 1.5)"
            .into(),
        description: format!(
            "{data} (width {width}){subset}, batch 128, SGD with momentum 0.9 and weight decay \
             5e-4 from a peak rate of {lr}; the SGD budget is {epochs} epochs; seeds {seeds:?}. \
             Measured: final test accuracy and loss of SGD's weights and of each SWA average; \
             and the width of SGD's final weights and of the SWA averages at budgets 1 and 1.5 \
             (finished runs are read from their logs and files, not resumed): along {rays} \
             random rays w + t d from each solution w, d a Gaussian draw scaled to Euclidean \
             norm 1 over all trainable parameters (biases and batch-norm scales and shifts \
             included; ray k of a seed is the same vector for every solution of that seed), at \
             {points} distances t from 0 to {max} in raw Euclidean units of weight space, the \
             training loss on {samples} of the run's own training images (the first of the \
             seeded draw it trained on) and the test error on {samples} test images drawn by \
             the same seed, with the solution's batch-norm running statistics kept at every \
             point (a scan with --bn keep). The width of a solution is the distance at which \
             the mean training loss over its rays first exceeds the solution's own by {rise} \
             (linear between grid points); a mean curve that stays below that to the rays' end \
             counts as the rays' length and is flagged (a lower bound). The width is reported, \
             not judged. Differences from the paper: SGD's schedule is a cosine to 1% of the \
             peak (theirs holds the rate, then decays linearly); SWA starts at 75% of the SGD \
             budget with SWALR annealing to 0.01 over one epoch (they switch to the constant \
             rate); for the width, they draw their rays' curves one by one (10 rays, as we read \
             their figure) on the whole training and test sets with the L2-regularized training \
             loss, we average {rays} rays on subsets with the plain cross-entropy, and turn the \
             curves into a number by the threshold above, which is ours.",
            width = b.width,
            epochs = b.epochs,
            seeds = b.seeds,
            rays = m.rays,
            points = m.points,
            max = m.max_distance,
            samples = m.samples,
            rise = m.loss_rise,
        ),
        verdict_rule: "Reproduced if the SWA average at budget 1 and at every longer budget has a \
                       mean test accuracy above SGD's by more than the larger standard deviation \
                       over seeds of the two compared; not reproduced if any falls short of \
                       SGD's by that margin; mixed otherwise."
            .into(),
        seeds: b.seeds,
        arms,
        measures: Some(Measures::Swa(b.measures)),
    })
}

/// The scan of ray `k` of a solution in its run folder: `ray-K.npz` for the run's final
/// weights, `swa-ray-K.npz` for its SWA average, each with its direction beside
/// (`.directions.npz`).
pub fn ray_file(folder: &Path, average: bool, k: usize) -> PathBuf {
    let prefix = if average { "swa-" } else { "" };
    folder.join(format!("{prefix}ray-{k}.npz"))
}

/// Which solution of `arm`'s runs is measured: `Some(false)` for the final weights (SGD),
/// `Some(true)` for the SWA average, `None` for none.
fn measured_solution(arm: &str) -> Option<bool> {
    match WIDTH_ARMS.iter().position(|a| *a == arm) {
        Some(0) => Some(false),
        Some(_) => Some(true),
        None => None,
    }
}

/// Scans the rays of the solution of `arm` in the run folder `folder` (each scan file is
/// kept there and resumed or read back when the study resumes) and returns its `width`,
/// `width_censored` (1 when the mean curve stays below the threshold) and `ray_loss` (the
/// training loss at the solution), prefixed `swa_` for an SWA average. Arms whose width is
/// not measured give nothing.
///
/// # Errors
///
/// The landscape tools' errors, naming the file or option; a scan left unfinished.
pub fn measure(
    m: &SwaMeasures,
    seed: u64,
    arm: &str,
    folder: &Path,
    device: &Device,
) -> Result<BTreeMap<String, f64>, StudyError> {
    let Some(average) = measured_solution(arm) else {
        return Ok(BTreeMap::new());
    };
    let checkpoint = if average {
        folder.join(descent_train::layout::SWA_DIR)
    } else {
        folder.to_path_buf()
    };
    let axis = Axis::new(0.0, m.max_distance, m.points)?;
    let mut losses = Vec::new();
    for k in 0..m.rays {
        let out = ray_file(folder, average, k);
        let job = run_job(
            &ScanJob {
                kind: ScanKind::Random,
                checkpoints: vec![checkpoint.clone()],
                imported: None,
                grid: Grid { x: axis, y: None },
                directions: DirectionChoice::Random(ray_direction(seed, k)),
                plane_axes: PlaneAxes::default(),
                // The first `samples` of the permutation the run's seed drew its training
                // subset from (descent_data::ImageDataset::random_subset): images it trained
                // on; and a subset of the test set drawn by the same seed.
                eval: EvalOptions {
                    splits: vec![Split::Train, Split::Test],
                    samples: Some(m.samples),
                    subset_seed: seed,
                    batch_size: 500,
                    bn: BnPolicy::Keep,
                    // The first `samples` of the permutation the run's seed drew its training
                    // subset from, as the protocol says (the committed results were measured so).
                    training_images: TrainingImages::Split,
                    ..EvalOptions::default()
                },
                out: out.clone(),
                shard: None,
                options: ScanOptions::default(),
            },
            device,
            "cpu",
            &mut SilentScan,
        )?;
        if job.outcome.remaining > 0 {
            return Err(StudyError::BadFile {
                path: out,
                reason: format!(
                    "the scan stopped with {} points left; run the study again to finish it",
                    job.outcome.remaining
                ),
            });
        }
        let loss = job
            .file
            .values
            .get("loss_train")
            .ok_or_else(|| StudyError::BadFile {
                path: out.clone(),
                reason: "holds no loss_train".into(),
            })?;
        losses.push(loss.clone());
    }
    let distances = axis.values();
    let centre = losses.first().and_then(|l| l.first()).copied();
    let (Some(centre), Some(w)) = (centre, width(&distances, &losses, m.loss_rise)) else {
        return Err(StudyError::BadFile {
            path: ray_file(folder, average, 0),
            reason: "the training loss at the solution is not finite".into(),
        });
    };
    let prefix = if average { "swa_" } else { "" };
    let (value, censored) = match w {
        Width::At(t) => (t, 0.0),
        Width::Beyond => (m.max_distance, 1.0),
    };
    Ok(BTreeMap::from([
        (format!("{prefix}width"), value),
        (format!("{prefix}width_censored"), censored),
        (format!("{prefix}ray_loss"), centre),
    ]))
}

/// Ray `k` of the runs of `seed`: a Gaussian draw from `(seed, k)` over every trainable
/// parameter, scaled to Euclidean norm 1 (running statistics are never moved).
pub fn ray_direction(seed: u64, k: usize) -> DirectionConfig {
    DirectionConfig {
        seed: derive_seed(seed, k as u64),
        normalization: Normalization::Unit,
        bias_bn: BiasBn::Include,
        orthogonalize: false,
    }
}

/// The width of a solution, from [`width`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Width {
    /// The mean curve crosses the threshold at this distance.
    At(f64),
    /// It stays at or below the threshold to the rays' end.
    Beyond,
}

/// The distance at which the mean of `curves` (each the training loss at `distances`,
/// ascending from the solution at `distances[0]`) first exceeds its value at the solution by
/// more than `rise`, linearly interpolated between the last point at or below the threshold
/// and the first above it (a non-finite mean counts as above, at its own distance). `None`
/// when the value at the solution is not finite or there is no curve.
pub fn width(distances: &[f64], curves: &[Vec<f64>], rise: f64) -> Option<Width> {
    if curves.is_empty() {
        return None;
    }
    let mean: Vec<f64> = (0..distances.len())
        .map(|i| {
            curves
                .iter()
                .map(|c| c.get(i).copied().unwrap_or(f64::NAN))
                .sum::<f64>()
                / curves.len() as f64
        })
        .collect();
    let base = *mean.first()?;
    if !base.is_finite() {
        return None;
    }
    let level = base + rise;
    for i in 1..mean.len() {
        let (m0, m1) = (mean[i - 1], mean[i]);
        if m1 <= level {
            continue;
        }
        let (t0, t1) = (distances[i - 1], distances[i]);
        return Some(Width::At(if m1.is_finite() {
            t0 + (t1 - t0) * (level - m0) / (m1 - m0)
        } else {
            t1
        }));
    }
    Some(Width::Beyond)
}

/// Draws `width.svg`: the training loss and the test error along the rays of each measured
/// solution, the mean over rays and seeds with a band of one standard deviation over the
/// seeds' means, side by side (the panels are kept in `panels/`).
///
/// # Errors
///
/// Unreadable scan files; plotting or write errors.
pub fn draw(results: &StudyResults, out: &Path) -> Result<(), StudyError> {
    let p = &results.protocol;
    let Some(Measures::Swa(m)) = &p.measures else {
        return Ok(());
    };
    let panels = out.join("panels");
    std::fs::create_dir_all(&panels).map_err(|e| StudyError::Output {
        path: panels.clone(),
        reason: format!("cannot make the folder: {e}"),
    })?;
    let mut files = Vec::new();
    for (metric, what, scale) in [
        ("loss_train", "training loss", 1.0),
        ("acc_test", "test error (%)", 100.0),
    ] {
        let mut series = Vec::new();
        for arm in p
            .arms
            .iter()
            .filter(|a| measured_solution(&a.label).is_some())
        {
            let average = measured_solution(&arm.label) == Some(true);
            let mut per_seed: Vec<Vec<f64>> = Vec::new();
            let mut x = Vec::new();
            for &seed in &p.seeds {
                let folder = Protocol::run_folder(out, arm, seed);
                let mut rays = Vec::new();
                for k in 0..m.rays {
                    let file = ScanFile::load(&ray_file(&folder, average, k))?;
                    x = file.meta.grid.x.values();
                    if let Some(v) = file.values.get(metric) {
                        rays.push(v.clone());
                    }
                }
                if rays.is_empty() {
                    continue;
                }
                per_seed.push(
                    (0..x.len())
                        .map(|i| {
                            let mean = rays.iter().map(|r| r[i]).sum::<f64>() / rays.len() as f64;
                            // Accuracy in [0, 1] becomes the error in percent.
                            if metric == "acc_test" {
                                scale * (1.0 - mean)
                            } else {
                                mean
                            }
                        })
                        .collect(),
                );
            }
            if per_seed.is_empty() {
                continue;
            }
            let n = per_seed.len() as f64;
            let mean: Vec<f64> = (0..x.len())
                .map(|i| per_seed.iter().map(|c| c[i]).sum::<f64>() / n)
                .collect();
            let band: Vec<f64> = (0..x.len())
                .map(|i| {
                    if per_seed.len() < 2 {
                        return 0.0;
                    }
                    let v = per_seed
                        .iter()
                        .map(|c| (c[i] - mean[i]).powi(2))
                        .sum::<f64>();
                    (v / (n - 1.0)).sqrt()
                })
                .collect();
            let label = if average {
                format!("SWA average, {}", arm.label)
            } else {
                "SGD final weights".to_string()
            };
            series.push(Series::new(label, x.clone(), mean).with_band(band));
        }
        let plot = LinePlot {
            title: format!(
                "{what} along random unit rays ({} scale, mean of {} rays and seeds {:?})",
                p.scale, m.rays, p.seeds
            ),
            x_label: "distance from the solution (Euclidean, all trainable weights)".into(),
            y_label_left: what.into(),
            series,
            ..LinePlot::default()
        };
        let path = panels.join(format!("width-{metric}.svg"));
        draw_lines(&plot, &path)?;
        files.push(path);
    }
    side_by_side(&files, &out.join(WIDTH_FIGURE))
}

/// The verdict by the protocol's rule.
pub fn verdict(rows: &[Row]) -> (Verdict, String) {
    let find = |label: &str| rows.iter().find(|r| r.label == label);
    let Some(sgd) = find("sgd") else {
        return (Verdict::Mixed, "the SGD row is missing".into());
    };
    let mut gains = Vec::new();
    for (_, label) in BUDGETS {
        let Some(avg) = find(&format!("{label} SWA average")) else {
            return (
                Verdict::Mixed,
                format!("the {label} SWA average is missing"),
            );
        };
        let (gain, margin) = avg.gain_over(sgd);
        gains.push((label, gain, margin));
    }
    let verdict = if gains.iter().all(|(_, g, m)| g > m) {
        Verdict::Reproduced
    } else if gains.iter().any(|(_, g, m)| *g < -m) {
        Verdict::NotReproduced
    } else {
        Verdict::Mixed
    };
    let reason = gains
        .iter()
        .map(|(label, g, m)| {
            format!(
                "{label} average minus SGD: {:+.2} points (margin {:.2})",
                100.0 * g,
                100.0 * m
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
        + ".";
    (verdict, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, accuracies: &[f64]) -> Row {
        Row::of_accuracies(label, accuracies).expect("values")
    }

    fn rows(gains: [f64; 3]) -> Vec<Row> {
        let mut rows = vec![row("sgd", &[0.90, 0.91, 0.92])]; // sd 0.01
        for ((_, label), gain) in BUDGETS.iter().zip(gains) {
            let m = 0.91 + gain;
            rows.push(row(
                &format!("{label} SWA average"),
                &[m - 0.005, m, m + 0.005],
            ));
        }
        rows
    }

    #[test]
    fn the_rule_needs_every_budget_above_sgd_by_the_spread() {
        assert_eq!(verdict(&rows([0.02, 0.03, 0.04])).0, Verdict::Reproduced);
        assert_eq!(verdict(&rows([0.005, 0.03, 0.04])).0, Verdict::Mixed);
        let (v, reason) = verdict(&rows([0.02, -0.02, 0.04]));
        assert_eq!(v, Verdict::NotReproduced);
        assert!(
            reason.contains("swa-1.25 average minus SGD: -2.00"),
            "{reason}"
        );
        assert_eq!(verdict(&rows([0.02, 0.03, 0.04])[..2]).0, Verdict::Mixed);
    }

    #[test]
    fn the_width_is_where_the_mean_curve_first_rises_by_the_threshold() {
        let t = [0.0, 2.0, 4.0, 6.0, 8.0];
        // Two rays; their mean is 0.1, 0.12, 0.2, 0.5, 1.0: the level 0.1 + 0.25 = 0.35 is
        // crossed between 4 (0.2) and 6 (0.5), at 4 + 2 * (0.35 - 0.2) / (0.5 - 0.2) = 5.
        let curves = vec![
            vec![0.1, 0.10, 0.1, 0.4, 0.8],
            vec![0.1, 0.14, 0.3, 0.6, 1.2],
        ];
        match width(&t, &curves, 0.25) {
            Some(Width::At(w)) => assert!((w - 5.0).abs() < 1e-12, "{w}"),
            other => panic!("{other:?}"),
        }
        // One ray alone crosses earlier: the mean is what counts.
        match width(&t, &curves[1..], 0.25) {
            // 0.1, 0.14, 0.3, 0.6: 0.35 between 4 (0.3) and 6 (0.6): 4 + 2 * 0.05 / 0.3.
            Some(Width::At(w)) => assert!((w - (4.0 + 0.1 / 0.3)).abs() < 1e-12, "{w}"),
            other => panic!("{other:?}"),
        }
        // A flat curve never crosses; a rise equal to the threshold is not above it.
        assert_eq!(width(&t, &[vec![0.5; 5]], 0.1), Some(Width::Beyond));
        assert_eq!(
            width(&t, &[vec![0.5, 0.5, 0.5, 0.5, 0.75]], 0.25),
            Some(Width::Beyond)
        );
        // A loss that overflows counts as above, at its own distance.
        assert_eq!(
            width(&t, &[vec![0.1, 0.1, f64::INFINITY, 0.1, 0.1]], 0.25),
            Some(Width::At(4.0))
        );
        assert_eq!(
            width(&t, &[vec![0.1, 0.1, f64::NAN, 0.1, 0.1]], 0.25),
            Some(Width::At(4.0))
        );
        // No curve, or a solution whose loss is not finite: no width.
        assert_eq!(width(&t, &[], 0.25), None);
        assert_eq!(width(&t, &[vec![f64::NAN; 5]], 0.25), None);
    }

    #[test]
    fn rays_are_unit_gaussian_directions_shared_by_a_seeds_solutions() {
        let p = protocol(Scale::Small, None).expect("valid");
        let Some(Measures::Swa(m)) = &p.measures else {
            panic!("no width measures");
        };
        assert!(m.max_distance > 0.0 && m.points >= 2 && m.rays >= 1);
        let d = ray_direction(3, 1);
        assert_eq!(d.normalization, Normalization::Unit);
        assert_eq!(d.bias_bn, BiasBn::Include);
        assert_ne!(d.seed, ray_direction(3, 0).seed);
        assert_ne!(d.seed, ray_direction(4, 1).seed);
        assert_eq!(measured_solution("sgd"), Some(false));
        assert_eq!(measured_solution("swa-1"), Some(true));
        assert_eq!(measured_solution("swa-1.25"), None);
        let folder = Path::new("runs/swa-1/seed0");
        assert_ne!(ray_file(folder, true, 0), ray_file(folder, false, 0));
    }

    #[test]
    fn averaging_starts_at_three_quarters_of_the_sgd_budget() {
        let p = protocol(Scale::Small, None).expect("valid");
        let sgd_epochs = p.arms[0].config.training.epochs;
        for (arm, (factor, label)) in p.arms[1..].iter().zip(BUDGETS) {
            assert_eq!(arm.label, label);
            let swa = arm.config.training.averaging.swa.as_ref().expect("swa");
            assert_eq!(swa.start_epoch, (sgd_epochs * 3).div_ceil(4));
            assert_eq!(
                arm.config.training.epochs,
                (sgd_epochs as f64 * factor).round() as usize
            );
        }
    }
}
