//! What is measured at each grid point: any closure of the model, or the mean loss and
//! accuracy of a classifier over batches prepared once per scan.

use std::fmt;
use std::str::FromStr;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Int, Tensor};
use descent_data::{ImageBatch, ImageBatcher, ImageDataset};
use descent_models::ImageClassifier;
use descent_optim::averaging::recompute_batch_norm;
use descent_train::evaluate::correct_count;
use serde::{Deserialize, Serialize};

use crate::LandscapeError;

/// Measures a model at one point of a scan.
pub trait PointEvaluator<M> {
    /// The names of the numbers [`PointEvaluator::evaluate`] returns, in order (they name
    /// the scan file's arrays).
    fn metric_names(&self) -> Vec<String>;

    /// The numbers for `model` (already in eval mode, with the point's parameters).
    ///
    /// # Errors
    ///
    /// Whatever the measurement reports.
    fn evaluate(&mut self, model: &M) -> Result<Vec<f64>, LandscapeError>;
}

/// A [`PointEvaluator`] from a closure: for models that are not image classifiers, or for
/// measures other than loss and accuracy.
pub struct FnEvaluator<F> {
    names: Vec<String>,
    f: F,
}

impl<F> FnEvaluator<F> {
    /// Names the closure's outputs.
    pub fn new(names: Vec<String>, f: F) -> Self {
        FnEvaluator { names, f }
    }
}

impl<M, F: FnMut(&M) -> Result<Vec<f64>, LandscapeError>> PointEvaluator<M> for FnEvaluator<F> {
    fn metric_names(&self) -> Vec<String> {
        self.names.clone()
    }

    fn evaluate(&mut self, model: &M) -> Result<Vec<f64>, LandscapeError> {
        (self.f)(model)
    }
}

/// What happens to batch-norm running statistics at each point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BnPolicy {
    /// Keep the running statistics of the centre model under random directions; along
    /// target directions they move linearly with everything else, so each checkpoint is
    /// reproduced exactly at its own coordinates.
    #[default]
    Keep,
    /// Recompute them at each point from the batches of the first evaluation set (a pass in
    /// training mode without gradients, [`descent_optim::averaging::recompute_batch_norm`]:
    /// the plain average of the per-batch statistics, so with one batch holding the whole
    /// set they are its exact mean and biased variance), then evaluate. Parameters are not
    /// changed. Models without batch norm are evaluated as they are.
    Recompute,
}

impl fmt::Display for BnPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BnPolicy::Keep => "keep",
            BnPolicy::Recompute => "recompute",
        })
    }
}

impl FromStr for BnPolicy {
    type Err = LandscapeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "keep" => Ok(BnPolicy::Keep),
            "recompute" => Ok(BnPolicy::Recompute),
            _ => Err(LandscapeError::invalid(
                "bn policy",
                s,
                "expected keep or recompute",
            )),
        }
    }
}

/// One evaluation set, batched and uploaded once.
#[derive(Debug, Clone)]
pub struct PreparedSet {
    /// Its name in the metric arrays (`train`, `test`).
    pub name: String,
    /// The dataset's name (e.g. `synthetic-test`).
    pub dataset: String,
    /// The batches, on the device, in a fixed order.
    pub batches: Vec<ImageBatch>,
    /// Total number of samples.
    pub samples: usize,
}

impl PreparedSet {
    /// Normalizes `dataset` with `batcher` (never augmented) into batches of `batch_size`
    /// on `device`.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] for an empty set or a zero batch size; the
    /// batcher's errors.
    pub fn new(
        name: impl Into<String>,
        dataset: &ImageDataset,
        batcher: &ImageBatcher,
        batch_size: usize,
        device: &Device,
    ) -> Result<PreparedSet, LandscapeError> {
        let name = name.into();
        if batch_size == 0 {
            return Err(LandscapeError::invalid(
                "batch size",
                0,
                "must be at least 1",
            ));
        }
        if dataset.is_empty() {
            return Err(LandscapeError::invalid(
                "dataset",
                dataset.name(),
                "holds no samples",
            ));
        }
        batcher.check(dataset)?;
        let indices: Vec<usize> = (0..dataset.len()).collect();
        let batches = indices
            .chunks(batch_size)
            .map(|chunk| batcher.try_batch_indices_eval(dataset, chunk, device))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PreparedSet {
            name,
            dataset: dataset.name().to_string(),
            batches,
            samples: dataset.len(),
        })
    }
}

/// Mean cross-entropy and accuracy of an [`ImageClassifier`] over prepared sets: metrics
/// `loss_<set>` and `acc_<set>`, weighted by sample count, summed in a fixed order (so the
/// same point gives bit-identical numbers every time on one device).
///
/// With [`BnPolicy::Recompute`] ([`ClassifierEvaluator::with_bn`]) the batch-norm running
/// statistics are recomputed from the first set's batches before each evaluation.
#[derive(Debug, Clone)]
pub struct ClassifierEvaluator {
    sets: Vec<PreparedSet>,
    bn: BnPolicy,
}

impl ClassifierEvaluator {
    /// Evaluates on these sets, keeping the model's batch-norm statistics.
    pub fn new(sets: Vec<PreparedSet>) -> Self {
        ClassifierEvaluator {
            sets,
            bn: BnPolicy::Keep,
        }
    }

    /// The same evaluator with batch-norm statistics handled by `bn`.
    pub fn with_bn(mut self, bn: BnPolicy) -> Self {
        self.bn = bn;
        self
    }

    /// The sets.
    pub fn sets(&self) -> &[PreparedSet] {
        &self.sets
    }

    /// The batch-norm policy.
    pub fn bn(&self) -> BnPolicy {
        self.bn
    }

    /// `model` (any mode) with its batch-norm running statistics recomputed from the first
    /// set's batches, in eval mode; see [`BnPolicy::Recompute`].
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] when there is no batch, or a batch-norm layer
    /// cannot be recomputed (momentum 0).
    pub fn recompute_bn<M: ImageClassifier>(&self, model: M) -> Result<M, LandscapeError> {
        let batches: Vec<&ImageBatch> = self
            .sets
            .first()
            .map(|s| s.batches.iter().collect())
            .unwrap_or_default();
        recompute_batch_norm(model, batches, |m: &M, batch: &ImageBatch| {
            // Training mode runs on the autodiff device; the prepared batches are plain.
            let device = batch.images.device().autodiff();
            m.logits(batch.images.clone().to_device(&device));
        })
        .map_err(|e| LandscapeError::invalid("bn policy", BnPolicy::Recompute, e.to_string()))
    }

    fn measure<M: ImageClassifier>(&self, model: &M) -> Vec<f64> {
        let mut out = Vec::with_capacity(2 * self.sets.len());
        for set in &self.sets {
            let Some(first) = set.batches.first() else {
                continue;
            };
            let device = first.images.device();
            let loss_fn = CrossEntropyLossConfig::new().init(&device);
            let mut loss_total: Option<Tensor<1>> = None;
            let mut correct_total: Option<Tensor<1, Int>> = None;
            for batch in &set.batches {
                let n = batch.targets.dims()[0];
                let logits = model.logits(batch.images.clone());
                let loss = loss_fn
                    .forward(logits.clone(), batch.targets.clone())
                    .mul_scalar(n as f64);
                let correct = correct_count(logits, batch.targets.clone());
                loss_total = Some(match loss_total {
                    Some(t) => t + loss,
                    None => loss,
                });
                correct_total = Some(match correct_total {
                    Some(t) => t + correct,
                    None => correct,
                });
            }
            let loss_sum = loss_total.map_or(0.0, |t| t.into_scalar::<f64>());
            let correct = correct_total.map_or(0, |t| t.into_scalar::<i64>());
            out.push(loss_sum / set.samples as f64);
            out.push(correct as f64 / set.samples as f64);
        }
        out
    }
}

impl<M: ImageClassifier> PointEvaluator<M> for ClassifierEvaluator {
    fn metric_names(&self) -> Vec<String> {
        self.sets
            .iter()
            .flat_map(|s| [format!("loss_{}", s.name), format!("acc_{}", s.name)])
            .collect()
    }

    fn evaluate(&mut self, model: &M) -> Result<Vec<f64>, LandscapeError> {
        match self.bn {
            BnPolicy::Keep => Ok(self.measure(model)),
            BnPolicy::Recompute => Ok(self.measure(&self.recompute_bn(model.clone())?)),
        }
    }
}

#[cfg(test)]
mod tests;
