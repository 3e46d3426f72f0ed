//! Helpers shared by the tests: deterministic weights that the PyTorch reference scripts
//! reproduce exactly.

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Linear};
use burn::tensor::{Device, Tensor, TensorData};

/// `scale * sin(0.37 * i + seed)` for `i` in `0..n`, computed in f64 and rounded to f32:
/// the same numbers as `(scale * torch.sin(0.37 * torch.arange(n, dtype=torch.float64) +
/// seed)).float()`.
pub fn wave(n: usize, seed: f64, scale: f64) -> Vec<f32> {
    (0..n)
        .map(|i| (scale * (0.37 * i as f64 + seed).sin()) as f32)
        .collect()
}

/// A tensor of `shape` filled row-major with [`wave`].
pub fn wave_tensor<const D: usize>(
    shape: [usize; D],
    seed: f64,
    scale: f64,
    device: &Device,
) -> Tensor<D> {
    let n = shape.iter().product();
    Tensor::from_data(TensorData::new(wave(n, seed, scale), shape), device)
}

/// Sets a linear layer from a PyTorch-layout weight `[out, in]` filled with [`wave`]
/// (`seed`, scale `2/sqrt(in)`) and a bias filled with [`wave`] (`seed + 0.5`, scale 0.1).
/// Burn stores the transpose, `[in, out]`.
pub fn set_linear(layer: &mut Linear, seed: f64, device: &Device) {
    let [d_in, d_out] = layer.weight.shape().dims::<2>();
    let torch_weight = wave_tensor([d_out, d_in], seed, 2.0 / (d_in as f64).sqrt(), device);
    layer.weight = Param::from_tensor(torch_weight.transpose());
    layer.bias = Some(Param::from_tensor(wave_tensor(
        [d_out],
        seed + 0.5,
        0.1,
        device,
    )));
}

/// Sets a convolution from a weight `[out, in, k, k]` (same layout in PyTorch) filled with
/// [`wave`] (`seed`, scale `2/sqrt(in * k * k)`) and a bias (`seed + 0.5`, scale 0.1).
pub fn set_conv(layer: &mut Conv2d, seed: f64, device: &Device) {
    let shape = layer.weight.shape().dims::<4>();
    let fan_in = shape[1] * shape[2] * shape[3];
    layer.weight = Param::from_tensor(wave_tensor(
        shape,
        seed,
        2.0 / (fan_in as f64).sqrt(),
        device,
    ));
    layer.bias = Some(Param::from_tensor(wave_tensor(
        [shape[0]],
        seed + 0.5,
        0.1,
        device,
    )));
}

/// Sets batch norm `gamma = 1 + wave(seed, 0.2)`, `beta = wave(seed + 1, 0.1)`,
/// running mean `wave(seed + 2, 0.1)` and running variance `1 + wave(seed + 3, 0.3)`.
pub fn set_batch_norm(norm: &mut BatchNorm, seed: f64, device: &Device) {
    let [c] = norm.gamma.shape().dims::<1>();
    norm.gamma = Param::from_tensor(wave_tensor([c], seed, 0.2, device).add_scalar(1.0));
    norm.beta = Param::from_tensor(wave_tensor([c], seed + 1.0, 0.1, device));
    norm.running_mean = burn::module::RunningState::new(wave_tensor([c], seed + 2.0, 0.1, device));
    norm.running_var =
        burn::module::RunningState::new(wave_tensor([c], seed + 3.0, 0.3, device).add_scalar(1.0));
}

/// Sets a convolution's weight as [`set_conv`] does and leaves it without a bias (the
/// ResNet's convolutions).
pub fn set_conv_weight(layer: &mut Conv2d, seed: f64, device: &Device) {
    let shape = layer.weight.shape().dims::<4>();
    let fan_in = shape[1] * shape[2] * shape[3];
    layer.weight = Param::from_tensor(wave_tensor(
        shape,
        seed,
        2.0 / (fan_in as f64).sqrt(),
        device,
    ));
}
