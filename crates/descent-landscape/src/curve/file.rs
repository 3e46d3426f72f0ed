//! The result of `descent landscape curve`: one JSON file (`curve.json`) holding what was run
//! and everything measured, written atomically; readable from Python with `json.load`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::LandscapeError;
use crate::curve::CurveKind;
use crate::curve::profile::{CurveProfiles, PlanePath};
use crate::curve::train::{CurveEpoch, CurveTrainConfig};
use crate::scan_file::EvalSpec;

/// The `format` field of a curve file.
pub const CURVE_FORMAT: &str = "descent-curve";

/// Everything a curve run records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveResult {
    /// Always [`CURVE_FORMAT`].
    pub format: String,
    /// Bezier or chain.
    pub kind: CurveKind,
    /// The two end points as given (`A`, `C`).
    pub checkpoints: [String; 2],
    /// SHA-256 of their weights files.
    pub weights_sha256: [String; 2],
    /// Their model card.
    pub card: serde_json::Value,
    /// The device it ran on.
    pub device: String,
    /// How the bend was trained.
    pub train: CurveTrainConfig,
    /// The dataset the bend was trained on (e.g. `fashion-mnist-train`).
    pub train_dataset: String,
    /// How many of its samples were used.
    pub train_samples: usize,
    /// Each training epoch.
    pub history: Vec<CurveEpoch>,
    /// How each point was evaluated.
    pub eval: EvalSpec,
    /// The measurements along both paths, and their barriers.
    pub profiles: CurveProfiles,
    /// Both paths on the plane of `A`, the bend and `C` (absent if the bend did not leave
    /// the line).
    pub plane: Option<PlanePath>,
}

impl CurveResult {
    /// Writes the file atomically (a temporary file renamed into place).
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Io`] when it cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), LandscapeError> {
        let text = serde_json::to_vec_pretty(self)
            .map_err(|e| LandscapeError::invalid("curve file", path.display(), e.to_string()))?;
        descent_files::write_file(path, &text)?;
        Ok(())
    }

    /// Reads a file written by [`CurveResult::save`].
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Io`] if it cannot be read, [`LandscapeError::BadFile`] if it is not
    /// a curve file.
    pub fn load(path: &Path) -> Result<CurveResult, LandscapeError> {
        let bytes = std::fs::read(path).map_err(|e| LandscapeError::io("reading", path, e))?;
        let result: CurveResult = serde_json::from_slice(&bytes)
            .map_err(|e| LandscapeError::bad_file(path, format!("not a curve file: {e}")))?;
        if result.format != CURVE_FORMAT {
            return Err(LandscapeError::bad_file(
                path,
                format!("format is {:?}, not {CURVE_FORMAT:?}", result.format),
            ));
        }
        Ok(result)
    }
}
