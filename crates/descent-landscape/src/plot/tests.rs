//! End-to-end tests of the plot files: SVG parses as XML and holds the texts, PNG decodes
//! with the right size, every style draws with NaN gaps, bad input writes nothing.
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
