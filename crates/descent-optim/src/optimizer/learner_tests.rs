//! Our optimizers inside `burn-train`'s `Learner` (0.22): a small MLP regression trained for
//! two epochs with each optimizer family; the loss must go down. Global-norm clipping is done
//! where a `Learner` user would do it: in `TrainStep::step`, on the gradients it returns.

use std::sync::Arc;

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

use super::{
    AdamWConfig, GradClipping, OptimizerConfig, OptimizerKind, OptimizerParams, clip_grad_norm,
};

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
