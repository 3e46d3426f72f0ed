//! The spectrum file: the eigenvalue spectral density of a checkpoint's Hessian
//! ([`SpectralDensity`]) as one `.npz` (arrays readable with `numpy.load`, and a raw
//! `meta.json` with the description).
//!
//! | array | shape | meaning |
//! |---|---|---|
//! | `nodes`, `weights` | `[probes, steps]` | each probe's quadrature nodes (Ritz values) and weights; NaN and 0 past a probe's last node |
//! | `grid`, `density` | `[bins]` | the smoothed density on its grid (integrates to 1) |
//! | `moments` | `[2]` | `sum w t` and `sum w t^2` averaged over probes: estimates of `tr(H)/n`, `tr(H^2)/n` |
//!
//! ```python
//! import numpy as np, matplotlib.pyplot as plt
//! f = np.load("spectrum.npz")
//! plt.semilogy(f["grid"], f["density"] + 1e-7)   # PyHessian's figure
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::curvature::density::{DensityOptions, SpectralDensity};
use crate::curvature::hvp::HvpOptions;
use crate::npz::{NpyArray, NpyData, Npz};
use crate::scan_file::EvalSpec;

/// Format tag of a spectrum file.
pub const SPECTRUM_FORMAT: &str = "descent-landscape-spectrum";

/// The layout version this code writes and reads.
pub const SPECTRUM_VERSION: u32 = 1;

/// What `meta.json` of a spectrum file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpectrumMeta {
    /// Always [`SPECTRUM_FORMAT`].
    pub format: String,
    /// Version of this layout.
    pub version: u32,
    /// The checkpoint, as given.
    pub checkpoint: String,
    /// The model's card.
    pub model: serde_json::Value,
    /// A one-line description of the model.
    pub model_description: String,
    /// The data the loss is measured on.
    pub eval: EvalSpec,
    /// The loss at the checkpoint.
    pub loss: f64,
    /// The Hessian-vector products.
    pub hvp: HvpOptions,
    /// The density's options.
    pub options: DensityOptions,
    /// The Hessian's size.
    pub dim: usize,
    /// Products used.
    pub products: usize,
    /// The smoothing Gaussian's variance.
    pub kernel_variance: f64,
    /// The first two moments of the quadrature measure.
    pub moments: [f64; 2],
    /// The device it ran on.
    pub device: String,
}

/// A spectrum file: its description and the density.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumFile {
    /// The description.
    pub meta: SpectrumMeta,
    /// The density.
    pub density: SpectralDensity,
}

impl SpectrumFile {
    /// The file's bytes.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] if the description cannot be serialized or the npz
    /// cannot hold an entry (see [`Npz::to_bytes`](crate::npz::Npz::to_bytes)).
    pub fn to_bytes(&self) -> Result<Vec<u8>, LandscapeError> {
        let d = &self.density;
        let probes = d.nodes.len();
        let width = d.nodes.iter().map(Vec::len).max().unwrap_or(0);
        let mut nodes = vec![f64::NAN; probes * width];
        let mut weights = vec![0.0; probes * width];
        for (p, (t, w)) in d.nodes.iter().zip(&d.weights).enumerate() {
            nodes[p * width..p * width + t.len()].copy_from_slice(t);
            weights[p * width..p * width + w.len()].copy_from_slice(w);
        }
        let mut npz = Npz::default();
        let mut put = |name: &str, shape: Vec<usize>, v: Vec<f64>| {
            npz.arrays
                .insert(name.to_string(), NpyArray::new(shape, NpyData::F64(v)));
        };
        put("nodes", vec![probes, width], nodes);
        put("weights", vec![probes, width], weights);
        put("grid", vec![d.grid.len()], d.grid.clone());
        put("density", vec![d.density.len()], d.density.clone());
        put("moments", vec![2], self.meta.moments.to_vec());
        let meta = serde_json::to_vec_pretty(&self.meta)
            .map_err(|e| LandscapeError::invalid("spectrum file", "meta", e.to_string()))?;
        npz.raw.insert("meta.json".into(), meta);
        npz.to_bytes()
            .map_err(|e| LandscapeError::invalid("spectrum", "npz", e))
    }

    /// Writes the file atomically (temporary file, then rename).
    ///
    /// # Errors
    ///
    /// Writing fails.
    pub fn save(&self, path: &Path) -> Result<(), LandscapeError> {
        descent_files::write_file(path, &self.to_bytes()?)?;
        Ok(())
    }

    /// Reads a spectrum file.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Io`] if it cannot be read; [`LandscapeError::BadFile`] if it is not
    /// a spectrum file or its arrays do not fit its description.
    pub fn load(path: &Path) -> Result<SpectrumFile, LandscapeError> {
        let bytes = std::fs::read(path).map_err(|e| LandscapeError::io("reading", path, e))?;
        SpectrumFile::from_bytes(&bytes, path)
    }

    /// Reads a spectrum file from its bytes; `path` only names the file in errors.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::BadFile`] as [`SpectrumFile::load`].
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<SpectrumFile, LandscapeError> {
        let bad = |reason: String| LandscapeError::bad_file(path, reason);
        let npz = Npz::from_bytes(bytes).map_err(&bad)?;
        let meta = npz
            .raw
            .get("meta.json")
            .ok_or_else(|| bad("no meta.json: not a spectrum file".into()))?;
        let value: serde_json::Value =
            serde_json::from_slice(meta).map_err(|e| bad(format!("meta.json is not JSON: {e}")))?;
        let format = value.get("format").and_then(|f| f.as_str()).unwrap_or("");
        if format != SPECTRUM_FORMAT {
            return Err(bad(format!("format is {format:?}, not a spectrum file")));
        }
        let meta: SpectrumMeta = serde_json::from_value(value)
            .map_err(|e| bad(format!("meta.json is not a spectrum description: {e}")))?;
        if meta.version != SPECTRUM_VERSION {
            return Err(bad(format!(
                "spectrum file version {} (this descent reads version {SPECTRUM_VERSION})",
                meta.version
            )));
        }
        let array = |name: &str, dims: usize| -> Result<(Vec<usize>, Vec<f64>), LandscapeError> {
            match npz.arrays.get(name) {
                Some(NpyArray {
                    shape,
                    data: NpyData::F64(v),
                }) if shape.len() == dims => Ok((shape.clone(), v.clone())),
                _ => Err(bad(format!(
                    "array {name} is missing or not f8 of rank {dims}"
                ))),
            }
        };
        let (shape, nodes) = array("nodes", 2)?;
        let (wshape, weights) = array("weights", 2)?;
        if wshape != shape {
            return Err(bad("nodes and weights differ in shape".into()));
        }
        let (_, grid) = array("grid", 1)?;
        let (_, density) = array("density", 1)?;
        if grid.len() != density.len() {
            return Err(bad("grid and density differ in length".into()));
        }
        let width = shape[1];
        let mut node_rows = Vec::with_capacity(shape[0]);
        let mut weight_rows = Vec::with_capacity(shape[0]);
        for p in 0..shape[0] {
            let row = &nodes[p * width..(p + 1) * width];
            let len = row.iter().take_while(|x| !x.is_nan()).count();
            node_rows.push(row[..len].to_vec());
            weight_rows.push(weights[p * width..p * width + len].to_vec());
        }
        Ok(SpectrumFile {
            density: SpectralDensity {
                nodes: node_rows,
                weights: weight_rows,
                grid,
                density,
                kernel_variance: meta.kernel_variance,
                dim: meta.dim,
                products: meta.products,
                options: meta.options,
            },
            meta,
        })
    }
}
