use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Int, Tensor, TensorData};
use descent_data::ImageBatch;
use descent_models::{Activation, ImageClassifier, MlpConfig, Model, ModelConfig};

use super::profile::{evaluate_paths, plane_path};
use super::train::{BendOptimizer, CurveSchedule, curve_step, sample_t};
use super::*;
use crate::evaluator::FnEvaluator;
use crate::vector::ParamVector;

const A_VALUES: fn(usize, usize) -> f64 =
    |j, k| 0.5 * (1.0 + 0.37 * j as f64 + 1.3 * k as f64).sin();
const C_VALUES: fn(usize, usize) -> f64 =
    |j, k| 0.5 * (0.5 + 0.23 * j as f64 + 0.7 * k as f64).cos();

/// A tanh MLP 4-5-3 (no weights of interest: a template).
fn tanh_mlp(device: &Device) -> Model {
    ModelConfig::from(MlpConfig::new(4, vec![5], 3).with_activation(Activation::Tanh))
        .init(device)
        .expect("valid config")
        .valid()
}

/// The point whose entry `k`, element `j` is `f(j, k)`, in `template`'s layout.
fn point(template: &Model, f: fn(usize, usize) -> f64, device: &Device) -> ParamVector {
    let infos = ParamVector::from_module_infos(template);
    let values = infos
        .iter()
        .enumerate()
        .map(|(k, info)| (0..info.numel()).map(|j| f(j, k) as f32).collect())
        .collect();
    ParamVector::from_host(&infos, values, device).expect("layout")
}

/// Batch `s` of the reference script: 6 samples of 4 features, classes `(n + s) mod 3`.
fn batch(s: usize, device: &Device) -> ImageBatch {
    let x: Vec<f32> = (0..6)
        .flat_map(|n| (0..4).map(move |i| ((0.3 * (s * 24 + n * 4 + i) as f64 + 0.1).sin()) as f32))
        .collect();
    let y: Vec<i64> = (0..6).map(|n| ((n + s) % 3) as i64).collect();
    ImageBatch {
        images: Tensor::from_data(TensorData::new(x, [6, 1, 1, 4]), device),
        targets: Tensor::<1, Int>::from_data(TensorData::new(y, [6]), device),
    }
}

fn flat(v: &ParamVector) -> Vec<f64> {
    v.to_host()
        .expect("host")
        .into_iter()
        .flatten()
        .map(f64::from)
        .collect()
}

// The bend's training checked against PyTorch autograd on the same parametrization and
// optimizer as Garipov et al.'s train.py (torch 2.x, float64):
//
// import torch, math
// torch.set_default_dtype(torch.float64)
// shapes = [(4, 5), (5,), (5, 3), (3,)]  # Burn's layout: Linear.weight is [in, out]
// def vals(k, shape, f):
//     n = math.prod(shape)
//     return torch.tensor([f(j, k) for j in range(n)]).reshape(shape)
// A = [vals(k, s, lambda j, k: 0.5 * math.sin(1.0 + 0.37 * j + 1.3 * k)) for k, s in enumerate(shapes)]
// C = [vals(k, s, lambda j, k: 0.5 * math.cos(0.5 + 0.23 * j + 0.7 * k)) for k, s in enumerate(shapes)]
// def batch(s):
//     x = torch.tensor([[math.sin(0.3 * (s * 24 + n * 4 + i) + 0.1) for i in range(4)] for n in range(6)])
//     y = torch.tensor([(n + s) % 3 for n in range(6)])
//     return x, y
// def mlp(w, x):
//     return torch.tanh(x @ w[0] + w[1]) @ w[2] + w[3]
// ts = [0.3, 0.75, 0.5, 0.1]
// lr, mu, wd = 0.1, 0.9, 0.01
// for kind in ["bezier", "chain"]:
//     B = [((a + c) / 2).clone().requires_grad_(True) for a, c in zip(A, C)]
//     opt = torch.optim.SGD(B, lr=lr, momentum=mu)  # their train.py: weight_decay=0 for curves
//     losses = []
//     for s, t in enumerate(ts):
//         if kind == "bezier":
//             ca, cb, cc = (1 - t) ** 2, 2 * t * (1 - t), t ** 2
//         else:  # PolyChain with 3 points: max(0, 1 - |2t - k|)
//             ca, cb, cc = [max(0.0, 1 - abs(2 * t - k)) for k in range(3)]
//         phi = [ca * a + cb * b + cc * c for a, b, c in zip(A, B, C)]
//         x, y = batch(s)
//         nll = torch.nn.functional.cross_entropy(mlp(phi, x), y)
//         loss = nll + 0.5 * wd * sum((p ** 2).sum() for p in phi)  # their l2_regularizer
//         opt.zero_grad(); loss.backward(); opt.step()
//         losses.append(nll.item())
//     print(kind, "losses", [round(l, 9) for l in losses])
//     print(kind, "bend", [round(v, 9) for b in B for v in b.detach().flatten().tolist()])
#[rustfmt::skip]
const BEZIER_LOSSES: [f64; 4] = [1.09900276, 1.103234106, 1.09963777, 1.105073428];
#[rustfmt::skip]
const BEZIER_BEND: [f64; 43] = [0.427628435, 0.430272749, 0.390960433, 0.308144516, 0.190003897, 0.051038386, -0.094779009, -0.233032017, -0.352768, -0.440727602, -0.484809474, -0.480418162, -0.430484263, -0.345011607, -0.234065247, -0.107518384, 0.021997204, 0.138969391, 0.229107073, 0.284833247, 0.275351127, 0.147794336, 0.00340012, -0.143789062, -0.277986941, -0.189517158, -0.314097557, -0.411665998, -0.459631219, -0.467504268, -0.435336317, -0.35610936, -0.254143206, -0.14120573, -0.016509409, 0.091739135, 0.171484882, 0.232847935, 0.258296878, 0.244568057, -0.460343668, -0.445670802, -0.398338829];
#[rustfmt::skip]
const CHAIN_LOSSES: [f64; 4] = [1.09900276, 1.103229837, 1.099611654, 1.10509498];
#[rustfmt::skip]
const CHAIN_BEND: [f64; 43] = [0.426709113, 0.429725633, 0.391314722, 0.308222732, 0.189315696, 0.050684012, -0.094274455, -0.231195809, -0.351062286, -0.440086903, -0.484249686, -0.479156677, -0.428125863, -0.343086059, -0.233726662, -0.107808518, 0.022241547, 0.140214346, 0.23004366, 0.284292274, 0.274363517, 0.147404113, 0.003645205, -0.143291728, -0.277277565, -0.189087254, -0.311360054, -0.413052346, -0.458415529, -0.464885281, -0.436541822, -0.354898371, -0.25222717, -0.142939548, -0.016028263, 0.092960192, 0.169214652, 0.232442497, 0.259320428, 0.242483626, -0.46070258, -0.443354817, -0.397784935];

fn check_bend_against_pytorch(kind: CurveKind, losses: &[f64; 4], bend: &[f64; 43]) {
    let device = Device::flex();
    let template = tanh_mlp(&device);
    let paths: Vec<String> = template_paths(&template);
    assert_eq!(
        paths,
        [
            "Mlp.hidden.0.weight",
            "Mlp.hidden.0.bias",
            "Mlp.output.weight",
            "Mlp.output.bias"
        ],
        "the reference script's parameter order"
    );
    let a = point(&template, A_VALUES, &device);
    let c = point(&template, C_VALUES, &device);
    let mut curve = Curve::new(kind, a.clone(), c.clone()).expect("layout");
    let mut optimizer = BendOptimizer::new(0.9, 0.01);
    for (s, t) in [0.3, 0.75, 0.5, 0.1].into_iter().enumerate() {
        let loss = curve_step(
            &template,
            &mut curve,
            &mut optimizer,
            t,
            &batch(s, &device),
            0.1,
            &device,
        )
        .expect("step");
        assert!(
            (loss - losses[s]).abs() < 1e-5,
            "{kind} step {s}: loss {loss} vs {}",
            losses[s]
        );
    }
    let ours = flat(&curve.bend);
    assert_eq!(ours.len(), bend.len());
    for (i, (o, r)) in ours.iter().zip(bend).enumerate() {
        assert!((o - r).abs() < 1e-5, "{kind} bend[{i}]: {o} vs PyTorch {r}");
    }
    // The end points never move.
    assert_eq!(flat(&curve.start), flat(&a));
    assert_eq!(flat(&curve.end), flat(&c));
}

fn template_paths(m: &Model) -> Vec<String> {
    ParamVector::from_module_infos(m)
        .into_iter()
        .map(|i| i.path)
        .collect()
}

#[test]
fn bezier_bend_training_matches_pytorch() {
    check_bend_against_pytorch(CurveKind::Bezier, &BEZIER_LOSSES, &BEZIER_BEND);
}

#[test]
fn chain_bend_training_matches_pytorch() {
    check_bend_against_pytorch(CurveKind::Chain, &CHAIN_LOSSES, &CHAIN_BEND);
}

/// The mean cross-entropy of the tanh MLP with flat weights `w` (Burn's layout) on `batch`,
/// by hand in f64: an independent forward pass.
fn reference_loss(w: &[f64], s: usize) -> f64 {
    let (w1, rest) = w.split_at(20);
    let (b1, rest) = rest.split_at(5);
    let (w2, b2) = rest.split_at(15);
    let mut total = 0.0;
    for n in 0..6 {
        let x: Vec<f64> = (0..4)
            .map(|i| (0.3 * (s * 24 + n * 4 + i) as f64 + 0.1).sin())
            .collect();
        let h: Vec<f64> = (0..5)
            .map(|o| ((0..4).map(|i| x[i] * w1[i * 5 + o]).sum::<f64>() + b1[o]).tanh())
            .collect();
        let z: Vec<f64> = (0..3)
            .map(|o| (0..5).map(|i| h[i] * w2[i * 3 + o]).sum::<f64>() + b2[o])
            .collect();
        let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = max + z.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        total += lse - z[(n + s) % 3];
    }
    total / 6.0
}

#[test]
fn path_losses_and_barriers_match_an_independent_forward_pass() {
    let device = Device::flex();
    let template = tanh_mlp(&device);
    let a = point(&template, A_VALUES, &device);
    let c = point(&template, C_VALUES, &device);
    let mut curve = Curve::new(CurveKind::Bezier, a.clone(), c.clone()).expect("layout");
    // A bend off the line: the midpoint plus a fixed offset.
    curve.bend = curve
        .bend
        .axpy(
            0.3,
            &point(
                &template,
                |j, k| ((j * 7 + k * 3) % 5) as f64 - 2.0,
                &device,
            ),
        )
        .expect("layout");
    let eval_batch = batch(2, &device);
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let mut evaluator = FnEvaluator::new(vec!["loss_train".into()], |m: &Model| {
        let logits = m.logits(eval_batch.images.clone());
        Ok(vec![
            loss_fn
                .forward(logits, eval_batch.targets.clone())
                .into_scalar::<f64>(),
        ])
    });
    let ts = curve_ts(11).expect("points");
    let mut seen = 0;
    let profiles = evaluate_paths(&template, &curve, &ts, &mut evaluator, &mut |d, _| seen = d)
        .expect("evaluate");
    assert_eq!(seen, 22);
    let (fa, fb, fc) = (flat(&a), flat(&curve.bend), flat(&c));
    let along = |coeffs: &dyn Fn(f64) -> [f64; 3]| -> Vec<f64> {
        ts.iter()
            .map(|&t| {
                let [x, y, z] = coeffs(t);
                let w: Vec<f64> = (0..fa.len())
                    .map(|i| x * fa[i] + y * fb[i] + z * fc[i])
                    .collect();
                reference_loss(&w, 2)
            })
            .collect()
    };
    let curve_ref = along(&|t| [(1.0 - t) * (1.0 - t), 2.0 * t * (1.0 - t), t * t]);
    let line_ref = along(&|t| [1.0 - t, 0.0, t]);
    for (ours, reference) in [
        (&profiles.curve.values["loss_train"], &curve_ref),
        (&profiles.line.values["loss_train"], &line_ref),
    ] {
        for (o, r) in ours.iter().zip(reference.iter()) {
            assert!((o - r).abs() < 1e-5, "{o} vs {r}");
        }
    }
    let barrier_of = |l: &[f64]| {
        l.iter().copied().fold(f64::NEG_INFINITY, f64::max) - 0.5 * (l[0] + l[l.len() - 1])
    };
    let (bc, bl) = (barrier_of(&curve_ref), barrier_of(&line_ref));
    assert!((profiles.curve.barrier.expect("barrier") - bc).abs() < 1e-5);
    assert!((profiles.line.barrier.expect("barrier") - bl).abs() < 1e-5);
    assert!(
        bc > 0.0 && bl >= 0.0,
        "a bend off the line makes a barrier: {bc}, {bl}"
    );
}

#[test]
fn barrier_is_the_max_over_the_mean_of_the_ends() {
    assert_eq!(barrier(&[1.0, 3.0, 2.0]), Some(1.5));
    assert_eq!(barrier(&[1.0, 0.5, 2.0]), Some(0.5));
    assert_eq!(barrier(&[1.0]), None);
    assert_eq!(barrier(&[1.0, f64::NAN]), None);
}

#[test]
fn coefficients_follow_the_papers_definitions() {
    for i in 0..=20 {
        let t = i as f64 / 20.0;
        for kind in [CurveKind::Bezier, CurveKind::Chain] {
            let c = kind.coefficients(t);
            assert!((c.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{kind} at {t}");
            assert!(c.iter().all(|v| *v >= 0.0));
        }
        let b = CurveKind::Bezier.coefficients(t);
        assert!((b[1] - 2.0 * t * (1.0 - t)).abs() < 1e-15);
    }
    assert_eq!(CurveKind::Chain.coefficients(0.25), [0.5, 0.5, 0.0]);
    assert_eq!(CurveKind::Chain.coefficients(0.5), [0.0, 1.0, 0.0]);
    assert_eq!(CurveKind::Chain.coefficients(0.75), [0.0, 0.5, 0.5]);
    for kind in [CurveKind::Bezier, CurveKind::Chain] {
        assert_eq!(kind.to_string().parse::<CurveKind>().expect("parse"), kind);
    }
    assert!("spline".parse::<CurveKind>().is_err());
}

#[test]
fn the_schedule_is_garipovs_learning_rate_schedule() {
    // train.py: alpha = epoch / epochs; 1 up to 0.5, then 1 - (alpha - 0.5) / 0.4 * 0.99, 0.01
    // after 0.9.
    let s = CurveSchedule::Garipov;
    assert_eq!(s.rate(0.1, 5, 10), 0.1);
    assert!((s.rate(0.1, 6, 10) - 0.1 * (1.0 - 0.1 / 0.4 * 0.99)).abs() < 1e-15);
    assert!((s.rate(0.1, 9, 10) - 0.1 * 0.01).abs() < 1e-12);
    assert!((s.rate(0.1, 10, 10) - 0.001).abs() < 1e-15);
    assert_eq!(CurveSchedule::Constant.rate(0.1, 10, 10), 0.1);
}

#[test]
fn t_draws_are_uniform_and_reproducible() {
    let draws: Vec<f64> = (0..4000).map(|s| sample_t(3, s)).collect();
    assert!(draws.iter().all(|t| (0.0..1.0).contains(t)));
    let mean = draws.iter().sum::<f64>() / draws.len() as f64;
    assert!((mean - 0.5).abs() < 0.02, "{mean}");
    assert_eq!(sample_t(3, 17), draws[17]);
    assert_ne!(sample_t(4, 17), draws[17]);
}

#[test]
fn plane_coordinates_keep_the_distances_of_parameter_space() {
    let device = Device::flex();
    let template = tanh_mlp(&device);
    let a = point(&template, A_VALUES, &device);
    let c = point(&template, C_VALUES, &device);
    let mut curve = Curve::new(CurveKind::Bezier, a.clone(), c).expect("layout");
    assert!(
        plane_path(&curve, &[0.0, 1.0]).expect("layout").is_none(),
        "an untrained bend spans no plane"
    );
    curve.bend = curve
        .bend
        .axpy(
            0.2,
            &point(&template, |j, _| (j as f64 * 0.9).cos(), &device),
        )
        .expect("layout");
    let ts = curve_ts(7).expect("points");
    let path = plane_path(&curve, &ts).expect("layout").expect("a plane");
    for (i, &t) in ts.iter().enumerate() {
        let d = curve
            .point(t)
            .expect("point")
            .sub(&a)
            .expect("layout")
            .norm();
        let [x, y] = path.curve[i];
        assert!(
            ((x * x + y * y).sqrt() - d).abs() < 1e-4 * d.max(1.0),
            "t = {t}"
        );
    }
}

#[test]
fn a_batch_norm_model_trains_its_bend_in_training_mode_and_keeps_its_statistics() {
    let device = Device::flex();
    let vgg = crate::test_utils::tiny_vgg(&device).valid();
    let a = ParamVector::from_module(&vgg);
    let c = a.map(|e| e.value.clone().mul_scalar(0.8).add_scalar(0.01));
    let mut curve = Curve::new(CurveKind::Bezier, a, c).expect("layout");
    let before = curve.bend.clone();
    let images: Vec<f32> = (0..4 * 64)
        .map(|i| ((i as f64) * 0.13).sin() as f32)
        .collect();
    let batch = ImageBatch {
        images: Tensor::from_data(TensorData::new(images, [4, 1, 8, 8]), &device),
        targets: Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 1, 2, 1], [4]), &device),
    };
    // The loss in eval mode (running statistics) at the same point: training mode must differ.
    let at_point = curve
        .point(0.5)
        .expect("point")
        .load_into(vgg.clone(), true)
        .expect("layout");
    let eval_loss = CrossEntropyLossConfig::new()
        .init(&device)
        .forward(at_point.logits(batch.images.clone()), batch.targets.clone())
        .into_scalar::<f64>();
    let mut optimizer = BendOptimizer::new(0.0, 0.0);
    let loss =
        curve_step(&vgg, &mut curve, &mut optimizer, 0.5, &batch, 0.1, &device).expect("step");
    assert!(loss.is_finite());
    assert!(
        (loss - eval_loss).abs() > 1e-3,
        "batch statistics, not running ones: {loss} vs {eval_loss}"
    );
    let mut moved = 0;
    for (b, n) in before.entries().iter().zip(curve.bend.entries()) {
        let diff = (b.value.clone() - n.value.clone())
            .abs()
            .max()
            .into_scalar::<f64>();
        if b.info.kind == crate::kind::ParamKind::Buffer {
            assert_eq!(diff, 0.0, "{} is a running statistic", b.info.path);
        } else if diff > 0.0 {
            moved += 1;
        }
    }
    assert!(moved > 0, "the bend's parameters move");
}
