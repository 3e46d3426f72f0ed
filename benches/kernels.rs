//! Where a CPU training step goes, kernel by kernel, on Burn's `Flex` backend: our
//! convolution and batch-norm kernels (`descent_models::conv`, `descent_models::norm`) against
//! Burn 0.22's, in the same process. Median wall times in ms, batch 128, the layer shapes of a
//! width-1/4 VGG-11. Run it with the malloc settings `descent` uses (see `bench/README.md`):
//!
//! ```text
//! cargo bench --bench kernels --profile dev -- layers   # conv forward, forward + both grads
//! cargo bench --bench kernels --profile dev -- norm     # relu, max-pool, batch norm f+b
//! cargo bench --bench kernels --profile dev -- step     # whole VGG-11 x1/4 step: fwd, bwd
//! cargo bench --bench kernels --profile dev -- step descent   # one side only (for perf)
//! cargo bench --bench kernels --profile dev -- layers full descent  # full-width VGG-11 shapes
//! cargo bench --bench kernels --profile dev -- mlp      # MLP 3072-512-512-10 step: fwd, bwd, SGD
//! cargo bench --bench kernels --profile dev -- resnet   # ResNet-20's convolutions, strided and 1x1 too
//! ```
//!
//! The matrix products alone are measured in `crates/descent-kernels/benches/sgemm.rs`:
//!
//! ```text
//! cargo bench -p descent-kernels --bench sgemm --profile dev
//! ```
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use burn::tensor::TensorData;
use std::time::Instant;

fn time_t<F: FnMut()>(mut f: F, reps: usize) -> f64 {
    f();
    let mut t = Vec::new();
    for _ in 0..reps {
        let s = Instant::now();
        f();
        t.push(s.elapsed().as_secs_f64() * 1e3);
    }
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    t[t.len() / 2]
}

/// Median times in ms of the two halves of `reps` training steps (after one warm-up step):
/// `forward` (which returns the loss), then its backward pass.
fn time_split<F: FnMut() -> burn::tensor::Tensor<1>>(mut forward: F, reps: usize) -> (f64, f64) {
    std::hint::black_box(forward().backward());
    let (mut f, mut b) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let s = Instant::now();
        let loss = forward();
        f.push(s.elapsed().as_secs_f64() * 1e3);
        let s = Instant::now();
        std::hint::black_box(loss.backward());
        b.push(s.elapsed().as_secs_f64() * 1e3);
    }
    let median = |mut t: Vec<f64>| {
        t.sort_by(|a, b| a.partial_cmp(b).unwrap());
        t[t.len() / 2]
    };
    (median(f), median(b))
}

/// Whether the command line names `word` after the mode (`full`, `descent`, `burn`).
fn option(word: &str) -> bool {
    std::env::args().skip(2).any(|a| a == word)
}

/// The VGG-11 widths a mode runs: x1/4 by default, full with `full` (every channel count x4
/// but the 3 input channels).
fn width() -> f64 {
    if option("full") { 1.0 } else { 0.25 }
}

/// Which kernel families a mode runs: both, or the one named on the command line.
fn families() -> Vec<&'static str> {
    ["burn", "descent"]
        .into_iter()
        .filter(|k| option(k) || !(option("burn") || option("descent")))
        .collect()
}

fn conv_layers() {
    use burn::tensor::{Device, Distribution, Tensor};
    use descent_models::conv::{CpuConvKernels, conv2d, set_cpu_conv_kernels};
    let scale = (width() * 4.0) as usize;
    let wide = |c: usize| if c == 3 { 3 } else { c * scale };
    let layers = [
        (3, 16, 32),
        (16, 32, 16),
        (32, 64, 8),
        (64, 64, 8),
        (64, 128, 4),
        (128, 128, 4),
        (128, 128, 2),
        (128, 128, 2),
    ]
    .map(|(ci, co, s)| (wide(ci), wide(co), s));
    let run = families();
    println!(
        "layer        burn fwd  f+b    ours fwd  f+b (ms)   ours f+b GFLOP/s   ours GFLOP/s: fwd   dx   dw"
    );
    let mut tot = [0.0; 4];
    for &(ci, co, s) in &layers {
        let mut row = [0.0; 4];
        // Ours: forward + input gradient only, forward + weight gradient only (ms).
        let mut passes = [f64::NAN; 2];
        for family in &run {
            let (k, kernels) = match *family {
                "burn" => (0, CpuConvKernels::Burn),
                _ => (1, CpuConvKernels::Descent),
            };
            set_cpu_conv_kernels(kernels);
            let plain = Device::flex();
            let x = Tensor::<4>::random([128, ci, s, s], Distribution::Default, &plain);
            let w = Tensor::<4>::random([co, ci, 3, 3], Distribution::Default, &plain);
            let b = Tensor::<1>::random([co], Distribution::Default, &plain);
            let opt = burn::tensor::ops::ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
            row[2 * k] = time_t(
                || {
                    std::hint::black_box(
                        conv2d(x.clone(), w.clone(), Some(b.clone()), opt.clone()).into_data(),
                    );
                },
                5,
            );
            let ad = Device::flex().autodiff();
            let xa = Tensor::<4>::from_data(x.to_data(), &ad).require_grad();
            let wa = Tensor::<4>::from_data(w.to_data(), &ad).require_grad();
            let ba = Tensor::<1>::from_data(b.to_data(), &ad).require_grad();
            row[2 * k + 1] = time_t(
                || {
                    let g = conv2d(xa.clone(), wa.clone(), Some(ba.clone()), opt.clone())
                        .sum()
                        .backward();
                    std::hint::black_box((xa.grad(&g), wa.grad(&g)));
                },
                5,
            );
            if k == 1 {
                // One gradient at a time: the other operand and the bias untracked.
                let x_fixed = Tensor::<4>::from_data(x.to_data(), &ad);
                let w_fixed = Tensor::<4>::from_data(w.to_data(), &ad);
                let bias = Tensor::<1>::from_data(b.to_data(), &ad);
                for (pass, (x, w)) in [(xa.clone(), w_fixed), (x_fixed, wa.clone())]
                    .into_iter()
                    .enumerate()
                {
                    passes[pass] = time_t(
                        || {
                            let g = conv2d(x.clone(), w.clone(), Some(bias.clone()), opt.clone())
                                .sum()
                                .backward();
                            std::hint::black_box((x.grad(&g), w.grad(&g)));
                        },
                        5,
                    );
                }
            }
        }
        // Forward, input gradient and weight gradient: three products of 2·N·K·P·L flops.
        let pass = 2.0 * 128.0 * (co * ci * 9 * s * s) as f64;
        let rate = |ms: f64| pass / ms / 1e6;
        println!(
            "{ci:>4}->{co:<4}@{s:<2}  {:7.2} {:7.2}   {:7.2} {:7.2}   {:7.0}            {:5.0} {:5.0} {:5.0}",
            row[0],
            row[1],
            row[2],
            row[3],
            3.0 * pass / row[3] / 1e6,
            rate(row[2]),
            rate(passes[0] - row[2]),
            rate(passes[1] - row[2]),
        );
        for i in 0..4 {
            tot[i] += row[i];
        }
    }
    println!(
        "total         {:7.2} {:7.2}   {:7.2} {:7.2}",
        tot[0], tot[1], tot[2], tot[3]
    );
}

/// The convolutions of a CIFAR ResNet-20 at batch 128 (3x32x32 input): the "same" 3x3 layers
/// of each stage, the stride-2 3x3 layers that open stages 2 and 3, and their 1x1 stride-2
/// projections. Forward and forward + both gradients, ours against Burn's, and the rate of
/// ours (three products of `2·N·K·P·L` flops for forward + backward), to see whether the
/// strided and 1x1 shapes fall off the "same" layers' pace.
fn resnet_layers() {
    use burn::tensor::ops::ConvOptions;
    use burn::tensor::{Device, Distribution, Tensor};
    use descent_models::conv::{CpuConvKernels, conv2d, set_cpu_conv_kernels};
    // (c_in, c_out, input size, kernel, stride)
    let layers = [
        (3, 16, 32, 3, 1),
        (16, 16, 32, 3, 1),
        (16, 32, 32, 3, 2),
        (16, 32, 32, 1, 2),
        (32, 32, 16, 3, 1),
        (32, 64, 16, 3, 2),
        (32, 64, 16, 1, 2),
        (64, 64, 8, 3, 1),
    ];
    let run = families();
    println!("layer              burn fwd  f+b    ours fwd  f+b (ms)   ours GFLOP/s fwd  f+b");
    for &(ci, co, s, k, stride) in &layers {
        let mut row = [f64::NAN; 4];
        let pad = k / 2;
        let opt = ConvOptions::new([stride, stride], [pad, pad], [1, 1], 1);
        let out = (s + 2 * pad - k) / stride + 1;
        for family in &run {
            let (i, kernels) = match *family {
                "burn" => (0, CpuConvKernels::Burn),
                _ => (1, CpuConvKernels::Descent),
            };
            set_cpu_conv_kernels(kernels);
            let plain = Device::flex();
            let x = Tensor::<4>::random([128, ci, s, s], Distribution::Default, &plain);
            let w = Tensor::<4>::random([co, ci, k, k], Distribution::Default, &plain);
            row[2 * i] = time_t(
                || {
                    std::hint::black_box(
                        conv2d(x.clone(), w.clone(), None, opt.clone()).into_data(),
                    );
                },
                7,
            );
            let ad = Device::flex().autodiff();
            let xa = Tensor::<4>::from_data(x.to_data(), &ad).require_grad();
            let wa = Tensor::<4>::from_data(w.to_data(), &ad).require_grad();
            row[2 * i + 1] = time_t(
                || {
                    let g = conv2d(xa.clone(), wa.clone(), None, opt.clone())
                        .sum()
                        .backward();
                    std::hint::black_box((xa.grad(&g), wa.grad(&g)));
                },
                7,
            );
        }
        let pass = 2.0 * 128.0 * (co * ci * k * k * out * out) as f64;
        println!(
            "{ci:>3}->{co:<3}@{s:<2} {k}x{k}/{stride}   {:7.2} {:7.2}   {:7.2} {:7.2}     {:7.0} {:5.0}",
            row[0],
            row[1],
            row[2],
            row[3],
            pass / row[2] / 1e6,
            3.0 * pass / row[3] / 1e6,
        );
    }
}

fn norm_and_pool() {
    use burn::nn::BatchNormConfig;
    use burn::nn::pool::MaxPool2dConfig;
    use burn::tensor::activation::relu;
    use burn::tensor::{Device, Distribution, Tensor};
    let device = Device::flex().autodiff();
    let shapes = [
        (16, 32),
        (32, 16),
        (64, 8),
        (64, 8),
        (128, 4),
        (128, 4),
        (128, 2),
        (128, 2),
    ];
    let pool_after = [true, true, false, true, false, true, false, true];
    println!("layer       relu f+b  pool f+b  bn f+b (ms)");
    let (mut tr, mut tp, mut tb) = (0.0, 0.0, 0.0);
    for (i, &(c, s)) in shapes.iter().enumerate() {
        let x = Tensor::<4>::random([128, c, s, s], Distribution::Default, &device).require_grad();
        let r = time_t(
            || {
                let g = relu(x.clone()).sum().backward();
                std::hint::black_box(x.grad(&g));
            },
            5,
        );
        let pool = MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init();
        let p = if pool_after[i] {
            time_t(
                || {
                    let g = pool.forward(x.clone()).sum().backward();
                    std::hint::black_box(x.grad(&g));
                },
                5,
            )
        } else {
            0.0
        };
        let bn = BatchNormConfig::new(c).init(&device);
        let b = time_t(
            || {
                let g = bn.forward(x.clone()).sum().backward();
                std::hint::black_box(x.grad(&g));
            },
            5,
        );
        let b2 = time_t(
            || {
                let g = descent_models::norm::batch_norm_layer(&bn, x.clone())
                    .sum()
                    .backward();
                std::hint::black_box(x.grad(&g));
            },
            5,
        );
        let p2 = if pool_after[i] {
            time_t(
                || {
                    let g = descent_models::pool::max_pool_layer(&pool, x.clone())
                        .sum()
                        .backward();
                    std::hint::black_box(x.grad(&g));
                },
                5,
            )
        } else {
            0.0
        };
        println!("   ours: bn f+b {b2:.2}, pool f+b {p2:.2} (sum included)");
        let sum = time_t(
            || {
                let g = x.clone().sum().backward();
                std::hint::black_box(x.grad(&g));
            },
            5,
        );
        println!(
            "{c:>4}@{s:<3}   {:8.2}  {:8.2}  {:8.2}   (sum alone {sum:.2})",
            r - sum,
            (p - sum).max(0.0),
            b - sum
        );
        tr += r - sum;
        tp += (p - sum).max(0.0);
        tb += b - sum;
    }
    println!("total       {tr:8.2}  {tp:8.2}  {tb:8.2}");
}

fn step_breakdown() {
    use burn::tensor::{Device, Distribution, Int, Tensor};
    use descent_models::{ImageClassifier, ModelConfig, VggConfig, VggDepth};
    let reps = 7;
    let device = Device::flex().autodiff();
    device.seed(1);
    let config: ModelConfig = VggConfig::new(VggDepth::Vgg11).with_width(width()).into();
    let model = config.init(&device).unwrap();
    let x = Tensor::<4>::random([128, 3, 32, 32], Distribution::Default, &device);
    let y = Tensor::<1, Int>::from_data(
        TensorData::new((0..128).map(|i| (i % 10) as i64).collect::<Vec<_>>(), [128]),
        &device,
    );
    // `step descent` or `step burn` runs one side only (for a profiler).
    for kernels in families() {
        descent_models::conv::set_cpu_conv_kernels(if kernels == "burn" {
            descent_models::conv::CpuConvKernels::Burn
        } else {
            descent_models::conv::CpuConvKernels::Descent
        });
        // Forward and backward timed inside one step each: an autodiff forward whose graph
        // never goes backward stays in Burn's graph (memory grows by the activations every
        // time), which made a forward-only loop page-fault and read ~2x slow.
        let (fwd, bwd) = time_split(
            || {
                burn::nn::loss::CrossEntropyLossConfig::new()
                    .init(&device)
                    .forward(model.logits(x.clone()), y.clone())
            },
            reps,
        );
        // The same forward pass without autodiff, in eval mode (batch norm with running
        // statistics): what inference and landscape scans run.
        let plain = burn::module::Module::valid(&model);
        let x_plain = x.clone().inner();
        let eval = time_t(
            || {
                std::hint::black_box(plain.logits(x_plain.clone()).into_data());
            },
            reps,
        );
        println!(
            "{kernels:8} forward {fwd:7.1} ms  backward {bwd:7.1} ms  (eval forward {eval:6.1} ms)"
        );
        let loss_of = |m: &descent_models::Model| {
            burn::nn::loss::CrossEntropyLossConfig::new()
                .init(&device)
                .forward(m.logits(x.clone()), y.clone())
        };
        optimizer_shares(&model, loss_of, fwd + bwd, reps);
    }
}

/// The MLP step of suite row 1 in its parts: forward + loss, backward, and the optimizer step
/// (ours and Burn's SGD with momentum 0.9), medians over 30 repetitions.
fn mlp_breakdown() {
    use burn::tensor::{Device, Distribution, Int, Tensor};
    use descent::models::{Mlp, MlpConfig};
    let device = Device::flex().autodiff();
    device.seed(1);
    let model = MlpConfig::new(3072, vec![512, 512], 10)
        .init(&device)
        .unwrap();
    let x = Tensor::<2>::random([128, 3072], Distribution::Default, &device);
    let y = Tensor::<1, Int>::from_data(
        TensorData::new((0..128).map(|i| (i % 10) as i64).collect::<Vec<_>>(), [128]),
        &device,
    );
    let loss_of = |m: &Mlp| {
        burn::nn::loss::CrossEntropyLossConfig::new()
            .init(&device)
            .forward(m.forward(x.clone()), y.clone())
    };
    let (fwd, bwd) = time_split(|| loss_of(&model), 30);
    let both = fwd + bwd;
    println!("forward {fwd:6.2} ms  backward {bwd:6.2} ms");
    optimizer_shares(&model, loss_of, both, 30);
}

/// Whole training steps of `model` with our SGD and Burn's (momentum 0.9), each phase timed
/// inside the step (medians): what the optimizer adds to forward + backward (`both`, ms, as
/// measured alone).
fn optimizer_shares<M>(
    model: &M,
    loss_of: impl Fn(&M) -> burn::tensor::Tensor<1>,
    both: f64,
    reps: usize,
) where
    M: burn::module::Module + Clone,
{
    use burn::optim::{GradientsParams, ModuleOptimizer};
    let optimizers: [(&str, ModuleOptimizer); 2] = [
        (
            "ours",
            descent::optim::SgdConfig::new()
                .with_momentum(Some(descent::optim::MomentumConfig::new(0.9)))
                .init()
                .unwrap(),
        ),
        (
            "burn",
            burn::optim::SgdConfig::new()
                .with_momentum(Some(burn::optim::momentum::MomentumConfig {
                    momentum: 0.9,
                    dampening: 0.0,
                    nesterov: false,
                }))
                .init(),
        ),
    ];
    for (name, mut optim) in optimizers {
        let mut m = Some(model.clone());
        // Each phase of the step timed inside it: forward + backward, collecting the
        // gradients by parameter, the optimizer's update.
        let mut phases: [Vec<f64>; 4] = Default::default();
        for rep in 0..=reps {
            let cur = m.take().unwrap();
            let s = Instant::now();
            let grads = loss_of(&cur).backward();
            let t1 = s.elapsed().as_secs_f64() * 1e3;
            let grads = GradientsParams::from_grads(grads, &cur);
            let t2 = s.elapsed().as_secs_f64() * 1e3;
            let next = optim.step(0.01, cur, grads);
            std::hint::black_box(next.num_params());
            let t3 = s.elapsed().as_secs_f64() * 1e3;
            m = Some(next);
            if rep > 0 {
                for (phase, t) in phases.iter_mut().zip([t1, t2 - t1, t3 - t2, t3]) {
                    phase.push(t);
                }
            }
        }
        let [_, collect, update, step] = phases.map(|mut t| {
            t.sort_by(|a, b| a.partial_cmp(b).unwrap());
            t[t.len() / 2]
        });
        println!(
            "{name:5} SGD: whole step {step:6.2} ms (forward + backward measured alone {both:6.2}); \
             gradients by parameter {collect:5.2} ms, optimizer update {update:5.2} ms"
        );
    }
}

fn main() {
    let mode = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    match mode.as_deref() {
        Some("layers") => conv_layers(),
        Some("norm") => norm_and_pool(),
        Some("step") => step_breakdown(),
        Some("mlp") => mlp_breakdown(),
        Some("resnet") => resnet_layers(),
        _ => {
            conv_layers();
            norm_and_pool();
            step_breakdown();
        }
    }
}
