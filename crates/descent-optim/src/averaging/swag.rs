//! [`SwagConfig`] and [`Swag`]: SWA-Gaussian (Maddox et al. 2019, "A Simple Baseline for
//! Bayesian Uncertainty in Deep Learning", <https://arxiv.org/abs/1902.02476>), a Gaussian
//! over the weights fitted to the SGD iterates.
//!
//! # Example
//!
//! ```
//! use burn::module::Module;
//! use burn::nn::LinearConfig;
//! use burn::tensor::Device;
//! use descent_optim::averaging::{SwagConfig, SwagCovariance};
//! use rand::SeedableRng;
//!
//! let device = Device::flex();
//! let mut live = LinearConfig::new(3, 2).init(&device);
//! let mut swag = SwagConfig::new().with_rank(3).init(&live)?;
//! for _ in 0..5 {
//!     live.weight = live.weight.map(|w| w * 0.9 + 0.1); // "train one epoch"
//!     swag.collect(&live)?;
//! }
//! assert_eq!(swag.n_models(), 5);
//! assert_eq!(swag.deviations().len(), 3); // the last K = 3
//! let mut rng = rand::rngs::StdRng::seed_from_u64(7);
//! let _sample = swag.sample(0.5, SwagCovariance::LowRank, &mut rng)?;
//! let _swa_mean = swag.mean_model()?;
//! # Ok::<(), descent_optim::OptimError>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use burn::config::Config;
use burn::module::{Module, ParamId};
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::walk::{self, Role};
use crate::OptimError;

const WHAT: &str = "swag";

/// Which covariance a SWAG sample is drawn from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SwagCovariance {
    /// Diagonal plus low rank, `diag(var) + D^T D / (K - 1)` (the paper's SWAG).
    #[default]
    LowRank,
    /// The diagonal alone, `diag(var)` (the paper's SWAG-Diagonal).
    Diagonal,
}

impl SwagCovariance {
    /// The canonical name, as printed by `Display` and accepted by `FromStr`.
    pub fn name(self) -> &'static str {
        match self {
            SwagCovariance::LowRank => "low-rank",
            SwagCovariance::Diagonal => "diagonal",
        }
    }
}

impl fmt::Display for SwagCovariance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SwagCovariance {
    type Err = OptimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low-rank" | "lowrank" | "full" => Ok(SwagCovariance::LowRank),
            "diagonal" | "diag" => Ok(SwagCovariance::Diagonal),
            _ => Err(OptimError::InvalidConfig {
                field: "swag_covariance",
                value: s.to_string(),
                reason: "expected one of: low-rank, diagonal".into(),
            }),
        }
    }
}

/// Configuration of a SWAG posterior: the rank `K` of its deviation matrix and the floor of
/// its diagonal variance.
#[derive(Config, Debug)]
pub struct SwagConfig {
    /// `K`, the number of most recent deviations kept (the authors' `max_num_models`; the
    /// paper uses 20). At least 2: samples divide by `sqrt(K - 1)`.
    #[config(default = 20)]
    pub rank: usize,
    /// Floor of the diagonal variance (the authors' `var_clamp`, 1e-30).
    #[config(default = 1e-30)]
    pub var_clamp: f64,
}

impl SwagConfig {
    /// Starts an empty SWAG posterior over the parameters of `live`, reserving its `K x P`
    /// deviation matrix at once so that a size the machine cannot hold is refused here.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] naming `swag_rank` when `rank < 2`, or `var_clamp` when it
    /// is not finite and >= 0; [`OptimError::SwagTooLarge`] when the matrix cannot be
    /// allocated.
    pub fn init<M: Module>(&self, live: &M) -> Result<Swag<M>, OptimError> {
        let template = live.valid();
        let slots = layout(&template);
        let params = slots.last().map_or(0, |s| s.offset + s.len);
        Swag::empty(self, template, slots, params)
    }
}

/// One parameter tensor's place in the flat vectors.
#[derive(Clone, Debug, PartialEq)]
struct Slot {
    id: ParamId,
    path: String,
    offset: usize,
    len: usize,
}

/// The trainable parameters of `module` in visit order, laid end to end.
fn layout<M: Module>(module: &M) -> Vec<Slot> {
    let mut slots = Vec::new();
    let mut offset = 0;
    let mut order = Vec::new();
    walk::visit_order(module, |role, id, path, len| {
        if role == Role::Param {
            order.push((id, path.to_string(), len));
        }
    });
    for (id, path, len) in order {
        slots.push(Slot {
            id,
            path,
            offset,
            len,
        });
        offset += len;
    }
    slots
}

/// A SWAG posterior: the running first and second moments of the weights and the last `K`
/// deviations from the running mean, over every trainable parameter of a module.
///
/// Built by [`SwagConfig::init`]. The moments are kept in `f64` and the deviations in `f32`,
/// on the CPU.
///
/// # What is kept
///
/// At each [`collect`](Swag::collect) (the moments SWA averages: once per epoch after
/// `swa_start` in the paper), with `n` models collected before and `w` the live weights:
///
/// ```text
/// mean    <- mean    * n / (n + 1) + w   / (n + 1)      (the SWA mean)
/// sq_mean <- sq_mean * n / (n + 1) + w^2 / (n + 1)
/// D       <- append the row  w - mean  (with the mean just updated), keep the last K rows
/// ```
///
/// exactly the arithmetic of the authors' `SWAG.collect_model` (`swag/posteriors/swag.py` of
/// wjmaddox/swa_gaussian): the deviation is taken *after* the mean update. Only trainable
/// parameters take part (the authors' `swag_parameters` turns `module._parameters` into
/// moments); batch-norm running statistics are copied from the live model at each collect,
/// as SWA's [`BufferPolicy::Copy`](super::BufferPolicy::Copy) does, and are meant to be
/// recomputed for every sample ([`recompute_batch_norm`](super::recompute_batch_norm), the
/// authors' `bn_update`). Parameters are matched by `ParamId`, never by position.
///
/// # Sampling
///
/// [`Swag::sample`] follows the authors' `sample_fullrank` (with `cov=True`):
///
/// ```text
/// var = max(sq_mean - mean^2, var_clamp)                       (var_clamp = 1e-30)
/// w   = mean + sqrt(scale) * ( sqrt(var) * z1 + D^T z2 / sqrt(K - 1) )
/// ```
///
/// with `z1 ~ N(0, I_P)`, `z2 ~ N(0, I_rows)` and `K` the configured rank (the code divides by
/// `sqrt(max_num_models - 1)` even before `K` deviations exist; so do we). The paper's
/// equation writes `1/sqrt(2)` in front of both terms; the code folds that into
/// `scale = 0.5`, which is what the paper's experiments ran. **Our `scale` is the code's**:
/// pass `0.5` for the paper's equation, `1.0` for the covariance `diag(var) + D^T D / (K - 1)`
/// itself. [`SwagCovariance::Diagonal`] drops the low-rank term (SWAG-Diagonal).
#[derive(Clone, Debug)]
pub struct Swag<M> {
    template: M,
    slots: Vec<Slot>,
    params: usize,
    rank: usize,
    var_clamp: f64,
    n_models: u64,
    mean: Vec<f64>,
    sq_mean: Vec<f64>,
    /// `rows * params` values: a ring of rows, the oldest at row `oldest`.
    deviations: Vec<f32>,
    rows: usize,
    oldest: usize,
}

impl<M: Module> Swag<M> {
    fn empty(
        config: &SwagConfig,
        template: M,
        slots: Vec<Slot>,
        params: usize,
    ) -> Result<Self, OptimError> {
        if config.rank < 2 {
            return Err(OptimError::InvalidConfig {
                field: "swag_rank",
                value: config.rank.to_string(),
                reason: "must be at least 2 (samples divide by sqrt(K - 1))".into(),
            });
        }
        if !(config.var_clamp.is_finite() && config.var_clamp >= 0.0) {
            return Err(OptimError::InvalidConfig {
                field: "var_clamp",
                value: config.var_clamp.to_string(),
                reason: "must be a finite number >= 0".into(),
            });
        }
        let too_large = || OptimError::SwagTooLarge {
            rank: config.rank,
            params,
            bytes: config.rank as u128 * params as u128 * 4,
        };
        let values = config.rank.checked_mul(params).ok_or_else(too_large)?;
        let mut deviations = Vec::new();
        deviations
            .try_reserve_exact(values)
            .map_err(|_| too_large())?;
        Ok(Self {
            template,
            slots,
            params,
            rank: config.rank,
            var_clamp: config.var_clamp,
            n_models: 0,
            mean: vec![0.0; params],
            sq_mean: vec![0.0; params],
            deviations,
            rows: 0,
            oldest: 0,
        })
    }

    /// Folds the current weights of `live` into the moments and appends their deviation from
    /// the updated mean, dropping the oldest once `K` are kept (the authors' `collect_model`).
    /// Batch-norm buffers are copied from `live`.
    ///
    /// # Errors
    ///
    /// [`OptimError::Averaging`] when `live` lacks a parameter of the posterior, has one it
    /// lacks, or one of another size; the posterior is unchanged then.
    pub fn collect(&mut self, live: &M) -> Result<(), OptimError> {
        let live = live.valid();
        let w = self.flat_weights(&live)?;
        let n = self.n_models as f64;
        let keep = n / (n + 1.0);
        let add = 1.0 / (n + 1.0);
        let row_start = if self.rows < self.rank {
            self.deviations.resize((self.rows + 1) * self.params, 0.0);
            self.rows += 1;
            (self.rows - 1) * self.params
        } else {
            let start = self.oldest * self.params;
            self.oldest = (self.oldest + 1) % self.rank;
            start
        };
        let row = &mut self.deviations[row_start..row_start + self.params];
        for (i, &wi) in w.iter().enumerate() {
            let wi = f64::from(wi);
            let mean = self.mean[i] * keep + wi * add;
            self.mean[i] = mean;
            self.sq_mean[i] = self.sq_mean[i] * keep + wi * wi * add;
            row[i] = (wi - mean) as f32;
        }
        self.n_models += 1;
        self.template = live;
        Ok(())
    }

    /// The parameters of `live` as one flat vector in the posterior's layout, checked.
    fn flat_weights(&self, live: &M) -> Result<Vec<f32>, OptimError> {
        let entries = walk::collect(live);
        let mut flat = Vec::with_capacity(self.params);
        for slot in &self.slots {
            let Some(entry) = entries.get(&slot.id) else {
                return Err(averaging(format!(
                    "the live model has no tensor for {}",
                    slot.path
                )));
            };
            let values: Vec<f32> = entry
                .value
                .clone()
                .try_into_vec_as()
                .map_err(|e| averaging(format!("reading {}: {e:?}", slot.path)))?;
            if values.len() != slot.len {
                return Err(averaging(format!(
                    "{} has {} values in the posterior but {} in the live model",
                    slot.path,
                    slot.len,
                    values.len()
                )));
            }
            flat.extend_from_slice(&values);
        }
        let params = entries.values().filter(|e| e.role == Role::Param).count();
        if params != self.slots.len() {
            return Err(averaging(format!(
                "the live model has {params} parameter tensors, the posterior {} (another \
                 architecture?)",
                self.slots.len()
            )));
        }
        Ok(flat)
    }

    /// How many models were collected.
    pub fn n_models(&self) -> u64 {
        self.n_models
    }

    /// The configured rank `K`.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The variance floor.
    pub fn var_clamp(&self) -> f64 {
        self.var_clamp
    }

    /// The number of parameters `P` (scalars) the posterior covers.
    pub fn num_params(&self) -> usize {
        self.params
    }

    /// The running mean of the weights (the SWA mean), flat, in the module's visit order.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The running mean of the squared weights, flat.
    pub fn sq_mean(&self) -> &[f64] {
        &self.sq_mean
    }

    /// The diagonal variance the samples use, `max(sq_mean - mean^2, var_clamp)`.
    pub fn variance(&self) -> Vec<f64> {
        self.mean
            .iter()
            .zip(&self.sq_mean)
            .map(|(m, s)| (s - m * m).max(self.var_clamp))
            .collect()
    }

    /// The kept deviations `w_i - mean_i`, oldest first (the rows of the authors'
    /// `cov_mat_sqrt`), at most `K` of them.
    pub fn deviations(&self) -> Vec<&[f32]> {
        (0..self.rows)
            .map(|i| {
                let r = (self.oldest + i) % self.rows.max(1);
                &self.deviations[r * self.params..(r + 1) * self.params]
            })
            .collect()
    }

    /// The module with the mean weights (the SWA average of the collected models) and the
    /// batch-norm buffers of the last collected model.
    ///
    /// # Errors
    ///
    /// [`OptimError::Averaging`] before the first collect.
    pub fn mean_model(&self) -> Result<M, OptimError> {
        self.require_models()?;
        let mean: Vec<f32> = self.mean.iter().map(|&v| v as f32).collect();
        Ok(self.with_weights(&mean))
    }

    /// Draws a sample of the weights with `scale` (0.5 for the paper's equation, see
    /// [`Swag`]'s sampling section), the normal draws taken from `rng` (`z1` first, then `z2`, by the
    /// Box-Muller transform).
    ///
    /// # Errors
    ///
    /// [`OptimError::Averaging`] before the first collect; [`OptimError::InvalidConfig`]
    /// naming `swag_scale` when `scale` is not finite and >= 0.
    pub fn sample<R: rand::Rng + ?Sized>(
        &self,
        scale: f64,
        covariance: SwagCovariance,
        rng: &mut R,
    ) -> Result<M, OptimError> {
        let mut normal = Normals::default();
        let z1: Vec<f64> = (0..self.params).map(|_| normal.next(rng)).collect();
        let z2: Vec<f64> = match covariance {
            SwagCovariance::LowRank => (0..self.rows).map(|_| normal.next(rng)).collect(),
            SwagCovariance::Diagonal => Vec::new(),
        };
        self.sample_with(scale, &z1, &z2)
    }

    /// The sample for given normal draws: `z1` of length `P`, `z2` of length
    /// [`deviations().len()`](Self::deviations) (or empty for a diagonal-only sample).
    ///
    /// # Errors
    ///
    /// As [`sample`](Self::sample), and [`OptimError::Averaging`] when `z1` or `z2` has
    /// another length.
    pub fn sample_with(&self, scale: f64, z1: &[f64], z2: &[f64]) -> Result<M, OptimError> {
        let w = self.sample_values(scale, z1, z2)?;
        let w: Vec<f32> = w.iter().map(|&v| v as f32).collect();
        Ok(self.with_weights(&w))
    }

    /// The flat sampled weights for given normal draws (see [`sample_with`](Self::sample_with)),
    /// in `f64`.
    ///
    /// # Errors
    ///
    /// As [`sample_with`](Self::sample_with).
    pub fn sample_values(
        &self,
        scale: f64,
        z1: &[f64],
        z2: &[f64],
    ) -> Result<Vec<f64>, OptimError> {
        self.require_models()?;
        if !(scale.is_finite() && scale >= 0.0) {
            return Err(OptimError::InvalidConfig {
                field: "swag_scale",
                value: scale.to_string(),
                reason: "must be a finite number >= 0".into(),
            });
        }
        if z1.len() != self.params || !(z2.is_empty() || z2.len() == self.rows) {
            return Err(averaging(format!(
                "normal draws of lengths {} and {} given, {} and {} (or 0) needed",
                z1.len(),
                z2.len(),
                self.params,
                self.rows
            )));
        }
        let mut noise: Vec<f64> = self
            .variance()
            .iter()
            .zip(z1)
            .map(|(v, z)| v.sqrt() * z)
            .collect();
        if !z2.is_empty() {
            let norm = ((self.rank - 1) as f64).sqrt();
            for (row, &z) in self.deviations().into_iter().zip(z2) {
                let factor = z / norm;
                for (n, &d) in noise.iter_mut().zip(row) {
                    *n += f64::from(d) * factor;
                }
            }
        }
        let root = scale.sqrt();
        Ok(self
            .mean
            .iter()
            .zip(noise)
            .map(|(m, n)| m + root * n)
            .collect())
    }

    fn require_models(&self) -> Result<(), OptimError> {
        if self.n_models == 0 {
            return Err(averaging("no model was collected yet".into()));
        }
        Ok(())
    }

    /// The template module with its parameters set from the flat vector `w`.
    fn with_weights(&self, w: &[f32]) -> M {
        let places: HashMap<ParamId, (usize, usize)> = self
            .slots
            .iter()
            .map(|s| (s.id, (s.offset, s.len)))
            .collect();
        walk::rewrite(
            self.template.clone(),
            |role, id, _path, value: Tensor<1>| {
                if role != Role::Param {
                    return None;
                }
                let &(offset, len) = places.get(&id)?;
                let data = TensorData::new(w[offset..offset + len].to_vec(), [len]);
                Some(Tensor::from_data(data, (&value.device(), value.dtype())))
            },
        )
    }

    /// The posterior as bytes (the run folder's `swag.bin`, see [`from_bytes`](Self::from_bytes)).
    ///
    /// Layout: the 8 bytes `DSWAG01\n`, a little-endian `u64` header length, the JSON header
    /// (`rank`, `var_clamp`, `n_models`, `rows`, `params` as `[{path, len}]` in order), then
    /// `P` little-endian `f64` means, `P` `f64` second moments and `rows x P` `f32` deviations,
    /// oldest row first. The same posterior always gives the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header {
            rank: self.rank,
            var_clamp: self.var_clamp,
            n_models: self.n_models,
            rows: self.rows,
            params: self
                .slots
                .iter()
                .map(|s| HeaderSlot {
                    path: s.path.clone(),
                    len: s.len,
                })
                .collect(),
        };
        // A struct of strings and numbers always serializes.
        let header = serde_json::to_vec(&header).unwrap_or_default();
        let mut out = Vec::with_capacity(16 + header.len() + self.params * (16 + 4 * self.rows));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        for v in self.mean.iter().chain(&self.sq_mean) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for row in self.deviations() {
            for v in row {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }

    /// Rebuilds a posterior written by [`to_bytes`](Self::to_bytes) for the parameters of
    /// `live` (the model the posterior was collected from: same parameter paths and sizes, in
    /// the same order); its batch-norm buffers become the template's.
    ///
    /// # Errors
    ///
    /// [`OptimError::Averaging`] saying what does not fit (magic, header, sizes, a parameter
    /// of another path or size); [`OptimError::InvalidConfig`] / [`OptimError::SwagTooLarge`]
    /// as [`SwagConfig::init`] for the header's rank.
    pub fn from_bytes(live: &M, bytes: &[u8]) -> Result<Self, OptimError> {
        let bad = |reason: String| averaging(format!("reading a swag posterior: {reason}"));
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return Err(bad("it does not start with the swag magic bytes".into()));
        }
        let mut len = [0_u8; 8];
        len.copy_from_slice(&bytes[8..16]);
        let header_len = usize::try_from(u64::from_le_bytes(len))
            .ok()
            .filter(|&n| n <= bytes.len() - 16)
            .ok_or_else(|| bad("its header length runs past the end".into()))?;
        let header: Header = serde_json::from_slice(&bytes[16..16 + header_len])
            .map_err(|e| bad(format!("its header: {e}")))?;
        let template = live.valid();
        let slots = layout(&template);
        let ours: Vec<(&str, usize)> = slots.iter().map(|s| (s.path.as_str(), s.len)).collect();
        let theirs: Vec<(&str, usize)> = header
            .params
            .iter()
            .map(|s| (s.path.as_str(), s.len))
            .collect();
        if ours != theirs {
            return Err(bad(format!(
                "it covers {} parameter tensors that do not match the model's {} (another \
                 architecture?)",
                theirs.len(),
                ours.len()
            )));
        }
        let params = slots.last().map_or(0, |s| s.offset + s.len);
        if header.rows > header.rank || (header.rows as u64) > header.n_models {
            return Err(bad(format!(
                "{} deviation rows for rank {} and {} models",
                header.rows, header.rank, header.n_models
            )));
        }
        let body = &bytes[16 + header_len..];
        let expected = params
            .checked_mul(16)
            .and_then(|m| params.checked_mul(4 * header.rows).map(|d| (m, d)))
            .and_then(|(m, d)| m.checked_add(d));
        if expected != Some(body.len()) {
            return Err(bad(format!(
                "its body has {} bytes, not the {} that {params} parameters and {} rows take",
                body.len(),
                expected.map_or_else(|| "overflowing".into(), |e| e.to_string()),
                header.rows
            )));
        }
        let config = SwagConfig::new()
            .with_rank(header.rank)
            .with_var_clamp(header.var_clamp);
        let mut swag = Self::empty(&config, template, slots, params)?;
        let f64s = |chunk: &[u8]| {
            chunk
                .chunks_exact(8)
                .map(|b| {
                    let mut a = [0_u8; 8];
                    a.copy_from_slice(b);
                    f64::from_le_bytes(a)
                })
                .collect::<Vec<f64>>()
        };
        swag.mean = f64s(&body[..8 * params]);
        swag.sq_mean = f64s(&body[8 * params..16 * params]);
        swag.deviations
            .extend(body[16 * params..].chunks_exact(4).map(|b| {
                let mut a = [0_u8; 4];
                a.copy_from_slice(b);
                f32::from_le_bytes(a)
            }));
        swag.rows = header.rows;
        swag.n_models = header.n_models;
        Ok(swag)
    }
}

const MAGIC: &[u8; 8] = b"DSWAG01\n";

#[derive(Serialize, Deserialize)]
struct Header {
    rank: usize,
    var_clamp: f64,
    n_models: u64,
    rows: usize,
    params: Vec<HeaderSlot>,
}

#[derive(Serialize, Deserialize)]
struct HeaderSlot {
    path: String,
    len: usize,
}

fn averaging(reason: String) -> OptimError {
    OptimError::Averaging { what: WHAT, reason }
}

/// Standard normal draws by the Box-Muller transform, two per pair of uniforms.
#[derive(Default)]
struct Normals {
    spare: Option<f64>,
}

impl Normals {
    fn next<R: rand::Rng + ?Sized>(&mut self, rng: &mut R) -> f64 {
        use rand::RngExt;
        if let Some(z) = self.spare.take() {
            return z;
        }
        // u1 in (0, 1]: 1 - [0, 1) keeps ln(u1) finite.
        let u1 = 1.0 - rng.random::<f64>();
        let u2 = rng.random::<f64>();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = std::f64::consts::TAU * u2;
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::averaging::test_utils::{floats, linear_with, values};
    use burn::nn::{BatchNormConfig, Linear, LinearConfig};
    use burn::tensor::Device;
    use rand::SeedableRng;

    /// The weights of step `t` of the reference sequence (see the script below), as f32.
    fn step_weights(t: usize) -> ([[f32; 2]; 3], [f32; 2]) {
        let t = t as f64;
        let mut w = [[0.0; 2]; 3];
        for (i, row) in w.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = (1.0 + 0.7 * t + 1.3 * i as f64 + 0.4 * j as f64).sin() as f32;
            }
        }
        let b = [0, 1].map(|j| (0.5 + 0.9 * t + 2.1 * j as f64).cos() as f32);
        (w, b)
    }

    fn flat(model: &Linear) -> Vec<f64> {
        values(model).iter().flat_map(floats).collect()
    }

    fn assert_close(got: &[f64], expected: &[f64], tol: f64, what: &str) {
        assert_eq!(got.len(), expected.len(), "{what}: lengths");
        for (i, (g, e)) in got.iter().zip(expected).enumerate() {
            assert!((g - e).abs() <= tol, "{what}[{i}]: got {g}, expected {e}");
        }
    }

    fn collected(device: &Device) -> (Linear, Swag<Linear>) {
        let base = LinearConfig::new(3, 2).init(device);
        let mut swag = SwagConfig::new().with_rank(4).init(&base).expect("valid");
        for t in 0..6 {
            let (w, b) = step_weights(t);
            swag.collect(&linear_with(&base, w, b)).expect("same model");
        }
        (base, swag)
    }

    // Reference: the authors' collect_model and sample_fullrank(cov=True) arithmetic
    // (wjmaddox/swa_gaussian, swag/posteriors/swag.py), line by line in float64 torch,
    // run with ~/.cache/torch-venv/bin/python (torch 2.15):
    //
    // import math, torch
    // torch.set_default_dtype(torch.float64)
    // K = 4
    // def weights(t):
    //     w = torch.tensor([[math.sin(1 + 0.7*t + 1.3*i + 0.4*j) for j in range(2)] for i in range(3)])
    //     b = torch.tensor([math.cos(0.5 + 0.9*t + 2.1*j) for j in range(2)])
    //     return [w.float().double(), b.float().double()]   # the Rust model holds f32
    // n_models = 0
    // mean = [torch.zeros(3, 2), torch.zeros(2)]
    // sq_mean = [torch.zeros(3, 2), torch.zeros(2)]
    // cov_mat_sqrt = [torch.zeros(0, 6), torch.zeros(0, 2)]
    // for t in range(6):
    //     for k, base_param in enumerate(weights(t)):
    //         mean[k] = mean[k] * n_models / (n_models + 1.0) + base_param / (n_models + 1.0)
    //         sq_mean[k] = sq_mean[k] * n_models / (n_models + 1.0) + base_param ** 2 / (n_models + 1.0)
    //         dev = (base_param - mean[k]).view(-1, 1)
    //         cov_mat_sqrt[k] = torch.cat((cov_mat_sqrt[k], dev.view(-1, 1).t()), dim=0)
    //         if (n_models + 1) > K:
    //             cov_mat_sqrt[k] = cov_mat_sqrt[k][1:, :]
    //     n_models += 1
    // flat = lambda l: torch.cat([x.reshape(-1) for x in l])
    // print("mean", flat(mean).tolist())
    // print("sq_mean", flat(sq_mean).tolist())
    // D = torch.cat(cov_mat_sqrt, dim=1)
    // print("deviations", D.tolist())
    // scale = 0.5
    // z1 = torch.tensor([math.sin(3.0 * i + 0.2) for i in range(8)])
    // z2 = torch.tensor([math.cos(1.7 * i + 0.3) for i in range(4)])
    // var = torch.clamp(flat(sq_mean) - flat(mean) ** 2, 1e-30)
    // var_sample = var.sqrt() * z1
    // cov_sample = D.t().matmul(z2) / (K - 1) ** 0.5
    // print("sample", (flat(mean) + scale ** 0.5 * (var_sample + cov_sample)).tolist())
    // print("diag_sample", (flat(mean) + scale ** 0.5 * var_sample).tolist())
    //
    // Burn's Linear(3, 2) weight is [3, 2] like the script's; visit order: weight, bias.
    const MEAN: [f64; 8] = [
        0.16013193875551215,
        -0.0035273979107539044,
        -0.33083831518888474,
        -0.40520544722676277,
        -0.3371296611924966,
        -0.2132565702001254,
        -0.15136381487051645,
        0.02246412634849547,
    ];
    const SQ_MEAN: [f64; 8] = [
        0.5798978672339962,
        0.6127275026780423,
        0.47254199469366664,
        0.4024278633147088,
        0.467159050948106,
        0.5544894309607726,
        0.4417405027765648,
        0.5791156909124814,
    ];
    const DEVIATIONS: [[f64; 8]; 4] = [
        [
            -0.16073646148045861,
            -0.39289426803588867,
            -0.6488324751456579,
            -0.6027976671854656,
            -0.1863873998324077,
            0.07039890686670947,
            -0.7933672567208608,
            0.39289323488871253,
        ],
        [
            -0.5959642492234707,
            -0.8089992329478264,
            -0.8029488436877728,
            -0.5855138748884201,
            0.16638852655887604,
            0.49575067684054375,
            -0.8440394923090935,
            0.940950334072113,
        ],
        [
            -0.999522241950035,
            -1.0638334214687348,
            -0.6217291444540024,
            -0.2359116435050964,
            0.6668986022472382,
            0.9376212328672409,
            -0.33645495772361755,
            1.1064944744110108,
        ],
        [
            -1.137662060558796,
            -0.9789252330859501,
            -0.1337638571858406,
            0.32211604341864586,
            1.066098698725303,
            1.1512565339605014,
            0.4350260148445765,
            0.6620825231075287,
        ],
    ];
    const SAMPLE: [f64; 8] = [
        0.35456460922808164,
        0.06305541099640201,
        -0.3022763540599431,
        -0.2987592914060119,
        -0.5433620796368636,
        -0.050975571341844716,
        -0.3649631592009521,
        0.18679834174711563,
    ];
    const DIAG_SAMPLE: [f64; 8] = [
        0.26471729678313854,
        -0.0358372374064353,
        -0.36624103190658763,
        -0.32827832503430543,
        -0.48773571087142886,
        0.032124473799643366,
        -0.42814654188889334,
        0.40497733227351324,
    ];

    #[test]
    fn moments_and_deviations_match_the_authors_collect_model() {
        let (_, swag) = collected(&Device::flex());
        assert_eq!(swag.n_models(), 6);
        assert_close(swag.mean(), &MEAN, 1e-6, "mean");
        assert_close(swag.sq_mean(), &SQ_MEAN, 1e-6, "sq_mean");
        let rows = swag.deviations();
        assert_eq!(rows.len(), 4, "the last K = 4 deviations");
        for (k, (row, expected)) in rows.iter().zip(&DEVIATIONS).enumerate() {
            let row: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
            assert_close(&row, expected, 1e-6, &format!("deviation row {k}"));
        }
        // The mean model is the SWA mean.
        assert_close(
            &flat(&swag.mean_model().expect("collected")),
            &MEAN,
            1e-6,
            "mean model",
        );
    }

    #[test]
    fn a_sample_with_given_normals_matches_the_authors_formula() {
        let (_, swag) = collected(&Device::flex());
        let z1: Vec<f64> = (0..8).map(|i| (3.0 * i as f64 + 0.2).sin()).collect();
        let z2: Vec<f64> = (0..4).map(|i| (1.7 * i as f64 + 0.3).cos()).collect();
        let sample = swag.sample_with(0.5, &z1, &z2).expect("valid draws");
        assert_close(&flat(&sample), &SAMPLE, 1e-6, "sample");
        let diagonal = swag.sample_with(0.5, &z1, &[]).expect("valid draws");
        assert_close(&flat(&diagonal), &DIAG_SAMPLE, 1e-6, "diagonal sample");
        // Wrong lengths are refused, not truncated.
        assert!(swag.sample_with(0.5, &z1[..7], &z2).is_err());
        assert!(swag.sample_with(0.5, &z1, &z2[..3]).is_err());
        let err = swag
            .sample_with(-1.0, &z1, &z2)
            .expect_err("negative scale");
        assert!(err.to_string().contains("swag_scale"), "{err}");
    }

    // The covariance of the samples is scale * (diag(var) + D^T D / (K - 1)) by the paper's
    // definition; over N seeded draws the sample mean and (co)variances must fall within 5
    // standard errors: sqrt(S_ii / N) for a mean, S_ii * sqrt(2 / (N - 1)) for a variance and
    // sqrt((S_ii S_jj + S_ij^2) / N) for a covariance (normal theory).
    #[test]
    fn sample_moments_match_the_low_rank_plus_diagonal_covariance() {
        let (_, swag) = collected(&Device::flex());
        let scale = 0.5;
        let k = swag.rank() as f64;
        let var = swag.variance();
        let rows = swag.deviations();
        let sigma = |i: usize, j: usize| {
            let low: f64 = rows
                .iter()
                .map(|r| f64::from(r[i]) * f64::from(r[j]))
                .sum::<f64>()
                / (k - 1.0);
            scale * (low + if i == j { var[i] } else { 0.0 })
        };
        for covariance in [SwagCovariance::LowRank, SwagCovariance::Diagonal] {
            let n = 3000;
            let mut rng = rand::rngs::StdRng::seed_from_u64(11);
            let draws: Vec<Vec<f64>> = (0..n)
                .map(|_| flat(&swag.sample(scale, covariance, &mut rng).expect("collected")))
                .collect();
            let nf = n as f64;
            let mean: Vec<f64> = (0..8)
                .map(|i| draws.iter().map(|d| d[i]).sum::<f64>() / nf)
                .collect();
            let cov = |i: usize, j: usize| {
                draws
                    .iter()
                    .map(|d| (d[i] - mean[i]) * (d[j] - mean[j]))
                    .sum::<f64>()
                    / (nf - 1.0)
            };
            let expected = |i: usize, j: usize| match covariance {
                SwagCovariance::LowRank => sigma(i, j),
                SwagCovariance::Diagonal if i == j => scale * var[i],
                SwagCovariance::Diagonal => 0.0,
            };
            for i in 0..8 {
                let s = expected(i, i);
                let se = (s / nf).sqrt();
                assert!(
                    (mean[i] - MEAN[i]).abs() < 5.0 * se,
                    "{covariance} mean {i}"
                );
                let se = s * (2.0 / (nf - 1.0)).sqrt();
                assert!(
                    (cov(i, i) - s).abs() < 5.0 * se,
                    "{covariance} var {i}: {} vs {s}",
                    cov(i, i)
                );
                for j in 0..i {
                    let sij = expected(i, j);
                    let se = ((s * expected(j, j) + sij * sij) / nf).sqrt();
                    assert!(
                        (cov(i, j) - sij).abs() < 5.0 * se,
                        "{covariance} cov {i},{j}: {} vs {sij}",
                        cov(i, j)
                    );
                }
            }
        }
    }

    #[test]
    fn bytes_round_trip_exactly_and_resume_collecting_identically() {
        let device = Device::flex();
        let base = LinearConfig::new(3, 2).init(&device);
        let config = SwagConfig::new().with_rank(3);
        let mut straight = config.init(&base).expect("valid");
        let mut resumed = config.init(&base).expect("valid");
        for t in 0..7 {
            let (w, b) = step_weights(t);
            let live = linear_with(&base, w, b);
            straight.collect(&live).expect("same model");
            resumed.collect(&live).expect("same model");
            // Stop and restart from bytes after every collect.
            resumed = Swag::from_bytes(&live, &resumed.to_bytes()).expect("round trip");
            assert_eq!(resumed.to_bytes(), straight.to_bytes(), "after collect {t}");
        }
        // Damaged or foreign bytes are refused with a reason.
        let bytes = straight.to_bytes();
        let err = Swag::from_bytes(&base, &bytes[..bytes.len() - 1]).expect_err("short");
        assert!(err.to_string().contains("body has"), "{err}");
        let err = Swag::from_bytes(&base, b"not a swag file at all").expect_err("magic");
        assert!(err.to_string().contains("magic"), "{err}");
        let other = LinearConfig::new(2, 3).init(&device);
        let err = Swag::from_bytes(&other, &bytes).expect_err("other shape");
        assert!(err.to_string().contains("do not match"), "{err}");
    }

    #[test]
    fn bad_rank_and_oversized_matrices_are_typed_errors() {
        let device = Device::flex();
        let model = LinearConfig::new(3, 2).init(&device);
        for rank in [0, 1] {
            match SwagConfig::new().with_rank(rank).init(&model) {
                Err(OptimError::InvalidConfig { field, .. }) => assert_eq!(field, "swag_rank"),
                other => panic!("rank {rank}: {:?}", other.map(|s| s.rank())),
            }
        }
        match SwagConfig::new().with_rank(usize::MAX / 2).init(&model) {
            Err(OptimError::SwagTooLarge {
                rank,
                params,
                bytes,
            }) => {
                assert_eq!((rank, params), (usize::MAX / 2, 8));
                assert_eq!(bytes, (usize::MAX / 2) as u128 * 32);
            }
            other => panic!("expected SwagTooLarge, got {:?}", other.map(|s| s.rank())),
        }
        let swag = SwagConfig::new().init(&model).expect("valid");
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert!(swag.sample(0.5, SwagCovariance::LowRank, &mut rng).is_err());
        assert!(swag.mean_model().is_err());
    }

    #[test]
    fn batch_norm_buffers_are_copied_not_sampled() {
        let device = Device::flex().autodiff();
        let norm = BatchNormConfig::new(2).init(&device);
        let mut swag = SwagConfig::new().with_rank(2).init(&norm).expect("valid");
        // gamma and beta are the parameters; running mean/var are not in the posterior.
        assert_eq!(swag.num_params(), 4);
        let x = Tensor::<2>::from_floats([[1.0, 5.0], [3.0, -1.0]], &device);
        let trained = norm.clone();
        let _ = trained.forward(x);
        swag.collect(&trained).expect("same model");
        let sample = swag
            .sample(
                1.0,
                SwagCovariance::LowRank,
                &mut rand::rngs::StdRng::seed_from_u64(3),
            )
            .expect("collected");
        assert_eq!(
            floats(&sample.running_mean.value().reshape([2])),
            floats(&trained.valid().running_mean.value().reshape([2]))
        );
    }

    #[test]
    fn covariance_names_round_trip() {
        for c in [SwagCovariance::LowRank, SwagCovariance::Diagonal] {
            assert_eq!(c.to_string().parse::<SwagCovariance>(), Ok(c));
        }
        assert!("full-rank?".parse::<SwagCovariance>().is_err());
    }
}
