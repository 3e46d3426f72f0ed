//! Symmetric linear operators on flat `f64` vectors: what [`lanczos`](super::lanczos),
//! [`power`](super::power), [`hutchinson`](super::hutchinson) and
//! [`density`](super::density) work on.
//!
//! - [`SymmetricOperator`]: `v -> A v` with a dimension and a count of products.
//! - [`MatrixOperator`]: a dense symmetric matrix (small problems, tests, references).
//! - [`BlockOperator`]: the diagonal block of another operator on a range of coordinates
//!   (one layer's block of the Hessian).
//! - The Hessian of a loss: [`Hessian`](super::hvp::Hessian).

use nalgebra::{DMatrix, DVector};

use crate::LandscapeError;

/// A symmetric linear map on `R^n`, applied to flat vectors.
pub trait SymmetricOperator {
    /// `n`.
    fn dim(&self) -> usize;

    /// `A v` (`v` has [`SymmetricOperator::dim`] entries).
    ///
    /// # Errors
    ///
    /// Whatever computing the product reports.
    fn apply(&mut self, v: &[f64]) -> Result<Vec<f64>, LandscapeError>;

    /// How many products have been computed so far.
    fn products(&self) -> usize;
}

/// A dense symmetric matrix as an operator.
#[derive(Debug, Clone)]
pub struct MatrixOperator {
    matrix: DMatrix<f64>,
    products: usize,
}

impl MatrixOperator {
    /// The operator of `matrix`.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] if `matrix` is not square or not symmetric (to
    /// `1e-12` relative).
    pub fn new(matrix: DMatrix<f64>) -> Result<MatrixOperator, LandscapeError> {
        if !matrix.is_square() {
            return Err(LandscapeError::invalid(
                "matrix",
                format!("{}x{}", matrix.nrows(), matrix.ncols()),
                "must be square",
            ));
        }
        let asym = (&matrix - matrix.transpose()).amax();
        if asym > 1e-12 * matrix.amax().max(f64::MIN_POSITIVE) {
            return Err(LandscapeError::invalid(
                "matrix",
                asym,
                "must be symmetric (largest |A - A^T| shown)",
            ));
        }
        Ok(MatrixOperator {
            matrix,
            products: 0,
        })
    }

    /// The matrix.
    pub fn matrix(&self) -> &DMatrix<f64> {
        &self.matrix
    }
}

impl SymmetricOperator for MatrixOperator {
    fn dim(&self) -> usize {
        self.matrix.nrows()
    }

    fn apply(&mut self, v: &[f64]) -> Result<Vec<f64>, LandscapeError> {
        check_len(v, self.dim())?;
        self.products += 1;
        Ok((&self.matrix * DVector::from_column_slice(v))
            .as_slice()
            .to_vec())
    }

    fn products(&self) -> usize {
        self.products
    }
}

/// The diagonal block `A[r, r]` of an operator on the coordinates `r = start..end`: a vector
/// of the block is padded with zeros, multiplied, and the block's rows are kept.
pub struct BlockOperator<'a> {
    inner: &'a mut dyn SymmetricOperator,
    range: std::ops::Range<usize>,
}

impl<'a> BlockOperator<'a> {
    /// The block of `inner` on `range`.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] for an empty range or one past the operator's end.
    pub fn new(
        inner: &'a mut dyn SymmetricOperator,
        range: std::ops::Range<usize>,
    ) -> Result<BlockOperator<'a>, LandscapeError> {
        if range.is_empty() || range.end > inner.dim() {
            return Err(LandscapeError::invalid(
                "block",
                format!("{}..{}", range.start, range.end),
                format!("must be a non-empty range of 0..{}", inner.dim()),
            ));
        }
        Ok(BlockOperator { inner, range })
    }
}

impl SymmetricOperator for BlockOperator<'_> {
    fn dim(&self) -> usize {
        self.range.len()
    }

    fn apply(&mut self, v: &[f64]) -> Result<Vec<f64>, LandscapeError> {
        check_len(v, self.dim())?;
        let mut full = vec![0.0; self.inner.dim()];
        full[self.range.clone()].copy_from_slice(v);
        let out = self.inner.apply(&full)?;
        Ok(out[self.range.clone()].to_vec())
    }

    fn products(&self) -> usize {
        self.inner.products()
    }
}

/// Checks a vector's length against an operator's dimension.
pub(crate) fn check_len(v: &[f64], dim: usize) -> Result<(), LandscapeError> {
    if v.len() == dim {
        Ok(())
    } else {
        Err(LandscapeError::invalid(
            "vector",
            v.len(),
            format!("the operator acts on vectors of {dim} entries"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_and_block_products_are_the_matrix_products() {
        let a = DMatrix::from_row_slice(3, 3, &[2.0, 1.0, 0.5, 1.0, -1.0, 0.25, 0.5, 0.25, 3.0]);
        let mut op = MatrixOperator::new(a).expect("symmetric");
        assert_eq!(
            op.apply(&[1.0, 0.0, 2.0]).expect("product"),
            vec![3.0, 1.5, 6.5]
        );
        let mut block = BlockOperator::new(&mut op, 1..3).expect("block");
        assert_eq!(block.dim(), 2);
        assert_eq!(
            block.apply(&[1.0, 1.0]).expect("product"),
            vec![-0.75, 3.25]
        );
        assert_eq!(block.products(), 2);
        assert!(block.apply(&[1.0]).is_err());
        assert!(BlockOperator::new(&mut op, 2..4).is_err());
        let asym = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 0.0, 1.0]);
        assert!(MatrixOperator::new(asym).is_err());
    }
}
