//! Saving and loading directions (`.npz`): one `f4` array per direction and parameter path
//! (`d0/Mlp.hidden.0.weight`, `d1/...`) and a `meta.json` entry describing them.
//!
//! Loading checks the directions against the model's parameters by path and shape; another
//! architecture is a [`LandscapeError::Mismatch`] naming the first difference.

use std::path::Path;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::LandscapeError;
use crate::npz::Npz;
use crate::vector::{ParamInfo, ParamVector, check_infos};
use crate::vector_npz::{put_vector, take_vector};

/// Where a set of directions came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum DirectionSource {
    /// Seeded Gaussian directions, normalized.
    Random(crate::DirectionConfig),
    /// `theta_B - theta_A` (and `theta_C - theta_A` for a plane) between checkpoints.
    Target {
        /// The checkpoints, centre first.
        checkpoints: Vec<String>,
    },
}

/// What `meta.json` of a directions file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectionMeta {
    /// Always `descent-landscape-directions`.
    pub format: String,
    /// Where the directions came from.
    pub source: DirectionSource,
    /// The parameters, in the model's order.
    pub params: Vec<ParamInfo>,
    /// The number of directions.
    pub count: usize,
    /// The cosine between the first two directions.
    pub cosine: Option<f64>,
    /// For random directions: the SHA-256 of the weights file they were normalized against
    /// (filter normalization scales each filter to the same filter of those weights), so a
    /// scan of other weights does not pick them up by accident. Files written before this
    /// field have none and are not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_hash: Option<String>,
}

/// The most directions one file holds: a line needs one, a plane two.
pub const MAX_DIRECTIONS: usize = 2;

/// Format tag of a directions file.
pub const DIRECTIONS_FORMAT: &str = "descent-landscape-directions";

/// One or two directions and where they came from.
#[derive(Debug, Clone)]
pub struct DirectionSet {
    /// The description.
    pub meta: DirectionMeta,
    /// The directions.
    pub directions: Vec<ParamVector>,
}

impl DirectionSet {
    /// Bundles directions with their description.
    pub fn new(source: DirectionSource, directions: Vec<ParamVector>) -> DirectionSet {
        let cosine =
            (directions.len() >= 2).then(|| directions[0].cosine(&directions[1]).unwrap_or(0.0));
        let params = directions.first().map(|d| d.infos()).unwrap_or_default();
        DirectionSet {
            meta: DirectionMeta {
                format: DIRECTIONS_FORMAT.into(),
                source,
                params,
                count: directions.len(),
                cosine,
                weights_hash: None,
            },
            directions,
        }
    }

    /// The file's bytes (deterministic: equal directions give equal bytes).
    ///
    /// # Errors
    ///
    /// If a tensor cannot be read back from the device, or a parameter path is longer than a
    /// zip entry name can be ([`LandscapeError::InvalidOption`]).
    pub fn to_bytes(&self) -> Result<Vec<u8>, LandscapeError> {
        let mut npz = Npz::default();
        for (i, d) in self.directions.iter().enumerate() {
            put_vector(&mut npz, &format!("d{i}"), d)?;
        }
        let meta = serde_json::to_vec_pretty(&self.meta)
            .map_err(|e| LandscapeError::invalid("directions", "meta", e.to_string()))?;
        npz.raw.insert("meta.json".into(), meta);
        npz.to_bytes()
            .map_err(|e| LandscapeError::invalid("directions", "npz", e))
    }

    /// SHA-256 of [`DirectionSet::to_bytes`], hex: identifies the directions in scan files.
    ///
    /// # Errors
    ///
    /// As [`DirectionSet::to_bytes`].
    pub fn hash(&self) -> Result<String, LandscapeError> {
        Ok(sha256_hex(&self.to_bytes()?))
    }

    /// Writes the file atomically.
    ///
    /// # Errors
    ///
    /// Writing fails.
    pub fn save(&self, path: &Path) -> Result<(), LandscapeError> {
        descent_files::write_file(path, &self.to_bytes()?)?;
        Ok(())
    }

    /// Reads a directions file and checks it against `model` (the model's parameter layout,
    /// from [`ParamVector::from_module_infos`]), placing the tensors on `device`.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::BadFile`] for an unreadable or corrupt file;
    /// [`LandscapeError::Mismatch`] if its parameters are not the model's.
    pub fn load(
        path: &Path,
        model: &[ParamInfo],
        device: &Device,
    ) -> Result<DirectionSet, LandscapeError> {
        let bytes = std::fs::read(path).map_err(|e| LandscapeError::io("reading", path, e))?;
        DirectionSet::from_bytes(&bytes, path, model, device)
    }

    /// [`DirectionSet::load`] from the file's bytes; `path` only names the file in errors.
    ///
    /// # Errors
    ///
    /// [`LandscapeError::BadFile`] for corrupt bytes or a count of directions outside
    /// `1..=`[`MAX_DIRECTIONS`];
    /// [`LandscapeError::Mismatch`] if its parameters are not the model's.
    pub fn from_bytes(
        bytes: &[u8],
        path: &Path,
        model: &[ParamInfo],
        device: &Device,
    ) -> Result<DirectionSet, LandscapeError> {
        let bad = |reason: String| LandscapeError::bad_file(path, reason);
        let npz = Npz::from_bytes(bytes).map_err(bad)?;
        let meta_bytes = npz
            .raw
            .get("meta.json")
            .ok_or_else(|| bad("no meta.json: not a directions file".into()))?;
        let meta: DirectionMeta = serde_json::from_slice(meta_bytes)
            .map_err(|e| bad(format!("meta.json is not a directions description: {e}")))?;
        if meta.format != DIRECTIONS_FORMAT {
            return Err(bad(format!(
                "format is {:?}, not a directions file",
                meta.format
            )));
        }
        check_infos(
            model,
            &meta.params,
            "the model",
            &format!("directions file {}", path.display()),
        )?;
        // `count` comes from the file: check it before looping or allocating by it.
        if !(1..=MAX_DIRECTIONS).contains(&meta.count) {
            return Err(bad(format!(
                "meta.json: count is {}, a directions file holds 1 to {MAX_DIRECTIONS} directions",
                meta.count
            )));
        }
        let mut directions = Vec::with_capacity(meta.count);
        for i in 0..meta.count {
            directions.push(take_vector(
                &npz,
                &format!("d{i}"),
                &meta.params,
                device,
                path,
            )?);
        }
        Ok(DirectionSet { meta, directions })
    }
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DirectionConfig;
    use crate::test_utils::{tiny_mlp, tiny_vgg};

    #[test]
    fn save_load_round_trip_and_hash() {
        let device = Device::flex();
        let model = tiny_vgg(&device);
        let theta = ParamVector::from_module(&model);
        let config = DirectionConfig {
            seed: 4,
            ..DirectionConfig::default()
        };
        let (dirs, _) = config.directions(&theta, 2);
        let set = DirectionSet::new(DirectionSource::Random(config), dirs);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("d.npz");
        set.save(&path).expect("save");
        let back = DirectionSet::load(&path, &theta.infos(), &device).expect("load");
        assert_eq!(back.meta, set.meta);
        for (a, b) in back.directions.iter().zip(&set.directions) {
            assert_eq!(a.sub(b).expect("layout").norm(), 0.0);
        }
        assert_eq!(back.hash().expect("hash"), set.hash().expect("hash"));
        assert_eq!(set.hash().expect("hash").len(), 64);
    }

    #[test]
    fn other_architecture_and_corruption_are_clear_errors() {
        let device = Device::flex();
        let theta = ParamVector::from_module(&tiny_vgg(&device));
        let (dirs, _) = DirectionConfig::default().directions(&theta, 1);
        let set = DirectionSet::new(DirectionSource::Random(DirectionConfig::default()), dirs);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("d.npz");
        set.save(&path).expect("save");
        let mlp = ParamVector::from_module_infos(&tiny_mlp(&device, 1));
        let err = DirectionSet::load(&path, &mlp, &device).expect_err("other model");
        let msg = err.to_string();
        assert!(matches!(err, LandscapeError::Mismatch { .. }), "{msg}");
        assert!(
            msg.contains("d.npz") && msg.contains("Mlp.hidden.0.weight"),
            "{msg}"
        );

        let mut bytes = std::fs::read(&path).expect("read");
        let len = bytes.len();
        bytes[len / 2] ^= 0x55;
        std::fs::write(&path, &bytes).expect("write");
        let err = DirectionSet::load(&path, &theta.infos(), &device).expect_err("corrupt");
        assert!(matches!(err, LandscapeError::BadFile { .. }), "{err}");
        std::fs::write(&path, b"not a zip").expect("write");
        let err = DirectionSet::load(&path, &theta.infos(), &device).expect_err("garbage");
        assert!(err.to_string().contains("not a zip"), "{err}");
        let err = DirectionSet::load(&dir.path().join("missing.npz"), &theta.infos(), &device)
            .expect_err("missing");
        assert!(err.to_string().contains("missing.npz"), "{err}");
    }

    #[test]
    fn count_from_the_file_is_checked_before_allocating() {
        let device = Device::flex();
        let theta = ParamVector::from_module(&tiny_mlp(&device, 1));
        let (dirs, _) = DirectionConfig::default().directions(&theta, 1);
        let set = DirectionSet::new(DirectionSource::Random(DirectionConfig::default()), dirs);
        let mut npz = Npz::from_bytes(&set.to_bytes().expect("bytes")).expect("reads");
        let path = Path::new("d.npz");
        // A count of 2^64 - 1 used to reach `Vec::with_capacity` (a capacity-overflow panic);
        // 0 gave a set with no direction that every caller indexes.
        for count in [u64::MAX, 3, 0] {
            let mut meta: serde_json::Value =
                serde_json::from_slice(&npz.raw["meta.json"]).expect("json");
            meta["count"] = count.into();
            npz.raw
                .insert("meta.json".into(), meta.to_string().into_bytes());
            let err = DirectionSet::from_bytes(
                &npz.to_bytes().expect("writes"),
                path,
                &theta.infos(),
                &device,
            )
            .expect_err("bad count");
            assert!(matches!(err, LandscapeError::BadFile { .. }), "{err}");
            let msg = err.to_string();
            assert!(
                msg.contains("d.npz") && msg.contains(&format!("count is {count}")),
                "{msg}"
            );
        }
    }
}
