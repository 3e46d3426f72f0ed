//! [`Path`]: the points an optimizer visited, and how paths are written as CSV or JSON.

use std::fmt::Write as _;
use std::path::Path as FsPath;

use serde::{Deserialize, Serialize};

use crate::{ToyError, WalkConfig};

/// Why a walk stopped before its last step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DivergenceReason {
    /// The loss, the gradient or the point became NaN or infinite.
    NonFinite,
    /// The point left the ball of radius [`WalkConfig::escape_radius`] (the loss of an
    /// unbounded function such as the saddle keeps falling; `f32` would overflow later).
    Escaped,
}

/// The record of a walk that stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divergence {
    /// The index of the first bad point (`points[step]` is the last point recorded).
    pub step: usize,
    /// What went wrong.
    pub reason: DivergenceReason,
}

/// The path of one walk: `points[k]` is the point after `k` steps, `losses[k]` the loss
/// there; `lrs[k]` and `gradients[k]` are the rate and the (noisy, unclipped) gradient of the
/// step from `points[k]` to `points[k + 1]`. So `lrs` and `gradients` have one entry fewer than
/// `points`. For 1-D functions every `y` is 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Path {
    /// A short name for legends and the CSV `label` column.
    pub label: String,
    /// The configuration that produced it.
    pub config: WalkConfig,
    /// The points visited, starting with the start.
    pub points: Vec<[f64; 2]>,
    /// The loss at each point.
    pub losses: Vec<f64>,
    /// The learning rate of each step.
    pub lrs: Vec<f64>,
    /// The gradient (plus noise) of each step.
    pub gradients: Vec<[f64; 2]>,
    /// Set when the walk stopped early; `None` when it took all its steps.
    pub diverged: Option<Divergence>,
}

impl Path {
    /// The last point recorded.
    pub fn final_point(&self) -> [f64; 2] {
        self.points.last().copied().unwrap_or([f64::NAN; 2])
    }

    /// The loss at the last point recorded.
    pub fn final_loss(&self) -> f64 {
        self.losses.last().copied().unwrap_or(f64::NAN)
    }

    /// The number of steps taken.
    pub fn steps_taken(&self) -> usize {
        self.lrs.len()
    }

    /// Euclidean distance from the last point to `target` (only `x` for 1-D functions).
    pub fn distance_to(&self, target: [f64; 2]) -> f64 {
        let [x, y] = self.final_point();
        ((x - target[0]).powi(2) + (y - target[1]).powi(2)).sqrt()
    }
}

/// The file formats [`write_paths`] writes, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathFormat {
    /// `.csv`: one row per point, `label,step,x,y,loss,lr,grad_x,grad_y` (the last point of
    /// each path has empty `lr` and gradient cells; 1-D paths an empty `y`).
    Csv,
    /// `.json`: `{"function": .., "paths": [Path, ..]}` with each path's full configuration.
    Json,
}

impl PathFormat {
    /// The format of `file` by its extension (`csv` or `json`, case-insensitive).
    pub fn of(file: &FsPath) -> Result<Self, ToyError> {
        match file
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Ok(Self::Csv),
            Some("json") => Ok(Self::Json),
            _ => Err(ToyError::UnsupportedOutput {
                path: file.to_path_buf(),
                reason: "paths are written as .csv or .json".into(),
            }),
        }
    }
}

/// The paths as CSV text (see [`PathFormat::Csv`]).
pub fn paths_csv(paths: &[Path]) -> String {
    let mut out = String::from("label,step,x,y,loss,lr,grad_x,grad_y\n");
    for path in paths {
        let label = csv_field(&path.label);
        let two_d = path.config.function.dims() == 2;
        for (k, (p, loss)) in path.points.iter().zip(&path.losses).enumerate() {
            let y = if two_d {
                p[1].to_string()
            } else {
                String::new()
            };
            let _ = write!(out, "{label},{k},{},{y},{loss}", p[0]);
            match (path.lrs.get(k), path.gradients.get(k)) {
                (Some(lr), Some(g)) => {
                    let gy = if two_d {
                        g[1].to_string()
                    } else {
                        String::new()
                    };
                    let _ = writeln!(out, ",{lr},{},{gy}", g[0]);
                }
                _ => out.push_str(",,,\n"),
            }
        }
    }
    out
}

/// Quotes a CSV field if it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The JSON document [`write_paths`] writes for [`PathFormat::Json`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathsFile {
    /// The function of the first path (all paths of one picture share it).
    pub function: String,
    /// The paths.
    pub paths: Vec<Path>,
}

/// Writes `paths` to `file` as CSV or JSON (by extension), atomically (temporary file, then
/// rename).
pub fn write_paths(paths: &[Path], file: &FsPath) -> Result<(), ToyError> {
    let bytes = match PathFormat::of(file)? {
        PathFormat::Csv => paths_csv(paths).into_bytes(),
        PathFormat::Json => {
            let doc = PathsFile {
                function: paths
                    .first()
                    .map(|p| p.config.function.to_string())
                    .unwrap_or_default(),
                paths: paths.to_vec(),
            };
            serde_json::to_vec_pretty(&doc).map_err(|source| ToyError::Json {
                path: file.to_path_buf(),
                source,
            })?
        }
    };
    descent_train::atomic::write_file(file, &bytes)?;
    Ok(())
}
