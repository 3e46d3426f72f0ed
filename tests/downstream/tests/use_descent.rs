//! What a Burn user does with descent's crates, from outside the workspace: their own
//! module ([`downstream::Net`]), trained by Burn's `Learner` with descent-optim's SGD with
//! momentum and SGDR, averaged with SWA, and scanned along a filter-normalized direction
//! with a closure loss. Every number is checked against an independent computation: the
//! SGDR rates against the paper's formula, the SWA average against the mean of the weights
//! it was given (in f64), and each scanned loss against the network evaluated by hand in f64
//! at `w + a d`.

use std::sync::{Arc, Mutex};

use downstream::burn;
use downstream::{Batch, Net, PointBatcher, full_loss, loss_by_hand, points, weights};

use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::InMemDataset;
use burn::lr_scheduler::LrScheduler;
use burn::module::Module;
use burn::tensor::Device;
use burn_train::logger::{EvaluationProgressLogger, InMemoryMetricLogger, TrainingProgressLogger};
use burn_train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};
use burn_train::{
    ExecutionStrategy, InferenceStep, Learner, RegressionOutput, SupervisedTraining, TrainOutput,
    TrainStep, TrainingStrategy,
};
use descent_landscape::{
    DirectionConfig, FnEvaluator, Grid, ParamVector, ScanFile, ScanOptions, SilentScan, Surface,
    run_scan,
};
use descent_optim::averaging::{AveragedModel, AveragingRule, BufferPolicy};
use descent_optim::{OptimizerConfig, OptimizerKind, OptimizerParams, WarmRestartsConfig};

const BATCH: usize = 32;
const STEPS_PER_EPOCH: usize = downstream::POINTS / BATCH;
const EPOCHS: usize = 6;
/// SGDR: cycles of 2 epochs (T_0 = 2, T_mult = 1) from a peak of 0.05 down to 0.
const PEAK: f64 = 0.05;
const T_0: usize = 2;
/// SWA folds in the weights at every step of the last cycle.
const SWA_FROM_STEP: usize = (EPOCHS - T_0) * STEPS_PER_EPOCH;

fn loader(device: &Device, seed: u64) -> Arc<dyn DataLoader<Batch>> {
    DataLoaderBuilder::new(PointBatcher)
        .batch_size(BATCH)
        .shuffle(seed)
        .set_device(device.clone())
        .build(InMemDataset::new(points()))
}

/// A renderer that prints nothing.
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
    fn register_metric(&mut self, _definition: burn_train::metric::MetricDefinition) {}
}

/// The running SWA average and every weight vector folded into it (the independent record).
#[derive(Clone, Debug, Default)]
struct Swa {
    average: Arc<Mutex<Option<AveragedModel<Net>>>>,
    seen: Arc<Mutex<Vec<Vec<f32>>>>,
    steps: Arc<Mutex<usize>>,
}

/// The user's network with SWA beside it, outside the module tree.
#[derive(Module, Debug)]
struct NetWithSwa {
    net: Net,
    #[module(skip)]
    swa: Swa,
}

impl TrainStep for NetWithSwa {
    type Input = Batch;
    type Output = RegressionOutput;

    fn step(&self, batch: Batch) -> TrainOutput<RegressionOutput> {
        let step = {
            let mut steps = self.swa.steps.lock().expect("lock");
            *steps += 1;
            *steps
        };
        // The weights this step starts from are those the previous step produced.
        if step > SWA_FROM_STEP {
            let live = self.net.valid();
            let mut average = self.swa.average.lock().expect("lock");
            let avg = average.get_or_insert_with(|| {
                AveragedModel::new(&live, AveragingRule::Equal, BufferPolicy::Copy)
                    .expect("a valid average")
            });
            avg.update(&live).expect("the same model");
            self.swa.seen.lock().expect("lock").push(weights(&live));
        }
        let (loss, output) = self.net.loss(&batch);
        TrainOutput::new(
            self,
            loss.backward(),
            RegressionOutput::new(loss, output, batch.y),
        )
    }
}

impl InferenceStep for NetWithSwa {
    type Input = Batch;
    type Output = RegressionOutput;

    fn step(&self, batch: Batch) -> RegressionOutput {
        let (loss, output) = self.net.loss(&batch);
        RegressionOutput::new(loss, output, batch.y)
    }
}

/// SGDR's rate at step `t` by Loshchilov & Hutter's formula (their eq. 5, `T_cur` counted in
/// fractional epochs, `T_mult = 1`): `eta_min + (eta_max - eta_min) (1 + cos(pi T_cur / T_i)) / 2`.
fn sgdr_by_the_paper(t: usize) -> f64 {
    let epochs = t as f64 / STEPS_PER_EPOCH as f64;
    let t_cur = epochs % T_0 as f64;
    0.5 * PEAK * (1.0 + (std::f64::consts::PI * t_cur / T_0 as f64).cos())
}

#[test]
fn a_burn_users_module_trains_averages_and_scans_with_descent() {
    let device = Device::flex().autodiff();
    device.seed(5);

    // SGDR's rates, as the Learner will see them, against the paper's formula.
    let config = WarmRestartsConfig::new(PEAK, T_0, STEPS_PER_EPOCH);
    let mut schedule = config.init().expect("a valid SGDR");
    for t in 0..EPOCHS * STEPS_PER_EPOCH {
        let lr = schedule.step();
        let paper = sgdr_by_the_paper(t);
        assert!((lr - paper).abs() < 1e-12, "step {t}: {lr} vs {paper}");
    }

    // Train inside Burn's Learner with our momentum SGD and SGDR.
    let swa = Swa::default();
    let model = NetWithSwa {
        net: Net::new(&device),
        swa: swa.clone(),
    };
    let before = full_loss(&model.net, &device);
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
    let result = SupervisedTraining::new(dir.path(), loader(&device, 1), loader(&device, 2))
        .num_epochs(EPOCHS)
        .with_training_strategy(TrainingStrategy::Default(ExecutionStrategy::single(
            device.clone(),
        )))
        .with_metric_logger(InMemoryMetricLogger::new())
        .with_application_logger(None)
        .renderer(Box::new(Quiet))
        .launch(Learner::new(
            model,
            optimizer,
            config.init().expect("valid"),
        ));
    assert!(
        result.error.is_none(),
        "training failed: {:?}",
        result.error
    );
    let trained = result.model.net.valid();
    let after = full_loss(&trained, &trained.hidden.weight.val().device());
    assert!(
        after < 0.5 * before,
        "loss {before} -> {after} did not halve"
    );

    // SWA: the average is the mean of the weights it was given, computed here in f64.
    let seen = swa.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), T_0 * STEPS_PER_EPOCH);
    let average = swa.average.lock().expect("lock").take().expect("averaged");
    assert_eq!(average.n_averaged(), seen.len() as u64);
    for (i, value) in weights(&average.model()).iter().enumerate() {
        let mean = seen.iter().map(|w| f64::from(w[i])).sum::<f64>() / seen.len() as f64;
        assert!(
            (f64::from(*value) - mean).abs() <= 1e-5 * (1.0 + mean.abs()),
            "weight {i}: average {value}, mean {mean}"
        );
    }

    // A 1-D filter-normalized scan of the SWA solution with a closure loss (Li et al. 2018),
    // biases ignored.
    let centre = average.model();
    let theta = ParamVector::from_module(&centre);
    let (directions, _) = DirectionConfig {
        seed: 3,
        ..DirectionConfig::default()
    }
    .directions(&theta, 1);
    let d: Vec<f64> = directions[0]
        .to_host()
        .expect("host")
        .concat()
        .into_iter()
        .map(f64::from)
        .collect();
    let w: Vec<f64> = weights(&centre).into_iter().map(f64::from).collect();
    // The paper's normalization: each filter of d (an output unit: a column of Burn's
    // [d_input, d_output] weight) has the norm of the same filter of w; biases are zero.
    for (offset, rows, cols) in [(0, 2, 8), (24, 8, 1)] {
        for j in 0..cols {
            let norm = |v: &[f64]| {
                (0..rows)
                    .map(|i| v[offset + i * cols + j].powi(2))
                    .sum::<f64>()
                    .sqrt()
            };
            assert!(
                (norm(&d) - norm(&w)).abs() < 1e-5 * (1.0 + norm(&w)),
                "filter {j}"
            );
        }
    }
    assert!(d[16..24].iter().chain(&d[32..33]).all(|&b| b == 0.0));

    let grid = Grid {
        x: "-1:1:5".parse().expect("axis"),
        y: None,
    };
    let mut surface = Surface::new(centre, directions).expect("surface");
    let data_device = Device::flex();
    let mut evaluator = FnEvaluator::new(vec!["mse".to_string()], |net: &Net| {
        Ok(vec![f64::from(full_loss(net, &data_device))])
    });
    let mut file = ScanFile::new(descent_landscape::scan_file::example_meta(
        grid.clone(),
        &["mse"],
    ));
    run_scan(
        &mut surface,
        &mut evaluator,
        &mut file,
        None,
        &ScanOptions::default(),
        &mut SilentScan,
    )
    .expect("scan");
    for (k, a) in [-1.0, -0.5, 0.0, 0.5, 1.0].into_iter().enumerate() {
        let shifted: Vec<f64> = w.iter().zip(&d).map(|(w, d)| w + a * d).collect();
        let by_hand = loss_by_hand(&shifted);
        let scanned = file.values["mse"][k];
        assert!(
            (scanned - by_hand).abs() <= 1e-4 * (1.0 + by_hand),
            "a = {a}: scanned {scanned}, by hand {by_hand}"
        );
    }
}
