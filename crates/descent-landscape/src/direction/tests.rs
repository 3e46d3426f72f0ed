use super::*;
use crate::test_utils::{tiny_mlp, tiny_vgg};
use burn::tensor::Device;

/// Norms of the filters of a host tensor: dim-0 slices, or columns of `[rows, cols]`.
fn host_filter_norms(values: &[f32], shape: &[usize], axis: usize) -> Vec<f64> {
    let n = values.len();
    if axis == 1 {
        let (rows, cols) = (shape[0], shape[1]);
        (0..cols)
            .map(|j| {
                (0..rows)
                    .map(|i| (values[i * cols + j] as f64).powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .collect()
    } else {
        let filters = shape.first().copied().unwrap_or(1);
        let size = n / filters;
        values
            .chunks(size)
            .map(|c| c.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt())
            .collect()
    }
}

fn host_norm(values: &[f32]) -> f64 {
    values
        .iter()
        .map(|&x| (x as f64).powi(2))
        .sum::<f64>()
        .sqrt()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-5 * (1.0 + b.abs())
}

fn models() -> Vec<descent_models::Model> {
    let device = Device::flex();
    vec![tiny_mlp(&device, 3), tiny_vgg(&device)]
}

#[test]
fn filter_normalized_filters_have_the_weights_filter_norms() {
    for model in models() {
        let theta = ParamVector::from_module(&model);
        let config = DirectionConfig {
            seed: 11,
            ..DirectionConfig::default()
        };
        let (dirs, cosine) = config.directions(&theta, 2);
        assert!(cosine.is_some());
        let w_host = theta.to_host().expect("host");
        for d in &dirs {
            let d_host = d.to_host().expect("host");
            for ((e, dv), wv) in d.entries().iter().zip(&d_host).zip(&w_host) {
                let info = &e.info;
                if info.kind != ParamKind::Weight {
                    assert!(dv.iter().all(|&x| x == 0.0), "{} not zeroed", info.path);
                    continue;
                }
                let dn = host_filter_norms(dv, &info.shape, info.filter_axis);
                let wn = host_filter_norms(wv, &info.shape, info.filter_axis);
                assert!(dn.len() > 1, "{}", info.path);
                for (f, (a, b)) in dn.iter().zip(&wn).enumerate() {
                    assert!(close(*a, *b), "{} filter {f}: {a} vs {b}", info.path);
                }
            }
        }
    }
}

#[test]
fn linear_filters_are_columns_of_burns_layout() {
    // Burn's Linear weight is [d_input, d_output]; a filter (one output neuron) is a column.
    let device = Device::flex();
    let theta = ParamVector::from_module(&tiny_mlp(&device, 3));
    let (dirs, _) = DirectionConfig::default().directions(&theta, 1);
    let e = dirs[0].get("Mlp.hidden.0.weight").expect("hidden weight");
    assert_eq!(e.info.shape, [4, 5]);
    assert_eq!(e.info.filter_axis, 1);
    let d = e.value.to_data().try_to_vec::<f32>().expect("f32");
    let w = theta
        .get("Mlp.hidden.0.weight")
        .expect("weight")
        .value
        .to_data()
        .try_to_vec::<f32>()
        .expect("f32");
    let d_cols = host_filter_norms(&d, &[4, 5], 1);
    let w_cols = host_filter_norms(&w, &[4, 5], 1);
    for (a, b) in d_cols.iter().zip(&w_cols) {
        assert!(close(*a, *b), "{a} vs {b}");
    }
    // Rows are not normalized: the test above would not pass by accident.
    let d_rows = host_filter_norms(&d, &[4, 5], 0);
    let w_rows = host_filter_norms(&w, &[4, 5], 0);
    assert!(d_rows.iter().zip(&w_rows).any(|(a, b)| !close(*a, *b)));
}

#[test]
fn layer_and_model_normalization_and_included_bias_bn() {
    for model in models() {
        let theta = ParamVector::from_module(&model);
        let w_host = theta.to_host().expect("host");
        let layer = DirectionConfig {
            seed: 5,
            normalization: Normalization::Layer,
            bias_bn: BiasBn::Include,
            orthogonalize: false,
        };
        let (dirs, _) = layer.directions(&theta, 1);
        let d_host = dirs[0].to_host().expect("host");
        for ((e, dv), wv) in dirs[0].entries().iter().zip(&d_host).zip(&w_host) {
            if e.info.kind == ParamKind::Buffer {
                assert!(dv.iter().all(|&x| x == 0.0), "{}", e.info.path);
            } else {
                assert!(close(host_norm(dv), host_norm(wv)), "{}", e.info.path);
            }
        }
        // Model normalization: whole-direction norm = norm of the weights it moves.
        let model_cfg = DirectionConfig {
            normalization: Normalization::Model,
            ..layer
        };
        let (dirs, _) = model_cfg.directions(&theta, 1);
        let d_host = dirs[0].to_host().expect("host");
        let w_kept: Vec<f32> = dirs[0]
            .entries()
            .iter()
            .zip(&w_host)
            .filter(|(e, _)| e.info.kind != ParamKind::Buffer)
            .flat_map(|(_, w)| w.iter().copied())
            .collect();
        assert!(close(host_norm(&d_host.concat()), host_norm(&w_kept)));
        // Filter normalization with bias/BN included: each element is its own filter.
        let filter = DirectionConfig {
            normalization: Normalization::Filter,
            ..layer
        };
        let (dirs, _) = filter.directions(&theta, 1);
        let d_host = dirs[0].to_host().expect("host");
        for ((e, dv), wv) in dirs[0].entries().iter().zip(&d_host).zip(&w_host) {
            if e.info.kind.is_bias_or_norm() {
                for (a, b) in dv.iter().zip(wv) {
                    assert!(close(a.abs() as f64, b.abs() as f64), "{}", e.info.path);
                }
            }
        }
    }
}

#[test]
fn none_is_the_raw_seeded_gaussian_and_seeds_matter() {
    let device = Device::flex();
    let theta = ParamVector::from_module(&tiny_vgg(&device));
    let config = DirectionConfig {
        seed: 1,
        normalization: Normalization::None,
        bias_bn: BiasBn::Include,
        orthogonalize: false,
    };
    let (a, _) = config.directions(&theta, 1);
    let (b, _) = config.directions(&theta, 1);
    assert_eq!(a[0].sub(&b[0]).expect("same layout").norm(), 0.0);
    let raw = a[0].to_host().expect("host").concat();
    let n = raw.len() as f64;
    let mean = raw.iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = raw.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
    // A few hundred N(0, 1) draws (buffers are zero, so the variance is a bit under 1).
    assert!(mean.abs() < 0.2, "{mean}");
    assert!(var > 0.6 && var < 1.3, "{var}");
    let other = DirectionConfig { seed: 2, ..config };
    let (c, _) = other.directions(&theta, 1);
    assert!(a[0].sub(&c[0]).expect("same layout").norm() > 1.0);
}

#[test]
fn orthogonalized_second_direction_has_zero_cosine() {
    let device = Device::flex();
    let theta = ParamVector::from_module(&tiny_vgg(&device));
    let config = DirectionConfig {
        seed: 9,
        orthogonalize: true,
        ..DirectionConfig::default()
    };
    let (dirs, cosine) = config.directions(&theta, 2);
    let cosine = cosine.expect("two directions");
    assert!(cosine.abs() < 1e-5, "{cosine}");
    let plain = DirectionConfig {
        orthogonalize: false,
        ..config
    };
    let (raw, raw_cos) = plain.directions(&theta, 2);
    assert!(raw_cos.expect("two").abs() > 1e-4);
    // The first direction is untouched.
    assert_eq!(dirs[0].sub(&raw[0]).expect("layout").norm(), 0.0);
}

#[test]
fn options_parse_and_print() {
    for n in [
        Normalization::Filter,
        Normalization::Layer,
        Normalization::Model,
        Normalization::None,
        Normalization::Unit,
    ] {
        assert_eq!(n.to_string().parse::<Normalization>().expect("parses"), n);
    }
    for b in [BiasBn::Ignore, BiasBn::Include] {
        assert_eq!(b.to_string().parse::<BiasBn>().expect("parses"), b);
    }
    let err = "filters".parse::<Normalization>().expect_err("typo");
    assert!(
        err.to_string()
            .contains("filter, layer, model, none or unit"),
        "{err}"
    );
    assert!("zero".parse::<BiasBn>().is_err());
}

// Reference: the paper's filter normalization in PyTorch 2.15 (CPU), Burn layouts transposed:
//
// ```python
// import torch
// def wave(n, seed):
//     return (0.5 * torch.sin(0.37 * torch.arange(n, dtype=torch.float64) + seed)).float()
// def normalize(d, w):  # loss-landscape/net_plotter.py, normalize_direction(.., 'filter')
//     for dd, ww in zip(d, w):
//         dd.mul_(ww.norm() / (dd.norm() + 1e-10))
// # Linear: Burn weight [3, 2] row-major -> torch weight [2, 3] = transpose.
// w = wave(6, 0.0).reshape(3, 2).t().contiguous()
// d = wave(6, 10.0).reshape(3, 2).t().contiguous()
// normalize(d, w)
// print("linear", d.t().reshape(-1).tolist())
// # Conv2d weight [out=2, in=2, 1, 1]: the same layout in both.
// w = wave(4, 1.0).reshape(2, 2, 1, 1)
// d = wave(4, 11.0).reshape(2, 2, 1, 1)
// normalize(d, w)
// print("conv", d.reshape(-1).tolist())
// ```
#[test]
fn filter_normalization_matches_the_papers_pytorch_code() {
    use crate::test_utils::wave;
    use crate::vector::ParamInfo;
    let device = Device::flex();
    let infos = vec![
        ParamInfo {
            path: "fc.weight".into(),
            shape: vec![3, 2],
            kind: ParamKind::Weight,
            filter_axis: 1,
        },
        ParamInfo {
            path: "conv.weight".into(),
            shape: vec![2, 2, 1, 1],
            kind: ParamKind::Weight,
            filter_axis: 0,
        },
    ];
    let w =
        ParamVector::from_host(&infos, vec![wave(6, 0.0), wave(4, 1.0)], &device).expect("shapes");
    let d = ParamVector::from_host(&infos, vec![wave(6, 10.0), wave(4, 11.0)], &device)
        .expect("shapes");
    let out = normalize(&d, &w, Normalization::Filter, BiasBn::Ignore)
        .to_host()
        .expect("host");
    let torch_linear = [
        -0.23045183718204498,
        -0.3834160566329956,
        -0.40984871983528137,
        -0.4698939621448517,
        -0.3748689591884613,
        -0.3105877637863159,
    ];
    let torch_conv = [
        -0.47273850440979004,
        -0.43999046087265015,
        -0.5605315566062927,
        -0.3358668088912964,
    ];
    for (got, want) in out[0].iter().zip(torch_linear) {
        assert!((*got as f64 - want).abs() < 1e-6, "{got} vs {want}");
    }
    for (got, want) in out[1].iter().zip(torch_conv) {
        assert!((*got as f64 - want).abs() < 1e-6, "{got} vs {want}");
    }
}

/// Izmailov et al.'s random rays: a `unit` direction has Euclidean norm 1 over the trainable
/// parameters, and the model a 1-D scan evaluates at coordinate `t` lies at distance `t`
/// from the centre, measured from both models' weights written to `.bpk` files and read back
/// into fresh models (in f64 on the host, not with `ParamVector::norm`), with the running
/// statistics left as they were.
#[test]
fn a_unit_direction_puts_the_point_at_t_at_distance_t() {
    use crate::kind::ParamKind;
    use crate::surface::Surface;
    use descent_train::records::{load_module, module_bytes};

    let device = Device::flex();
    let model = tiny_vgg(&device);
    let theta = ParamVector::from_module(&model);
    let config = DirectionConfig {
        seed: 11,
        normalization: Normalization::Unit,
        bias_bn: BiasBn::Include,
        orthogonalize: false,
    };
    let (dirs, _) = config.directions(&theta, 1);
    let host = dirs[0].to_host().expect("host");
    let infos = theta.infos();
    assert!(
        infos.iter().any(|i| i.kind == ParamKind::Buffer),
        "no BN buffers"
    );
    let mut trainable = Vec::new();
    for (info, values) in infos.iter().zip(&host) {
        if info.kind == ParamKind::Buffer {
            assert!(values.iter().all(|&v| v == 0.0), "{} moves", info.path);
        } else {
            // Every trainable tensor (biases and batch-norm scales included) is perturbed.
            assert!(values.iter().any(|&v| v != 0.0), "{} is zero", info.path);
            trainable.extend_from_slice(values);
        }
    }
    let norm = host_norm(&trainable);
    assert!((norm - 1.0).abs() < 1e-6, "norm {norm}");

    let dir = tempfile::tempdir().expect("tempdir");
    for t in [0.5, 3.0] {
        let mut surface = Surface::new(model.clone(), dirs.clone()).expect("surface");
        let moved = surface.model_at(t, 0.0).expect("point").clone();
        let (a, b) = (dir.path().join("centre.bpk"), dir.path().join("point.bpk"));
        std::fs::write(&a, &*module_bytes(&model).expect("bytes")).expect("write");
        std::fs::write(&b, &*module_bytes(&moved).expect("bytes")).expect("write");
        // Fresh models (other weights) loaded from the files.
        let fresh = || fresh_vgg(&device);
        let a = load_module(fresh(), &a).expect("centre");
        let b = load_module(fresh(), &b).expect("point");
        let a = ParamVector::from_module(&a).to_host().expect("host");
        let b = ParamVector::from_module(&b).to_host().expect("host");
        let mut squares = 0.0_f64;
        for ((info, x), y) in infos.iter().zip(&a).zip(&b) {
            if info.kind == ParamKind::Buffer {
                assert_eq!(x, y, "{}: running statistics changed", info.path);
                continue;
            }
            squares += x
                .iter()
                .zip(y)
                .map(|(&x, &y)| (f64::from(y) - f64::from(x)).powi(2))
                .sum::<f64>();
        }
        let distance = squares.sqrt();
        assert!(
            (distance - t).abs() < 1e-5 * t,
            "t {t}: distance {distance}"
        );
    }
}

/// The tiny VGG with its initializer's weights (not the waves): a model to load files into.
fn fresh_vgg(device: &Device) -> descent_models::Model {
    use descent_models::{ModelConfig, VggConfig, VggDepth};
    ModelConfig::from(
        VggConfig::new(VggDepth::Vgg9)
            .with_width(1.0 / 16.0)
            .with_in_channels(1)
            .with_image_size(8)
            .with_num_classes(3),
    )
    .init(device)
    .expect("valid config")
}
