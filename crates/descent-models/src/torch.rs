//! PyTorch weights in and out: a `state_dict` saved as `.safetensors` or `.pt`/`.pth` read into
//! our models, and our weights written back under PyTorch's names and layouts.
//!
//! Reading goes through Burn's burn-store: [`SafetensorsStore`] and [`PytorchStore`] (which
//! reads PyTorch's zip and legacy pickle files without Python) give the tensors, burn-store's
//! contiguous index mapping renumbers each `nn.Sequential`, [`torch_modules`] renames the
//! modules, and [`PyTorchToBurnAdapter`] turns the layouts around while the tensors are
//! applied: PyTorch's `Linear.weight` is `[out, in]`, Burn's `[in, out]`; a batch norm's
//! `weight`/`bias` are Burn's `gamma`/`beta`; `running_mean`/`running_var` are copied as
//! they are and `num_batches_tracked` is ignored (Burn does not count batches). Writing is
//! the same in reverse with [`BurnToPyTorchAdapter`].
//!
//! What the file must hold is the reference PyTorch definition of each architecture (see
//! [`torch_modules`]); any `nn.Sequential` with the same layers in the same order reads the
//! same. A missing tensor ([`ModelError::TorchMissing`]), a tensor the model does not have
//! ([`ModelError::TorchUnexpected`]) or a shape that differs ([`ModelError::TorchShape`]) is
//! an error naming the tensors in PyTorch's names and layouts, never a partly loaded model.
//!
//! ```no_run
//! use burn::tensor::Device;
//! use descent_models::torch::{import, export_safetensors};
//! use descent_models::{ModelConfig, ResNetConfig};
//!
//! let device = Device::flex();
//! let config: ModelConfig = ResNetConfig::new(20).with_in_channels(1).with_image_size(28).into();
//! let model = import(&config, "resnet20.pt".as_ref(), &device)?;
//! export_safetensors(&model, &config, "resnet20.safetensors".as_ref())?;
//! # Ok::<(), descent_models::ModelError>(())
//! ```

mod layout;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use burn::store::bridge;
use burn::store::burn_pack::Tensor as PackTensor;
use burn::store::{
    BurnToPyTorchAdapter, ChainAdapter, FloatCastAdapter, ModuleAdapter, ModuleContext,
    ModuleSnapshot, ModuleStore, PyTorchToBurnAdapter, PytorchStore, SafetensorsStore,
    map_indices_contiguous,
};
use burn::tensor::{DType, Device};

pub use crate::TorchFormat;
pub use layout::{TorchModule, torch_modules};

use crate::error::name_list;
use crate::{Model, ModelConfig, ModelError, ShapeMismatch};

/// Key prefixes that wrap a whole `state_dict` and are dropped, in this order: the keys of a
/// checkpoint dictionary that holds it (`torch.save({"state_dict": ..., "epoch": ..})`),
/// `module.` (what `nn.DataParallel` and `DistributedDataParallel` add) and `_orig_mod.`
/// (`torch.compile`).
const WRAPPER_PREFIXES: [&str; 5] = [
    "state_dict.",
    "model_state_dict.",
    "model.",
    "module.",
    "_orig_mod.",
];

/// Reads a PyTorch `state_dict` from `path` into a new model built from `config` on `device`.
///
/// The file may also be a checkpoint dictionary holding the `state_dict` under
/// `state_dict`, `model_state_dict` or `model`, and its keys may carry the `module.` prefix of
/// `nn.DataParallel` or `_orig_mod.` of `torch.compile`. Float tensors of any precision are
/// converted to float32. Every tensor is checked against the architecture before any is
/// applied: the model is loaded whole or not at all.
///
/// # Errors
///
/// [`ModelError::TorchRead`] if the file cannot be read as a `state_dict`;
/// [`ModelError::TorchMissing`], [`ModelError::TorchUnexpected`] or
/// [`ModelError::TorchShape`] (in PyTorch's names and layouts) if its tensors do not fit the
/// architecture, [`ModelError::TorchMismatch`] for any other misfit; the errors of
/// [`ModelConfig::init`].
pub fn import(config: &ModelConfig, path: &Path, device: &Device) -> Result<Model, ModelError> {
    let mut model = config.init(device)?;
    let tensors = read_tensors(path)?;
    let modules = torch_modules(config);
    // What the model needs, as the reference PyTorch definition names and shapes it.
    let expected: Vec<(String, Vec<usize>)> = model
        .collect(None, Some(Box::new(export_adapter(config))), true)
        .into_iter()
        .map(|t| (t.name.clone(), t.shape.to_vec()))
        .collect();
    let ours_of: HashMap<&str, &str> = modules
        .iter()
        .map(|m| (m.contiguous.as_str(), m.ours.as_str()))
        .collect();
    let reference_of: HashMap<&str, &str> = modules
        .iter()
        .map(|m| (m.contiguous.as_str(), m.reference.as_str()))
        .collect();

    let mut renamed = Vec::with_capacity(tensors.len());
    let mut unexpected = Vec::new();
    let mut found: HashMap<String, (String, Vec<usize>)> = HashMap::new();
    for FileTensor { key, mut tensor } in tensors {
        let contiguous = tensor.name.clone();
        let (module, param) = contiguous
            .rsplit_once('.')
            .unwrap_or(("", contiguous.as_str()));
        if param == "num_batches_tracked" {
            continue;
        }
        match (ours_of.get(module), reference_of.get(module)) {
            (Some(ours), Some(reference)) => {
                found.insert(format!("{reference}.{param}"), (key, tensor.shape.to_vec()));
                tensor.name = format!("{ours}.{param}");
                renamed.push(tensor);
            }
            _ => unexpected.push(key),
        }
    }
    let model_name = config.describe();
    // Tensors of known modules that the model does not have (a bias where there is none).
    for (reference, (key, _)) in &found {
        if !expected.iter().any(|(name, _)| name == reference) {
            unexpected.push(key.clone());
        }
    }
    if !unexpected.is_empty() {
        unexpected.sort();
        return Err(ModelError::TorchUnexpected {
            path: path.to_path_buf(),
            model: model_name,
            keys: unexpected,
        });
    }
    let missing: Vec<String> = expected
        .iter()
        .filter(|(name, _)| !found.contains_key(name))
        .map(|(name, _)| name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(ModelError::TorchMissing {
            path: path.to_path_buf(),
            model: model_name,
            keys: missing,
        });
    }
    for (name, shape) in &expected {
        if let Some((key, file_shape)) = found.get(name)
            && file_shape != shape
        {
            return Err(ModelError::TorchShape {
                path: path.to_path_buf(),
                model: model_name,
                tensor: Box::new(ShapeMismatch {
                    key: key.clone(),
                    expected: shape.clone(),
                    found: file_shape.clone(),
                }),
            });
        }
    }

    let adapter = PyTorchToBurnAdapter.chain(FloatCastAdapter::to(DType::F32));
    let result = model.apply(renamed, None, Some(Box::new(adapter)), true);
    let mut problems: Vec<String> = result
        .errors
        .iter()
        .map(|e| torch_names(&e.to_string(), &modules))
        .collect();
    if !result.missing.is_empty() {
        let missing: Vec<String> = result
            .missing
            .iter()
            .map(|(path, _)| torch_key(path, &modules))
            .collect();
        problems.push(format!(
            "{} tensor(s) missing: {}",
            missing.len(),
            name_list(&missing)
        ));
    }
    if !result.unused.is_empty() {
        let unused: Vec<String> = result
            .unused
            .iter()
            .map(|p| torch_key(p, &modules))
            .collect();
        problems.push(format!(
            "{} tensor(s) unused: {}",
            unused.len(),
            name_list(&unused)
        ));
    }
    if !problems.is_empty() {
        return Err(ModelError::TorchMismatch {
            path: path.to_path_buf(),
            model: model_name,
            reason: problems.join("; "),
        });
    }
    Ok(model)
}

/// A tensor of the file: its key as written (wrapper prefixes dropped), and the tensor named
/// with every `nn.Sequential` renumbered contiguously.
struct FileTensor {
    key: String,
    tensor: PackTensor,
}

/// The tensors of `path`, wrapper prefixes dropped, with their contiguous names (see
/// [`FileTensor`]).
fn read_tensors(path: &Path) -> Result<Vec<FileTensor>, ModelError> {
    let read_error = |reason: String| ModelError::TorchRead {
        path: path.to_path_buf(),
        reason,
    };
    if !path.is_file() {
        return Err(read_error("no such file".into()));
    }
    let format = TorchFormat::of(path)?;
    let mut tensors: BTreeMap<String, PackTensor> = match format {
        TorchFormat::Safetensors => SafetensorsStore::from_file(path)
            .map_indices_contiguous(false)
            .get_all_tensors()
            .map_err(|e| read_error(e.to_string()))?
            .clone(),
        TorchFormat::Pickle => PytorchStore::from_file(path)
            .map_indices_contiguous(false)
            .get_all_tensors()
            .map_err(|e| read_error(e.to_string()))?
            .clone(),
    };
    if tensors.is_empty() {
        return Err(read_error("it holds no tensors".into()));
    }
    for prefix in WRAPPER_PREFIXES {
        if tensors.keys().all(|k| k.starts_with(prefix)) {
            tensors = tensors
                .into_values()
                .map(|mut t| {
                    t.name = t.name[prefix.len()..].to_string();
                    (t.name.clone(), t)
                })
                .collect();
        }
    }
    let (mapped, renames) = map_indices_contiguous(tensors.into_values().collect());
    let original: HashMap<String, String> = renames.into_iter().collect();
    Ok(mapped
        .into_iter()
        .map(|tensor| FileTensor {
            key: original
                .get(&tensor.name)
                .cloned()
                .unwrap_or_else(|| tensor.name.clone()),
            tensor,
        })
        .collect())
}

/// Our parameter path `ours` (`layer2.0.shortcut.norm.gamma`) as the reference PyTorch key
/// (`layer2.0.shortcut.1.weight`), for messages.
fn torch_key(ours: &str, modules: &[TorchModule]) -> String {
    let (module, param) = ours.rsplit_once('.').unwrap_or(("", ours));
    let param = match param {
        "gamma" => "weight",
        "beta" => "bias",
        other => other,
    };
    match modules.iter().find(|m| m.ours == module) {
        Some(m) => format!("{}.{param}", m.reference),
        None => ours.to_string(),
    }
}

/// A burn-store message with our paths in it, with the reference PyTorch keys instead.
fn torch_names(message: &str, modules: &[TorchModule]) -> String {
    match message.split('\'').nth(1) {
        Some(path) => message.replacen(path, &torch_key(path, modules), 1),
        None => message.to_string(),
    }
}

/// Renames our parameter paths to the reference PyTorch keys while tensors are collected.
#[derive(Debug, Clone)]
struct ExportNames {
    /// Our module path -> the reference PyTorch module name.
    modules: HashMap<String, String>,
}

impl ModuleAdapter for ExportNames {
    fn adapt(&self, mut tensor: PackTensor, _ctx: ModuleContext<'_>) -> PackTensor {
        if let Some((module, param)) = tensor.name.rsplit_once('.')
            && let Some(torch) = self.modules.get(module)
        {
            tensor.name = format!("{torch}.{param}");
        }
        tensor
    }

    fn clone_box(&self) -> Box<dyn ModuleAdapter> {
        Box::new(self.clone())
    }
}

fn export_adapter(config: &ModelConfig) -> ChainAdapter {
    let modules = torch_modules(config)
        .into_iter()
        .map(|m| (m.ours, m.reference))
        .collect();
    BurnToPyTorchAdapter.chain(ExportNames { modules })
}

/// One tensor in PyTorch's name and layout, as [`export_tensors`] gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct TorchTensor {
    /// The `state_dict` key, e.g. `layer1.0.bn1.running_mean`.
    pub name: String,
    /// The shape, PyTorch's (`Linear.weight` is `[out, in]`).
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub values: Vec<f32>,
}

/// Our model's weights as the `state_dict` of the reference PyTorch definition (see
/// [`torch_modules`]): names, shapes and float32 values, parameters and batch-norm running
/// statistics, in our visiting order. `num_batches_tracked` is not written: PyTorch's
/// `load_state_dict` fills it in when it is absent.
///
/// # Errors
///
/// [`ModelError::TorchWrite`] (with an empty path) if a tensor cannot be read back from the
/// device.
pub fn export_tensors(model: &Model, config: &ModelConfig) -> Result<Vec<TorchTensor>, ModelError> {
    let tensors = model.collect(None, Some(Box::new(export_adapter(config))), true);
    tensors
        .into_iter()
        .map(|t| {
            let data = bridge::into_data(t.clone()).map_err(|e| ModelError::TorchWrite {
                path: Default::default(),
                reason: format!("reading {}: {e}", t.name),
            })?;
            let shape = data.shape().to_vec();
            let values = data
                .convert_dtype(DType::F32)
                .try_into_vec::<f32>()
                .map_err(|e| ModelError::TorchWrite {
                    path: Default::default(),
                    reason: format!("reading {}: {e:?}", t.name),
                })?;
            Ok(TorchTensor {
                name: t.name,
                shape,
                values,
            })
        })
        .collect()
}

/// Writes our model's weights to `path` as a `.safetensors` `state_dict` of the reference
/// PyTorch definition (see [`export_tensors`]), atomically: the file appears whole or not at
/// all, replacing any file of that name.
///
/// # Errors
///
/// [`ModelError::TorchWrite`] if the file cannot be written.
pub fn export_safetensors(
    model: &Model,
    config: &ModelConfig,
    path: &Path,
) -> Result<(), ModelError> {
    let mut store = SafetensorsStore::from_file(path)
        .with_to_adapter(export_adapter(config))
        .skip_enum_variants(true)
        .metadata("descent_model", config.describe())
        .overwrite(true);
    model
        .save_into(&mut store)
        .map_err(|e| ModelError::TorchWrite {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests;
