//! Deterministic tiny models for the tests (weights from a formula, not from a generator).

use burn::module::Module;
use burn::tensor::Device;
use descent_models::{MlpConfig, Model, ModelConfig, VggConfig, VggDepth};

use crate::vector::ParamVector;

/// `0.5 * sin(0.37 * i + seed)` for `i` in `0..n`.
pub fn wave(n: usize, seed: f64) -> Vec<f32> {
    (0..n)
        .map(|i| (0.5 * (0.37 * i as f64 + seed).sin()) as f32)
        .collect()
}

/// Overwrites every tensor of `model` (except running statistics) with [`wave`] values.
pub fn fill_waves(model: Model, seed: f64) -> Model {
    let v = ParamVector::from_module(&model);
    let infos = v.infos();
    let values = infos
        .iter()
        .enumerate()
        .map(|(k, info)| wave(info.numel(), seed + k as f64))
        .collect();
    let device = model
        .devices()
        .first()
        .cloned()
        .unwrap_or_else(Device::flex);
    let filled = ParamVector::from_host(&infos, values, &device).expect("same layout");
    filled.load_into(model, false).expect("same layout")
}

/// An MLP 4-5-3 with weights from `seed`.
pub fn tiny_mlp(device: &Device, seed: u64) -> Model {
    let model = ModelConfig::from(MlpConfig::new(4, vec![5], 3))
        .init(device)
        .expect("valid config");
    fill_waves(model, seed as f64)
}

/// A VGG-9 at width 1/16 on 1x8x8 images, 3 classes, batch norm on.
pub fn tiny_vgg(device: &Device) -> Model {
    let model = ModelConfig::from(
        VggConfig::new(VggDepth::Vgg9)
            .with_width(1.0 / 16.0)
            .with_in_channels(1)
            .with_image_size(8)
            .with_num_classes(3),
    )
    .init(device)
    .expect("valid config");
    fill_waves(model, 0.25)
}
