//! The crate's one error type.

/// What can go wrong when building an optimizer, a schedule or a stopping rule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimError {
    /// A configuration field holds a value outside its domain.
    #[error("invalid {field} = {value}: {reason}")]
    InvalidConfig {
        /// The field's name as the user writes it (e.g. `momentum`, `t_0`).
        field: &'static str,
        /// The offending value, printed.
        value: String,
        /// Why it is rejected (lowercase, no trailing period).
        reason: String,
    },
}
