//! The workloads of the speed suite, each measured on one device. Every function returns
//! JSON records (one per measured workload) that the parent process turns into the table.
//!
//! The definitions follow the PyTorch scripts in `shared/bench/torch/` so the two can be put side
//! by side: float32, seeded synthetic data, a pool of 4 pre-built batches cycled through the
//! timed loop (no data loading), per-step wall time, medians after warm-up. A training step is
//! forward (training mode) + loss + backward + optimizer step (lr 0.01, momentum 0.9, dampening
//! 0), inference is eval mode on a device without autodiff.

use std::time::Instant;

use burn::module::Module;
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig, MseLoss, Reduction};
use burn::optim::momentum::MomentumConfig as BurnMomentumConfig;
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig as BurnSgdConfig};
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use descent::data::ImageBatcher;
use descent::data::synthetic::SyntheticImagesConfig;
use descent::landscape::scan_file::example_meta;
use descent::landscape::{
    Axis, ClassifierEvaluator, DirectionConfig, Grid, ParamVector, PointEvaluator, PreparedSet,
    ScanFile, ScanOptions, SilentScan, Surface, run_scan,
};
use descent::models::{
    ImageClassifier, Mlp, MlpConfig, ResNet, ResNetConfig, Vgg, VggConfig, VggDepth,
};
use descent::optim::{MomentumConfig, SgdConfig};
use serde_json::{Value, json};

use crate::measure::{Budget, CpuMonitor, Timing, time_steps};

/// Learning rate of every training step (as in the PyTorch scripts).
const LR: f64 = 0.01;
/// Number of distinct synthetic batches cycled through the timed loops.
const POOL: usize = 4;

/// What the command line asked for, shared by all workloads.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Timed steps per workload (`None`: the workload's default).
    pub steps: Option<usize>,
    /// Warm-up steps per workload (`None`: the workload's default).
    pub warmup: Option<usize>,
    /// Per-workload time limit for the timed loop (at least 3 steps are always timed).
    pub max_seconds: f64,
    /// Points per axis of the landscape grid (row 4).
    pub grid: usize,
    /// Seed of the synthetic data and the models.
    pub seed: u64,
}

impl Settings {
    /// The budget of a workload whose defaults are `warmup` and `steps`.
    fn budget(&self, warmup: usize, steps: usize) -> Budget {
        Budget {
            warmup: self.warmup.unwrap_or(warmup),
            steps: self.steps.unwrap_or(steps),
            max_seconds: self.max_seconds,
            min_steps: 3,
        }
    }
}

/// A model the suite trains: outputs from an input batch.
trait Net: Module + Clone {
    /// The input batch type.
    type Input: Clone;
    /// Forward pass.
    fn out(&self, x: Self::Input) -> Tensor<2>;
}

impl Net for Mlp {
    type Input = Tensor<2>;
    fn out(&self, x: Tensor<2>) -> Tensor<2> {
        self.forward(x)
    }
}

impl Net for Vgg {
    type Input = Tensor<4>;
    fn out(&self, x: Tensor<4>) -> Tensor<2> {
        ImageClassifier::logits(self, x)
    }
}

impl Net for ResNet {
    type Input = Tensor<4>;
    fn out(&self, x: Tensor<4>) -> Tensor<2> {
        ImageClassifier::logits(self, x)
    }
}

/// Targets of one batch and the loss they go with.
#[derive(Clone)]
enum Target {
    /// Class indices, cross-entropy.
    Classes(Tensor<1, Int>),
    /// Regression targets, mean squared error.
    Values(Tensor<2>),
}

/// The loss functions, built once.
struct Losses {
    ce: CrossEntropyLoss,
    mse: MseLoss,
}

impl Losses {
    fn new(device: &Device) -> Losses {
        Losses {
            ce: CrossEntropyLossConfig::new().init(device),
            mse: MseLoss::new(),
        }
    }

    fn loss(&self, out: Tensor<2>, target: &Target) -> Tensor<1> {
        match target {
            Target::Classes(y) => self.ce.forward(out, y.clone()),
            Target::Values(y) => self.mse.forward(out, y.clone(), Reduction::Mean),
        }
    }
}

/// One training step; returns the updated model. Syncs the device so the step is complete.
fn train_step<M: Net>(
    model: M,
    optim: &mut ModuleOptimizer,
    x: &M::Input,
    target: &Target,
    losses: &Losses,
    device: &Device,
) -> M {
    let loss = losses.loss(model.out(x.clone()), target);
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let model = optim.step(LR, model, grads);
    device.sync().expect("device sync");
    model
}

/// Our SGD with momentum 0.9 (dampening 0, PyTorch's convention).
fn our_sgd() -> ModuleOptimizer {
    SgdConfig::new()
        .with_momentum(Some(MomentumConfig::new(0.9)))
        .init()
        .expect("valid SGD config")
}

/// Burn's built-in SGD with the same settings (its dampening defaults to 0.1: set to 0).
fn burn_sgd() -> ModuleOptimizer {
    BurnSgdConfig::new()
        .with_momentum(Some(BurnMomentumConfig {
            momentum: 0.9,
            dampening: 0.0,
            nesterov: false,
        }))
        .init()
}

/// Seeded class labels in `0..classes` (a 64-bit LCG; the stream need not match PyTorch's).
fn labels(n: usize, classes: usize, seed: u64, device: &Device) -> Tensor<1, Int> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let values: Vec<i64> = (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % classes as u64) as i64
        })
        .collect();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

/// A pool of Gaussian image batches `[batch, 3, 32, 32]` with class labels.
fn image_pool(batch: usize, device: &Device, seed: u64) -> Vec<(Tensor<4>, Target)> {
    device.seed(seed);
    (0..POOL)
        .map(|i| {
            let x = Tensor::random([batch, 3, 32, 32], Distribution::Normal(0.0, 1.0), device);
            let y = labels(batch, 10, seed + i as u64, device);
            (x, Target::Classes(y))
        })
        .collect()
}

/// A pool of Gaussian feature batches `[batch, features]` with class labels.
fn feature_pool(
    batch: usize,
    features: usize,
    device: &Device,
    seed: u64,
) -> Vec<(Tensor<2>, Target)> {
    device.seed(seed);
    (0..POOL)
        .map(|i| {
            let x = Tensor::random([batch, features], Distribution::Normal(0.0, 1.0), device);
            (
                x,
                Target::Classes(labels(batch, 10, seed + i as u64, device)),
            )
        })
        .collect()
}

/// The common fields of a record.
fn record(row: u32, workload: &str, backend: &str, metric: &str, value: f64) -> Value {
    json!({ "row": row, "workload": workload, "backend": backend, "metric": metric, "value": value })
}

/// Adds the fields of `extra` (an object) to `rec`.
fn with(mut rec: Value, extra: Value) -> Value {
    if let (Some(map), Value::Object(extra)) = (rec.as_object_mut(), extra) {
        map.extend(extra);
    }
    rec
}

/// Times training steps of `model` with `optim` over `pool`; returns the step timing, the
/// samples and the foreign CPU share.
fn time_training<M: Net>(
    model: M,
    mut optim: ModuleOptimizer,
    pool: &[(M::Input, Target)],
    budget: Budget,
    device: &Device,
) -> (Timing, Vec<f64>, Option<f64>) {
    let losses = Losses::new(device);
    let mut model = Some(model);
    let monitor = CpuMonitor::start();
    let samples = time_steps(budget, |i| {
        let (x, y) = &pool[i % pool.len()];
        let m = model.take().expect("model between steps");
        model = Some(train_step(m, &mut optim, x, y, &losses, device));
    });
    let foreign = monitor.foreign_frac();
    let timing = Timing::from_samples(&samples).expect("at least one timed step");
    (timing, samples, foreign)
}

/// A training-throughput record.
fn train_record(
    row: u32,
    workload: &str,
    backend: &str,
    batch: usize,
    budget: Budget,
    (timing, _, foreign): (Timing, Vec<f64>, Option<f64>),
) -> Value {
    with(
        record(
            row,
            workload,
            backend,
            "images_per_s",
            batch as f64 / timing.median,
        ),
        json!({ "batch": batch, "warmup": budget.warmup, "step_s": timing.to_json(),
                "foreign_cpu_frac": foreign }),
    )
}

/// Row 1: MLP 3072-512-512-10 training step, batch 128.
pub fn mlp_train(device: &Device, backend: &str, s: &Settings) -> Vec<Value> {
    let device = device.clone().autodiff();
    device.seed(s.seed);
    let model = MlpConfig::new(3072, vec![512, 512], 10)
        .init(&device)
        .expect("valid MLP config");
    let pool = feature_pool(128, 3072, &device, s.seed + 1);
    let budget = s.budget(10, 50);
    let result = time_training(model, our_sgd(), &pool, budget, &device);
    vec![train_record(1, "mlp_train", backend, 128, budget, result)]
}

/// The CIFAR VGG-11 with batch norm at `width`.
fn vgg(width: f64, device: &Device) -> Vgg {
    VggConfig::new(VggDepth::Vgg11)
        .with_width(width)
        .init(device)
        .expect("valid VGG config")
}

/// Row 2: VGG-11 (full width) training step, batch 128.
pub fn vgg_full_train(device: &Device, backend: &str, s: &Settings) -> Vec<Value> {
    let device = device.clone().autodiff();
    device.seed(s.seed);
    let model = vgg(1.0, &device);
    let pool = image_pool(128, &device, s.seed + 1);
    let budget = s.budget(3, 20);
    let result = time_training(model, our_sgd(), &pool, budget, &device);
    vec![train_record(
        2,
        "vgg11_full_train",
        backend,
        128,
        budget,
        result,
    )]
}

/// Rows 7 and 8: a CIFAR ResNet-`depth` (projection shortcuts, Li et al.'s) training step,
/// batch 128, 3x32x32.
pub fn resnet_train(depth: usize, device: &Device, backend: &str, s: &Settings) -> Vec<Value> {
    let row = if depth == 20 { 7 } else { 8 };
    let device = device.clone().autodiff();
    device.seed(s.seed);
    let model = ResNetConfig::new(depth)
        .init(&device)
        .expect("valid ResNet config");
    let pool = image_pool(128, &device, s.seed + 1);
    let budget = if depth <= 20 {
        s.budget(5, 30)
    } else {
        s.budget(3, 15)
    };
    let result = time_training(model, our_sgd(), &pool, budget, &device);
    vec![train_record(
        row,
        &format!("resnet{depth}_train"),
        backend,
        128,
        budget,
        result,
    )]
}

/// Row 3: VGG-11 at width 1/4: training (batch 128) and eval-mode inference (128 and 512).
pub fn vgg_narrow(device: &Device, backend: &str, s: &Settings) -> Vec<Value> {
    let mut out = Vec::new();
    let ad = device.clone().autodiff();
    ad.seed(s.seed);
    let model = vgg(0.25, &ad);
    let pool = image_pool(128, &ad, s.seed + 1);
    let budget = s.budget(10, 50);
    let result = time_training(model, our_sgd(), &pool, budget, &ad);
    out.push(train_record(
        3,
        "vgg11_narrow_train",
        backend,
        128,
        budget,
        result,
    ));

    for batch in [128, 512] {
        device.seed(s.seed);
        let model = vgg(0.25, device).valid();
        let pool = image_pool(batch, device, s.seed + 1);
        let budget = s.budget(10, 50);
        let monitor = CpuMonitor::start();
        let samples = time_steps(budget, |i| {
            let logits = model.logits(pool[i % POOL].0.clone());
            std::hint::black_box(logits);
            device.sync().expect("device sync");
        });
        let foreign = monitor.foreign_frac();
        let timing = Timing::from_samples(&samples).expect("timed steps");
        out.push(with(
            record(
                3,
                &format!("vgg11_narrow_infer_b{batch}"),
                backend,
                "images_per_s",
                batch as f64 / timing.median,
            ),
            json!({ "batch": batch, "warmup": budget.warmup, "step_s": timing.to_json(),
                    "foreign_cpu_frac": foreign }),
        ));
    }
    out
}

/// Row 4: landscape scan of the width-1/4 VGG-11 on 2048 synthetic images (batch 512) over a
/// `grid x grid` filter-normalized plane in [-1, 1]^2, through the public scan API; see
/// [`landscape_of`] for what is timed.
pub fn landscape(device: &Device, backend: &str, s: &Settings) -> Vec<Value> {
    device.seed(s.seed);
    let model = vgg(0.25, device).valid();
    landscape_of(4, "landscape", model, device, backend, s)
}

/// Row 9: the same scan of the MLP 3072-512-512-10 of row 1 (no PyTorch side).
pub fn landscape_mlp(device: &Device, backend: &str, s: &Settings) -> Vec<Value> {
    device.seed(s.seed);
    let model = MlpConfig::new(3072, vec![512, 512], 10)
        .init(device)
        .expect("valid MLP config")
        .valid();
    landscape_of(9, "landscape_mlp", model, device, backend, s)
}

/// A landscape scan of `model` on 2048 synthetic images (batch 512) over a `grid x grid`
/// filter-normalized plane in [-1, 1]^2, through the public scan API. Besides seconds per point
/// it times, per point, what a point is made of when done by hand: building the perturbed
/// weights (`params_at`), loading them into the model (`load_into`), the forward passes alone
/// (`logits_only`), the first layer alone (`first_layer`, [`ImageClassifier::input_layer`]:
/// what the scan can reuse across points) and a plain evaluation at fixed weights (forward passes, loss, accuracy and
/// reading them back: `plain_eval`), each half before the scan and half after it, so that a
/// machine whose speed drifts during the run moves both sides of the comparison alike.
fn landscape_of<M: ImageClassifier>(
    row: u32,
    workload: &str,
    model: M,
    device: &Device,
    backend: &str,
    s: &Settings,
) -> Vec<Value> {
    let data = SyntheticImagesConfig::new(2048)
        .with_seed(s.seed + 1)
        .generate()
        .expect("synthetic images");
    let batcher = ImageBatcher::new(None, None, 0);
    let t = Instant::now();
    let set = PreparedSet::new("train", &data, &batcher, 512, device).expect("prepared set");
    device.sync().expect("device sync");
    let prepare_s = t.elapsed().as_secs_f64();
    let images: Vec<Tensor<4>> = set.batches.iter().map(|b| b.images.clone()).collect();
    let mut evaluator = ClassifierEvaluator::new(vec![set]);
    let t = Instant::now();
    let theta = ParamVector::from_module(&model);
    let (dirs, _) = DirectionConfig {
        seed: s.seed,
        ..DirectionConfig::default()
    }
    .directions(&theta, 2);
    let mut surface = Surface::new(model.clone(), dirs).expect("surface");
    let directions_s = t.elapsed().as_secs_f64();

    // Warm-up: one evaluation (allocations, thread pool) and one scan point.
    PointEvaluator::evaluate(&mut evaluator, &model).expect("evaluation");
    let reps = s.steps.unwrap_or(3).clamp(2, 10);
    let monitor = CpuMonitor::start();
    let mut parts: [Vec<f64>; 5] = Default::default();
    let mut time_parts = |evaluator: &mut ClassifierEvaluator, surface: &Surface<M>| {
        let t = Instant::now();
        let params = std::hint::black_box(surface.params_at(0.5, -0.25));
        device.sync().expect("device sync");
        parts[0].push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let moved = params.load_into(model.clone(), true).expect("load");
        device.sync().expect("device sync");
        parts[1].push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for x in &images {
            let logits = moved.logits(x.clone());
            std::hint::black_box(logits.into_data());
        }
        parts[2].push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::hint::black_box(PointEvaluator::evaluate(evaluator, &model).expect("eval"));
        parts[3].push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for x in &images {
            if let Some(y) = moved.input_layer(x.clone()) {
                std::hint::black_box(y.num_elements());
            }
        }
        device.sync().expect("device sync");
        parts[4].push(t.elapsed().as_secs_f64());
    };
    for _ in 0..reps / 2 {
        time_parts(&mut evaluator, &surface);
    }

    let axis = Axis::new(-1.0, 1.0, s.grid).expect("valid axis");
    let grid = Grid {
        x: axis,
        y: Some(axis),
    };
    let points = s.grid * s.grid;
    let mut file = ScanFile::new(example_meta(grid, &["loss_train", "acc_train"]));
    let t = Instant::now();
    run_scan(
        &mut surface,
        &mut evaluator,
        &mut file,
        None,
        &ScanOptions::default(),
        &mut SilentScan,
    )
    .expect("scan");
    let scan_s = t.elapsed().as_secs_f64();
    for _ in reps / 2..reps {
        time_parts(&mut evaluator, &surface);
    }
    let [params_at, load_into, logits_only, plain, first_layer] =
        parts.map(|p| Timing::from_samples(&p).expect("timings"));
    let foreign = monitor.foreign_frac();
    let per_point = scan_s / points as f64;
    let loss = &file.values["loss_train"];
    vec![with(
        record(row, workload, backend, "s_per_point", per_point),
        json!({
            "points": points, "grid": s.grid, "images": 2048, "batch": 512,
            "scan_s": scan_s, "plain_eval_s": plain.to_json(),
            "params_at_s": params_at.to_json(), "load_into_s": load_into.to_json(),
            "logits_only_s": logits_only.to_json(), "first_layer_s": first_layer.to_json(),
            "non_forward_share": 1.0 - plain.median / per_point,
            "prepare_data_s": prepare_s, "directions_s": directions_s,
            "loss_centre": loss[points / 2],
            "loss_min": loss.iter().copied().fold(f64::INFINITY, f64::min),
            "loss_max": loss.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            "foreign_cpu_frac": foreign,
        }),
    )]
}

/// Row 5: tiny MLP 2-32-1 (MSE), batch 32, 1000 SGD steps: framework overhead.
pub fn tiny_mlp(device: &Device, backend: &str, s: &Settings) -> Vec<Value> {
    let device = device.clone().autodiff();
    device.seed(s.seed);
    let model = MlpConfig::new(2, vec![32], 1)
        .init(&device)
        .expect("valid MLP config");
    device.seed(s.seed + 1);
    let w = Tensor::<2>::random([2, 1], Distribution::Normal(0.0, 1.0), &device);
    let pool: Vec<(Tensor<2>, Target)> = (0..POOL)
        .map(|_| {
            let x = Tensor::<2>::random([32, 2], Distribution::Normal(0.0, 1.0), &device);
            let noise = Tensor::<2>::random([32, 1], Distribution::Normal(0.0, 0.1), &device);
            let y = x.clone().matmul(w.clone()) + noise;
            (x, Target::Values(y.detach()))
        })
        .collect();
    let budget = Budget {
        // 1000 steps whatever the time limit (the row is defined by them).
        min_steps: s.steps.unwrap_or(1000),
        ..s.budget(100, 1000)
    };
    let t = Instant::now();
    let (timing, samples, foreign) = time_training(model, our_sgd(), &pool, budget, &device);
    let loop_s = t.elapsed().as_secs_f64();
    let warm_share = loop_s - samples.iter().sum::<f64>();
    vec![with(
        record(5, "tiny_mlp", backend, "steps_per_s", 1.0 / timing.median),
        json!({
            "batch": 32, "warmup": budget.warmup, "steps": samples.len(),
            "step_s": timing.to_json(),
            "steps_per_s_total": samples.len() as f64 / samples.iter().sum::<f64>(),
            "warmup_s": warm_share, "foreign_cpu_frac": foreign,
        }),
    )]
}

/// Our SGD + momentum versus Burn's on twin models, steps alternating (A B, B A, ..) so drift
/// hits both alike. Returns (ours, burn) step timings.
fn sgd_pair<M: Net>(
    model: M,
    pool: &[(M::Input, Target)],
    budget: Budget,
    device: &Device,
) -> (Timing, Timing, Option<f64>) {
    let losses = Losses::new(device);
    let (mut ours_opt, mut burn_opt) = (our_sgd(), burn_sgd());
    let (mut ours, mut burn) = (Some(model.clone()), Some(model));
    let (mut ours_t, mut burn_t) = (Vec::new(), Vec::new());
    let monitor = CpuMonitor::start();
    let started = Instant::now();
    for i in 0..budget.warmup + budget.steps {
        let timed = i >= budget.warmup;
        if timed
            && ours_t.len() >= budget.min_steps
            && started.elapsed().as_secs_f64() > budget.max_seconds
        {
            break;
        }
        let (x, y) = &pool[i % pool.len()];
        for is_ours in [i % 2 == 0, i % 2 != 0] {
            let t = Instant::now();
            if is_ours {
                let m = ours.take().expect("model");
                ours = Some(train_step(m, &mut ours_opt, x, y, &losses, device));
                if timed {
                    ours_t.push(t.elapsed().as_secs_f64());
                }
            } else {
                let m = burn.take().expect("model");
                burn = Some(train_step(m, &mut burn_opt, x, y, &losses, device));
                if timed {
                    burn_t.push(t.elapsed().as_secs_f64());
                }
            }
        }
    }
    let foreign = monitor.foreign_frac();
    (
        Timing::from_samples(&ours_t).expect("timed steps"),
        Timing::from_samples(&burn_t).expect("timed steps"),
        foreign,
    )
}

/// A row-6 record: Burn's step time over ours (> 1: ours is faster).
fn sgd_record(
    workload: &str,
    backend: &str,
    budget: Budget,
    r: (Timing, Timing, Option<f64>),
) -> Value {
    let (ours, burn, foreign) = r;
    with(
        record(
            6,
            workload,
            backend,
            "burn_over_ours",
            burn.median / ours.median,
        ),
        json!({ "ours_step_s": ours.to_json(), "burn_step_s": burn.to_json(),
                "warmup": budget.warmup, "foreign_cpu_frac": foreign }),
    )
}

/// Row 6: our SGD + momentum versus Burn's built-in on the workloads of rows 1 and 3.
pub fn sgd_vs_burn(device: &Device, backend: &str, s: &Settings) -> Vec<Value> {
    let device = device.clone().autodiff();
    device.seed(s.seed);
    let mlp = MlpConfig::new(3072, vec![512, 512], 10)
        .init(&device)
        .expect("valid MLP config");
    let pool = feature_pool(128, 3072, &device, s.seed + 1);
    let budget = s.budget(5, 40);
    let a = sgd_record(
        "sgd_vs_burn_mlp",
        backend,
        budget,
        sgd_pair(mlp, &pool, budget, &device),
    );

    device.seed(s.seed);
    let model = vgg(0.25, &device);
    let pool = image_pool(128, &device, s.seed + 1);
    let budget = s.budget(5, 30);
    let b = sgd_record(
        "sgd_vs_burn_vgg_narrow",
        backend,
        budget,
        sgd_pair(model, &pool, budget, &device),
    );
    vec![a, b]
}
