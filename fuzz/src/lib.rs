//! Helpers shared by the fuzz targets: a scratch folder for parsers that only read from a
//! path, the tiny model the model-dependent parsers check files against, and the seed-file
//! builders.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use burn::tensor::Device;
use descent_models::{MlpConfig, Model, ModelConfig};

/// One temporary folder per fuzzing process, created on first use and reused for every
/// input (libFuzzer runs inputs one after another in one thread).
pub fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("creates the fuzzing scratch folder"))
        .path()
}

/// Writes `bytes` to `scratch_dir()/name` (replacing the previous input) and returns the path.
pub fn write_scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch_dir().join(name);
    std::fs::write(&path, bytes).expect("writes the fuzz input to the scratch folder");
    path
}

/// Removes `scratch_dir()/name` if it exists, so a file of the previous input does not leak
/// into this one.
pub fn remove_scratch(name: &str) {
    let _ = std::fs::remove_file(scratch_dir().join(name));
}

/// The CPU device the targets use.
pub fn device() -> Device {
    Device::flex()
}

/// The model the directions and checkpoint targets read files for: an MLP 2-3-3 (21
/// parameters, the shape of `descent train --model mlp --hidden 3 --dataset spirals`), small
/// enough that every valid file is a few hundred bytes.
pub fn tiny_model(device: &Device) -> Model {
    ModelConfig::from(MlpConfig::new(2, vec![3], 3))
        .init(device)
        .expect("a valid MLP configuration")
}

/// Splits `data` into a flag byte and the rest (`(0, [])` for an empty input).
pub fn split_flags(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((&flags, rest)) => (flags, rest),
        None => (0, &[]),
    }
}

/// The `.npz` bytes a fuzz input stands for, so the fuzzer can reach past the zip layer's
/// CRC checks into `meta.json` and the `.npy` headers.
///
/// An input starting with `P` (as every zip file does, `PK`) is used as it is. Any other
/// input is a first byte (ignored) and then entries, each a name length (1 byte), the name
/// (lossy UTF-8), a data length (2 bytes, little-endian) and the data, cut short where the
/// input ends; they are written as stored zip entries with correct CRCs (a name ending in
/// `.npy` is read back as an array).
pub fn npz_input(data: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if data.first() == Some(&b'P') {
        return std::borrow::Cow::Borrowed(data);
    }
    let mut npz = descent_landscape::npz::Npz::default();
    let mut rest = data.get(1..).unwrap_or_default();
    while let Some((&name_len, tail)) = rest.split_first() {
        let (name, tail) = tail.split_at(usize::from(name_len).min(tail.len()));
        let (len, tail) = match tail {
            [a, b, tail @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), tail),
            _ => (0, &[][..]),
        };
        let (value, tail) = tail.split_at(len.min(tail.len()));
        npz.raw
            .insert(String::from_utf8_lossy(name).into_owned(), value.to_vec());
        rest = tail;
    }
    // Names come from a one-byte length: a zip holds them.
    std::borrow::Cow::Owned(npz.to_bytes().unwrap_or_default())
}
