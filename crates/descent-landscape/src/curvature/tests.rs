//! The estimators against Hessians known exactly: a linear model with squared error (whose
//! Hessian is `(2/n) X~^T X~` per output) and quadratics with a negative eigenvalue (saddles),
//! with eigenvalues from `nalgebra`'s `SymmetricEigen`.

use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor, TensorData};
use nalgebra::{DMatrix, SymmetricEigen};

use super::*;
use crate::direction::BiasBn;
use crate::evaluator::{ClassifierEvaluator, PointEvaluator, PreparedSet};
use crate::test_utils::tiny_vgg;

/// A point `x` with the loss `0.5 x^T A x` (Hessian `A`).
#[derive(Module, Debug)]
struct Point {
    x: Param<Tensor<1>>,
}

fn point(values: &[f32], device: &Device) -> Point {
    Point {
        x: Param::from_tensor(Tensor::from_data(
            TensorData::new(values.to_vec(), [values.len()]),
            device,
        )),
    }
}

/// `0.5 x^T A x` as a [`ModuleObjective`].
fn quadratic(
    a: &DMatrix<f64>,
    x0: &[f32],
    device: &Device,
) -> ModuleObjective<Point, impl FnMut(&Point, usize) -> Tensor<1> + use<>> {
    let n = a.nrows();
    let values: Vec<f32> = (0..n * n).map(|k| a[(k / n, k % n)] as f32).collect();
    let matrix = Tensor::<2>::from_data(TensorData::new(values, [n, n]), &autodiff_device(device));
    ModuleObjective::new(point(x0, device), device, 1, move |p: &Point, _| {
        let x = p.x.val().reshape([n, 1]);
        (x.clone().transpose().matmul(matrix.clone().matmul(x)))
            .reshape([1])
            .mul_scalar(0.5)
    })
    .expect("one part")
}

/// A symmetric 4x4 matrix with eigenvalues of both signs.
fn saddle_matrix() -> DMatrix<f64> {
    DMatrix::from_row_slice(
        4,
        4,
        &[
            1.0, 0.4, -0.3, 0.2, //
            0.4, -2.5, 0.5, 0.1, //
            -0.3, 0.5, 0.8, -0.6, //
            0.2, 0.1, -0.6, 2.0,
        ],
    )
}

fn sorted_eigenvalues(m: &DMatrix<f64>) -> Vec<f64> {
    let mut e: Vec<f64> = SymmetricEigen::new(m.clone())
        .eigenvalues
        .iter()
        .copied()
        .collect();
    e.sort_by(|a, b| a.total_cmp(b));
    e
}

fn options(seed: u64) -> CurvatureOptions {
    CurvatureOptions {
        top_k: 2,
        bottom_k: 1,
        eigen: EigenOptions {
            max_iterations: 500,
            // Finite-difference products in f32 carry ~1e-5 relative noise, so the residual
            // cannot fall far below it; 1e-4 still pins the eigenvalues to 1e-3.
            tol: 1e-4,
            seed,
            ..EigenOptions::default()
        },
        trace: TraceOptions {
            min_draws: 200,
            max_draws: 200,
            deflate: false,
            seed,
            ..TraceOptions::default()
        },
        ..CurvatureOptions::default()
    }
}

#[test]
fn saddle_extreme_eigenvalues_and_trace_match_the_exact_ones() {
    let device = Device::flex();
    let a = saddle_matrix();
    let exact = sorted_eigenvalues(&a);
    let (min, max) = (exact[0], exact[3]);
    assert!(min < 0.0 && max > 0.0 && min.abs() > max.abs(), "{exact:?}");
    let mut objective = quadratic(&a, &[0.3, -0.2, 0.5, 0.1], &device);
    let theta = objective.params();
    for method in [EigenMethod::Lanczos, EigenMethod::Power] {
        let mut o = options(3);
        o.eigen.method = method;
        let report = analyze(&mut objective, &theta, &o).expect("analysis");
        assert!((report.lambda_min.value - min).abs() < 1e-3, "{report:?}");
        assert!((report.lambda_max.value - max).abs() < 1e-3, "{report:?}");
        assert!(
            (report.largest[1].value - exact[2]).abs() < 1e-3,
            "{report:?}"
        );
        assert!(report.largest.iter().all(|e| e.converged), "{report:?}");
        assert!(report.lambda_min.converged, "{report:?}");
        let ratio = (min / max).abs();
        assert!((report.ratio.expect("lambda_max > 0") - ratio).abs() < 1e-3);
    }
    let report = analyze(&mut objective, &theta, &options(3)).expect("analysis");
    let trace = a.trace();
    let se = report.trace.std_error;
    assert!(
        (report.trace.mean - trace).abs() < 4.0 * se + 1e-3,
        "trace {} vs {trace}, se {se}",
        report.trace.mean
    );
    // The variance of one draw is 2 sum_{i != j} a_ij^2.
    let off: f64 = (0..4)
        .flat_map(|i| (0..4).map(move |j| (i, j)))
        .filter(|(i, j)| i != j)
        .map(|(i, j)| a[(i, j)].powi(2))
        .sum();
    let expected_se = (2.0 * off / 200.0).sqrt();
    assert!(
        (se / expected_se - 1.0).abs() < 0.3,
        "se {se} vs {expected_se}"
    );
    // The gradient of 0.5 x^T A x is A x.
    let x = nalgebra::DVector::from_vec(vec![0.3, -0.2, 0.5, 0.1]);
    assert!((report.gradient_norm - (&a * &x).norm()).abs() < 1e-5);
    assert!((report.loss - 0.5 * x.dot(&(&a * &x))).abs() < 1e-6);
}

#[test]
fn positive_dominant_spectrum_gives_the_most_negative_by_the_shift() {
    let device = Device::flex();
    let mut a = saddle_matrix();
    a[(3, 3)] = 4.0;
    a[(1, 1)] = -0.7;
    let exact = sorted_eigenvalues(&a);
    assert!(exact[3] > exact[0].abs() && exact[0] < 0.0, "{exact:?}");
    let mut objective = quadratic(&a, &[0.0; 4], &device);
    let theta = objective.params();
    for method in [EigenMethod::Lanczos, EigenMethod::Power] {
        let mut o = options(5);
        o.eigen.method = method;
        let report = analyze(&mut objective, &theta, &o).expect("analysis");
        assert!(
            (report.lambda_max.value - exact[3]).abs() < 1e-3,
            "{report:?}"
        );
        assert!(
            (report.lambda_min.value - exact[0]).abs() < 1e-3,
            "{report:?}"
        );
    }
}

/// `n` samples of `d_in` features, and targets for `d_out` outputs, from formulas.
fn regression_data(n: usize, d_in: usize, d_out: usize) -> (Vec<f32>, Vec<f32>) {
    let x = (0..n * d_in)
        .map(|k| ((k as f64 * 0.7).sin() + 0.3 * (k % 3) as f64) as f32)
        .collect();
    let y = (0..n * d_out)
        .map(|k| ((k as f64 * 1.3).cos()) as f32)
        .collect();
    (x, y)
}

#[test]
fn linear_mse_top_eigenvalues_and_trace_match_the_closed_form() {
    let (n, d_in, d_out) = (12, 3, 2);
    let device = Device::flex();
    let ad = autodiff_device(&device);
    let (xs, ys) = regression_data(n, d_in, d_out);
    let linear: Linear = LinearConfig::new(d_in, d_out).init(&device);
    let x = Tensor::<2>::from_data(TensorData::new(xs.clone(), [n, d_in]), &ad);
    let y = Tensor::<2>::from_data(TensorData::new(ys, [n, d_out]), &ad);
    // Loss: mean over samples of the squared error summed over outputs.
    let mut objective = ModuleObjective::new(linear, &device, 1, move |m: &Linear, _| {
        (m.forward(x.clone()) - y.clone())
            .powi_scalar(2)
            .sum_dim(1)
            .mean()
    })
    .expect("one part");
    let theta = objective.params();
    // Each output's column of [W; b] sees the Hessian (2/n) X~^T X~, X~ = [X, 1]; the whole
    // Hessian is d_out copies of it (block diagonal).
    let xt = DMatrix::from_fn(n, d_in + 1, |i, j| {
        if j < d_in {
            f64::from(xs[i * d_in + j])
        } else {
            1.0
        }
    });
    let block = xt.transpose() * &xt * (2.0 / n as f64);
    let block_eigen = sorted_eigenvalues(&block);
    let mut exact: Vec<f64> = block_eigen
        .iter()
        .flat_map(|&e| std::iter::repeat_n(e, d_out))
        .collect();
    exact.sort_by(|a, b| b.total_cmp(a));
    let trace = d_out as f64 * block.trace();
    // Every eigenvalue is repeated d_out times: one Lanczos run sees each once; the second,
    // deflated run finds the copies.
    let mut o = CurvatureOptions {
        top_k: 3,
        ..options(11)
    };
    o.eigen.second_pass = true;
    let report = analyze(&mut objective, &theta, &o).expect("analysis");
    for (k, e) in report.largest.iter().enumerate() {
        assert!(
            (e.value - exact[k]).abs() < 2e-3 * exact[0],
            "eigenvalue {k}: {} vs {}",
            e.value,
            exact[k]
        );
    }
    assert!((report.lambda_max.value - exact[0]).abs() < 2e-3 * exact[0]);
    let smallest = exact[exact.len() - 1];
    assert!(
        (report.lambda_min.value - smallest).abs() < 5e-3 * exact[0],
        "{} vs {smallest}",
        report.lambda_min.value
    );
    let se = report.trace.std_error;
    assert!(
        (report.trace.mean - trace).abs() < 4.0 * se + 1e-4 * trace,
        "trace {} vs {trace} (se {se})",
        report.trace.mean
    );
    assert_eq!(report.parameters, d_in * d_out + d_out);
}

#[test]
fn filter_normalized_sharpness_of_a_diagonal_quadratic_is_exact() {
    // 0.5 sum a_i x_i^2 over the box |delta_i| <= eps |x_i| (1-D weights: each element is a
    // filter) is largest at the corner pushing every |x_i| out: (1 + eps)^2 L.
    let device = Device::flex();
    let a = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![2.0, 0.5, 3.0]));
    let x0 = [0.4f32, -1.2, 0.7];
    let mut objective = quadratic(&a, &x0, &device);
    let theta = objective.params();
    let eps = 0.05;
    let options = SharpnessOptions {
        definition: SharpnessDefinition::FilterNormalized,
        epsilon: eps,
        steps: 5,
        ..SharpnessOptions::default()
    };
    let s = sharpness(&mut objective, &theta, &options).expect("sharpness");
    let loss: f64 = (0..3)
        .map(|i| 0.5 * a[(i, i)] * f64::from(x0[i]).powi(2))
        .sum();
    let max = (1.0 + eps).powi(2) * loss;
    assert!((s.loss - loss).abs() < 1e-6);
    assert!((s.max_loss - max).abs() < 1e-5, "{} vs {max}", s.max_loss);
    let want = 100.0 * (max - loss) / (1.0 + loss);
    assert!((s.value - want).abs() < 1e-3, "{} vs {want}", s.value);
    assert_eq!(s.gradients, 3 * 5);
}

#[test]
fn box_widths_are_filter_normalized() {
    let device = Device::flex();
    let model = tiny_vgg(&device);
    let theta = crate::ParamVector::from_module(&model);
    let widths = sharpness::box_half_widths(
        &theta,
        &SharpnessOptions {
            definition: SharpnessDefinition::FilterNormalized,
            epsilon: 0.1,
            bias_bn: BiasBn::Ignore,
            ..SharpnessOptions::default()
        },
    );
    for (w, t) in widths.entries().iter().zip(theta.entries()) {
        let wn = w
            .value
            .clone()
            .powi_scalar(2)
            .sum()
            .into_scalar::<f64>()
            .sqrt();
        if w.info.kind == crate::ParamKind::Weight {
            // Every filter of the corner has norm 0.1 |theta_f|, so the whole tensor too.
            let tn = t
                .value
                .clone()
                .powi_scalar(2)
                .sum()
                .into_scalar::<f64>()
                .sqrt();
            assert!((wn - 0.1 * tn).abs() < 1e-4 * tn, "{}", w.info.path);
        } else {
            assert_eq!(wn, 0.0, "{}", w.info.path);
        }
    }
}

fn classes_data() -> descent_data::ImageDataset {
    let images: Vec<f32> = (0..30 * 64)
        .map(|i| ((i * 37 % 23) as f32 / 11.0) - 1.0)
        .collect();
    let labels: Vec<usize> = (0..30).map(|i| i % 3).collect();
    descent_data::ImageDataset::from_f32(
        "points",
        descent_data::ImageShape::new(1, 8, 8),
        3,
        images,
        labels,
    )
    .expect("valid set")
}

#[test]
fn classifier_objective_is_the_eval_mode_loss_and_its_gradient() {
    // Batch norm in eval mode: the autodiff objective's loss is the scan evaluator's, and its
    // gradient is the derivative of that loss (checked along a direction).
    let device = Device::flex();
    let model = tiny_vgg(&device).valid();
    let set = PreparedSet::new(
        "train",
        &classes_data(),
        &descent_data::ImageBatcher::new(None, None, 0),
        8,
        &device,
    )
    .expect("set");
    let mut evaluator = ClassifierEvaluator::new(vec![set.clone()]);
    let want = PointEvaluator::evaluate(&mut evaluator, &model).expect("evaluate")[0];
    let mut objective =
        classifier_objective(model, &set, &device, Precision::F32).expect("objective");
    let theta = objective.params();
    let (loss, grad) = objective.gradient(&theta).expect("gradient");
    assert!(
        (loss - want).abs() < 1e-5 * (1.0 + want),
        "{loss} vs {want}"
    );
    let before = crate::ParamVector::from_module(&tiny_vgg(&device));
    let direction = crate::direction::gaussian_like(&theta, 9);
    let direction = direction.scale(1.0 / direction.norm());
    let h = 1e-2;
    let up = objective
        .loss(&theta.axpy(h, &direction).expect("axpy"))
        .expect("loss");
    let down = objective
        .loss(&theta.axpy(-h, &direction).expect("axpy"))
        .expect("loss");
    let numeric = (up - down) / (2.0 * h);
    let analytic = grad.dot(&direction).expect("dot");
    assert!(
        (numeric - analytic).abs() < 2e-2 * (analytic.abs() + 1e-2),
        "{numeric} vs {analytic}"
    );
    // Running statistics never move.
    let after = objective.params();
    for (a, b) in after.entries().iter().zip(before.entries()) {
        if a.info.kind == crate::ParamKind::Buffer {
            let diff = (a.value.clone() - b.value.clone())
                .abs()
                .max()
                .into_scalar::<f32>();
            assert_eq!(diff, 0.0, "{}", a.info.path);
        }
    }
}

#[test]
fn bad_options_are_named() {
    let device = Device::flex();
    let mut objective = quadratic(&saddle_matrix(), &[0.1; 4], &device);
    let theta = objective.params();
    let d = CurvatureOptions::default;
    for (bad, field) in [
        (CurvatureOptions { top_k: 0, ..d() }, "top_k"),
        (CurvatureOptions { bottom_k: 5, ..d() }, "bottom_k"),
        (
            CurvatureOptions {
                trace: TraceOptions {
                    min_draws: 1,
                    ..TraceOptions::default()
                },
                ..d()
            },
            "trace draws",
        ),
        (
            CurvatureOptions {
                trace: TraceOptions {
                    rtol: 0.0,
                    ..TraceOptions::default()
                },
                ..d()
            },
            "trace_rtol",
        ),
        (
            CurvatureOptions {
                hvp: HvpOptions {
                    step: 0.0,
                    ..HvpOptions::default()
                },
                ..d()
            },
            "fd_step",
        ),
        (
            CurvatureOptions {
                eigen: EigenOptions {
                    tol: -1.0,
                    ..EigenOptions::default()
                },
                ..d()
            },
            "tol",
        ),
        (
            CurvatureOptions {
                eigen: EigenOptions {
                    max_iterations: 0,
                    ..EigenOptions::default()
                },
                ..d()
            },
            "iterations",
        ),
        (
            CurvatureOptions {
                sharpness: vec![SharpnessOptions {
                    epsilon: 0.0,
                    ..SharpnessOptions::default()
                }],
                ..d()
            },
            "sharpness_eps",
        ),
    ] {
        let err = analyze(&mut objective, &theta, &bad).expect_err("bad option");
        assert!(
            matches!(&err, LandscapeError::InvalidOption { field: f, .. } if *f == field),
            "{field}: {err}"
        );
    }
    let other = crate::ParamVector::from_module(&tiny_vgg(&device));
    let err = analyze(&mut objective, &other, &CurvatureOptions::default()).expect_err("layout");
    assert!(matches!(err, LandscapeError::Mismatch { .. }), "{err}");
}

#[test]
fn curvature_file_round_trips() {
    let device = Device::flex();
    let mut objective = quadratic(&saddle_matrix(), &[0.1, 0.2, -0.1, 0.3], &device);
    let theta = objective.params();
    let report = analyze(
        &mut objective,
        &theta,
        &CurvatureOptions {
            sharpness: SharpnessDefinition::ALL
                .iter()
                .map(|&definition| SharpnessOptions {
                    definition,
                    ..SharpnessOptions::default()
                })
                .collect(),
            per_layer: true,
            ..CurvatureOptions::default()
        },
    )
    .expect("analysis");
    assert_eq!(report.sharpness.len(), 3);
    assert_eq!(report.layers.len(), 1);
    let file = CurvatureFile {
        format: file::CURVATURE_FORMAT.into(),
        version: file::CURVATURE_VERSION,
        checkpoint: "none".into(),
        model: serde_json::Value::Null,
        model_description: "quadratic".into(),
        eval: crate::scan_file::example_meta(
            crate::Grid {
                x: "0:1:2".parse().expect("axis"),
                y: None,
            },
            &[],
        )
        .eval,
        accuracy: 0.5,
        options: CurvatureOptions::default(),
        report,
        device: "flex".into(),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.npz");
    file.save(&path).expect("save");
    assert_eq!(CurvatureFile::load(&path).expect("load"), file);
    let npz = crate::npz::Npz::from_bytes(&std::fs::read(&path).expect("read")).expect("npz");
    for name in [
        "largest_residuals",
        "smallest_converged",
        "trace_converged",
        "layer_trace",
        "sharpness_keskar",
        "sharpness_filter-normalized",
        "sharpness_adaptive_max_loss",
    ] {
        assert!(npz.arrays.contains_key(name), "{name}");
    }
    let scan = dir.path().join("scan.npz");
    crate::ScanFile::new(crate::scan_file::example_meta(
        crate::Grid {
            x: "0:1:2".parse().expect("axis"),
            y: None,
        },
        &["loss_train"],
    ))
    .save(&scan)
    .expect("save");
    let err = CurvatureFile::load(&scan).expect_err("a scan file");
    assert!(matches!(err, LandscapeError::BadFile { .. }), "{err}");
}

/// A quadratic's Hessian is the same everywhere, so every point of the map holds the exact
/// extreme eigenvalues of `a` and the ratio |min / max| (nalgebra's eigendecomposition).
#[test]
fn curvature_map_of_a_quadratic_is_its_exact_ratio_everywhere() {
    let device = Device::flex();
    let a = saddle_matrix();
    let exact = sorted_eigenvalues(&a);
    let mut objective = quadratic(&a, &[0.3, -0.2, 0.5, 0.1], &device);
    let centre = objective.params();
    let direction = |v: [f32; 4]| {
        let mut p = objective.params();
        p = p.scale(0.0);
        p.axpy(
            1.0,
            &crate::vector::ParamVector::from_module(&point(&v, &device)),
        )
        .expect("same layout")
    };
    let (d, e) = (
        direction([1.0, 0.0, 0.5, 0.0]),
        direction([0.0, 1.0, 0.0, -0.5]),
    );
    let points = [(-1.0, -1.0), (0.0, 0.0), (1.0, 0.5)];
    let eigen = EigenOptions {
        max_iterations: 500,
        tol: 1e-4,
        seed: 1,
        ..EigenOptions::default()
    };
    let map = map::extreme_eigenvalues_on_plane(
        &mut objective,
        &centre,
        &d,
        &e,
        &points,
        &eigen,
        &HvpOptions::default(),
    )
    .expect("map");
    assert_eq!(map.len(), 3);
    for p in &map {
        assert!((p.lambda_max - exact[3]).abs() < 1e-3, "{p:?} vs {exact:?}");
        assert!((p.lambda_min - exact[0]).abs() < 1e-3, "{p:?} vs {exact:?}");
        assert!(
            (p.ratio() - (exact[0] / exact[3]).abs()).abs() < 1e-3,
            "{p:?}"
        );
        assert!(p.converged, "{p:?}");
    }
}
