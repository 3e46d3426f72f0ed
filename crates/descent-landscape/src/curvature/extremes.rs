//! The extreme eigenpairs of a symmetric operator by the method the options name: the one
//! entry point over [`lanczos`](super::lanczos) and [`power`](super::power), which both take
//! their options and results from [`eigen`](super::eigen) (so neither imports this file).

use crate::LandscapeError;
use crate::curvature::eigen::{EigenMethod, EigenOptions, ExtremeEigen};
use crate::curvature::lanczos::lanczos_extremes;
use crate::curvature::operator::SymmetricOperator;
use crate::curvature::power::power_extremes;

/// The `top_k` largest and `bottom_k` smallest eigenpairs of `op` (each at least 1, at most
/// the dimension) by the method of `options`.
///
/// # Errors
///
/// Bad options or counts; the operator's errors.
pub fn extreme_eigenpairs(
    op: &mut dyn SymmetricOperator,
    top_k: usize,
    bottom_k: usize,
    options: &EigenOptions,
) -> Result<ExtremeEigen, LandscapeError> {
    options.validate()?;
    let n = op.dim();
    if n == 0 {
        return Err(LandscapeError::invalid(
            "operator",
            0,
            "has no trainable parameter",
        ));
    }
    for (field, k) in [("top_k", top_k), ("bottom_k", bottom_k)] {
        if k == 0 || k > n {
            return Err(LandscapeError::invalid(
                field,
                k,
                format!("ask for 1 to {n} eigenvalues (the number of parameters)"),
            ));
        }
    }
    match options.method {
        EigenMethod::Lanczos => lanczos_extremes(op, top_k, bottom_k, options),
        EigenMethod::Power => power_extremes(op, top_k, bottom_k, options),
    }
}
