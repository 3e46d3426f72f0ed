use super::*;
use crate::scan_file::{EvalSpec, example_meta};
use crate::{DirectionConfig, Grid, Normalization};

/// A scan file of `grid` with `loss_test = 1 + a^2 + 2 b^2`, `acc_test = 1 / loss`, and
/// `loss_train`, `acc_train` likewise shifted; points `k` with `!done(k)` left undone.
fn scan(grid: Grid, done: impl Fn(usize) -> bool) -> ScanFile {
    let mut meta = example_meta(grid, &["loss_train", "acc_train", "loss_test", "acc_test"]);
    meta.checkpoints = vec!["runs/net-a".into()];
    meta.model_description = "mlp 2-16-3 relu".into();
    meta.directions = DirectionSource::Random(DirectionConfig {
        normalization: Normalization::Layer,
        ..Default::default()
    });
    meta.cosine = grid.y.map(|_| 0.0123);
    meta.eval = EvalSpec {
        datasets: vec!["spirals-train".into(), "spirals-test".into()],
        splits: vec!["train".into(), "test".into()],
        samples: Some(100),
        subset_seed: 0,
        batch_size: 32,
        bn: BnPolicy::Keep,
    };
    let mut file = ScanFile::new(meta);
    let xs = grid.x.values();
    let ys = grid.y.map_or(vec![0.0], |y| y.values());
    for (k, (a, b)) in ys
        .iter()
        .flat_map(|b| xs.iter().map(move |a| (*a, *b)))
        .enumerate()
    {
        if !done(k) {
            continue;
        }
        let loss = 1.0 + a * a + 2.0 * b * b;
        for (name, v) in [
            ("loss_test", loss),
            ("acc_test", 1.0 / loss),
            ("loss_train", loss - 0.5),
            ("acc_train", 1.0 / (loss + 0.5)),
        ] {
            file.values.get_mut(name).expect("metric")[k] = v;
        }
        file.done[k] = true;
    }
    file
}

fn line() -> Grid {
    Grid {
        x: "-1:1:5".parse().expect("axis"),
        y: None,
    }
}

fn plane() -> Grid {
    Grid {
        x: "-1:1:5".parse().expect("axis"),
        y: Some("-1:1:3".parse().expect("axis")),
    }
}

#[test]
fn one_d_default_draws_losses_left_and_accuracies_right() {
    let plot = scan_line_plot(&scan(line(), |_| true), None, false).expect("plot");
    let left: Vec<&str> = plot
        .series
        .iter()
        .filter(|s| s.axis == YAxis::Left)
        .map(|s| s.label.as_str())
        .collect();
    let right: Vec<&str> = plot
        .series
        .iter()
        .filter(|s| s.axis == YAxis::Right)
        .map(|s| s.label.as_str())
        .collect();
    assert_eq!(left, ["train loss", "test loss"]);
    assert_eq!(right, ["train accuracy", "test accuracy"]);
    assert_eq!(plot.y_label_left, "loss");
    assert_eq!(plot.y_label_right.as_deref(), Some("accuracy"));
    assert_eq!(plot.series[1].x, vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
    assert_eq!(plot.series[1].y[2], 1.0);
    assert!(
        plot.title
            .starts_with("loss and accuracy around net-a (mlp 2-16-3 relu)")
    );
    assert!(plot.title.contains("layer-normalized random direction,"));
    assert!(
        plot.title
            .contains("100 samples of spirals-train + spirals-test")
    );
    assert!(
        plot.x_label.contains("layer-normalized"),
        "{}",
        plot.x_label
    );
}

#[test]
fn one_d_metric_brings_its_accuracy_and_log_sets_the_axis() {
    let plot = scan_line_plot(&scan(line(), |_| true), Some("loss_test"), true).expect("plot");
    let labels: Vec<&str> = plot.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["test loss", "test accuracy"]);
    assert!(plot.log_y);
    assert_eq!(plot.y_label_left, "test loss");
    let err = scan_line_plot(&scan(line(), |_| true), Some("loss_val"), false).expect_err("typo");
    assert!(
        matches!(
            err,
            LandscapeError::InvalidOption {
                field: "metric",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("loss_val"), "{err}");
    assert!(err.to_string().contains("loss_test"), "{err}");
}

#[test]
fn points_not_done_are_gaps_and_nothing_done_is_refused() {
    let plot = scan_line_plot(&scan(line(), |k| k != 1), Some("loss_test"), false).expect("plot");
    assert!(plot.series[0].y[1].is_nan());
    assert_eq!(plot.series[0].y[0], 2.0); // 1 + (-1)^2
    let err = scan_line_plot(&scan(line(), |_| false), None, false).expect_err("empty");
    assert!(err.to_string().contains("0 of 5 points done"), "{err}");
    let surface = scan_surface_plot(
        &scan(plane(), |k| k % 2 == 0),
        None,
        SurfaceStyle::Heatmap,
        false,
    )
    .expect("surface");
    assert!(surface.values[1].is_nan());
    assert_eq!(surface.values[0], 3.5); // default metric loss_train: 1 + 1 + 2 - 0.5
}

#[test]
fn two_d_surface_has_grid_labels_metric_and_title() {
    let file = scan(plane(), |_| true);
    let plot = scan_surface_plot(&file, None, SurfaceStyle::Contour, false).expect("surface");
    assert_eq!(plot.value_label, "train loss");
    assert_eq!(plot.x.len(), 5);
    assert_eq!(plot.y, vec![-1.0, 0.0, 1.0]);
    // (x[4], y[2]) = (1, 1): loss_train = 1 + 1 + 2 - 0.5.
    assert_eq!(plot.values[2 * 5 + 4], 3.5);
    assert!(
        plot.title.starts_with("train loss around net-a"),
        "{}",
        plot.title
    );
    assert!(plot.title.contains("random directions"), "{}", plot.title);
    assert!(plot.y_label.contains("0.012"), "{}", plot.y_label);
    let plot =
        scan_surface_plot(&file, Some("acc_test"), SurfaceStyle::Surface3d, true).expect("surface");
    assert_eq!(plot.value_label, "test accuracy");
    assert!(plot.log_values);
    assert!(scan_line_plot(&file, None, false).is_err());
    assert!(
        scan_surface_plot(&scan(line(), |_| true), None, SurfaceStyle::Contour, false).is_err()
    );
}

#[test]
fn draw_scan_writes_each_style_and_format_and_checks_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stem = dir.path().join("scan");
    let request = ScanPlotRequest {
        metric: None,
        formats: vec![
            ScanFigureFormat::Svg,
            ScanFigureFormat::Png,
            ScanFigureFormat::Vtp,
        ],
        styles: SurfaceStyle::ALL.to_vec(),
        log: false,
    };
    let written = draw_scan(&scan(plane(), |k| k != 3), &stem, &request).expect("drawn");
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "scan-contour.svg",
            "scan-filled.svg",
            "scan-heatmap.svg",
            "scan-surface.svg",
            "scan-contour.png",
            "scan-filled.png",
            "scan-heatmap.png",
            "scan-surface.png",
            "scan.vtp",
        ]
    );
    for p in &written {
        assert!(std::fs::metadata(p).expect("written").len() > 100, "{p:?}");
    }
    let png = std::fs::read(dir.path().join("scan-heatmap.png")).expect("png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let vtp = std::fs::read_to_string(dir.path().join("scan.vtp")).expect("vtp");
    // The default metric is the height; every metric is point data.
    for m in ["loss_train", "acc_train", "loss_test", "acc_test"] {
        assert!(vtp.contains(&format!("Name=\"{m}\"")), "{m}");
    }

    // 1-D: curves, named after the metric when one is chosen; vtp refused before any write.
    let stem = dir.path().join("line");
    let request = ScanPlotRequest {
        metric: Some("loss_test".into()),
        formats: vec![ScanFigureFormat::Svg],
        ..Default::default()
    };
    let written = draw_scan(&scan(line(), |_| true), &stem, &request).expect("curves");
    assert_eq!(written, [dir.path().join("line-loss_test.svg")]);
    let svg = std::fs::read_to_string(&written[0]).expect("svg");
    assert!(svg.contains("test accuracy"));
    let request = ScanPlotRequest {
        formats: vec![ScanFigureFormat::Svg, ScanFigureFormat::Vtp],
        ..Default::default()
    };
    let err = draw_scan(&scan(line(), |_| true), &dir.path().join("bad"), &request)
        .expect_err("vtp of a line");
    assert!(err.to_string().contains("vtp"), "{err}");
    assert!(!dir.path().join("bad.svg").exists());
}

#[test]
fn names_parse_and_print() {
    for f in [
        ScanFigureFormat::Svg,
        ScanFigureFormat::Png,
        ScanFigureFormat::Vtp,
    ] {
        assert_eq!(f.to_string().parse::<ScanFigureFormat>().expect("parse"), f);
    }
    let err = "jpeg".parse::<ScanFigureFormat>().expect_err("jpeg");
    assert!(err.to_string().contains("jpeg"), "{err}");
    assert_eq!(
        parse_style("filled").expect("style"),
        SurfaceStyle::FilledContour
    );
    let err = parse_style("wireframe").expect_err("style");
    assert!(
        matches!(err, LandscapeError::InvalidOption { field: "style", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("wireframe"), "{err}");
    assert_eq!(metric_label("loss_train"), "train loss");
    assert_eq!(metric_label("acc_test"), "test accuracy");
    assert_eq!(metric_label("sharpness"), "sharpness");
    assert_eq!(short_name("runs/a/model.bpk"), "a/model.bpk");
    assert_eq!(short_name("runs/a"), "a");
}

#[test]
fn losses_with_standard_errors_get_a_band_accuracies_do_not() {
    let mut file = scan(line(), |_| true);
    assert!(
        scan_line_plot(&file, None, false)
            .expect("plot")
            .series
            .iter()
            .all(|s| s.band.is_none()),
        "no errors, no band"
    );
    for name in ["loss_test", "acc_test"] {
        file.std_errors.insert(name.into(), vec![0.25; 5]);
    }
    let plot = scan_line_plot(&file, Some("loss_test"), false).expect("plot");
    assert_eq!(plot.series.len(), 2);
    assert_eq!(plot.series[0].band.as_deref(), Some(&[0.25; 5][..]));
    assert_eq!(plot.series[1].band, None);
}
