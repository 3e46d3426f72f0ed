//! The suite's one table (markdown), from the records of all child processes.

use std::fmt::Write;

use serde_json::Value;

use crate::workloads::Settings;

/// A record's number at `path` (object keys), if any.
fn num(rec: &Value, path: &[&str]) -> Option<f64> {
    path.iter().try_fold(rec, |v, k| v.get(k))?.as_f64()
}

/// `median [min-max]` of a timing object, in milliseconds.
fn ms(rec: &Value, key: &str) -> String {
    match (
        num(rec, &[key, "median"]),
        num(rec, &[key, "min"]),
        num(rec, &[key, "max"]),
        num(rec, &[key, "n"]),
    ) {
        (Some(m), Some(lo), Some(hi), Some(n)) => {
            format!("{:.2} [{:.2}-{:.2}] n={n}", m * 1e3, lo * 1e3, hi * 1e3)
        }
        _ => "-".into(),
    }
}

/// The value column: the workload's throughput metric.
fn value(rec: &Value) -> String {
    let v = num(rec, &["value"]).unwrap_or(f64::NAN);
    match rec["metric"].as_str() {
        Some("images_per_s") => format!("{v:.0} images/s"),
        Some("steps_per_s") => format!("{v:.0} steps/s"),
        Some("s_per_point") => format!("{v:.3} s/point"),
        Some("burn_over_ours") => format!("{v:.3} (Burn time / ours)"),
        _ => format!("{v}"),
    }
}

/// Row-specific notes: landscape overhead, tiny-MLP whole-loop rate, the SGD step times.
fn notes(rec: &Value) -> String {
    match rec["row"].as_u64() {
        Some(4 | 9) => format!(
            "{} points; non-forward {:.1}%; plain eval {}; by hand: weights {}, load {}, \
             forward only {}, first layer {}",
            rec["points"],
            100.0 * num(rec, &["non_forward_share"]).unwrap_or(f64::NAN),
            ms(rec, "plain_eval_s"),
            ms(rec, "params_at_s"),
            ms(rec, "load_into_s"),
            ms(rec, "logits_only_s"),
            ms(rec, "first_layer_s")
        ),
        Some(5) => format!(
            "whole loop {:.0} steps/s",
            num(rec, &["steps_per_s_total"]).unwrap_or(f64::NAN)
        ),
        Some(6) => format!(
            "ours {}; Burn {}",
            ms(rec, "ours_step_s"),
            ms(rec, "burn_step_s")
        ),
        _ => String::new(),
    }
}

/// Renders the table with a header naming the settings.
pub fn render(records: &[Value], settings: &Settings, profile: &str) -> String {
    let mut out = String::new();
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "default".into());
    let _ = writeln!(
        out,
        "\ndescent speed suite: float32, seed {}, profile {profile}, RAYON_NUM_THREADS={threads}, \
         time limit {} s per workload, landscape grid {}x{}",
        settings.seed, settings.max_seconds, settings.grid, settings.grid
    );
    let _ = writeln!(
        out,
        "| row | workload | backend | value | step ms median [min-max] | foreign CPU | peak RSS MiB | notes |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for rec in records {
        if let Some(reason) = rec.get("skipped") {
            let _ = writeln!(
                out,
                "| - | - | {} | not run: {} | | | | |",
                rec["backend"].as_str().unwrap_or("?"),
                reason.as_str().unwrap_or("?")
            );
            continue;
        }
        if let Some(err) = rec.get("error") {
            let _ = writeln!(
                out,
                "| {} | - | {} | failed: {} | | | | |",
                rec["row"],
                rec["backend"].as_str().unwrap_or("?"),
                err.as_str().unwrap_or("?")
            );
            continue;
        }
        let step = if rec.get("step_s").is_some() {
            ms(rec, "step_s")
        } else {
            "-".into()
        };
        let foreign =
            num(rec, &["foreign_cpu_frac"]).map_or("-".into(), |f| format!("{:.1}%", 100.0 * f));
        let rss = num(rec, &["peak_rss_kib"]).map_or("-".into(), |k| format!("{:.0}", k / 1024.0));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            rec["row"],
            rec["workload"].as_str().unwrap_or("?"),
            rec["backend"].as_str().unwrap_or("?"),
            value(rec),
            step,
            foreign,
            rss,
            notes(rec)
        );
    }
    out
}
