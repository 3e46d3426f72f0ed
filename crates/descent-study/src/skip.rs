//! The `skip-connections` study: ResNet-20 and ResNet-56 with and without their shortcuts,
//! each trained, then its training loss scanned on a plane of two filter-normalized random
//! directions (Li et al. 2018, Fig. 5), with the `|lambda_min / lambda_max|` map of the
//! Hessian on a coarse grid of the same plane for the first seed (their Fig. 7).
//!
//! The measure the verdict rests on is the share of the scanned plane where the surface is
//! not locally convex. Li et al. (Sec. 6) read convexity off the 2-D plots: the plotted
//! surface is the loss restricted to the plane, and a negative curvature of that restriction
//! is a negative curvature of the full loss (the converse does not hold), so "convex-looking"
//! contours and "chaotic" ones differ in exactly this share.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::Device;
use descent_landscape::curvature::map::{CurvatureMapJob, run_curvature_map_job};
use descent_landscape::curvature::{EigenOptions, HvpOptions};
use descent_landscape::scan_plot::scan_surface_plot;
use descent_landscape::{
    Axis, BiasBn, DirectionChoice, DirectionConfig, EvalOptions, Grid, Normalization, PlaneAxes,
    ScanFile, ScanJob, ScanKind, ScanOptions, SilentScan, TrainingImages, run_job,
};
use descent_models::{ModelConfig, ResNetConfig, Shortcut};
use descent_optim::schedule::{ScheduleConfig, ScheduleUnit};
use descent_plot::{SurfaceStyle, draw_surface};

use crate::base::{BaseRun, run_config};
use crate::measures::{Measures, SkipMeasures};
use crate::panels::side_by_side;
use crate::results::{Row, StudyResults};
use crate::{Arm, Protocol, Scale, StudyError, StudyName, Verdict};

/// The depths compared.
pub const DEPTHS: [usize; 2] = [20, 56];

/// The plane's scan in each run folder.
pub const PLANE_FILE: &str = "plane-2d.npz";
/// The curvature-ratio map in the first seed's run folders.
pub const MAP_FILE: &str = "ratio-map.npz";

/// A point counts as not locally convex when the smaller eigenvalue of the plane's Hessian is
/// negative and at least this share of the larger one in size (Li et al.'s ratio, on the
/// plane).
pub const RATIO_THRESHOLD: f64 = 0.1;
/// Curvatures below this (loss per squared unit of the directions) are flat, counted convex.
pub const FLAT: f64 = 1e-3;

fn label(depth: usize, shortcut: bool) -> String {
    format!(
        "resnet{depth}-{}",
        if shortcut { "short" } else { "noshort" }
    )
}

struct Budget {
    width: f64,
    train_samples: Option<usize>,
    test_samples: Option<usize>,
    epochs: usize,
    schedule: ScheduleConfig,
    lr: f64,
    seeds: Vec<u64>,
    measures: SkipMeasures,
}

fn budget(scale: Scale) -> Budget {
    let cosine = ScheduleConfig::Cosine {
        t_max: None,
        eta_min: 0.0,
        unit: ScheduleUnit::Epoch,
    };
    match scale {
        Scale::Smoke => Budget {
            width: 0.25,
            train_samples: Some(256),
            test_samples: Some(128),
            epochs: 1,
            schedule: cosine,
            lr: 0.05,
            seeds: vec![0, 1],
            measures: SkipMeasures {
                samples: 64,
                grid: 5,
                map_grid: Some(3),
                map_samples: 32,
                map_iterations: 3,
            },
        },
        // Measured here before fixing this: ResNet-56 without shortcuts at width 0.5 trains
        // about 35 images a second on the shared 2 cores (29 s for 1000), too slow for four
        // networks, two seeds and their scans in an hour; at width 0.25 the smoke scale's
        // ResNet-56 epochs run about 280 a second.
        Scale::Small => Budget {
            width: 0.25,
            train_samples: Some(3000),
            test_samples: Some(2000),
            epochs: 10,
            schedule: cosine,
            lr: 0.05,
            seeds: vec![0, 1],
            measures: SkipMeasures {
                samples: 256,
                grid: 15,
                map_grid: Some(5),
                map_samples: 128,
                map_iterations: 10,
            },
        },
        Scale::Full => Budget {
            width: 1.0,
            train_samples: None,
            test_samples: None,
            epochs: 300,
            schedule: ScheduleConfig::MultiStep {
                milestones: vec![150, 225, 275],
                gamma: 0.1,
                unit: ScheduleUnit::Epoch,
            },
            lr: 0.1,
            seeds: vec![0, 1, 2],
            measures: SkipMeasures {
                samples: 10_000,
                grid: 51,
                map_grid: Some(11),
                map_samples: 2000,
                map_iterations: 30,
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
    let mut arms = Vec::new();
    for depth in DEPTHS {
        for shortcut in [true, false] {
            let mut resnet = ResNetConfig::new(depth)
                .with_shortcut(if shortcut {
                    Shortcut::Projection
                } else {
                    Shortcut::None
                })
                .with_width(b.width);
            resnet.num_classes = 0;
            resnet.in_channels = 0;
            resnet.image_size = 0;
            let config = run_config(BaseRun {
                model: ModelConfig::ResNet(resnet),
                full,
                data_dir: data_dir.clone(),
                train_samples: b.train_samples,
                test_samples: b.test_samples,
                schedule: b.schedule.clone(),
                lr: b.lr,
                epochs: b.epochs,
            })?;
            arms.push(Arm {
                label: label(depth, shortcut),
                what: format!(
                    "ResNet-{depth} at width {}, {}",
                    b.width,
                    if shortcut {
                        "with its shortcuts (1x1 projections where the shape changes)"
                    } else {
                        "without shortcuts (the same layers, no residual additions)"
                    }
                ),
                config,
                train_to: None,
            });
        }
    }
    let data = if full {
        "CIFAR-10 with 4-pixel crops and flips".to_string()
    } else {
        format!(
            "{} Fashion-MNIST training images (a subset drawn by each run's seed; the first {} \
             test images)",
            b.train_samples.unwrap_or(60_000),
            b.test_samples.unwrap_or(10_000)
        )
    };
    let schedule = match &b.schedule {
        ScheduleConfig::MultiStep { .. } => "the rate times 0.1 at epochs 150, 225 and 275",
        _ => "the rate annealed by a cosine to 0",
    };
    let m = &b.measures;
    let map = match m.map_grid {
        Some(n) => format!(
            "the map of |lambda_min / lambda_max| of the full Hessian (Lanczos, {} steps, on \
             {} training images) on a {n}x{n} grid of the same plane, for the first seed only",
            m.map_iterations, m.map_samples
        ),
        None => "no curvature map at this scale".into(),
    };
    Ok(Protocol {
        study: StudyName::SkipConnections,
        scale,
        claim: "Shortcut connections keep the loss landscape of deep networks smooth and \
                convex-looking around the minimum; without them the landscape becomes chaotic \
                and non-convex as depth grows (ResNet-20 without shortcuts is still fairly \
                convex, ResNet-56 without shortcuts is not)."
            .into(),
        source: "Li et al. 2018, Visualizing the Loss Landscape of Neural Nets \
                 (arXiv:1712.09913), Sec. 5-6, Figs. 5 and 7 (ResNet-20/56/110 with and \
                 without shortcuts on CIFAR-10)"
            .into(),
        description: format!(
            "ResNet-20 and ResNet-56 at width {width} with and without shortcuts on {data}, \
             {epochs} epochs, batch 128, SGD with momentum 0.9 and weight decay 5e-4 from a \
             rate of {lr}, {schedule}; seeds {seeds:?}. Measured on each run: the training \
             loss on a {grid}x{grid} grid of the plane [-1, 1]^2 of two filter-normalized \
             random directions (seeded by the run's seed; biases and batch norm fixed; \
             running statistics kept) on {samples} of the run's own training images (the \
             first of the same seeded draw, so inside the subset it trained on); from it, the share of the grid's interior points where the surface is not locally \
             convex (the smaller eigenvalue of its 3-point finite-difference Hessian on the \
             grid is negative and at least {ratio} of the larger one in size; both below \
             {flat} count as flat, hence convex) and the number of strict local minima among \
             the interior points (lower than all 8 neighbours); and {map}. Differences from \
             Li et al.: narrower networks and a Fashion-MNIST subset below the full scale, \
             fewer epochs, a coarser grid, a subset of the training set per point (they use \
             all of it), no ResNet-110.",
            width = b.width,
            epochs = b.epochs,
            lr = b.lr,
            seeds = b.seeds,
            grid = m.grid,
            samples = m.samples,
            ratio = RATIO_THRESHOLD,
            flat = FLAT,
        ),
        verdict_rule: "On the non-convex share of the plane (mean and sample sd over seeds): \
                       reproduced if (1) ResNet-56 without shortcuts has a larger share than \
                       ResNet-56 with shortcuts by more than the larger of their sds, and (2) \
                       removing the shortcuts raises the share more at depth 56 than at depth \
                       20 (the difference of differences is positive by more than the larger \
                       sd of the four arms); not reproduced if (1) is contradicted by its \
                       margin; mixed otherwise. The local minima and the ratio map are \
                       reported, not judged."
            .into(),
        seeds: b.seeds,
        arms,
        measures: Some(Measures::SkipConnections(b.measures)),
    })
}

/// Scans the trained run in `folder` on its plane (and, for the first seed, maps the
/// curvature ratio there); each file is kept in the folder and resumed or read back when the
/// study resumes. Returns `nonconvex_share`, `local_minima`, `centre_loss` and, with a map,
/// `map_nonconvex_share`.
///
/// # Errors
///
/// The landscape tools' errors, naming the file or option.
pub fn measure(
    m: &SkipMeasures,
    seed: u64,
    first_seed: bool,
    folder: &Path,
    device: &Device,
) -> Result<BTreeMap<String, f64>, StudyError> {
    let axis = Axis::new(-1.0, 1.0, m.grid)?;
    let plane = folder.join(PLANE_FILE);
    let scan = run_job(
        &ScanJob {
            kind: ScanKind::Random,
            checkpoints: vec![folder.to_path_buf()],
            imported: None,
            grid: Grid {
                x: axis,
                y: Some(axis),
            },
            directions: DirectionChoice::Random(DirectionConfig {
                seed,
                normalization: Normalization::Filter,
                bias_bn: BiasBn::Ignore,
                orthogonalize: false,
            }),
            plane_axes: PlaneAxes::default(),
            // The first `samples` of the permutation the run's seed drew its training subset
            // from: images it trained on (descent_data::ImageDataset::random_subset).
            eval: EvalOptions {
                samples: Some(m.samples),
                subset_seed: seed,
                batch_size: 500,
                training_images: TrainingImages::Split,
                ..EvalOptions::default()
            },
            out: plane.clone(),
            shard: None,
            options: ScanOptions::default(),
        },
        device,
        "cpu",
        &mut SilentScan,
    )?
    .file;
    let loss = scan
        .values
        .get("loss_train")
        .ok_or_else(|| StudyError::BadFile {
            path: plane.clone(),
            reason: "holds no loss_train".into(),
        })?;
    let shape = Shape::of(&scan);
    let mut out = BTreeMap::new();
    out.insert("nonconvex_share".to_string(), nonconvex_share(loss, shape));
    out.insert("local_minima".to_string(), local_minima(loss, shape) as f64);
    out.insert("centre_loss".to_string(), loss[loss.len() / 2]);
    if let (Some(n), true) = (m.map_grid, first_seed) {
        let path = folder.join(MAP_FILE);
        let map = if path.is_file() {
            ScanFile::load(&path)?
        } else {
            // The map's plane is the scan's, on a coarser grid: a scan file of that grid
            // sharing the directions (no points evaluated, the map reads only its plane).
            let coarse = Axis::new(-1.0, 1.0, n)?;
            let mut meta = scan.meta.clone();
            meta.grid = Grid {
                x: coarse,
                y: Some(coarse),
            };
            let coarse_path = folder.join("ratio-map-plane.npz");
            ScanFile::new(meta).save(&coarse_path)?;
            let map = run_curvature_map_job(
                &CurvatureMapJob {
                    scan: coarse_path.clone(),
                    imported: None,
                    eval: EvalOptions {
                        samples: Some(m.map_samples),
                        subset_seed: seed,
                        batch_size: 500,
                        training_images: TrainingImages::Split,
                        ..EvalOptions::default()
                    },
                    eigen: EigenOptions {
                        max_iterations: m.map_iterations,
                        seed,
                        ..EigenOptions::default()
                    },
                    hvp: HvpOptions::default(),
                    out: path,
                },
                device,
                "cpu",
            )?;
            // Only the map's plane, no values: not a scan to keep beside the run.
            std::fs::remove_file(&coarse_path).map_err(|e| StudyError::Output {
                path: coarse_path.clone(),
                reason: format!("cannot remove: {e}"),
            })?;
            map
        };
        if let (Some(lmax), Some(lmin)) =
            (map.values.get("lambda_max"), map.values.get("lambda_min"))
        {
            let nonconvex = lmax
                .iter()
                .zip(lmin)
                .filter(|(hi, lo)| **lo < 0.0 && (**lo / **hi).abs() > RATIO_THRESHOLD)
                .count();
            out.insert(
                "map_nonconvex_share".to_string(),
                nonconvex as f64 / lmax.len().max(1) as f64,
            );
        }
    }
    Ok(out)
}

/// A 2-D grid's sizes and spacings (values in row-major order, `y` the row).
#[derive(Debug, Clone, Copy)]
struct Shape {
    nx: usize,
    ny: usize,
    hx: f64,
    hy: f64,
}

impl Shape {
    fn of(file: &ScanFile) -> Shape {
        let x = file.meta.grid.x;
        let y = file.meta.grid.y.unwrap_or(x);
        let step = |a: Axis| {
            if a.num > 1 {
                (a.max - a.min) / (a.num - 1) as f64
            } else {
                1.0
            }
        };
        Shape {
            nx: x.num,
            ny: y.num,
            hx: step(x),
            hy: step(y),
        }
    }
}

/// The share of interior points where the plane's finite-difference Hessian has a negative
/// eigenvalue at least [`RATIO_THRESHOLD`] of the other in size (flat points, both below
/// [`FLAT`], count as convex). Points next to a non-finite value are skipped.
fn nonconvex_share(f: &[f64], s: Shape) -> f64 {
    let at = |i: usize, j: usize| f[j * s.nx + i];
    let (mut counted, mut nonconvex) = (0usize, 0usize);
    for j in 1..s.ny.saturating_sub(1) {
        for i in 1..s.nx.saturating_sub(1) {
            let fxx = (at(i + 1, j) - 2.0 * at(i, j) + at(i - 1, j)) / (s.hx * s.hx);
            let fyy = (at(i, j + 1) - 2.0 * at(i, j) + at(i, j - 1)) / (s.hy * s.hy);
            let fxy = (at(i + 1, j + 1) - at(i + 1, j - 1) - at(i - 1, j + 1) + at(i - 1, j - 1))
                / (4.0 * s.hx * s.hy);
            if !(fxx.is_finite() && fyy.is_finite() && fxy.is_finite()) {
                continue;
            }
            let mean = 0.5 * (fxx + fyy);
            let radius = (0.25 * (fxx - fyy).powi(2) + fxy * fxy).sqrt();
            let (lo, hi) = (mean - radius, mean + radius);
            counted += 1;
            let flat = lo.abs() < FLAT && hi.abs() < FLAT;
            if !flat && lo < 0.0 && (hi <= 0.0 || -lo >= RATIO_THRESHOLD * hi) {
                nonconvex += 1;
            }
        }
    }
    if counted == 0 {
        0.0
    } else {
        nonconvex as f64 / counted as f64
    }
}

/// Interior points strictly lower than all 8 neighbours.
fn local_minima(f: &[f64], s: Shape) -> usize {
    let at = |i: usize, j: usize| f[j * s.nx + i];
    let mut n = 0;
    for j in 1..s.ny.saturating_sub(1) {
        for i in 1..s.nx.saturating_sub(1) {
            let v = at(i, j);
            let lower = (0..3)
                .all(|dj| (0..3).all(|di| (di == 1 && dj == 1) || v < at(i + di - 1, j + dj - 1)));
            if v.is_finite() && lower {
                n += 1;
            }
        }
    }
    n
}

/// The verdict by the protocol's rule.
pub fn verdict(rows: &[Row]) -> (Verdict, String) {
    let share = |depth: usize, shortcut: bool| {
        rows.iter()
            .find(|r| r.label == label(depth, shortcut))
            .and_then(|r| r.measures.get("nonconvex_share").copied())
    };
    let (Some(s20), Some(n20), Some(s56), Some(n56)) = (
        share(20, true),
        share(20, false),
        share(56, true),
        share(56, false),
    ) else {
        return (Verdict::Mixed, "an arm's plane was not measured".into());
    };
    let sd = |s: crate::Spread| s.sd.unwrap_or(0.0);
    let gap56 = n56.mean - s56.mean;
    let margin56 = sd(n56).max(sd(s56));
    let gap20 = n20.mean - s20.mean;
    let growth = gap56 - gap20;
    let margin_all = [s20, n20, s56, n56].into_iter().map(sd).fold(0.0, f64::max);
    let one = gap56 > margin56;
    let two = growth > margin_all;
    let verdict = if one && two {
        Verdict::Reproduced
    } else if gap56 < -margin56 {
        Verdict::NotReproduced
    } else {
        Verdict::Mixed
    };
    (
        verdict,
        format!(
            "Non-convex share of the plane: ResNet-56 {:.3} without shortcuts vs {:.3} with \
             (difference {gap56:+.3}, margin {margin56:.3}: {}); ResNet-20 {:.3} vs {:.3} \
             (difference {gap20:+.3}); the difference grows with depth by {growth:+.3} (margin \
             {margin_all:.3}: {}).",
            n56.mean,
            s56.mean,
            if one { "holds" } else { "does not hold" },
            n20.mean,
            s20.mean,
            if two { "holds" } else { "does not hold" },
        ),
    )
}

/// Draws the first seed's contours (`contours-resnetN.svg`, with and without shortcuts side
/// by side on the same levels), 3-D surfaces (`surface-resnetN.svg`, the same planes as Li et
/// al.'s Fig. 5 surfaces) and ratio maps (`ratio-map-resnetN.svg`), from panels kept in
/// `panels/`.
///
/// # Errors
///
/// Unreadable scan files; plotting or write errors.
pub fn draw(results: &StudyResults, out: &Path) -> Result<(), StudyError> {
    let p = &results.protocol;
    let Some(&seed) = p.seeds.first() else {
        return Ok(());
    };
    let panels = out.join("panels");
    std::fs::create_dir_all(&panels).map_err(|e| StudyError::Output {
        path: panels.clone(),
        reason: format!("cannot make the folder: {e}"),
    })?;
    for depth in DEPTHS {
        let arms: Vec<&Arm> = [true, false]
            .iter()
            .filter_map(|&s| p.arms.iter().find(|a| a.label == label(depth, s)))
            .collect();
        for (file, metric, figure, what, style) in [
            (
                PLANE_FILE,
                "loss_train",
                "contours",
                "training loss",
                SurfaceStyle::Contour,
            ),
            (
                PLANE_FILE,
                "loss_train",
                "surface",
                "training loss",
                SurfaceStyle::Surface3d,
            ),
            (
                MAP_FILE,
                "curvature_ratio",
                "ratio-map",
                "|lambda_min / lambda_max|",
                SurfaceStyle::Contour,
            ),
        ] {
            let mut scans = Vec::new();
            for arm in &arms {
                let path = Protocol::run_folder(out, arm, seed).join(file);
                if path.is_file() {
                    scans.push((arm, ScanFile::load(&path)?));
                }
            }
            if scans.is_empty() {
                continue;
            }
            let finite = || {
                scans
                    .iter()
                    .flat_map(|(_, f)| f.values.get(metric).into_iter().flatten().copied())
                    .filter(|v| v.is_finite())
            };
            let low = finite().fold(f64::INFINITY, f64::min);
            // Li et al.'s contour and surface plots stop at a loss of 10.
            let cap = if metric == "loss_train" {
                10.0
            } else {
                f64::INFINITY
            };
            let high = finite().fold(f64::NEG_INFINITY, f64::max).min(cap);
            let mut files = Vec::new();
            for (arm, scan) in &scans {
                let mut plot = scan_surface_plot(scan, Some(metric), style, false)?;
                plot.title = format!("{}, seed {seed}: {what}", arm.label);
                if high > low {
                    plot.value_range = Some([low, high]);
                }
                plot.width = 560;
                plot.height = 500;
                let path = panels.join(format!("{figure}-{}.svg", arm.label));
                draw_surface(&plot, &path)?;
                files.push(path);
            }
            side_by_side(&files, &out.join(format!("{figure}-resnet{depth}.svg")))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(n: usize, f: impl Fn(f64, f64) -> f64) -> (Vec<f64>, Shape) {
        let h = 2.0 / (n - 1) as f64;
        let mut v = Vec::new();
        for j in 0..n {
            for i in 0..n {
                v.push(f(-1.0 + i as f64 * h, -1.0 + j as f64 * h));
            }
        }
        (
            v,
            Shape {
                nx: n,
                ny: n,
                hx: h,
                hy: h,
            },
        )
    }

    #[test]
    fn a_bowl_is_convex_a_saddle_is_not_and_ripples_have_many_minima() {
        // x^2 + 2 y^2: Hessian diag(2, 4) everywhere.
        let (bowl, s) = grid(11, |x, y| x * x + 2.0 * y * y);
        assert_eq!(nonconvex_share(&bowl, s), 0.0);
        assert_eq!(local_minima(&bowl, s), 1);
        // x^2 - y^2: Hessian diag(2, -2), ratio 1 everywhere.
        let (saddle, s) = grid(11, |x, y| x * x - y * y);
        assert_eq!(nonconvex_share(&saddle, s), 1.0);
        assert_eq!(local_minima(&saddle, s), 0);
        // x^2 - 0.01 y^2: ratio 0.005, below the threshold: counted convex.
        let (shallow, s) = grid(11, |x, y| x * x - 0.01 * y * y);
        assert_eq!(nonconvex_share(&shallow, s), 0.0);
        // A flat plane: convex.
        let (flat, s) = grid(11, |_, _| 0.3);
        assert_eq!(nonconvex_share(&flat, s), 0.0);
        // cos(3 pi x) cos(3 pi y) + bowl: minima at the cosine's troughs.
        let (ripples, s) = grid(41, |x, y| {
            (3.0 * std::f64::consts::PI * x).cos() * (3.0 * std::f64::consts::PI * y).cos()
                + 0.1 * (x * x + y * y)
        });
        assert!(
            local_minima(&ripples, s) >= 8,
            "{}",
            local_minima(&ripples, s)
        );
        let share = nonconvex_share(&ripples, s);
        assert!(share > 0.2 && share < 0.9, "{share}");
    }

    #[test]
    fn each_depth_runs_with_and_without_shortcuts_on_the_same_budget() {
        for scale in Scale::ALL {
            let p = protocol(scale, None).expect("valid");
            let labels: Vec<&str> = p.arms.iter().map(|a| a.label.as_str()).collect();
            assert_eq!(
                labels,
                [
                    "resnet20-short",
                    "resnet20-noshort",
                    "resnet56-short",
                    "resnet56-noshort"
                ]
            );
            for arm in &p.arms {
                let ModelConfig::ResNet(resnet) = &arm.config.model else {
                    panic!("{} is not a ResNet", arm.label);
                };
                assert_eq!(
                    resnet.shortcut == Shortcut::None,
                    arm.label.ends_with("noshort")
                );
                assert_eq!(arm.config.training.epochs, p.arms[0].config.training.epochs);
            }
            assert!(p.seeds.len() >= 2, "a spread needs two seeds");
        }
    }

    #[test]
    fn the_rule_needs_the_gap_at_depth_56_and_its_growth_with_depth() {
        let row = |label: &str, share: [f64; 2]| {
            let mut r = Row::of_accuracies(label, &[0.9, 0.9]).expect("row");
            r.measures.insert(
                "nonconvex_share".into(),
                crate::Spread::of(&share).expect("share"),
            );
            r
        };
        let rows = |n56: [f64; 2]| {
            vec![
                row("resnet20-short", [0.05, 0.07]),
                row("resnet20-noshort", [0.10, 0.12]),
                row("resnet56-short", [0.05, 0.07]),
                row("resnet56-noshort", n56),
            ]
        };
        assert_eq!(verdict(&rows([0.40, 0.42])).0, Verdict::Reproduced);
        // A gap at 56 no larger than at 20: mixed.
        assert_eq!(verdict(&rows([0.10, 0.12])).0, Verdict::Mixed);
        let (v, reason) = verdict(&rows([0.0, 0.0]));
        assert_eq!(v, Verdict::NotReproduced, "{reason}");
    }
}
