//! Grid axes written `min:max:num` and the 1-D or 2-D grids of a scan.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::LandscapeError;

/// The most points one axis may have (2^20). A scan evaluates the model at every point, so
/// real axes have tens or hundreds; the limit keeps a typo or a hostile file from asking for
/// more memory than the machine has.
pub const MAX_AXIS_POINTS: usize = 1 << 20;

/// The most points a whole grid may have (2^24): each metric array of a scan file holds one
/// `f64` per point, so this bounds them at 128 MiB.
pub const MAX_GRID_POINTS: usize = 1 << 24;

/// `num` evenly spaced coordinates from `min` to `max`, both included; written `min:max:num`
/// (e.g. `-1:1:51`, `-0.5:1.5:41`).
///
/// Coordinate `i` is `min + (max - min) * i / (num - 1)`, so the endpoints are exact and an
/// odd `num` on a symmetric range puts an exact 0 in the middle. `num = 1` means `[min]` and
/// then requires `max == min`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// The first coordinate.
    pub min: f64,
    /// The last coordinate.
    pub max: f64,
    /// The number of coordinates, at least 1.
    pub num: usize,
}

impl Axis {
    /// A checked axis.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] for non-finite bounds, `num = 0`, `min > max`,
    /// `num = 1` with `min != max`, a width `max - min` too large for an `f64`, or `num`
    /// above [`MAX_AXIS_POINTS`].
    pub fn new(min: f64, max: f64, num: usize) -> Result<Axis, LandscapeError> {
        let axis = Axis { min, max, num };
        let bad = |reason: &str| LandscapeError::invalid("grid axis", axis, reason);
        if !(min.is_finite() && max.is_finite()) {
            return Err(bad("bounds must be finite numbers"));
        }
        if num == 0 {
            return Err(bad("needs at least one point"));
        }
        if min > max {
            return Err(bad("min must not exceed max"));
        }
        // Coordinates are `min + (max - min) * i / (num - 1)`: a width that overflows to
        // infinity would make them infinite or NaN (e.g. `-1e308:1e308:3`).
        if !(max - min).is_finite() {
            return Err(bad("max - min must be a finite number"));
        }
        if num == 1 && min != max {
            return Err(bad("a single point needs min == max"));
        }
        if num > MAX_AXIS_POINTS {
            return Err(bad(&format!(
                "{num} points is more than the limit of {MAX_AXIS_POINTS} per axis"
            )));
        }
        Ok(axis)
    }

    /// Checks an axis built without [`Axis::new`] (a struct literal, or one read from a
    /// file) by the same rules.
    ///
    /// # Errors
    ///
    /// As [`Axis::new`].
    pub fn validate(&self) -> Result<(), LandscapeError> {
        Axis::new(self.min, self.max, self.num).map(|_| ())
    }

    /// The coordinates.
    pub fn values(&self) -> Vec<f64> {
        if self.num == 1 {
            return vec![self.min];
        }
        let last = (self.num - 1) as f64;
        (0..self.num)
            .map(|i| {
                if i == self.num - 1 {
                    self.max
                } else {
                    // Rounding may land one ulp past `max`; coordinates stay inside the axis.
                    (self.min + (self.max - self.min) * (i as f64) / last).min(self.max)
                }
            })
            .collect()
    }
}

impl fmt::Display for Axis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.min, self.max, self.num)
    }
}

impl FromStr for Axis {
    type Err = LandscapeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.trim().split(':').collect();
        let bad = |reason: &str| LandscapeError::invalid("grid axis", s, reason);
        let [min, max, num] = parts.as_slice() else {
            return Err(bad("expected min:max:num, e.g. -1:1:51"));
        };
        let min: f64 = min.trim().parse().map_err(|_| bad("min is not a number"))?;
        let max: f64 = max.trim().parse().map_err(|_| bad("max is not a number"))?;
        let num: usize = num
            .trim()
            .parse()
            .map_err(|_| bad("num, the number of points, must be a whole number of at least 1"))?;
        // The user's own text in the error, not the parsed numbers (`1e400` would show `inf`).
        Axis::new(min, max, num).map_err(|e| match e {
            LandscapeError::InvalidOption { reason, .. } => bad(&reason),
            other => other,
        })
    }
}

/// The points of a scan: one axis (a line) or two (a plane).
///
/// Points are numbered `k = j * nx + i` for coordinates `(x[i], y[j])`: x varies fastest.
/// Arrays of values are stored `[ny, nx]` (row = y), the layout `numpy.meshgrid(x, y)` and
/// `matplotlib.pyplot.contour(x, y, z)` expect.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// The first direction's coordinates.
    pub x: Axis,
    /// The second direction's coordinates, for a 2-D scan.
    pub y: Option<Axis>,
}

impl Grid {
    /// A checked grid: both axes valid and at most [`MAX_GRID_POINTS`] points in all.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] naming the bad axis or the point count.
    pub fn new(x: Axis, y: Option<Axis>) -> Result<Grid, LandscapeError> {
        x.validate()?;
        if let Some(y) = y {
            y.validate()?;
        }
        // In 128 bits, so the message can name the count of any two valid axes.
        let points = x.num as u128 * y.map_or(1, |y| y.num) as u128;
        if points <= MAX_GRID_POINTS as u128 {
            return Ok(Grid { x, y });
        }
        Err(LandscapeError::invalid(
            "grid",
            match y {
                Some(y) => format!("{x} by {y}"),
                None => x.to_string(),
            },
            format!(
                "{points} points would take {} per metric array (8 bytes a point), more than \
                 the limit of {MAX_GRID_POINTS} points",
                descent_train::memory::format_bytes(points.saturating_mul(8))
            ),
        ))
    }

    /// Checks a grid built as a struct literal or read from a file by the rules of
    /// [`Grid::new`].
    ///
    /// # Errors
    ///
    /// As [`Grid::new`].
    pub fn validate(&self) -> Result<(), LandscapeError> {
        Grid::new(self.x, self.y).map(|_| ())
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.x.num * self.y.map_or(1, |y| y.num)
    }

    /// Whether the grid has no points (never, for checked axes).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shape of a value array: `[nx]` or `[ny, nx]`.
    pub fn shape(&self) -> Vec<usize> {
        match self.y {
            Some(y) => vec![y.num, self.x.num],
            None => vec![self.x.num],
        }
    }

    /// The coordinates `(a, b)` of point `k` (`b` is 0 on a 1-D grid).
    pub fn point(&self, k: usize) -> (f64, f64) {
        let nx = self.x.num;
        let (i, j) = (k % nx, k / nx);
        let a = self.x.values()[i];
        let b = self.y.map_or(0.0, |y| y.values()[j]);
        (a, b)
    }

    /// All points' coordinates, in point order.
    pub fn points(&self) -> Vec<(f64, f64)> {
        let xs = self.x.values();
        let ys = self.y.map_or(vec![0.0], |y| y.values());
        ys.iter()
            .flat_map(|&b| xs.iter().map(move |&a| (a, b)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prints_and_round_trips() {
        for text in ["-1:1:51", "-0.5:1.5:41", "0:0:1", "0:1:2", "-2.25:3e-3:7"] {
            let axis: Axis = text.parse().expect(text);
            let again: Axis = axis.to_string().parse().expect("round trip");
            assert_eq!(again, axis, "{text}");
        }
        let axis: Axis = "-0.5:1.5:41".parse().expect("valid");
        assert_eq!((axis.min, axis.max, axis.num), (-0.5, 1.5, 41));
    }

    #[test]
    fn endpoints_and_zero_are_exact() {
        let v = "-1:1:51".parse::<Axis>().expect("valid").values();
        assert_eq!(v.len(), 51);
        assert_eq!(v[0], -1.0);
        assert_eq!(v[25], 0.0);
        assert_eq!(v[50], 1.0);
        let v = "-0.5:1.5:41".parse::<Axis>().expect("valid").values();
        assert_eq!(v[10], 0.0);
        assert_eq!(v[30], 1.0);
        assert!((v[1] - (-0.45)).abs() < 1e-15);
        assert_eq!(
            "0:2:3".parse::<Axis>().expect("valid").values(),
            [0.0, 1.0, 2.0]
        );
        assert_eq!("3:3:1".parse::<Axis>().expect("valid").values(), [3.0]);
    }

    #[test]
    fn bad_axes_are_errors_naming_the_problem() {
        for (text, want) in [
            ("1:2", "min:max:num"),
            ("a:1:3", "min is not a number"),
            ("0:b:3", "max is not a number"),
            ("0:1:2.5", "whole number"),
            ("0:1:0", "at least one"),
            ("1:0:3", "min must not exceed"),
            ("0:1:1", "single point"),
            ("nan:1:3", "finite"),
            // Found by the grid_spec fuzz target: the width overflowed and every coordinate
            // was NaN or infinite.
            ("-1e308:1e308:3", "max - min must be a finite number"),
        ] {
            let err = text.parse::<Axis>().expect_err(text).to_string();
            assert!(err.contains(want), "{text}: {err}");
            assert!(err.contains("grid axis"), "{err}");
        }
    }

    #[test]
    fn points_run_x_fastest() {
        let grid = Grid {
            x: "0:2:3".parse().expect("valid"),
            y: Some("-1:1:2".parse().expect("valid")),
        };
        assert_eq!(grid.len(), 6);
        assert_eq!(grid.shape(), [2, 3]);
        let points = grid.points();
        assert_eq!(points[1], (1.0, -1.0));
        assert_eq!(points[3], (0.0, 1.0));
        for (k, p) in points.iter().enumerate() {
            assert_eq!(grid.point(k), *p);
        }
        let line = Grid {
            x: "0:1:5".parse().expect("valid"),
            y: None,
        };
        assert_eq!(line.shape(), [5]);
        assert_eq!(line.point(4), (1.0, 0.0));
    }

    #[test]
    fn axis_and_grid_sizes_are_bounded() {
        assert!("0:1:1048576".parse::<Axis>().is_ok());
        let err = "0:1:1048577"
            .parse::<Axis>()
            .expect_err("over the axis limit");
        assert!(err.to_string().contains("limit of 1048576"), "{err}");
        // A point count that does not fit in usize is an error, not a wrapped number.
        let err = "0:1:18446744073709551615"
            .parse::<Axis>()
            .expect_err("usize::MAX points");
        assert!(err.to_string().contains("limit"), "{err}");

        let big: Axis = "0:1:1048576".parse().expect("valid");
        let err = Grid::new(big, Some(big)).expect_err("2^40 points");
        assert!(
            err.to_string().contains("limit of 16777216 points"),
            "{err}"
        );
        let ok = Grid::new(big, Some("0:1:16".parse().expect("valid"))).expect("2^24 points");
        assert_eq!(ok.len(), MAX_GRID_POINTS);

        // Axes that skipped `Axis::new` (a struct literal, or a file) are checked too.
        let zero = Axis {
            min: 0.0,
            max: 1.0,
            num: 0,
        };
        assert!(zero.validate().is_err());
        let huge = Axis {
            min: 0.0,
            max: 1.0,
            num: usize::MAX,
        };
        let err = Grid {
            x: huge,
            y: Some(huge),
        }
        .validate()
        .expect_err("overflowing grid");
        assert!(err.to_string().contains("grid axis"), "{err}");
    }
}
