//! The scan file: one self-describing `.npz` per scan (or per shard of a scan).
//!
//! Arrays (readable with `numpy.load`):
//!
//! | name | shape | meaning |
//! |---|---|---|
//! | `x` | `[nx]` | first-direction coordinates |
//! | `y` | `[ny]` | second-direction coordinates (2-D scans only) |
//! | `loss_<split>`, `acc_<split>` | `[nx]` or `[ny, nx]` | mean loss and accuracy per point (NaN where not done) |
//! | `loss_<split>_se`, `acc_<split>_se` | like the values | standard error of each mean over the samples evaluated ([`crate::batch_moments`]; NaN where not done or unknown) |
//! | `done` | like the values | which points are computed |
//!
//! The `_se` arrays are written when the evaluator gives standard errors (the classifier
//! evaluator of `descent landscape` does; scans written before they existed, or measured by
//! a closure, have none and read as NaN: see [`ScanFile::std_errors`]).
//!
//! and a raw `meta.json` entry ([`ScanMeta`]): what was scanned, how, from which model and
//! data, with which directions (and their SHA-256), and which shard.
//!
//! From Python (checked with numpy 2.4; `numpy.load` returns the non-`.npy` entry as bytes):
//!
//! ```python
//! import json, numpy as np
//! f = np.load("scan.npz")
//! x, y, loss = f["x"], f["y"], f["loss_test"]      # shapes [nx], [ny], [ny, nx]
//! meta = json.loads(bytes(f["meta.json"]))         # grid, directions, model, data, ...
//! loss = np.where(f["done"], loss, np.nan)         # points not computed yet are NaN anyway
//! # matplotlib: plt.contour(x, y, loss)
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::directions_file::DirectionSource;
use crate::grid::Grid;
use crate::npz::{NpyArray, NpyData, Npz};
use crate::shard::Shard;
use crate::{BnPolicy, LandscapeError};

/// Format tag of a scan file.
pub const SCAN_FORMAT: &str = "descent-landscape-scan";

/// What a scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanKind {
    /// Around one model along random directions.
    Random,
    /// Along the line through two models (0 = first, 1 = second).
    Interpolation,
    /// In the plane through three models ((0,0), (1,0), (0,1)).
    Plane,
    /// In the plane of the first two principal components of a training trajectory, centred
    /// on its final weights (see [`crate::trajectory`]).
    Trajectory,
}

impl std::fmt::Display for ScanKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ScanKind::Random => "random directions",
            ScanKind::Interpolation => "interpolation",
            ScanKind::Plane => "plane through three models",
            ScanKind::Trajectory => "PCA plane of a training trajectory",
        })
    }
}

/// How each point is evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalSpec {
    /// The dataset (e.g. `synthetic-test`), one entry per split evaluated.
    pub datasets: Vec<String>,
    /// The splits evaluated, names used in the metric arrays (`train`, `test`).
    pub splits: Vec<String>,
    /// A fixed seeded subset of this many samples per split, or all of them.
    pub samples: Option<usize>,
    /// The seed of the subset.
    pub subset_seed: u64,
    /// Samples per forward pass.
    pub batch_size: usize,
    /// Batch-norm statistics policy.
    pub bn: BnPolicy,
}

/// The description stored in a scan file as `meta.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanMeta {
    /// Always [`SCAN_FORMAT`].
    pub format: String,
    /// Version of this layout.
    pub version: u32,
    /// What was scanned.
    pub kind: ScanKind,
    /// The checkpoints (centre first) as given.
    pub checkpoints: Vec<String>,
    /// The model's card (architecture, input, normalization, dataset).
    pub model: serde_json::Value,
    /// A one-line description of the model.
    pub model_description: String,
    /// The grid.
    pub grid: Grid,
    /// Where the directions came from (seed, normalization, bias/BN policy, or checkpoints).
    pub directions: DirectionSource,
    /// SHA-256 of the directions (see [`DirectionSet::hash`](crate::DirectionSet::hash)).
    pub directions_hash: String,
    /// The directions file written next to the scan, if any.
    pub directions_file: Option<String>,
    /// SHA-256 of the weights files of the checkpoints, in order (see
    /// [`crate::job::weights_hash`]): a resume onto a checkpoint retrained in place is refused.
    /// Scan files written before this field have none; they load, plot and merge as before,
    /// and resume without this check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_hash: Option<String>,
    /// Cosine between the two directions (2-D scans).
    pub cosine: Option<f64>,
    /// Where the three models of a plane scan sit, and the axes used (plane scans only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plane: Option<crate::plane::PlaneInfo>,
    /// How points are evaluated.
    pub eval: EvalSpec,
    /// Metric array names, in the evaluator's order.
    pub metrics: Vec<String>,
    /// The share of points this file computes (`None`: all).
    pub shard: Option<Shard>,
    /// The device it ran on (informational; not compared when merging).
    pub device: String,
}

impl ScanMeta {
    /// The fields that must agree for two files to be parts of one scan (everything except
    /// the shard, the device and the directions file name; and the checkpoints' paths when
    /// the weights' hash is recorded: it names the weights, so a run folder copied, moved or
    /// spelt otherwise (relative or absolute, another mount on a cluster node) is the same).
    pub fn compat_key(&self) -> serde_json::Value {
        let mut copy = self.clone();
        copy.shard = None;
        copy.device = String::new();
        copy.directions_file = None;
        if copy.weights_hash.is_some() {
            copy.checkpoints = Vec::new();
        }
        serde_json::to_value(&copy).unwrap_or(serde_json::Value::Null)
    }

    /// The first top-level field where `self` and `other` differ (ignoring shard and device).
    pub fn first_difference(&self, other: &ScanMeta) -> Option<String> {
        let (a, b) = (self.compat_key(), other.compat_key());
        match (a, b) {
            // In declaration order, so the most telling difference (the grid rather than the
            // cosine it implies) is the one reported.
            (serde_json::Value::Object(a), serde_json::Value::Object(b)) => META_FIELDS
                .iter()
                .filter_map(|k| a.get(*k).map(|v| (*k, v)))
                .chain(a.iter().map(|(k, v)| (k.as_str(), v)))
                .find(|(k, v)| b.get(*k) != Some(*v))
                .map(|(k, v)| {
                    format!(
                        "{k} differs ({} vs {})",
                        short(v),
                        short(b.get(k).unwrap_or(&serde_json::Value::Null))
                    )
                }),
            _ => Some("unreadable metadata".into()),
        }
    }
}

/// The fields of [`ScanMeta`] in declaration order.
const META_FIELDS: [&str; 17] = [
    "format",
    "version",
    "kind",
    "checkpoints",
    "model",
    "model_description",
    "grid",
    "directions",
    "directions_hash",
    "directions_file",
    "weights_hash",
    "cosine",
    "plane",
    "eval",
    "metrics",
    "shard",
    "device",
];

fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}...", s.chars().take(77).collect::<String>())
    } else {
        s
    }
}

/// A scan's results: metadata, one value array per metric, their standard errors, and the
/// done mask. Two files are equal when their metadata and done masks are and their arrays
/// are bit for bit (so NaN, a point not done or an unknown error, equals NaN).
#[derive(Debug, Clone)]
pub struct ScanFile {
    /// The description.
    pub meta: ScanMeta,
    /// Values per metric name, one per point (NaN where not done), in point order.
    pub values: BTreeMap<String, Vec<f64>>,
    /// Standard errors per metric name, like `values` (NaN where not done or unknown; every
    /// metric has an entry, all NaN for files without them). Saved as `<metric>_se`.
    pub std_errors: BTreeMap<String, Vec<f64>>,
    /// Which points are computed.
    pub done: Vec<bool>,
}

impl PartialEq for ScanFile {
    fn eq(&self, other: &ScanFile) -> bool {
        let bits = |a: &BTreeMap<String, Vec<f64>>, b: &BTreeMap<String, Vec<f64>>| {
            a.len() == b.len()
                && a.iter().zip(b).all(|((ka, va), (kb, vb))| {
                    ka == kb
                        && va.len() == vb.len()
                        && va.iter().zip(vb).all(|(x, y)| x.to_bits() == y.to_bits())
                })
        };
        self.meta == other.meta
            && self.done == other.done
            && bits(&self.values, &other.values)
            && bits(&self.std_errors, &other.std_errors)
    }
}

/// The array name of a metric's standard errors.
pub fn std_error_name(metric: &str) -> String {
    format!("{metric}_se")
}

impl ScanFile {
    /// An empty scan (nothing done).
    pub fn new(meta: ScanMeta) -> ScanFile {
        let n = meta.grid.len();
        let values: BTreeMap<String, Vec<f64>> = meta
            .metrics
            .iter()
            .map(|m| (m.clone(), vec![f64::NAN; n]))
            .collect();
        ScanFile {
            meta,
            std_errors: values.clone(),
            values,
            done: vec![false; n],
        }
    }

    /// Records point `k`: the values (and standard errors) of `point`, named by `names` (in
    /// order; names the file does not record are ignored), and marks it done.
    pub fn set_point(&mut self, k: usize, names: &[String], point: &crate::PointValues) {
        for (i, name) in names.iter().enumerate() {
            if let Some(array) = self.values.get_mut(name) {
                array[k] = point.values.get(i).copied().unwrap_or(f64::NAN);
            }
            if let Some(array) = self.std_errors.get_mut(name) {
                array[k] = point.std_errors.get(i).copied().unwrap_or(f64::NAN);
            }
        }
        self.done[k] = true;
    }

    /// The standard error of `metric` at point `k`, if known (finite).
    pub fn std_error(&self, metric: &str, k: usize) -> Option<f64> {
        self.std_errors
            .get(metric)
            .and_then(|v| v.get(k))
            .copied()
            .filter(|v| v.is_finite())
    }

    /// Number of points done.
    pub fn done_count(&self) -> usize {
        self.done.iter().filter(|&&d| d).count()
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, LandscapeError> {
        let shape = self.meta.grid.shape();
        let mut npz = Npz::default();
        npz.arrays.insert(
            "x".into(),
            NpyArray::new(
                vec![self.meta.grid.x.num],
                NpyData::F64(self.meta.grid.x.values()),
            ),
        );
        if let Some(y) = self.meta.grid.y {
            npz.arrays.insert(
                "y".into(),
                NpyArray::new(vec![y.num], NpyData::F64(y.values())),
            );
        }
        for (name, v) in &self.values {
            npz.arrays.insert(
                name.clone(),
                NpyArray::new(shape.clone(), NpyData::F64(v.clone())),
            );
        }
        // Only metrics with some standard error, so that scans without them (a closure's)
        // keep their old layout.
        for (name, v) in &self.std_errors {
            if v.iter().any(|e| e.is_finite()) {
                npz.arrays.insert(
                    std_error_name(name),
                    NpyArray::new(shape.clone(), NpyData::F64(v.clone())),
                );
            }
        }
        npz.arrays.insert(
            "done".into(),
            NpyArray::new(shape, NpyData::Bool(self.done.clone())),
        );
        let meta = serde_json::to_vec_pretty(&self.meta)
            .map_err(|e| LandscapeError::invalid("scan", "meta", e.to_string()))?;
        npz.raw.insert("meta.json".into(), meta);
        npz.to_bytes()
            .map_err(|e| LandscapeError::invalid("scan", "npz", e))
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

    /// Reads a scan file.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::Io`] if it cannot be read, [`LandscapeError::BadFile`] if it is not a
    /// complete scan file (naming what is wrong).
    pub fn load(path: &Path) -> Result<ScanFile, LandscapeError> {
        let bytes = std::fs::read(path).map_err(|e| LandscapeError::io("reading", path, e))?;
        ScanFile::from_bytes(&bytes, path)
    }

    /// Reads a scan file from its bytes; `path` only names the file in errors.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::BadFile`] if the bytes are not a complete scan file (naming what is
    /// wrong), including a grid or shard in `meta.json` that [`Grid::new`] or [`Shard::new`]
    /// would refuse.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<ScanFile, LandscapeError> {
        let bad = |reason: String| LandscapeError::bad_file(path, reason);
        let mut npz = Npz::from_bytes(bytes).map_err(bad)?;
        let meta_bytes = npz
            .raw
            .get("meta.json")
            .ok_or_else(|| bad("no meta.json: not a scan file".into()))?;
        let meta: ScanMeta = serde_json::from_slice(meta_bytes)
            .map_err(|e| bad(format!("meta.json is not a scan description: {e}")))?;
        if meta.format != SCAN_FORMAT {
            return Err(bad(format!("format is {:?}, not a scan file", meta.format)));
        }
        // The grid and shard come from the file: check them before sizing anything by them.
        meta.grid
            .validate()
            .map_err(|e| bad(format!("meta.json: {e}")))?;
        if let Some(shard) = meta.shard {
            Shard::new(shard.index, shard.count).map_err(|e| bad(format!("meta.json: {e}")))?;
        }
        let shape = meta.grid.shape();
        let n = meta.grid.len();
        let mut values = BTreeMap::new();
        let mut std_errors = BTreeMap::new();
        for name in &meta.metrics {
            let se_name = std_error_name(name);
            match npz.arrays.remove(&se_name) {
                Some(NpyArray {
                    shape: s,
                    data: NpyData::F64(v),
                }) if s == shape && v.len() == n => {
                    std_errors.insert(name.clone(), v);
                }
                Some(_) => {
                    return Err(bad(format!(
                        "array {se_name} does not match the grid {shape:?}"
                    )));
                }
                // Files from before standard errors were recorded.
                None => {
                    std_errors.insert(name.clone(), vec![f64::NAN; n]);
                }
            }
            match npz.arrays.remove(name) {
                Some(NpyArray {
                    shape: s,
                    data: NpyData::F64(v),
                }) if s == shape && v.len() == n => {
                    values.insert(name.clone(), v);
                }
                Some(_) => {
                    return Err(bad(format!(
                        "array {name} does not match the grid {shape:?}"
                    )));
                }
                None => return Err(bad(format!("array {name} is missing"))),
            }
        }
        let done = match npz.arrays.remove("done") {
            Some(NpyArray {
                shape: s,
                data: NpyData::Bool(v),
            }) if s == shape && v.len() == n => v,
            _ => {
                return Err(bad(
                    "array done is missing or does not match the grid".into()
                ));
            }
        };
        Ok(ScanFile {
            meta,
            values,
            std_errors,
            done,
        })
    }

    /// The values of `metric` at the points computed so far, as `[ny][nx]` rows (one row for
    /// a 1-D scan), `None` where not done.
    pub fn rows(&self, metric: &str) -> Option<Vec<Vec<Option<f64>>>> {
        let v = self.values.get(metric)?;
        let nx = self.meta.grid.x.num;
        Some(
            v.chunks(nx)
                .zip(self.done.chunks(nx))
                .map(|(vals, done)| {
                    vals.iter()
                        .zip(done)
                        .map(|(&x, &d)| d.then_some(x))
                        .collect()
                })
                .collect(),
        )
    }
}

/// Joins shard files (or partial files) of one scan into one: every field except the shard
/// must agree, and a point computed in two files must have bit-identical values there. The
/// result keeps the first file's directions file name; [`crate::merge_shard_files`] merges
/// files on disk and places the directions as an unsharded scan would.
///
/// # Errors
///
/// [`LandscapeError::Incompatible`] naming the differing field or the conflicting point and
/// files.
pub fn merge(files: &[(PathBuf, ScanFile)]) -> Result<ScanFile, LandscapeError> {
    let Some((first_path, first)) = files.first() else {
        return Err(LandscapeError::Incompatible {
            reason: "no files to merge".into(),
        });
    };
    let mut merged = first.clone();
    merged.meta.shard = None;
    for (path, file) in &files[1..] {
        if let Some(diff) = first.meta.first_difference(&file.meta) {
            return Err(LandscapeError::Incompatible {
                reason: format!(
                    "{} and {} are not parts of one scan: {diff}",
                    first_path.display(),
                    path.display()
                ),
            });
        }
        for k in 0..merged.done.len() {
            if !file.done[k] {
                continue;
            }
            for (name, values) in merged.values.iter_mut() {
                let theirs = file.values.get(name).map_or(f64::NAN, |v| v[k]);
                if merged.done[k] && values[k].to_bits() != theirs.to_bits() {
                    return Err(LandscapeError::Incompatible {
                        reason: format!(
                            "point {k} has {name} = {} in one file and {theirs} in {}",
                            values[k],
                            path.display()
                        ),
                    });
                }
                values[k] = theirs;
            }
            // Standard errors are taken along (a part from before they were recorded has
            // NaN there; a point computed twice has equal values, checked above).
            for (name, errors) in merged.std_errors.iter_mut() {
                let theirs = file.std_errors.get(name).map_or(f64::NAN, |v| v[k]);
                if !merged.done[k] || errors[k].is_nan() {
                    errors[k] = theirs;
                }
            }
            merged.done[k] = true;
        }
    }
    Ok(merged)
}

/// A minimal [`ScanMeta`] for scans built in code (no checkpoint files): random directions,
/// seed 0, the given grid and metric names, nothing else recorded.
pub fn example_meta(grid: Grid, metrics: &[&str]) -> ScanMeta {
    ScanMeta {
        format: SCAN_FORMAT.into(),
        version: 1,
        kind: ScanKind::Random,
        checkpoints: Vec::new(),
        model: serde_json::Value::Null,
        model_description: String::new(),
        grid,
        directions: DirectionSource::Random(crate::DirectionConfig::default()),
        directions_hash: String::new(),
        directions_file: None,
        weights_hash: None,
        cosine: None,
        plane: None,
        eval: EvalSpec {
            datasets: Vec::new(),
            splits: Vec::new(),
            samples: None,
            subset_seed: 0,
            batch_size: 0,
            bn: BnPolicy::Keep,
        },
        metrics: metrics.iter().map(|m| m.to_string()).collect(),
        shard: None,
        device: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_the_same_weights_are_one_scan_and_other_weights_are_not() {
        let grid = Grid::new(crate::Axis::new(-1.0, 1.0, 3).expect("axis"), None).expect("grid");
        let mut a = example_meta(grid, &["loss_train"]);
        a.checkpoints = vec!["runs/a".into()];
        a.weights_hash = Some("ab12".into());
        let mut b = a.clone();
        b.checkpoints = vec!["/home/me/copy/of/a".into()];
        assert_eq!(a.first_difference(&b), None);
        b.weights_hash = Some("cd34".into());
        let diff = a.first_difference(&b).expect("other weights");
        assert!(diff.starts_with("weights_hash differs"), "{diff}");
        // Without a recorded hash (files of older versions) the paths are all there is.
        let (mut old_a, mut old_b) = (a.clone(), a.clone());
        old_a.weights_hash = None;
        old_b.weights_hash = None;
        old_b.checkpoints = vec!["runs/b".into()];
        let diff = old_a.first_difference(&old_b).expect("other paths");
        assert!(diff.starts_with("checkpoints differs"), "{diff}");
    }

    /// The bytes of a 1-D scan file of three points whose `meta.json` is then edited by
    /// `edit`, with the arrays left as they are.
    fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
        let grid = Grid {
            x: "-1:1:3".parse().expect("valid axis"),
            y: None,
        };
        let file = ScanFile::new(example_meta(grid, &["loss_test"]));
        let mut npz = Npz::from_bytes(&file.to_bytes().expect("serializes")).expect("reads");
        let mut meta: serde_json::Value =
            serde_json::from_slice(&npz.raw["meta.json"]).expect("json");
        edit(&mut meta);
        npz.raw
            .insert("meta.json".into(), meta.to_string().into_bytes());
        npz.to_bytes().expect("writes")
    }

    #[test]
    fn unedited_file_reads_back() {
        let file = ScanFile::from_bytes(&edited(|_| {}), Path::new("s.npz")).expect("valid");
        assert_eq!(file.done, [false; 3]);
        assert_eq!(file.rows("loss_test").expect("metric").len(), 1);
        // No standard errors yet: no `_se` array is written (the layout of files from before
        // they existed), and such a file reads with NaN errors.
        let npz = Npz::from_bytes(&edited(|_| {})).expect("reads");
        assert!(!npz.arrays.contains_key("loss_test_se"));
        assert!(file.std_errors["loss_test"].iter().all(|e| e.is_nan()));
        assert_eq!(file.std_error("loss_test", 0), None);
    }

    #[test]
    fn standard_errors_are_saved_beside_their_metric() {
        let grid = Grid {
            x: "-1:1:3".parse().expect("valid axis"),
            y: None,
        };
        let mut file = ScanFile::new(example_meta(grid, &["loss_test"]));
        let names = ["loss_test".to_string()];
        let point = crate::PointValues {
            values: vec![0.75],
            std_errors: vec![0.125],
        };
        file.set_point(1, &names, &point);
        let bytes = file.to_bytes().expect("serializes");
        let npz = Npz::from_bytes(&bytes).expect("reads");
        match &npz.arrays["loss_test_se"].data {
            NpyData::F64(v) => {
                assert!(v[0].is_nan() && v[2].is_nan());
                assert_eq!(v[1], 0.125);
            }
            other => panic!("not f64: {other:?}"),
        }
        let back = ScanFile::from_bytes(&bytes, Path::new("s.npz")).expect("valid");
        assert_eq!(back, file);
        assert_eq!(back.std_error("loss_test", 1), Some(0.125));
    }

    #[test]
    fn grid_from_the_file_is_checked_before_use() {
        // An axis of 0 points with empty arrays used to load, then `rows` divided the
        // values into chunks of 0 and panicked.
        let bytes = edited(|meta| {
            meta["grid"]["x"]["num"] = 0.into();
        });
        let mut npz = Npz::from_bytes(&bytes).expect("reads");
        for name in ["loss_test", "done"] {
            let data = match name {
                "done" => NpyData::Bool(Vec::new()),
                _ => NpyData::F64(Vec::new()),
            };
            npz.arrays.insert(name.into(), NpyArray::new(vec![0], data));
        }
        let err = ScanFile::from_bytes(&npz.to_bytes().expect("writes"), Path::new("s.npz"))
            .expect_err("0 points");
        assert!(matches!(err, LandscapeError::BadFile { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("s.npz") && msg.contains("at least one point"),
            "{msg}"
        );

        // Two axes whose point count overflows usize.
        let bytes = edited(|meta| {
            meta["grid"]["x"]["num"] = u64::MAX.into();
            meta["grid"]["y"] = serde_json::json!({"min": 0.0, "max": 1.0, "num": u64::MAX});
        });
        let err = ScanFile::from_bytes(&bytes, Path::new("s.npz")).expect_err("huge grid");
        assert!(err.to_string().contains("limit"), "{err}");
        // Bounds that are not in order.
        let bytes = edited(|meta| {
            meta["grid"]["x"]["min"] = 2.0.into();
        });
        let err = ScanFile::from_bytes(&bytes, Path::new("s.npz")).expect_err("min > max");
        assert!(err.to_string().contains("min must not exceed max"), "{err}");
    }

    #[test]
    fn shard_from_the_file_is_checked() {
        // A shard of 0 parts would divide by zero in `Shard::contains` on resume.
        let bytes = edited(|meta| {
            meta["shard"] = serde_json::json!({"index": 0, "count": 0});
        });
        let err = ScanFile::from_bytes(&bytes, Path::new("s.npz")).expect_err("0 shards");
        assert!(err.to_string().contains("0 <= index < count"), "{err}");
        let bytes = edited(|meta| {
            meta["shard"] = serde_json::json!({"index": 3, "count": 2});
        });
        assert!(ScanFile::from_bytes(&bytes, Path::new("s.npz")).is_err());
    }
}
