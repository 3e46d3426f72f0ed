//! Measuring a [`Curve`] and the straight line between its ends at evenly spaced `t`
//! (`eval_curve.py`), and where both paths lie on the plane of `A`, `B`, `C`.

use std::collections::BTreeMap;

use burn::module::Module;
use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::curve::{Curve, barrier};
use crate::evaluator::PointEvaluator;
use crate::plane::{PlaneAxes, PlaneInfo, plane_basis};

/// The numbers measured along one path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathProfile {
    /// Each metric (`loss_train`, `acc_train`, ...) at every `t`.
    pub values: BTreeMap<String, Vec<f64>>,
    /// [`barrier`] of the first loss metric (`None` if there is none).
    pub barrier: Option<f64>,
}

/// Both paths measured at the same `t`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveProfiles {
    /// The points, from 0 to 1.
    pub t: Vec<f64>,
    /// The metric names, in the evaluator's order.
    pub metrics: Vec<String>,
    /// The name of the metric the barriers are taken of.
    pub barrier_metric: Option<String>,
    /// Along the trained curve.
    pub curve: PathProfile,
    /// Along the straight line `(1 - t) A + t C`.
    pub line: PathProfile,
}

/// Measures `curve` and the line between its ends at each `t` of `ts` with `evaluator`
/// (each point's weights and running statistics loaded into `template`, which must be in
/// eval mode; a batch-norm model needs an evaluator that recomputes its statistics, such as
/// a [`ClassifierEvaluator`](crate::ClassifierEvaluator) with
/// [`BnPolicy::Recompute`](crate::BnPolicy::Recompute): without it the barrier is wrong, as
/// Garipov et al.'s issue #8 found). `observer(done, total)` sees each point as it finishes.
///
/// # Errors
///
/// Layout mismatches and whatever the evaluator reports.
pub fn evaluate_paths<M: Module>(
    template: &M,
    curve: &Curve,
    ts: &[f64],
    evaluator: &mut dyn PointEvaluator<M>,
    observer: &mut dyn FnMut(usize, usize),
) -> Result<CurveProfiles, LandscapeError> {
    let metrics = evaluator.metric_names();
    let barrier_metric = metrics.iter().find(|m| m.starts_with("loss")).cloned();
    let total = 2 * ts.len();
    let mut done = 0;
    let mut measure = |on_curve: bool| -> Result<PathProfile, LandscapeError> {
        let mut values: BTreeMap<String, Vec<f64>> = metrics
            .iter()
            .map(|m| (m.clone(), Vec::with_capacity(ts.len())))
            .collect();
        for &t in ts {
            let point = match on_curve {
                true => curve.point(t)?,
                false => curve.line_point(t)?,
            };
            let model = point.load_into(template.clone(), true)?;
            let numbers = evaluator.evaluate(&model)?;
            for (name, value) in metrics.iter().zip(numbers) {
                if let Some(list) = values.get_mut(name) {
                    list.push(value);
                }
            }
            done += 1;
            observer(done, total);
        }
        let barrier = barrier_metric
            .as_ref()
            .and_then(|m| values.get(m))
            .and_then(|losses| barrier(losses));
        Ok(PathProfile { values, barrier })
    };
    let on_curve = measure(true)?;
    let on_line = measure(false)?;
    Ok(CurveProfiles {
        t: ts.to_vec(),
        metrics,
        barrier_metric,
        curve: on_curve,
        line: on_line,
    })
}

/// Both paths drawn on the plane of `A`, `B` (the bend) and `C` in its orthonormal
/// coordinates ([`PlaneAxes::Orthonormal`]: `A` at the origin, `B` on the x axis). Every
/// point of either path is an affine combination of the three, so it lies exactly on the
/// plane and its coordinates are the same combination of theirs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanePath {
    /// Where `A`, `B`, `C` sit, and the plane's geometry.
    pub plane: PlaneInfo,
    /// The curve's points `[x, y]` at each `t`.
    pub curve: Vec<[f64; 2]>,
    /// The line's points `[x, y]` at each `t`.
    pub line: Vec<[f64; 2]>,
}

/// The share of `|C - A|` below which the bend counts as on the line through `A` and `C`.
const BEND_ON_LINE: f64 = 1e-4;

/// The paths of `curve` on its plane at each `t` of `ts`; `None` when the bend lies on the
/// line through `A` and `C` (an untrained bend), which spans no plane: closer to it than
/// 1e-4 of `|C - A|`.
///
/// # Errors
///
/// [`LandscapeError::Mismatch`] if the layouts differ.
pub fn plane_path(curve: &Curve, ts: &[f64]) -> Result<Option<PlanePath>, LandscapeError> {
    let basis = match plane_basis(
        &curve.start,
        &curve.bend,
        &curve.end,
        PlaneAxes::Orthonormal,
    ) {
        Ok(b) => b,
        Err(LandscapeError::InvalidOption { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let [a, b, c] = basis.info.marks;
    // In f32 an untrained bend sits off the line by rounding only; such a "plane" is noise.
    if c[1].abs() <= BEND_ON_LINE * basis.info.lengths[1] {
        return Ok(None);
    }
    let combine = |w: [f64; 3]| {
        [
            w[0] * a[0] + w[1] * b[0] + w[2] * c[0],
            w[0] * a[1] + w[1] * b[1] + w[2] * c[1],
        ]
    };
    Ok(Some(PlanePath {
        plane: basis.info,
        curve: ts
            .iter()
            .map(|&t| combine(curve.kind.coefficients(t)))
            .collect(),
        line: ts.iter().map(|&t| combine([1.0 - t, 0.0, t])).collect(),
    }))
}
