//! The crate's one error type.

/// What can go wrong when building an optimizer, a schedule or a stopping rule, or when
/// averaging weights.
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
    /// Weight averaging, batch-norm recompute or an ensemble got input it cannot use (a model of
    /// another architecture, no batches, an empty ensemble...).
    #[error("{what}: {reason}")]
    Averaging {
        /// What was being done (e.g. `swa update`, `batch-norm recompute`, `ensemble`).
        what: &'static str,
        /// Why it failed (lowercase, no trailing period).
        reason: String,
    },
    /// A SWAG deviation matrix of `rank` rows of `params` weights would not fit in memory
    /// (or its size overflows).
    #[error(
        "swag: a deviation matrix of rank K = {rank} over P = {params} parameters needs \
         {bytes} bytes (K x P x 4), more than can be allocated here; lower the rank"
    )]
    SwagTooLarge {
        /// The rank `K` asked for.
        rank: usize,
        /// The number of parameters `P` of the model.
        params: usize,
        /// The bytes the matrix needs (`K * P * 4`).
        bytes: u128,
    },
}
