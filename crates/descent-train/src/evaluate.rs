//! Loss and accuracy of a classifier over a dataset.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Int, Tensor};
use descent_data::{ImageBatcher, ImageDataset};
use descent_models::ImageClassifier;
use descent_optim::averaging::{EnsembleMetrics, SnapshotEnsemble};
use serde::{Deserialize, Serialize};

use crate::error::TrainError;

/// Mean loss and accuracy over a set of samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Mean cross-entropy per sample.
    pub loss: f64,
    /// Fraction of samples whose arg-max logit is the label, in `[0, 1]`.
    pub accuracy: f64,
    /// Number of samples the means are over.
    pub samples: usize,
}

/// Running sums that turn into [`Metrics`]; weighted by sample count, so a short last batch
/// counts for what it holds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MetricsSum {
    /// Sum over samples of the per-sample loss.
    pub loss_sum: f64,
    /// Number of correctly classified samples.
    pub correct: u64,
    /// Number of samples seen.
    pub samples: usize,
}

impl MetricsSum {
    /// Adds a batch whose mean loss was `mean_loss` over `samples` samples.
    pub fn add(&mut self, mean_loss: f64, correct: u64, samples: usize) {
        self.loss_sum += mean_loss * samples as f64;
        self.correct += correct;
        self.samples += samples;
    }

    /// The means; `None` when no sample was added.
    pub fn finish(&self) -> Option<Metrics> {
        (self.samples > 0).then(|| Metrics {
            loss: self.loss_sum / self.samples as f64,
            accuracy: self.correct as f64 / self.samples as f64,
            samples: self.samples,
        })
    }
}

/// Number of rows of `logits` whose arg-max equals `targets`, as a one-element device tensor
/// (reading it forces a device sync, so callers accumulate before reading).
pub fn correct_count(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1, Int> {
    let predicted = logits.argmax(1).flatten::<1>(0, 1);
    predicted.equal(targets).int().sum()
}

/// Evaluates `model` in eval mode (no dropout, batch-norm running statistics, no gradients)
/// on every sample of `dataset`, `batch_size` samples at a time.
///
/// The batcher's normalization is applied and augmentation never is. The loss is the mean
/// cross-entropy per sample, weighted by sample count so a short last batch is right.
pub fn evaluate<M: ImageClassifier>(
    model: &M,
    dataset: &ImageDataset,
    batcher: &ImageBatcher,
    batch_size: usize,
    device: &Device,
) -> Option<Metrics> {
    let model = model.valid();
    let device = device.clone().without_autodiff();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let indices: Vec<usize> = (0..dataset.len()).collect();
    let mut sum = MetricsSum::default();
    let mut loss_total: Option<Tensor<1>> = None;
    let mut correct_total: Option<Tensor<1, Int>> = None;
    for chunk in indices.chunks(batch_size.max(1)) {
        let batch = batcher.batch_indices_eval(dataset, chunk, &device);
        let logits = model.logits(batch.images);
        let loss = loss_fn
            .forward(logits.clone(), batch.targets.clone())
            .mul_scalar(chunk.len() as f64);
        let correct = correct_count(logits, batch.targets);
        loss_total = Some(match loss_total {
            Some(t) => t + loss,
            None => loss,
        });
        correct_total = Some(match correct_total {
            Some(t) => t + correct,
            None => correct,
        });
    }
    if let (Some(loss), Some(correct)) = (loss_total, correct_total) {
        let loss_sum: f64 = loss.into_scalar::<f64>();
        let correct: i64 = correct.into_scalar::<i64>();
        sum.loss_sum = loss_sum;
        sum.correct = correct.max(0) as u64;
        sum.samples = dataset.len();
    }
    sum.finish()
}

/// Evaluates the ensemble of `members` (the mean of their softmax outputs, as a snapshot
/// ensemble predicts) on every sample of `dataset`; the loss is the negative log of the
/// averaged probability of the label. `None` for an empty dataset.
///
/// # Errors
///
/// [`TrainError::Optim`] when `members` is empty or they disagree on the number of classes.
pub fn evaluate_ensemble<M: ImageClassifier>(
    members: &[M],
    dataset: &ImageDataset,
    batcher: &ImageBatcher,
    batch_size: usize,
    device: &Device,
) -> Result<Option<Metrics>, TrainError> {
    let device = device.clone().without_autodiff();
    let members: Vec<M> = members.iter().map(|m| m.valid()).collect();
    let ensemble = SnapshotEnsemble::new(members)?;
    let indices: Vec<usize> = (0..dataset.len()).collect();
    let mut sum = EnsembleMetrics::default();
    for chunk in indices.chunks(batch_size.max(1)) {
        let batch = batcher.batch_indices_eval(dataset, chunk, &device);
        let images = batch.images;
        let metrics = ensemble.evaluate(|member| member.logits(images.clone()), batch.targets)?;
        sum.merge(metrics);
    }
    Ok((sum.samples > 0).then(|| Metrics {
        loss: sum.loss(),
        accuracy: sum.accuracy(),
        samples: sum.samples,
    }))
}
