//! Which PyTorch weights format a file is in, by its extension (no feature needed: the
//! reading itself is [`torch`](crate::torch), behind the `pytorch` feature).

use std::path::Path;

use crate::ModelError;

/// The file formats a `state_dict` is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TorchFormat {
    /// `.safetensors` (`safetensors.torch.save_file(model.state_dict(), path)`).
    Safetensors,
    /// `.pt`, `.pth` or `.bin` (`torch.save(model.state_dict(), path)`, the zip format of
    /// PyTorch 1.6 and later, or the legacy one).
    Pickle,
}

impl TorchFormat {
    /// The format of `path`, from its extension.
    ///
    /// # Errors
    ///
    /// [`ModelError::TorchRead`] for any other extension.
    pub fn of(path: &Path) -> Result<TorchFormat, ModelError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("safetensors") => Ok(TorchFormat::Safetensors),
            Some("pt" | "pth" | "bin") => Ok(TorchFormat::Pickle),
            _ => Err(ModelError::TorchRead {
                path: path.to_path_buf(),
                reason: "expected a .safetensors, .pt, .pth or .bin file".into(),
            }),
        }
    }

    /// Whether `path` names a file of one of these formats.
    pub fn matches(path: &Path) -> bool {
        TorchFormat::of(path).is_ok()
    }
}
