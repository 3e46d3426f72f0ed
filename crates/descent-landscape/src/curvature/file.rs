//! The curvature file: one `.npz` like the scan files (arrays readable with `numpy.load`, and a
//! raw `meta.json` entry with the whole description and report).
//!
//! | array | shape | meaning |
//! |---|---|---|
//! | `loss`, `gradient_norm` | `[1]` | at the checkpoint |
//! | `lambda_max`, `lambda_min`, `ratio` | `[1]` | extreme eigenvalues, `abs(lambda_min / lambda_max)` |
//! | `top_eigenvalues`, `top_iterations`, `top_converged` | `[k]` | deflated power iteration |
//! | `trace`, `trace_std_error` | `[1]` | Hutchinson's estimate and its standard error |
//! | `trace_draws` | `[m]` | each Rademacher draw's `v^T H v` |
//! | `sharpness`, `sharpness_max_loss` | `[1]` | epsilon-sharpness (only if measured) |

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

impl CurvatureFile {
    /// The file's bytes.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::InvalidOption`] if the description cannot be serialized.
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
        let k = r.top.len();
        put(
            "top_eigenvalues",
            NpyArray::new(
                vec![k],
                NpyData::F64(r.top.iter().map(|e| e.value).collect()),
            ),
        );
        put(
            "top_iterations",
            NpyArray::new(
                vec![k],
                NpyData::I64(r.top.iter().map(|e| e.iterations as i64).collect()),
            ),
        );
        put(
            "top_converged",
            NpyArray::new(
                vec![k],
                NpyData::Bool(r.top.iter().map(|e| e.converged).collect()),
            ),
        );
        put("trace", scalar(r.trace.mean));
        put(
            "trace_std_error",
            scalar(r.trace.std_error.unwrap_or(f64::NAN)),
        );
        put(
            "trace_draws",
            NpyArray::new(
                vec![r.trace.draws.len()],
                NpyData::F64(r.trace.draws.clone()),
            ),
        );
        if let Some(s) = &r.sharpness {
            put("sharpness", scalar(s.value));
            put("sharpness_max_loss", scalar(s.max_loss));
        }
        let meta = serde_json::to_vec_pretty(self)
            .map_err(|e| LandscapeError::invalid("curvature file", "meta", e.to_string()))?;
        npz.raw.insert("meta.json".into(), meta);
        Ok(npz.to_bytes())
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
        let file: CurvatureFile = serde_json::from_slice(meta)
            .map_err(|e| bad(format!("meta.json is not a curvature description: {e}")))?;
        if file.format != CURVATURE_FORMAT {
            return Err(bad(format!(
                "format is {:?}, not a curvature file",
                file.format
            )));
        }
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
