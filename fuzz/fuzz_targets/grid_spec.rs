//! Grid axes written `min:max:num` (the `--x`/`--y` options of `descent landscape`): two
//! specs separated by a newline. Parsing must return an axis or a typed error, never panic,
//! hang or allocate hugely; and an axis it accepts must keep its promises:
//!
//! - printing and parsing again gives the same axis (`Display`/`FromStr` agree);
//! - its `num` coordinates are finite, run from `min` to `max` without going back, and
//!   stay inside `[min, max]` (a scan evaluates the model at each of them);
//! - a grid of the two axes either is refused or has `x.num * y.num` points, and its
//!   last point is the corner `(x.max, y.max)`.
#![no_main]

use descent_landscape::{Axis, Grid};
use libfuzzer_sys::fuzz_target;

fn check_axis(axis: &Axis) {
    let again: Axis = axis
        .to_string()
        .parse()
        .unwrap_or_else(|e| panic!("{axis} does not parse back: {e}"));
    assert_eq!(again, *axis, "round trip of {axis}");
    let values = axis.values();
    assert_eq!(values.len(), axis.num, "number of coordinates of {axis}");
    assert_eq!(
        values.first(),
        Some(&axis.min),
        "first coordinate of {axis}"
    );
    assert_eq!(values.last(), Some(&axis.max), "last coordinate of {axis}");
    for pair in values.windows(2) {
        assert!(
            pair[0].is_finite() && pair[0] <= pair[1],
            "coordinates of {axis} go {} then {}",
            pair[0],
            pair[1]
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut specs = text.splitn(2, '\n');
    let Ok(x) = specs.next().unwrap_or_default().parse::<Axis>() else {
        return;
    };
    check_axis(&x);
    let y = match specs.next().map(str::parse::<Axis>) {
        Some(Ok(y)) => {
            check_axis(&y);
            Some(y)
        }
        Some(Err(_)) | None => None,
    };
    if let Ok(grid) = Grid::new(x, y) {
        assert_eq!(grid.len(), x.num * y.map_or(1, |y| y.num));
        assert_eq!(grid.shape().iter().product::<usize>(), grid.len());
        let corner = grid.point(grid.len() - 1);
        assert_eq!(corner, (x.max, y.map_or(0.0, |y| y.max)));
    }
});
