//! Tests across the averaging pieces: batch-norm recompute against statistics computed
//! directly, averaging models with and without batch norm, resume, ensembles.

use burn::module::Module;
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
use burn::optim::GradientsParams;
use burn::store::ModuleRecord;
use burn::tensor::{Device, Int, Tensor};
use descent_models::{MlpConfig, Vgg, VggConfig, VggDepth};

use super::test_utils::{assert_tensors_close, floats, values};
use super::*;
use crate::SgdConfig;
use crate::schedule::WarmRestartsConfig;
use burn::lr_scheduler::LrScheduler;

#[derive(Module, Debug)]
struct Net {
    linear: Linear,
    norm: BatchNorm,
}

impl Net {
    fn new(device: &Device, momentum: f64) -> Self {
        Net {
            linear: LinearConfig::new(3, 2).init(device),
            norm: BatchNormConfig::new(2).with_momentum(momentum).init(device),
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.norm.forward(self.linear.forward(x))
    }
}

fn batches(device: &Device, count: usize) -> Vec<Tensor<2>> {
    (0..count)
        .map(|k| {
            let k = k as f32;
            Tensor::<2>::from_floats(
                [
                    [1.0 + k, -2.0, 0.5 * k],
                    [3.0, 0.25 * k, -1.0],
                    [-0.5 * k, 4.0, 2.0 + k],
                    [k * k / 4.0, 1.5, -3.0],
                ],
                device,
            )
        })
        .collect()
}

/// Per-feature mean and biased variance of `x` `[n, f]`, in f64 from the raw values.
fn direct_stats(x: &Tensor<2>) -> (Vec<f64>, Vec<f64>) {
    let [n, f] = x.dims();
    let v = floats(&x.clone().reshape([n * f]));
    let mean: Vec<f64> = (0..f)
        .map(|j| (0..n).map(|i| v[i * f + j]).sum::<f64>() / n as f64)
        .collect();
    let var = (0..f)
        .map(|j| {
            (0..n)
                .map(|i| (v[i * f + j] - mean[j]).powi(2))
                .sum::<f64>()
                / n as f64
        })
        .collect();
    (mean, var)
}

fn assert_close(actual: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(actual.len(), expected.len());
    for (a, e) in actual.iter().zip(expected) {
        assert!(
            (a - e).abs() <= tol * (1.0 + e.abs()),
            "got {a}, expected {e}"
        );
    }
}

fn recompute(model: Net, data: &[Tensor<2>]) -> Result<Net, crate::OptimError> {
    recompute_batch_norm(model, data.to_vec(), |m: &Net, x| {
        m.forward(x);
    })
}

#[test]
fn bn_recompute_gives_the_exact_statistics() {
    let device = Device::flex().autodiff();
    for momentum in [0.1, 0.3, 1.0] {
        let model = Net::new(&device, momentum);
        let data = batches(&device, 3);
        // Per-batch statistics of the BN inputs, computed directly, averaged with equal weights.
        let (mut mean, mut var) = (vec![0.0; 2], vec![0.0; 2]);
        for x in &data {
            let act = model.valid().linear.forward(x.clone().without_autodiff());
            let (m, v) = direct_stats(&act);
            for j in 0..2 {
                mean[j] += m[j] / data.len() as f64;
                var[j] += v[j] / data.len() as f64;
            }
        }
        let updated = recompute(model.clone(), &data).expect("recomputes");
        let got_mean = floats(&updated.norm.running_mean.value());
        let got_var = floats(&updated.norm.running_var.value());
        assert_close(&got_mean, &mean, 1e-5);
        assert_close(&got_var, &var, 1e-5);
        // Parameters untouched, the input model's buffers untouched (still the init values).
        assert_tensors_close(
            &values(&updated.linear),
            &values(&model.linear.valid()),
            0.0,
        );
        assert_eq!(floats(&model.norm.running_mean.value()), vec![0.0, 0.0]);

        // One batch holding all the data: the exact mean and variance of the activations.
        let all = Tensor::cat(data.clone(), 0);
        let act = model.valid().linear.forward(all.clone().without_autodiff());
        let (mean, var) = direct_stats(&act);
        let updated = recompute(model, &[all]).expect("recomputes");
        assert_close(&floats(&updated.norm.running_mean.value()), &mean, 1e-5);
        assert_close(&floats(&updated.norm.running_var.value()), &var, 1e-5);
    }
}

#[test]
fn bn_recompute_errors_and_models_without_bn() {
    let device = Device::flex().autodiff();
    let err = recompute(Net::new(&device, 0.1), &[]).expect_err("no batches");
    assert!(err.to_string().contains("no batches"), "{err}");
    let err = recompute(Net::new(&device, 0.0), &batches(&device, 2)).expect_err("momentum 0");
    assert!(err.to_string().contains("norm.running_"), "{err}");
    // No BatchNorm: returned as is, forward never called.
    let mlp = MlpConfig::new(3, vec![4], 2).init(&device).expect("valid");
    let same = recompute_batch_norm(mlp.clone(), Vec::<Tensor<2>>::new(), |_, _| {
        panic!("not called")
    })
    .expect("nothing to do");
    assert_tensors_close(&values(&same), &values(&mlp), 0.0);
}

fn tiny_vgg() -> VggConfig {
    VggConfig::new(VggDepth::Vgg11)
        .with_width(0.0625)
        .with_image_size(8)
        .with_in_channels(1)
        .with_num_classes(3)
}

/// A few SGD steps of a tiny VGG with BN, starting from the weights `init` (record bytes),
/// averaging after each epoch from the second on; returns the average. `interrupt_after`
/// saves the average (bytes) and the live model after that epoch and continues from fresh
/// copies, as a resumed run would. The starting weights come in as bytes because Burn's CPU
/// backends draw initial weights from one process-wide generator that tests running in other
/// threads also draw from.
fn train_vgg(
    init: &burn::tensor::Bytes,
    interrupt_after: Option<usize>,
    buffers: BufferPolicy,
) -> Vec<Tensor<1>> {
    let device = Device::flex().autodiff();
    let config = tiny_vgg();
    let load = |m: Vgg, bytes: burn::tensor::Bytes| {
        m.try_load_record(ModuleRecord::from_bytes(bytes).expect("reads"))
            .expect("fits")
    };
    let mut model = load(config.init(&device).expect("valid"), init.clone());
    let images: Vec<Tensor<4>> = (0..2)
        .map(|k| {
            Tensor::<1, Int>::arange(0..128, &device)
                .float()
                .reshape([2, 1, 8, 8])
                .div_scalar(64.0 + k as f64)
                .sin()
        })
        .collect();
    let targets = Tensor::<1, Int>::from_ints([0, 2], &device);
    let mut optim = SgdConfig::new().init().expect("valid");
    let mut swa = SwaConfig::new().with_buffers(buffers).init(&model);
    for epoch in 0..4 {
        for x in &images {
            let logits = model.forward(x.clone());
            let loss = burn::nn::loss::CrossEntropyLossConfig::new()
                .init(&device)
                .forward(logits, targets.clone());
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(0.05, model, grads);
        }
        if epoch >= 1 {
            swa.update(&model).expect("same model");
        }
        if interrupt_after == Some(epoch) {
            let live_bytes = model.clone().into_record().into_bytes().expect("saves");
            let avg_bytes = swa.model().into_record().into_bytes().expect("saves");
            let n = swa.n_averaged();
            // A fresh process: new ids until the records are loaded.
            let fresh = config.init(&device).expect("valid");
            model = load(fresh.clone(), live_bytes);
            let averaged = load(model.valid(), avg_bytes);
            swa = AveragedModel::from_parts(averaged, AveragingRule::Equal, buffers, n)
                .expect("valid");
            // Optimizer state is not part of this test: plain SGD has none.
        }
    }
    assert_eq!(swa.n_averaged(), 3);
    values(&swa.model())
}

#[test]
fn averaging_a_model_with_bn_resumes_bit_identically() {
    let device = Device::flex().autodiff();
    device.seed(7);
    let init = tiny_vgg()
        .init(&device)
        .expect("valid")
        .into_record()
        .into_bytes()
        .expect("saves");
    for buffers in [BufferPolicy::Copy, BufferPolicy::Average] {
        let straight = train_vgg(&init, None, buffers);
        for at in [1, 2] {
            let resumed = train_vgg(&init, Some(at), buffers);
            for (a, b) in straight.iter().zip(&resumed) {
                let (a, b) = (floats(a), floats(b));
                assert!(
                    a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()),
                    "{buffers}: resumed after epoch {at} differs"
                );
            }
        }
    }
}

#[test]
fn buffers_are_copied_or_averaged() {
    let device = Device::flex().autodiff();
    let live = Net::new(&device, 0.5);
    let data = batches(&device, 2);
    let mut copy = SwaConfig::new().init(&live);
    let mut average = SwaConfig::new()
        .with_buffers(BufferPolicy::Average)
        .init(&live);
    let mut seen = Vec::new();
    for x in &data {
        live.forward(x.clone()); // moves the running statistics
        copy.update(&live).expect("same model");
        average.update(&live).expect("same model");
        seen.push(floats(&live.valid().norm.running_mean.value()));
    }
    let live_now = floats(&live.valid().norm.running_mean.value());
    assert_close(
        &floats(&copy.model().norm.running_mean.value()),
        &live_now,
        0.0,
    );
    let mean: Vec<f64> = (0..2).map(|j| (seen[0][j] + seen[1][j]) / 2.0).collect();
    assert_close(
        &floats(&average.model().norm.running_mean.value()),
        &mean,
        1e-6,
    );
}

#[test]
fn averaging_a_model_without_bn() {
    let device = Device::flex().autodiff();
    let mut live = MlpConfig::new(4, vec![5], 3).init(&device).expect("valid");
    let first = values(&live);
    let mut swa = SwaConfig::new().init(&live);
    swa.update(&live).expect("same model");
    live = live.map(&mut Shift(2.0));
    swa.update(&live).expect("same model");
    let expected: Vec<Tensor<1>> = first.into_iter().map(|t| t + 1.0).collect();
    assert_tensors_close(&values(&swa.model()), &expected, 1e-6);
}

struct Shift(f64);

impl burn::module::ModuleMapper for Shift {
    fn map_float<const D: usize>(
        &mut self,
        param: burn::module::Param<Tensor<D>>,
    ) -> burn::module::Param<Tensor<D>> {
        let shift = self.0;
        param.map(|t| t.add_scalar(shift))
    }
}

#[test]
fn ensemble_averages_softmax_outputs() {
    let device = Device::flex();
    let members: Vec<Linear> = (0..3)
        .map(|_| LinearConfig::new(2, 3).init(&device))
        .collect();
    let x = Tensor::<2>::from_floats([[1.0, -1.0], [0.5, 2.0]], &device);
    let ensemble = SnapshotEnsemble::new(members.clone()).expect("non-empty");
    let probs = ensemble
        .predict_proba(|m| m.forward(x.clone()))
        .expect("same shapes");
    // By hand: softmax of each member's logits, averaged.
    let mut expected = vec![0.0; 6];
    for m in &members {
        let logits = floats(&m.forward(x.clone()).reshape([6]));
        for row in 0..2 {
            let r = &logits[row * 3..row * 3 + 3];
            let z: f64 = r.iter().map(|v| v.exp()).sum();
            for c in 0..3 {
                expected[row * 3 + c] += r[c].exp() / z / 3.0;
            }
        }
    }
    let got = floats(&probs.clone().reshape([6]));
    assert_close(&got, &expected, 1e-6);
    let targets = Tensor::<1, Int>::from_ints([2, 0], &device);
    let metrics = ensemble
        .evaluate(|m| m.forward(x.clone()), targets)
        .expect("evaluates");
    let nll = -(expected[2].ln() + expected[3].ln());
    assert!(
        (metrics.nll_sum - nll).abs() < 1e-5,
        "{} vs {nll}",
        metrics.nll_sum
    );
    let argmax = |row: usize| {
        (0..3)
            .max_by(|&a, &b| expected[row * 3 + a].total_cmp(&expected[row * 3 + b]))
            .unwrap_or(0)
    };
    let correct = u64::from(argmax(0) == 2) + u64::from(argmax(1) == 0);
    assert_eq!((metrics.correct, metrics.samples), (correct, 2));

    assert!(SnapshotEnsemble::<Linear>::new(Vec::new()).is_err());
    let bad = ensemble.evaluate(
        |m| m.forward(x.clone()),
        Tensor::<1, Int>::zeros([3], &device),
    );
    assert!(bad.is_err());
}

#[test]
fn cycle_ends_are_where_warm_restarts_restart() {
    for (t_0, t_mult) in [(1, 1), (3, 1), (2, 2), (1, 3)] {
        let policy = SnapshotPolicy::CycleEnds { t_0, t_mult };
        let mut sgdr = WarmRestartsConfig::new(0.1, t_0, 1)
            .with_t_mult(t_mult)
            .init()
            .expect("valid");
        let rates: Vec<f64> = (0..41).map(|_| sgdr.step()).collect();
        // Epoch e ends a cycle when epoch e + 1 starts at the peak again.
        let expected: Vec<usize> = (0..40).filter(|&e| rates[e + 1] == 0.1).collect();
        assert_eq!(
            policy.due_epochs(40),
            expected,
            "t_0 {t_0}, t_mult {t_mult}"
        );
    }
    assert_eq!(
        SnapshotPolicy::Epochs(vec![4, 9]).due_epochs(10),
        vec![4, 9]
    );
}
