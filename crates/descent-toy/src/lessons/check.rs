//! Whether a lesson's claim held on the paths it produced: the rules of the lesson table in
//! [`crate::lessons`], on the final points reached.

use crate::Path;
use crate::function::TWO_WELLS_LOCAL;

/// The outcome of a lesson's claim.
#[derive(Debug, Clone, PartialEq)]
pub struct LessonCheck {
    /// Whether every part of the claim held.
    pub held: bool,
    /// The numbers the outcome rests on.
    pub detail: String,
}

/// The claim of the lesson named `name`, in a sentence.
pub fn claim(name: &str) -> &'static str {
    match name {
        "learning-rate" => {
            "on a bowl of condition number 10, GD at lr 0.02 is still far from the minimum \
             after 50 steps, at 0.18 (about 2/(lambda_min + lambda_max)) it is there, and at \
             0.21 (above 2/lambda_max = 0.2) it blows up"
        }
        "momentum-valley" => {
            "in Rosenbrock's valley at lr 1e-3, 500 steps of GD crawl along the floor while \
             heavy-ball and Nesterov momentum 0.9 reach (1, 1)"
        }
        "warm-restarts" => {
            "one cosine annealing settles in the shallow narrow well; SGDR with the same peak \
             rate and steps is thrown out of it by a restart and ends in the deep wide well"
        }
        "saddle-noise" => {
            "from (1, 0) on x^2 - y^2, full-batch GD converges to the saddle point and stays; \
             the same GD with gradient noise leaves it"
        }
        _ => "no claim recorded",
    }
}

/// Checks the claim of the lesson named `name` on its `paths` (in the lesson's walk order).
pub fn check(name: &str, paths: &[Path]) -> LessonCheck {
    let outcome = |held: bool, detail: String| LessonCheck { held, detail };
    match (name, paths) {
        ("learning-rate", [small, right, large, ..]) => {
            let start = small.losses.first().copied().unwrap_or(f64::NAN);
            let (s, r, l) = (small.final_loss(), right.final_loss(), large.final_loss());
            outcome(
                s > 1.0 && r < 1e-6 && (large.diverged.is_some() || l > 1e3 * start),
                format!(
                    "final losses: too small {s:.3e}, right {r:.3e}, too large {l:.3e} (start {start:.3e})"
                ),
            )
        }
        ("momentum-valley", [gd, rest @ ..]) if !rest.is_empty() => {
            let target = [1.0, 1.0];
            let far = gd.distance_to(target);
            let near: Vec<f64> = rest.iter().map(|p| p.distance_to(target)).collect();
            outcome(
                far > 2.0 && near.iter().all(|d| *d < 0.15),
                format!("distance to (1, 1): GD {far:.3}, with momentum {near:.3?}"),
            )
        }
        ("warm-restarts", [cosine, sgdr, ..]) => {
            let (xc, xs) = (cosine.final_point()[0], sgdr.final_point()[0]);
            let settled_then_left = (30..sgdr.points.len())
                .step_by(30)
                .map(|k| sgdr.points[k][0])
                .collect::<Vec<_>>();
            let settled = settled_then_left
                .iter()
                .position(|x| (x - TWO_WELLS_LOCAL).abs() < 1e-2);
            let left = settled.is_some_and(|i| settled_then_left[i + 1..].iter().any(|x| *x < 0.0));
            outcome(
                (xc - TWO_WELLS_LOCAL).abs() < 1e-3 && (xs + 2.0).abs() < 0.05 && left,
                format!(
                    "cosine ends at x = {xc:.4} (shallow well at {TWO_WELLS_LOCAL:.4}), SGDR at \
                     x = {xs:.4} (deep well at -2); SGDR sat in the shallow well at a cycle end \
                     and left it after a restart: {left}"
                ),
            )
        }
        ("saddle-noise", [gd, noisy, ..]) => {
            let [x, y] = gd.final_point();
            let [_, yn] = noisy.final_point();
            outcome(
                y == 0.0 && x.abs() < 0.01 && yn.abs() > 0.5 && noisy.final_loss() < -0.25,
                format!(
                    "full batch ends at ({x:.4}, {y}); with noise y = {yn:.3}, loss {:.3}",
                    noisy.final_loss()
                ),
            )
        }
        _ => outcome(
            false,
            format!("unknown lesson {name} or too few paths ({})", paths.len()),
        ),
    }
}
