//! `descent landscape plane`: the loss on the plane through three checkpoints, in Euclidean
//! coordinates of an orthonormal basis (Garipov et al. 2018) or on the affine axes
//! `B - A`, `C - A` (`--affine`).

use descent_landscape::job::plane_default_grid;
use descent_landscape::{DirectionChoice, DirectionConfig, Grid, PlaneAxes, ScanKind};

use super::args::PlaneArgs;

/// Runs `descent landscape plane`.
pub fn run(device_name: &str, a: PlaneArgs) -> anyhow::Result<()> {
    let axes = if a.affine {
        PlaneAxes::Affine
    } else {
        PlaneAxes::Orthonormal
    };
    let checkpoints = vec![a.a.clone(), a.b.clone(), a.c.clone()];
    let grid = match (&a.x, &a.y, axes) {
        (Some(x), Some(y), _) => Grid {
            x: x.parse()?,
            y: Some(y.parse()?),
        },
        (x, y, PlaneAxes::Affine) => Grid {
            x: x.as_deref().unwrap_or("-0.5:1.5:21").parse()?,
            y: Some(y.as_deref().unwrap_or("-0.5:1.5:21").parse()?),
        },
        (x, y, PlaneAxes::Orthonormal) => {
            let (_, device) = crate::commands::open_device(device_name)?;
            let fitted = plane_default_grid(&checkpoints, axes, a.margin, a.resolution, &device)?;
            Grid {
                x: match x {
                    Some(x) => x.parse()?,
                    None => fitted.x,
                },
                y: Some(match y {
                    Some(y) => y.parse()?,
                    None => fitted.y.unwrap_or(fitted.x),
                }),
            }
        }
    };
    super::run::scan(
        device_name,
        ScanKind::Plane,
        checkpoints,
        grid,
        DirectionChoice::Random(DirectionConfig::default()),
        axes,
        &a.eval,
        &a.output,
    )
}
