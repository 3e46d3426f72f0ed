use burn::tensor::Device;

use super::*;
use crate::test_utils::tiny_mlp;
use crate::vector::ParamInfo;

/// Points with the layout of the 4-5-3 MLP: weight values from `f(point, index)` (flat over
/// the weight entries in order), biases from `bias(point, index)`.
fn points(
    n: usize,
    f: impl Fn(usize, usize) -> f64,
    bias: impl Fn(usize, usize) -> f64,
) -> (Vec<ParamInfo>, Vec<ParamVector>) {
    let device = Device::flex();
    let infos = ParamVector::from_module(&tiny_mlp(&device, 1)).infos();
    let vectors = (0..n)
        .map(|i| {
            let mut w = 0;
            let mut b = 0;
            let values = infos
                .iter()
                .map(|info| {
                    (0..info.numel())
                        .map(|_| {
                            if info.kind == ParamKind::Weight {
                                w += 1;
                                f(i, w - 1) as f32
                            } else {
                                b += 1;
                                bias(i, b - 1) as f32
                            }
                        })
                        .collect()
                })
                .collect();
            ParamVector::from_host(&infos, values, &device).expect("layout")
        })
        .collect();
    (infos, vectors)
}

#[test]
fn known_principal_directions_are_found_exactly() {
    // theta_i = theta_f + a_i e1 + b_i e2 with e1, e2 orthonormal weight directions and
    // centred a, b orthogonal: PC1 = e1 (share 10/12.5), PC2 = e2 (share 2.5/12.5). The biases
    // move a lot, but they are ignored.
    let a = [4.0, 3.0, 2.0, 1.0, 0.0];
    let b = [1.0, -0.5, 0.5, 1.5, 0.0];
    let e1 = |k: usize| if k == 3 { 1.0 } else { 0.0 };
    let e2 = |k: usize| if k == 17 { 1.0 } else { 0.0 };
    let base = |k: usize| 0.1 * k as f64 - 0.7;
    let (_, pts) = points(
        5,
        |i, k| base(k) + a[i] * e1(k) + b[i] * e2(k),
        |i, k| 10.0 * ((i * 7 + k) as f64).sin(),
    );
    let result = pca(&pts, &pts[4], BiasBn::Ignore, 2).expect("pca");
    assert!(
        (result.explained[0] - 0.8).abs() < 1e-6,
        "{:?}",
        result.explained
    );
    assert!(
        (result.explained[1] - 0.2).abs() < 1e-6,
        "{:?}",
        result.explained
    );
    for (i, c) in result.coords.iter().enumerate() {
        assert!((c[0].abs() - a[i]).abs() < 1e-5, "point {i}: {c:?}");
        assert!((c[1].abs() - b[i].abs()).abs() < 1e-5, "point {i}: {c:?}");
    }
    // The reference (final point) projects to the origin; the directions are unit and
    // orthogonal, with no bias component.
    assert_eq!(result.coords[4], vec![0.0, 0.0]);
    let [d1, d2] = [&result.components[0], &result.components[1]];
    assert!((d1.norm() - 1.0).abs() < 1e-6 && (d2.norm() - 1.0).abs() < 1e-6);
    assert!(d1.dot(d2).expect("dot").abs() < 1e-6);
    for e in d1.entries().iter().chain(d2.entries()) {
        if e.info.kind == ParamKind::Bias {
            assert_eq!(e.value.clone().abs().sum().into_scalar::<f32>(), 0.0);
        }
    }
    // Including the biases changes the answer.
    let with_bias = pca(&pts, &pts[4], BiasBn::Include, 2).expect("pca");
    assert!((with_bias.explained[0] - 0.8).abs() > 0.01);
}

// Reference values from numpy (scikit-learn's PCA: centred rows, SVD):
//
// import numpy as np
// n, p = 6, 35   # the 4-5-3 MLP's weight entries (biases ignored)
// X = np.array([[np.float32(np.sin(0.3 * (k + 1) * (i + 1)) + 0.2 * i * np.cos(k) + 0.05 * i * i)
//                for k in range(p)] for i in range(n)], dtype=np.float64)
// D = X - X[-1]
// Dc = D - D.mean(axis=0)
// U, S, Vt = np.linalg.svd(Dc, full_matrices=False)
// ratio = S**2 / (S**2).sum()
// print(ratio[:2])              # [0.48274288 0.14974285]
// for k in range(2):            # sklearn's svd_flip: largest |U[:, k]| positive
//     if U[np.argmax(np.abs(U[:, k])), k] < 0: Vt[k] = -Vt[k]
// print(D @ Vt[:2].T)
// # [[-9.3297547  -1.30060184] [-8.59122987  4.23139651] [-8.64497748 -0.56733923]
// #  [-5.45283553  2.24684944] [-3.27630125  1.70572066] [ 0.          0.        ]]
#[test]
fn shares_and_coordinates_match_numpy() {
    let (_, pts) = points(
        6,
        |i, k| {
            let (i, k) = (i as f64, k as f64);
            (0.3 * (k + 1.0) * (i + 1.0)).sin() + 0.2 * i * k.cos() + 0.05 * i * i
        },
        |_, _| 0.0,
    );
    let result = pca(&pts, &pts[5], BiasBn::Ignore, 2).expect("pca");
    let want_ratio = [0.48274288, 0.14974285];
    for (got, want) in result.explained.iter().zip(want_ratio) {
        assert!((got - want).abs() < 1e-5, "{:?}", result.explained);
    }
    assert!(result.explained.iter().sum::<f64>() <= 1.0);
    let want = [
        [-9.3297547, -1.30060184],
        [-8.59122987, 4.23139651],
        [-8.64497748, -0.56733923],
        [-5.45283553, 2.24684944],
        [-3.27630125, 1.70572066],
        [0.0, 0.0],
    ];
    for (c, w) in result.coords.iter().zip(want) {
        for k in 0..2 {
            assert!(
                (c[k] - w[k]).abs() < 1e-4 * (1.0 + w[k].abs()),
                "{c:?} vs {w:?}"
            );
        }
    }
}

#[test]
fn too_few_or_motionless_points_are_errors() {
    let (_, pts) = points(2, |i, k| (i + k) as f64, |_, _| 0.0);
    let err = pca(&pts, &pts[1], BiasBn::Ignore, 2).expect_err("two points");
    assert!(err.to_string().contains("at least 3 points"), "{err}");
    let (_, still) = points(4, |_, k| k as f64, |i, _| i as f64);
    let err = pca(&still, &still[3], BiasBn::Ignore, 2).expect_err("no motion");
    assert!(err.to_string().contains("fewer than 2 dimensions"), "{err}");
}

#[test]
fn fit_is_the_share_of_each_displacement_the_plane_keeps() {
    // A third, smaller direction e3 whose centred coordinates are orthogonal to a's and b's:
    // the components stay e1 and e2 exactly, and point i keeps (a_i^2 + b_i^2) of its
    // squared displacement a_i^2 + b_i^2 + c_i^2 from the reference (point 4).
    let a = [4.0, 3.0, 2.0, 1.0, 0.0];
    let b = [1.0, -0.5, 0.5, 1.5, 0.0];
    let c = [1.0, -2.0, 2.0, -2.0, 1.0].map(|x: f64| 0.2 * x);
    let unit = |j: usize| move |k: usize| if k == j { 1.0 } else { 0.0 };
    let (e1, e2, e3) = (unit(3), unit(17), unit(9));
    let (_, pts) = points(
        5,
        |i, k| a[i] * e1(k) + b[i] * e2(k) + c[i] * e3(k),
        |_, _| 0.0,
    );
    let result = pca(&pts, &pts[4], BiasBn::Ignore, 2).expect("pca");
    assert_eq!(result.fit.len(), 5);
    assert_eq!(result.fit[4], None, "the reference has no displacement");
    for i in 0..4 {
        let (x, y, z) = (a[i], b[i], c[i] - c[4]);
        let want = (x * x + y * y) / (x * x + y * y + z * z);
        let got = result.fit[i].expect("displaced");
        assert!((got - want).abs() < 1e-6, "point {i}: {got} vs {want}");
    }
    assert!(
        result.fit[1].expect("displaced") < 1.0,
        "point 1 leaves the plane"
    );
}
