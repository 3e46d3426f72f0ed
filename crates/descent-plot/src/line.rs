//! [`LinePlot`]: 1-D curves (loss and accuracy along a direction, learning-rate schedules,
//! training curves, spectra) on one or two y axes, linear or log, drawn by [`draw_lines`].

use std::path::Path;

use crate::PlotError;

/// Which y axis a [`Series`] is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum YAxis {
    /// The left axis (labelled [`LinePlot::y_label_left`]; log-scaled when
    /// [`LinePlot::log_y`]).
    #[default]
    Left,
    /// The right axis (labelled [`LinePlot::y_label_right`]; always linear), e.g. accuracy
    /// next to a loss.
    Right,
}

/// One curve: `y[k]` at `x[k]`. Non-finite `y` values (NaN: points not computed yet) break
/// the curve into pieces instead of being drawn.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// The legend entry.
    pub label: String,
    /// Abscissae (finite; any order is drawn as given).
    pub x: Vec<f64>,
    /// Ordinates, as many as `x`.
    pub y: Vec<f64>,
    /// The axis `y` is measured on.
    pub axis: YAxis,
    /// Half-widths of a shaded band `y[k] - band[k] .. y[k] + band[k]` drawn under the
    /// curve (e.g. a standard error), as many as `x`; a non-finite entry leaves a gap.
    pub band: Option<Vec<f64>>,
}

impl Series {
    /// A series on the left axis.
    pub fn new(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series {
            label: label.into(),
            x,
            y,
            axis: YAxis::Left,
            band: None,
        }
    }

    /// The same series with a shaded band of half-widths `band` (see [`Series::band`]).
    pub fn with_band(mut self, band: Vec<f64>) -> Self {
        self.band = Some(band);
        self
    }

    /// The same series, measured on `axis`.
    pub fn on(mut self, axis: YAxis) -> Self {
        self.axis = axis;
        self
    }
}

/// A line plot with a title, labelled axes, a legend when there are several series, and an
/// optional second y axis on the right.
#[derive(Debug, Clone, PartialEq)]
pub struct LinePlot {
    /// The title above the plot (may be empty).
    pub title: String,
    /// The x axis label.
    pub x_label: String,
    /// The curves, drawn in order with distinct colours.
    pub series: Vec<Series>,
    /// The left y axis label.
    pub y_label_left: String,
    /// The right y axis label; the right axis is drawn when some series is on it.
    pub y_label_right: Option<String>,
    /// Log-scale the left y axis (values <= 0 are then left out, like NaN).
    pub log_y: bool,
    /// Log-scale the x axis (points at x <= 0 are then left out, like NaN).
    pub log_x: bool,
    /// Image width in pixels (SVG user units); 0 means the default 800.
    pub width: u32,
    /// Image height in pixels (SVG user units); 0 means the default 500.
    pub height: u32,
}

impl Default for LinePlot {
    fn default() -> Self {
        LinePlot {
            title: String::new(),
            x_label: String::new(),
            series: Vec::new(),
            y_label_left: String::new(),
            y_label_right: None,
            log_y: false,
            log_x: false,
            width: 800,
            height: 500,
        }
    }
}

impl LinePlot {
    /// Checks that the plot can be drawn: at least one series, matching lengths, finite `x`,
    /// at least one drawable point, a sane size.
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`] naming the first offending field.
    pub fn validate(&self) -> Result<(), PlotError> {
        if self.series.is_empty() {
            return Err(PlotError::invalid("series", "no series to draw"));
        }
        let mut drawable = 0usize;
        for (k, s) in self.series.iter().enumerate() {
            if s.x.len() != s.y.len() {
                return Err(PlotError::invalid(
                    format!("series[{k}].y"),
                    format!("{} values for {} x values", s.y.len(), s.x.len()),
                ));
            }
            if s.x.is_empty() {
                return Err(PlotError::invalid(format!("series[{k}].x"), "empty"));
            }
            if let Some(band) = &s.band
                && band.len() != s.x.len()
            {
                return Err(PlotError::invalid(
                    format!("series[{k}].band"),
                    format!("{} half-widths for {} x values", band.len(), s.x.len()),
                ));
            }
            if let Some(i) = s.x.iter().position(|v| !v.is_finite()) {
                return Err(PlotError::invalid(
                    format!("series[{k}].x[{i}]"),
                    format!("{} is not finite", s.x[i]),
                ));
            }
            let log = self.log_y && s.axis == YAxis::Left;
            drawable += s
                .x
                .iter()
                .zip(&s.y)
                .filter(|(x, y)| y.is_finite() && (!log || **y > 0.0) && (!self.log_x || **x > 0.0))
                .count();
        }
        if drawable == 0 {
            return Err(PlotError::invalid(
                "series",
                if self.log_y || self.log_x {
                    "no finite value to draw (positive on a log axis)"
                } else {
                    "every y value is NaN or infinite"
                },
            ));
        }
        check_size(self.width, self.height)
    }
}

/// Rejects absurd image sizes (0 means the default).
pub(crate) fn check_size(width: u32, height: u32) -> Result<(), PlotError> {
    for (field, v) in [("width", width), ("height", height)] {
        if v != 0 && !(100..=10_000).contains(&v) {
            return Err(PlotError::invalid(
                field,
                format!("{v} pixels is outside 100..=10000"),
            ));
        }
    }
    Ok(())
}

/// Draws `plot` to `path`, an `.svg` or `.png` file (chosen by extension), atomically.
///
/// # Errors
/// [`PlotError::InvalidInput`] for unusable data, [`PlotError::UnsupportedFormat`] for another
/// extension, [`PlotError::Io`] when the file cannot be written.
pub fn draw_lines(plot: &LinePlot, path: &Path) -> Result<(), PlotError> {
    crate::ImageFormat::from_path(path)?;
    plot.render()?.write(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plot() -> LinePlot {
        LinePlot {
            title: "t".into(),
            series: vec![Series::new("a", vec![0.0, 1.0], vec![1.0, 2.0])],
            ..Default::default()
        }
    }

    #[test]
    fn valid_plot_passes() {
        plot().validate().expect("valid");
    }

    #[test]
    fn mismatched_lengths_name_the_series() {
        let mut p = plot();
        p.series
            .push(Series::new("b", vec![0.0, 1.0, 2.0], vec![1.0]));
        let err = p.validate().expect_err("mismatch");
        assert!(err.to_string().contains("series[1].y"), "{err}");
    }

    #[test]
    fn all_nan_and_empty_are_rejected() {
        let mut p = plot();
        p.series[0].y = vec![f64::NAN, f64::NAN];
        assert!(p.validate().is_err());
        p.series.clear();
        let err = p.validate().expect_err("empty");
        assert!(err.to_string().contains("no series"), "{err}");
    }

    #[test]
    fn log_axis_needs_a_positive_value() {
        let mut p = plot();
        p.log_y = true;
        p.series[0].y = vec![0.0, -1.0];
        assert!(p.validate().is_err());
        p.series[0].y = vec![0.0, 1.0];
        p.validate().expect("one positive value is drawable");
    }

    #[test]
    fn log_x_axis_needs_a_positive_x() {
        let mut p = plot();
        p.log_x = true;
        p.series[0].x = vec![0.0, -1.0];
        assert!(p.validate().is_err());
        p.series[0].x = vec![0.0, 1.0];
        p.validate().expect("one point at x > 0 is drawable");
    }

    #[test]
    fn non_finite_x_is_rejected() {
        let mut p = plot();
        p.series[0].x[1] = f64::INFINITY;
        let err = p.validate().expect_err("inf x");
        assert!(err.to_string().contains("series[0].x[1]"), "{err}");
    }
}
