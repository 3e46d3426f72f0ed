//! Fused batch-norm kernels for Burn's `Flex` CPU backend (float32): batch statistics and
//! normalization in two passes over the input, the backward pass in two more.
//!
//! Why: Burn 0.22 composes batch norm from generic tensor ops (swap axes, reshape, mean, sub,
//! mul, ...), each a full pass with a fresh buffer and some a strided copy. On `Flex`, one
//! forward + backward of an activation took longer than the convolution next to it
//! (`benches/kernels.rs`, `norm`; figures in `bench/README.md`). The same semantics as Burn's
//! `batch_norm_train`: biased batch variance, `epsilon` inside the square root; per-channel sums
//! are accumulated in f64.
//!
//! The input is viewed as `[N, C, S]` (`S` = product of the spatial sizes, 1 for `[N, C]`).
//!
//! With `relu`, a ReLU follows in the same pass (Burn's: NaN passes through), and the backward
//! pass masks the output gradient where that ReLU's output was not positive, as Burn's
//! `relu_backward` would before this layer's backward: one pass each way fewer, no buffer for
//! the ReLU. In inference a uniquely owned input is normalized in place.

use crate::cpu::flex_data::{contiguous, f32_slice as values, tensor, zeros};
use burn::backend::flex::FlexTensor;
use burn::tensor::Shape;
use rayon::prelude::*;

/// `(N, C, S)` of an input of rank >= 2.
pub(crate) fn layout(x: &FlexTensor) -> (usize, usize, usize) {
    let dims = x.layout().shape();
    let (n, c) = (dims[0], dims[1]);
    let s = (2..dims.num_dims()).map(|d| dims[d]).product();
    (n, c, s)
}

/// Sum of a slice with 8 independent f32 lanes (vectorizes), returned in f64.
pub(crate) fn sum(values: &[f32]) -> f64 {
    let mut lanes = [0f32; 8];
    let chunks = values.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    lanes.iter().map(|&l| l as f64).sum::<f64>() + tail as f64
}

/// `Σ (v - shift)²` over a slice, 8 lanes, in f64.
fn squared_deviations(values: &[f32], shift: f32) -> f64 {
    let mut lanes = [0f32; 8];
    let chunks = values.chunks_exact(8);
    let tail: f32 = chunks
        .remainder()
        .iter()
        .map(|v| (v - shift) * (v - shift))
        .sum();
    for chunk in chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane += (v - shift) * (v - shift);
        }
    }
    lanes.iter().map(|&l| l as f64).sum::<f64>() + tail as f64
}

/// `(Σ g, Σ g·(x - shift))` over two slices in one pass, 8 lanes each, in f64.
fn sum_and_centered_dot(g: &[f32], x: &[f32], shift: f32) -> [f64; 2] {
    let (mut sums, mut dots) = ([0f32; 8], [0f32; 8]);
    let (cg, cx) = (g.chunks_exact(8), x.chunks_exact(8));
    let (mut tail_sum, mut tail_dot) = (0f32, 0f32);
    for (a, b) in cg.remainder().iter().zip(cx.remainder()) {
        tail_sum += a;
        tail_dot += a * (b - shift);
    }
    for (a, b) in cg.zip(cx) {
        for i in 0..8 {
            sums[i] += a[i];
            dots[i] += a[i] * (b[i] - shift);
        }
    }
    let total =
        |lanes: [f32; 8], tail: f32| lanes.iter().map(|&l| l as f64).sum::<f64>() + tail as f64;
    [total(sums, tail_sum), total(dots, tail_dot)]
}

/// Per channel, `f(channel segments of a, of b)` summed over the batch: `W` sums at once.
pub(crate) fn per_channel<const W: usize>(
    a: &[f32],
    b: &[f32],
    (n, c, s): (usize, usize, usize),
    f: impl Fn(usize, &[f32], &[f32]) -> [f64; W] + Sync,
) -> Vec<[f64; W]> {
    (0..c)
        .into_par_iter()
        .map(|ch| {
            (0..n).fold([0f64; W], |mut total, i| {
                let at = (i * c + ch) * s;
                let part = f(ch, &a[at..at + s], &b[at..at + s]);
                total.iter_mut().zip(part).for_each(|(t, p)| *t += p);
                total
            })
        })
        .collect()
}

/// What Burn's ReLU keeps: positive values and NaN (`relu_backward` passes the gradient of
/// exactly these).
#[inline(always)]
pub(crate) fn relu_keeps(y: f32) -> bool {
    y > 0.0 || y.is_nan()
}

/// `v·a + b`, then the ReLU when `RELU`.
#[inline(always)]
pub(crate) fn affine_value<const RELU: bool>(v: f32, a: f32, b: f32) -> f32 {
    let y = v * a + b;
    if RELU && !relu_keeps(y) { 0.0 } else { y }
}

/// `out = x·scale[c] + shift[c]` (then the ReLU with `relu`), in parallel over the `(n, c)`
/// planes; with no `x`, `out` is normalized in place.
fn affine(
    x: Option<&[f32]>,
    out: &mut [f32],
    (_, c, s): (usize, usize, usize),
    scale: &[f32],
    shift: &[f32],
    relu: bool,
) {
    fn planes<const RELU: bool>(
        x: Option<&[f32]>,
        y: &mut [f32],
        c: usize,
        s: usize,
        k: (&[f32], &[f32]),
    ) {
        y.par_chunks_mut(s).enumerate().for_each(|(plane, out)| {
            let ch = plane % c;
            let (a, b) = (k.0[ch], k.1[ch]);
            match x {
                Some(x) => {
                    for (o, v) in out.iter_mut().zip(&x[plane * s..]) {
                        *o = affine_value::<RELU>(*v, a, b);
                    }
                }
                None => out
                    .iter_mut()
                    .for_each(|o| *o = affine_value::<RELU>(*o, a, b)),
            }
        });
    }
    if relu {
        planes::<true>(x, out, c, s.max(1), (scale, shift));
    } else {
        planes::<false>(x, out, c, s.max(1), (scale, shift));
    }
}

pub(crate) fn inv_std(variance: &[f32], epsilon: f64) -> Vec<f32> {
    variance
        .iter()
        .map(|&v| (1.0 / (v as f64 + epsilon).sqrt()) as f32)
        .collect()
}

/// Per channel, the batch mean and the biased batch variance of `xs` (`[N, C, S]`), in one
/// pass over memory. Each plane's sum and its squared deviations from its own mean (a second
/// look at a plane still in L1) are combined over the batch as Chan, Golub & LeVeque (1979)
/// do for parallel variances: `M2 = Σ M2_i + Σ S·(mean_i - mean)²`, deviations from means and
/// never raw squares, so no cancellation. The mean is the plain sum over the count, as
/// before; two passes over the channel (mean, then deviations) read every activation of a
/// full-width VGG-11 twice from memory.
pub(crate) fn batch_statistics(xs: &[f32], dims: (usize, usize, usize)) -> (Vec<f32>, Vec<f32>) {
    let (n, c, s) = dims;
    if n * s == 0 {
        return (vec![0.0; c], vec![0.0; c]);
    }
    let (count, plane) = ((n * s) as f64, s as f64);
    let channel = |ch: usize| {
        // Per plane: its sum and its squared deviations from its own mean.
        let planes: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                let values = &xs[(i * c + ch) * s..][..s];
                let total = sum(values);
                let shift = (total / plane) as f32;
                // Σ(v - shift)² = Σ(v - mean_i)² + S·(mean_i - shift)²: the rounding of
                // the shift to f32 taken back out.
                let off = total / plane - shift as f64;
                [total, squared_deviations(values, shift) - plane * off * off]
            })
            .collect();
        let mean = planes.iter().map(|[total, _]| total).sum::<f64>() / count;
        let m2: f64 = planes
            .iter()
            .map(|&[total, m2]| {
                let delta = total / plane - mean;
                m2.max(0.0) + plane * delta * delta
            })
            .sum();
        (mean as f32, (m2 / count) as f32)
    };
    (0..c).into_par_iter().map(channel).unzip()
}

/// Training-mode batch norm (then a ReLU with `relu`): `(output, batch mean [C], biased batch
/// variance [C])`.
pub(crate) fn batch_norm_train(
    x: FlexTensor,
    gamma: FlexTensor,
    beta: FlexTensor,
    epsilon: f64,
    relu: bool,
) -> (FlexTensor, FlexTensor, FlexTensor) {
    let x = contiguous(x);
    let (gamma, beta) = (contiguous(gamma), contiguous(beta));
    let dims = layout(&x);
    let c = dims.1;
    let xs = values(&x);
    let (mean, variance) = batch_statistics(xs, dims);
    let (scale, shift) = scale_and_shift(values(&gamma), values(&beta), &mean, &variance, epsilon);
    let mut y = zeros(xs.len());
    affine(Some(xs), &mut y, dims, &scale, &shift, relu);
    (
        tensor(y, x.layout().shape().clone()),
        tensor(mean, Shape::new([c])),
        tensor(variance, Shape::new([c])),
    )
}

/// Per channel, the `(scale, shift)` of `y = x·scale + shift`: `γ·σ⁻¹` and `β − μ·γ·σ⁻¹`.
pub(crate) fn scale_and_shift(
    gamma: &[f32],
    beta: &[f32],
    mean: &[f32],
    variance: &[f32],
    epsilon: f64,
) -> (Vec<f32>, Vec<f32>) {
    let inv = inv_std(variance, epsilon);
    let scale: Vec<f32> = gamma.iter().zip(&inv).map(|(g, i)| g * i).collect();
    let shift: Vec<f32> = (0..gamma.len())
        .map(|ch| beta[ch] - mean[ch] * scale[ch])
        .collect();
    (scale, shift)
}

/// [`scale_and_shift`] of inference mode, from the tensors `[γ, β, running mean, running
/// variance]`.
pub(crate) fn given_scale_and_shift(
    parameters: [FlexTensor; 4],
    epsilon: f64,
) -> (Vec<f32>, Vec<f32>) {
    let [gamma, beta, mean, variance] = parameters.map(contiguous);
    scale_and_shift(
        values(&gamma),
        values(&beta),
        values(&mean),
        values(&variance),
        epsilon,
    )
}

/// Inference-mode batch norm with given statistics (then a ReLU with `relu`). An input this
/// call owns alone is normalized in place.
pub(crate) fn batch_norm(
    x: FlexTensor,
    gamma: FlexTensor,
    beta: FlexTensor,
    mean: FlexTensor,
    variance: FlexTensor,
    epsilon: f64,
    relu: bool,
) -> FlexTensor {
    let mut x = contiguous(x);
    let (scale, shift) = given_scale_and_shift([gamma, beta, mean, variance], epsilon);
    let dims = layout(&x);
    let len = dims.0 * dims.1 * dims.2;
    // In place when the storage is this tensor's alone and holds exactly its values.
    if let Some(y) = x.try_storage_mut::<f32>().filter(|y| y.len() == len) {
        affine(None, y, dims, &scale, &shift, relu);
        return x;
    }
    let mut y = zeros(len);
    affine(Some(values(&x)), &mut y, dims, &scale, &shift, relu);
    tensor(y, x.layout().shape().clone())
}

/// Gradients of [`batch_norm_train`]: `(dx, dgamma, dbeta)` for the output gradient `grad`.
/// With a fused ReLU, `relu_output` is the forward's output: where it was not kept (see
/// [`relu_keeps`]) the gradient counts as zero.
pub(crate) fn batch_norm_train_backward(
    x: FlexTensor,
    gamma: FlexTensor,
    mean: FlexTensor,
    variance: FlexTensor,
    epsilon: f64,
    grad: FlexTensor,
    relu_output: Option<FlexTensor>,
) -> (FlexTensor, FlexTensor, FlexTensor) {
    let x = contiguous(x);
    // The ReLU's backward, in the pass that reads the gradient anyway (in place when the
    // gradient is this step's alone).
    let mut grad = match relu_output.map(contiguous) {
        Some(out) => mask_gradient(contiguous(grad), values(&out)),
        None => contiguous(grad),
    };
    let [gamma, mean, variance] = [gamma, mean, variance].map(contiguous);
    let dims = layout(&x);
    let (n, c, s) = dims;
    let count = (n * s).max(1) as f64;
    let xs = values(&x);
    let (gamma, mean) = (values(&gamma), values(&mean));
    let inv = inv_std(values(&variance), epsilon);
    // dbeta = Σ dy, and Σ dy·(x - mean), in one pass; dgamma = inv_std · the latter.
    let sums = per_channel(values(&grad), xs, dims, |ch, g, seg| {
        sum_and_centered_dot(g, seg, mean[ch])
    });
    let BackwardCoefficients {
        dgamma,
        dbeta,
        k1,
        k2,
        k3,
    } = BackwardCoefficients::new(&sums, gamma, &inv, count);
    let input_gradient = |dx: &mut [f32], dy: Option<&[f32]>| {
        dx.par_chunks_mut(s.max(1))
            .enumerate()
            .for_each(|(plane, out)| {
                let ch = plane % c;
                let at = plane * s;
                let (a, b, m, k) = (k1[ch], k2[ch], mean[ch], k3[ch]);
                let x = &xs[at..at + s];
                match dy {
                    Some(dy) => {
                        for ((o, g), v) in out.iter_mut().zip(&dy[at..at + s]).zip(x) {
                            *o = a * g + b * (v - m) + k;
                        }
                    }
                    None => {
                        for (o, v) in out.iter_mut().zip(x) {
                            *o = a * *o + b * (v - m) + k;
                        }
                    }
                }
            });
    };
    // Written over the gradient when this step owns it alone (no new buffer to zero and
    // fill), else into a new buffer.
    let len = xs.len();
    let dx = match grad.try_storage_mut::<f32>().filter(|g| g.len() == len) {
        Some(g) => {
            input_gradient(g, None);
            grad
        }
        None => {
            let mut dx = zeros(len);
            input_gradient(&mut dx, Some(values(&grad)));
            tensor(dx, x.layout().shape().clone())
        }
    };
    (
        dx,
        tensor(dgamma, Shape::new([c])),
        tensor(dbeta, Shape::new([c])),
    )
}

/// What the backward pass derives from the per-channel sums `[Σ dy, Σ dy·(x - μ)]`: the
/// parameter gradients, and `dx = k1·dy + k2·(x - μ) + k3` per channel, from
/// `dx = γ·σ⁻¹·(dy - mean(dy) - x̂·mean(dy·x̂))` with `x̂ = (x - μ)·σ⁻¹`.
pub(crate) struct BackwardCoefficients {
    /// `σ⁻¹ · Σ dy·(x - μ)` per channel.
    pub(crate) dgamma: Vec<f32>,
    /// `Σ dy` per channel.
    pub(crate) dbeta: Vec<f32>,
    /// `γ·σ⁻¹`.
    pub(crate) k1: Vec<f32>,
    /// `-γ·σ⁻³ · Σ dy·(x - μ) / count`.
    pub(crate) k2: Vec<f32>,
    /// `-k1 · Σ dy / count`.
    pub(crate) k3: Vec<f32>,
}

impl BackwardCoefficients {
    /// From the sums over `count` values per channel, `γ` and `σ⁻¹`.
    pub(crate) fn new(sums: &[[f64; 2]], gamma: &[f32], inv: &[f32], count: f64) -> Self {
        let c = sums.len();
        let dbeta: Vec<f32> = sums.iter().map(|[v, _]| *v as f32).collect();
        let dy_centered: Vec<f64> = sums.iter().map(|[_, v]| *v).collect();
        let dgamma: Vec<f32> = dy_centered
            .iter()
            .zip(inv)
            .map(|(v, &i)| (v * i as f64) as f32)
            .collect();
        let k1: Vec<f32> = (0..c).map(|ch| gamma[ch] * inv[ch]).collect();
        let k2: Vec<f32> = (0..c)
            .map(|ch| {
                let i = inv[ch] as f64;
                (-(gamma[ch] as f64) * i * i * i * dy_centered[ch] / count) as f32
            })
            .collect();
        let k3: Vec<f32> = (0..c)
            .map(|ch| (-(k1[ch] as f64) * dbeta[ch] as f64 / count) as f32)
            .collect();
        Self {
            dgamma,
            dbeta,
            k1,
            k2,
            k3,
        }
    }
}

/// `grad` zeroed where `out` was not kept by the ReLU, in place when `grad` is unshared.
fn mask_gradient(mut grad: FlexTensor, out: &[f32]) -> FlexTensor {
    let apply = |g: &mut [f32]| {
        g.par_chunks_mut(1 << 14)
            .zip(out.par_chunks(1 << 14))
            .for_each(|(g, o)| {
                // A select, not a branch: the store is unconditional, so the loop vectorizes
                // (a branch mispredicted on half of random activations, 10% of a step).
                for (g, &o) in g.iter_mut().zip(o) {
                    *g = if relu_keeps(o) { *g } else { 0.0 };
                }
            });
    };
    let len = out.len();
    if let Some(g) = grad.try_storage_mut::<f32>().filter(|g| g.len() == len) {
        apply(g);
        return grad;
    }
    let mut g = values(&grad).to_vec();
    apply(&mut g);
    tensor(g, grad.layout().shape().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(shape: &[usize], seed: u32, offset: f32) -> FlexTensor {
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n)
            .map(|i| {
                let h = (i as u32)
                    .wrapping_mul(2_654_435_761)
                    .wrapping_add(seed * 97);
                (h % 1000) as f32 / 250.0 - 2.0 + offset
            })
            .collect();
        tensor(v, Shape::from(shape.to_vec()))
    }

    fn vals(t: FlexTensor) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap_or_default()
    }

    fn close(a: &[f32], b: &[f64], tol: f64, what: &str) {
        assert_eq!(a.len(), b.len(), "{what}");
        for (i, (p, q)) in a.iter().zip(b).enumerate() {
            assert!(
                (*p as f64 - q).abs() <= tol * (1.0 + q.abs()),
                "{what}[{i}]: {p} vs {q}"
            );
        }
    }

    /// Forward and backward against the definition computed in f64, for a 4-D input with an
    /// offset mean (so cancellation in the variance would show) and a 2-D `[N, C]` input.
    #[test]
    fn matches_the_definition_in_f64() {
        for shape in [vec![3usize, 4, 5, 6], vec![7, 3]] {
            let x = ramp(&shape, 1, 30.0);
            let (n, c) = (shape[0], shape[1]);
            let s: usize = shape[2..].iter().product();
            let gamma = tensor(vec![0.5, -1.5, 2.0, 1.0][..c].to_vec(), Shape::new([c]));
            let beta = tensor(vec![0.1, 0.2, -0.3, 0.0][..c].to_vec(), Shape::new([c]));
            let dy = ramp(&shape, 2, 0.0);
            let eps = 1e-5;
            let (xv, gv, bv, dyv) = (
                vals(x.clone()),
                vals(gamma.clone()),
                vals(beta.clone()),
                vals(dy.clone()),
            );
            let at = |i: usize, ch: usize, k: usize| (i * c + ch) * s + k;
            let m = (n * s) as f64;
            let mut mean = vec![0f64; c];
            let mut var = vec![0f64; c];
            let mut y = vec![0f64; xv.len()];
            let mut dx = vec![0f64; xv.len()];
            let mut dg = vec![0f64; c];
            let mut db = vec![0f64; c];
            for ch in 0..c {
                let idx: Vec<usize> = (0..n)
                    .flat_map(|i| (0..s).map(move |k| at(i, ch, k)))
                    .collect();
                mean[ch] = idx.iter().map(|&j| xv[j] as f64).sum::<f64>() / m;
                var[ch] = idx
                    .iter()
                    .map(|&j| (xv[j] as f64 - mean[ch]).powi(2))
                    .sum::<f64>()
                    / m;
                let is = 1.0 / (var[ch] + eps).sqrt();
                let xhat = |j: usize| (xv[j] as f64 - mean[ch]) * is;
                let g = gv[ch] as f64;
                for &j in &idx {
                    y[j] = xhat(j) * g + bv[ch] as f64;
                }
                db[ch] = idx.iter().map(|&j| dyv[j] as f64).sum();
                dg[ch] = idx.iter().map(|&j| dyv[j] as f64 * xhat(j)).sum();
                for &j in &idx {
                    dx[j] = g * is * (dyv[j] as f64 - db[ch] / m - xhat(j) * dg[ch] / m);
                }
            }
            let (out, mu, sigma2) =
                batch_norm_train(x.clone(), gamma.clone(), beta.clone(), eps, false);
            let (mu_v, sigma2_v) = (vals(mu.clone()), vals(sigma2.clone()));
            close(&vals(out), &y, 1e-5, "output");
            close(&mu_v, &mean, 1e-6, "mean");
            close(&sigma2_v, &var, 1e-5, "variance");
            let (gx, gg, gb) = batch_norm_train_backward(
                x.clone(),
                gamma.clone(),
                mu.clone(),
                sigma2.clone(),
                eps,
                dy,
                None,
            );
            close(&vals(gx), &dx, 1e-4, "dx");
            close(&vals(gg), &dg, 1e-4, "dgamma");
            close(&vals(gb), &db, 1e-5, "dbeta");
            let inference = batch_norm(x, gamma, beta, mu, sigma2, eps, false);
            close(&vals(inference), &y, 1e-5, "inference output");
        }
    }

    #[test]
    fn statistics_in_one_pass_match_two_passes_in_f64() {
        // Planes whose means differ widely (the between-plane term of the variance), on an
        // offset of 1000 (where Σx² - (Σx)²/n in f32 loses every digit), with 1, 4 and
        // 1000 values a plane (a tail after the 8 lanes, and none).
        for (n, c, s) in [(5, 2, 1), (3, 3, 4), (4, 2, 1000)] {
            let xs: Vec<f32> = (0..n * c * s)
                .map(|j| {
                    let (plane, k) = (j / s, j % s);
                    1000.0 + 7.0 * plane as f32 + ((k * 37 + plane * 11) % 23) as f32 * 0.01
                })
                .collect();
            let (mean, variance) = batch_statistics(&xs, (n, c, s));
            for ch in 0..c {
                let values: Vec<f64> = (0..n)
                    .flat_map(|i| xs[(i * c + ch) * s..][..s].iter().map(|&v| v as f64))
                    .collect();
                let m = values.iter().sum::<f64>() / values.len() as f64;
                let v = values.iter().map(|x| (x - m).powi(2)).sum::<f64>() / values.len() as f64;
                assert!(
                    (mean[ch] as f64 - m).abs() <= 1e-7 * m,
                    "mean {ch}: {} vs {m}",
                    mean[ch]
                );
                assert!(
                    (variance[ch] as f64 - v).abs() <= 1e-5 * v,
                    "variance {ch} of {:?}: {} vs {v}",
                    (n, c, s),
                    variance[ch]
                );
            }
        }
        // No values: zeros, not NaN.
        assert_eq!(
            batch_statistics(&[], (0, 2, 4)),
            (vec![0.0; 2], vec![0.0; 2])
        );
    }

    /// The backward pass writes `dx` over the gradient when it owns it alone, else into a new
    /// buffer: both give the same bits, with and without the fused ReLU's mask, and a shared
    /// gradient is left as it was. Lengths 37 and 5 leave tails past the 8-lane loops.
    #[test]
    fn backward_in_place_equals_backward_into_a_new_buffer() {
        for (shape, relu) in [([3, 2, 37], false), ([3, 2, 37], true), ([4, 3, 5], true)] {
            let x = ramp(&shape, 3, 0.5);
            let gamma = tensor(
                vec![1.5, -0.5, 0.75][..shape[1]].to_vec(),
                Shape::new([shape[1]]),
            );
            let beta = tensor(
                vec![0.2, -0.1, 0.0][..shape[1]].to_vec(),
                Shape::new([shape[1]]),
            );
            let (out, mean, variance) =
                batch_norm_train(x.clone(), gamma.clone(), beta, 1e-5, relu);
            assert!(
                !relu || vals(out.clone()).contains(&0.0),
                "{shape:?}: nothing masked"
            );
            let kept = relu.then_some(out);
            let backward = |grad: FlexTensor| {
                let (dx, dg, db) = batch_norm_train_backward(
                    x.clone(),
                    gamma.clone(),
                    mean.clone(),
                    variance.clone(),
                    1e-5,
                    grad,
                    kept.clone(),
                );
                [dx, dg, db].map(|t| vals(t).iter().map(|v| v.to_bits()).collect::<Vec<_>>())
            };
            let dy = ramp(&shape, 4, 0.0);
            let before = vals(dy.clone());
            let shared = backward(dy.clone());
            assert_eq!(
                vals(dy.clone()),
                before,
                "{shape:?}: a shared gradient was written"
            );
            let unique = backward(tensor(before.clone(), Shape::from(shape.to_vec())));
            assert_eq!(shared, unique, "{shape:?}, relu {relu}");
        }
    }
}
