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
    #[serde(deserialize_with = "nullable::points")]
    pub points: Vec<[f64; 2]>,
    /// The loss at each point.
    #[serde(deserialize_with = "nullable::values")]
    pub losses: Vec<f64>,
    /// The learning rate of each step.
    pub lrs: Vec<f64>,
    /// The gradient (plus noise) of each step.
    #[serde(deserialize_with = "nullable::points")]
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

/// JSON has no NaN or infinity: `serde_json` writes them as `null`, which these read back as
/// NaN (a diverged path's last loss is often infinite; it reads back as NaN).
mod nullable {
    use serde::{Deserialize, Deserializer};

    fn nan(v: Option<f64>) -> f64 {
        v.unwrap_or(f64::NAN)
    }

    pub fn values<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<Option<f64>>::deserialize(d)?
            .into_iter()
            .map(nan)
            .collect())
    }

    pub fn points<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[f64; 2]>, D::Error> {
        Ok(Vec::<[Option<f64>; 2]>::deserialize(d)?
            .into_iter()
            .map(|[x, y]| [nan(x), nan(y)])
            .collect())
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
    descent_files::write_file(file, &bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;
    use descent_optim::{OptimizerConfig, SgdConfig};

    use super::*;
    use crate::ToyFunction;

    fn walk(function: ToyFunction, label: &str) -> Path {
        walk_at(function, label, 0.1)
    }

    fn walk_at(function: ToyFunction, label: &str, lr: f64) -> Path {
        WalkConfig::new(function, OptimizerConfig::Sgd(SgdConfig::new()), lr, 3)
            .with_label(label)
            .run(&Device::flex())
            .expect("walk")
    }

    #[test]
    fn csv_has_one_row_per_point_and_empty_cells_where_nothing_applies() {
        let paths = [
            walk(ToyFunction::Saddle, "plain"),
            walk(ToyFunction::TwoWells, "a, \"quoted\" one"),
        ];
        let csv = paths_csv(&paths);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "label,step,x,y,loss,lr,grad_x,grad_y");
        assert_eq!(lines.len(), 1 + 4 + 4);
        // Saddle from (1, 0): gradient (2, 0), lr 0.1 -> x = 0.8.
        assert_eq!(lines[1], "plain,0,1,0,1,0.1,2,0");
        assert!(
            lines[2].starts_with("plain,1,0.800000011920929,0,"),
            "{}",
            lines[2]
        );
        assert!(lines[4].ends_with(",,,"), "{}", lines[4]);
        // 1-D: empty y and grad_y; the label is quoted.
        let row = lines[5];
        assert!(row.starts_with("\"a, \"\"quoted\"\" one\",0,20,,"), "{row}");
        assert_eq!(row.split(',').count(), 9, "{row}"); // one comma inside the quotes
    }

    #[test]
    fn files_are_written_by_extension_and_json_reads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = vec![walk_at(ToyFunction::Rosenbrock, "gd", 1e-4)];
        let json = dir.path().join("p.JSON");
        write_paths(&paths, &json).expect("json");
        let back: PathsFile =
            serde_json::from_slice(&std::fs::read(&json).expect("read")).expect("parse");
        assert_eq!(back.function, "rosenbrock");
        assert_eq!(back.paths, paths);
        let csv = dir.path().join("p.csv");
        write_paths(&paths, &csv).expect("csv");
        assert_eq!(
            std::fs::read_to_string(&csv).expect("read"),
            paths_csv(&paths)
        );
        // lr 0.1 on Rosenbrock overflows at step 3: the infinite loss reads back as NaN.
        let diverged = vec![walk(ToyFunction::Rosenbrock, "too fast")];
        assert!(diverged[0].final_loss().is_infinite());
        write_paths(&diverged, &json).expect("json");
        let back: PathsFile =
            serde_json::from_slice(&std::fs::read(&json).expect("read")).expect("parse");
        assert!(back.paths[0].final_loss().is_nan());
        assert_eq!(back.paths[0].losses[..3], diverged[0].losses[..3]);
        let err = write_paths(&paths, &dir.path().join("p.txt")).expect_err("txt");
        assert!(matches!(err, ToyError::UnsupportedOutput { .. }), "{err}");
        let err = write_paths(&paths, &dir.path().join("missing/p.csv")).expect_err("no folder");
        assert!(err.to_string().contains("missing"), "{err}");
    }
}
