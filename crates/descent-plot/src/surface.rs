//! [`SurfacePlot`]: a 2-D surface (a loss landscape, an analytic function) drawn as contours,
//! filled contours, a heatmap or a 3-D view, with optimizer paths and markers on top, by
//! [`draw_surface`].

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::{PlotError, SurfaceStyle};

/// How a 2-D plot's x and y axes are scaled against each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Aspect {
    /// One unit is as long on both axes (matplotlib's `aspect="equal"`): a square grid is
    /// drawn square, as in Li et al.'s figures. For axes in the same units (two directions in
    /// parameter space, the x and y of a toy function).
    #[default]
    Equal,
    /// Each axis fills the space it has: for axes in different units.
    Free,
}

impl fmt::Display for Aspect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Aspect::Equal => "equal",
            Aspect::Free => "free",
        })
    }
}

impl FromStr for Aspect {
    type Err = PlotError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "equal" => Ok(Aspect::Equal),
            "free" | "auto" => Ok(Aspect::Free),
            _ => Err(PlotError::invalid(
                "aspect",
                format!("{s:?} is not one of equal, free"),
            )),
        }
    }
}

/// The default number of contour levels [`SurfacePlot::levels`] aims at.
///
/// Li et al.'s 2-D figures (`plot_2D.py` of tomgoldstein/loss-landscape) draw a level every
/// 0.5 from 0.1 to 10, about 20 levels over a loss range of 10; matplotlib's own default
/// (`MaxNLocator(7 + 1)`) gives only 7 or 8, too few to show a basin's shape. Levels sit on
/// round numbers, so 20 gives between 10 and 20 of them (a step of 1, 2, 2.5 or 5 times a
/// power of ten).
pub const DEFAULT_LEVELS: usize = 20;

/// A polyline drawn over a surface: an optimizer's path or a training trajectory projected on
/// a plane. Its start is drawn as a circle and its end as a filled square; non-finite points
/// break the line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PathOverlay {
    /// The legend entry.
    pub label: String,
    /// The points `[x, y]`, in order.
    pub points: Vec<[f64; 2]>,
}

/// A labelled point drawn over a surface (a minimum, a checkpoint, an SWA solution).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Marker {
    /// The text written next to the point.
    pub label: String,
    /// Where, `[x, y]`.
    pub at: [f64; 2],
}

/// A surface `values` over the grid `x` by `y`, with a title, labelled axes and a colour bar.
///
/// `values` is row-major with rows along y: the value at `(x[i], y[j])` is
/// `values[j * x.len() + i]` (numpy's `meshgrid(x, y)` layout, as in scan files). NaN values
/// (points not computed yet) are left blank.
#[derive(Debug, Clone, PartialEq)]
pub struct SurfacePlot {
    /// The title above the plot (may be empty).
    pub title: String,
    /// The x axis label.
    pub x_label: String,
    /// The y axis label.
    pub y_label: String,
    /// The colour bar's (and the 3-D view's height axis) label, e.g. `train loss`.
    pub value_label: String,
    /// Grid abscissae, strictly increasing, at least 2.
    pub x: Vec<f64>,
    /// Grid ordinates, strictly increasing, at least 2.
    pub y: Vec<f64>,
    /// `x.len() * y.len()` values, `values[j * x.len() + i]` at `(x[i], y[j])`.
    pub values: Vec<f64>,
    /// How the surface is drawn.
    pub style: SurfaceStyle,
    /// About how many contour levels to use; 0 means [`DEFAULT_LEVELS`] (20). Levels are
    /// placed at round numbers spanning the value range, so the count is between half this
    /// and this.
    pub levels: usize,
    /// Write each contour level's value along its lines (contour and filled styles), where a
    /// label fits without covering another label, a path, a marker or the legend, as
    /// matplotlib's `clabel(inline=True)` does in Li et al.'s figures.
    pub contour_labels: bool,
    /// Equal units on both axes (the default; a square grid is drawn square) or a free
    /// aspect. The 3-D view always shows the grid as a square.
    pub aspect: Aspect,
    /// Space levels and colours logarithmically (for losses spanning decades). Values <= 0
    /// get the lowest colour.
    pub log_values: bool,
    /// Clamp colours and levels to `[min, max]` instead of the data's range (values outside
    /// get the end colours), e.g. to keep a few huge losses at the edge from washing out the
    /// centre.
    pub value_range: Option<[f64; 2]>,
    /// Paths drawn on top, each in its own colour, listed in a legend.
    pub paths: Vec<PathOverlay>,
    /// Labelled points drawn on top.
    pub markers: Vec<Marker>,
    /// Image width in pixels (SVG user units); 0 means the default 760.
    pub width: u32,
    /// Image height in pixels (SVG user units); 0 means the default 600.
    pub height: u32,
}

impl Default for SurfacePlot {
    fn default() -> Self {
        SurfacePlot {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            value_label: String::new(),
            x: Vec::new(),
            y: Vec::new(),
            values: Vec::new(),
            style: SurfaceStyle::Contour,
            levels: DEFAULT_LEVELS,
            contour_labels: true,
            aspect: Aspect::Equal,
            log_values: false,
            value_range: None,
            paths: Vec::new(),
            markers: Vec::new(),
            width: 760,
            height: 600,
        }
    }
}

impl SurfacePlot {
    /// Checks that the surface can be drawn: increasing finite axes of at least 2 points,
    /// `values` of the grid's size with at least one finite value (positive when
    /// `log_values`), a sane value range, finite marker positions.
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`] naming the first offending field.
    pub fn validate(&self) -> Result<(), PlotError> {
        check_axis("x", &self.x)?;
        check_axis("y", &self.y)?;
        let n = self.x.len() * self.y.len();
        if self.values.len() != n {
            return Err(PlotError::invalid(
                "values",
                format!(
                    "{} values for a {} x {} grid (expected {n})",
                    self.values.len(),
                    self.x.len(),
                    self.y.len()
                ),
            ));
        }
        let usable = self
            .values
            .iter()
            .filter(|v| v.is_finite() && (!self.log_values || **v > 0.0))
            .count();
        if usable == 0 {
            return Err(PlotError::invalid(
                "values",
                if self.log_values {
                    "no finite positive value for a log colour scale"
                } else {
                    "every value is NaN or infinite"
                },
            ));
        }
        if let Some([lo, hi]) = self.value_range
            && (!lo.is_finite() || !hi.is_finite() || lo >= hi || (self.log_values && lo <= 0.0))
        {
            return Err(PlotError::invalid(
                "value_range",
                format!("[{lo}, {hi}] is not an increasing finite range (positive when log)"),
            ));
        }
        for (k, m) in self.markers.iter().enumerate() {
            if !m.at.iter().all(|v| v.is_finite()) {
                return Err(PlotError::invalid(
                    format!("markers[{k}].at"),
                    format!("{:?} is not finite", m.at),
                ));
            }
        }
        crate::line::check_size(self.width, self.height)
    }

    /// The value at grid point `(i, j)`.
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.values[j * self.x.len() + i]
    }
}

fn check_axis(field: &str, v: &[f64]) -> Result<(), PlotError> {
    if v.len() < 2 {
        return Err(PlotError::invalid(
            field,
            format!("{} points; a surface needs at least 2 per axis", v.len()),
        ));
    }
    if let Some(i) = v.iter().position(|a| !a.is_finite()) {
        return Err(PlotError::invalid(
            format!("{field}[{i}]"),
            format!("{} is not finite", v[i]),
        ));
    }
    if let Some(i) = v.windows(2).position(|w| w[1] <= w[0]) {
        return Err(PlotError::invalid(
            format!("{field}[{}]", i + 1),
            format!("{} does not increase from {}", v[i + 1], v[i]),
        ));
    }
    Ok(())
}

/// Draws `plot` to `path`, an `.svg` or `.png` file (chosen by extension), atomically.
///
/// # Errors
/// [`PlotError::InvalidInput`] for unusable data, [`PlotError::UnsupportedFormat`] for another
/// extension, [`PlotError::Io`] when the file cannot be written.
pub fn draw_surface(plot: &SurfacePlot, path: &Path) -> Result<(), PlotError> {
    crate::ImageFormat::from_path(path)?;
    plot.render()?.write(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plot() -> SurfacePlot {
        SurfacePlot {
            x: vec![0.0, 1.0, 2.0],
            y: vec![0.0, 1.0],
            values: vec![1.0, 2.0, 3.0, 4.0, 5.0, f64::NAN],
            ..Default::default()
        }
    }

    #[test]
    fn valid_surface_passes_and_indexes_row_major() {
        let p = plot();
        p.validate().expect("valid");
        assert_eq!(p.at(2, 0), 3.0);
        assert_eq!(p.at(0, 1), 4.0);
    }

    #[test]
    fn wrong_value_count_names_the_field() {
        let mut p = plot();
        p.values.pop();
        let err = p.validate().expect_err("short");
        assert!(err.to_string().contains("values"), "{err}");
        assert!(err.to_string().contains("expected 6"), "{err}");
    }

    #[test]
    fn all_nan_is_rejected() {
        let mut p = plot();
        p.values = vec![f64::NAN; 6];
        assert!(p.validate().is_err());
    }

    #[test]
    fn axes_must_increase_and_have_two_points() {
        let mut p = plot();
        p.x = vec![0.0, 2.0, 1.0];
        let err = p.validate().expect_err("decreasing");
        assert!(err.to_string().contains("x[2]"), "{err}");
        let mut p = plot();
        p.y = vec![0.0];
        p.values = vec![1.0, 2.0, 3.0];
        assert!(p.validate().is_err());
    }

    #[test]
    fn bad_value_range_and_marker_are_rejected() {
        let mut p = plot();
        p.value_range = Some([2.0, 1.0]);
        assert!(p.validate().is_err());
        let mut p = plot();
        p.markers.push(Marker {
            label: "m".into(),
            at: [f64::NAN, 0.0],
        });
        let err = p.validate().expect_err("nan marker");
        assert!(err.to_string().contains("markers[0]"), "{err}");
    }
}
