//! Iso-lines by marching squares, and filled bands between two levels, over a grid of values
//! (`values[j * x.len() + i]` at `(x[i], y[j])`). Cells with a NaN corner are skipped, so
//! missing points leave gaps.

use std::collections::HashMap;

/// A polyline or polygon in data coordinates.
pub type Polyline = Vec<[f64; 2]>;

/// Where the iso-line of `level` crosses the grid edges, joined into polylines (closed loops
/// repeat their first point at the end).
///
/// Marching squares: the line crosses an edge where one end is `>= level` and the other is
/// not, at the linearly interpolated position; in the two ambiguous (saddle) cases the mean of
/// the four corners decides which corners are connected. Panics never: a `values` of the
/// wrong length gives no lines (callers validate first).
pub fn contour_lines(x: &[f64], y: &[f64], values: &[f64], level: f64) -> Vec<Polyline> {
    let (nx, ny) = (x.len(), y.len());
    if nx < 2 || ny < 2 || values.len() != nx * ny || !level.is_finite() {
        return Vec::new();
    }
    let v = |i: usize, j: usize| values[j * nx + i];
    // An edge key: (vertical?, i, j) for the edge from (i, j) to (i + 1, j) or (i, j + 1).
    let point = |key: Edge| -> [f64; 2] {
        let (vertical, i, j) = key;
        let (a, b, pa, pb) = if vertical {
            (v(i, j), v(i, j + 1), [x[i], y[j]], [x[i], y[j + 1]])
        } else {
            (v(i, j), v(i + 1, j), [x[i], y[j]], [x[i + 1], y[j]])
        };
        let t = ((level - a) / (b - a)).clamp(0.0, 1.0);
        [pa[0] + t * (pb[0] - pa[0]), pa[1] + t * (pb[1] - pa[1])]
    };
    let mut segments: Vec<(Edge, Edge)> = Vec::new();
    for j in 0..ny - 1 {
        for i in 0..nx - 1 {
            let c = [v(i, j), v(i + 1, j), v(i + 1, j + 1), v(i, j + 1)];
            if c.iter().any(|a| !a.is_finite()) {
                continue;
            }
            let up = c.map(|a| a >= level);
            // Edges in order bottom, right, top, left, each with its two corners.
            let edges: [(Edge, usize, usize); 4] = [
                ((false, i, j), 0, 1),
                ((true, i + 1, j), 1, 2),
                ((false, i, j + 1), 3, 2),
                ((true, i, j), 0, 3),
            ];
            let crossed: Vec<Edge> = edges
                .iter()
                .filter(|(_, a, b)| up[*a] != up[*b])
                .map(|(e, _, _)| *e)
                .collect();
            match crossed.len() {
                2 => segments.push((crossed[0], crossed[1])),
                4 => {
                    let centre_up = c.iter().sum::<f64>() / 4.0 >= level;
                    let [bottom, right, top, left] =
                        [crossed[0], crossed[1], crossed[2], crossed[3]];
                    if centre_up == up[0] {
                        // Corners 0 and 2 connect through the centre: cut off corners 1 and 3.
                        segments.push((bottom, right));
                        segments.push((left, top));
                    } else {
                        segments.push((bottom, left));
                        segments.push((right, top));
                    }
                }
                _ => {}
            }
        }
    }
    join(&segments)
        .into_iter()
        .map(|keys| keys.into_iter().map(point).collect())
        .collect()
}

type Edge = (bool, usize, usize);

/// Joins segments sharing edge points into chains of edge keys.
fn join(segments: &[(Edge, Edge)]) -> Vec<Vec<Edge>> {
    let mut at: HashMap<Edge, Vec<usize>> = HashMap::new();
    for (k, (a, b)) in segments.iter().enumerate() {
        at.entry(*a).or_default().push(k);
        at.entry(*b).or_default().push(k);
    }
    let mut used = vec![false; segments.len()];
    let other = |k: usize, e: Edge| {
        if segments[k].0 == e {
            segments[k].1
        } else {
            segments[k].0
        }
    };
    let next = |e: Edge, used: &[bool]| {
        at.get(&e)
            .and_then(|ks| ks.iter().copied().find(|k| !used[*k]))
    };
    // Start from the open ends (edges used once) first, then close the remaining loops.
    let mut starts: Vec<usize> = (0..segments.len())
        .filter(|k| at[&segments[*k].0].len() == 1 || at[&segments[*k].1].len() == 1)
        .collect();
    starts.extend(0..segments.len());
    let mut chains = Vec::new();
    for s in starts {
        if used[s] {
            continue;
        }
        used[s] = true;
        let (a, b) = segments[s];
        let (first, mut end) = (a, b);
        let mut chain = vec![first, end];
        while let Some(k) = next(end, &used) {
            used[k] = true;
            end = other(k, end);
            chain.push(end);
        }
        // Extend backwards from the start too (a chain begun in its middle).
        let mut head = first;
        let mut back = Vec::new();
        while let Some(k) = next(head, &used) {
            used[k] = true;
            head = other(k, head);
            back.push(head);
        }
        if !back.is_empty() {
            back.reverse();
            back.extend(chain);
            chain = back;
        }
        chains.push(chain);
    }
    chains
}

/// The region where `lo <= value <= hi` under linear interpolation on the two triangles of
/// each grid cell (split along its `(i, j)`-`(i+1, j+1)` diagonal), as convex polygons.
/// `lo = -inf` or `hi = +inf` give open bands. Cells with a NaN corner are skipped.
pub fn filled_bands(x: &[f64], y: &[f64], values: &[f64], lo: f64, hi: f64) -> Vec<Polyline> {
    let (nx, ny) = (x.len(), y.len());
    let mut out = Vec::new();
    if nx < 2 || ny < 2 || values.len() != nx * ny || lo.is_nan() || hi.is_nan() || lo > hi {
        return out;
    }
    let p = |i: usize, j: usize| [x[i], y[j], values[j * nx + i]];
    for j in 0..ny - 1 {
        for i in 0..nx - 1 {
            let c = [p(i, j), p(i + 1, j), p(i + 1, j + 1), p(i, j + 1)];
            if c.iter().any(|q| !q[2].is_finite()) {
                continue;
            }
            for tri in [[c[0], c[1], c[2]], [c[0], c[2], c[3]]] {
                let min = tri.iter().map(|q| q[2]).fold(f64::INFINITY, f64::min);
                let max = tri.iter().map(|q| q[2]).fold(f64::NEG_INFINITY, f64::max);
                if max < lo || min > hi {
                    continue;
                }
                if min >= lo && max <= hi {
                    out.push(tri.iter().map(|q| [q[0], q[1]]).collect());
                    continue;
                }
                let poly = clip(&clip(&tri, |v| v - lo), |v| hi - v);
                if poly.len() >= 3 {
                    out.push(poly.iter().map(|q| [q[0], q[1]]).collect());
                }
            }
        }
    }
    out
}

/// Sutherland-Hodgman: the part of the polygon (vertices `[x, y, value]`) where
/// `side(value) >= 0`, with new vertices interpolated linearly.
fn clip(poly: &[[f64; 3]], side: impl Fn(f64) -> f64) -> Vec<[f64; 3]> {
    let mut out = Vec::with_capacity(poly.len() + 2);
    for k in 0..poly.len() {
        let a = poly[k];
        let b = poly[(k + 1) % poly.len()];
        let (sa, sb) = (side(a[2]), side(b[2]));
        if sa >= 0.0 {
            out.push(a);
        }
        if (sa >= 0.0) != (sb >= 0.0) && sa.is_finite() && sb.is_finite() {
            let t = sa / (sa - sb);
            out.push(std::array::from_fn(|c| a[c] + t * (b[c] - a[c])));
        }
    }
    out
}

#[cfg(test)]
mod tests;
