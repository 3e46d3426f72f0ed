//! The HTML page: one self-contained file (inline CSS, figures as `data:` URIs, one small
//! script), every string that comes from a file escaped. A Content-Security-Policy forbids the
//! page any network access, so a browser that opens it fetches nothing.

use std::fmt::Write as _;

use descent_plot::Figure;

use crate::ReportError;
use crate::curves::{CurveMetric, epoch_plot, lr_plot};
use crate::escape::{base64, html, svg_data_uri};
use crate::landscape::LandscapeEntry;
use crate::run::RunSummary;
use crate::study::StudySummary;

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1100px;\
padding:1rem 2rem;color:#1d1d1f;background:#fff;line-height:1.45}\
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;\
margin-top:2.2rem}h3{margin-top:1.6rem}\
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}\
th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left}\
th{background:#f4f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums}\
figure{margin:1rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}\
figcaption{font-size:.85rem;color:#555}\
pre{background:#f7f7f9;padding:.6rem;overflow:auto;font-size:.8rem}\
code{font-size:.9em}.muted{color:#666}\
#figure-status{margin:2rem 0 1rem;font-size:.85rem;color:#555}#figure-status.bad{color:#b00020;\
font-weight:bold}nav ul{columns:2}";

/// Checks on load that every figure decoded, and says so at the foot of the page (in
/// `#figure-status`, whose `data-*` attributes a test reads); script errors are collected in
/// `#script-errors`.
const SCRIPT: &str = "\
window.addEventListener('error',function(e){if(!(e instanceof ErrorEvent))return;\
var s=document.getElementById('script-errors');s.dataset.count=String((+s.dataset.count||0)+1);\
s.textContent+=e.message+'\\n';});\
window.addEventListener('load',function(){var imgs=document.querySelectorAll('img.figure');\
var ok=0,failed=[];imgs.forEach(function(i){if(i.complete&&i.naturalWidth>0)ok++;\
else failed.push(i.alt);});var s=document.getElementById('figure-status');\
s.dataset.total=String(imgs.length);s.dataset.loaded=String(ok);\
s.dataset.failed=String(failed.length);\
if(failed.length){s.className='bad';s.textContent=failed.length+' of '+imgs.length+\
' figures failed to load: '+failed.join('; ');}\
else{s.textContent='All '+imgs.length+' figures loaded.';}});";

/// The page being written: its body and how many figures it holds.
struct Page {
    body: String,
    figures: usize,
}

impl Page {
    fn figure_uri(&mut self, uri: &str, alt: &str, caption: &str) {
        self.figures += 1;
        let _ = writeln!(
            self.body,
            "<figure><img class=\"figure\" alt=\"{}\" src=\"{uri}\"><figcaption>{}</figcaption></figure>",
            html(alt),
            html(caption)
        );
    }

    fn figure(&mut self, figure: &Figure, alt: &str, caption: &str) {
        self.figure_uri(&svg_data_uri(&figure.svg), alt, caption);
    }
}

fn render_plot<P>(
    what: &str,
    plot: Option<P>,
    draw: impl Fn(&P) -> Result<Figure, descent_plot::PlotError>,
) -> Result<Option<Figure>, ReportError> {
    plot.map(|p| {
        draw(&p).map_err(|source| ReportError::Plot {
            what: what.into(),
            source,
        })
    })
    .transpose()
}

fn number(value: f64, digits: usize) -> String {
    if value.is_finite() {
        format!("{value:.digits$}")
    } else {
        value.to_string()
    }
}

fn percent(value: f64) -> String {
    format!("{}%", number(100.0 * value, 2))
}

fn curves(page: &mut Page, runs: &[RunSummary]) -> Result<(), ReportError> {
    let which = if runs.len() > 1 {
        format!("{} runs, overlaid", runs.len())
    } else {
        "the run".into()
    };
    page.body
        .push_str("<section id=\"curves\"><h2>Training curves</h2>\n");
    let loss = render_plot(
        "the loss curves",
        epoch_plot(runs, CurveMetric::Loss),
        |p| p.render(),
    )?;
    let accuracy = render_plot(
        "the accuracy curves",
        epoch_plot(runs, CurveMetric::Accuracy),
        |p| p.render(),
    )?;
    let lr = render_plot("the learning rates", lr_plot(runs), |p| p.render())?;
    if runs.is_empty() {
        page.body.push_str(
            "<p class=\"muted\">No run folder among the inputs (a committed study keeps its \
             table and figures, not its runs).</p>\n",
        );
    } else if loss.is_none() {
        page.body
            .push_str("<p class=\"muted\">No run has finished an epoch yet.</p>\n");
    }
    for (figure, alt, caption) in [
        (
            loss,
            "loss per epoch",
            format!(
                "Loss per epoch, {which}. The training value is the mean over the epoch's steps as they were taken; the test value is measured after the epoch."
            ),
        ),
        (
            accuracy,
            "accuracy per epoch",
            format!(
                "Accuracy per epoch, {which}; a short level line at the end marks a final SWA or EMA model's test value."
            ),
        ),
        (
            lr,
            "learning rate per step",
            format!(
                "Learning rate of every optimizer step, {which}, rebuilt from the configuration's schedule, with the rate recorded at the end of each epoch (they differ only where a plateau rule lowered the rate)."
            ),
        ),
    ] {
        if let Some(figure) = figure {
            page.figure(&figure, alt, &caption);
        }
    }
    page.body.push_str("</section>\n");
    Ok(())
}

fn run_section(page: &mut Page, index: usize, run: &RunSummary, landscape: &[LandscapeEntry]) {
    let c = &run.config;
    let _ = write!(
        page.body,
        "<section id=\"run-{index}\"><h2>Run <code>{}</code></h2>\n<p class=\"muted\">{}</p>\n",
        html(&run.name),
        html(&run.dir.display().to_string())
    );
    page.body.push_str("<h3>Configuration</h3>\n<table>\n");
    let model = serde_json::to_value(&c.model)
        .map(|v| v.to_string())
        .unwrap_or_default();
    let rows = [
        ("model", model),
        ("dataset", c.data.dataset.to_string()),
        (
            "samples (train / test)",
            format!(
                "{} / {}",
                c.data.train_samples.map_or("all".into(), |n| n.to_string()),
                c.data.test_samples.map_or("all".into(), |n| n.to_string())
            ),
        ),
        (
            "optimizer",
            serde_json::to_value(&c.optimizer)
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        (
            "schedule",
            serde_json::to_value(&c.schedule)
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        ("learning rate", c.learning_rate.to_string()),
        ("epochs", c.training.epochs.to_string()),
        ("batch size", c.training.batch_size.to_string()),
        ("seed", c.training.seed.to_string()),
    ];
    for (key, value) in rows {
        let _ = writeln!(
            page.body,
            "<tr><th>{}</th><td><code>{}</code></td></tr>",
            html(key),
            html(&value)
        );
    }
    let _ = write!(
        page.body,
        "</table>\n<details><summary>config.json</summary><pre>{}</pre></details>\n",
        html(&run.config_text)
    );

    let _ = write!(
        page.body,
        "<h3>Epochs</h3>\n<p>{} of {} epochs finished.</p>\n",
        run.history.len(),
        c.training.epochs
    );
    if !run.history.is_empty() {
        page.body.push_str(
            "<table><tr><th>epoch</th><th>step</th><th>learning rate</th><th>train loss</th>\
             <th>train accuracy</th><th>test loss</th><th>test accuracy</th><th>seconds</th></tr>\n",
        );
        for r in &run.history {
            let (test_loss, test_acc) =
                r.test.as_ref().map_or((String::new(), String::new()), |m| {
                    (number(m.loss, 4), percent(m.accuracy))
                });
            let _ = writeln!(
                page.body,
                "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                r.epoch,
                r.global_step,
                html(&format!("{:.4e}", r.lr)),
                number(r.train.loss, 4),
                percent(r.train.accuracy),
                test_loss,
                test_acc,
                number(r.seconds, 1)
            );
        }
        page.body.push_str("</table>\n");
    }
    for average in &run.averages {
        let test = average.test.as_ref().map_or("no test set".into(), |m| {
            format!(
                "test loss {}, test accuracy {}",
                number(m.loss, 4),
                percent(m.accuracy)
            )
        });
        let _ = writeln!(
            page.body,
            "<p>{} model: {} updates{}; {}.</p>",
            html(&average.name.to_uppercase()),
            average.updates,
            if average.batch_norm_recomputed {
                ", batch-norm statistics recomputed"
            } else {
                ""
            },
            html(&test)
        );
    }

    page.body.push_str("<h3>Checkpoints</h3>\n");
    if run.checkpoints.is_empty() {
        page.body.push_str("<p class=\"muted\">None yet.</p>\n");
    } else {
        page.body
            .push_str("<table><tr><th>file</th><th>what</th><th>size</th></tr>\n");
        for entry in &run.checkpoints {
            let _ = writeln!(
                page.body,
                "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{:.1} kB</td></tr>",
                html(&entry.path),
                html(&entry.what),
                entry.bytes as f64 / 1000.0
            );
        }
        page.body.push_str("</table>\n");
    }
    if run.trajectory_snapshots > 0 {
        let _ = writeln!(
            page.body,
            "<p>{} weight snapshots kept for a trajectory plot (<code>descent landscape trajectory {}</code>).</p>",
            run.trajectory_snapshots,
            html(&run.dir.display().to_string())
        );
    }

    page.body.push_str("<h3>Loss landscape</h3>\n");
    if landscape.is_empty() {
        let _ = writeln!(
            page.body,
            "<p class=\"muted\">No landscape file in or beside this run. Make one with, e.g., \
             <code>descent landscape scan {0} --x -1:1:41 --out {0}/scan-1d.npz</code>.</p>",
            html(&run.dir.display().to_string())
        );
    }
    for entry in landscape {
        let _ = writeln!(
            page.body,
            "<h4><code>{}</code></h4>\n<p>{}</p>",
            html(&entry.path.display().to_string()),
            html(&entry.description)
        );
        for (caption, figure) in &entry.figures {
            let alt = format!("{}: {caption}", entry.path.display());
            page.figure(figure, &alt, caption);
        }
        if let Some(details) = &entry.details {
            let _ = writeln!(
                page.body,
                "<details><summary>estimates</summary><pre>{}</pre></details>",
                html(details)
            );
        }
    }
    page.body.push_str("</section>\n");
}

fn study_section(page: &mut Page, index: usize, study: &StudySummary) {
    let _ = write!(
        page.body,
        "<section id=\"study-{index}\"><h2>Study <code>{}</code></h2>\n<p class=\"muted\">{}: {} runs.</p>\n",
        html(&study.name),
        html(&study.dir.display().to_string()),
        study.runs.len()
    );
    page.body.push_str("<h3>Results</h3>\n");
    match &study.results {
        Some(results) => {
            let p = &results.protocol;
            let _ = writeln!(
                page.body,
                "<p><b>Claim.</b> {}</p>\n<p><b>Source.</b> {}</p>\n<p><b>Protocol ({} scale).</b> {}</p>\n\
                 <p><b>Rule, fixed before running.</b> {}</p>",
                html(&p.claim),
                html(&p.source),
                html(&p.scale.to_string()),
                html(&p.description),
                html(&p.verdict_rule)
            );
            if !results.rows.is_empty() {
                page.body.push_str(
                    "<table><tr><th></th><th>test accuracy (%, mean ± sd over seeds)</th>\
                     <th>test loss</th><th>runs</th></tr>\n",
                );
                for row in &results.rows {
                    let _ = writeln!(
                        page.body,
                        "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                         <td class=\"num\">{}</td></tr>",
                        html(&row.label),
                        html(&row.accuracy.show(100.0, 2)),
                        html(&row.loss.show(1.0, 4)),
                        row.accuracy.n
                    );
                }
                page.body.push_str("</table>\n");
            }
            if !results.lessons.is_empty() {
                page.body
                    .push_str("<table><tr><th>lesson</th><th>held</th><th>numbers</th></tr>\n");
                for lesson in &results.lessons {
                    let _ = writeln!(
                        page.body,
                        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                        html(&lesson.lesson),
                        if lesson.held { "yes" } else { "<b>no</b>" },
                        html(&lesson.detail)
                    );
                }
                page.body.push_str("</table>\n");
            }
            let _ = writeln!(
                page.body,
                "<p><b>Verdict: {}.</b> {}</p>\n<p>Made by <code>{}</code> on {}, {}, commit {}.</p>",
                html(results.verdict.words()),
                html(&results.reason),
                html(&results.command),
                html(&results.provenance.date),
                html(&results.provenance.machine),
                html(&results.provenance.commit)
            );
        }
        None => page.body.push_str(
            "<p class=\"muted\">No results.json in this folder: its runs are shown below.</p>\n",
        ),
    }
    for figure in &study.figures {
        let name = figure.path.display().to_string();
        let uri = format!("data:{};base64,{}", figure.mime, base64(&figure.bytes));
        page.figure_uri(&uri, &name, &name);
    }
    page.body.push_str("</section>\n");
}

/// One input of a report, read.
#[derive(Debug, Clone)]
pub enum Input {
    /// A run folder and its landscape files.
    Run(Box<RunSummary>, Vec<LandscapeEntry>),
    /// A study folder and each of its runs' landscape files.
    Study(Box<StudySummary>, Vec<Vec<LandscapeEntry>>),
}

/// The page for `inputs`, and how many figures it holds.
pub(crate) fn page(inputs: &[Input], title: &str) -> Result<(String, usize), ReportError> {
    let mut page = Page {
        body: String::new(),
        figures: 0,
    };
    let mut all_runs: Vec<RunSummary> = Vec::new();
    for input in inputs {
        match input {
            Input::Run(run, _) => all_runs.push((**run).clone()),
            Input::Study(study, _) => all_runs.extend(study.runs.iter().cloned()),
        }
    }
    page.body
        .push_str("<nav><ul><li><a href=\"#curves\">Training curves</a></li>");
    let mut index = 0;
    for input in inputs {
        match input {
            Input::Run(run, _) => {
                let _ = write!(
                    page.body,
                    "<li><a href=\"#run-{index}\">Run {}</a></li>",
                    html(&run.name)
                );
                index += 1;
            }
            Input::Study(study, _) => {
                let _ = write!(
                    page.body,
                    "<li><a href=\"#study-{index}\">Study {}</a></li>",
                    html(&study.name)
                );
                index += 1 + study.runs.len();
            }
        }
    }
    page.body.push_str("</ul></nav>\n");
    curves(&mut page, &all_runs)?;
    let mut index = 0;
    for input in inputs {
        match input {
            Input::Run(run, landscape) => {
                run_section(&mut page, index, run, landscape);
                index += 1;
            }
            Input::Study(study, landscape) => {
                study_section(&mut page, index, study);
                index += 1;
                for (run, files) in study.runs.iter().zip(landscape) {
                    run_section(&mut page, index, run, files);
                    index += 1;
                }
            }
        }
    }
    let mut out = String::with_capacity(page.body.len() + 4096);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style></head>\n<body>\n<h1>{}</h1>\n\
         <p class=\"muted\">Made by descent {} from files alone; every figure is inside this page.</p>\n",
        html(title),
        html(title),
        env!("CARGO_PKG_VERSION")
    );
    out.push_str(&page.body);
    let _ = write!(
        out,
        "<p id=\"figure-status\" data-total=\"{0}\">{0} figures (checked when the page loads).</p>\n\
         <pre id=\"script-errors\" data-count=\"0\" hidden></pre>\n<script>{SCRIPT}</script>\n</body></html>\n",
        page.figures
    );
    Ok((out, page.figures))
}
