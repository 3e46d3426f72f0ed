//! Marching squares and filled bands on surfaces whose iso-lines are known exactly.

use super::*;

fn grid(n: usize, lo: f64, hi: f64) -> Vec<f64> {
    (0..n)
        .map(|k| lo + (hi - lo) * k as f64 / (n - 1) as f64)
        .collect()
}

fn sample(x: &[f64], y: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    y.iter()
        .flat_map(|b| x.iter().map(|a| f(*a, *b)).collect::<Vec<_>>())
        .collect()
}

#[test]
fn plane_gives_one_straight_vertical_line_at_the_level() {
    // z = x: the iso-line of level c is the vertical line x = c, exactly (linear interpolation
    // of a linear function).
    let (x, y) = (grid(11, -1.0, 1.0), grid(7, 0.0, 3.0));
    let z = sample(&x, &y, |a, _| a);
    for level in [-0.73, -0.05, 0.31, 0.95] {
        let lines = contour_lines(&x, &y, &z, level);
        assert_eq!(lines.len(), 1, "level {level}: {lines:?}");
        let line = &lines[0];
        assert_eq!(line.len(), y.len(), "one point per horizontal grid line");
        assert!(
            line.iter().all(|p| (p[0] - level).abs() < 1e-12),
            "{line:?}"
        );
        let mut ys: Vec<f64> = line.iter().map(|p| p[1]).collect();
        ys.sort_by(f64::total_cmp);
        assert!(
            ys.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-12),
            "{ys:?}"
        );
    }
    assert!(
        contour_lines(&x, &y, &z, 5.0).is_empty(),
        "level above every value"
    );
}

#[test]
fn cone_gives_a_closed_circle_of_the_level_radius() {
    // z = sqrt(x^2 + y^2): the iso-line of level r is the circle of radius r. Linear
    // interpolation along grid edges puts the crossings on the circle up to O(h^2).
    let x = grid(81, -2.0, 2.0);
    let z = sample(&x, &x, |a, b| a.hypot(b));
    for r in [0.5, 1.0, 1.7] {
        let lines = contour_lines(&x, &x, &z, r);
        assert_eq!(lines.len(), 1, "radius {r}");
        let line = &lines[0];
        assert_eq!(line.first(), line.last(), "closed loop");
        let worst = line
            .iter()
            .map(|p| (p[0].hypot(p[1]) - r).abs())
            .fold(0.0, f64::max);
        assert!(worst < 2e-3, "radius {r}: off by {worst}");
        // The loop goes all the way round: it visits all four quadrants.
        for (sx, sy) in [(1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)] {
            assert!(line.iter().any(|p| p[0] * sx > 0.1 && p[1] * sy > 0.1));
        }
    }
}

#[test]
fn nan_cells_leave_a_gap() {
    // z = x with the middle column of points missing: the vertical line through it is cut
    // where the NaN cells are, into two pieces that stop at the gap.
    let (x, y) = (grid(5, 0.0, 4.0), grid(9, 0.0, 8.0));
    let mut z = sample(&x, &y, |a, _| a);
    z[4 * 5 + 2] = f64::NAN; // (x = 2, y = 4): the four cells around it are skipped.
    let lines = contour_lines(&x, &y, &z, 1.5);
    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in &lines {
        assert!(
            line.iter().all(|p| (p[1] - 4.0).abs() >= 1.0 - 1e-12),
            "{line:?}"
        );
    }
    let all_nan = vec![f64::NAN; z.len()];
    assert!(contour_lines(&x, &y, &all_nan, 1.0).is_empty());
    assert!(filled_bands(&x, &y, &all_nan, 0.0, 1.0).is_empty());
}

#[test]
fn saddle_cells_are_resolved_by_the_centre_value() {
    // One cell, corners (bottom-left, bottom-right, top-right, top-left) = (1, 0, 1, 0):
    // level 0.5 crosses every edge at its midpoint; the centre mean 0.5 >= 0.5 counts as "up",
    // like corners 0 and 2, so those connect and corners 1 and 3 are cut off.
    let (x, y) = (vec![0.0, 1.0], vec![0.0, 1.0]);
    let z = vec![1.0, 0.0, 0.0, 1.0]; // row-major: (0,0)=1, (1,0)=0, (0,1)=0, (1,1)=1
    let mut lines = contour_lines(&x, &y, &z, 0.5);
    lines.sort_by(|a, b| a[0][0].total_cmp(&b[0][0]));
    assert_eq!(lines.len(), 2);
    let mut ends: Vec<Vec<[f64; 2]>> = lines
        .into_iter()
        .map(|mut l| {
            l.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
            l
        })
        .collect();
    ends.sort_by(|a, b| {
        a[0][0]
            .total_cmp(&b[0][0])
            .then(a[0][1].total_cmp(&b[0][1]))
    });
    // Corner 3 (0, 1) cut off by left-top; corner 1 (1, 0) cut off by bottom-right.
    assert_eq!(ends[0], vec![[0.0, 0.5], [0.5, 1.0]]);
    assert_eq!(ends[1], vec![[0.5, 0.0], [1.0, 0.5]]);
}

fn area(poly: &[[f64; 2]]) -> f64 {
    let mut s = 0.0;
    for k in 0..poly.len() {
        let (a, b) = (poly[k], poly[(k + 1) % poly.len()]);
        s += a[0] * b[1] - b[0] * a[1];
    }
    s.abs() / 2.0
}

#[test]
fn bands_of_a_plane_cover_exact_strips_and_tile_the_grid() {
    // z = x on [0, 4] x [0, 2]: the band 0.5 <= z <= 1.75 is the strip of width 1.25, area 2.5;
    // open bands below and above cover the rest, so the three areas add up to the grid's 8.
    let (x, y) = (grid(5, 0.0, 4.0), grid(3, 0.0, 2.0));
    let z = sample(&x, &y, |a, _| a);
    let total = |polys: Vec<Vec<[f64; 2]>>| polys.iter().map(|p| area(p)).sum::<f64>();
    let mid = total(filled_bands(&x, &y, &z, 0.5, 1.75));
    let below = total(filled_bands(&x, &y, &z, f64::NEG_INFINITY, 0.5));
    let above = total(filled_bands(&x, &y, &z, 1.75, f64::INFINITY));
    assert!((mid - 2.5).abs() < 1e-12, "{mid}");
    assert!((below - 1.0).abs() < 1e-12, "{below}");
    assert!((above + mid + below - 8.0).abs() < 1e-12, "{above}");
}
