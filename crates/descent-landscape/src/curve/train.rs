//! Training the bend of a [`Curve`] (Garipov et al. 2018, `train.py` with `--curve`).
//!
//! Each step draws `t ~ U(0, 1)` from `(seed, step)`, loads `phi(t)` into the model, takes the
//! gradient `g` of the batch's mean cross-entropy there (Burn's autodiff, the model in
//! **training mode**: batch norm normalizes with the batch's statistics, as their
//! `model.train()` does; the running statistics this updates are thrown away, because every
//! evaluated point gets its own recomputed ones), and moves the bend only:
//!
//! ```text
//! d   = c_B(t) (g + wd phi(t))          (c_B: the bend's coefficient, CurveKind::coefficients)
//! v   = mu v + d                        (PyTorch SGD: dampening 0, no Nesterov)
//! B  <- B - lr v
//! ```
//!
//! The weight decay term is their `l2_regularizer`: `0.5 wd |phi(t)|^2` added to the loss
//! (on the point's weights, biases and norm-layer parameters, not on `B` itself; running
//! statistics never). The learning rate follows [`CurveSchedule`] per epoch (theirs by
//! default). The data order is a seeded permutation per epoch, batches are not augmented and
//! the last short batch is kept (PyTorch's `drop_last=False`).

use std::fmt;
use std::str::FromStr;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::Device;
use descent_data::rng::{Rng, derive_seed};
use descent_data::{ImageBatch, ImageBatcher, ImageDataset, shuffled_indices};
use descent_models::ImageClassifier;
use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::curvature::objective::{GradReader, autodiff_device};
use crate::curve::Curve;
use crate::kind::ParamKind;
use crate::vector::{ParamEntry, ParamVector};

/// The stream of the per-step `t` draws (any constant distinct from other uses of the seed).
const T_STREAM: u64 = 0x6375_7276_6521; // "curve!"
/// The stream of the per-epoch data permutations.
const SHUFFLE_STREAM: u64 = 0x7368_7566_666c; // "shuffl"

/// The learning rate over the epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CurveSchedule {
    /// Garipov et al.'s `learning_rate_schedule`: with `a = epoch / epochs` (epochs counted
    /// from 1), the base rate while `a <= 0.5`, then linearly down to 1% of it at `a = 0.9`,
    /// and 1% after.
    #[default]
    Garipov,
    /// The base rate throughout.
    Constant,
}

impl CurveSchedule {
    /// The rate of `epoch` (1-based) of `epochs`.
    pub fn rate(self, base: f64, epoch: usize, epochs: usize) -> f64 {
        match self {
            CurveSchedule::Constant => base,
            CurveSchedule::Garipov => {
                let alpha = epoch as f64 / epochs.max(1) as f64;
                let factor = if alpha <= 0.5 {
                    1.0
                } else if alpha <= 0.9 {
                    1.0 - (alpha - 0.5) / 0.4 * 0.99
                } else {
                    0.01
                };
                base * factor
            }
        }
    }
}

impl fmt::Display for CurveSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CurveSchedule::Garipov => "garipov",
            CurveSchedule::Constant => "constant",
        })
    }
}

impl FromStr for CurveSchedule {
    type Err = LandscapeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "garipov" => Ok(CurveSchedule::Garipov),
            "constant" => Ok(CurveSchedule::Constant),
            _ => Err(LandscapeError::invalid(
                "curve schedule",
                s,
                "expected garipov or constant",
            )),
        }
    }
}

/// How the bend is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveTrainConfig {
    /// Passes over the training data.
    pub epochs: usize,
    /// Samples per step.
    pub batch_size: usize,
    /// The base learning rate.
    pub lr: f64,
    /// Heavy-ball momentum (PyTorch's, dampening 0); 0 for plain SGD.
    pub momentum: f64,
    /// The weight of `0.5 |phi(t)|^2` in the loss (their `--wd`).
    pub weight_decay: f64,
    /// The seed of the `t` draws and of the data order.
    pub seed: u64,
    /// The learning rate over the epochs.
    pub schedule: CurveSchedule,
}

/// Garipov et al.'s `train.py` defaults: 0.01, momentum 0.9, wd 1e-4, batch 128, their
/// schedule; 10 epochs (theirs: 200 for a VGG on CIFAR-10).
impl Default for CurveTrainConfig {
    fn default() -> Self {
        CurveTrainConfig {
            epochs: 10,
            batch_size: 128,
            lr: 0.01,
            momentum: 0.9,
            weight_decay: 1e-4,
            seed: 0,
            schedule: CurveSchedule::Garipov,
        }
    }
}

impl CurveTrainConfig {
    /// Checks every field.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] naming the first bad field.
    pub fn validate(&self) -> Result<(), LandscapeError> {
        if self.batch_size == 0 {
            return Err(LandscapeError::invalid(
                "batch_size",
                0,
                "must be at least 1",
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(LandscapeError::invalid(
                "lr",
                self.lr,
                "must be a positive number",
            ));
        }
        if !(self.momentum.is_finite() && (0.0..1.0).contains(&self.momentum)) {
            return Err(LandscapeError::invalid(
                "momentum",
                self.momentum,
                "must be in [0, 1)",
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(LandscapeError::invalid(
                "weight_decay",
                self.weight_decay,
                "must be 0 or more",
            ));
        }
        Ok(())
    }
}

/// The `t` of global step `step` under `seed`: uniform in `[0, 1)`, the same on every run and
/// after any interruption.
pub fn sample_t(seed: u64, step: u64) -> f64 {
    Rng::new(derive_seed(derive_seed(seed, T_STREAM), step)).uniform()
}

/// The momentum SGD that moves the bend (see the module docs for the update).
#[derive(Debug, Clone)]
pub struct BendOptimizer {
    momentum: f64,
    weight_decay: f64,
    velocity: Option<ParamVector>,
}

impl BendOptimizer {
    /// Momentum `mu` (0: plain SGD) and weight decay `wd` on the point's weights.
    pub fn new(momentum: f64, weight_decay: f64) -> Self {
        BendOptimizer {
            momentum,
            weight_decay,
            velocity: None,
        }
    }

    /// The same optimizer continuing with `velocity` (from an earlier run's [`BendState`]).
    pub fn with_velocity(mut self, velocity: Option<ParamVector>) -> Self {
        self.velocity = velocity;
        self
    }

    /// The momentum buffer `v` (none before the first step).
    pub fn velocity(&self) -> Option<&ParamVector> {
        self.velocity.as_ref()
    }

    /// The bend after one step: `g` is the loss's gradient at `point = phi(t)` and `coeff` the
    /// bend's coefficient `c_B(t)`. Entries of kind [`ParamKind::Buffer`] (running
    /// statistics) are not moved.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Mismatch`] if the layouts differ.
    pub fn step(
        &mut self,
        bend: &ParamVector,
        coeff: f64,
        grad: &ParamVector,
        point: &ParamVector,
        lr: f64,
    ) -> Result<ParamVector, LandscapeError> {
        let wd = self.weight_decay;
        let direction = grad.zip_map(point, |g, p| {
            if g.info.kind == ParamKind::Buffer {
                g.value.zeros_like()
            } else {
                (g.value.clone() + p.value.clone().mul_scalar(wd)).mul_scalar(coeff)
            }
        })?;
        let velocity = match self.velocity.take() {
            Some(v) if self.momentum != 0.0 => v.scale(self.momentum).axpy(1.0, &direction)?,
            _ => direction,
        };
        let next = bend.axpy(-lr, &velocity)?;
        self.velocity = Some(velocity);
        Ok(next)
    }
}

/// The mean cross-entropy of `batch` for `template` with the weights `point` (running
/// statistics kept from `template`), in training mode, and its gradient with respect to the
/// point (zero on running statistics).
///
/// # Errors
///
/// [`LandscapeError::Mismatch`] if `point` is not the model's layout;
/// [`LandscapeError::InvalidOption`] if the loss is not finite.
pub fn loss_and_gradient<M: ImageClassifier>(
    template: &M,
    point: &ParamVector,
    batch: &ImageBatch,
    device: &Device,
) -> Result<(f64, ParamVector), LandscapeError> {
    let plain = device.clone().without_autodiff();
    let autodiff = autodiff_device(device);
    let model = point
        .to_device(&plain)
        .load_into(template.clone().valid().to_device(&plain), false)?;
    let model = model.to_device(&autodiff).train();
    let layout = ParamVector::from_module_infos(&model);
    let logits = model.logits(batch.images.clone().to_device(&autodiff));
    let loss = CrossEntropyLossConfig::new()
        .init(&autodiff)
        .forward(logits, batch.targets.clone().to_device(&autodiff));
    let value = loss.clone().detach().into_scalar::<f64>();
    if !value.is_finite() {
        return Err(LandscapeError::invalid(
            "loss",
            value,
            "is not finite on the curve (lower --lr)",
        ));
    }
    let grads = loss.backward();
    let mut reader = GradReader {
        grads: &grads,
        layout: &layout,
        plain: &plain,
        out: Vec::with_capacity(layout.len()),
    };
    model.visit(&mut reader);
    let grads = reader.out;
    let entries = layout
        .into_iter()
        .zip(grads)
        .map(|(info, value)| ParamEntry { info, value })
        .collect();
    Ok((value, ParamVector::from_entries(entries)))
}

/// One step of the bend at `t` on `batch` with rate `lr`; returns the batch's loss at
/// `phi(t)` (before the step).
///
/// # Errors
///
/// As [`loss_and_gradient`].
pub fn curve_step<M: ImageClassifier>(
    template: &M,
    curve: &mut Curve,
    optimizer: &mut BendOptimizer,
    t: f64,
    batch: &ImageBatch,
    lr: f64,
    device: &Device,
) -> Result<f64, LandscapeError> {
    let point = curve.point(t)?;
    let (loss, grad) = loss_and_gradient(template, &point, batch, device)?;
    let coeff = curve.kind.coefficients(t)[1];
    curve.bend = optimizer.step(&curve.bend, coeff, &grad, &point, lr)?;
    Ok(loss)
}

/// One epoch of [`train_bend`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurveEpoch {
    /// 1-based.
    pub epoch: usize,
    /// Its learning rate.
    pub lr: f64,
    /// The mean of the batches' losses at their `phi(t)`, weighted by batch size.
    pub loss: f64,
}

/// Where the bend's training stands after whole epochs: with the bend itself, all that
/// continuing needs (the `t` draws and the data order follow from the seed and the step).
#[derive(Debug, Clone, Default)]
pub struct BendState {
    /// The optimizer's momentum buffer (none before the first step).
    pub velocity: Option<ParamVector>,
    /// Every finished epoch, in order: its length is the number of epochs done.
    pub history: Vec<CurveEpoch>,
}

/// Trains `curve.bend` on `dataset` (see the module docs); `template` gives the architecture
/// (its weights are not used). Training continues from `state` (a fresh
/// [`BendState::default`] starts at epoch 1; `curve.bend` must then be the bend `state` was
/// taken with). `after_epoch` sees the bend and the state after each epoch (to report it, or
/// to save it: [`crate::curve::progress`]); an error from it stops training and is returned.
/// Returns the whole history.
///
/// # Errors
///
/// Bad options, data that does not fit the model, a diverging loss, a state with more epochs
/// than `config`, and what `after_epoch` returns.
#[allow(clippy::too_many_arguments)]
pub fn train_bend<M: ImageClassifier>(
    template: &M,
    curve: &mut Curve,
    dataset: &ImageDataset,
    batcher: &ImageBatcher,
    config: &CurveTrainConfig,
    device: &Device,
    state: BendState,
    after_epoch: &mut dyn FnMut(&Curve, &BendState) -> Result<(), LandscapeError>,
) -> Result<Vec<CurveEpoch>, LandscapeError> {
    config.validate()?;
    if dataset.is_empty() {
        return Err(LandscapeError::invalid(
            "dataset",
            dataset.name(),
            "holds no samples",
        ));
    }
    let done = state.history.len();
    if done > config.epochs {
        return Err(LandscapeError::invalid(
            "epochs",
            config.epochs,
            format!("the bend's training already has {done} epochs"),
        ));
    }
    batcher.check(dataset)?;
    let plain = device.clone().without_autodiff();
    let mut optimizer =
        BendOptimizer::new(config.momentum, config.weight_decay).with_velocity(state.velocity);
    let mut history = state.history;
    history.reserve(config.epochs - done);
    let steps_per_epoch = dataset.len().div_ceil(config.batch_size) as u64;
    let mut step = steps_per_epoch * done as u64;
    for epoch in done + 1..=config.epochs {
        let lr = config.schedule.rate(config.lr, epoch, config.epochs);
        let order = shuffled_indices(
            dataset.len(),
            derive_seed(derive_seed(config.seed, SHUFFLE_STREAM), epoch as u64),
        );
        let mut total = 0.0;
        for chunk in order.chunks(config.batch_size) {
            let batch = batcher.try_batch_indices_eval(dataset, chunk, &plain)?;
            let t = sample_t(config.seed, step);
            let loss = curve_step(template, curve, &mut optimizer, t, &batch, lr, device)?;
            total += loss * chunk.len() as f64;
            step += 1;
        }
        history.push(CurveEpoch {
            epoch,
            lr,
            loss: total / dataset.len() as f64,
        });
        let state = BendState {
            velocity: optimizer.velocity().cloned(),
            history,
        };
        after_epoch(curve, &state)?;
        history = state.history;
    }
    Ok(history)
}
