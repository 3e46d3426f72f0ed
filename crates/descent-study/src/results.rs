//! A study's results: each run's measurements, each arm's mean and spread over seeds, the
//! verdict by the protocol's rule, written as `results.json` and `results.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Protocol;
use crate::measures::columns;

/// What one run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// The arm.
    pub arm: String,
    /// The seed.
    pub seed: u64,
    /// Final test accuracy in `[0, 1]`.
    pub test_accuracy: f64,
    /// Final mean test cross-entropy.
    pub test_loss: f64,
    /// The snapshot ensemble's test accuracy, for an arm that keeps snapshots.
    pub ensemble_accuracy: Option<f64>,
    /// The snapshot ensemble's test loss.
    pub ensemble_loss: Option<f64>,
    /// The SWA average's test accuracy (batch-norm statistics recomputed), for an arm that
    /// averages.
    #[serde(default)]
    pub swa_accuracy: Option<f64>,
    /// The SWA average's test loss.
    #[serde(default)]
    pub swa_loss: Option<f64>,
    /// Test accuracy after each epoch.
    pub accuracy_by_epoch: Vec<f64>,
    /// For a run trained to a target ([`TrainTo`](crate::TrainTo)): whether it reached it
    /// before the cap. A run that did not is left out of the table's rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converged: Option<bool>,
    /// The study's landscape measurements of the trained run, by name (see
    /// [`Column`](crate::Column)).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub measures: BTreeMap<String, f64>,
}

/// Where a walk of a lesson ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathEnd {
    /// The walk.
    pub label: String,
    /// The final point (`[x, 0]` on a 1-D surface).
    pub end: [f64; 2],
    /// The loss there.
    pub loss: f64,
    /// Whether the walk diverged.
    pub diverged: bool,
}

/// One lesson of the `optimizers` study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LessonResult {
    /// The lesson (with its noise seed, if it has one).
    pub lesson: String,
    /// Its claim.
    pub claim: String,
    /// Whether the claim held.
    pub held: bool,
    /// The numbers it rests on.
    pub detail: String,
    /// Its figure, relative to the study folder.
    pub figure: String,
    /// Where each walk ended.
    pub paths: Vec<PathEnd>,
}

/// Mean and sample standard deviation (`n - 1` in the denominator; `None` for one value).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// The mean.
    pub mean: f64,
    /// The sample standard deviation over seeds.
    pub sd: Option<f64>,
    /// The number of values.
    pub n: usize,
}

impl Spread {
    /// The spread of `values` (`None` when empty).
    pub fn of(values: &[f64]) -> Option<Spread> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = (n > 1).then(|| {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        });
        Some(Spread { mean, sd, n })
    }

    /// `mean ± sd` with `digits` decimals, scaled by `factor` (100 for percentages).
    pub fn show(&self, factor: f64, digits: usize) -> String {
        match self.sd {
            Some(sd) => format!("{:.digits$} ± {:.digits$}", self.mean * factor, sd * factor),
            None => format!("{:.digits$}", self.mean * factor),
        }
    }
}

/// One row of the results table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// What the row measures (an arm, or an arm's snapshot ensemble).
    pub label: String,
    /// Test accuracy over seeds.
    pub accuracy: Spread,
    /// Test loss over seeds.
    pub loss: Spread,
    /// The study's measurements over the same runs, by [`Column::key`](crate::Column::key).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub measures: BTreeMap<String, Spread>,
    /// Runs of the arm left out because they did not reach the protocol's target.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub not_converged: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Row {
    /// A row for tests and examples: `label` with these accuracies and a fixed loss.
    pub fn of_accuracies(label: &str, accuracies: &[f64]) -> Option<Row> {
        Some(Row {
            label: label.into(),
            accuracy: Spread::of(accuracies)?,
            loss: Spread::of(&[0.0])?,
            measures: BTreeMap::new(),
            not_converged: 0,
        })
    }

    /// How much this row's mean accuracy exceeds `base`'s, and the margin the studies' rules
    /// hold it to: the larger of the two standard deviations over seeds (0 for one seed).
    pub fn gain_over(&self, base: &Row) -> (f64, f64) {
        let margin = base
            .accuracy
            .sd
            .unwrap_or(0.0)
            .max(self.accuracy.sd.unwrap_or(0.0));
        (self.accuracy.mean - base.accuracy.mean, margin)
    }
}

/// Whether the claim held at this scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The measurements meet the protocol's rule for the claim.
    Reproduced,
    /// They contradict it by the rule's margin.
    NotReproduced,
    /// Neither.
    Mixed,
}

impl Verdict {
    /// The words of the README and the tables.
    pub fn words(&self) -> &'static str {
        match self {
            Verdict::Reproduced => "reproduced",
            Verdict::NotReproduced => "not reproduced",
            Verdict::Mixed => "mixed",
        }
    }
}

/// Where and when the results were made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The date (UTC).
    pub date: String,
    /// The machine (CPU model, cores).
    pub machine: String,
    /// The commit of descent that ran.
    pub commit: String,
}

/// Everything a study produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyResults {
    /// The protocol, as fixed before running.
    pub protocol: Protocol,
    /// Each run's measurements.
    pub runs: Vec<RunResult>,
    /// The table.
    pub rows: Vec<Row>,
    /// The lessons (the `optimizers` study; empty for the others).
    #[serde(default)]
    pub lessons: Vec<LessonResult>,
    /// The verdict by the protocol's rule.
    pub verdict: Verdict,
    /// The numbers the verdict rests on, in words.
    pub reason: String,
    /// The command that makes these results.
    pub command: String,
    /// Where and when.
    pub provenance: Provenance,
}

impl StudyResults {
    /// The results as Markdown: claim, source, protocol, table, verdict, command.
    pub fn markdown(&self) -> String {
        let p = &self.protocol;
        let mut md = format!(
            "# Study `{}` ({} scale)\n\n**Claim.** {}\n\n**Source.** {}\n\n**Protocol.** {}\n\n\
             **Rule, fixed before running.** {}\n\n",
            p.study, p.scale, p.claim, p.source, p.description, p.verdict_rule
        );
        let columns = columns(p.study);
        if !self.rows.is_empty() {
            md.push_str("| | test accuracy (%) | test loss |");
            for c in columns {
                md.push_str(&format!(" {} |", c.title));
            }
            md.push_str(" runs |\n|---|---|---|");
            md.push_str(&"---|".repeat(columns.len()));
            md.push_str("---|\n");
        }
        for row in &self.rows {
            md.push_str(&format!(
                "| {} | {} | {} |",
                row.label,
                row.accuracy.show(100.0, 2),
                row.loss.show(1.0, 4),
            ));
            for c in columns {
                let cell = row
                    .measures
                    .get(c.key)
                    .map_or_else(|| "n/a".to_string(), |s| s.show(1.0, c.digits));
                md.push_str(&format!(" {cell} |"));
            }
            let runs = match row.not_converged {
                0 => row.accuracy.n.to_string(),
                k => format!("{} (+{k} not converged, left out)", row.accuracy.n),
            };
            md.push_str(&format!(" {runs} |\n"));
        }
        let capped: Vec<String> = self
            .runs
            .iter()
            .filter(|r| r.converged == Some(false))
            .map(|r| format!("{} seed {}", r.arm, r.seed))
            .collect();
        if !capped.is_empty() {
            md.push_str(&format!(
                "\n**Not converged** (stopped by the epoch cap before the target; left out of \
                 the rows, their numbers are in `results.json`): {}.\n\n",
                capped.join(", ")
            ));
        }
        if !self.lessons.is_empty() {
            md.push_str("| lesson | held | numbers | figure |\n|---|---|---|---|\n");
            for lesson in &self.lessons {
                md.push_str(&format!(
                    "| {} | {} | {} | `{}` |\n",
                    lesson.lesson,
                    if lesson.held { "yes" } else { "**no**" },
                    lesson.detail,
                    lesson.figure
                ));
            }
        }
        let spread = if self.rows.is_empty() {
            String::new()
        } else {
            format!(
                "\nMean ± sample standard deviation over seeds {:?}. Figures: `accuracy.svg` \
                 (mean test accuracy per epoch of each arm){}.\n",
                p.seeds,
                crate::measures::figure_notes(p.study)
            )
        };
        md.push_str(&format!(
            "{spread}\n**Verdict: {}.** {}\n\nMade by `{}` on {} ({}, commit {}).\n",
            self.verdict.words(),
            self.reason,
            self.command,
            self.provenance.date,
            self.provenance.machine,
            self.provenance.commit
        ));
        if p.scale == crate::Scale::Smoke {
            md.push_str(
                "\nA smoke run proves that the study works end to end; its numbers are not \
                 results.\n",
            );
        }
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_the_sample_standard_deviation() {
        // numpy: np.mean([0.8, 0.9, 0.85]) = 0.85; np.std([0.8, 0.9, 0.85], ddof=1) = 0.05
        let s = Spread::of(&[0.8, 0.9, 0.85]).expect("values");
        assert!((s.mean - 0.85).abs() < 1e-12);
        assert!((s.sd.expect("n > 1") - 0.05).abs() < 1e-12);
        assert_eq!(s.n, 3);
        assert_eq!(s.show(100.0, 1), "85.0 ± 5.0");
        let one = Spread::of(&[0.5]).expect("one value");
        assert_eq!((one.sd, one.show(100.0, 0)), (None, "50".to_string()));
        assert!(Spread::of(&[]).is_none());
    }
}
