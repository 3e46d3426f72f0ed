//! `descent report` end to end, opened in a real browser: two small runs (one with SWA, EMA
//! and a kept trajectory) in a study folder, every kind of landscape file in and beside a run,
//! the page written, then loaded in headless Chromium, which must show every figure with no
//! console message, and whose screenshot must be a page, not a blank.
//!
//! Chromium is found as `chromium` (Debian's package) or `$DESCENT_CHROMIUM`. Without it the
//! browser part is skipped with a loud message, unless `DESCENT_REQUIRE_CHROMIUM=1` (CI), which
//! makes a missing browser a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{descent, ok, s, text};

/// Trains the two runs of the study and makes one landscape file of each kind.
fn make_study(root: &Path) -> PathBuf {
    let study = root.join("study");
    let a = study.join("run-a");
    let b = study.join("run-b");
    let common = [
        "--model",
        "mlp",
        "--hidden",
        "16",
        "--dataset",
        "spirals",
        "--epochs",
        "6",
        "--seed",
        "3",
    ];
    let mut args = vec!["train"];
    args.extend_from_slice(&common);
    args.extend_from_slice(&[
        "--lr",
        "0.1",
        "--schedule",
        "sgdr",
        "--t0",
        "2",
        "--t-mult",
        "1",
        "--swa-start",
        "3",
        "--swa-lr",
        "0.05",
        "--swa-anneal-epochs",
        "1",
        "--ema",
        "0.99",
        "--trajectory-every",
        "1",
        "--out",
        s(&a),
    ]);
    let out = ok(descent(&args));
    let stdout = text(&out.stdout);
    // train names the command that makes the run's report.
    assert!(
        stdout.contains(&format!(
            "descent report {} (writes {}/report.html)",
            a.display(),
            a.display()
        )),
        "{stdout}"
    );
    let mut args = vec!["train"];
    args.extend_from_slice(&common);
    args.extend_from_slice(&["--lr", "0.05", "--out", s(&b)]);
    ok(descent(&args));

    let scan_1d = a.join("scan-1d.npz");
    let scan_2d = study.join("run-a-2d.npz"); // beside the run, naming it
    let traj = a.join("traj.npz");
    let curv = a.join("curvature.npz");
    let spectrum = a.join("landscape").join("spectrum.npz");
    for args in [
        vec![
            "landscape",
            "scan",
            s(&a),
            "--x",
            "-1:1:9",
            "--samples",
            "100",
            "--out",
            s(&scan_1d),
        ],
        vec![
            "landscape",
            "scan",
            s(&a),
            "--x",
            "-1:1:5",
            "--y",
            "-1:1:5",
            "--samples",
            "100",
            "--out",
            s(&scan_2d),
        ],
        vec![
            "landscape",
            "trajectory",
            s(&a),
            "--resolution",
            "5",
            "--samples",
            "60",
            "--out",
            s(&traj),
        ],
        vec![
            "landscape",
            "curvature",
            s(&a),
            "--samples",
            "100",
            "--top-k",
            "1",
            "--iterations",
            "40",
            "--trace-min-draws",
            "4",
            "--trace-max-draws",
            "4",
            "--per-layer",
            "--out",
            s(&curv),
        ],
    ] {
        ok(descent(&args));
    }
    // A curve between the two runs, in a folder beside them: both runs' sections show it.
    ok(descent(&[
        "landscape",
        "curve",
        s(&a),
        s(&b),
        "--epochs",
        "1",
        "--points",
        "5",
        "--samples",
        "100",
        "--train-samples",
        "200",
        "--out",
        s(&study.join("curve-ab")),
    ]));
    std::fs::create_dir_all(spectrum.parent().expect("parent")).expect("mkdir");
    ok(descent(&[
        "landscape",
        "spectrum",
        s(&a),
        "--lanczos-steps",
        "20",
        "--probes",
        "1",
        "--samples",
        "100",
        "--out",
        s(&spectrum),
    ]));
    study
}

/// The figures of a page: the `src` of every `<img class="figure" ...>`.
fn figure_sources(html: &str) -> Vec<String> {
    html.match_indices("<img class=\"figure\"")
        .map(|(at, _)| {
            let rest = &html[at..];
            let start = rest.find("src=\"").expect("src") + 5;
            let end = start + rest[start..].find('"').expect("closing quote");
            rest[start..end].to_string()
        })
        .collect()
}

#[test]
fn report_of_runs_and_a_study() {
    let dir = tempfile::tempdir().expect("tempdir");
    let study = make_study(dir.path());
    let page = dir.path().join("study.html");
    let out = ok(descent(&["report", s(&study), "--out", s(&page)]));
    // 3 curve figures (loss, accuracy, learning rate) + 1-D scan + 2-D scan + trajectory +
    // per-layer curvature + spectrum, and the curve between the runs in each run's section.
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("report of 2 runs (7 landscape files, 10 figures)"),
        "{stdout}"
    );
    let html = std::fs::read_to_string(&page).expect("page");
    let sources = figure_sources(&html);
    assert_eq!(sources.len(), 10);
    assert!(sources.iter().all(|src| src.starts_with("data:image/")));
    // Self-contained: nothing to fetch.
    for needle in ["http://", "https://", "<link", "src=\"/", "url("] {
        assert!(!html.contains(needle), "the page holds {needle}");
    }
    for name in [
        "run-a",
        "run-b",
        "scan-1d.npz",
        "run-a-2d.npz",
        "traj.npz",
        "curvature.npz",
        "spectrum.npz",
        "curve.json",
        "Garipov et al. 2018",
    ] {
        assert!(html.contains(name), "{name} missing from the page");
    }
    // The two runs' curves are overlaid, with SWA's start and the averages marked.
    for legend in [
        "run-a: test loss",
        "run-b: test loss",
        "SWA starts",
        "SWA model",
        "EMA model",
    ] {
        assert!(
            sources
                .iter()
                .take(3)
                .any(|src| decoded_svg(src).contains(legend)),
            "{legend} missing from the curves"
        );
    }

    // The learning rate per step is rebuilt from the configuration: it agrees with the rate
    // the trainer recorded at each epoch's end, and with the definitions: SGDR (Loshchilov and
    // Hutter 2017) from 0.1 with restarts every 2 epochs of 16 steps (1000 spirals, batch 64),
    // eta_t = 0.1 (1 + cos(pi t / 32)) / 2, then SWALR from epoch 3 on, annealed to 0.05 in one
    // epoch and held.
    let run = descent_report::read_run(&study.join("run-a")).expect("a run");
    let rates = run.lr_per_step().expect("rates");
    assert_eq!(rates.len(), 96);
    for record in &run.history {
        let at = rates[record.global_step as usize - 1];
        assert!(
            (at - record.lr).abs() < 1e-12,
            "epoch {}: {at} vs {}",
            record.epoch,
            record.lr
        );
    }
    let sgdr = |t: usize| 0.1 * (1.0 + (std::f64::consts::PI * t as f64 / 32.0).cos()) / 2.0;
    for step in [0, 5, 16, 31, 32, 40] {
        assert!(
            (rates[step] - sgdr(step % 32)).abs() < 1e-9,
            "step {step}: {}",
            rates[step]
        );
    }
    assert!(
        rates[64..].iter().all(|&r| (r - 0.05).abs() < 1e-12),
        "{:?}",
        &rates[64..]
    );

    // The runs given one by one make the same figures.
    let ab = dir.path().join("ab.html");
    let out = ok(descent(&[
        "report",
        s(&study.join("run-a")),
        s(&study.join("run-b")),
        "--out",
        s(&ab),
    ]));
    assert!(text(&out.stdout).contains("(7 landscape files, 10 figures)"));
    // One run: its page goes into the run folder by default.
    ok(descent(&["report", s(&study.join("run-b"))]));
    let b_page = std::fs::read_to_string(study.join("run-b").join("report.html")).expect("page");
    assert_eq!(
        figure_sources(&b_page).len(),
        4,
        "run-b has only the curve beside it"
    );

    let Some(chromium) = chromium() else {
        return;
    };
    let check = open_in_browser(&chromium, &page, dir.path());
    assert_eq!(check.failed, 0, "{check:?}");
    assert_eq!(check.loaded, 10, "{check:?}");
    assert!(check.console.is_empty(), "console: {:#?}", check.console);
    assert_eq!(check.script_errors, 0, "{check:?}");
    check_screenshot(&chromium, &page, dir.path());

    // The studies descent study wrote (docs/studies: tables and figures, no runs): the claim,
    // the table, the verdict and every figure of theirs show.
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/studies");
    let studies = dir.path().join("studies.html");
    let out = ok(descent(&[
        "report",
        s(&docs.join("restarts-small")),
        s(&docs.join("optimizers-small")),
        "--out",
        s(&studies),
    ]));
    let lessons = std::fs::read_dir(docs.join("optimizers-small/lessons"))
        .expect("lessons")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "svg"))
        })
        .count();
    let figures = 1 + lessons; // restarts' accuracy.svg
    assert!(
        text(&out.stdout).contains(&format!("{figures} figures")),
        "{}",
        text(&out.stdout)
    );
    let study_html = std::fs::read_to_string(&studies).expect("page");
    for needle in [
        "Verdict: not reproduced",
        "sgdr snapshot ensemble",
        "Verdict: reproduced",
        "momentum-valley",
    ] {
        assert!(study_html.contains(needle), "{needle} missing");
    }
    let check = open_in_browser(&chromium, &studies, dir.path());
    assert_eq!(
        (check.loaded, check.failed, check.total),
        (figures, 0, figures),
        "{check:?}"
    );
    assert!(check.console.is_empty(), "console: {:#?}", check.console);

    // A broken figure is seen: the check above would fail on this page.
    let broken = dir.path().join("broken.html");
    let first = &sources[3];
    std::fs::write(
        &broken,
        html.replacen(first.as_str(), "data:image/png;base64,iVBORw0KGgoAAAA", 1),
    )
    .expect("write");
    let check = open_in_browser(&chromium, &broken, dir.path());
    assert_eq!((check.loaded, check.failed), (9, 1), "{check:?}");
    // And so are a script error and a console message.
    std::fs::write(
        &broken,
        html.replacen(
            "</body>",
            "<script>console.log('x'); undefined_name();</script></body>",
            1,
        ),
    )
    .expect("write");
    let check = open_in_browser(&chromium, &broken, dir.path());
    assert_eq!((check.loaded, check.failed), (10, 0), "{check:?}");
    assert_eq!(check.script_errors, 1, "{check:?}");
    assert_eq!(check.console.len(), 2, "{check:?}");
}

fn decoded_svg(src: &str) -> String {
    let payload = src
        .strip_prefix("data:image/svg+xml;base64,")
        .expect("an SVG figure");
    String::from_utf8(decode_base64(payload)).expect("utf-8")
}

/// Base64 decoding, for reading the page's figures back (written independently of the
/// report's encoder).
fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(4) {
        let real: Vec<u8> = chunk.iter().copied().filter(|&c| c != b'=').collect();
        let mut n = 0u32;
        for (i, &c) in real.iter().enumerate() {
            n |= value(c) << (18 - 6 * i);
        }
        for i in 0..real.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

#[test]
fn bad_inputs_are_named_and_strings_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nowhere");
    let out = descent(&[
        "report",
        s(&missing),
        "--out",
        s(&dir.path().join("r.html")),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("nowhere: does not exist"),
        "{}",
        text(&out.stderr)
    );
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let out = descent(&["report", s(&empty)]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("holds no config.json"),
        "{}",
        text(&out.stderr)
    );
    assert!(!empty.join("report.html").exists());

    // A run whose name and config would be markup.
    let run = dir.path().join("<b>odd & 'n' \"name\"");
    ok(descent(&[
        "train",
        "--model",
        "mlp",
        "--hidden",
        "4",
        "--dataset",
        "blobs",
        "--epochs",
        "1",
        "--out",
        s(&run),
    ]));
    let page = dir.path().join("odd.html");
    ok(descent(&["report", s(&run), "--out", s(&page)]));
    let html = std::fs::read_to_string(&page).expect("page");
    assert!(html.contains("<code>&lt;b&gt;odd &amp; &#39;n&#39; &quot;name&quot;</code>"));
    assert!(!html.contains("<b>odd"));

    // A damaged metrics file: bad input naming the file and line; no page written.
    let metrics = run.join("metrics.jsonl");
    let good = std::fs::read_to_string(&metrics).expect("metrics");
    std::fs::write(&metrics, format!("{good}{{\"epoch\": \n")).expect("write");
    let bad_page = dir.path().join("bad.html");
    let out = descent(&["report", s(&run), "--out", s(&bad_page)]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("metrics.jsonl: line 2"), "{stderr}");
    assert!(!bad_page.exists());
}

/// The browser, or `None` after saying loudly that the browser checks are skipped (a failure
/// instead when `DESCENT_REQUIRE_CHROMIUM=1`).
fn chromium() -> Option<PathBuf> {
    let candidates = std::env::var_os("DESCENT_CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from));
    for path in candidates {
        if path.is_file() {
            return Some(path);
        }
    }
    let required = std::env::var("DESCENT_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "DESCENT_REQUIRE_CHROMIUM=1 but no Chromium: apt-get install -y chromium"
    );
    eprintln!(
        "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
         SKIPPED: the browser checks of descent report (no Chromium; apt-get install -y \
         chromium, or set DESCENT_CHROMIUM)\n\
         !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
    );
    None
}

/// Runs headless Chromium on `page` with `extra` flags, in a fresh profile under `scratch`,
/// killing it after two minutes; returns (stdout, stderr).
fn run_chromium(
    chromium: &Path,
    page: &Path,
    scratch: &Path,
    extra: &[String],
) -> (String, String) {
    let profile = tempfile::tempdir_in(scratch).expect("profile dir");
    let url = format!(
        "file://{}",
        page.canonicalize().expect("page path").display()
    );
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            s
        })
    };
    let (out, err) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    (out.join().expect("stdout"), err.join().expect("stderr"))
}

/// What the page's own check wrote into the DOM after loading, and the console's messages.
#[derive(Debug)]
#[allow(dead_code)] // read through Debug in assertion messages
struct BrowserCheck {
    total: usize,
    loaded: usize,
    failed: usize,
    script_errors: usize,
    console: Vec<String>,
}

/// The value of attribute `name` on the element whose tag starts with `open`, in `dom`.
fn attribute(dom: &str, open: &str, name: &str) -> Option<usize> {
    let at = dom.find(open)?;
    let tag = &dom[at..at + dom[at..].find('>')?];
    let key = format!("{name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = start + tag[start..].find('"')?;
    tag[start..end].parse().ok()
}

fn open_in_browser(chromium: &Path, page: &Path, scratch: &Path) -> BrowserCheck {
    let (dom, log) = run_chromium(
        chromium,
        page,
        scratch,
        &["--virtual-time-budget=10000".into(), "--dump-dom".into()],
    );
    let status = "<p id=\"figure-status\"";
    let errors = "<pre id=\"script-errors\"";
    // Every console message (the page itself logs none): errors, CSP violations, warnings.
    let console = log
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    BrowserCheck {
        total: attribute(&dom, status, "data-total").expect("the page rendered its status"),
        loaded: attribute(&dom, status, "data-loaded").expect("the page's check ran on load"),
        failed: attribute(&dom, status, "data-failed").expect("the page's check ran on load"),
        script_errors: attribute(&dom, errors, "data-count").expect("script error counter"),
        console,
    }
}

fn check_screenshot(chromium: &Path, page: &Path, scratch: &Path) {
    let shot = scratch.join("shot.png");
    run_chromium(
        chromium,
        page,
        scratch,
        &[
            "--window-size=1200,3000".into(),
            format!("--screenshot={}", shot.display()),
        ],
    );
    let file = std::fs::File::open(&shot).expect("a screenshot was written");
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!((info.width, info.height), (1200, 3000));
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let white = pixels
        .iter()
        .filter(|p| p[..3].iter().all(|&v| v >= 250))
        .count();
    let dark = pixels
        .iter()
        .filter(|p| p[..3].iter().all(|&v| v < 100))
        .count();
    let mut colours: Vec<[u8; 3]> = pixels.iter().map(|p| [p[0], p[1], p[2]]).collect();
    colours.sort_unstable();
    colours.dedup();
    let n = pixels.len() as f64;
    eprintln!(
        "screenshot: {} colours, {:.1}% white, {:.2}% dark",
        colours.len(),
        100.0 * white as f64 / n,
        100.0 * dark as f64 / n
    );
    // A page: mostly white background, with text and lines (dark) and coloured curves.
    assert!(white as f64 > 0.5 * n, "not a light page");
    assert!(dark as f64 > 0.002 * n, "no text or axes drawn");
    assert!(colours.len() > 200, "only {} colours", colours.len());
}
