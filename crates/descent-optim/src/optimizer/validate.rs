//! Range checks shared by the optimizer configs; each failure names the field.

use crate::OptimError;

/// An [`OptimError::InvalidConfig`] for `field`.
pub(crate) fn invalid(field: &'static str, value: impl ToString, reason: &str) -> OptimError {
    OptimError::InvalidConfig {
        field,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

/// `value` must be finite and `>= 0`.
pub(crate) fn non_negative(field: &'static str, value: f64) -> Result<(), OptimError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(invalid(field, value, "must be finite and >= 0"))
    }
}

/// `value` must be finite and `> 0`.
pub(crate) fn positive(field: &'static str, value: f64) -> Result<(), OptimError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(invalid(field, value, "must be finite and > 0"))
    }
}

/// `value` must lie in `[0, 1)`.
pub(crate) fn unit_interval(field: &'static str, value: f64) -> Result<(), OptimError> {
    if (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(invalid(field, value, "must be in [0, 1)"))
    }
}

/// `value` must lie in `[0, 1]`.
pub(crate) fn closed_unit_interval(field: &'static str, value: f64) -> Result<(), OptimError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(invalid(field, value, "must be in [0, 1]"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_accept_and_reject_the_edges() {
        assert!(non_negative("x", 0.0).is_ok());
        assert!(non_negative("x", -1e-12).is_err());
        assert!(non_negative("x", f64::NAN).is_err());
        assert!(non_negative("x", f64::INFINITY).is_err());
        assert!(positive("x", 1e-30).is_ok());
        assert!(positive("x", 0.0).is_err());
        assert!(unit_interval("x", 0.0).is_ok());
        assert!(unit_interval("x", 0.999).is_ok());
        assert!(unit_interval("x", 1.0).is_err());
        assert!(unit_interval("x", f64::NAN).is_err());
        assert!(closed_unit_interval("x", 1.0).is_ok());
        assert!(closed_unit_interval("x", 1.5).is_err());
    }

    #[test]
    fn error_names_the_field_and_value() {
        let err = unit_interval("beta_1", 1.5).unwrap_err();
        assert_eq!(
            err,
            OptimError::InvalidConfig {
                field: "beta_1",
                value: "1.5".into(),
                reason: "must be in [0, 1)".into()
            }
        );
        assert_eq!(err.to_string(), "invalid beta_1 = 1.5: must be in [0, 1)");
    }
}
