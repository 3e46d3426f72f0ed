//! `descent landscape plane`: the grid and axes of the plane through three checkpoints, in
//! Euclidean coordinates of an orthonormal basis (Garipov et al. 2018) or on the affine axes
//! `B - A`, `C - A` (`--affine`). The scan itself is `run.rs`'s, which calls [`grid`].

use descent_landscape::job::plane_default_grid;
use descent_landscape::{Axis, Grid, PlaneAxes};

use super::args::PlaneArgs;
use super::flags::imported_card;

/// Each axis of the affine plane when `--x`/`--y` are not given.
const AFFINE_DEFAULT: &str = "-0.5:1.5:21";

/// The grid and axes `descent landscape plane` scans: `--x`/`--y` as given, the affine
/// default `-0.5:1.5:21`, or the three models' extent plus `--margin` on the orthonormal axes.
pub fn grid(device_name: &str, a: &PlaneArgs) -> anyhow::Result<(Grid, PlaneAxes)> {
    let axes = if a.affine {
        PlaneAxes::Affine
    } else {
        PlaneAxes::Orthonormal
    };
    let grid = match (&a.x, &a.y, axes) {
        (Some(x), Some(y), _) => Grid::new(*x, Some(*y))?,
        (x, y, PlaneAxes::Affine) => {
            let default: Axis = AFFINE_DEFAULT.parse()?;
            Grid::new(x.unwrap_or(default), Some(y.unwrap_or(default)))?
        }
        (x, y, PlaneAxes::Orthonormal) => {
            let (_, device) = crate::commands::open_device(device_name)?;
            let checkpoints = [a.a.clone(), a.b.clone(), a.c.clone()];
            let fitted = plane_default_grid(
                &checkpoints,
                imported_card(&a.eval)?.as_ref(),
                axes,
                a.margin,
                a.resolution,
                &device,
            )?;
            let x = x.unwrap_or(fitted.x);
            let y = y.or(fitted.y).unwrap_or(x);
            Grid::new(x, Some(y))?
        }
    };
    Ok((grid, axes))
}
