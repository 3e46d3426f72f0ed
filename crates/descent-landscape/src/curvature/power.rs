//! Eigenvalues of a symmetric operator by power iteration (the method of PyHessian and of
//! pytorch-hessian-eigenthings), with a residual stopping rule.
//!
//! [`power_iteration`] runs `v <- B v / |B v|` on `B = scale * A + shift * I`, orthogonal to
//! already found eigenvectors (deflation), from a seeded Gaussian start, and stops when the
//! residual of the Rayleigh pair, `|A v - lambda v|`, is at most `tol * |A|`. (PyHessian stops
//! when the Rayleigh quotient changes by less than `tol` relative; on a shifted operator that
//! change is small long before the vector has turned, which is how the old `lambda_min` came
//! out near the mean eigenvalue and "converged".)
//!
//! [`power_extremes`] gets both ends: the eigenvalue of largest magnitude `d` of `A`, then
//! the other end from `A - d I` (whose eigenvalues all have the sign of `-d`); further largest
//! eigenvalues from `A - lambda_min I` and further smallest ones from `lambda_max I - A` (both
//! positive semi-definite, so magnitude order is the wanted order), each deflating the ones
//! found. Every iteration costs one product; the residual comes free from it.

use crate::LandscapeError;
use crate::curvature::eigen::{EigenOptions, Eigenpair, ExtremeEigen};
use crate::curvature::flat::{axpy, dot, gaussian, norm, scale};
use crate::curvature::operator::SymmetricOperator;
use descent_data::rng::derive_seed;

/// Power iteration on `scale * A + shift * I` (see the module docs), deflating `deflate`;
/// `norm_a` is the estimate of `|A|` the tolerance is relative to (`None`: the running
/// `|lambda|`). Returns the eigenpair of `A`.
///
/// # Errors
///
/// The operator's errors; [`LandscapeError::InvalidOption`] if every direction is deflated.
pub fn power_iteration(
    op: &mut dyn SymmetricOperator,
    op_scale: f64,
    shift: f64,
    deflate: &[Eigenpair],
    norm_a: Option<f64>,
    options: &EigenOptions,
    seed: u64,
) -> Result<Eigenpair, LandscapeError> {
    let n = op.dim();
    let mut v = gaussian(n, seed);
    project_out(&mut v, deflate);
    let nv = norm(&v);
    if nv == 0.0 {
        return Err(LandscapeError::invalid(
            "operator",
            n,
            "every direction is deflated",
        ));
    }
    scale(&mut v, 1.0 / nv);
    let mut last = None;
    for iteration in 1..=options.max_iterations {
        let av = op.apply(&v)?;
        // The residual is measured on A itself: on the deflated operator it would not bound
        // the error when the deflated vectors are inexact.
        let lambda = dot(&v, &av);
        let r = super::eigen::residual(&av, lambda, &v);
        let mut av = av;
        project_out(&mut av, deflate);
        let reference = norm_a.unwrap_or(lambda.abs());
        let converged = r <= options.tol * reference;
        // The next vector: B v = scale A v + shift v.
        let mut w = av;
        scale(&mut w, op_scale);
        axpy(&mut w, shift, &v);
        let nw = norm(&w);
        let pair = Eigenpair {
            value: lambda,
            vector: v.clone(),
            residual: r,
            converged,
            iterations: iteration,
        };
        if converged || nw == 0.0 || iteration == options.max_iterations {
            return Ok(pair);
        }
        last = Some(pair);
        scale(&mut w, 1.0 / nw);
        v = w;
    }
    last.ok_or_else(|| LandscapeError::invalid("iterations", 0, "needs at least one iteration"))
}

/// `v` minus its components along the (unit) vectors of `pairs`.
fn project_out(v: &mut [f64], pairs: &[Eigenpair]) {
    for p in pairs {
        let c = dot(v, &p.vector);
        axpy(v, -c, &p.vector);
    }
}

/// The `top_k` largest and `bottom_k` smallest eigenpairs by power iteration (see the module
/// docs). The residuals are those of the last iterate (no extra product is needed: power
/// iteration measures `A v` at every step).
///
/// # Errors
///
/// The operator's errors.
pub fn power_extremes(
    op: &mut dyn SymmetricOperator,
    top_k: usize,
    bottom_k: usize,
    options: &EigenOptions,
) -> Result<ExtremeEigen, LandscapeError> {
    let start = op.products();
    let seed = |i: u64| derive_seed(options.seed, i);
    let dominant = power_iteration(op, 1.0, 0.0, &[], None, options, seed(0))?;
    let d = dominant.value;
    let other = power_iteration(op, 1.0, -d, &[], Some(d.abs()), options, seed(1))?;
    let (max, min) = if d >= 0.0 {
        (dominant, other)
    } else {
        (other, dominant)
    };
    let norm_a = max.value.abs().max(min.value.abs());
    let (lambda_max, lambda_min) = (max.value, min.value);
    let mut largest = vec![max];
    for i in 1..top_k {
        // A - lambda_min I is positive semi-definite: its dominant eigenvalues are A's largest.
        let p = power_iteration(
            op,
            1.0,
            -lambda_min,
            &largest,
            Some(norm_a),
            options,
            seed(100 + i as u64),
        )?;
        largest.push(p);
    }
    let mut smallest = vec![min];
    for i in 1..bottom_k {
        // lambda_max I - A is positive semi-definite: its dominant eigenvalues are A's smallest.
        let p = power_iteration(
            op,
            -1.0,
            lambda_max,
            &smallest,
            Some(norm_a),
            options,
            seed(200 + i as u64),
        )?;
        smallest.push(p);
    }
    for p in largest.iter_mut().chain(smallest.iter_mut()) {
        p.converged = p.residual <= options.tol * norm_a;
    }
    Ok(ExtremeEigen {
        largest,
        smallest,
        norm: norm_a,
        options: *options,
        products: op.products() - start,
    })
}
