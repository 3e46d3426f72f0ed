//! The Lanczos method with full reorthogonalization (Golub & Van Loan, *Matrix Computations*,
//! 4th ed., sec. 10.1; Parlett, *The Symmetric Eigenvalue Problem*, ch. 13).
//!
//! From a unit start vector `q_0`, step `j` computes `w = A q_j - beta_{j-1} q_{j-1}`,
//! `alpha_j = q_j . w`, `w -= alpha_j q_j`, then removes from `w` its components along every
//! `q_i` kept so far, twice ("twice is enough", Parlett), and sets `beta_j = |w|`,
//! `q_{j+1} = w / beta_j`. The `q_j` are an orthonormal basis `Q` of the Krylov space and
//! `Q^T A Q = T` is tridiagonal with `alpha` on its diagonal and `beta` beside it. An
//! eigenpair `(theta, s)` of `T` gives the Ritz pair `(theta, Q s)`, whose residual is
//! `beta_j |s_last|` in exact arithmetic. If `beta_j` vanishes the space is invariant and a
//! fresh random vector orthogonal to `Q` continues (with a zero coupling).
//!
//! [`lanczos_extremes`]: both ends of the spectrum from one run. After each step the wanted
//! Ritz pairs (the `top_k` largest and `bottom_k` smallest) are checked against
//! `beta_j |s_last| <= tol * |A|`; when all pass (or the step budget or the dimension is
//! reached) their vectors are formed and their residuals **measured** with one product each
//! (see [`eigen`](super::eigen)). If a measured residual fails while steps remain, the run goes
//! on and measures again later.
//!
//! **Repeated eigenvalues.** From one start vector the Krylov space holds one vector of each
//! eigenspace, so a repeated eigenvalue shows up once (in exact arithmetic; rounding may
//! reveal copies late). With [`EigenOptions::second_pass`] a second run on the operator
//! deflated by the first run's eigenvectors (`P A P`, `P = I - Q Q^T`) finds one more copy of
//! each, and the two lists are merged (about twice the products): multiplicities up to two
//! are resolved. Power iteration with deflation finds every copy, one run each.
//!
//! Memory: the basis is kept, `steps * n * 8` bytes (n parameters); allocation failures are
//! reported as errors, not aborts.

use nalgebra::{DMatrix, SymmetricEigen};

use crate::LandscapeError;
use crate::curvature::eigen::{EigenOptions, Eigenpair, ExtremeEigen, residual};
use crate::curvature::flat::{axpy, dot, gaussian, norm, scale, try_zeros};
use crate::curvature::operator::{SymmetricOperator, check_len};
use descent_data::rng::derive_seed;

/// A Lanczos run: the basis, the tridiagonal matrix and the next vector.
pub struct Lanczos {
    basis: Vec<Vec<f64>>,
    alpha: Vec<f64>,
    /// `beta[j]` couples `q_j` and `q_{j+1}`; after a step it has as many entries as `alpha`.
    beta: Vec<f64>,
    /// The unnormalized next vector `w` (its norm is the last `beta`).
    next: Option<Vec<f64>>,
    seed: u64,
    restarts: u64,
}

impl Lanczos {
    /// A run from `start` (any non-zero vector; normalized here); `seed` draws the vectors that
    /// continue after an invariant subspace.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] for a zero start.
    pub fn new(start: Vec<f64>, seed: u64) -> Result<Lanczos, LandscapeError> {
        let n0 = norm(&start);
        if !(n0 > 0.0 && n0.is_finite()) {
            return Err(LandscapeError::invalid(
                "start vector",
                n0,
                "must be non-zero and finite",
            ));
        }
        let mut q = start;
        scale(&mut q, 1.0 / n0);
        Ok(Lanczos {
            basis: Vec::new(),
            alpha: Vec::new(),
            beta: Vec::new(),
            next: Some(q),
            seed,
            restarts: 0,
        })
    }

    /// Steps done (the size of `T`).
    pub fn steps(&self) -> usize {
        self.alpha.len()
    }

    /// The diagonal of `T`.
    pub fn alpha(&self) -> &[f64] {
        &self.alpha
    }

    /// The off-diagonal of `T` (`steps - 1` entries).
    pub fn beta(&self) -> &[f64] {
        &self.beta[..self.alpha.len().saturating_sub(1)]
    }

    /// The norm of the last residual vector, `beta_j` (0 before the first step).
    pub fn last_beta(&self) -> f64 {
        self.beta.last().copied().unwrap_or(0.0)
    }

    /// The basis vectors `q_0 .. q_j`.
    pub fn basis(&self) -> &[Vec<f64>] {
        &self.basis
    }

    /// One step: one product with `op`.
    ///
    /// # Errors
    ///
    /// The operator's errors; [`LandscapeError::InvalidOption`] if the basis would exceed the
    /// dimension or memory.
    pub fn step(&mut self, op: &mut dyn SymmetricOperator) -> Result<(), LandscapeError> {
        let n = op.dim();
        if self.basis.len() >= n {
            return Err(LandscapeError::invalid(
                "lanczos_steps",
                self.basis.len() + 1,
                format!("the Krylov space cannot exceed the dimension {n}"),
            ));
        }
        let q = match self.next.take() {
            Some(w) => {
                let b = self.last_beta();
                let mut q = w;
                if self.basis.is_empty() {
                    q
                } else if b > 0.0 {
                    scale(&mut q, 1.0 / b);
                    q
                } else {
                    self.fresh_vector(n)?
                }
            }
            None => self.fresh_vector(n)?,
        };
        check_len(&q, n)?;
        // Reserve the slot before the product so a failed allocation costs no product.
        self.basis.try_reserve(1).map_err(|_| {
            LandscapeError::invalid("lanczos_steps", self.basis.len() + 1, "out of memory")
        })?;
        let mut w = op.apply(&q)?;
        check_len(&w, n)?;
        if let (Some(prev), Some(&b)) = (self.basis.last(), self.beta.last()) {
            axpy(&mut w, -b, prev);
        }
        let a = dot(&q, &w);
        axpy(&mut w, -a, &q);
        self.basis.push(q);
        for _ in 0..2 {
            for v in &self.basis {
                let c = dot(v, &w);
                axpy(&mut w, -c, v);
            }
        }
        let b = norm(&w);
        self.alpha.push(a);
        // An invariant subspace: beta is (numerically) zero; the next step draws a fresh
        // vector and couples it with zero.
        let scale_ref = self.alpha.iter().fold(a.abs(), |m, x| m.max(x.abs()));
        let b = if b <= 1e-13 * scale_ref.max(f64::MIN_POSITIVE) {
            0.0
        } else {
            b
        };
        self.beta.push(b);
        self.next = Some(w);
        Ok(())
    }

    /// A unit Gaussian vector orthogonal to the basis.
    fn fresh_vector(&mut self, n: usize) -> Result<Vec<f64>, LandscapeError> {
        for _ in 0..8 {
            self.restarts += 1;
            let mut v = gaussian(n, derive_seed(self.seed, 1_000_000 + self.restarts));
            for _ in 0..2 {
                for q in &self.basis {
                    let c = dot(q, &v);
                    axpy(&mut v, -c, q);
                }
            }
            let nv = norm(&v);
            if nv > 1e-8 {
                scale(&mut v, 1.0 / nv);
                return Ok(v);
            }
        }
        Err(LandscapeError::invalid(
            "lanczos_steps",
            self.basis.len() + 1,
            "no direction is left outside the Krylov space",
        ))
    }

    /// The eigenvalues of `T` (ascending) and its eigenvectors (columns, same order).
    pub fn ritz(&self) -> (Vec<f64>, DMatrix<f64>) {
        let m = self.steps();
        let mut t = DMatrix::<f64>::zeros(m, m);
        for i in 0..m {
            t[(i, i)] = self.alpha[i];
            if i + 1 < m {
                t[(i, i + 1)] = self.beta[i];
                t[(i + 1, i)] = self.beta[i];
            }
        }
        let eigen = SymmetricEigen::new(t);
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[a].total_cmp(&eigen.eigenvalues[b]));
        let values = order.iter().map(|&i| eigen.eigenvalues[i]).collect();
        let vectors = DMatrix::from_fn(m, m, |r, c| eigen.eigenvectors[(r, order[c])]);
        (values, vectors)
    }

    /// The Ritz vector `Q s` for a column `s` of [`Lanczos::ritz`]'s vectors, normalized.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] if memory runs out.
    pub fn ritz_vector(&self, s: &[f64]) -> Result<Vec<f64>, LandscapeError> {
        let n = self.basis.first().map_or(0, Vec::len);
        let mut y = try_zeros(n, "lanczos_steps")?;
        for (q, &c) in self.basis.iter().zip(s) {
            axpy(&mut y, c, q);
        }
        let ny = norm(&y);
        if ny > 0.0 {
            scale(&mut y, 1.0 / ny);
        }
        Ok(y)
    }
}

/// The `top_k` largest and `bottom_k` smallest eigenpairs of `op` by Lanczos (see the module
/// docs); the start vector is a Gaussian seeded with `options.seed`. With
/// [`EigenOptions::second_pass`], a second run on the operator deflated by the first run's
/// eigenvectors catches a second copy of repeated eigenvalues, which the first run cannot
/// see.
///
/// # Errors
///
/// The operator's errors; memory.
pub fn lanczos_extremes(
    op: &mut dyn SymmetricOperator,
    top_k: usize,
    bottom_k: usize,
    options: &EigenOptions,
) -> Result<ExtremeEigen, LandscapeError> {
    let start_products = op.products();
    let mut norm_estimate: f64 = 0.0;
    let (mut largest, mut smallest, steps) =
        one_pass(op, &[], top_k, bottom_k, options, 0, &mut norm_estimate)?;
    if options.second_pass {
        let found: Vec<&[f64]> = largest
            .iter()
            .chain(&smallest)
            .map(|p| p.vector.as_slice())
            .collect();
        let basis = orthonormal_basis(&found);
        if basis.len() < op.dim() {
            let (more_largest, more_smallest, more_steps) =
                one_pass(op, &basis, top_k, bottom_k, options, 1, &mut norm_estimate)?;
            // The second run's residuals were measured on the deflated operator: measure
            // them again on the operator itself.
            for p in more_largest.into_iter().chain(more_smallest) {
                let ap = op.apply(&p.vector)?;
                let r = residual(&ap, p.value, &p.vector);
                let pair = Eigenpair {
                    residual: r,
                    iterations: steps + more_steps,
                    ..p
                };
                largest.push(pair.clone());
                smallest.push(pair);
            }
            largest.sort_by(|a, b| b.value.total_cmp(&a.value));
            smallest.sort_by(|a, b| a.value.total_cmp(&b.value));
            largest.truncate(top_k);
            smallest.truncate(bottom_k);
        }
    }
    for p in largest.iter_mut().chain(smallest.iter_mut()) {
        p.converged = p.residual <= options.tol * norm_estimate;
    }
    Ok(ExtremeEigen {
        largest,
        smallest,
        norm: norm_estimate,
        options: *options,
        products: op.products() - start_products,
    })
}

/// An operator restricted to the orthogonal complement of an orthonormal `basis`:
/// `P A P` with `P = I - Q Q^T`.
struct Deflated<'a> {
    inner: &'a mut dyn SymmetricOperator,
    basis: &'a [Vec<f64>],
}

impl Deflated<'_> {
    fn project(&self, v: &mut [f64]) {
        for q in self.basis {
            let c = dot(q, v);
            axpy(v, -c, q);
        }
    }
}

impl SymmetricOperator for Deflated<'_> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn apply(&mut self, v: &[f64]) -> Result<Vec<f64>, LandscapeError> {
        let mut pv = v.to_vec();
        self.project(&mut pv);
        let mut out = self.inner.apply(&pv)?;
        self.project(&mut out);
        Ok(out)
    }

    fn products(&self) -> usize {
        self.inner.products()
    }
}

/// An orthonormal basis of the span of `vectors` (Gram-Schmidt twice).
fn orthonormal_basis(vectors: &[&[f64]]) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::new();
    for v in vectors {
        let mut w = v.to_vec();
        let before = norm(&w);
        for _ in 0..2 {
            for q in &out {
                let c = dot(q, &w);
                axpy(&mut w, -c, q);
            }
        }
        let after = norm(&w);
        if after > 1e-6 * before && after > 0.0 {
            scale(&mut w, 1.0 / after);
            out.push(w);
        }
    }
    out
}

/// One Lanczos run on `op` deflated by `deflate` (orthonormal; empty for none) until the
/// wanted Ritz pairs pass the measured residual test or the budget is spent: the largest
/// (largest first) and smallest (smallest first) pairs, and the steps taken.
/// `norm_estimate` carries the largest `|theta|` seen across runs.
fn one_pass(
    op: &mut dyn SymmetricOperator,
    deflate: &[Vec<f64>],
    top_k: usize,
    bottom_k: usize,
    options: &EigenOptions,
    pass: u64,
    norm_estimate: &mut f64,
) -> Result<(Vec<Eigenpair>, Vec<Eigenpair>, usize), LandscapeError> {
    let mut op = Deflated {
        inner: op,
        basis: deflate,
    };
    let n = op.dim().saturating_sub(deflate.len());
    let (top_k, bottom_k) = (top_k.min(n), bottom_k.min(n));
    let budget = options.max_iterations.min(n);
    let seed = derive_seed(options.seed, pass);
    let mut start = gaussian(op.dim(), derive_seed(seed, 0));
    op.project(&mut start);
    let mut run = Lanczos::new(start, seed)?;
    let mut next_check = 0;
    loop {
        run.step(&mut op)?;
        let m = run.steps();
        let (theta, s) = run.ritz();
        *norm_estimate = norm_estimate.max(theta[0].abs()).max(theta[m - 1].abs());
        let wanted = wanted_indices(m, top_k, bottom_k);
        let enough = m >= (top_k + bottom_k).min(n);
        let beta = run.last_beta();
        let estimates_pass = enough
            && wanted
                .iter()
                .all(|&i| beta * s[(m - 1, i)].abs() <= options.tol * *norm_estimate);
        let last = m >= budget;
        if !(last || (estimates_pass && m >= next_check)) {
            continue;
        }
        // Form the wanted Ritz vectors and measure their residuals.
        let mut pairs = Vec::with_capacity(wanted.len());
        for &i in &wanted {
            let column: Vec<f64> = s.column(i).iter().copied().collect();
            let y = run.ritz_vector(&column)?;
            let ay = op.apply(&y)?;
            let value = theta[i];
            let r = residual(&ay, value, &y);
            pairs.push((
                i,
                Eigenpair {
                    value,
                    vector: y,
                    residual: r,
                    converged: r <= options.tol * *norm_estimate,
                    iterations: m,
                },
            ));
        }
        if pairs.iter().all(|(_, p)| p.converged) || last {
            let mut largest = Vec::with_capacity(top_k);
            let mut smallest = Vec::with_capacity(bottom_k);
            let (top, bottom) = (top_indices(m, top_k), bottom_indices(m, bottom_k));
            for (slot, pair) in pairs {
                if top.contains(&slot) {
                    largest.push(pair.clone());
                }
                if bottom.contains(&slot) {
                    smallest.push(pair);
                }
            }
            largest.sort_by(|a, b| b.value.total_cmp(&a.value));
            smallest.sort_by(|a, b| a.value.total_cmp(&b.value));
            return Ok((largest, smallest, m));
        }
        // Measured residuals lag the estimates (rounding, a noisy operator): go on, and
        // measure again after a few more steps.
        next_check = m + (m / 10).max(2);
    }
}

fn top_indices(m: usize, k: usize) -> Vec<usize> {
    (m.saturating_sub(k)..m).rev().collect()
}

fn bottom_indices(m: usize, k: usize) -> Vec<usize> {
    (0..k.min(m)).collect()
}

/// The indices (ascending order of `T`'s eigenvalues) of the wanted Ritz pairs, each once.
fn wanted_indices(m: usize, top_k: usize, bottom_k: usize) -> Vec<usize> {
    let mut w = bottom_indices(m, bottom_k);
    for i in top_indices(m, top_k) {
        if !w.contains(&i) {
            w.push(i);
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curvature::operator::MatrixOperator;
    use nalgebra::DMatrix;

    /// A symmetric matrix with the given spectrum: `U diag(values) U^T` with `U` the
    /// orthogonal factor of a seeded Gaussian matrix.
    pub(crate) fn with_spectrum(values: &[f64], seed: u64) -> DMatrix<f64> {
        let n = values.len();
        let g = DMatrix::from_vec(n, n, gaussian(n * n, seed));
        let q = g.qr().q();
        let d = DMatrix::from_diagonal(&nalgebra::DVector::from_column_slice(values));
        let a = &q * d * q.transpose();
        (&a + a.transpose()) * 0.5
    }

    #[test]
    fn tridiagonal_matrix_is_q_transpose_a_q() {
        let values: Vec<f64> = (0..30).map(|i| (i as f64 * 0.7).sin() * 3.0).collect();
        let a = with_spectrum(&values, 5);
        let mut op = MatrixOperator::new(a.clone()).expect("symmetric");
        let mut run = Lanczos::new(gaussian(30, 1), 1).expect("start");
        for _ in 0..12 {
            run.step(&mut op).expect("step");
        }
        let q = DMatrix::from_fn(30, 12, |r, c| run.basis()[c][r]);
        let qtq = q.transpose() * &q;
        assert!((qtq - DMatrix::identity(12, 12)).amax() < 1e-12);
        let t = q.transpose() * &a * &q;
        for i in 0..12 {
            assert!((t[(i, i)] - run.alpha()[i]).abs() < 1e-10);
            if i + 1 < 12 {
                assert!((t[(i, i + 1)] - run.beta()[i]).abs() < 1e-10);
            }
        }
    }

    #[test]
    fn second_pass_finds_the_copy_of_a_repeated_eigenvalue() {
        // Not far from the bulk, so that rounding cannot amplify a second copy into view.
        let mut values = vec![1.5, 1.5, -1.5, -1.5];
        values.extend((0..60).map(|i| -1.0 + 2.0 * i as f64 / 59.0));
        let a = with_spectrum(&values, 4);
        let mut op = MatrixOperator::new(a).expect("symmetric");
        // One run sees 1.5 and -1.5 once each: its second largest is the bulk's top.
        let one = EigenOptions::default();
        let e = lanczos_extremes(&mut op, 2, 2, &one).expect("lanczos");
        assert!((e.largest[0].value - 1.5).abs() < 1e-5);
        assert!(e.largest[1].value < 1.01, "{:?}", e.largest[1].value);
        let two = EigenOptions {
            second_pass: true,
            ..one
        };
        let e = lanczos_extremes(&mut op, 2, 2, &two).expect("lanczos");
        for (p, want) in e
            .largest
            .iter()
            .chain(&e.smallest)
            .zip([1.5, 1.5, -1.5, -1.5])
        {
            assert!((p.value - want).abs() < 1e-8 && p.converged, "{e:?}");
        }
        let (u, v) = (&e.largest[0].vector, &e.largest[1].vector);
        assert!(dot(u, v).abs() < 1e-6, "two independent eigenvectors");
    }

    #[test]
    fn full_dimension_gives_every_eigenvalue_exactly() {
        let values = [-3.0, -1.0, 0.5, 0.5, 2.0, 7.0];
        let a = with_spectrum(&values, 2);
        let mut op = MatrixOperator::new(a).expect("symmetric");
        let options = EigenOptions {
            max_iterations: 50,
            tol: 1e-10,
            ..EigenOptions::default()
        };
        let e = lanczos_extremes(&mut op, 2, 2, &options).expect("lanczos");
        assert!((e.largest[0].value - 7.0).abs() < 1e-10, "{e:?}");
        assert!((e.largest[1].value - 2.0).abs() < 1e-10, "{e:?}");
        assert!((e.smallest[0].value + 3.0).abs() < 1e-10, "{e:?}");
        assert!((e.smallest[1].value + 1.0).abs() < 1e-10, "{e:?}");
        assert!(e.converged());
    }
}
