//! Each lesson's claim, asserted on the final points (fixed seeds, flex device).

use burn::tensor::Device;

use super::*;
use crate::function::TWO_WELLS_LOCAL;

fn run(lesson: &Lesson) -> Vec<Path> {
    let paths = lesson.run(&Device::flex()).expect("lesson runs");
    for path in &paths {
        println!(
            "{} / {}: final {:?}, loss {:e}, diverged {:?}",
            lesson.name,
            path.label,
            path.final_point(),
            path.final_loss(),
            path.diverged
        );
    }
    paths
}

#[test]
fn learning_rate_too_small_right_too_large() {
    let paths = run(&learning_rate());
    let start_loss = paths[0].losses[0];
    let [small, right, large] = [&paths[0], &paths[1], &paths[2]];
    // Closed form: x_50 = -4 (1 - lr)^50, y_50 = (1 - 10 lr)^50.
    assert!(
        small.final_loss() > 1.0,
        "too small: {}",
        small.final_loss()
    );
    assert!(small.final_point()[0] < -1.4);
    assert!(right.final_loss() < 1e-6, "right: {}", right.final_loss());
    assert!(
        large.final_loss() > 1e3 * start_loss,
        "too large: {}",
        large.final_loss()
    );
    assert!(large.final_point()[1].abs() > 100.0);
}

#[test]
fn momentum_crosses_the_narrow_valley() {
    let paths = run(&momentum_valley());
    let target = [1.0, 1.0];
    let gd = paths[0].distance_to(target);
    assert!(gd > 2.0, "gd stays far: {gd}");
    for path in &paths[1..] {
        let d = path.distance_to(target);
        assert!(d < 0.15, "{}: {d}", path.label);
        assert!(path.final_loss() < 1e-2, "{}", path.label);
    }
}

#[test]
fn warm_restarts_escape_the_shallow_well_that_annealing_settles_in() {
    let paths = run(&warm_restarts());
    let [cosine, sgdr] = [&paths[0], &paths[1]];
    let x_cos = cosine.final_point()[0];
    let x_sgdr = sgdr.final_point()[0];
    assert!(
        (x_cos - TWO_WELLS_LOCAL).abs() < 1e-3,
        "annealing ends at {x_cos}"
    );
    assert!((x_sgdr + 2.0).abs() < 0.05, "sgdr ends at {x_sgdr}");
    // SGDR did sit in the shallow well at the end of an earlier cycle and left it after a
    // restart (the restart is the escape, not a lucky first pass).
    let ends: Vec<f64> = (30..200).step_by(30).map(|k| sgdr.points[k][0]).collect();
    let settled = ends
        .iter()
        .position(|x| (x - TWO_WELLS_LOCAL).abs() < 1e-2)
        .expect("sgdr settles in the shallow well at the end of some cycle");
    assert!(ends[settled + 1..].iter().any(|x| *x < 0.0), "{ends:?}");
    // Same peak rate, same number of steps.
    assert_eq!(cosine.lrs[0], sgdr.lrs[0]);
    assert_eq!(cosine.lrs.len(), sgdr.lrs.len());
}

#[test]
fn warm_restart_lesson_holds_for_nearby_starts() {
    for start in [19.25, 19.5, 20.25, 20.5] {
        let lesson = warm_restarts();
        let paths: Vec<Path> = lesson
            .walks
            .iter()
            .map(|w| {
                w.clone()
                    .with_start(vec![start])
                    .run(&Device::flex())
                    .expect("walk")
            })
            .collect();
        let x_cos = paths[0].final_point()[0];
        let x_sgdr = paths[1].final_point()[0];
        assert!(
            (x_cos - TWO_WELLS_LOCAL).abs() < 1e-3,
            "start {start}: cosine {x_cos}"
        );
        assert!((x_sgdr + 2.0).abs() < 0.1, "start {start}: sgdr {x_sgdr}");
        let settled = (paths[1].points[150][0] - TWO_WELLS_LOCAL).abs();
        assert!(
            settled < 1e-2,
            "start {start}: not in the shallow well at the restart"
        );
    }
}

#[test]
fn noise_escapes_the_saddle_where_full_batch_gd_stalls() {
    let paths = run(&saddle_noise());
    let [gd, noisy] = [&paths[0], &paths[1]];
    // Full batch: y stays exactly 0, x = (1 - 2 lr)^60 = 0.9^60 ≈ 0.0018: at the saddle.
    let [x, y] = gd.final_point();
    assert_eq!(y, 0.0);
    assert!(x.abs() < 0.01 && gd.final_loss().abs() < 1e-4);
    // Noisy: y grows by (1 + 2 lr) = 1.1 per step once perturbed.
    let [_, y] = noisy.final_point();
    assert!(y.abs() > 0.5, "noisy y {y}");
    assert!(
        noisy.final_loss() < -0.25,
        "noisy loss {}",
        noisy.final_loss()
    );
}

#[test]
fn each_lesson_checks_its_own_claim() {
    for lesson in all() {
        let paths = run(&lesson);
        let check = lesson.check(&paths);
        assert!(check.held, "{}: {}", lesson.name, check.detail);
        assert_ne!(lesson.claim(), "no claim recorded");
        // The same rules fail on another lesson's paths.
        let other = if lesson.name == "saddle-noise" {
            learning_rate()
        } else {
            saddle_noise()
        };
        assert!(
            !other.check(&paths).held,
            "{} paths pass {}",
            lesson.name,
            other.name
        );
    }
}
