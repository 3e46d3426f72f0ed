//! `descent export`: a model's weights with PyTorch's names and layouts, as `.safetensors` or
//! `.npz`, so that `model.load_state_dict(...)` of the reference PyTorch definition (see
//! [`descent_models::torch::torch_modules`]) takes them.

use std::path::{Path, PathBuf};

use descent_landscape::npz::{NpyArray, NpyData, Npz};
use descent_models::torch::{export_safetensors, export_tensors};

use crate::args::{ExportArgs, ExportFormat};

/// Runs `descent export`.
pub fn run(device_name: &str, args: ExportArgs) -> anyhow::Result<()> {
    let (_, device) = super::open_device(device_name)?;
    let (card, model) = descent_train::ModelCard::load_model(&args.model, &device)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.model, args.format));
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| anyhow::anyhow!("creating the folder {}: {e}", parent.display()))?;
    }
    match args.format {
        ExportFormat::Safetensors => export_safetensors(&model, &card.model, &out)?,
        ExportFormat::Npz => {
            let mut npz = Npz::default();
            for tensor in export_tensors(&model, &card.model)? {
                npz.arrays.insert(
                    tensor.name,
                    NpyArray::new(tensor.shape, NpyData::F32(tensor.values)),
                );
            }
            let bytes = npz
                .to_bytes()
                .map_err(|reason| anyhow::anyhow!("writing {}: {reason}", out.display()))?;
            descent_files::write_file(&out, &bytes)?;
        }
    }
    println!(
        "{}: {} ({} parameters) with PyTorch's names and layouts",
        out.display(),
        card.model.describe(),
        model.num_trainable_params()
    );
    Ok(())
}

/// `model.safetensors` or `model.npz` in the model's folder (the folder given, or the folder
/// of the `.bpk` file given).
fn default_out(model: &Path, format: ExportFormat) -> PathBuf {
    let folder = if model.is_file() {
        model.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        model.to_path_buf()
    };
    folder.join(match format {
        ExportFormat::Safetensors => "model.safetensors",
        ExportFormat::Npz => "model.npz",
    })
}
