//! End-to-end tests of the plot files: SVG parses as XML and holds the texts, PNG decodes
//! with the right size, every style draws with NaN gaps and lays out without overlaps, bad
//! input writes nothing.
//!
//! Set `DESCENT_PLOT_DIR=/some/dir` to keep the images for a look.

use std::path::{Path, PathBuf};

use super::*;

fn out_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    match std::env::var_os("DESCENT_PLOT_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            std::fs::create_dir_all(&d).expect("create DESCENT_PLOT_DIR");
            (None, d)
        }
        None => {
            let t = tempfile::tempdir().expect("tempdir");
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    }
}

/// Parses the SVG with usvg's XML parser (fails on malformed XML) and returns its text.
fn read_svg(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("read svg");
    resvg::usvg::Tree::from_str(&text, &resvg::usvg::Options::default()).expect("well-formed SVG");
    text
}

fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).expect("open png"),
    ));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut buf).expect("png data");
    // Not blank: some pixels are dark (text, axes).
    assert!(
        buf.chunks(4).any(|p| p[0] < 80 && p[1] < 80 && p[2] < 80),
        "image has dark pixels"
    );
    (info.width, info.height)
}

fn line_plot() -> LinePlot {
    let x: Vec<f64> = (0..=60).map(|k| -1.0 + k as f64 / 30.0).collect();
    let mut loss: Vec<f64> = x.iter().map(|a| 0.05 + 3.0 * a * a).collect();
    loss[40] = f64::NAN; // not computed yet: a gap
    LinePlot {
        title: "Loss & accuracy along d".into(),
        x_label: "alpha".into(),
        y_label_left: "train loss".into(),
        y_label_right: Some("train accuracy".into()),
        log_y: true,
        series: vec![
            Series::new("loss", x.clone(), loss),
            Series::new(
                "accuracy",
                x.clone(),
                x.iter().map(|a| 0.98 - 0.4 * a * a).collect(),
            )
            .on(YAxis::Right),
        ],
        ..Default::default()
    }
}

fn bowl(style: SurfaceStyle) -> SurfacePlot {
    let x: Vec<f64> = (0..=40).map(|k| -1.0 + k as f64 / 20.0).collect();
    let y: Vec<f64> = (0..=30).map(|k| -0.75 + k as f64 / 20.0).collect();
    let mut values: Vec<f64> = y
        .iter()
        .flat_map(|b| {
            x.iter()
                .map(move |a| 0.02 + (1.0 - a).powi(2) + 5.0 * (b - a * a).powi(2))
        })
        .collect();
    for v in values.iter_mut().skip(41 * 25).take(8) {
        *v = f64::NAN;
    }
    SurfacePlot {
        title: format!("Rosenbrock-like valley ({style})"),
        x_label: "x".into(),
        y_label: "y".into(),
        value_label: "loss".into(),
        x,
        y,
        values,
        style,
        log_values: true,
        paths: vec![
            PathOverlay {
                label: "SGD".into(),
                points: vec![
                    [-0.8, 0.6],
                    [-0.5, 0.2],
                    [0.0, 0.05],
                    [0.5, 0.2],
                    [0.9, 0.7],
                ],
            },
            PathOverlay {
                label: "momentum".into(),
                points: vec![[-0.9, -0.6], [-0.2, -0.3], [0.6, 0.3], [1.0, 0.75]],
            },
        ],
        markers: vec![
            Marker {
                label: "minimum".into(),
                at: [0.9, 0.7],
            },
            Marker {
                label: "start".into(),
                at: [-0.8, 0.6],
            },
        ],
        ..Default::default()
    }
}

#[test]
fn line_plot_svg_is_xml_with_title_labels_and_legend() {
    let (_keep, dir) = out_dir();
    let path = dir.join("lines.svg");
    draw_lines(&line_plot(), &path).expect("draw");
    let svg = read_svg(&path);
    for text in [
        "Loss &amp; accuracy along d",
        "alpha",
        "train loss",
        "train accuracy",
        ">loss<",
        ">accuracy<",
    ] {
        assert!(svg.contains(text), "missing {text}");
    }
    // Log ticks on the left axis are labelled in round numbers.
    assert!(
        svg.contains(">0.1<") && svg.contains(">1<"),
        "log tick labels"
    );
}

#[test]
fn line_plot_png_decodes_at_twice_the_size() {
    let (_keep, dir) = out_dir();
    let path = dir.join("lines.png");
    let mut plot = line_plot();
    plot.width = 640;
    plot.height = 400;
    draw_lines(&plot, &path).expect("draw");
    assert_eq!(png_size(&path), (1280, 800));
}

#[test]
fn every_surface_style_draws_svg_and_png_with_gaps() {
    let (_keep, dir) = out_dir();
    for style in SurfaceStyle::ALL {
        let plot = bowl(style);
        let svg_path = dir.join(format!("surface-{style}.svg"));
        draw_surface(&plot, &svg_path).expect("svg");
        let svg = read_svg(&svg_path);
        for text in [
            "Rosenbrock-like valley",
            "loss (log scale)",
            "SGD",
            "momentum",
            "minimum",
        ] {
            assert!(svg.contains(text), "{style}: missing {text}");
        }
        let png_path = dir.join(format!("surface-{style}.png"));
        draw_surface(&plot, &png_path).expect("png");
        assert_eq!(png_size(&png_path), (1520, 1200), "{style}");
    }
}

#[test]
fn linear_surface_with_a_value_range_draws() {
    let (_keep, dir) = out_dir();
    let mut plot = bowl(SurfaceStyle::FilledContour);
    plot.log_values = false;
    plot.value_range = Some([0.0, 5.0]);
    plot.levels = 10;
    let path = dir.join("surface-linear.svg");
    draw_surface(&plot, &path).expect("draw");
    let svg = read_svg(&path);
    assert!(
        svg.contains(">5<") || svg.contains(">5.0<"),
        "colour bar reaches the range's end"
    );
}

#[test]
fn bad_input_and_unknown_extension_write_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut plot = bowl(SurfaceStyle::Contour);
    plot.values.pop();
    let path = dir.path().join("bad.svg");
    let err = draw_surface(&plot, &path).expect_err("short values");
    assert!(matches!(err, PlotError::InvalidInput { .. }), "{err}");
    let err = draw_lines(&line_plot(), &dir.path().join("plot.pdf")).expect_err("pdf");
    assert!(matches!(err, PlotError::UnsupportedFormat { .. }), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("list").count(),
        0,
        "no file left behind"
    );
}

#[test]
fn unwritable_output_is_an_io_error_naming_the_path() {
    let err = draw_lines(&line_plot(), Path::new("/nonexistent-dir/p.png")).expect_err("io");
    assert!(matches!(err, PlotError::Io { .. }), "{err}");
    assert!(
        err.to_string().contains("/nonexistent-dir/p.png")
            || err.to_string().contains("/nonexistent-dir"),
        "{err}"
    );
}

/// A scan of a Fashion-MNIST MLP as `descent landscape plot` draws it: a square grid, a
/// bowl rising steeply to its rim, long axis labels and a title longer than the image is
/// wide.
pub(crate) fn scanlike(style: SurfaceStyle, n: usize) -> SurfacePlot {
    let x: Vec<f64> = (0..n)
        .map(|k| -1.0 + 2.0 * k as f64 / (n - 1) as f64)
        .collect();
    let values = x
        .iter()
        .flat_map(|b| {
            x.iter().map(move |a| {
                let q = a * a + 0.8 * b * b + 0.3 * a * b + 0.15 * a;
                0.25 + 6.0 * q.max(0.0).powf(1.3)
            })
        })
        .collect();
    SurfacePlot {
        title: "test loss around run-a/model.bpk (mlp 784-100-10 relu), filter-normalized random directions, biases/BN ignored, 1000 samples of fashion-mnist-test".into(),
        x_label: "alpha (direction 1, filter-normalized)".into(),
        y_label: "beta (direction 2, cosine to direction 1: 0.002)".into(),
        value_label: "test loss".into(),
        x: x.clone(),
        y: x,
        values,
        style,
        ..Default::default()
    }
}

/// The bowl without paths and markers.
fn bare(style: SurfaceStyle) -> SurfacePlot {
    SurfacePlot {
        paths: Vec::new(),
        markers: Vec::new(),
        ..bowl(style)
    }
}

/// A 1-D scan's figure with a trajectory-like overlay: several series and a legend.
fn lines_with(overlay: bool) -> LinePlot {
    let mut plot = line_plot();
    if !overlay {
        plot.series.truncate(1);
        plot.y_label_right = None;
    }
    plot
}

fn bars_with(overlay: bool) -> BarPlot {
    let names = [
        "features.0.weight",
        "features.3.weight",
        "features.6.weight",
        "classifier.0.weight",
        "classifier.2.weight",
    ];
    let mut series = vec![BarSeries::new(
        "epoch 10",
        vec![41.0, 12.5, 3.25, 0.8, 0.05],
    )];
    if overlay {
        series.push(BarSeries::new("epoch 100", vec![22.0, 8.0, 2.0, 0.5, 0.02]));
    }
    BarPlot {
        title: "Largest Hessian eigenvalue per layer".into(),
        x_label: "layer".into(),
        y_label: "lambda_max".into(),
        categories: names.iter().map(|s| s.to_string()).collect(),
        series,
        log_y: true,
        ..Default::default()
    }
}

/// Every style, with and without paths, markers and a legend, lays out with no overlap,
/// nothing outside the image and every on-plot label inside the plot area; each has the
/// parts a reader needs. `DESCENT_PLOT_DIR` keeps the PNGs for a look.
#[test]
fn every_style_lays_out_without_overlaps() {
    let (_keep, dir) = out_dir();
    let mut figures: Vec<(String, Figure, Vec<Part>)> = Vec::new();
    for overlay in [false, true] {
        let tag = if overlay { "overlay" } else { "bare" };
        let mut parts = vec![
            Part::Title,
            Part::XLabel,
            Part::YLabel,
            Part::XTick,
            Part::YTick,
            Part::PlotArea,
        ];
        if overlay {
            parts.push(Part::Legend);
        }
        let f = lines_with(overlay).render().expect("lines");
        figures.push((format!("lines-{tag}"), f, parts.clone()));
        // A spectrum on log axes.
        let lambda: Vec<f64> = (1..=200).map(|k| 0.01 * f64::from(k)).collect();
        let spectrum = LinePlot {
            title: "Hessian eigenvalue density".into(),
            x_label: "eigenvalue".into(),
            y_label_left: "density".into(),
            series: vec![Series::new(
                "density",
                lambda.clone(),
                lambda.iter().map(|l| (-l).exp() / l).collect(),
            )],
            log_x: true,
            log_y: true,
            ..Default::default()
        };
        let mut spectrum_parts = parts.clone();
        spectrum_parts.retain(|p| *p != Part::Legend);
        figures.push((
            format!("spectrum-{tag}"),
            spectrum.render().expect("spectrum"),
            spectrum_parts,
        ));
        let mut bar_parts = vec![
            Part::Title,
            Part::XLabel,
            Part::YLabel,
            Part::Category,
            Part::YTick,
            Part::PlotArea,
        ];
        if overlay {
            bar_parts.push(Part::Legend);
        }
        let f = bars_with(overlay).render().expect("bars");
        figures.push((format!("bars-{tag}"), f, bar_parts.clone()));
        // Per-layer values of a deep network: the names no longer fit side by side.
        let n = if overlay { 40 } else { 14 };
        let many = BarPlot {
            categories: (0..n).map(|k| format!("features.{k}.weight")).collect(),
            series: vec![BarSeries::new(
                "trace",
                (0..n).map(|k| 1.0 + k as f64).collect(),
            )],
            log_y: false,
            ..bars_with(false)
        };
        let mut many_parts = bar_parts;
        many_parts.retain(|p| *p != Part::Legend);
        figures.push((
            format!("bars-many-{tag}"),
            many.render().expect("bars"),
            many_parts,
        ));
        for style in SurfaceStyle::ALL {
            let plot = if overlay { bowl(style) } else { bare(style) };
            let mut parts = parts.clone();
            parts.extend([Part::ColourBar, Part::ColourBarTick, Part::ColourBarLabel]);
            if matches!(style, SurfaceStyle::Contour | SurfaceStyle::FilledContour) {
                parts.push(Part::ContourLabel);
            }
            if overlay {
                parts.push(Part::MarkerLabel);
            }
            figures.push((
                format!("{style}-{tag}"),
                plot.render().expect("surface"),
                parts.clone(),
            ));
            if !overlay {
                let scan = scanlike(style, 51).render().expect("scan");
                figures.push((format!("scan-{style}"), scan, parts.clone()));
                // A scan's long axis labels in a study's panel (560 x 500): in 3-D the two
                // labels meet at the front corner the edges share.
                let panel = SurfacePlot {
                    width: 560,
                    height: 500,
                    ..scanlike(style, 15)
                };
                let panel = panel.render().expect("panel");
                figures.push((format!("panel-{style}"), panel, parts));
            }
        }
    }
    let mut failures = Vec::new();
    for (name, figure, parts) in &figures {
        for problem in figure.layout.problems() {
            failures.push(format!("{name}: {problem}"));
        }
        for part in parts {
            if figure.layout.parts(*part).next().is_none() {
                failures.push(format!("{name}: no {part}"));
            }
        }
        figure
            .write(&dir.join(format!("layout-{name}.png")))
            .expect("png");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A square grid is drawn square (equal units on both axes, as in Li et al.'s figures);
/// a free aspect fills the space instead.
#[test]
fn a_square_grid_is_drawn_square_unless_the_aspect_is_free() {
    let x: Vec<f64> = (0..=20).map(|k| -1.0 + k as f64 / 10.0).collect();
    let plot = SurfacePlot {
        title: "square".into(),
        x_label: "alpha".into(),
        y_label: "beta".into(),
        value_label: "loss".into(),
        values: x
            .iter()
            .flat_map(|b| x.iter().map(move |a| a * a + b * b))
            .collect(),
        x: x.clone(),
        y: x.clone(),
        ..Default::default()
    };
    let side = |plot: &SurfacePlot| {
        let figure = plot.render().expect("render");
        let b = figure
            .layout
            .parts(Part::PlotArea)
            .next()
            .expect("plot area")
            .bounds();
        (b[2] - b[0], b[3] - b[1])
    };
    for style in [
        SurfaceStyle::Contour,
        SurfaceStyle::FilledContour,
        SurfaceStyle::Heatmap,
    ] {
        let (w, h) = side(&SurfacePlot {
            style,
            ..plot.clone()
        });
        assert!((w - h).abs() < 0.5, "{style}: {w} x {h}");
        assert!(w > 300.0, "{style}: as large as fits ({w})");
    }
    // Twice as wide in data: twice as wide on screen.
    let wide = SurfacePlot {
        x: x.iter().map(|v| 2.0 * v).collect(),
        ..plot.clone()
    };
    let (w, h) = side(&wide);
    assert!((w / h - 2.0).abs() < 1e-3, "{w} x {h}");
    let (square, _) = side(&plot);
    let (w, h) = side(&SurfacePlot {
        aspect: Aspect::Free,
        ..plot
    });
    assert!(
        w > square + 50.0 && w / h > 1.1,
        "free aspect fills the wider space: {w} x {h}"
    );
}

/// Contour plots carry their levels' values along the lines, and about 20 levels by
/// default (Li et al.'s every 0.5 over a loss range of 10), still settable.
#[test]
fn contour_plots_have_labelled_levels_and_enough_of_them() {
    let x: Vec<f64> = (0..=50).map(|k| -1.0 + k as f64 / 25.0).collect();
    let plot = SurfacePlot {
        values: x
            .iter()
            .flat_map(|b| x.iter().map(move |a| 5.0 * (a * a + b * b)))
            .collect(),
        x: x.clone(),
        y: x.clone(),
        ..Default::default()
    };
    let figure = plot.render().expect("render");
    // Values 0..10: a level every 0.5 (19 inside the range).
    let levels = figure.svg.matches("stroke-width=\"1.6\"").count();
    assert_eq!(levels, 19, "one path per level");
    let labels: Vec<&Region> = figure.layout.parts(Part::ContourLabel).collect();
    assert!(labels.len() >= 8, "{} labels", labels.len());
    for l in &labels {
        let v: f64 = l.text.parse().expect("a number");
        assert!(
            (v * 2.0 - (v * 2.0).round()).abs() < 1e-9 && v > 0.0 && v < 10.0,
            "{}",
            l.text
        );
    }
    assert!(
        figure.layout.problems().is_empty(),
        "{:?}",
        figure.layout.problems()
    );
    let fewer = SurfacePlot {
        levels: 5,
        contour_labels: false,
        ..plot
    };
    let figure = fewer.render().expect("render");
    assert_eq!(
        figure.svg.matches("stroke-width=\"1.6\"").count(),
        4,
        "a level every 2"
    );
    assert_eq!(figure.layout.parts(Part::ContourLabel).count(), 0);
}

#[test]
fn a_band_is_one_shaded_outline_per_stretch_and_widens_the_axis() {
    let (_keep, dir) = out_dir();
    let x = vec![0.0, 1.0, 2.0, 3.0, 4.0];
    let plot = LinePlot {
        series: vec![
            Series::new("loss", x.clone(), vec![1.0, 1.0, f64::NAN, 1.0, 1.0])
                .with_band(vec![0.5, 0.5, 0.5, 0.5, 30.0]),
        ],
        ..Default::default()
    };
    let path = dir.join("band.svg");
    draw_lines(&plot, &path).expect("draw");
    let svg = read_svg(&path);
    // Two stretches (the NaN splits the band as it splits the curve), each a closed outline.
    let band = svg
        .lines()
        .find(|l| l.contains("fill-opacity=\"0.25\""))
        .expect("a shaded band");
    assert_eq!(band.matches('Z').count(), 2, "{band}");
    // The y axis spans the band (-29 to 31, ticks every 20), not only the curve's 1.
    assert!(
        svg.contains(">20<") && svg.contains(">-20<"),
        "axis does not cover the band: {svg}"
    );

    let mut bad = plot.clone();
    bad.series[0].band = Some(vec![0.5; 4]);
    let err = draw_lines(&bad, &dir.join("bad.svg")).expect_err("wrong length");
    assert!(err.to_string().contains("series[0].band"), "{err}");
}
