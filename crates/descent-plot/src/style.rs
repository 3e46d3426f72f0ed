//! [`SurfaceStyle`]: how a 2-D surface is drawn.

use std::fmt;
use std::str::FromStr;

use crate::PlotError;

/// How [`draw_surface`](crate::draw_surface) shows a 2-D surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SurfaceStyle {
    /// Iso-lines (marching squares), coloured by level, with a colour bar.
    #[default]
    Contour,
    /// Filled bands between levels, with thin iso-lines on top and a colour bar.
    FilledContour,
    /// One coloured cell per grid point, with a colour bar.
    Heatmap,
    /// A shaded 3-D mesh seen from above at an angle (height = value), with a colour bar.
    Surface3d,
}

impl SurfaceStyle {
    /// Every style, in the order of the docs.
    pub const ALL: [SurfaceStyle; 4] = [
        SurfaceStyle::Contour,
        SurfaceStyle::FilledContour,
        SurfaceStyle::Heatmap,
        SurfaceStyle::Surface3d,
    ];
}

impl fmt::Display for SurfaceStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SurfaceStyle::Contour => "contour",
            SurfaceStyle::FilledContour => "filled",
            SurfaceStyle::Heatmap => "heatmap",
            SurfaceStyle::Surface3d => "surface",
        })
    }
}

impl FromStr for SurfaceStyle {
    type Err = PlotError;

    /// Accepts the [`Display`](fmt::Display) names and a few aliases (`filled-contour`,
    /// `contourf`, `3d`, `surface3d`), in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "contour" => Ok(SurfaceStyle::Contour),
            "filled" | "filled-contour" | "contourf" => Ok(SurfaceStyle::FilledContour),
            "heatmap" => Ok(SurfaceStyle::Heatmap),
            "surface" | "surface3d" | "3d" => Ok(SurfaceStyle::Surface3d),
            _ => Err(PlotError::invalid(
                "style",
                format!("{s:?} is not one of contour, filled, heatmap, surface"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_typos_are_errors() {
        for s in SurfaceStyle::ALL {
            assert_eq!(s.to_string().parse::<SurfaceStyle>().expect("parse"), s);
        }
        assert_eq!(
            "3D".parse::<SurfaceStyle>().expect("alias"),
            SurfaceStyle::Surface3d
        );
        let err = "contours".parse::<SurfaceStyle>().expect_err("typo");
        assert!(err.to_string().contains("style"), "{err}");
    }
}
