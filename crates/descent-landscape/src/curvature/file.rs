//! The curvature file: one `.npz` like the scan files (arrays readable with `numpy.load`, and a
//! raw `meta.json` entry with the whole description and report).
//!
//! | array | shape | meaning |
//! |---|---|---|
//! | `loss`, `gradient_norm` | `[1]` | at the checkpoint |
//! | `lambda_max`, `lambda_min`, `ratio` | `[1]` | extreme eigenvalues, `abs(lambda_min / lambda_max)` |
//! | `hessian_norm` | `[1]` | the estimate of `|H|` the residual tolerance is relative to |
//! | `largest_eigenvalues`, `largest_residuals`, `largest_converged` | `[top_k]` | largest first |
//! | `smallest_eigenvalues`, `smallest_residuals`, `smallest_converged` | `[bottom_k]` | smallest first |
//! | `eigen_products`, `hessian_vector_products` | `[1]` | products for the eigenvalues, and in all |
//! | `trace`, `trace_std_error`, `trace_converged` | `[1]` | the trace estimate, its standard error, whether it met `--trace-rtol` |
//! | `trace_deflated`, `trace_draws` | `[1]`, `[m]` | the exactly computed part and each draw's `z^T P H P z` |
//! | `layer_lambda_max`, `layer_lambda_min`, `layer_trace`, `layer_trace_std_error`, `layer_parameters` | `[layers]` | per-layer blocks (names in `meta.json`), if measured |
//! | `sharpness_<definition>`, `sharpness_<definition>_max_loss` | `[1]` | per sharpness definition measured (`keskar`, `filter-normalized`, `adaptive`) |

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::curvature::{CurvatureOptions, CurvatureReport};
use crate::npz::{NpyArray, NpyData, Npz};
use crate::scan_file::EvalSpec;

/// Format tag of a curvature file.
pub const CURVATURE_FORMAT: &str = "descent-landscape-curvature";

/// Everything a curvature file records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvatureFile {
    /// Always [`CURVATURE_FORMAT`].
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
    /// The accuracy at the checkpoint on that data.
    pub accuracy: f64,
    /// What was computed, and how.
    pub options: CurvatureOptions,
    /// The figures.
    pub report: CurvatureReport,
    /// The device it ran on.
    pub device: String,
}

fn scalar(v: f64) -> NpyArray {
    NpyArray::new(vec![1], NpyData::F64(vec![v]))
}

fn floats(v: Vec<f64>) -> NpyArray {
    NpyArray::new(vec![v.len()], NpyData::F64(v))
}

fn count(n: usize) -> NpyArray {
    NpyArray::new(vec![1], NpyData::I64(vec![n as i64]))
}

/// The layout version of curvature files this code writes and reads.
pub const CURVATURE_VERSION: u32 = 2;

impl CurvatureFile {
    /// The file's bytes.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] if the description cannot be serialized or the zip
    /// cannot hold an entry (see [`Npz::to_bytes`]).
    pub fn to_bytes(&self) -> Result<Vec<u8>, LandscapeError> {
        let r = &self.report;
        let mut npz = Npz::default();
        let mut put = |name: &str, a: NpyArray| {
            npz.arrays.insert(name.to_string(), a);
        };
        put("loss", scalar(r.loss));
        put("gradient_norm", scalar(r.gradient_norm));
        put("lambda_max", scalar(r.lambda_max.value));
        put("lambda_min", scalar(r.lambda_min.value));
        put("ratio", scalar(r.ratio.unwrap_or(f64::NAN)));
        put("hessian_norm", scalar(r.hessian_norm));
        for (name, pairs) in [("largest", &r.largest), ("smallest", &r.smallest)] {
            put(
                &format!("{name}_eigenvalues"),
                floats(pairs.iter().map(|e| e.value).collect()),
            );
            put(
                &format!("{name}_residuals"),
                floats(pairs.iter().map(|e| e.residual).collect()),
            );
            let converged: Vec<bool> = pairs.iter().map(|e| e.converged).collect();
            put(
                &format!("{name}_converged"),
                NpyArray::new(vec![converged.len()], NpyData::Bool(converged)),
            );
        }
        put("eigen_products", count(r.eigen_products));
        put("hessian_vector_products", count(r.hessian_vector_products));
        put("trace", scalar(r.trace.mean));
        put("trace_std_error", scalar(r.trace.std_error));
        put(
            "trace_converged",
            NpyArray::new(vec![1], NpyData::Bool(vec![r.trace.converged])),
        );
        put("trace_deflated", scalar(r.trace.deflated));
        put("trace_draws", floats(r.trace.draws.clone()));
        if !r.layers.is_empty() {
            let l = &r.layers;
            put(
                "layer_lambda_max",
                floats(l.iter().map(|x| x.lambda_max.value).collect()),
            );
            put(
                "layer_lambda_min",
                floats(l.iter().map(|x| x.lambda_min.value).collect()),
            );
            put(
                "layer_trace",
                floats(l.iter().map(|x| x.trace.mean).collect()),
            );
            put(
                "layer_trace_std_error",
                floats(l.iter().map(|x| x.trace.std_error).collect()),
            );
            put(
                "layer_parameters",
                NpyArray::new(
                    vec![l.len()],
                    NpyData::I64(l.iter().map(|x| x.parameters as i64).collect()),
                ),
            );
        }
        for s in &r.sharpness {
            let name = format!("sharpness_{}", s.options.definition);
            put(&format!("{name}_max_loss"), scalar(s.max_loss));
            put(&name, scalar(s.value));
        }
        let meta = serde_json::to_vec_pretty(self)
            .map_err(|e| LandscapeError::invalid("curvature file", "meta", e.to_string()))?;
        npz.raw.insert("meta.json".into(), meta);
        npz.to_bytes()
            .map_err(|e| LandscapeError::invalid("curvature", "npz", e))
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

    /// Reads a curvature file.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Io`] if it cannot be read; [`LandscapeError::BadFile`] if it is not
    /// a curvature file, or its arrays disagree with its description.
    pub fn load(path: &Path) -> Result<CurvatureFile, LandscapeError> {
        let bytes = std::fs::read(path).map_err(|e| LandscapeError::io("reading", path, e))?;
        CurvatureFile::from_bytes(&bytes, path)
    }

    /// Reads a curvature file from its bytes; `path` only names the file in errors.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::BadFile`] as [`CurvatureFile::load`].
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<CurvatureFile, LandscapeError> {
        let bad = |reason: String| LandscapeError::bad_file(path, reason);
        let npz = Npz::from_bytes(bytes).map_err(|e| bad(e.to_string()))?;
        let meta = npz
            .raw
            .get("meta.json")
            .ok_or_else(|| bad("no meta.json: not a curvature file".into()))?;
        let value: serde_json::Value =
            serde_json::from_slice(meta).map_err(|e| bad(format!("meta.json is not JSON: {e}")))?;
        let format = value.get("format").and_then(|f| f.as_str()).unwrap_or("");
        if format != CURVATURE_FORMAT {
            return Err(bad(format!("format is {format:?}, not a curvature file")));
        }
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version != u64::from(CURVATURE_VERSION) {
            return Err(bad(format!(
                "curvature file version {version} (this descent reads version \
                 {CURVATURE_VERSION}); measure again"
            )));
        }
        let file: CurvatureFile = serde_json::from_value(value)
            .map_err(|e| bad(format!("meta.json is not a curvature description: {e}")))?;
        match npz.arrays.get("lambda_max") {
            Some(NpyArray {
                data: NpyData::F64(v),
                ..
            }) if v.len() == 1 && v[0].to_bits() == file.report.lambda_max.value.to_bits() => {}
            _ => {
                return Err(bad(
                    "array lambda_max is missing or disagrees with meta.json".into(),
                ));
            }
        }
        Ok(file)
    }
}
