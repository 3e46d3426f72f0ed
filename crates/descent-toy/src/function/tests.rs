//! Each function's Burn expression against its `f64` formula, autodiff against the analytic
//! gradient, the analytic gradient against central differences, and the names.

use burn::tensor::{Device, Tensor};

use super::*;

/// Points inside each function's box, away from Ackley's kink at the origin.
const PROBES: [[f64; 2]; 6] = [
    [0.7, -0.4],
    [-1.3, 0.9],
    [2.1, 1.7],
    [-0.35, -1.15],
    [1.05, 0.55],
    [-2.4, -0.8],
];

/// Autodiff value and gradient at `p` on the flex autodiff device.
fn autodiff(function: ToyFunction, p: [f64; 2]) -> (f64, [f64; 2]) {
    let device = Device::flex().autodiff();
    let coords = &p[..function.dims()];
    let point = Tensor::<1>::from_floats(
        coords
            .iter()
            .map(|&v| v as f32)
            .collect::<Vec<_>>()
            .as_slice(),
        &device,
    )
    .require_grad();
    let loss = function.loss(&point);
    let grads = loss.backward();
    let value: f32 = loss.into_scalar();
    let g: Vec<f32> = point
        .grad(&grads)
        .expect("the point requires a gradient")
        .try_into_vec_as()
        .expect("read");
    let gy = g.get(1).copied().unwrap_or(0.0);
    (value as f64, [g[0] as f64, gy as f64])
}

/// The `f32` inputs the tensor sees, as `f64`.
fn rounded(p: [f64; 2]) -> [f64; 2] {
    [p[0] as f32 as f64, p[1] as f32 as f64]
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * (1.0 + b.abs())
}

#[test]
fn autodiff_gradient_matches_the_analytic_derivative() {
    for function in ToyFunction::ALL
        .into_iter()
        .chain([ToyFunction::Bowl { condition: 100.0 }])
    {
        for p in PROBES {
            let (value, grad) = autodiff(function, p);
            let [x, y] = rounded(p);
            let expected = function.value_f64(x, y);
            let expected_grad = function.gradient_f64(x, y);
            // f32 arithmetic: a few ulps of the terms' magnitude, which for Rastrigin/Beale
            // reach ~1e3 before cancelling.
            let rel = 2e-5;
            assert!(
                close(value, expected, rel),
                "{function} value at {p:?}: burn {value}, exact {expected}"
            );
            for k in 0..function.dims() {
                assert!(
                    close(grad[k], expected_grad[k], rel),
                    "{function} d/d{} at {p:?}: autodiff {}, analytic {}",
                    ["x", "y"][k],
                    grad[k],
                    expected_grad[k]
                );
            }
        }
    }
}

#[test]
fn analytic_gradient_matches_central_differences() {
    let h = 1e-6;
    for function in ToyFunction::ALL {
        for [x, y] in PROBES {
            let g = function.gradient_f64(x, y);
            let dx = (function.value_f64(x + h, y) - function.value_f64(x - h, y)) / (2.0 * h);
            let dy = (function.value_f64(x, y + h) - function.value_f64(x, y - h)) / (2.0 * h);
            assert!(
                close(g[0], dx, 1e-6),
                "{function} d/dx at ({x}, {y}): {} vs {dx}",
                g[0]
            );
            assert!(
                close(g[1], dy, 1e-6),
                "{function} d/dy at ({x}, {y}): {} vs {dy}",
                g[1]
            );
        }
    }
}

#[test]
fn known_critical_points_have_zero_gradient_and_the_stated_values() {
    for function in ToyFunction::ALL {
        let points = function.critical_points();
        assert!(!points.is_empty(), "{function}");
        for c in &points {
            let g = function.gradient_f64(c.at[0], c.at[1]);
            if function == ToyFunction::Ackley {
                continue; // the kink: no gradient at the minimum
            }
            assert!(
                g[0].abs() < 1e-7 && g[1].abs() < 1e-7,
                "{function} at {:?}: gradient {g:?}",
                c.at
            );
        }
        let global: Vec<f64> = points
            .iter()
            .filter(|c| c.kind == CriticalKind::Global)
            .map(|c| c.value)
            .collect();
        for c in points.iter().filter(|c| c.kind == CriticalKind::Local) {
            assert!(global.iter().all(|&g| g < c.value), "{function}: {c:?}");
        }
    }
    let value = |f: ToyFunction| {
        f.critical_points()
            .iter()
            .filter(|c| c.kind == CriticalKind::Global)
            .map(|c| c.value)
            .fold(f64::INFINITY, f64::min)
    };
    assert!(value(ToyFunction::Rosenbrock).abs() < 1e-12);
    assert!(value(ToyFunction::Ackley).abs() < 1e-12);
    assert!((value(ToyFunction::SixHumpCamel) + 1.0316284534898774).abs() < 1e-9);
    assert!(value(ToyFunction::Himmelblau).abs() < 1e-12);
    assert!(value(ToyFunction::Beale).abs() < 1e-12);
}

#[test]
fn two_wells_is_a_shallow_narrow_well_beside_a_deep_wide_one() {
    let f = ToyFunction::TwoWells;
    let curvature = |x: f64| {
        let h = 1e-5;
        (f.gradient_f64(x + h, 0.0)[0] - f.gradient_f64(x - h, 0.0)[0]) / (2.0 * h)
    };
    let narrow = curvature(TWO_WELLS_LOCAL);
    let wide = curvature(-2.0);
    assert!((narrow - 11.83).abs() < 0.01, "{narrow}");
    assert!((wide - 0.5).abs() < 1e-6, "{wide}");
    assert!(f.value_f64(TWO_WELLS_LOCAL, 0.0) > f.value_f64(-2.0, 0.0) + 0.5);
}

#[test]
fn grids_evaluate_element_wise() {
    let device = Device::flex();
    let xs = [-1.5f32, 0.25, 2.0];
    let ys = [0.5f32, -0.75, 1.25];
    for function in ToyFunction::ALL {
        let values: Vec<f32> = function
            .value(
                Tensor::from_floats(xs, &device),
                Tensor::from_floats(ys, &device),
            )
            .try_into_vec_as()
            .expect("read");
        for k in 0..3 {
            let y = if function.dims() == 2 { ys[k] } else { 0.0 };
            let exact = function.value_f64(xs[k] as f64, y as f64);
            assert!(
                close(values[k] as f64, exact, 2e-5),
                "{function}: {values:?}"
            );
        }
    }
}

#[test]
fn names_round_trip_and_bad_names_are_typed_errors() {
    for function in ToyFunction::ALL
        .into_iter()
        .chain([ToyFunction::Bowl { condition: 2.5 }])
    {
        let text = function.to_string();
        assert_eq!(text.parse::<ToyFunction>().expect("parses"), function);
        let json = serde_json::to_string(&function).expect("json");
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(
            serde_json::from_str::<ToyFunction>(&json).expect("back"),
            function
        );
        assert_eq!(function.default_start().len(), function.dims());
    }
    assert_eq!(
        "Six_Hump_Camel".parse::<ToyFunction>().expect("alias"),
        ToyFunction::SixHumpCamel
    );
    assert_eq!(
        "bowl".parse::<ToyFunction>().expect("default"),
        ToyFunction::Bowl { condition: 10.0 }
    );
    for bad in ["himmelblau2", "bowl:0.5", "bowl:x", "bowl:inf", ""] {
        let err = bad.parse::<ToyFunction>().expect_err(bad);
        assert!(
            matches!(
                err,
                ToyError::InvalidOption {
                    field: "function",
                    ..
                }
            ),
            "{bad}: {err}"
        );
    }
}
