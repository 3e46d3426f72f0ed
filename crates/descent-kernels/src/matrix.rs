//! Strided matrix views: the operands of [`crate::sgemm`].

use crate::KernelError;

/// Elements a `rows x cols` view with these strides spans: `(rows-1)·rs + (cols-1)·cs + 1`
/// (0 for an empty view), or `None` on overflow.
fn extent(rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> Option<usize> {
    if rows == 0 || cols == 0 {
        return Some(0);
    }
    (rows - 1)
        .checked_mul(row_stride)?
        .checked_add((cols - 1).checked_mul(col_stride)?)?
        .checked_add(1)
}

fn check(
    what: &'static str,
    len: usize,
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
) -> Result<(), KernelError> {
    match extent(rows, cols, row_stride, col_stride) {
        Some(needed) if needed <= len => Ok(()),
        needed => Err(KernelError::OutOfBounds {
            what,
            rows,
            cols,
            row_stride,
            col_stride,
            needed: needed.unwrap_or(usize::MAX),
            len,
        }),
    }
}

/// A read-only `rows x cols` matrix: element `(i, j)` is `data[i·row_stride + j·col_stride]`.
/// A transposed operand is the same buffer with the strides swapped ([`MatRef::t`]), so the
/// product reads it in place.
#[derive(Debug, Clone, Copy)]
pub struct MatRef<'a> {
    pub(crate) data: &'a [f32],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) row_stride: usize,
    pub(crate) col_stride: usize,
}

impl<'a> MatRef<'a> {
    /// A view with explicit strides; refused when it reaches past `data`.
    pub fn new(
        data: &'a [f32],
        rows: usize,
        cols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Result<Self, KernelError> {
        check("input", data.len(), rows, cols, row_stride, col_stride)?;
        Ok(Self {
            data,
            rows,
            cols,
            row_stride,
            col_stride,
        })
    }

    /// The first `rows · cols` elements of `data` as a row-major matrix.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Result<Self, KernelError> {
        Self::new(data, rows, cols, cols, 1)
    }

    /// The transpose, without copying.
    pub fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Rows `first..end` (non-empty, inside the view).
    pub(crate) fn row_range(&self, first: usize, end: usize) -> Self {
        debug_assert!(first < end && end <= self.rows);
        Self {
            data: &self.data[first * self.row_stride..],
            rows: end - first,
            ..*self
        }
    }

    /// Columns `first..end` (non-empty, inside the view).
    pub(crate) fn col_range(&self, first: usize, end: usize) -> Self {
        debug_assert!(first < end && end <= self.cols);
        Self {
            data: &self.data[first * self.col_stride..],
            cols: end - first,
            ..*self
        }
    }
}

/// A writable row-major `rows x cols` matrix whose rows start `row_stride` elements apart
/// (`row_stride >= cols`, so rows never overlap).
#[derive(Debug)]
pub struct MatMut<'a> {
    pub(crate) data: &'a mut [f32],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) row_stride: usize,
}

impl<'a> MatMut<'a> {
    /// A view whose rows start `row_stride` apart; refused when rows would overlap or the view
    /// reaches past `data`.
    pub fn new(
        data: &'a mut [f32],
        rows: usize,
        cols: usize,
        row_stride: usize,
    ) -> Result<Self, KernelError> {
        if rows > 1 && row_stride < cols {
            return Err(KernelError::OverlappingRows { cols, row_stride });
        }
        check("output", data.len(), rows, cols, row_stride, 1)?;
        Ok(Self {
            data,
            rows,
            cols,
            row_stride,
        })
    }

    /// The first `rows · cols` elements of `data` as a row-major matrix.
    pub fn row_major(data: &'a mut [f32], rows: usize, cols: usize) -> Result<Self, KernelError> {
        Self::new(data, rows, cols, cols)
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_that_reach_past_their_buffer_are_refused() {
        let data = [0f32; 12];
        assert!(MatRef::row_major(&data, 3, 4).is_ok());
        assert!(MatRef::row_major(&data, 4, 4).is_err());
        assert!(MatRef::new(&data, 4, 3, 1, 4).is_ok(), "a transposed 3x4");
        assert!(MatRef::new(&data, 2, 2, usize::MAX, 1).is_err(), "overflow");
        assert!(MatRef::row_major(&[], 0, 5).is_ok(), "empty");
        let mut out = [0f32; 12];
        assert!(MatMut::new(&mut out, 2, 5, 6).is_ok());
        assert!(MatMut::new(&mut out, 3, 5, 6).is_err());
        assert_eq!(
            MatMut::new(&mut out, 2, 5, 4).err(),
            Some(KernelError::OverlappingRows {
                cols: 5,
                row_stride: 4
            })
        );
    }

    #[test]
    fn transpose_swaps_shape_and_strides() {
        let data: Vec<f32> = (0..6).map(|v| v as f32).collect();
        let a = MatRef::row_major(&data, 2, 3).unwrap_or_else(|e| panic!("{e}"));
        let t = a.t();
        assert_eq!((t.rows(), t.cols()), (3, 2));
        assert_eq!(t.data[2 * t.row_stride + t.col_stride], 5.0);
    }
}
