//! `descent study`: the `restarts` and `batch-size` studies at their smoke scale, end to end
//! through the binary (a table, a verdict, the figures), killed part-way and resumed to the
//! same results as an uninterrupted study; the `swa` (with the width of its solutions),
//! `optimizers` and `skip-connections` studies end to end; and the refusals.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{descent, ok, s, text};

/// The measured part of results.json: every run's numbers (the rest holds the date).
fn runs(dir: &std::path::Path) -> serde_json::Value {
    let bytes = std::fs::read(dir.join("results.json")).expect("results.json");
    let json: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    json["runs"].clone()
}

/// Starts `descent study STUDY --scale smoke --out OUT`, kills it (SIGKILL) once the run folder
/// `OUT/runs/SECOND...` exists (the second run has started), checks it had not finished, and
/// runs it again to the end, which must say it resumed.
fn kill_and_resume(study: &str, out: &std::path::Path, second: &[&str]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_descent"))
        .args(["study", study, "--scale", "smoke", "--out", s(out)])
        .env_remove("BURN_DEVICE")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let second = second.iter().fold(out.join("runs"), |p, part| p.join(part));
    let start = Instant::now();
    while !second.exists() && start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert!(
        !out.join("results.json").exists(),
        "the kill came after the study finished: make the study longer"
    );
    let resumed = ok(descent(&[
        "study",
        study,
        "--scale",
        "smoke",
        "--out",
        s(out),
    ]));
    assert!(
        text(&resumed.stderr).contains("(resumed)"),
        "{}",
        text(&resumed.stderr)
    );
}

#[test]
fn the_restarts_study_runs_resumes_after_a_kill_and_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let whole = dir.path().join("whole");
    let out = ok(descent(&[
        "study",
        "restarts",
        "--scale",
        "smoke",
        "--out",
        s(&whole),
    ]));
    let stdout = text(&out.stdout);
    for needle in [
        "| step |",
        "| cosine |",
        "| sgdr |",
        "| sgdr snapshot ensemble |",
        "**Verdict:",
    ] {
        assert!(stdout.contains(needle), "{needle} missing:\n{stdout}");
    }
    let md = std::fs::read_to_string(whole.join("results.md")).expect("results.md");
    assert!(
        md.contains("Loshchilov and Hutter 2017") && md.contains("not results"),
        "{md}"
    );
    let svg = std::fs::read_to_string(whole.join("accuracy.svg")).expect("figure");
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "not an SVG"
    );
    let whole_runs = runs(&whole);
    assert_eq!(
        whole_runs.as_array().map(Vec::len),
        Some(6),
        "3 arms x 2 seeds"
    );
    for run in whole_runs.as_array().expect("runs") {
        let acc = run["test_accuracy"].as_f64().expect("accuracy");
        assert!((0.0..=1.0).contains(&acc), "{run}");
    }
    let sgdr: Vec<&serde_json::Value> = whole_runs
        .as_array()
        .expect("runs")
        .iter()
        .filter(|r| r["arm"] == "sgdr")
        .collect();
    assert!(sgdr.iter().all(|r| r["ensemble_accuracy"].is_number()));

    // Killed part-way (SIGKILL once the second run has started), then resumed: the same runs.
    let killed = dir.path().join("killed");
    kill_and_resume("restarts", &killed, &["step", "seed1"]);
    assert_eq!(
        runs(&killed),
        whole_runs,
        "a resumed study ends like an uninterrupted one"
    );

    // The folder holds this protocol: another scale there is refused, naming it.
    let other = descent(&["study", "restarts", "--scale", "small", "--out", s(&whole)]);
    assert_eq!(other.status.code(), Some(2), "{}", text(&other.stderr));
    assert!(
        text(&other.stderr).contains("protocol.json"),
        "{}",
        text(&other.stderr)
    );
}

#[test]
fn the_optimizers_study_checks_and_draws_every_lesson() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("optimizers");
    let run = ok(descent(&[
        "study",
        "optimizers",
        "--scale",
        "small",
        "--out",
        s(&out),
    ]));
    let stdout = text(&run.stdout);
    assert!(
        stdout.contains("**Verdict: reproduced.** 6 of 6"),
        "{stdout}"
    );
    let bytes = std::fs::read(out.join("results.json")).expect("results.json");
    let json: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    let lessons = json["lessons"].as_array().expect("lessons");
    // Four lessons, the saddle one for each of the three noise seeds.
    assert_eq!(lessons.len(), 6);
    for lesson in lessons {
        let figure = lesson["figure"].as_str().expect("figure");
        let svg = std::fs::read_to_string(out.join(figure)).expect("figure file");
        assert!(svg.contains("<svg"), "{figure}");
        assert_eq!(lesson["held"], true, "{lesson}");
    }
}

#[test]
fn the_swa_study_reports_each_average_against_sgd() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("swa");
    let run = ok(descent(&[
        "study",
        "swa",
        "--scale",
        "smoke",
        "--out",
        s(&out),
    ]));
    let stdout = text(&run.stdout);
    for row in [
        "| sgd |",
        "| swa-1 SWA average |",
        "| swa-1.25 SWA average |",
        "| swa-1.5 SWA average |",
    ] {
        assert!(stdout.contains(row), "{row} missing:\n{stdout}");
    }
    assert!(stdout.contains("Izmailov et al. 2018"), "{stdout}");
    // Each SWA run averaged from 75% of SGD's budget to its own end.
    let protocol: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("protocol.json")).expect("protocol"))
            .expect("JSON");
    let epochs: Vec<u64> = protocol["arms"]
        .as_array()
        .expect("arms")
        .iter()
        .map(|a| a["config"]["training"]["epochs"].as_u64().expect("epochs"))
        .collect();
    assert_eq!(epochs, [4, 4, 5, 6]);

    // The width of SGD's final weights and of the averages at budgets 1 and 1.5: a column, a
    // figure, and a finite positive width for every measured solution.
    assert!(
        stdout.contains("| width (distance at which"),
        "no width column:\n{stdout}"
    );
    let figure = std::fs::read_to_string(out.join("width.svg")).expect("width.svg");
    assert!(figure.starts_with("<svg") && figure.contains("SGD final weights"));
    assert!(figure.contains("SWA average, swa-1.5"));
    let json = results(&out);
    for label in ["sgd", "swa-1 SWA average", "swa-1.5 SWA average"] {
        let row = json["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["label"] == label)
            .expect("row");
        let width = row["measures"]["width"]["mean"].as_f64().expect("width");
        assert!(width.is_finite() && width > 0.0, "{label}: width {width}");
    }
    for run in json["runs"].as_array().expect("runs") {
        let key = match run["arm"].as_str().expect("arm") {
            "sgd" => "width",
            "swa-1" | "swa-1.5" => "swa_width",
            _ => continue,
        };
        let width = run["measures"][key].as_f64().expect("measured");
        assert!(width.is_finite() && width > 0.0, "{run}");
    }
    for ray in ["sgd/seed0/ray-0.npz", "swa-1/seed1/swa-ray-1.npz"] {
        assert!(out.join("runs").join(ray).is_file(), "{ray} missing");
    }

    // A folder of an earlier protocol of this study (before the width was measured: no
    // `measures`) is refused, naming what differs, and left as it was.
    let old = dir.path().join("old");
    std::fs::create_dir_all(&old).expect("mkdir");
    let mut earlier = protocol.clone();
    earlier.as_object_mut().expect("object").remove("measures");
    let text_before = serde_json::to_vec_pretty(&earlier).expect("JSON");
    std::fs::write(old.join("protocol.json"), &text_before).expect("write");
    let refused = descent(&["study", "swa", "--scale", "smoke", "--out", s(&old)]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).contains("differs in: measures"),
        "{}",
        text(&refused.stderr)
    );
    assert_eq!(
        std::fs::read(old.join("protocol.json")).expect("read"),
        text_before
    );
    assert!(!old.join("runs").exists());
}

#[test]
fn unknown_studies_are_refused_plainly_and_protocols_print_without_running() {
    let dir = tempfile::tempdir().expect("tempdir");
    let unknown = descent(&[
        "study",
        "lottery-tickets",
        "--out",
        s(&dir.path().join("lottery")),
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("restarts"),
        "{}",
        text(&unknown.stderr)
    );
    assert!(!dir.path().join("lottery").exists(), "nothing written");
    // --protocol prints the protocol and runs nothing.
    let protocol = ok(descent(&[
        "study",
        "restarts",
        "--scale",
        "small",
        "--protocol",
    ]));
    let json: serde_json::Value = serde_json::from_slice(&protocol.stdout).expect("JSON");
    assert_eq!(json["seeds"], serde_json::json!([0, 1, 2]));
    // The batch-size protocol names its target and cap before anything runs.
    let batch = ok(descent(&[
        "study",
        "batch-size",
        "--scale",
        "small",
        "--protocol",
    ]));
    let json: serde_json::Value = serde_json::from_slice(&batch.stdout).expect("JSON");
    for arm in json["arms"].as_array().expect("arms") {
        assert_eq!(arm["train_to"]["train_loss"], 0.05, "{arm}");
        assert_eq!(arm["train_to"]["max_epochs"], 40, "{arm}");
    }
    assert_eq!(json["measures"]["study"], "batch-size");
}

/// Reads a study's results.json.
fn results(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("results.json")).expect("results.json"))
        .expect("JSON")
}

#[test]
fn the_batch_size_study_trains_to_its_target_measures_and_resumes_after_a_kill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let whole = dir.path().join("whole");
    let out = ok(descent(&[
        "study",
        "batch-size",
        "--scale",
        "smoke",
        "--out",
        s(&whole),
    ]));
    let stdout = text(&out.stdout);
    for needle in [
        "Keskar sharpness (metric 2.1)",
        "filter-normalized sharpness",
        "top Hessian eigenvalue",
        "**Verdict:",
        "Li et al. 2018",
    ] {
        assert!(stdout.contains(needle), "{needle} missing:\n{stdout}");
    }
    let protocol: serde_json::Value =
        serde_json::from_slice(&std::fs::read(whole.join("protocol.json")).expect("protocol"))
            .expect("JSON");
    let to = &protocol["arms"][0]["train_to"];
    let (target, cap) = (
        to["train_loss"].as_f64().expect("target"),
        to["max_epochs"].as_f64().expect("cap"),
    );
    let json = results(&whole);
    let runs = json["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 8, "4 arms x 2 seeds");
    for run in runs {
        let m = &run["measures"];
        let (epochs, loss) = (
            m["epochs"].as_f64().expect("epochs"),
            m["train_loss"].as_f64().expect("train loss"),
        );
        // Trained to the target, or to the cap and marked as not converged.
        match run["converged"].as_bool().expect("converged") {
            true => assert!(loss <= target && epochs <= cap, "{run}"),
            false => assert!(loss > target && epochs == cap, "{run}"),
        }
        for key in ["lambda_max", "keskar", "filter_sharpness"] {
            assert!(m[key].as_f64().expect(key).is_finite(), "{key}: {run}");
        }
        // Sharpness is a loss rise (a maximum over a box holding the centre): never negative.
        assert!(m["keskar"].as_f64().expect("keskar") >= 0.0, "{run}");
    }
    // A run the cap stopped is named in the table's text, not compared.
    if runs.iter().any(|r| r["converged"] == false) {
        assert!(stdout.contains("**Not converged**"), "{stdout}");
    }
    for figure in ["curves-wd0.svg", "curves-wd5e-4.svg", "accuracy.svg"] {
        let svg = std::fs::read_to_string(whole.join(figure)).expect(figure);
        assert!(svg.contains("<svg"), "{figure}");
    }
    // The report shows the study's figures.
    let page = dir.path().join("page.html");
    ok(descent(&["report", s(&whole), "--out", s(&page)]));
    let html = std::fs::read_to_string(&page).expect("page");
    for figure in ["curves-wd0.svg", "curves-wd5e-4.svg"] {
        assert!(html.contains(figure), "{figure} not in the report");
    }

    // Killed part-way (once the second run has started), then resumed: the same runs, the
    // same measurements.
    let killed = dir.path().join("killed");
    kill_and_resume("batch-size", &killed, &["small-wd0", "seed1"]);
    assert_eq!(
        results(&killed)["runs"],
        json["runs"],
        "a resumed study ends like an uninterrupted one"
    );
}

#[test]
fn the_skip_connections_study_scans_each_network_and_draws_the_contours() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("skip");
    let run = ok(descent(&[
        "study",
        "skip-connections",
        "--scale",
        "smoke",
        "--out",
        s(&out),
    ]));
    let stdout = text(&run.stdout);
    for row in [
        "| resnet20-short |",
        "| resnet20-noshort |",
        "| resnet56-short |",
        "| resnet56-noshort |",
        "non-convex share of the plane",
        "**Verdict:",
    ] {
        assert!(stdout.contains(row), "{row} missing:\n{stdout}");
    }
    let json = results(&out);
    for run in json["runs"].as_array().expect("runs") {
        let share = run["measures"]["nonconvex_share"].as_f64().expect("share");
        assert!((0.0..=1.0).contains(&share), "{run}");
        // The ratio map is measured for the first seed only.
        let first = run["seed"] == json["protocol"]["seeds"][0];
        assert_eq!(
            run["measures"]["map_nonconvex_share"].is_number(),
            first,
            "{run}"
        );
    }
    // The network without shortcuts really has none: its saved config says so.
    let config: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("runs/resnet56-noshort/seed0/config.json")).expect("config"),
    )
    .expect("JSON");
    assert_eq!(config["model"]["shortcut"], "none", "{config}");
    let page = dir.path().join("page.html");
    ok(descent(&["report", s(&out), "--out", s(&page)]));
    let html = std::fs::read_to_string(&page).expect("page");
    for figure in [
        "contours-resnet20.svg",
        "contours-resnet56.svg",
        "surface-resnet20.svg",
        "surface-resnet56.svg",
        "ratio-map-resnet20.svg",
        "ratio-map-resnet56.svg",
    ] {
        let svg = std::fs::read_to_string(out.join(figure)).expect(figure);
        // Two panels, side by side, in one figure.
        assert_eq!(svg.matches("<svg").count(), 3, "{figure}");
        assert!(html.contains(figure), "{figure} not in the report");
    }
}
