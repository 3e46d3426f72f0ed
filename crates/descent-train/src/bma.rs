//! Bayesian model averaging with a SWAG posterior (Maddox et al. 2019): draw weights, recompute
//! batch-norm statistics for each draw, and average the predicted class probabilities.
//!
//! [`evaluate_swag`] does what the authors' `experiments/uncertainty/uncertainty.py` does for
//! `--method SWAG --cov_mat`: for each of `S` samples, `model.sample(scale, cov=True)`, then
//! `bn_update` on the training data, then the softmax of the test set; the prediction is the
//! mean of the `S` probability matrices. It reports accuracy, NLL and ECE
//! ([`crate::calibration`]) of that average beside the SWA mean (the posterior's mean, its
//! batch-norm statistics recomputed the same way) and the run's last weights (as trained).

use burn::tensor::Device;
use burn::tensor::activation::softmax;
use descent_data::{ImageBatcher, ImageDataset};
use descent_models::ImageClassifier;
use descent_optim::averaging::{Swag, SwagCovariance, recompute_batch_norm};
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::calibration::{CalibrationMetrics, calibration_metrics};
use crate::error::TrainError;
use crate::seed::{SeedPurpose, derive};

/// How [`evaluate_swag`] samples and recomputes batch-norm statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwagEvalOptions {
    /// `S`, the number of weight samples averaged (the paper's 30).
    pub samples: usize,
    /// The covariance scale of the authors' code: 0.5 gives the paper's equation (its
    /// `1/sqrt(2)` factors), 1.0 the fitted covariance itself.
    pub scale: f64,
    /// Low rank plus diagonal (SWAG) or diagonal only (SWAG-Diagonal).
    #[serde(with = "covariance_name")]
    pub covariance: SwagCovariance,
    /// Seed of the normal draws (sample `i` draws from `(seed, i)`).
    pub seed: u64,
    /// Recompute batch-norm statistics on this many training samples (a seeded subset drawn
    /// once) instead of the whole training set, as the authors' `bn_update(subset=...)`.
    pub bn_samples: Option<usize>,
    /// Samples per forward pass.
    pub batch_size: usize,
}

impl Default for SwagEvalOptions {
    fn default() -> Self {
        Self {
            samples: 30,
            scale: 0.5,
            covariance: SwagCovariance::LowRank,
            seed: 0,
            bn_samples: None,
            batch_size: 500,
        }
    }
}

mod covariance_name {
    use descent_optim::averaging::SwagCovariance;

    pub fn serialize<S: serde::Serializer>(c: &SwagCovariance, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(c.name())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SwagCovariance, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What [`evaluate_swag`] measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwagEvaluation {
    /// The settings used.
    pub options: SwagEvalOptions,
    /// Models collected in the posterior.
    pub collected_models: u64,
    /// Deviations kept (at most the rank).
    pub deviations: usize,
    /// Training samples the batch-norm statistics were recomputed on (0 without batch norm).
    pub bn_samples_used: usize,
    /// The Bayesian model average of the `S` samples.
    pub swag: CalibrationMetrics,
    /// The posterior's mean (the SWA average), batch-norm statistics recomputed.
    pub swa: CalibrationMetrics,
    /// The run's last weights, as trained.
    pub last: CalibrationMetrics,
}

/// The softmax probabilities of `model` (evaluation mode) on every sample of `dataset`, row
/// by row (`len x classes`), in `f64`.
///
/// # Errors
///
/// [`TrainError::InvalidOption`] naming `probabilities` if the backend's values cannot be read
/// as floats.
pub fn predict_probabilities<M: ImageClassifier>(
    model: &M,
    dataset: &ImageDataset,
    batcher: &ImageBatcher,
    batch_size: usize,
    device: &Device,
) -> Result<Vec<f64>, TrainError> {
    let model = model.valid();
    let device = device.clone().without_autodiff();
    let indices: Vec<usize> = (0..dataset.len()).collect();
    let mut out = Vec::with_capacity(dataset.len() * dataset.num_classes());
    for chunk in indices.chunks(batch_size.max(1)) {
        let batch = batcher.batch_indices_eval(dataset, chunk, &device);
        let probs = softmax(model.logits(batch.images), 1);
        let values: Vec<f32> = probs
            .try_into_vec_as()
            .map_err(|e| TrainError::InvalidOption {
                field: "probabilities",
                value: format!("{e:?}"),
                reason: "the model's output could not be read".into(),
            })?;
        out.extend(values.into_iter().map(f64::from));
    }
    Ok(out)
}

/// Resets and recomputes the batch-norm statistics of `model` with one pass over `train`
/// (`batch_size` samples a batch, evaluation transforms), as the SWA paper and the SWAG
/// authors' `bn_update` do; a model without batch norm is returned as it is. Returns the model
/// and whether it had batch norm.
///
/// # Errors
///
/// [`TrainError::Optim`] when `train` is empty (for a model with batch norm).
pub fn recompute_on<M: ImageClassifier>(
    model: M,
    train: &ImageDataset,
    batcher: &ImageBatcher,
    batch_size: usize,
    device: &Device,
) -> Result<(M, bool), TrainError> {
    let device = device.clone().autodiff();
    let indices: Vec<usize> = (0..train.len()).collect();
    let batches = indices.chunks(batch_size.max(1));
    let mut ran = false;
    let model = recompute_batch_norm(model, batches, |model: &M, chunk: &[usize]| {
        ran = true;
        let batch = batcher.batch_indices_eval(train, chunk, &device);
        let _ = model.logits(batch.images);
    })?;
    Ok((model, ran))
}

/// Evaluates the SWAG posterior `swag` on `test` by Bayesian model averaging over
/// `options.samples` weight samples (see the [module docs](self)), beside its mean and the
/// `last` weights. `progress(i)` is called after sample `i` (1-based).
///
/// # Errors
///
/// [`TrainError::InvalidOption`] naming `swag_samples` when `samples` is 0, `swag_scale` when
/// the scale is not finite and >= 0, `bn_samples` when it is 0, or `dataset` when `test` is
/// empty; [`TrainError::Optim`] from sampling or the batch-norm recompute.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_swag<M: ImageClassifier>(
    swag: &Swag<M>,
    last: &M,
    train: &ImageDataset,
    test: &ImageDataset,
    batcher: &ImageBatcher,
    options: &SwagEvalOptions,
    device: &Device,
    progress: &mut dyn FnMut(usize),
) -> Result<SwagEvaluation, TrainError> {
    let invalid = |field: &'static str, value: String, reason: &str| TrainError::InvalidOption {
        field,
        value,
        reason: reason.into(),
    };
    if options.samples == 0 {
        return Err(invalid("swag_samples", "0".into(), "must be at least 1"));
    }
    if !(options.scale.is_finite() && options.scale >= 0.0) {
        return Err(invalid(
            "swag_scale",
            options.scale.to_string(),
            "must be a finite number >= 0",
        ));
    }
    if options.bn_samples == Some(0) {
        return Err(invalid("bn_samples", "0".into(), "must be at least 1"));
    }
    if test.is_empty() {
        return Err(invalid("dataset", test.name().into(), "holds no samples"));
    }
    let bn_set = match options.bn_samples {
        Some(n) if n < train.len() => {
            train.random_subset(n, derive(options.seed, SeedPurpose::SwagBatchNorm, 0))
        }
        _ => train.clone(),
    };
    let classes = test.num_classes();
    let labels = test.labels();
    let batch = options.batch_size;
    let recompute = |model: M| recompute_on(model, &bn_set, batcher, batch, device);
    let predict = |model: &M| predict_probabilities(model, test, batcher, batch, device);

    let mut average = vec![0.0; labels.len() * classes];
    let mut had_bn = false;
    for i in 0..options.samples {
        let mut rng = rand::rngs::StdRng::seed_from_u64(derive(
            options.seed,
            SeedPurpose::SwagSample,
            i as u64,
        ));
        let sample = swag.sample(options.scale, options.covariance, &mut rng)?;
        let (sample, ran) = recompute(sample)?;
        had_bn |= ran;
        for (a, p) in average.iter_mut().zip(predict(&sample)?) {
            *a += p;
        }
        progress(i + 1);
    }
    let s = options.samples as f64;
    average.iter_mut().for_each(|a| *a /= s);

    let (mean, _) = recompute(swag.mean_model()?)?;
    Ok(SwagEvaluation {
        options: options.clone(),
        collected_models: swag.n_models(),
        deviations: swag.deviations().len(),
        bn_samples_used: if had_bn { bn_set.len() } else { 0 },
        swag: calibration_metrics(&average, classes, &labels)?,
        swa: calibration_metrics(&predict(&mean)?, classes, &labels)?,
        last: calibration_metrics(&predict(last)?, classes, &labels)?,
    })
}
