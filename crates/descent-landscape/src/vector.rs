//! [`ParamVector`]: a point or a direction in a module's parameter space.
//!
//! One flat tensor per float tensor of the module, keyed by its path (`Mlp.hidden.0.weight`,
//! `Vgg.features.0.norm.gamma`), with its shape, its [`ParamKind`] and its filter axis.
//! Directions, interpolation, scans (and later PCA and curvature) all work on this one type.
//!
//! Paths, not Burn's `ParamId`s, identify parameters: ids are random per initialisation, while
//! paths are the same for every model built from one architecture.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::kind::{ParamKind, filter_axis};

/// Where one tensor sits in a module and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamInfo {
    /// The dotted path of module field names, e.g. `Vgg.features.0.conv.weight`.
    pub path: String,
    /// The tensor's shape.
    pub shape: Vec<usize>,
    /// What the tensor is.
    pub kind: ParamKind,
    /// The axis whose slices are filters (see [`filter_axis`]).
    pub filter_axis: usize,
}

impl ParamInfo {
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// The tensor viewed as a matrix `[rows, cols]` whose filters are rows (`filter_axis` 0)
    /// or columns (`filter_axis` 1), and the axis of that matrix to reduce over to get one
    /// norm per filter.
    pub(crate) fn filter_matrix(&self) -> ([usize; 2], usize) {
        let numel = self.numel();
        match (self.filter_axis, self.shape.as_slice()) {
            (1, [rows, cols]) => ([*rows, *cols], 0),
            (_, [first, ..]) if *first > 0 => ([*first, numel / first], 1),
            _ => ([numel, 1], 1),
        }
    }
}

/// One tensor of a [`ParamVector`]: its description and its values, flattened.
#[derive(Debug, Clone)]
pub struct ParamEntry {
    /// Path, shape, kind.
    pub info: ParamInfo,
    /// The values, flattened in row-major order.
    pub value: Tensor<1>,
}

/// A vector in a module's parameter space: one flat tensor per float tensor of the module,
/// in the module's visiting order, keyed by path.
///
/// Two vectors combine only if they have the same paths and shapes (same architecture);
/// otherwise the operation returns [`LandscapeError::Mismatch`] naming the first difference.
#[derive(Debug, Clone)]
pub struct ParamVector {
    entries: Vec<ParamEntry>,
}

impl ParamVector {
    /// Reads every float tensor of `module` (parameters and running statistics).
    pub fn from_module<M: Module>(module: &M) -> ParamVector {
        let mut reader = Reader::default();
        module.visit(&mut reader);
        ParamVector {
            entries: reader.entries,
        }
    }

    /// Builds a vector from entries (e.g. read from a file).
    pub fn from_entries(entries: Vec<ParamEntry>) -> ParamVector {
        ParamVector { entries }
    }

    /// The entries, in the module's visiting order.
    pub fn entries(&self) -> &[ParamEntry] {
        &self.entries
    }

    /// The entries, mutable.
    pub fn entries_mut(&mut self) -> &mut [ParamEntry] {
        &mut self.entries
    }

    /// The descriptions of the entries, in order.
    pub fn infos(&self) -> Vec<ParamInfo> {
        self.entries.iter().map(|e| e.info.clone()).collect()
    }

    /// The entry at `path`, if any.
    pub fn get(&self, path: &str) -> Option<&ParamEntry> {
        self.entries.iter().find(|e| e.info.path == path)
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the vector has no tensors.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Total number of scalars.
    pub fn numel(&self) -> usize {
        self.entries.iter().map(|e| e.info.numel()).sum()
    }

    /// A vector of zeros with the same layout.
    pub fn zeros_like(&self) -> ParamVector {
        self.map(|e| e.value.zeros_like())
    }

    /// Applies `f` to every entry's values.
    pub fn map(&self, mut f: impl FnMut(&ParamEntry) -> Tensor<1>) -> ParamVector {
        ParamVector {
            entries: self
                .entries
                .iter()
                .map(|e| ParamEntry {
                    info: e.info.clone(),
                    value: f(e),
                })
                .collect(),
        }
    }

    /// Combines two vectors entry by entry.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Mismatch`] if the layouts differ.
    pub fn zip_map(
        &self,
        other: &ParamVector,
        mut f: impl FnMut(&ParamEntry, &ParamEntry) -> Tensor<1>,
    ) -> Result<ParamVector, LandscapeError> {
        self.check_layout(other, "the first vector", "the second vector")?;
        Ok(ParamVector {
            entries: self
                .entries
                .iter()
                .zip(&other.entries)
                .map(|(a, b)| ParamEntry {
                    info: a.info.clone(),
                    value: f(a, b),
                })
                .collect(),
        })
    }

    /// `self * factor`.
    pub fn scale(&self, factor: f64) -> ParamVector {
        self.map(|e| e.value.clone().mul_scalar(factor))
    }

    /// `self + alpha * other` (BLAS's axpy).
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Mismatch`] if the layouts differ.
    pub fn axpy(&self, alpha: f64, other: &ParamVector) -> Result<ParamVector, LandscapeError> {
        self.zip_map(other, |a, b| {
            a.value.clone() + b.value.clone().mul_scalar(alpha)
        })
    }

    /// `self - other`.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Mismatch`] if the layouts differ.
    pub fn sub(&self, other: &ParamVector) -> Result<ParamVector, LandscapeError> {
        self.zip_map(other, |a, b| a.value.clone() - b.value.clone())
    }

    /// The dot product over all entries, accumulated in `f64` per entry.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Mismatch`] if the layouts differ.
    pub fn dot(&self, other: &ParamVector) -> Result<f64, LandscapeError> {
        self.check_layout(other, "the first vector", "the second vector")?;
        Ok(self
            .entries
            .iter()
            .zip(&other.entries)
            .map(|(a, b)| {
                (a.value.clone() * b.value.clone())
                    .sum()
                    .into_scalar::<f64>()
            })
            .sum())
    }

    /// The Euclidean norm over all entries.
    pub fn norm(&self) -> f64 {
        self.entries
            .iter()
            .map(|e| e.value.clone().powi_scalar(2).sum().into_scalar::<f64>())
            .sum::<f64>()
            .sqrt()
    }

    /// The cosine of the angle between two vectors (0 if either is zero).
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Mismatch`] if the layouts differ.
    pub fn cosine(&self, other: &ParamVector) -> Result<f64, LandscapeError> {
        let dot = self.dot(other)?;
        let norms = self.norm() * other.norm();
        Ok(if norms > 0.0 { dot / norms } else { 0.0 })
    }

    /// The same vector on another device.
    pub fn to_device(&self, device: &Device) -> ParamVector {
        self.map(|e| e.value.clone().to_device(device))
    }

    /// The values of every entry, copied to the host.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] if a tensor cannot be read as `f32` (never for the
    /// float tensors of a module).
    pub fn to_host(&self) -> Result<Vec<Vec<f32>>, LandscapeError> {
        self.entries
            .iter()
            .map(|e| {
                e.value.to_data().try_to_vec::<f32>().map_err(|err| {
                    LandscapeError::invalid("tensor", &e.info.path, format!("{err:?}"))
                })
            })
            .collect()
    }

    /// Builds a vector from host values (one `Vec` per entry of `infos`).
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] if a value count does not match its shape.
    pub fn from_host(
        infos: &[ParamInfo],
        values: Vec<Vec<f32>>,
        device: &Device,
    ) -> Result<ParamVector, LandscapeError> {
        if infos.len() != values.len() {
            return Err(LandscapeError::invalid(
                "values",
                values.len(),
                format!("expected one array per parameter ({})", infos.len()),
            ));
        }
        let entries = infos
            .iter()
            .zip(values)
            .map(|(info, data)| {
                if data.len() != info.numel() {
                    return Err(LandscapeError::invalid(
                        "values",
                        &info.path,
                        format!("{} numbers for shape {:?}", data.len(), info.shape),
                    ));
                }
                let n = data.len();
                Ok(ParamEntry {
                    info: info.clone(),
                    value: Tensor::from_data(TensorData::new(data, [n]), device),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ParamVector { entries })
    }

    /// Checks that `other` has the same paths and shapes, in the same order.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Mismatch`] naming `left`, `right` and the first differing path.
    pub fn check_layout(
        &self,
        other: &ParamVector,
        left: &str,
        right: &str,
    ) -> Result<(), LandscapeError> {
        check_infos(&self.infos(), &other.infos(), left, right)
    }

    /// Writes the vector's values into `module`'s tensors with the same paths, keeping the
    /// module's structure, parameter ids and training flags (a [`ModuleMapper`], no
    /// re-initialisation). Entries of kind [`ParamKind::Buffer`] are written only if
    /// `buffers` is true.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Mismatch`] if the module's tensors are not this vector's paths and
    /// shapes.
    pub fn load_into<M: Module>(&self, module: M, buffers: bool) -> Result<M, LandscapeError> {
        let layout = ParamVector::from_module_infos(&module);
        check_infos(&layout, &self.infos(), "the model", "the parameter vector")?;
        let mut writer = Writer {
            entries: &self.entries,
            next: 0,
            buffers,
        };
        Ok(module.map(&mut writer))
    }

    /// The paths, shapes and kinds of `module`'s tensors, without copying values.
    pub fn from_module_infos<M: Module>(module: &M) -> Vec<ParamInfo> {
        let mut reader = Reader {
            infos_only: true,
            ..Reader::default()
        };
        module.visit(&mut reader);
        reader.infos
    }
}

/// Compares two layouts; the error names the first difference.
pub(crate) fn check_infos(
    a: &[ParamInfo],
    b: &[ParamInfo],
    left: &str,
    right: &str,
) -> Result<(), LandscapeError> {
    let mismatch = |detail: String| LandscapeError::Mismatch {
        left: left.to_string(),
        right: right.to_string(),
        detail,
    };
    for (x, y) in a.iter().zip(b) {
        if x.path != y.path {
            return Err(mismatch(format!(
                "parameter `{}` where the other has `{}`",
                x.path, y.path
            )));
        }
        if x.shape != y.shape {
            return Err(mismatch(format!(
                "`{}` has shape {:?} in one and {:?} in the other",
                x.path, x.shape, y.shape
            )));
        }
    }
    match a.len().cmp(&b.len()) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Greater => Err(mismatch(format!(
            "`{}` is missing from {right}",
            a[b.len()].path
        ))),
        std::cmp::Ordering::Less => Err(mismatch(format!(
            "`{}` is missing from {left}",
            b[a.len()].path
        ))),
    }
}

/// Tracks the path and the innermost container type while visiting.
#[derive(Default)]
struct PathStack {
    names: Vec<String>,
    containers: Vec<String>,
}

impl PathStack {
    fn enter(&mut self, name: &str, container: &str) {
        self.names.push(name.to_string());
        self.containers.push(container.to_string());
    }

    fn exit(&mut self) {
        self.names.pop();
        self.containers.pop();
    }

    fn info(&self, shape: Vec<usize>) -> ParamInfo {
        let field = self.names.last().map(String::as_str).unwrap_or("");
        let container = self.containers.last().map(String::as_str).unwrap_or("");
        ParamInfo {
            path: self.names.join("."),
            kind: ParamKind::classify(container, field),
            filter_axis: filter_axis(container, shape.len()),
            shape,
        }
    }
}

#[derive(Default)]
struct Reader {
    stack: PathStack,
    entries: Vec<ParamEntry>,
    infos: Vec<ParamInfo>,
    infos_only: bool,
}

impl ModuleVisitor for Reader {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.stack.enter(name, container_type);
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.stack.exit();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let shape: Vec<usize> = param.lazy_shape().to_vec();
        let info = self.stack.info(shape);
        if self.infos_only {
            self.infos.push(info);
            return;
        }
        let numel = info.numel();
        let value = param.val().reshape([numel]);
        self.entries.push(ParamEntry { info, value });
    }
}

struct Writer<'a> {
    entries: &'a [ParamEntry],
    next: usize,
    buffers: bool,
}

impl ModuleMapper for Writer<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(entry) = self.entries.get(self.next) else {
            return param;
        };
        self.next += 1;
        if entry.info.kind == ParamKind::Buffer && !self.buffers {
            return param;
        }
        let value = entry.value.clone();
        param.map(|old| {
            let dims: [usize; D] = old.dims();
            value.reshape(dims)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_utils::{tiny_mlp, tiny_vgg};

    #[test]
    fn reads_paths_kinds_and_shapes() {
        let device = Device::flex();
        let vgg = tiny_vgg(&device);
        let v = ParamVector::from_module(&vgg);
        let conv = v.get("Vgg.features.0.conv.weight").expect("conv weight");
        assert_eq!(conv.info.kind, ParamKind::Weight);
        assert_eq!(conv.info.shape.len(), 4);
        assert_eq!(conv.info.filter_axis, 0);
        let fc = v.get("Vgg.classifier.weight").expect("classifier");
        assert_eq!(fc.info.filter_axis, 1);
        assert_eq!(
            v.get("Vgg.features.0.norm.gamma").expect("gamma").info.kind,
            ParamKind::Norm
        );
        assert_eq!(
            v.get("Vgg.features.0.norm.running_mean")
                .expect("running mean")
                .info
                .kind,
            ParamKind::Buffer
        );
        assert_eq!(
            v.get("Vgg.features.0.conv.bias").expect("bias").info.kind,
            ParamKind::Bias
        );
        assert_eq!(
            ParamVector::from_module_infos(&vgg),
            v.infos(),
            "layout without values"
        );
    }

    #[test]
    fn arithmetic_matches_host_math() {
        let device = Device::flex();
        let a = ParamVector::from_module(&tiny_mlp(&device, 1));
        let b = ParamVector::from_module(&tiny_mlp(&device, 2));
        let ha: Vec<f64> = a
            .to_host()
            .expect("host")
            .concat()
            .iter()
            .map(|&x| x as f64)
            .collect();
        let hb: Vec<f64> = b
            .to_host()
            .expect("host")
            .concat()
            .iter()
            .map(|&x| x as f64)
            .collect();
        let dot: f64 = ha.iter().zip(&hb).map(|(x, y)| x * y).sum();
        let norm: f64 = ha.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!((a.dot(&b).expect("dot") - dot).abs() < 1e-5 * (1.0 + dot.abs()));
        assert!((a.norm() - norm).abs() < 1e-5 * norm);
        let c = a.axpy(-2.0, &b).expect("axpy");
        let hc: Vec<f32> = c.to_host().expect("host").concat();
        for ((x, y), z) in ha.iter().zip(&hb).zip(&hc) {
            assert!(((x - 2.0 * y) as f32 - z).abs() < 1e-6);
        }
        assert!((a.scale(3.0).norm() - 3.0 * norm).abs() < 1e-4 * norm);
        assert!((a.cosine(&a).expect("cosine") - 1.0).abs() < 1e-6);
        assert_eq!(a.sub(&a).expect("sub").norm(), 0.0);
    }

    #[test]
    fn load_into_round_trips_and_respects_buffers() {
        let device = Device::flex();
        let model = tiny_vgg(&device);
        let v = ParamVector::from_module(&model);
        let doubled = v.scale(2.0);
        let loaded = doubled
            .load_into(model.clone(), false)
            .expect("same layout");
        let back = ParamVector::from_module(&loaded);
        for (e, orig) in back.entries().iter().zip(v.entries()) {
            let want = if e.info.kind == ParamKind::Buffer {
                1.0
            } else {
                2.0
            };
            let diff = (e.value.clone() - orig.value.clone().mul_scalar(want))
                .abs()
                .max()
                .into_scalar::<f32>();
            assert!(diff < 1e-6, "{}", e.info.path);
        }
        let all = doubled.load_into(model, true).expect("same layout");
        let back = ParamVector::from_module(&all);
        assert!((back.norm() - 2.0 * v.norm()).abs() < 1e-4 * v.norm());
    }

    #[test]
    fn other_architecture_is_a_mismatch_naming_the_path() {
        let device = Device::flex();
        let a = ParamVector::from_module(&tiny_mlp(&device, 1));
        let b = ParamVector::from_module(&tiny_vgg(&device));
        let err = a.dot(&b).expect_err("different models");
        assert!(matches!(err, LandscapeError::Mismatch { .. }), "{err}");
        assert!(err.to_string().contains("Mlp.hidden.0.weight"), "{err}");
        let err = a
            .load_into(tiny_vgg(&device), false)
            .expect_err("different models");
        assert!(err.to_string().contains("parameter"), "{err}");
    }
}
