//! Shared test fixture: a `Linear(4 -> 3)` with known weights fitted to a fixed batch by MSE,
//! the same problem the PyTorch reference scripts (in the optimizers' test files) solve.

use burn::module::Param;
use burn::nn::Linear;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};

/// Torch's `W0` transposed: Burn's `Linear.weight` is `[d_input, d_output]`.
const W0: [[f32; 3]; 4] = [
    [0.30, -0.50, 0.15],
    [-0.20, 0.25, 0.45],
    [0.10, 0.35, -0.30],
    [0.40, -0.10, 0.20],
];
const B0: [f32; 3] = [0.10, -0.20, 0.05];
const X: [[f32; 4]; 6] = [
    [1.0, 2.0, -1.0, 0.5],
    [0.5, -1.5, 2.0, 1.0],
    [-1.0, 0.0, 1.5, -2.0],
    [2.0, 1.0, 0.5, -0.5],
    [0.0, -0.5, -1.0, 1.5],
    [1.5, -2.0, 0.0, 1.0],
];
const Y: [[f32; 3]; 6] = [
    [0.5, -1.0, 1.0],
    [1.5, 0.0, -0.5],
    [-1.0, 2.0, 0.5],
    [0.0, 1.0, -1.5],
    [1.0, -0.5, 0.0],
    [-0.5, 1.5, 1.0],
];

/// Relative tolerance of the PyTorch comparisons.
pub(crate) const REL_TOL: f32 = 1e-6;
/// Absolute floor added to [`REL_TOL`]`·|expected|`: one f32 ulp at 0.5, for elements that
/// pass near zero, where a 1-ulp difference in an intermediate is a large relative error.
pub(crate) const ABS_TOL: f32 = 6e-8;

/// The fixture layer on the flex autodiff device.
pub(crate) fn fixture() -> Linear {
    let device = Device::flex().autodiff();
    Linear {
        weight: Param::from_tensor(Tensor::from_floats(W0, &device)),
        bias: Some(Param::from_tensor(Tensor::from_floats(B0, &device))),
    }
}

/// MSE gradients of the fixture problem at `model`.
pub(crate) fn grads(model: &Linear) -> GradientsParams {
    let device = model.weight.val().device();
    let x = Tensor::<2>::from_floats(X, &device);
    let y = Tensor::<2>::from_floats(Y, &device);
    let loss = (model.forward(x) - y).square().mean();
    GradientsParams::from_grads(loss.backward(), model)
}

/// Weight (Burn layout, row-major) then bias, as the reference scripts print them.
pub(crate) fn flatten(model: &Linear) -> [f32; 15] {
    let mut out = [0.0; 15];
    let weight: Vec<f32> = model.weight.val().try_into_vec_as().unwrap();
    let bias: Vec<f32> = model
        .bias
        .as_ref()
        .unwrap()
        .val()
        .try_into_vec_as()
        .unwrap();
    out[..12].copy_from_slice(&weight);
    out[12..].copy_from_slice(&bias);
    out
}

/// Run `optim` on the fixture for `lrs.len()` steps, clipping with `before_step` (if any)
/// between backward and step, and return the parameters after each step.
pub(crate) fn run(
    mut optim: ModuleOptimizer,
    lrs: &[f64],
    before_step: impl Fn(&Linear, GradientsParams) -> GradientsParams,
) -> Vec<[f32; 15]> {
    let mut model = fixture();
    lrs.iter()
        .map(|&lr| {
            let g = before_step(&model, grads(&model));
            model = optim.step(lr, model.clone(), g);
            flatten(&model)
        })
        .collect()
}

/// Assert every value is within `REL_TOL·|expected| + ABS_TOL` of the reference.
pub(crate) fn assert_matches(name: &str, actual: &[[f32; 15]], expected: &[[f32; 15]]) {
    assert_matches_within(name, actual, expected, REL_TOL, ABS_TOL);
}

/// Assert every value is within `rel·|expected| + abs` of the reference; prints the worst
/// relative error (visible with `--nocapture`).
pub(crate) fn assert_matches_within(
    name: &str,
    actual: &[[f32; 15]],
    expected: &[[f32; 15]],
    rel: f32,
    abs: f32,
) {
    assert_eq!(actual.len(), expected.len(), "{name}: number of steps");
    let mut worst_rel = 0.0f32;
    let mut worst_abs = 0.0f32;
    for (step, (a_row, e_row)) in actual.iter().zip(expected).enumerate() {
        for (i, (a, e)) in a_row.iter().zip(e_row).enumerate() {
            let diff = (a - e).abs();
            worst_abs = worst_abs.max(diff);
            worst_rel = worst_rel.max(diff / e.abs());
            let tol = rel * e.abs() + abs;
            assert!(
                diff <= tol,
                "{name}: step {} element {i}: got {a}, pytorch {e} (diff {diff:e}, tol {tol:e})",
                step + 1,
            );
        }
    }
    println!("{name}: worst relative error {worst_rel:.2e}, worst absolute {worst_abs:.2e}");
}

/// Save/resume check in the spirit of burn-optim's `assert_optimizer_resume`: two steps with
/// different gradients, a byte round trip of the state into a fresh optimizer, then three more
/// steps on both; the parameters must be bit-identical. `has_state` says whether the
/// optimizer keeps any state (plain SGD does not).
pub(crate) fn assert_resume(create: impl Fn() -> ModuleOptimizer, has_state: bool) {
    let lr = 0.01;
    let mut model = fixture();
    let mut original = create();
    for scale in [1.0, 0.01] {
        let g = scaled(&model, scale);
        model = original.step(lr, model.clone(), g);
    }
    assert_eq!(
        !original.to_record().is_empty(),
        has_state,
        "record presence"
    );
    let bytes = original.into_bytes().unwrap();
    let mut restored = create().from_bytes(bytes).unwrap();

    let mut a = model.clone();
    let mut b = model;
    for scale in [-0.5, 2.0, 0.1] {
        let ga = scaled(&a, scale);
        let gb = scaled(&b, scale);
        a = original.step(lr, a.clone(), ga);
        b = restored.step(lr, b.clone(), gb);
        assert_eq!(
            flatten(&a),
            flatten(&b),
            "resumed update differs (scale {scale})"
        );
    }
}

/// Fixture gradients times `scale` (different magnitudes exercise AMSGrad's maximum).
fn scaled(model: &Linear, scale: f32) -> GradientsParams {
    let device = model.weight.val().device();
    let x = Tensor::<2>::from_floats(X, &device);
    let y = Tensor::<2>::from_floats(Y, &device);
    let loss = (model.forward(x) - y).square().mean().mul_scalar(scale);
    GradientsParams::from_grads(loss.backward(), model)
}
