//! What is measured at each grid point: any closure of the model, or the mean loss and
//! accuracy of a classifier (with their standard errors) over batches prepared once per scan.

use std::fmt;
use std::str::FromStr;

use burn::module::Module;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor};
use descent_data::{ImageBatch, ImageBatcher, ImageDataset};
use descent_models::ImageClassifier;
use descent_optim::averaging::recompute_batch_norm;
use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::batch_moments::BatchMoments;
use crate::surface::Surface;

mod input_cache;

use input_cache::InputCache;

/// A point's numbers: one value per metric (in [`PointEvaluator::metric_names`] order) and
/// each value's standard error, NaN where the evaluator has none.
#[derive(Debug, Clone, PartialEq)]
pub struct PointValues {
    /// The values.
    pub values: Vec<f64>,
    /// Their standard errors (see [`crate::batch_moments`]), NaN where unknown.
    pub std_errors: Vec<f64>,
}

impl PointValues {
    /// Values without standard errors.
    pub fn without_errors(values: Vec<f64>) -> PointValues {
        let std_errors = vec![f64::NAN; values.len()];
        PointValues { values, std_errors }
    }
}

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

    /// The numbers at the point `(a, b)` of `surface`, with standard errors where the
    /// evaluator has them. The default sets the surface's model to the point
    /// ([`Surface::model_at`]) and calls [`PointEvaluator::evaluate`] (no errors); an
    /// evaluator may reuse work across the points of one surface.
    ///
    /// # Errors
    ///
    /// Whatever the measurement reports.
    fn evaluate_at(
        &mut self,
        surface: &mut Surface<M>,
        a: f64,
        b: f64,
    ) -> Result<PointValues, LandscapeError>
    where
        M: Module,
    {
        let model = surface.model_at(a, b)?;
        Ok(PointValues::without_errors(self.evaluate(model)?))
    }
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
/// same point gives bit-identical numbers every time on one device), each with the standard
/// error of its mean over the set's samples ([`crate::batch_moments`]: from per-sample values,
/// reduced per batch on the device and read back once per set and point).
///
/// With [`BnPolicy::Recompute`] ([`ClassifierEvaluator::with_bn`]) the batch-norm running
/// statistics are recomputed from the first set's batches before each evaluation.
///
/// In a scan ([`PointEvaluator::evaluate_at`]) of a model whose first layer is an affine map
/// of the images ([`ImageClassifier::input_layer`]: the MLP, the VGG), that layer's output is
/// computed once per batch at the centre and along each direction, and at each point
/// combined as `y0 + a y1 + b y2` instead of recomputed (the same values up to float
/// rounding): see [`ClassifierEvaluator::with_input_cache_limit`] for when.
#[derive(Debug, Clone)]
pub struct ClassifierEvaluator {
    sets: Vec<PreparedSet>,
    bn: BnPolicy,
    cache_limit: usize,
    cache: Option<InputCache>,
}

/// The default memory limit of the first-layer cache: 1 GiB.
pub const DEFAULT_INPUT_CACHE_LIMIT: usize = 1 << 30;

impl ClassifierEvaluator {
    /// Evaluates on these sets, keeping the model's batch-norm statistics.
    pub fn new(sets: Vec<PreparedSet>) -> Self {
        ClassifierEvaluator {
            sets,
            bn: BnPolicy::Keep,
            cache_limit: DEFAULT_INPUT_CACHE_LIMIT,
            cache: None,
        }
    }

    /// The same evaluator with batch-norm statistics handled by `bn`.
    pub fn with_bn(mut self, bn: BnPolicy) -> Self {
        self.bn = bn;
        self
    }

    /// The same evaluator with the first-layer cache limited to `bytes` (0 turns it off;
    /// the default is [`DEFAULT_INPUT_CACHE_LIMIT`]). A scan uses the cache when the model
    /// has the split ([`ImageClassifier::input_layer`]), batch-norm statistics are kept
    /// ([`BnPolicy::Keep`]), the first layer's output per sample is no larger than its input
    /// (a fully connected first layer; a convolution's output maps are larger than its image,
    /// and recombining them measured slower than recomputing them, see `bench/README.md`),
    /// and the cached outputs (one per batch, direction and centre) fit in `bytes`.
    pub fn with_input_cache_limit(mut self, bytes: usize) -> Self {
        self.cache_limit = bytes;
        self.cache = None;
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

    /// Loss and accuracy with their standard errors, in metric order, with the logits of
    /// batch `j` of set `i` from `logits(i, j, batch)`.
    fn measure_with(
        &self,
        mut logits: impl FnMut(usize, usize, &ImageBatch) -> Tensor<2>,
    ) -> PointValues {
        let mut values = Vec::with_capacity(2 * self.sets.len());
        let mut std_errors = Vec::with_capacity(2 * self.sets.len());
        for (i, set) in self.sets.iter().enumerate() {
            // Per batch, on the device: [[loss sum, loss centred SS], [correct, correct
            // centred SS]]; all batches read back in one transfer.
            let mut parts = Vec::with_capacity(set.batches.len());
            for (j, batch) in set.batches.iter().enumerate() {
                let n = batch.targets.dims()[0];
                let out = logits(i, j, batch);
                let targets = batch.targets.clone();
                let per_sample = log_softmax(out.clone(), 1)
                    .gather(1, targets.clone().unsqueeze_dim(1))
                    .reshape([n])
                    .neg();
                let correct = out.argmax(1).reshape([n]).equal(targets).float();
                let both = Tensor::stack::<2>(vec![per_sample, correct], 0);
                let sums = both.clone().sum_dim(1);
                let centred = both - sums.clone().div_scalar(n as f64);
                let squares = centred.clone().mul(centred).sum_dim(1);
                parts.push(Tensor::cat(vec![sums, squares], 1));
            }
            if parts.is_empty() {
                continue;
            }
            let host: Vec<f64> = Tensor::cat(parts, 0).into_data().iter::<f64>().collect();
            let mut loss = BatchMoments::new();
            let mut acc = BatchMoments::new();
            for (batch, v) in set.batches.iter().zip(host.chunks_exact(4)) {
                let n = batch.targets.dims()[0];
                loss.push(n, v[0], v[1]);
                acc.push(n, v[2], v[3]);
            }
            values.push(loss.mean());
            values.push(acc.mean());
            std_errors.push(loss.standard_error());
            std_errors.push(acc.standard_error());
        }
        PointValues { values, std_errors }
    }

    fn measure<M: ImageClassifier>(&self, model: &M) -> PointValues {
        self.measure_with(|_, _, batch| model.logits(batch.images.clone()))
    }

    /// Everything [`PointEvaluator::evaluate_at`] returns.
    fn measure_point<M: ImageClassifier>(
        &mut self,
        surface: &mut Surface<M>,
        a: f64,
        b: f64,
    ) -> Result<PointValues, LandscapeError> {
        if self.bn == BnPolicy::Keep {
            if self.cache.as_ref().is_none_or(|c| !c.belongs_to(surface)) {
                self.cache = Some(InputCache::build(&self.sets, surface, self.cache_limit)?);
            }
            if let Some(cache) = self.cache.as_ref().filter(|c| c.is_ready()) {
                let model = surface.model_at(a, b)?;
                // A model that had the split when the cache was built keeps it; the full
                // forward pass is the (equal) fallback all the same.
                let values = self.measure_with(|i, j, batch| {
                    model
                        .logits_after_input_layer(cache.at(i, j, a, b))
                        .unwrap_or_else(|| model.logits(batch.images.clone()))
                });
                return Ok(values);
            }
        }
        let model = surface.model_at(a, b)?;
        self.measure_full(model)
    }

    fn measure_full<M: ImageClassifier>(&self, model: &M) -> Result<PointValues, LandscapeError> {
        match self.bn {
            BnPolicy::Keep => Ok(self.measure(model)),
            BnPolicy::Recompute => Ok(self.measure(&self.recompute_bn(model.clone())?)),
        }
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
        Ok(self.measure_full(model)?.values)
    }

    fn evaluate_at(
        &mut self,
        surface: &mut Surface<M>,
        a: f64,
        b: f64,
    ) -> Result<PointValues, LandscapeError> {
        self.measure_point(surface, a, b)
    }
}

#[cfg(test)]
mod tests;
