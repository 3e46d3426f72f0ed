//! Record files of a checkpoint or model folder: reading them with checks (checksums, Burn's
//! records that would panic), loading weights into a module, and serializing them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::optim::OptimizerRecord;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;

use crate::error::TrainError;
use crate::layout;

/// Reads a whole file of a checkpoint, naming the file on failure.
pub fn read(dir: &Path, name: &str) -> Result<Vec<u8>, TrainError> {
    let path = dir.join(name);
    if !path.exists() {
        return Err(TrainError::BadCheckpoint {
            path: dir.to_path_buf(),
            reason: format!("{name} is missing"),
        });
    }
    fs::read(&path).map_err(|e| TrainError::io("reading", path, e))
}

/// The checksum recorded for a record file: `crc32:` and its CRC-32 in hex.
pub fn checksum(bytes: &[u8]) -> String {
    format!("crc32:{:08x}", crc32fast::hash(bytes))
}

/// Checks the bytes of the record `name` of the checkpoint `dir` against their checksum in
/// `checksums` (from `state.json`); a record without one (a checkpoint from before checksums)
/// passes. Callers parse the bytes first, so that a file of another architecture says so,
/// and check the checksum before using what they parsed.
///
/// # Errors
///
/// [`TrainError::BadCheckpoint`] naming the file when its checksum differs.
pub fn verify(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    checksums: &BTreeMap<String, String>,
) -> Result<(), TrainError> {
    let Some(expected) = checksums.get(name) else {
        return Ok(());
    };
    let actual = checksum(bytes);
    if &actual == expected {
        return Ok(());
    }
    Err(TrainError::BadCheckpoint {
        path: dir.join(name),
        reason: format!(
            "its checksum is {actual}, but {} recorded {expected} when it was written: the \
             file was damaged or changed since",
            layout::STATE
        ),
    })
}

/// The highest parameter rank Burn's `ModuleOptimizer::load_record` restores; a record
/// claiming more makes it panic.
pub const MAX_OPTIMIZER_RANK: usize = 8;

/// Parses the bytes of an `optimizer.bpk`; `path` only names the file in errors.
///
/// Besides what `OptimizerRecord::from_bytes` checks, this refuses the records that would make
/// `ModuleOptimizer::load_record` panic instead of returning an error: a state tensor that
/// names no parameter (found by the `checkpoint` fuzz target: one byte of a real file
/// changed) and a parameter rank (`<id>.__rank`, or a tensor's dimensions) above
/// [`MAX_OPTIMIZER_RANK`].
///
/// # Errors
///
/// [`TrainError::BadCheckpoint`] saying what is wrong.
pub fn parse_optimizer(bytes: Vec<u8>, path: &Path) -> Result<OptimizerRecord, TrainError> {
    let bad = |reason: String| TrainError::BadCheckpoint {
        path: path.to_path_buf(),
        reason,
    };
    let not_state = |e: &dyn std::fmt::Display| bad(format!("not an optimizer state: {e}"));
    let reader = burn_pack::Reader::from_bytes(Bytes::from_bytes_vec(bytes.clone()))
        .map_err(|e| not_state(&e))?;
    for (key, value) in reader.scalars() {
        if key.ends_with(".__rank")
            && !usize::try_from(*value).is_ok_and(|rank| rank <= MAX_OPTIMIZER_RANK)
        {
            return Err(bad(format!(
                "parameter rank {value:?} of `{key}` is not a whole number up to {MAX_OPTIMIZER_RANK}"
            )));
        }
    }
    for tensor in reader.into_tensors().map_err(|e| not_state(&e))? {
        let (name, _, shape, param_id, _) = tensor.into_parts().map_err(|e| not_state(&e))?;
        if param_id.is_none() {
            return Err(bad(format!("state tensor `{name}` names no parameter")));
        }
        if shape.num_dims() > MAX_OPTIMIZER_RANK {
            return Err(bad(format!(
                "state tensor `{name}` has {} dimensions, more than {MAX_OPTIMIZER_RANK}",
                shape.num_dims()
            )));
        }
    }
    OptimizerRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| not_state(&e))
}

/// Loads a module's parameters from a burnpack file, refusing a record of another
/// architecture with a clear error.
pub fn load_module<M: Module>(module: M, path: &Path) -> Result<M, TrainError> {
    let bytes = fs::read(path).map_err(|e| TrainError::io("reading", path, e))?;
    load_module_bytes(module, bytes, path)
}

/// [`load_module`] from the burnpack file's bytes; `path` only names the file in errors.
///
/// # Errors
///
/// [`TrainError::BadCheckpoint`] if the bytes are not a burnpack record or do not fit
/// `module`.
pub fn load_module_bytes<M: Module>(
    module: M,
    bytes: Vec<u8>,
    path: &Path,
) -> Result<M, TrainError> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| {
        TrainError::BadCheckpoint {
            path: path.to_path_buf(),
            reason: format!("not a model file: {e}"),
        }
    })?;
    module
        .try_load_record(record)
        .map_err(|e| TrainError::BadCheckpoint {
            path: path.to_path_buf(),
            reason: format!(
                "does not fit this model (another architecture?): {}",
                first_mismatches(&e.to_string())
            ),
        })
}

/// Burn lists every tensor that does not fit (`Apply errors: ["a: ...", "b: ..."]`), dozens
/// for a VGG: keep the first two and count the rest, with Burn's `Shape { dims: [..] }`
/// shortened to `[..]`.
fn first_mismatches(text: &str) -> String {
    let text = text.replace("Shape { dims: ", "").replace("] }", "]");
    let (Some(open), Some(close)) = (text.find("[\""), text.rfind("\"]")) else {
        return text;
    };
    let items: Vec<&str> = text[open + 2..close].split("\", \"").collect();
    let shown = items[..items.len().min(2)].join("; ");
    match items.len() {
        0..=2 => shown,
        n => format!("{shown}; and {} more tensors", n - 2),
    }
}

/// The first tensor of `module` (parameters and batch-norm statistics, in module order) that
/// holds a NaN or an infinity: its description (`tensor 3 of 8, [64, 32]`) and one such
/// value. `None` when every value is finite.
pub fn first_non_finite<M: Module>(module: &M) -> Option<(String, f32)> {
    use burn::module::{ModuleVisitor, Param};
    use burn::tensor::Tensor;
    struct Find {
        index: usize,
        found: Option<(usize, Vec<usize>, f32)>,
    }
    impl ModuleVisitor for Find {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.index += 1;
            if self.found.is_some() {
                return;
            }
            let tensor = param.val();
            let all_finite = tensor.clone().is_finite().all().into_scalar::<bool>();
            if !all_finite {
                let value = tensor
                    .clone()
                    .into_data()
                    .iter::<f32>()
                    .find(|v| !v.is_finite())
                    .unwrap_or(f32::NAN);
                self.found = Some((self.index, tensor.dims().to_vec(), value));
            }
        }
    }
    let _ = module.valid();
    let mut find = Find {
        index: 0,
        found: None,
    };
    module.visit(&mut find);
    let total = find.index;
    find.found
        .map(|(index, dims, value)| (format!("tensor {index} of {total}, shape {dims:?}"), value))
}

/// Serializes a module's parameters to burnpack bytes.
pub fn module_bytes<M: Module>(module: &M) -> Result<Bytes, TrainError> {
    // A Burn `RunningState` (batch-norm statistics) keeps its latest update pending until it
    // is synced, and the record reads the synced value: without this, a checkpoint taken
    // between epochs' evaluations would hold statistics one step old, and a run resumed from
    // it would drift from the uninterrupted one. `valid()` syncs the shared state in place.
    let _ = module.valid();
    module
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| TrainError::BadCheckpoint {
            path: PathBuf::from("<memory>"),
            reason: format!("cannot serialize the model: {e}"),
        })
}

/// A [`TrainError::BadCheckpoint`] naming `path`.
pub(crate) fn bad(path: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::BadCheckpoint {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_of_mismatches_is_cut_to_the_first_two() {
        let burn = "Record validation error: Apply errors: [\"Mlp.hidden.0.weight: shape \
                    mismatch, expected Shape { dims: [2, 8] } but record has Shape { dims: [2, \
                    16] }\", \"Mlp.hidden.0.bias: shape mismatch, expected Shape { dims: [8] } \
                    but record has Shape { dims: [16] }\", \"Mlp.output.weight: x\"]";
        assert_eq!(
            first_mismatches(burn),
            "Mlp.hidden.0.weight: shape mismatch, expected [2, 8] but record has [2, 16]; \
             Mlp.hidden.0.bias: shape mismatch, expected [8] but record has [16]; and 1 more \
             tensors"
        );
        assert_eq!(first_mismatches("no list here"), "no list here");
    }

    /// An `optimizer.bpk` as Burn writes one for a momentum optimizer: one state tensor
    /// `"7.momentum"` of parameter 7 (a `[2, 3]` weight), and the parameter's rank.
    fn optimizer_bytes(rank: usize) -> Vec<u8> {
        let data: Vec<u8> = [0.5f32; 6].iter().flat_map(|x| x.to_le_bytes()).collect();
        let tensor = burn_pack::Tensor::new(
            "7.momentum".into(),
            burn_pack::DType::F32,
            [2, 3],
            Some(7),
            Bytes::from_bytes_vec(data),
        );
        let bytes = burn_pack::Writer::new(vec![tensor])
            .with_scalar("7.__rank", burn_pack::Scalar::from(rank))
            .into_bytes()
            .expect("writes");
        bytes.to_vec()
    }

    #[test]
    fn optimizer_records_that_would_panic_burn_are_errors() {
        let path = Path::new("run/checkpoint/optimizer.bpk");
        let record = parse_optimizer(optimizer_bytes(2), path).expect("a valid record");
        assert_eq!(record.len(), 1);

        // The checkpoint fuzz target's finding: one byte of the key `param_id` changed
        // (`qaram_id`), so the tensor names no parameter and `load_record` panicked.
        let mut bytes = optimizer_bytes(2);
        let at = bytes
            .windows(8)
            .position(|w| w == b"param_id")
            .expect("the key is in the file");
        bytes[at] = b'q';
        let err = parse_optimizer(bytes, path).expect_err("no parameter id");
        let text = err.to_string();
        assert!(text.contains("`7.momentum` names no parameter"), "{text}");
        assert!(text.contains("optimizer.bpk"), "{text}");

        let err = parse_optimizer(optimizer_bytes(9), path).expect_err("rank 9");
        assert!(err.to_string().contains("`7.__rank`"), "{err}");
        let err = parse_optimizer(b"not a burnpack file".to_vec(), path).expect_err("garbage");
        assert!(err.to_string().contains("not an optimizer state"), "{err}");
    }
}
