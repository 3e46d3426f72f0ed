//! Principal directions of a set of points in parameter space (Li et al. 2018, sec. 7: the
//! PCA of a training trajectory).
//!
//! The rows are `x_i = theta_i - theta_ref` over the entries a [`BiasBn`] policy keeps
//! (weights always; biases and norm-layer parameters only under [`BiasBn::Include`]; running
//! statistics never). As in Li et al.'s code (scikit-learn's `PCA`), the rows are centred by
//! their mean before the decomposition, so the explained-variance shares are scikit-learn's
//! `explained_variance_ratio_`, while coordinates are the projections of the **uncentred**
//! `x_i`, so that `theta_ref` sits at the origin.
//!
//! With `n` points and `p >> n` parameters the decomposition is done exactly on the `n x n`
//! Gram matrix `G = Xc Xc^T` ([`nalgebra::SymmetricEigen`]): if `G u = lambda u`, the unit
//! principal direction is `Xc^T u / sqrt(lambda)` and its variance share is `lambda / tr(G)`.
//! Signs follow scikit-learn's `svd_flip`: each `u`'s entry of largest magnitude is positive.

use nalgebra::{DMatrix, SymmetricEigen};

use crate::LandscapeError;
use crate::direction::BiasBn;
use crate::kind::ParamKind;
use crate::vector::ParamVector;

/// The principal directions of a point set and the points' coordinates on them.
#[derive(Debug, Clone)]
pub struct Pca {
    /// Unit principal directions, most variance first.
    pub components: Vec<ParamVector>,
    /// Each direction's share of the total variance (in `[0, 1]`, summing to at most 1).
    pub explained: Vec<f64>,
    /// Each point's coordinates on the directions (`coords[i][k]` for point `i`, direction
    /// `k`).
    pub coords: Vec<Vec<f64>>,
    /// How well the directions' plane (or space) fits each point: the share of its squared
    /// displacement `|x_i|^2` that the projection keeps, `sum_k coords[i][k]^2 / |x_i|^2`, in
    /// `[0, 1]` (`None` for the reference itself, which has no displacement). The explained
    /// variance says how much of the spread the components hold; this says how far each
    /// point is from the plane drawn.
    pub fit: Vec<Option<f64>>,
}

/// `v` restricted to the entries `bias_bn` keeps (the others zeroed).
pub fn masked(v: &ParamVector, bias_bn: BiasBn) -> ParamVector {
    v.map(|e| {
        let dropped = e.info.kind == ParamKind::Buffer
            || (bias_bn == BiasBn::Ignore && e.info.kind.is_bias_or_norm());
        if dropped {
            e.value.zeros_like()
        } else {
            e.value.clone()
        }
    })
}

/// The first `count` principal directions of `points - reference` (see the module docs).
///
/// # Errors
///
/// [`LandscapeError::InvalidOption`] for fewer than `count + 1` points or a point set whose
/// spread has fewer than `count` dimensions; [`LandscapeError::Mismatch`] for points of
/// another architecture.
pub fn pca(
    points: &[ParamVector],
    reference: &ParamVector,
    bias_bn: BiasBn,
    count: usize,
) -> Result<Pca, LandscapeError> {
    let n = points.len();
    if count == 0 || n < count + 1 {
        return Err(LandscapeError::invalid(
            "trajectory",
            format!("{n} points"),
            format!(
                "{count} principal directions need at least {} points",
                count + 1
            ),
        ));
    }
    let rows: Vec<ParamVector> = points
        .iter()
        .map(|p| p.sub(reference).map(|d| masked(&d, bias_bn)))
        .collect::<Result<_, _>>()?;
    let mut gram = DMatrix::<f64>::zeros(n, n);
    for i in 0..n {
        for j in i..n {
            let g = rows[i].dot(&rows[j])?;
            gram[(i, j)] = g;
            gram[(j, i)] = g;
        }
    }
    // Centring the rows: Gc = C G C with C = I - 11^T / n.
    let c = DMatrix::<f64>::identity(n, n) - DMatrix::<f64>::from_element(n, n, 1.0 / n as f64);
    let centred = &c * &gram * &c;
    let total = centred.trace();
    let eigen = SymmetricEigen::new(centred);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    let mut components = Vec::with_capacity(count);
    let mut explained = Vec::with_capacity(count);
    for &k in order.iter().take(count) {
        let lambda = eigen.eigenvalues[k];
        if !(total > 0.0 && lambda > total * 1e-12) {
            return Err(LandscapeError::invalid(
                "trajectory",
                format!("{n} points"),
                format!("the points span fewer than {count} dimensions (the weights barely move)"),
            ));
        }
        let mut u: Vec<f64> = eigen.eigenvectors.column(k).iter().copied().collect();
        let largest = u
            .iter()
            .copied()
            .max_by(|a, b| a.abs().total_cmp(&b.abs()))
            .unwrap_or(1.0);
        if largest < 0.0 {
            u.iter_mut().for_each(|x| *x = -*x);
        }
        // Xc^T u = sum_i u_i (x_i - mean) = sum_i u_i x_i, since sum_i u_i = 0 for every
        // eigenvector of a non-zero eigenvalue of C G C (C's kernel is the ones vector).
        let mut direction = rows[0].scale(u[0]);
        for (row, &ui) in rows.iter().zip(&u).skip(1) {
            direction = direction.axpy(ui, row)?;
        }
        components.push(direction.scale(1.0 / lambda.sqrt()));
        explained.push(lambda / total);
    }
    let coords = rows
        .iter()
        .map(|r| components.iter().map(|d| r.dot(d)).collect())
        .collect::<Result<Vec<Vec<f64>>, _>>()?;
    let fit = (0..n)
        .map(|i| {
            let squared = gram[(i, i)];
            (squared > 0.0)
                .then(|| (coords[i].iter().map(|c| c * c).sum::<f64>() / squared).clamp(0.0, 1.0))
        })
        .collect();
    Ok(Pca {
        components,
        explained,
        coords,
        fit,
    })
}

#[cfg(test)]
mod tests;
