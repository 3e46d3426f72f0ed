//! The `optimizers` study: the toy lessons of gradient descent (descent-toy's
//! [`lessons`](descent_toy::lessons)), each claim checked on the paths it produces and drawn.

use std::path::Path as FsPath;

use burn::tensor::Device;
use descent_toy::lessons::{self, Lesson};
use descent_toy::{GradientNoise, PlotOptions, draw_paths};

use crate::results::{LessonResult, PathEnd};
use crate::{Protocol, Scale, StudyError, StudyName, Verdict};

/// The seeds of the gradient noise in the saddle lesson (the other lessons are
/// deterministic).
fn seeds(scale: Scale) -> Vec<u64> {
    match scale {
        Scale::Smoke => vec![lessons::SADDLE_NOISE_SEED],
        Scale::Small | Scale::Full => vec![lessons::SADDLE_NOISE_SEED, 8, 9],
    }
}

/// The protocol: every lesson, the saddle lesson once per noise seed.
pub fn protocol(scale: Scale) -> Protocol {
    let names: Vec<String> = lessons::all()
        .iter()
        .map(|l| format!("{} ({})", l.name, l.claim()))
        .collect();
    Protocol {
        study: StudyName::Optimizers,
        scale,
        claim: "The lessons of gradient descent on analytic surfaces: a rate too small crawls \
                and one too large diverges, momentum crosses a narrow valley, a warm restart \
                throws the walk out of a sharp minimum, and gradient noise leaves a saddle."
            .into(),
        source: "textbook behaviour of gradient descent (e.g. Goodfellow et al. 2016, ch. 8); \
                 SGDR (Loshchilov and Hutter 2017) for the restart lesson"
            .into(),
        description: format!(
            "The lessons of descent_toy::lessons, run as they are defined there (surfaces, \
             starts, rates, steps): {}. The saddle lesson runs once per noise seed. Every scale \
             runs the same lessons; it takes seconds.",
            names.join("; ")
        ),
        verdict_rule: "Each lesson's claim is checked on the final points by the rule in \
                       descent_toy::lessons (the same as its tests). Reproduced if every \
                       lesson holds for every seed; not reproduced if none does; mixed \
                       otherwise."
            .into(),
        seeds: seeds(scale),
        arms: Vec::new(),
        measures: None,
    }
}

/// Runs the lessons, draws each into `out/lessons/NAME.svg`, and checks each claim.
pub fn run(
    protocol: &Protocol,
    out: &FsPath,
    device: &Device,
) -> Result<(Vec<LessonResult>, Verdict, String), StudyError> {
    let dir = out.join("lessons");
    std::fs::create_dir_all(&dir).map_err(|e| StudyError::Output {
        path: dir.clone(),
        reason: format!("cannot make the folder: {e}"),
    })?;
    let mut results = Vec::new();
    for lesson in lessons::all() {
        let variants: Vec<(Option<u64>, Lesson)> = if lesson.name == "saddle-noise" {
            protocol
                .seeds
                .iter()
                .map(|&seed| (Some(seed), with_noise_seed(&lesson, seed)))
                .collect()
        } else {
            vec![(None, lesson.clone())]
        };
        for (seed, variant) in variants {
            let paths = variant.run(device)?;
            let check = variant.check(&paths);
            let name = match seed {
                Some(seed) => format!("{}-seed{seed}", variant.name),
                None => variant.name.to_string(),
            };
            let figure = format!("lessons/{name}.svg");
            let options = PlotOptions {
                title: Some(variant.title.to_string()),
                ..PlotOptions::default()
            };
            draw_paths(variant.function(), &paths, &out.join(&figure), &options)?;
            results.push(LessonResult {
                lesson: name,
                claim: variant.claim().to_string(),
                held: check.held,
                detail: check.detail,
                figure,
                paths: paths
                    .iter()
                    .map(|p| PathEnd {
                        label: p.label.clone(),
                        end: p.final_point(),
                        loss: p.final_loss(),
                        diverged: p.diverged.is_some(),
                    })
                    .collect(),
            });
        }
    }
    let held = results.iter().filter(|r| r.held).count();
    let verdict = if held == results.len() {
        Verdict::Reproduced
    } else if held == 0 {
        Verdict::NotReproduced
    } else {
        Verdict::Mixed
    };
    let reason = format!("{held} of {} lesson runs held their claim.", results.len());
    Ok((results, verdict, reason))
}

/// The lesson with the noisy walk's seed replaced.
fn with_noise_seed(lesson: &Lesson, seed: u64) -> Lesson {
    let mut variant = lesson.clone();
    for walk in &mut variant.walks {
        if walk.noise.is_some() {
            *walk = walk
                .clone()
                .with_noise(Some(GradientNoise::new(lessons::SADDLE_NOISE_STD, seed)));
        }
    }
    variant
}
