//! Shared validation helpers and the macro that gives option enums their names.

use crate::OptimError;

/// Builds an [`OptimError::InvalidConfig`].
pub(crate) fn invalid(
    field: &'static str,
    value: impl core::fmt::Display,
    reason: impl Into<String>,
) -> OptimError {
    OptimError::InvalidConfig {
        field,
        value: value.to_string(),
        reason: reason.into(),
    }
}

/// A learning rate (or any scale) that must be finite and strictly positive.
pub(crate) fn positive(field: &'static str, value: f64) -> Result<f64, OptimError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(invalid(
            field,
            value,
            "must be a finite number greater than 0",
        ))
    }
}

/// A value that must be finite and at least 0 (a floor rate, a threshold).
pub(crate) fn non_negative(field: &'static str, value: f64) -> Result<f64, OptimError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(invalid(field, value, "must be a finite number at least 0"))
    }
}

/// A count that must be at least 1 (a period, a number of steps).
pub(crate) fn at_least_one(field: &'static str, value: usize) -> Result<usize, OptimError> {
    if value >= 1 {
        Ok(value)
    } else {
        Err(invalid(field, value, "must be at least 1"))
    }
}

/// A fraction in the open interval (0, 1).
pub(crate) fn open_unit(field: &'static str, value: f64) -> Result<f64, OptimError> {
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(invalid(field, value, "must lie strictly between 0 and 1"))
    }
}

/// `a * b` for durations, with an error naming `field` on overflow.
pub(crate) fn checked_scale(field: &'static str, a: usize, b: usize) -> Result<usize, OptimError> {
    a.checked_mul(b)
        .ok_or_else(|| invalid(field, a, format!("times {b} steps per epoch overflows")))
}

/// Gives a fieldless enum its canonical lowercase names: `name()`, `ALL`, `Display`, `FromStr`
/// (canonical name or alias, case-insensitive, errors name `$field`), and serde as that string,
/// so the CLI, config files and printed values always agree.
macro_rules! named_enum {
    ($ty:ident, $field:literal, { $($variant:ident => $name:literal $(| $alias:literal)*),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in declaration order.
            pub const ALL: &[$ty] = &[$($ty::$variant),+];

            /// The canonical name, as printed by `Display` and accepted by `FromStr`.
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl core::fmt::Display for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl core::str::FromStr for $ty {
            type Err = $crate::OptimError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($name $(| $alias)* => Ok($ty::$variant),)+
                    _ => Err($crate::OptimError::InvalidConfig {
                        field: $field,
                        value: s.to_string(),
                        reason: format!("expected one of: {}", [$($name),+].join(", ")),
                    }),
                }
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use named_enum;
