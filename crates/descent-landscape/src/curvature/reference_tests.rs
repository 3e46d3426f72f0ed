//! The curvature estimators against the exact Hessian of an MLP 8-40-40-4 (tanh, 2164
//! parameters) at a point with eigenvalues of both signs, computed in float64 by PyTorch's
//! double backward: `reference/mlp_hessian.py` wrote `reference/mlp_hessian.npz` (the weights,
//! the data, the exact spectrum, traces and per-layer blocks; see the script's docstring).
//! The model and data are loaded from that file into our own MLP and objective, so this is
//! the path `descent landscape curvature` takes, checked against an independent computation.

use burn::module::Module;
use burn::tensor::Device;
use descent_data::{ImageBatcher, ImageDataset, ImageShape};
use descent_models::{Activation, MlpConfig, Model, ModelConfig};

use super::*;
use crate::curvature::flat::norm;
use crate::evaluator::PreparedSet;
use crate::npz::{NpyData, Npz};

/// The reference file.
fn reference() -> Npz {
    Npz::from_bytes(include_bytes!("reference/mlp_hessian.npz")).expect("numpy's npz")
}

/// The array `name` of a reference file as f64 values (also read by `conv_reference_tests`).
pub(super) fn f64s(npz: &Npz, name: &str) -> Vec<f64> {
    match &npz.arrays[name].data {
        NpyData::F64(v) => v.clone(),
        NpyData::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        other => panic!("{name}: {other:?}"),
    }
}

fn scalar(npz: &Npz, name: &str) -> f64 {
    f64s(npz, name)[0]
}

/// The reference MLP (tanh) with its weights, and its loss as an objective over the
/// reference data (four batches of 16, so the objective's sum over parts is exercised too).
fn objective(precision: Precision) -> (ModelObjective, ParamVector) {
    let (model, set, theta) = reference_model(Activation::Tanh);
    let objective = model_objective(model, &set, &Device::flex(), precision).expect("objective");
    (objective, theta)
}

/// The reference MLP with `activation` at the reference weights, the reference data, and the
/// weights.
fn reference_model(activation: Activation) -> (Model, PreparedSet, ParamVector) {
    let npz = reference();
    let device = Device::flex();
    let model = ModelConfig::from(MlpConfig::new(8, vec![40, 40], 4).with_activation(activation))
        .init(&device)
        .expect("valid config");
    let layout = ParamVector::from_module(&model).infos();
    let names = ["w0", "b0", "w1", "b1", "w2", "b2"];
    let paths: Vec<&str> = layout.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "Mlp.hidden.0.weight",
            "Mlp.hidden.0.bias",
            "Mlp.hidden.1.weight",
            "Mlp.hidden.1.bias",
            "Mlp.output.weight",
            "Mlp.output.bias"
        ]
    );
    let values = names
        .iter()
        .map(|n| match &npz.arrays[*n].data {
            NpyData::F32(v) => v.clone(),
            other => panic!("{n}: {other:?}"),
        })
        .collect();
    let theta = ParamVector::from_host(&layout, values, &device).expect("shapes");
    let model = theta.load_into(model, false).expect("layout").valid();
    let set = reference_set(&npz, "", ImageShape::new(1, 2, 4), 4, &device);
    (model, set, theta)
}

/// The data of a reference file, `{prefix}x` (float32 images of `shape`) and `{prefix}labels`
/// (int64, `classes` of them), in batches of 16 (so the objective's sum over parts is
/// exercised). Also read by `conv_reference_tests`.
pub(super) fn reference_set(
    npz: &Npz,
    prefix: &str,
    shape: ImageShape,
    classes: usize,
    device: &Device,
) -> PreparedSet {
    let pixels = match &npz.arrays[&format!("{prefix}x")].data {
        NpyData::F32(v) => v.clone(),
        other => panic!("x: {other:?}"),
    };
    let labels = match &npz.arrays[&format!("{prefix}labels")].data {
        NpyData::I64(v) => v.iter().map(|&l| l as usize).collect(),
        other => panic!("labels: {other:?}"),
    };
    let data =
        ImageDataset::from_f32("reference", shape, classes, pixels, labels).expect("valid set");
    PreparedSet::new(
        "train",
        &data,
        &ImageBatcher::new(None, None, 0),
        16,
        device,
    )
    .expect("set")
}

#[test]
fn loss_and_gradient_are_pytorchs() {
    let npz = reference();
    for precision in [Precision::F32, Precision::F64] {
        let (mut objective, theta) = objective(precision);
        let layout = FlatLayout::new(&theta.infos());
        let theta = layout
            .unflatten(&layout.flatten(&theta).expect("flat"), &theta, precision)
            .expect("cast");
        let (loss, g) = objective.gradient(&theta).expect("gradient");
        let g = norm(&layout.flatten(&g).expect("flat"));
        let tol = if precision == Precision::F64 {
            1e-12
        } else {
            1e-6
        };
        assert!(
            (loss - scalar(&npz, "loss")).abs() < tol,
            "{precision}: {loss}"
        );
        let want = scalar(&npz, "gradient_norm");
        assert!(
            (g - want).abs() < tol * 10.0 * want,
            "{precision}: {g} vs {want}"
        );
    }
}

/// The relative error `|H v - (H v)_exact| / |(H v)_exact|` of one product.
fn hvp_error(options: &HvpOptions) -> f64 {
    let npz = reference();
    let (mut objective, theta) = objective(options.precision);
    let mut hessian = Hessian::new(&mut objective, &theta, options).expect("hessian");
    let probe = f64s(&npz, "probe");
    let exact = f64s(&npz, "hessian_probe");
    let hv = hessian.apply(&probe).expect("product");
    let diff: Vec<f64> = hv.iter().zip(&exact).map(|(a, b)| a - b).collect();
    norm(&diff) / norm(&exact)
}

/// The documented accuracy of Hessian-vector products at their default steps
/// (bench/README.md has the sweep over steps): f32 and f64, central and Richardson. f64 is
/// real double precision on Burn 0.22's flex backend: the loss matches PyTorch's float64 to
/// 1e-12 (`loss_and_gradient_are_pytorchs`).
#[test]
fn hessian_vector_products_are_accurate_to_their_documented_error() {
    let f32_central = hvp_error(&HvpOptions::default());
    let f32_richardson = hvp_error(&HvpOptions::new(Precision::F32, FdScheme::Richardson));
    let f64_central = hvp_error(&HvpOptions::new(Precision::F64, FdScheme::Central));
    let f64_richardson = hvp_error(&HvpOptions::new(Precision::F64, FdScheme::Richardson));
    eprintln!(
        "hvp relative error: f32 central {f32_central:.2e}, f32 richardson {f32_richardson:.2e}, \
         f64 central {f64_central:.2e}, f64 richardson {f64_richardson:.2e}"
    );
    // Measured 1.7e-4, 5.5e-5, 8.9e-11, 9.0e-13 (bench/README.md); a factor 3 of margin.
    assert!(f32_central < 5e-4, "{f32_central}");
    assert!(f32_richardson < 2e-4, "{f32_richardson}");
    assert!(f64_central < 3e-10, "{f64_central}");
    assert!(f64_richardson < 3e-11, "{f64_richardson}");
}

/// What `descent landscape curvature` computes by default (Lanczos, f32 central differences,
/// deflated Hutchinson), with three of the largest eigenvalues, against the exact spectrum.
#[test]
fn curvature_of_an_mlp_matches_its_exact_spectrum() {
    let npz = reference();
    let exact = f64s(&npz, "eigenvalues");
    let n = exact.len();
    let (mut objective, theta) = objective(Precision::F32);
    let options = CurvatureOptions {
        top_k: 3,
        bottom_k: 1,
        ..CurvatureOptions::default()
    };
    let report = analyze(&mut objective, &theta, &options).expect("analysis");
    eprintln!("{report:#?}");
    assert_eq!(report.parameters, n);
    for (k, e) in report.largest.iter().enumerate() {
        let want = exact[n - 1 - k];
        assert!(
            (e.value - want).abs() <= 1e-3 * want.abs(),
            "eigenvalue {k}: {} vs {want}",
            e.value
        );
        assert!(e.converged, "{e:?}");
    }
    let want = exact[0];
    assert!(
        (report.lambda_min.value - want).abs() <= 1e-3 * want.abs(),
        "lambda_min {} vs {want}",
        report.lambda_min.value
    );
    assert!(report.lambda_min.converged);
    // The trace: within two reported standard errors. (Its eigenvalues of both signs
    // nearly cancel, tr H = 2.77 against |H|_F = 6.6, so the default 1% relative tolerance is
    // out of reach in 200 draws, and the estimate says so.)
    let trace = scalar(&npz, "trace");
    let t = &report.trace;
    assert!(
        (t.mean - trace).abs() <= 2.0 * t.std_error,
        "trace {} +- {} vs {trace}",
        t.mean,
        t.std_error
    );
    assert_eq!(t.converged, t.std_error <= t.options.rtol * t.mean.abs());
    assert!(!t.converged && t.draws.len() == t.options.max_draws);
}

/// The trace's reported standard error is the estimator's true one: plain Hutchinson's draws
/// have variance `2 (|H|_F^2 - sum_i H_ii^2)`, known exactly from PyTorch's Hessian.
#[test]
fn trace_standard_error_is_the_estimators_true_one() {
    let npz = reference();
    let (mut objective, theta) = objective(Precision::F32);
    let mut hessian = Hessian::new(&mut objective, &theta, &HvpOptions::default()).expect("h");
    let options = TraceOptions {
        min_draws: 300,
        max_draws: 300,
        deflate: false,
        seed: 3,
        ..TraceOptions::default()
    };
    let t = hutchinson_trace(&mut hessian, &[], &options).expect("trace");
    let exact_se = (scalar(&npz, "hutchinson_variance") / 300.0).sqrt();
    assert!(
        (t.std_error / exact_se - 1.0).abs() < 0.15,
        "reported {} vs exact {exact_se}",
        t.std_error
    );
    let trace = scalar(&npz, "trace");
    assert!(
        (t.mean - trace).abs() <= 3.0 * exact_se,
        "{} vs {trace}",
        t.mean
    );
}

/// Per-layer blocks against the exact blocks' extreme eigenvalues and traces.
#[test]
fn per_layer_curvature_matches_the_exact_blocks() {
    let npz = reference();
    let (mut objective, theta) = objective(Precision::F32);
    let mut hessian = Hessian::new(&mut objective, &theta, &HvpOptions::default()).expect("h");
    let layout = hessian.layout().clone();
    let layers = per_layer_curvature(
        &mut hessian,
        &layout,
        &EigenOptions::default(),
        &TraceOptions::default(),
    )
    .expect("layers");
    let names: Vec<&str> = layers.iter().map(|l| l.layer.as_str()).collect();
    assert_eq!(names, ["Mlp.hidden.0", "Mlp.hidden.1", "Mlp.output"]);
    let (max, min, trace) = (
        f64s(&npz, "block_max"),
        f64s(&npz, "block_min"),
        f64s(&npz, "block_trace"),
    );
    let scale = max.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    for (k, l) in layers.iter().enumerate() {
        assert!(
            (l.lambda_max.value - max[k]).abs() <= 1e-3 * max[k].abs(),
            "{}: {} vs {}",
            l.layer,
            l.lambda_max.value,
            max[k]
        );
        // The output block's smallest eigenvalue is 0 (softmax's shift invariance): compare
        // on the scale of the largest block eigenvalue.
        assert!(
            (l.lambda_min.value - min[k]).abs() <= 1e-3 * scale,
            "{}: {} vs {}",
            l.layer,
            l.lambda_min.value,
            min[k]
        );
        // Three standard errors: the seed is fixed, and across seeds the z-scores of these
        // estimates spread as a standard normal's.
        assert!(
            (l.trace.mean - trace[k]).abs() <= 3.0 * l.trace.std_error + 1e-6,
            "{}: {:?} vs {}",
            l.layer,
            l.trace,
            trace[k]
        );
    }
    assert_eq!(
        layers.iter().map(|l| l.parameters).sum::<usize>(),
        layout.dim()
    );
}

/// Stochastic Lanczos quadrature: the smoothed density integrates to 1 and the quadrature's
/// first two moments are the exact `tr(H) / n` and `tr(H^2) / n` within the probes' standard
/// error (the variance of one probe is Hutchinson's, known exactly from the full Hessian).
#[test]
fn spectral_density_integrates_to_one_and_has_the_exact_moments() {
    let npz = reference();
    let n = f64s(&npz, "eigenvalues").len() as f64;
    let (mut objective, theta) = objective(Precision::F32);
    let mut hessian = Hessian::new(&mut objective, &theta, &HvpOptions::default()).expect("h");
    let options = DensityOptions {
        steps: 80,
        probes: 4,
        ..DensityOptions::default()
    };
    let d = slq_density(&mut hessian, &options).expect("density");
    assert_eq!(d.products, 4 * 80);
    let integral = d.integral();
    assert!((integral - 1.0).abs() < 1e-3, "{integral}");
    for w in &d.weights {
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-10);
    }
    let probes = options.probes as f64;
    for (k, trace, variance) in [
        (1, "trace", "hutchinson_variance"),
        (2, "trace_h2", "hutchinson_variance_h2"),
    ] {
        let want = scalar(&npz, trace) / n;
        // One probe z / sqrt(n): variance / n^2; the mean of `probes` of them.
        let se = (scalar(&npz, variance) / probes).sqrt() / n;
        let got = d.moment(k);
        assert!(
            (got - want).abs() <= 3.0 * se,
            "moment {k}: {got} vs {want} (se {se})"
        );
    }
    // The nodes lie within the exact spectrum (Ritz values of a symmetric operator), up to
    // the products' error.
    let exact = f64s(&npz, "eigenvalues");
    let (lo, hi) = (exact[0], exact[exact.len() - 1]);
    for t in d.nodes.iter().flatten() {
        assert!(
            *t >= lo - 1e-3 && *t <= hi + 1e-3,
            "{t} outside [{lo}, {hi}]"
        );
    }
    // The extreme nodes of 80 steps are the extreme eigenvalues.
    let top = d
        .nodes
        .iter()
        .map(|t| t[t.len() - 1])
        .fold(f64::MIN, f64::max);
    assert!((top - hi).abs() < 1e-3 * hi, "{top} vs {hi}");
}

/// The relative error of one product with the ReLU network's Hessian, frozen or not.
fn relu_hvp_error(frozen: bool) -> f64 {
    let npz = reference();
    let (model, set, theta) = reference_model(Activation::Relu);
    let device = Device::flex();
    let probe = f64s(&npz, "probe");
    let exact = f64s(&npz, "hessian_probe_relu");
    let hv = if frozen {
        let mut objective = model_objective(model, &set, &device, Precision::F32).expect("o");
        let mut hessian = Hessian::new(&mut objective, &theta, &HvpOptions::default()).expect("h");
        hessian.apply(&probe).expect("product")
    } else {
        let mut objective =
            classifier_objective(model, &set, &device, Precision::F32).expect("objective");
        let mut hessian = Hessian::new(&mut objective, &theta, &HvpOptions::default()).expect("h");
        hessian.apply(&probe).expect("product")
    };
    let diff: Vec<f64> = hv.iter().zip(&exact).map(|(a, b)| a - b).collect();
    norm(&diff) / norm(&exact)
}

/// With ReLU, differences of gradients across the kinks are wrong by O(1)/h; with the
/// activation pattern frozen at the point they give autodiff's (PyTorch's) Hessian.
#[test]
fn relu_hessian_needs_the_activation_pattern_frozen() {
    let raw = relu_hvp_error(false);
    let frozen = relu_hvp_error(true);
    eprintln!("relu hvp relative error: across kinks {raw:.2e}, frozen {frozen:.2e}");
    assert!(raw > 0.1, "{raw}");
    assert!(frozen < 5e-4, "{frozen}");
    // The default measurement on the ReLU network against its exact spectrum.
    let npz = reference();
    let exact = f64s(&npz, "eigenvalues_relu");
    let n = exact.len();
    let (model, set, theta) = reference_model(Activation::Relu);
    let mut objective =
        model_objective(model, &set, &Device::flex(), Precision::F32).expect("objective");
    let options = CurvatureOptions {
        top_k: 3,
        ..CurvatureOptions::default()
    };
    let report = analyze(&mut objective, &theta, &options).expect("analysis");
    assert!(!objective.is_frozen(), "released after the measurement");
    for (k, e) in report.largest.iter().enumerate() {
        let want = exact[n - 1 - k];
        assert!(
            (e.value - want).abs() <= 1e-3 * want.abs() && e.converged,
            "eigenvalue {k}: {e:?} vs {want}"
        );
    }
    let want = exact[0];
    assert!(
        (report.lambda_min.value - want).abs() <= 1e-3 * want.abs(),
        "{:?} vs {want}",
        report.lambda_min
    );
    let trace = scalar(&npz, "trace_relu");
    assert!(
        (report.trace.mean - trace).abs() <= 2.0 * report.trace.std_error,
        "{:?} vs {trace}",
        report.trace
    );
}
