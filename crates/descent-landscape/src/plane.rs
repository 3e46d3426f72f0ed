//! The plane through three models `A`, `B`, `C` and its axes.
//!
//! - [`PlaneAxes::Orthonormal`] (the default, as Garipov et al. 2018 do in
//!   `dnn-mode-connectivity/plane.py`): `u = (B - A) / |B - A|` and `v` the unit part of
//!   `C - A` orthogonal to `u` (Gram-Schmidt). Coordinates are Euclidean distances in
//!   parameter space, so contours are not skewed; the models sit at `A = (0, 0)`,
//!   `B = (|B - A|, 0)` and `C = ((C - A) . u, |C - A - ((C - A) . u) u|)`.
//! - [`PlaneAxes::Affine`] (the older layout): the axes are `B - A` and `C - A` themselves, so
//!   the models sit at `(0, 0)`, `(1, 0)`, `(0, 1)`; the picture is sheared whenever the
//!   cosine between `B - A` and `C - A` is not 0.
//!
//! Norms and dot products are taken over the trainable parameters (weights, biases, norm
//! layers), as `plane.py` does over `parameters()`. Running statistics follow the same linear
//! combinations, so each model's point carries that model's statistics exactly.

use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::curvature::flat::FlatLayout;
use crate::grid::{Axis, Grid};
use crate::vector::ParamVector;

/// How the plane through three models is parametrized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaneAxes {
    /// An orthonormal basis in Euclidean units (Garipov et al. 2018).
    #[default]
    Orthonormal,
    /// The axes `B - A` and `C - A` (models at `(0,0)`, `(1,0)`, `(0,1)`).
    Affine,
}

impl std::fmt::Display for PlaneAxes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PlaneAxes::Orthonormal => "orthonormal",
            PlaneAxes::Affine => "affine",
        })
    }
}

impl std::str::FromStr for PlaneAxes {
    type Err = LandscapeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "orthonormal" => Ok(PlaneAxes::Orthonormal),
            "affine" => Ok(PlaneAxes::Affine),
            _ => Err(LandscapeError::invalid(
                "plane axes",
                s,
                "expected orthonormal or affine",
            )),
        }
    }
}

/// Where the three models sit on a plane scan, recorded in its file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlaneInfo {
    /// The parametrization.
    pub axes: PlaneAxes,
    /// The coordinates of `A`, `B`, `C`.
    pub marks: [[f64; 2]; 3],
    /// The cosine between `B - A` and `C - A`.
    pub cosine: f64,
    /// `|B - A|` and `|C - A|`.
    pub lengths: [f64; 2],
}

/// The two scan directions of a plane and where the models sit.
#[derive(Debug, Clone)]
pub struct PlaneBasis {
    /// The directions of the x and y axes.
    pub directions: [ParamVector; 2],
    /// The geometry.
    pub info: PlaneInfo,
}

/// The plane through `a`, `b`, `c` with `axes` (see the module docs).
///
/// # Errors
///
/// [`LandscapeError::Mismatch`] for other architectures; [`LandscapeError::InvalidOption`]
/// if the three models are (numerically) on one line, which spans no plane.
pub fn plane_basis(
    a: &ParamVector,
    b: &ParamVector,
    c: &ParamVector,
    axes: PlaneAxes,
) -> Result<PlaneBasis, LandscapeError> {
    let ab = b.sub(a)?;
    let ac = c.sub(a)?;
    let layout = FlatLayout::new(&a.infos());
    let (fab, fac) = (layout.flatten(&ab)?, layout.flatten(&ac)?);
    let dot = crate::curvature::flat::dot;
    let bx = dot(&fab, &fab).sqrt();
    let lc = dot(&fac, &fac).sqrt();
    if bx == 0.0 || lc == 0.0 {
        return Err(LandscapeError::invalid(
            "checkpoints",
            "A, B, C",
            "two of the three models have the same trainable parameters; they span no plane",
        ));
    }
    let cx = dot(&fab, &fac) / bx;
    let cy = (lc * lc - cx * cx).max(0.0).sqrt();
    let cosine = cx / lc;
    if cy <= 1e-9 * lc {
        return Err(LandscapeError::invalid(
            "checkpoints",
            format!("cosine {cosine}"),
            "the three models are on one line; they span no plane",
        ));
    }
    let info = |axes, marks| PlaneInfo {
        axes,
        marks,
        cosine,
        lengths: [bx, lc],
    };
    Ok(match axes {
        PlaneAxes::Affine => PlaneBasis {
            directions: [ab, ac],
            info: info(axes, [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]),
        },
        PlaneAxes::Orthonormal => {
            let u = ab.scale(1.0 / bx);
            let v = ac.axpy(-cx, &u)?.scale(1.0 / cy);
            PlaneBasis {
                directions: [u, v],
                info: info(axes, [[0.0, 0.0], [bx, 0.0], [cx, cy]]),
            }
        }
    })
}

/// A grid over the three models' marks widened by `margin` of its extent on each side
/// (`plane.py` uses 0.2), with `num` points per axis.
///
/// # Errors
///
/// [`LandscapeError::InvalidOption`] for fewer than 2 points or a negative margin.
pub fn grid_around(info: &PlaneInfo, margin: f64, num: usize) -> Result<Grid, LandscapeError> {
    if num < 2 || !(margin.is_finite() && margin >= 0.0) {
        return Err(LandscapeError::invalid(
            "grid",
            format!("{num} points, margin {margin}"),
            "need at least 2 points per axis and a margin of 0 or more",
        ));
    }
    let axis = |k: usize| -> Result<Axis, LandscapeError> {
        let lo = info
            .marks
            .iter()
            .map(|m| m[k])
            .fold(f64::INFINITY, f64::min);
        let hi = info
            .marks
            .iter()
            .map(|m| m[k])
            .fold(f64::NEG_INFINITY, f64::max);
        let w = hi - lo;
        format!("{}:{}:{num}", lo - margin * w, hi + margin * w).parse()
    };
    Grid::new(axis(0)?, Some(axis(1)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_utils::{tiny_mlp, tiny_vgg};
    use burn::tensor::Device;

    /// The reference: Garipov's construction in numpy terms, on the flat trainable vectors
    /// (`u = (w2 - w0) / |.|`, `v = w1 - w0 - (u . (w1 - w0)) u`, normalized), checked
    /// against the marks and the scan's own points.
    #[test]
    fn orthonormal_axes_put_each_model_at_its_euclidean_coordinates() {
        let device = Device::flex();
        let (a, b, c) = (
            ParamVector::from_module(&tiny_mlp(&device, 1)),
            ParamVector::from_module(&tiny_mlp(&device, 2)),
            ParamVector::from_module(&tiny_mlp(&device, 5)),
        );
        let layout = FlatLayout::new(&a.infos());
        let f = |v: &ParamVector| layout.flatten(v).expect("flat");
        let (fa, fb, fc) = (f(&a), f(&b), f(&c));
        let ab: Vec<f64> = fb.iter().zip(&fa).map(|(x, y)| x - y).collect();
        let ac: Vec<f64> = fc.iter().zip(&fa).map(|(x, y)| x - y).collect();
        let dot = crate::curvature::flat::dot;
        let nab = dot(&ab, &ab).sqrt();
        let u: Vec<f64> = ab.iter().map(|x| x / nab).collect();
        let cu = dot(&u, &ac);
        let w: Vec<f64> = ac.iter().zip(&u).map(|(x, y)| x - cu * y).collect();
        let nw = dot(&w, &w).sqrt();
        let basis = plane_basis(&a, &b, &c, PlaneAxes::Orthonormal).expect("plane");
        let m = basis.info.marks;
        assert_eq!(m[0], [0.0, 0.0]);
        // (Our differences are taken in f32, the reference's in f64.)
        assert!((m[1][0] - nab).abs() < 1e-6 * nab && m[1][1] == 0.0);
        assert!((m[2][0] - cu).abs() < 1e-6 * nab && (m[2][1] - nw).abs() < 1e-6 * nw);
        let (du, dv) = (f(&basis.directions[0]), f(&basis.directions[1]));
        assert!((dot(&du, &du) - 1.0).abs() < 1e-6);
        assert!((dot(&dv, &dv) - 1.0).abs() < 1e-6);
        assert!(dot(&du, &dv).abs() < 1e-6);
        let cos = dot(&ab, &ac) / (nab * dot(&ac, &ac).sqrt());
        assert!((basis.info.cosine - cos).abs() < 1e-6);
        // A + x u + y v at each mark is that model.
        for (mark, model) in m.iter().zip([&a, &b, &c]) {
            let p = a
                .axpy(mark[0], &basis.directions[0])
                .and_then(|p| p.axpy(mark[1], &basis.directions[1]))
                .expect("layout");
            let err = p.sub(model).expect("layout").norm();
            assert!(err < 1e-5 * model.norm(), "{mark:?}: {err}");
        }
        let affine = plane_basis(&a, &b, &c, PlaneAxes::Affine).expect("plane");
        assert_eq!(affine.info.marks, [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]);
        assert!(plane_basis(&a, &b, &b, PlaneAxes::Orthonormal).is_err());
        let grid = grid_around(&basis.info, 0.2, 11).expect("grid");
        let xs = grid.x.values();
        assert!(xs[0] <= m.iter().map(|p| p[0]).fold(f64::INFINITY, f64::min));
    }

    /// Running statistics follow the models: each mark carries that model's statistics.
    #[test]
    fn running_statistics_land_on_each_model() {
        let device = Device::flex();
        let a = ParamVector::from_module(&tiny_vgg(&device));
        let shift = |v: &ParamVector, s: f64| {
            v.map(|e| {
                e.value
                    .clone()
                    .add_scalar(s * (e.info.numel() as f64).sqrt().recip())
            })
        };
        let (b, c) = (shift(&a, 0.3), shift(&a, -0.1).scale(1.05));
        let basis = plane_basis(&a, &b, &c, PlaneAxes::Orthonormal).expect("plane");
        for (mark, model) in basis.info.marks.iter().zip([&a, &b, &c]) {
            let p = a
                .axpy(mark[0], &basis.directions[0])
                .and_then(|p| p.axpy(mark[1], &basis.directions[1]))
                .expect("layout");
            for (x, y) in p.entries().iter().zip(model.entries()) {
                let err = (x.value.clone() - y.value.clone())
                    .abs()
                    .max()
                    .into_scalar::<f64>();
                assert!(err < 1e-4, "{} at {mark:?}: {err}", x.info.path);
            }
        }
    }
}
