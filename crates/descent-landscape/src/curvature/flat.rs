//! Flat `f64` vectors over a module's trainable parameters.
//!
//! The eigenvalue solvers, trace estimators and the spectral density work on plain `f64`
//! slices (host memory): their dot products, reorthogonalizations and tridiagonal matrices are
//! done in double precision whatever the precision of the gradients. [`FlatLayout`] maps a
//! [`ParamVector`]'s trainable entries (every kind but [`ParamKind::Buffer`]) to one such
//! vector and back, in the module's visiting order; running statistics are never part of it.
//!
//! Random vectors are seeded per purpose: [`gaussian`] and [`rademacher`] draw entry `i` from
//! one generator seeded with `seed`, so a vector depends only on its seed and length.

use burn::tensor::{DType, Tensor, TensorCreationOptions, TensorData};
use descent_data::rng::Rng;

use crate::LandscapeError;
use crate::kind::ParamKind;
use crate::vector::{ParamEntry, ParamInfo, ParamVector};

/// The floating-point type the loss and its gradients are computed in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Single precision, the type models train in.
    #[default]
    F32,
    /// Double precision: the parameters and data are cast to `f64` for the measurement.
    F64,
}

impl Precision {
    /// Burn's dtype for this precision.
    pub fn dtype(self) -> DType {
        match self {
            Precision::F32 => DType::F32,
            Precision::F64 => DType::F64,
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        })
    }
}

impl std::str::FromStr for Precision {
    type Err = LandscapeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "f32" | "float32" => Ok(Precision::F32),
            "f64" | "float64" => Ok(Precision::F64),
            _ => Err(LandscapeError::invalid(
                "precision",
                s,
                "expected f32 or f64",
            )),
        }
    }
}

/// Where each trainable entry of a layout sits in the flat vector.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatLayout {
    infos: Vec<ParamInfo>,
    /// `(entry index, offset in the flat vector)` of each trainable entry.
    spans: Vec<(usize, usize)>,
    dim: usize,
}

impl FlatLayout {
    /// The layout of `infos` (a [`ParamVector`]'s or an objective's).
    pub fn new(infos: &[ParamInfo]) -> FlatLayout {
        let mut spans = Vec::new();
        let mut dim = 0;
        for (k, info) in infos.iter().enumerate() {
            if info.kind != ParamKind::Buffer {
                spans.push((k, dim));
                dim += info.numel();
            }
        }
        FlatLayout {
            infos: infos.to_vec(),
            spans,
            dim,
        }
    }

    /// The number of trainable scalars.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The descriptions of every entry (trainable or not).
    pub fn infos(&self) -> &[ParamInfo] {
        &self.infos
    }

    /// Each trainable entry's description and its range in the flat vector.
    pub fn ranges(&self) -> impl Iterator<Item = (&ParamInfo, std::ops::Range<usize>)> {
        self.spans.iter().map(|&(k, at)| {
            let info = &self.infos[k];
            (info, at..at + info.numel())
        })
    }

    /// The trainable entries of `v`, flattened to `f64`.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Mismatch`] if `v` does not have this layout.
    pub fn flatten(&self, v: &ParamVector) -> Result<Vec<f64>, LandscapeError> {
        crate::vector::check_infos(&self.infos, &v.infos(), "the layout", "the vector")?;
        let mut out = Vec::with_capacity(self.dim);
        for &(k, _) in &self.spans {
            let data = v.entries()[k].value.to_data();
            out.extend(data.iter::<f64>());
        }
        Ok(out)
    }

    /// The vector that is `base` on running statistics and `flat` on the trainable entries,
    /// with tensors of `precision` on `base`'s device.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] if `flat` has the wrong length;
    /// [`LandscapeError::Mismatch`] if `base` does not have this layout.
    pub fn unflatten(
        &self,
        flat: &[f64],
        base: &ParamVector,
        precision: Precision,
    ) -> Result<ParamVector, LandscapeError> {
        if flat.len() != self.dim {
            return Err(LandscapeError::invalid(
                "vector",
                flat.len(),
                format!("expected {} trainable entries", self.dim),
            ));
        }
        crate::vector::check_infos(&self.infos, &base.infos(), "the layout", "the point")?;
        let mut next = self.spans.iter().peekable();
        let entries = base
            .entries()
            .iter()
            .enumerate()
            .map(|(k, e)| {
                let device = e.value.device();
                let options = TensorCreationOptions::new(device).with_dtype(precision.dtype());
                let value = match next.peek() {
                    Some(&&(index, at)) if index == k => {
                        next.next();
                        let n = e.info.numel();
                        let values = flat[at..at + n].to_vec();
                        Tensor::<1>::from_data(TensorData::new(values, [n]), options)
                    }
                    _ => {
                        if e.value.dtype() == precision.dtype() {
                            e.value.clone()
                        } else {
                            e.value.clone().cast(precision.dtype())
                        }
                    }
                };
                ParamEntry {
                    info: e.info.clone(),
                    value,
                }
            })
            .collect();
        Ok(ParamVector::from_entries(entries))
    }
}

/// `a . b`.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `|a|`.
pub fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// `y += alpha x`.
pub fn axpy(y: &mut [f64], alpha: f64, x: &[f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// `a * factor`, in place.
pub fn scale(a: &mut [f64], factor: f64) {
    for x in a.iter_mut() {
        *x *= factor;
    }
}

/// `n` independent standard normal entries from a generator seeded with `seed`.
pub fn gaussian(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.normal()).collect()
}

/// `n` independent +-1 entries (Rademacher) from a generator seeded with `seed`.
pub fn rademacher(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| if rng.coin() { 1.0 } else { -1.0 })
        .collect()
}

/// A vector of `n` zeros, allocated without aborting when memory runs out.
///
/// # Errors
///
/// [`LandscapeError::InvalidOption`] (field `what`) if the allocation fails.
pub fn try_zeros(n: usize, what: &'static str) -> Result<Vec<f64>, LandscapeError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        LandscapeError::invalid(
            what,
            n,
            format!(
                "not enough memory for another vector of {n} f64 ({:.1} MB)",
                n as f64 * 8.0 / 1e6
            ),
        )
    })?;
    v.resize(n, 0.0);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_utils::tiny_vgg;
    use burn::tensor::Device;

    #[test]
    fn flatten_skips_running_statistics_and_unflatten_restores_them() {
        let device = Device::flex();
        let theta = ParamVector::from_module(&tiny_vgg(&device));
        let layout = FlatLayout::new(&theta.infos());
        let trainable: usize = theta
            .entries()
            .iter()
            .filter(|e| e.info.kind != ParamKind::Buffer)
            .map(|e| e.info.numel())
            .sum();
        assert_eq!(layout.dim(), trainable);
        assert!(
            layout.dim() < theta.numel(),
            "the VGG has running statistics"
        );
        let flat = layout.flatten(&theta).expect("same layout");
        let host: Vec<f64> = theta
            .entries()
            .iter()
            .filter(|e| e.info.kind != ParamKind::Buffer)
            .flat_map(|e| e.value.to_data().iter::<f64>().collect::<Vec<_>>())
            .collect();
        assert_eq!(flat, host);
        let doubled: Vec<f64> = flat.iter().map(|x| 2.0 * x).collect();
        for precision in [Precision::F32, Precision::F64] {
            let back = layout
                .unflatten(&doubled, &theta, precision)
                .expect("same layout");
            for (b, t) in back.entries().iter().zip(theta.entries()) {
                assert_eq!(b.value.dtype(), precision.dtype(), "{}", b.info.path);
                let want = if b.info.kind == ParamKind::Buffer {
                    1.0
                } else {
                    2.0
                };
                let bv: Vec<f64> = b.value.to_data().iter::<f64>().collect();
                let tv: Vec<f64> = t.value.to_data().iter::<f64>().collect();
                for (x, y) in bv.iter().zip(&tv) {
                    assert!((x - want * y).abs() <= 1e-6 * y.abs(), "{}", b.info.path);
                }
            }
        }
        let err = layout
            .unflatten(&flat[1..], &theta, Precision::F32)
            .expect_err("short");
        assert!(matches!(err, LandscapeError::InvalidOption { .. }), "{err}");
    }

    #[test]
    fn random_vectors_depend_on_their_seed_only() {
        assert_eq!(gaussian(5, 3), gaussian(5, 3));
        assert_ne!(gaussian(5, 3), gaussian(5, 4));
        let r = rademacher(1000, 1);
        assert!(r.iter().all(|x| x.abs() == 1.0));
        let mean = r.iter().sum::<f64>() / 1000.0;
        assert!(mean.abs() < 0.1, "{mean}");
    }
}
