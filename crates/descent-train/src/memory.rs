//! Whether a model fits in this machine's memory, checked before anything is allocated.
//!
//! A model too large for memory used to abort the process on a failed allocation ("memory
//! allocation of 313600000000 bytes failed", exit 134) after the run folder was created.
//! [`check_training_fits`] compares a lower bound of what training needs
//! ([`ModelSize::training_bytes`]: weights, gradients and one batch's activations) with the
//! machine's memory and refuses with a typed error instead.

use descent_models::{ModelConfig, ModelSize};

use crate::error::TrainError;

/// The machine's physical memory in bytes (`MemTotal` of `/proc/meminfo`), or `None` where it
/// cannot be read (not Linux). Memory limits of a container (cgroups) are not read: the
/// check catches sizes no machine of this kind has, not every overcommitment.
pub fn total_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// `bytes` for people: `313.6 GB`, `4.0 TB`, `512 bytes` (powers of 1000).
pub fn format_bytes(bytes: u128) -> String {
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The model's sizes, or [`TrainError::InvalidOption`] (field `model`) when training it with
/// `batch_size` samples per step needs more than `memory` bytes (the machine's, from
/// [`total_memory`]; no limit when `None`), or when its sizes overflow.
///
/// # Errors
///
/// As above; the message gives the parameter count, the bytes needed and the bytes there are.
pub fn check_training_fits(
    model: &ModelConfig,
    batch_size: usize,
    memory: Option<u64>,
) -> Result<ModelSize, TrainError> {
    let too_large = |reason: String| TrainError::InvalidOption {
        field: "model",
        value: model.describe(),
        reason,
    };
    let size = model
        .size()
        .map_err(|_| too_large("its parameter count overflows; no machine holds it".into()))?;
    let needed = size.training_bytes(batch_size);
    if let Some(memory) = memory
        && needed > u128::from(memory)
    {
        return Err(too_large(format!(
            "{} parameters; training it needs at least {} of memory (weights, gradients and \
             the activations of a batch of {batch_size}), more than this machine's {}; use \
             fewer or narrower layers, or a smaller --batch-size",
            size.params,
            format_bytes(needed),
            format_bytes(u128::from(memory))
        )));
    }
    Ok(size)
}

/// [`TrainError::InvalidOption`] (field `swag_rank`) when a SWAG deviation matrix of `rank`
/// rows over the model's parameters (`rank x params x 4` bytes), besides what training needs
/// with `batch_size` samples a step, exceeds `memory` bytes (no limit when `None`).
///
/// # Errors
///
/// As above, naming `K`, `P` and the bytes.
pub fn check_swag_fits(
    size: &ModelSize,
    rank: usize,
    batch_size: usize,
    memory: Option<u64>,
) -> Result<(), TrainError> {
    let matrix = size.params.saturating_mul(rank as u128).saturating_mul(4);
    let needed = matrix.saturating_add(size.training_bytes(batch_size));
    if let Some(memory) = memory
        && needed > u128::from(memory)
    {
        return Err(TrainError::InvalidOption {
            field: "swag_rank",
            value: rank.to_string(),
            reason: format!(
                "SWAG's deviation matrix of K = {rank} rows over P = {} parameters needs {} \
                 (K x P x 4 bytes) besides training's {}, more than this machine's {}; lower \
                 --swag-rank",
                size.params,
                format_bytes(matrix),
                format_bytes(size.training_bytes(batch_size)),
                format_bytes(u128::from(memory))
            ),
        });
    }
    Ok(())
}

/// [`ModelError`](descent_models::ModelError)-free check for loading a saved model: its
/// weights alone must fit in `memory` bytes.
///
/// # Errors
///
/// A description of why not, for the caller to wrap with the file's path.
pub fn check_weights_fit(model: &ModelConfig, memory: Option<u64>) -> Result<(), String> {
    let size = model
        .size()
        .map_err(|_| format!("{}: its parameter count overflows", model.describe()))?;
    match memory {
        Some(memory) if size.weight_bytes() > u128::from(memory) => Err(format!(
            "{} has {} parameters ({}), more than this machine's {} of memory",
            model.describe(),
            size.params,
            format_bytes(size.weight_bytes()),
            format_bytes(u128::from(memory))
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swag_matrix_beyond_memory_is_refused_naming_k_p_and_bytes() {
        let size = ModelSize {
            params: 1_000_000,
            activations_per_sample: 10,
        };
        // 20 x 1e6 x 4 = 80 MB: fits in 1 GB, not in 50 MB.
        check_swag_fits(&size, 20, 1, Some(1_000_000_000)).expect("fits");
        let err = check_swag_fits(&size, 20, 1, Some(50_000_000)).expect_err("too large");
        let text = err.to_string();
        for needle in ["swag_rank", "K = 20", "P = 1000000", "80.0 MB"] {
            assert!(text.contains(needle), "{needle}: {text}");
        }
    }
    use descent_models::MlpConfig;

    #[test]
    fn bytes_read_like_a_person_writes_them() {
        assert_eq!(format_bytes(512), "512 bytes");
        assert_eq!(format_bytes(313_600_000_000), "313.6 GB");
        assert_eq!(format_bytes(4_000_000_000_000), "4.0 TB");
    }

    #[test]
    fn a_model_beyond_memory_is_refused_naming_the_sizes() {
        let model: ModelConfig = MlpConfig::new(784, vec![100_000_000], 10).into();
        // 784e8 + 1e8 + 10e8 + 10 parameters, 4 bytes each, twice (weights and gradients),
        // plus 64 samples of 784 + 1e8 + 10 activations.
        let err = check_training_fits(&model, 64, Some(16_000_000_000)).expect_err("too big");
        let text = err.to_string();
        assert!(text.contains("79500000010 parameters"), "{text}");
        assert!(text.contains("661.6 GB"), "{text}");
        assert!(text.contains("16.0 GB"), "{text}");
        let small: ModelConfig = MlpConfig::new(784, vec![256], 10).into();
        check_training_fits(&small, 64, Some(16_000_000_000)).expect("fits");
        check_training_fits(&model, 64, None).expect("no limit known");
    }
}
