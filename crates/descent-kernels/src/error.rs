//! The one error type of this crate.

use thiserror::Error;

/// What was wrong with the operands of a matrix product.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KernelError {
    /// A strided view reaches past the end of its buffer (or its extent overflows `usize`).
    #[error(
        "{what}: a {rows}x{cols} view with strides ({row_stride}, {col_stride}) needs {needed} \
         elements, the buffer holds {len}"
    )]
    OutOfBounds {
        /// Which operand.
        what: &'static str,
        /// Rows of the view.
        rows: usize,
        /// Columns of the view.
        cols: usize,
        /// Distance between consecutive rows, in elements.
        row_stride: usize,
        /// Distance between consecutive columns, in elements.
        col_stride: usize,
        /// Elements the view needs (`usize::MAX` when that overflows).
        needed: usize,
        /// Elements the buffer holds.
        len: usize,
    },
    /// An output row stride shorter than a row.
    #[error("output: row stride {row_stride} is shorter than a row of {cols} columns")]
    OverlappingRows {
        /// Columns of the output.
        cols: usize,
        /// Its row stride.
        row_stride: usize,
    },
    /// The shapes of `a · b = c` do not agree.
    #[error(
        "shapes do not agree: a is {a_rows}x{a_cols}, b is {b_rows}x{b_cols}, c is {c_rows}x{c_cols}"
    )]
    ShapeMismatch {
        /// Rows of `a`.
        a_rows: usize,
        /// Columns of `a`.
        a_cols: usize,
        /// Rows of `b`.
        b_rows: usize,
        /// Columns of `b`.
        b_cols: usize,
        /// Rows of `c`.
        c_rows: usize,
        /// Columns of `c`.
        c_cols: usize,
    },
    /// An instruction set was asked for that this CPU does not have.
    #[error("this CPU cannot run the {0} kernels")]
    IsaUnavailable(crate::Isa),
}
