//! The training curves of one or several runs, overlaid: loss and accuracy per epoch, the
//! learning rate per step, and where SWA starts and what the averages reach.

use descent_plot::{LinePlot, Series};

use crate::run::RunSummary;

/// A run's label in a legend: its name when several runs share the figure, nothing otherwise.
fn prefix(runs: &[RunSummary], run: &RunSummary) -> String {
    if runs.len() > 1 {
        format!("{}: ", run.name)
    } else {
        String::new()
    }
}

/// The lowest and highest finite value of `values`.
fn span(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// A vertical line at `x` over the values the plot shows, as a series of two points.
fn vertical(label: String, x: f64, series: &[Series]) -> Option<Series> {
    let (lo, hi) = span(series.iter().flat_map(|s| s.y.iter().copied()))?;
    Some(Series::new(label, vec![x, x], vec![lo, hi]))
}

/// Which per-epoch value a curve figure shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurveMetric {
    /// Mean cross-entropy.
    Loss,
    /// Fraction correct.
    Accuracy,
}

impl CurveMetric {
    fn name(self) -> &'static str {
        match self {
            CurveMetric::Loss => "loss",
            CurveMetric::Accuracy => "accuracy",
        }
    }

    fn of(self, m: &descent_train::Metrics) -> f64 {
        match self {
            CurveMetric::Loss => m.loss,
            CurveMetric::Accuracy => m.accuracy,
        }
    }
}

/// Training and test `metric` per epoch for every run with a finished epoch, with SWA's start
/// as a vertical line and the final SWA/EMA models' test value as a short level line over the
/// last epoch. `None` when no run has finished an epoch.
pub fn epoch_plot(runs: &[RunSummary], metric: CurveMetric) -> Option<LinePlot> {
    let mut series = Vec::new();
    let mut markers = Vec::new();
    for run in runs.iter().filter(|r| !r.history.is_empty()) {
        let p = prefix(runs, run);
        let epochs: Vec<f64> = run.history.iter().map(|r| r.epoch as f64).collect();
        series.push(Series::new(
            format!("{p}train {} (running mean over the epoch)", metric.name()),
            epochs.clone(),
            run.history.iter().map(|r| metric.of(&r.train)).collect(),
        ));
        if run.history.iter().any(|r| r.test.is_some()) {
            series.push(Series::new(
                format!("{p}test {}", metric.name()),
                epochs.clone(),
                run.history
                    .iter()
                    .map(|r| r.test.as_ref().map_or(f64::NAN, |m| metric.of(m)))
                    .collect(),
            ));
        }
        let last = epochs.last().copied().unwrap_or(1.0);
        for average in &run.averages {
            if let Some(test) = &average.test {
                let value = metric.of(test);
                markers.push(Series::new(
                    format!(
                        "{p}{} model, test {}",
                        average.name.to_uppercase(),
                        metric.name()
                    ),
                    vec![(last - 1.0).max(epochs[0]), last],
                    vec![value, value],
                ));
            }
        }
        if let Some(swa) = &run.config.training.averaging.swa {
            markers.push(Series::new(
                format!("{p}SWA starts (after epoch {})", swa.start_epoch),
                vec![swa.start_epoch as f64; 2],
                vec![f64::NAN; 2],
            ));
        }
    }
    if series.is_empty() {
        return None;
    }
    // Vertical lines span the curves' values, known only now.
    for marker in markers {
        if marker.y.iter().all(|v| v.is_nan()) {
            let x = marker.x[0];
            if let Some(line) = vertical(marker.label, x, &series) {
                series.push(line);
            }
        } else {
            series.push(marker);
        }
    }
    let title = match metric {
        CurveMetric::Loss => "Loss per epoch",
        CurveMetric::Accuracy => "Accuracy per epoch",
    };
    Some(LinePlot {
        title: title.into(),
        x_label: "epoch".into(),
        y_label_left: metric.name().into(),
        series,
        ..LinePlot::default()
    })
}

/// The learning rate of every step of every run (from its schedule), with the rate each epoch
/// ended with as recorded in `metrics.jsonl`: the two agree unless a plateau rule scaled the
/// rate at run time. `None` when no run has finished an epoch.
pub fn lr_plot(runs: &[RunSummary]) -> Option<LinePlot> {
    let mut series = Vec::new();
    for run in runs.iter().filter(|r| !r.history.is_empty()) {
        let p = prefix(runs, run);
        if let Some(rates) = run.lr_per_step() {
            series.push(Series::new(
                format!("{p}schedule, per step"),
                (1..=rates.len()).map(|s| s as f64).collect(),
                rates,
            ));
        }
        series.push(Series::new(
            format!("{p}recorded at each epoch's end"),
            run.history.iter().map(|r| r.global_step as f64).collect(),
            run.history.iter().map(|r| r.lr).collect(),
        ));
        if let Some(swa) = &run.config.training.averaging.swa
            && let Some(spe) = run.steps_per_epoch()
        {
            let at = (swa.start_epoch * spe) as f64;
            let rates: Vec<Series> = series.clone();
            if let Some(line) = vertical(format!("{p}SWA starts"), at, &rates) {
                series.push(line);
            }
        }
    }
    if series.is_empty() {
        return None;
    }
    Some(LinePlot {
        title: "Learning rate".into(),
        x_label: "optimizer step".into(),
        y_label_left: "learning rate".into(),
        series,
        ..LinePlot::default()
    })
}
