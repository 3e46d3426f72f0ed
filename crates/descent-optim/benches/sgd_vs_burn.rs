//! One training step (forward + backward + optimizer step) with our SGD + momentum versus
//! Burn's built-in `SgdConfig` with `MomentumConfig { momentum: 0.9, dampening: 0.0, .. }`, on
//! the flex CPU device: an MLP 3072-512-512-10 (batch 128) and a narrow VGG-11 (width 1/4, batch
//! norm, 32x32x3 input, batch 128), the workloads of the speed benchmark.
//!
//! The two runs alternate step by step (A B, then B A, ..) on twin models, so a noisy machine
//! slows both alike; the table gives medians after warm-up and the ratio ours / Burn, for the
//! whole step and for the optimizer step alone.
//!
//! Run: `cargo bench -p descent-optim --bench sgd_vs_burn` (release), or through the dev
//! profile, whose dependencies are optimized at opt-level 3:
//! `cargo bench -p descent-optim --bench sgd_vs_burn --profile dev`.
//! `STEPS=n` sets the number of measured steps per model (default 40 / 30).

use std::time::{Duration, Instant};

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::optim::momentum::MomentumConfig as BurnMomentumConfig;
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig as BurnSgdConfig};
use burn::tensor::{Device, Distribution, Int, Tensor};
use descent_models::{ImageClassifier, Vgg, VggConfig, VggDepth};
use descent_optim::{MomentumConfig, SgdConfig};

const WARMUP: usize = 5;
const LR: f64 = 0.01;

#[derive(Module, Debug)]
struct Mlp {
    l1: Linear,
    l2: Linear,
    l3: Linear,
    act: Relu,
}

impl Mlp {
    fn new(device: &Device) -> Self {
        Self {
            l1: LinearConfig::new(3072, 512).init(device),
            l2: LinearConfig::new(512, 512).init(device),
            l3: LinearConfig::new(512, 10).init(device),
            act: Relu::new(),
        }
    }
}

/// A model the bench can train: logits from a batch.
trait Net: Module + Clone {
    type Input: Clone;
    fn logits(&self, x: Self::Input) -> Tensor<2>;
}

impl Net for Mlp {
    type Input = Tensor<2>;
    fn logits(&self, x: Tensor<2>) -> Tensor<2> {
        let x = self.act.forward(self.l1.forward(x));
        let x = self.act.forward(self.l2.forward(x));
        self.l3.forward(x)
    }
}

impl Net for Vgg {
    type Input = Tensor<4>;
    fn logits(&self, x: Tensor<4>) -> Tensor<2> {
        ImageClassifier::logits(self, x)
    }
}

/// Times of one step: whole step and the optimizer step alone.
struct StepTime {
    total: Duration,
    optim: Duration,
}

fn train_step<M: Net>(
    model: M,
    optim: &mut ModuleOptimizer,
    x: &M::Input,
    y: &Tensor<1, Int>,
    device: &Device,
) -> (M, StepTime) {
    let start = Instant::now();
    let logits = model.logits(x.clone());
    let loss = CrossEntropyLossConfig::new()
        .init(device)
        .forward(logits, y.clone());
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    device.sync().expect("device sync");
    let optim_start = Instant::now();
    let model = optim.step(LR, model, grads);
    device.sync().expect("device sync");
    let end = Instant::now();
    (
        model,
        StepTime {
            total: end - start,
            optim: end - optim_start,
        },
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

struct Row {
    name: &'static str,
    ours: StepTime,
    burn: StepTime,
}

fn compare<M: Net>(
    name: &'static str,
    model: M,
    x: M::Input,
    y: Tensor<1, Int>,
    steps: usize,
) -> Row {
    let device = Device::flex().autodiff();
    let mut ours_optim = SgdConfig::new()
        .with_momentum(Some(MomentumConfig::new(0.9)))
        .init()
        .expect("valid config");
    let mut burn_optim = BurnSgdConfig::new()
        .with_momentum(Some(BurnMomentumConfig {
            momentum: 0.9,
            dampening: 0.0,
            nesterov: false,
        }))
        .init();
    let mut ours = model.clone();
    let mut burn = model;
    let (mut ours_times, mut burn_times) = (Vec::new(), Vec::new());
    for i in 0..WARMUP + steps {
        // Alternate which one goes first, so drift and cache effects hit both alike.
        let order = if i % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for is_ours in order {
            if is_ours {
                let (m, t) = train_step(ours, &mut ours_optim, &x, &y, &device);
                ours = m;
                if i >= WARMUP {
                    ours_times.push(t);
                }
            } else {
                let (m, t) = train_step(burn, &mut burn_optim, &x, &y, &device);
                burn = m;
                if i >= WARMUP {
                    burn_times.push(t);
                }
            }
        }
    }
    let summarize = |times: &[StepTime]| StepTime {
        total: median(times.iter().map(|t| t.total).collect()),
        optim: median(times.iter().map(|t| t.optim).collect()),
    };
    Row {
        name,
        ours: summarize(&ours_times),
        burn: summarize(&burn_times),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let steps_override = std::env::var("STEPS").ok().and_then(|s| s.parse().ok());
    let device = Device::flex().autodiff();
    device.seed(0);

    let mlp_steps = steps_override.unwrap_or(40);
    let x = Tensor::<2>::random([128, 3072], Distribution::Normal(0.0, 1.0), &device);
    let y = Tensor::<1, Int>::from_data(
        (0..128)
            .map(|i| (i % 10) as i64)
            .collect::<Vec<_>>()
            .as_slice(),
        &device,
    );
    let mlp = compare(
        "MLP 3072-512-512-10, b128",
        Mlp::new(&device),
        x,
        y,
        mlp_steps,
    );

    let conv_steps = steps_override.unwrap_or(20);
    let x = Tensor::<4>::random([128, 3, 32, 32], Distribution::Normal(0.0, 1.0), &device);
    let y = Tensor::<1, Int>::from_data(
        (0..128)
            .map(|i| (i % 10) as i64)
            .collect::<Vec<_>>()
            .as_slice(),
        &device,
    );
    let vgg = VggConfig::new(VggDepth::Vgg11)
        .with_width(0.25)
        .init(&device)
        .expect("valid VGG config");
    let conv = compare("VGG-11 x1/4 + BN, b128", vgg, x, y, conv_steps);

    println!(
        "SGD + momentum 0.9, flex CPU, medians after {WARMUP} warm-up steps ({mlp_steps} MLP / {conv_steps} VGG steps each, interleaved)"
    );
    println!(
        "| workload                   | step ours (ms) | step burn (ms) | ratio | optim ours (ms) | optim burn (ms) | ratio |"
    );
    println!(
        "|----------------------------|---------------:|---------------:|------:|----------------:|----------------:|------:|"
    );
    for row in [mlp, conv] {
        println!(
            "| {:<26} | {:>14.2} | {:>14.2} | {:>5.3} | {:>15.2} | {:>15.2} | {:>5.3} |",
            row.name,
            ms(row.ours.total),
            ms(row.burn.total),
            ms(row.ours.total) / ms(row.burn.total),
            ms(row.ours.optim),
            ms(row.burn.optim),
            ms(row.ours.optim) / ms(row.burn.optim),
        );
    }
}
