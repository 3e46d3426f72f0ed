//! The `restarts` study: warm restarts (SGDR, Loshchilov and Hutter 2017) and snapshot
//! ensembles (Huang et al. 2017) against step decay and plain cosine annealing, at one
//! budget.

use std::path::PathBuf;

use descent_models::{MlpConfig, ModelConfig, ResNetConfig};
use descent_optim::schedule::{ScheduleConfig, ScheduleUnit};
use descent_train::averaging::{AveragingOptions, Snapshots};

use crate::base::{BaseRun, run_config};
use crate::{Arm, Protocol, Row, Scale, StudyError, StudyName, Verdict};

/// The budget and sizes of one scale.
struct Budget {
    epochs: usize,
    cycle: usize,
    seeds: Vec<u64>,
    train_samples: Option<usize>,
    test_samples: Option<usize>,
    lr: f64,
}

fn budget(scale: Scale) -> Budget {
    match scale {
        Scale::Smoke => Budget {
            epochs: 4,
            cycle: 2,
            seeds: vec![0, 1],
            train_samples: Some(2000),
            test_samples: Some(1000),
            lr: 0.05,
        },
        Scale::Small => Budget {
            epochs: 20,
            cycle: 5,
            seeds: vec![0, 1, 2],
            train_samples: None,
            test_samples: None,
            lr: 0.05,
        },
        Scale::Full => Budget {
            epochs: 200,
            cycle: 40,
            seeds: vec![0, 1, 2],
            train_samples: None,
            test_samples: None,
            lr: 0.1,
        },
    }
}

/// The protocol at `scale`.
///
/// # Errors
///
/// [`StudyError::Optim`] if the optimizer settings are refused (they are constants).
pub fn protocol(scale: Scale, data_dir: Option<PathBuf>) -> Result<Protocol, StudyError> {
    let b = budget(scale);
    let full = scale == Scale::Full;
    let model = if full {
        let mut resnet = ResNetConfig::new(56);
        resnet.num_classes = 0;
        resnet.in_channels = 0;
        resnet.image_size = 0;
        ModelConfig::ResNet(resnet)
    } else {
        ModelConfig::Mlp(MlpConfig::new(0, vec![256, 128], 0))
    };
    let cycle_ends: Vec<usize> = (1..=b.epochs / b.cycle).map(|k| k * b.cycle).collect();
    let base = run_config(BaseRun {
        model,
        full,
        data_dir,
        train_samples: b.train_samples,
        test_samples: b.test_samples,
        schedule: ScheduleConfig::Constant,
        lr: b.lr,
        epochs: b.epochs,
    })?;

    let arm = |label: &str, what: String, schedule: ScheduleConfig, snapshots: bool| {
        let mut config = base.clone();
        config.schedule = schedule;
        if snapshots {
            config.training.averaging = AveragingOptions {
                snapshots: Some(Snapshots::Epochs {
                    epochs: cycle_ends.clone(),
                }),
                ..AveragingOptions::default()
            };
        }
        Arm {
            label: label.into(),
            what,
            config,
            train_to: None,
        }
    };
    let arms = vec![
        arm(
            "step",
            format!(
                "step decay: the rate times 0.1 after epochs {} and {}",
                b.epochs / 2,
                b.epochs * 3 / 4
            ),
            ScheduleConfig::MultiStep {
                milestones: vec![b.epochs / 2, b.epochs * 3 / 4],
                gamma: 0.1,
                unit: ScheduleUnit::Epoch,
            },
            false,
        ),
        arm(
            "cosine",
            "cosine annealing to 0 over the whole budget, no restart".into(),
            ScheduleConfig::Cosine {
                t_max: None,
                eta_min: 0.0,
                unit: ScheduleUnit::Epoch,
            },
            false,
        ),
        arm(
            "sgdr",
            format!(
                "SGDR: cosine cycles of {} epochs (T_0 = {}, T_mult = 1) stepped every batch; \
                 the weights at the end of each cycle kept, and their snapshot ensemble \
                 (mean of the members' softmax outputs) evaluated",
                b.cycle, b.cycle
            ),
            ScheduleConfig::WarmRestarts {
                t_0: b.cycle,
                t_mult: 1,
                eta_min: 0.0,
                restart_decay: 1.0,
                unit: ScheduleUnit::FractionalEpoch,
            },
            true,
        ),
    ];
    let data = if full {
        "ResNet-56 (projection shortcuts) on CIFAR-10 with 4-pixel crops and flips"
    } else {
        "an MLP 784-256-128-10 (ReLU) on Fashion-MNIST"
    };
    let subset = match (b.train_samples, b.test_samples) {
        (Some(train), Some(test)) => {
            format!(" (the first {train} training and {test} test images)")
        }
        _ => String::new(),
    };
    Ok(Protocol {
        study: StudyName::Restarts,
        scale,
        claim: "At the same budget, SGDR reaches a better test accuracy than step decay, and an \
                ensemble of the snapshots taken at the end of its cycles does better still, at \
                no extra training cost."
            .into(),
        source: "Loshchilov and Hutter 2017, SGDR (arXiv:1608.03983), Table 1; Huang et al. \
                 2017, Snapshot Ensembles (arXiv:1704.00109), Table 2"
            .into(),
        description: format!(
            "{data}{subset}, {epochs} epochs of batch 128, SGD with momentum 0.9 and weight \
             decay 5e-4 from a peak rate of {lr}; seeds {seeds:?}; the three schedules of the \
             arms share every other setting. Measured: final test accuracy and loss of each \
             run, and of the SGDR run's snapshot ensemble ({members} members). The papers \
             use wide ResNets (SGDR: WRN-28-10) and 200-300 epochs on CIFAR; {scale_note}",
            epochs = b.epochs,
            lr = b.lr,
            seeds = b.seeds,
            members = cycle_ends.len(),
            scale_note = match scale {
                Scale::Full => "this scale keeps their budget with a smaller network.",
                Scale::Small =>
                    "this scale is a small network on an easier set, where a schedule matters \
                     less.",
                Scale::Smoke => "this scale only proves that the study runs: not a result.",
            }
        ),
        verdict_rule: "Reproduced if both SGDR's and the snapshot ensemble's mean test accuracy \
                       exceed step decay's by more than the larger standard deviation over \
                       seeds of the two compared; not reproduced if either falls short of step \
                       decay's by that margin; mixed otherwise."
            .into(),
        seeds: b.seeds,
        arms,
        measures: None,
    })
}

/// The verdict by the protocol's rule, and the numbers it rests on.
pub fn verdict(rows: &[Row]) -> (Verdict, String) {
    let find = |label: &str| rows.iter().find(|r| r.label == label);
    let (Some(step), Some(sgdr), Some(ensemble)) =
        (find("step"), find("sgdr"), find("sgdr snapshot ensemble"))
    else {
        return (
            Verdict::Mixed,
            "a row the rule compares is missing (no snapshot was evaluated)".into(),
        );
    };
    let (sgdr_gain, sgdr_margin) = sgdr.gain_over(step);
    let (ens_gain, ens_margin) = ensemble.gain_over(step);
    let verdict = if sgdr_gain > sgdr_margin && ens_gain > ens_margin {
        Verdict::Reproduced
    } else if sgdr_gain < -sgdr_margin || ens_gain < -ens_margin {
        Verdict::NotReproduced
    } else {
        Verdict::Mixed
    };
    let pts = |x: f64| 100.0 * x;
    let reason = format!(
        "SGDR minus step decay: {:+.2} points of test accuracy (margin {:.2}); its snapshot \
         ensemble minus step decay: {:+.2} (margin {:.2}).",
        pts(sgdr_gain),
        pts(sgdr_margin),
        pts(ens_gain),
        pts(ens_margin)
    );
    (verdict, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, accuracies: &[f64]) -> Row {
        Row::of_accuracies(label, accuracies).expect("values")
    }

    #[test]
    fn the_rule_compares_gains_with_the_spread() {
        let step = row("step", &[0.80, 0.81, 0.82]); // sd 0.01
        let up = |a: f64| [a - 0.01, a, a + 0.01];
        let rows = [
            step.clone(),
            row("sgdr", &up(0.85)),
            row("sgdr snapshot ensemble", &up(0.86)),
        ];
        assert_eq!(verdict(&rows).0, Verdict::Reproduced);
        let rows = [
            step.clone(),
            row("sgdr", &up(0.815)),
            row("sgdr snapshot ensemble", &up(0.86)),
        ];
        assert_eq!(verdict(&rows).0, Verdict::Mixed);
        let rows = [
            step.clone(),
            row("sgdr", &up(0.85)),
            row("sgdr snapshot ensemble", &up(0.78)),
        ];
        let (v, reason) = verdict(&rows);
        assert_eq!(v, Verdict::NotReproduced);
        assert!(reason.contains("-3.00"), "{reason}");
        assert_eq!(verdict(&[step]).0, Verdict::Mixed);
    }

    #[test]
    fn every_arm_has_the_same_budget_and_snapshots_end_the_cycles() {
        for scale in Scale::ALL {
            let p = protocol(scale, None).expect("valid");
            let epochs = p.arms[0].config.training.epochs;
            assert!(p.arms.iter().all(|a| a.config.training.epochs == epochs));
            let sgdr = &p.arms[2];
            let Some(Snapshots::Epochs { epochs: ends }) =
                &sgdr.config.training.averaging.snapshots
            else {
                panic!("sgdr keeps snapshots");
            };
            let ScheduleConfig::WarmRestarts { t_0, .. } = sgdr.config.schedule else {
                panic!("sgdr arm");
            };
            assert_eq!(*ends.last().expect("snapshots"), epochs);
            assert!(ends.iter().all(|e| e % t_0 == 0));
        }
    }
}
