//! descent-optim inside `burn-train`'s `Learner` (0.22), on a small MLP regression:
//!
//! - each optimizer family trains it for two epochs and the loss must go down; global-norm
//!   clipping is done where a `Learner` user would do it, in `TrainStep::step`, on the
//!   gradients it returns;
//! - SWA with SWALR: the `Learner` runs the SWALR schedule, and the train step folds the
//!   weights into an [`AveragedModel`] kept beside the module (`#[module(skip)]`); the average
//!   must equal the mean of the weights it saw, recorded independently.

use std::sync::{Arc, Mutex};

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::InMemDataset;
use burn::lr_scheduler::constant::ConstantLr;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::tensor::{Device, Tensor};
use burn_train::logger::{EvaluationProgressLogger, InMemoryMetricLogger, TrainingProgressLogger};
use burn_train::metric::MetricDefinition;
use burn_train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};
use burn_train::{
    ExecutionStrategy, InferenceStep, Learner, RegressionOutput, SupervisedTraining, TrainOutput,
    TrainStep, TrainingStrategy,
};

use crate::averaging::{AveragedModel, AveragingRule, BufferPolicy, SwaLrConfig};
use crate::optimizer::{
    AdamWConfig, GradClipping, OptimizerConfig, OptimizerKind, OptimizerParams, clip_grad_norm,
};
use crate::schedule::Schedule;

/// Global-norm threshold applied in the train step.
const CLIP_NORM: f32 = 5.0;
const POINTS: usize = 256;

#[derive(Module, Debug)]
struct Mlp {
    hidden: Linear,
    out: Linear,
    act: Relu,
}

impl Mlp {
    fn new(device: &Device) -> Self {
        Self {
            hidden: LinearConfig::new(2, 16).init(device),
            out: LinearConfig::new(16, 1).init(device),
            act: Relu::new(),
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.out.forward(self.act.forward(self.hidden.forward(x)))
    }

    fn loss(&self, batch: &Batch) -> (Tensor<1>, Tensor<2>) {
        let output = self.forward(batch.x.clone());
        let loss = (output.clone() - batch.y.clone()).square().mean();
        (loss, output)
    }
}

#[derive(Clone, Debug)]
struct Batch {
    x: Tensor<2>,
    y: Tensor<2>,
}

struct PointBatcher;

impl Batcher<[f32; 3], Batch> for PointBatcher {
    fn batch(&self, items: Vec<[f32; 3]>, device: &Device) -> Batch {
        let n = items.len();
        let x: Vec<f32> = items.iter().flat_map(|p| [p[0], p[1]]).collect();
        let y: Vec<f32> = items.iter().map(|p| p[2]).collect();
        Batch {
            x: Tensor::<1>::from_floats(x.as_slice(), device).reshape([n, 2]),
            y: Tensor::<1>::from_floats(y.as_slice(), device).reshape([n, 1]),
        }
    }
}

impl TrainStep for Mlp {
    type Input = Batch;
    type Output = RegressionOutput;

    fn step(&self, batch: Batch) -> TrainOutput<RegressionOutput> {
        let (loss, output) = self.loss(&batch);
        let mut out = TrainOutput::new(
            self,
            loss.backward(),
            RegressionOutput::new(loss, output, batch.y),
        );
        out.grads = clip_grad_norm(self, out.grads, CLIP_NORM).0;
        out
    }
}

impl InferenceStep for Mlp {
    type Input = Batch;
    type Output = RegressionOutput;

    fn step(&self, batch: Batch) -> RegressionOutput {
        let (loss, output) = self.loss(&batch);
        RegressionOutput::new(loss, output, batch.y)
    }
}

/// A renderer that prints nothing (the default CLI renderer prints every batch).
struct Quiet;

impl MetricsRendererTraining for Quiet {
    fn update_train(&mut self, _state: MetricState) {}
    fn update_valid(&mut self, _state: MetricState) {}
}

impl MetricsRendererEvaluation for Quiet {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}
}

impl TrainingProgressLogger for Quiet {
    fn start(
        &mut self,
        _epochs: usize,
        _start: usize,
        _items: Option<usize>,
        _label: Option<&str>,
    ) {
    }
    fn update_epoch(&mut self, _epoch: usize) {}
    fn start_split(&mut self, _split: &str, _total_items: usize) {}
    fn update_split(&mut self, _items_processed: usize) {}
    fn end_split(&mut self) {}
    fn end(&mut self) {}
    fn log_event_training(&mut self, _event: String) {}
}

impl EvaluationProgressLogger for Quiet {
    fn start_global_progress(&mut self, _total_tests: usize) {}
    fn start_test(&mut self, _name: &str, _total_items: usize) {}
    fn update_test_progress(&mut self, _items_processed: usize) {}
    fn end_test(&mut self) {}
    fn end_global_progress(&mut self) {}
    fn log_event_evaluation(&mut self, _event: String) {}
}

impl MetricsRenderer for Quiet {
    fn manual_close(&mut self) {}
    fn register_metric(&mut self, _definition: MetricDefinition) {}
}

/// `y = 1.5·x1 − 2·x2 + 0.5·x1·x2 + 0.3` on a scrambled grid of `[-1, 1]²`.
fn points() -> Vec<[f32; 3]> {
    (0..POINTS)
        .map(|i| {
            let x1 = ((i * 37) % POINTS) as f32 / 128.0 - 1.0;
            let x2 = ((i * 91 + 17) % POINTS) as f32 / 128.0 - 1.0;
            [x1, x2, 1.5 * x1 - 2.0 * x2 + 0.5 * x1 * x2 + 0.3]
        })
        .collect()
}

fn full_loss(model: &Mlp, device: &Device) -> f32 {
    let batch = PointBatcher.batch(points(), device);
    model.loss(&batch).0.into_scalar::<f32>()
}

fn loader(device: &Device, seed: u64) -> Arc<dyn DataLoader<Batch>> {
    DataLoaderBuilder::new(PointBatcher)
        .batch_size(32)
        .shuffle(seed)
        .set_device(device.clone())
        .build(InMemDataset::new(points()))
}

/// Train two epochs with `config` at a constant `lr`; return the loss before and after.
fn train(config: &OptimizerConfig, lr: f64) -> (f32, f32) {
    let device = Device::flex().autodiff();
    device.seed(7);
    let model = Mlp::new(&device);
    let before = full_loss(&model, &device);
    let dir = tempfile::tempdir().unwrap();
    let result = SupervisedTraining::new(dir.path(), loader(&device, 1), loader(&device, 2))
        .num_epochs(2)
        .with_training_strategy(TrainingStrategy::Default(ExecutionStrategy::single(
            device.clone(),
        )))
        .with_metric_logger(InMemoryMetricLogger::new())
        .with_application_logger(None)
        .renderer(Box::new(Quiet))
        .launch(Learner::new(
            model,
            config.init().unwrap(),
            ConstantLr::new(lr),
        ));
    assert!(
        result.error.is_none(),
        "training failed: {:?}",
        result.error
    );
    let model = result.model;
    let model_device = model.hidden.weight.val().device();
    (before, full_loss(&model, &model_device))
}

#[test]
fn learner_trains_with_each_optimizer_family() {
    let momentum = OptimizerParams {
        momentum: Some(0.9),
        weight_decay: Some(1e-4),
        clip_value: Some(10.0),
        ..OptimizerParams::default()
    };
    let cases = [
        (
            OptimizerConfig::from_kind(OptimizerKind::Nesterov, &momentum).unwrap(),
            0.05,
        ),
        (
            OptimizerConfig::from_kind(OptimizerKind::RmsProp, &OptimizerParams::default())
                .unwrap(),
            0.01,
        ),
        (
            OptimizerConfig::AdamW(
                AdamWConfig::new()
                    .with_amsgrad(true)
                    .with_grad_clipping(Some(GradClipping::TensorNorm(10.0))),
            ),
            0.03,
        ),
    ];
    for (config, lr) in cases {
        let (before, after) = train(&config, lr);
        println!("{}: loss {before} -> {after}", config.kind());
        assert!(
            after < 0.5 * before,
            "{}: loss {before} -> {after} did not halve",
            config.kind()
        );
    }
}

/// Every weight of an [`Mlp`] as one vector, in module order.
fn flat(model: &Mlp) -> Vec<f32> {
    struct Collect(Vec<f32>);
    impl burn::module::ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
            let values = param.val().into_data().try_to_vec::<f32>().expect("f32");
            self.0.extend(values);
        }
    }
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    collect.0
}

/// What the SWA train step shares with the test: the running average, and every weight vector
/// folded into it (the independent record).
#[derive(Clone, Debug, Default)]
struct SwaHandle {
    average: Arc<Mutex<Option<AveragedModel<Mlp>>>>,
    seen: Arc<Mutex<Vec<Vec<f32>>>>,
    steps: Arc<Mutex<usize>>,
    start_step: usize,
}

/// The [`Mlp`] with its SWA handle beside it: the handle is not part of the module tree.
#[derive(Module, Debug)]
struct SwaMlp {
    net: Mlp,
    #[module(skip)]
    swa: SwaHandle,
}

impl TrainStep for SwaMlp {
    type Input = Batch;
    type Output = RegressionOutput;

    fn step(&self, batch: Batch) -> TrainOutput<RegressionOutput> {
        // The weights this step starts from are the ones the previous step produced: fold them
        // in from `start_step` on.
        let step = {
            let mut steps = self.swa.steps.lock().expect("lock");
            *steps += 1;
            *steps
        };
        if step > self.swa.start_step {
            let live = self.net.valid();
            let mut average = self.swa.average.lock().expect("lock");
            match average.as_mut() {
                Some(avg) => avg.update(&live).expect("same model"),
                None => {
                    let mut avg =
                        AveragedModel::new(&live, AveragingRule::Equal, BufferPolicy::Copy)
                            .expect("valid");
                    avg.update(&live).expect("same model");
                    *average = Some(avg);
                }
            }
            self.swa.seen.lock().expect("lock").push(flat(&live));
        }
        let (loss, output) = self.net.loss(&batch);
        TrainOutput::new(
            self,
            loss.backward(),
            RegressionOutput::new(loss, output, batch.y),
        )
    }
}

impl InferenceStep for SwaMlp {
    type Input = Batch;
    type Output = RegressionOutput;

    fn step(&self, batch: Batch) -> RegressionOutput {
        let (loss, output) = self.net.loss(&batch);
        RegressionOutput::new(loss, output, batch.y)
    }
}

#[test]
fn swa_with_swalr_runs_inside_the_learner() {
    let device = Device::flex().autodiff();
    device.seed(11);
    // 256 points in batches of 32: 8 steps an epoch. Average from the start of epoch 3.
    let (epochs, steps_per_epoch, start_epoch) = (4, 8, 2);
    let handle = SwaHandle {
        start_step: start_epoch * steps_per_epoch,
        ..SwaHandle::default()
    };
    let model = SwaMlp {
        net: Mlp::new(&device),
        swa: handle.clone(),
    };
    let before = full_loss(&model.net, &device);
    let schedule = SwaLrConfig::new(0.01)
        .with_anneal_epochs(1)
        .after(
            Schedule::new(ConstantLr::new(0.05)),
            start_epoch,
            steps_per_epoch,
        )
        .expect("valid SWALR");
    let optimizer = OptimizerConfig::from_kind(
        OptimizerKind::Momentum,
        &OptimizerParams {
            momentum: Some(0.9),
            ..OptimizerParams::default()
        },
    )
    .expect("valid")
    .init()
    .expect("valid");
    let dir = tempfile::tempdir().expect("tempdir");
    let result = SupervisedTraining::new(dir.path(), loader(&device, 3), loader(&device, 4))
        .num_epochs(epochs)
        .with_training_strategy(TrainingStrategy::Default(ExecutionStrategy::single(
            device.clone(),
        )))
        .with_metric_logger(InMemoryMetricLogger::new())
        .with_application_logger(None)
        .renderer(Box::new(Quiet))
        .launch(Learner::new(model, optimizer, schedule));
    assert!(
        result.error.is_none(),
        "training failed: {:?}",
        result.error
    );

    let seen = handle.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), (epochs - start_epoch) * steps_per_epoch);
    let average = handle
        .average
        .lock()
        .expect("lock")
        .take()
        .expect("averaged");
    assert_eq!(average.n_averaged(), seen.len() as u64);
    // The equal-weight mean, computed here in f64 from the recorded weights.
    let got = flat(&average.model());
    for (i, value) in got.iter().enumerate() {
        let mean = seen.iter().map(|w| f64::from(w[i])).sum::<f64>() / seen.len() as f64;
        assert!(
            (f64::from(*value) - mean).abs() <= 1e-5 * (1.0 + mean.abs()),
            "weight {i}: average {value}, mean of the seen weights {mean}"
        );
    }
    let averaged = average.model();
    let after = full_loss(&averaged, &averaged.hidden.weight.val().device());
    assert!(
        after < 0.5 * before,
        "SWA loss {before} -> {after} did not halve"
    );
}
