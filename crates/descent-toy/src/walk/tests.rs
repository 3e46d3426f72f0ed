//! Walks on the quadratic bowl against the closed-form iterations, step by step; walks on
//! Rosenbrock against PyTorch; schedules, noise, divergence and bad configs.

use burn::tensor::Device;
use descent_optim::{
    AdamConfig, AdamWConfig, GradClipping, MomentumConfig, OptimizerConfig, RmsPropConfig,
    ScheduleConfig, ScheduleUnit, SgdConfig,
};

use super::*;
use crate::{DivergenceReason, GradientNoise, ToyFunction};

const KAPPA: f64 = 10.0;
const START: [f64; 2] = [-4.0, 1.0];
const STEPS: usize = 25;

fn bowl() -> ToyFunction {
    ToyFunction::Bowl { condition: KAPPA }
}

/// The bowl's gradient `A x`, `A = diag(1, κ)`.
fn grad(x: [f64; 2]) -> [f64; 2] {
    [x[0], KAPPA * x[1]]
}

/// Every point of the walk against `expected` (f64 closed form) within `rel·|e| + abs`
/// (the walk computes in f32).
fn assert_path(name: &str, path: &Path, expected: &[[f64; 2]]) {
    assert_eq!(
        path.points.len(),
        expected.len(),
        "{name}: number of points"
    );
    for (k, (got, want)) in path.points.iter().zip(expected).enumerate() {
        for i in 0..2 {
            let tol = 2e-5 * want[i].abs() + 2e-6;
            assert!(
                (got[i] - want[i]).abs() <= tol,
                "{name}: step {k} coord {i}: walk {}, closed form {}",
                got[i],
                want[i]
            );
        }
    }
}

/// Iterates `update(step, x, g, lr)` from `START`, the closed-form way.
fn iterate(
    lrs: &[f64],
    mut update: impl FnMut(usize, &mut [f64; 2], [f64; 2], f64),
) -> Vec<[f64; 2]> {
    let mut x = START;
    let mut out = vec![x];
    for (k, &lr) in lrs.iter().enumerate() {
        let g = grad(x);
        update(k, &mut x, g, lr);
        out.push(x);
    }
    out
}

fn walk(optimizer: OptimizerConfig, lr: f64) -> Path {
    WalkConfig::new(bowl(), optimizer, lr, STEPS)
        .with_start(START.to_vec())
        .run(&Device::flex())
        .expect("walk")
}

#[test]
fn gradient_descent_is_x_minus_lr_a_x() {
    let lr = 0.15;
    let path = walk(OptimizerConfig::Sgd(SgdConfig::new()), lr);
    // x_{k+1} = (I - lr A) x_k, i.e. x_k = (1 - lr)^k x_0, y_k = (1 - lr κ)^k y_0.
    let expected: Vec<[f64; 2]> = (0..=STEPS as i32)
        .map(|k| {
            [
                START[0] * (1.0 - lr).powi(k),
                START[1] * (1.0 - lr * KAPPA).powi(k),
            ]
        })
        .collect();
    assert_path("gd", &path, &expected);
    assert_eq!(path.lrs, vec![lr; STEPS]);
    for (p, g) in path.points.iter().zip(&path.gradients) {
        assert!((g[1] - KAPPA * p[1]).abs() < 1e-5 * (1.0 + g[1].abs()));
    }
    for (p, loss) in path.points.iter().zip(&path.losses) {
        let exact = 0.5 * (p[0] * p[0] + KAPPA * p[1] * p[1]);
        assert!((loss - exact).abs() < 1e-5 * (1.0 + exact));
    }
}

#[test]
fn heavy_ball_and_nesterov_follow_their_recurrences() {
    let (lr, mu) = (0.05, 0.9);
    for nesterov in [false, true] {
        let config =
            SgdConfig::new().with_momentum(Some(MomentumConfig::new(mu).with_nesterov(nesterov)));
        let path = walk(OptimizerConfig::Sgd(config), lr);
        // b_1 = g_1, b_k = μ b_{k-1} + g_k; heavy ball x -= lr b, Nesterov x -= lr (g + μ b).
        let mut b = [0.0; 2];
        let expected = iterate(&[lr; STEPS], |k, x, g, lr| {
            for i in 0..2 {
                b[i] = if k == 0 { g[i] } else { mu * b[i] + g[i] };
                let d = if nesterov { g[i] + mu * b[i] } else { b[i] };
                x[i] -= lr * d;
            }
        });
        assert_path(
            if nesterov { "nesterov" } else { "momentum" },
            &path,
            &expected,
        );
    }
}

/// Heavy ball under the one-cycle schedule: the momentum follows PyTorch's `OneCycleLR`
/// (`cycle_momentum=True`), written here from its definition: `_annealing_cos(start, end, pct)
/// = end + (start - end) / 2 * (1 + cos(pi pct))`, 0.95 -> 0.85 over the rise (which ends at
/// step `0.3 * 25 - 1`), then 0.85 -> 0.95 until step 24.
#[test]
fn heavy_ball_under_onecycle_cycles_its_momentum() {
    let config = SgdConfig::new().with_momentum(Some(MomentumConfig::new(0.9)));
    let schedule: ScheduleConfig = serde_json::from_str(r#"{"kind": "onecycle"}"#).expect("json");
    let path = WalkConfig::new(bowl(), OptimizerConfig::Sgd(config), 0.05, STEPS)
        .with_start(START.to_vec())
        .with_schedule(schedule)
        .run(&Device::flex())
        .expect("walk");
    let cos = |start: f64, end: f64, pct: f64| {
        end + (start - end) / 2.0 * (1.0 + (core::f64::consts::PI * pct).cos())
    };
    let rise_end = 0.3 * STEPS as f64 - 1.0;
    let last = STEPS as f64 - 1.0;
    let momentum = |k: usize| {
        let k = k as f64;
        if k <= rise_end {
            cos(0.95, 0.85, k / rise_end)
        } else {
            cos(0.85, 0.95, (k - rise_end) / (last - rise_end))
        }
    };
    let mut b = [0.0; 2];
    let expected = iterate(&path.lrs, |k, x, g, lr| {
        for i in 0..2 {
            b[i] = if k == 0 {
                g[i]
            } else {
                momentum(k) * b[i] + g[i]
            };
            x[i] -= lr * b[i];
        }
    });
    assert_path("onecycle momentum", &path, &expected);
}

#[test]
fn rmsprop_adam_and_adamw_follow_their_recurrences() {
    let lr = 0.1;
    // RMSProp (α 0.99, ε 1e-8): v = α v + (1-α) g², x -= lr g / (√v + ε).
    let path = walk(OptimizerConfig::RmsProp(RmsPropConfig::new()), lr);
    let mut v = [0.0; 2];
    let expected = iterate(&[lr; STEPS], |_, x, g, lr| {
        for i in 0..2 {
            v[i] = 0.99 * v[i] + 0.01 * g[i] * g[i];
            x[i] -= lr * g[i] / (v[i].sqrt() + 1e-8);
        }
    });
    assert_path("rmsprop", &path, &expected);

    // Adam (β 0.9, 0.999, ε 1e-8) with bias correction; AdamW first shrinks x by (1 - lr λ).
    for decay in [None, Some(0.1)] {
        let config = match decay {
            None => OptimizerConfig::Adam(AdamConfig::new()),
            Some(wd) => OptimizerConfig::AdamW(AdamWConfig::new().with_weight_decay(wd)),
        };
        let path = walk(config, lr);
        let (mut m, mut v) = ([0.0; 2], [0.0; 2]);
        let expected = iterate(&[lr; STEPS], |k, x, g, lr| {
            let t = (k + 1) as i32;
            for i in 0..2 {
                if let Some(wd) = decay {
                    x[i] *= 1.0 - lr * wd;
                }
                m[i] = 0.9 * m[i] + 0.1 * g[i];
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                let m_hat = m[i] / (1.0 - 0.9f64.powi(t));
                let v_hat = v[i] / (1.0 - 0.999f64.powi(t));
                x[i] -= lr * m_hat / (v_hat.sqrt() + 1e-8);
            }
        });
        assert_path(
            if decay.is_some() { "adamw" } else { "adam" },
            &path,
            &expected,
        );
    }
}

#[test]
fn global_norm_clipping_scales_the_gradient() {
    let (lr, c) = (0.05, 1.0);
    let config = SgdConfig::new().with_grad_clipping(Some(GradClipping::GlobalNorm(c as f32)));
    let path = walk(OptimizerConfig::Sgd(config), lr);
    let expected = iterate(&[lr; STEPS], |_, x, g, lr| {
        let norm = (g[0] * g[0] + g[1] * g[1]).sqrt();
        let scale = if norm > c { c / norm } else { 1.0 };
        for i in 0..2 {
            x[i] -= lr * g[i] * scale;
        }
    });
    assert_path("clipped", &path, &expected);
}

#[test]
fn schedules_count_steps() {
    let lr = 0.08;
    let schedule = ScheduleConfig::WarmRestarts {
        t_0: 5,
        t_mult: 2,
        eta_min: 0.0,
        restart_decay: 1.0,
        unit: ScheduleUnit::FractionalEpoch,
    };
    let path = WalkConfig::new(bowl(), OptimizerConfig::Sgd(SgdConfig::new()), lr, STEPS)
        .with_start(START.to_vec())
        .with_schedule(schedule)
        .run(&Device::flex())
        .expect("walk");
    // SGDR: cycles of 5, 10, 20 steps, each a half cosine from lr down towards 0.
    let mut rates = Vec::new();
    let mut cycle = 5;
    while rates.len() < STEPS {
        for t in 0..cycle {
            rates.push(0.5 * lr * (1.0 + (core::f64::consts::PI * t as f64 / cycle as f64).cos()));
        }
        cycle *= 2;
    }
    rates.truncate(STEPS);
    for (k, (got, want)) in path.lrs.iter().zip(&rates).enumerate() {
        assert!((got - want).abs() < 1e-12, "step {k}: {got} vs {want}");
    }
    let expected = iterate(&rates, |_, x, g, lr| {
        x[0] -= lr * g[0];
        x[1] -= lr * g[1];
    });
    assert_path("sgdr", &path, &expected);
}

#[test]
fn noise_is_added_to_the_gradient_and_reproducible() {
    let lr = 0.05;
    let noise = GradientNoise::new(0.3, 11);
    let config = WalkConfig::new(bowl(), OptimizerConfig::Sgd(SgdConfig::new()), lr, STEPS)
        .with_start(START.to_vec())
        .with_noise(Some(noise));
    let path = config.run(&Device::flex()).expect("walk");
    let expected = iterate(&[lr; STEPS], |k, x, g, lr| {
        let xi = noise.sample(k as u64, 2);
        for i in 0..2 {
            // The walk adds the f32-rounded draw.
            x[i] -= lr * (g[i] + (xi[i] as f32) as f64);
        }
    });
    assert_path("noisy gd", &path, &expected);
    assert_eq!(
        config.run(&Device::flex()).expect("again").points,
        path.points
    );
    let other = config
        .clone()
        .with_noise(Some(GradientNoise::new(0.3, 12)))
        .run(&Device::flex())
        .expect("other seed");
    assert_ne!(other.points, path.points);
    assert_eq!(path.label, "sgd lr=0.05 noise=0.3");
}

// Expected values: final point and loss after each walk on Rosenbrock from (-1.5, 2), printed
// by this script (PyTorch 2.15.0 CPU, float32; ~/.cache/torch-venv):
//
// import torch
//
// def rosenbrock(p):
//     return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
//
// def walk(make_opt, lr, steps, start=(-1.5, 2.0)):
//     p = torch.tensor(start, dtype=torch.float32, requires_grad=True)
//     opt = make_opt([p], lr)
//     for _ in range(steps):
//         opt.zero_grad()
//         rosenbrock(p).backward()
//         opt.step()
//     return p.detach().tolist() + [rosenbrock(p).item()]
//
// SGD, Adam, RMSprop = torch.optim.SGD, torch.optim.Adam, torch.optim.RMSprop
// print("GD", walk(lambda ps, lr: SGD(ps, lr=lr), 1e-3, 500))
// print("MOMENTUM", walk(lambda ps, lr: SGD(ps, lr=lr, momentum=0.9), 1e-3, 500))
// print("NESTEROV", walk(lambda ps, lr: SGD(ps, lr=lr, momentum=0.9, nesterov=True), 1e-3, 500))
// print("ADAM", walk(lambda ps, lr: Adam(ps, lr=lr), 0.05, 200))
// print("RMSPROP", walk(lambda ps, lr: RMSprop(ps, lr=lr), 0.01, 200))
const TORCH_ROSENBROCK: [(&str, f64, usize, [f64; 3]); 5] = [
    (
        "sgd",
        1e-3,
        500,
        [-1.112868309020996, 1.2463732957839966, 4.470449447631836],
    ),
    (
        "momentum",
        1e-3,
        500,
        [0.9334756135940552, 0.8710994124412537, 0.004433182533830404],
    ),
    (
        "nesterov",
        1e-3,
        500,
        [0.9594439268112183, 0.9203662872314453, 0.001647562487050891],
    ),
    (
        "adam",
        0.05,
        200,
        [-0.9209391474723816, 0.8537008166313171, 3.6931121349334717],
    ),
    (
        "rmsprop",
        0.01,
        200,
        [-1.1787673234939575, 1.3966225385665894, 4.752110481262207],
    ),
];

#[test]
fn rosenbrock_walks_end_where_pytorch_ends() {
    use descent_optim::{OptimizerKind, OptimizerParams};
    for (kind, lr, steps, [x, y, loss]) in TORCH_ROSENBROCK {
        let kind: OptimizerKind = kind.parse().expect("kind");
        let optimizer =
            OptimizerConfig::from_kind(kind, &OptimizerParams::default()).expect("config");
        let path = WalkConfig::new(ToyFunction::Rosenbrock, optimizer, lr, steps)
            .run(&Device::flex())
            .expect("walk");
        let [px, py] = path.final_point();
        // Hundreds of f32 steps in a different operation order: agree to ~1e-4.
        assert!((px - x).abs() < 2e-4, "{kind}: x {px} vs pytorch {x}");
        assert!((py - y).abs() < 2e-4, "{kind}: y {py} vs pytorch {y}");
        let l = path.final_loss();
        assert!(
            (l - loss).abs() < 2e-4 * (1.0 + loss),
            "{kind}: loss {l} vs pytorch {loss}"
        );
    }
}

#[test]
fn divergence_is_recorded_not_an_error() {
    // lr 0.5 on bowl:10: y is multiplied by (1 - 5) = -4 each step and overflows f32.
    let path = WalkConfig {
        escape_radius: f64::INFINITY,
        ..WalkConfig::new(bowl(), OptimizerConfig::Sgd(SgdConfig::new()), 0.5, 200)
    }
    .run(&Device::flex())
    .expect("a divergent walk is still a path");
    let divergence = path.diverged.expect("diverged");
    assert_eq!(divergence.reason, DivergenceReason::NonFinite);
    assert!(divergence.step < 200);
    assert_eq!(path.points.len(), divergence.step + 1);
    assert_eq!(path.lrs.len(), divergence.step);

    let escaped = WalkConfig {
        escape_radius: 1e3,
        ..WalkConfig::new(bowl(), OptimizerConfig::Sgd(SgdConfig::new()), 0.5, 200)
    }
    .run(&Device::flex())
    .expect("walk");
    let divergence = escaped.diverged.expect("escaped");
    assert_eq!(divergence.reason, DivergenceReason::Escaped);
    assert!(escaped.final_point()[1].abs() > 1e3);
}

#[test]
fn bad_configs_are_typed_errors_naming_the_field() {
    let base = WalkConfig::new(bowl(), OptimizerConfig::Sgd(SgdConfig::new()), 0.1, 10);
    let field = |config: WalkConfig| match config.run(&Device::flex()) {
        Err(ToyError::InvalidOption { field, .. }) => field.to_string(),
        Err(ToyError::Optim(e)) => format!("optim: {e}"),
        other => format!("{other:?}"),
    };
    assert_eq!(
        field(WalkConfig {
            lr: 0.0,
            ..base.clone()
        }),
        "lr"
    );
    assert_eq!(
        field(WalkConfig {
            lr: f64::NAN,
            ..base.clone()
        }),
        "lr"
    );
    assert_eq!(
        field(WalkConfig {
            steps: 0,
            ..base.clone()
        }),
        "steps"
    );
    assert_eq!(field(base.clone().with_start(vec![1.0])), "start");
    assert_eq!(
        field(base.clone().with_start(vec![1.0, f64::INFINITY])),
        "start"
    );
    assert_eq!(
        field(base.clone().with_noise(Some(GradientNoise::new(-1.0, 0)))),
        "noise"
    );
    let bad_momentum =
        OptimizerConfig::Sgd(SgdConfig::new().with_momentum(Some(MomentumConfig::new(1.5))));
    assert!(
        field(WalkConfig {
            optimizer: bad_momentum,
            ..base.clone()
        })
        .starts_with("optim")
    );
    let two_wells = WalkConfig::new(
        ToyFunction::TwoWells,
        OptimizerConfig::Sgd(SgdConfig::new()),
        0.1,
        5,
    );
    assert_eq!(field(two_wells.with_start(vec![1.0, 2.0])), "start");
}

#[test]
fn configs_round_trip_through_json() {
    let config = WalkConfig::new(
        ToyFunction::Bowl { condition: 3.0 },
        OptimizerConfig::Adam(AdamConfig::new()),
        0.01,
        7,
    )
    .with_noise(Some(GradientNoise::new(0.2, 3)))
    .with_schedule(ScheduleConfig::Cosine {
        t_max: None,
        eta_min: 0.0,
        unit: ScheduleUnit::Batch,
    });
    let json = serde_json::to_string(&config).expect("json");
    let back: WalkConfig = serde_json::from_str(&json).expect("back");
    assert_eq!(back, config);
    let minimal: WalkConfig = serde_json::from_str(
        r#"{"function": "saddle", "optimizer": {"Sgd": {"momentum": null, "weight_decay": null,
            "maximize": false, "grad_clipping": null}}, "lr": 0.1, "steps": 3}"#,
    )
    .expect("defaults");
    assert_eq!(minimal.schedule, ScheduleConfig::Constant);
    assert_eq!(minimal.escape_radius, DEFAULT_ESCAPE_RADIUS);
}
