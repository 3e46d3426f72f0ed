//! [`BarPlot`]: values per category (a per-layer quantity: curvature, weight norm, gradient
//! norm), one bar per series in each category, on a linear or log axis, drawn by
//! [`draw_bars`].

use std::path::Path;

use crate::PlotError;

/// One set of bars: a value per category, in the plot's category order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BarSeries {
    /// The legend entry (a legend is drawn when there are several series).
    pub label: String,
    /// One value per category; NaN leaves that bar out.
    pub values: Vec<f64>,
}

impl BarSeries {
    /// A series.
    pub fn new(label: impl Into<String>, values: Vec<f64>) -> Self {
        BarSeries {
            label: label.into(),
            values,
        }
    }
}

/// A bar chart: categories along x (their names written under them, turned when they do
/// not fit side by side), a bar per series in each, a y axis from zero (or, on a log axis,
/// from below the smallest value).
///
/// ```
/// use descent_plot::{BarPlot, BarSeries, draw_bars};
///
/// # fn main() -> Result<(), descent_plot::PlotError> {
/// let plot = BarPlot {
///     title: "Largest Hessian eigenvalue per layer".into(),
///     y_label: "lambda_max".into(),
///     categories: vec!["fc1.weight".into(), "fc2.weight".into(), "fc3.weight".into()],
///     series: vec![BarSeries::new("epoch 10", vec![12.5, 3.1, 0.4])],
///     log_y: true,
///     ..Default::default()
/// };
/// let figure = plot.render()?;
/// assert!(figure.layout.problems().is_empty());
/// # let dir = tempfile::tempdir().expect("tempdir");
/// draw_bars(&plot, &dir.path().join("layers.svg"))?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BarPlot {
    /// The title above the plot (may be empty).
    pub title: String,
    /// The label under the category names (may be empty).
    pub x_label: String,
    /// The y axis label.
    pub y_label: String,
    /// The category names, left to right.
    pub categories: Vec<String>,
    /// The series, drawn side by side in each category, in order.
    pub series: Vec<BarSeries>,
    /// Log-scale the y axis (values <= 0 are then left out, like NaN).
    pub log_y: bool,
    /// Image width in pixels (SVG user units); 0 means the default 800.
    pub width: u32,
    /// Image height in pixels (SVG user units); 0 means the default 500.
    pub height: u32,
}

impl Default for BarPlot {
    fn default() -> Self {
        BarPlot {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            categories: Vec::new(),
            series: Vec::new(),
            log_y: false,
            width: 800,
            height: 500,
        }
    }
}

impl BarPlot {
    /// Checks that the chart can be drawn: categories and series, a value per category in
    /// each series, no infinite value, at least one bar to draw (positive on a log axis), a
    /// sane size.
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`] naming the first offending field.
    pub fn validate(&self) -> Result<(), PlotError> {
        if self.categories.is_empty() {
            return Err(PlotError::invalid("categories", "no category to draw"));
        }
        if self.series.is_empty() {
            return Err(PlotError::invalid("series", "no series to draw"));
        }
        let mut drawable = 0usize;
        for (k, s) in self.series.iter().enumerate() {
            if s.values.len() != self.categories.len() {
                return Err(PlotError::invalid(
                    format!("series[{k}].values"),
                    format!(
                        "{} values for {} categories",
                        s.values.len(),
                        self.categories.len()
                    ),
                ));
            }
            if let Some(i) = s.values.iter().position(|v| v.is_infinite()) {
                return Err(PlotError::invalid(
                    format!("series[{k}].values[{i}]"),
                    format!("{} is not finite", s.values[i]),
                ));
            }
            drawable += s
                .values
                .iter()
                .filter(|v| v.is_finite() && (!self.log_y || **v > 0.0))
                .count();
        }
        if drawable == 0 {
            return Err(PlotError::invalid(
                "series",
                if self.log_y {
                    "no positive value to draw on a log axis"
                } else {
                    "every value is NaN"
                },
            ));
        }
        crate::line::check_size(self.width, self.height)
    }
}

/// Draws `plot` to `path`, an `.svg` or `.png` file (chosen by extension), atomically.
///
/// # Errors
/// [`PlotError::InvalidInput`] for unusable data, [`PlotError::UnsupportedFormat`] for another
/// extension, [`PlotError::Io`] when the file cannot be written.
pub fn draw_bars(plot: &BarPlot, path: &Path) -> Result<(), PlotError> {
    crate::ImageFormat::from_path(path)?;
    plot.render()?.write(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plot() -> BarPlot {
        BarPlot {
            categories: vec!["a".into(), "b".into()],
            series: vec![BarSeries::new("s", vec![1.0, f64::NAN])],
            ..Default::default()
        }
    }

    #[test]
    fn valid_chart_passes_and_bad_ones_name_the_field() {
        plot().validate().expect("valid");
        let mut p = plot();
        p.series[0].values.push(3.0);
        let err = p.validate().expect_err("length");
        assert!(err.to_string().contains("series[0].values"), "{err}");
        let mut p = plot();
        p.series[0].values[0] = f64::INFINITY;
        assert!(
            p.validate()
                .expect_err("inf")
                .to_string()
                .contains("values[0]")
        );
        let mut p = plot();
        p.log_y = true;
        p.series[0].values[0] = -1.0;
        assert!(p.validate().is_err(), "nothing positive on a log axis");
        let mut p = plot();
        p.categories.clear();
        assert!(p.validate().is_err());
    }
}
