//! Merging the shard files of one scan on disk into the files one unsharded scan would have
//! written: the scan file and, for random directions drawn by each shard, the directions file
//! beside it.
//!
//! Each shard of a random scan draws the same directions (same seed) and saves them next to
//! its own file (`shard-3.npz` -> `shard-3.directions.npz`), so the shards record different
//! `directions_file` names for identical directions. [`merge_shard_files`] checks that the
//! directions are one set (their SHA-256 is in every shard's metadata), copies them next to
//! the merged file under the name an unsharded scan to the same `--out` would have used
//! ([`directions_path`]), and records that name: merged and unsharded files are then
//! byte-identical. Shards that all read one `--directions` file keep its name.

use std::path::{Path, PathBuf};

use crate::LandscapeError;
use crate::directions_file::sha256_hex;
use crate::job::directions_path;
use crate::scan_file::{ScanFile, merge};

/// What [`merge_shard_files`] wrote.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    /// The merged scan, as saved.
    pub file: ScanFile,
    /// The directions file written next to it (a verified copy of the shards' directions),
    /// `None` when the shards shared one directions file or have none.
    pub directions_written: Option<PathBuf>,
}

/// Loads the shard files at `paths`, joins them ([`merge`]), places the directions as the
/// module docs say, and saves the merged scan to `out` (atomically, directions first).
///
/// # Errors
///
/// Loading errors; [`LandscapeError::InvalidOption`] if `out` exists (checked once the inputs
/// are known to merge, before anything is written); [`LandscapeError::Incompatible`] for
/// shards of different scans, a point
/// with two values, or an existing directions file at `out`'s directions name holding other
/// directions; [`LandscapeError::BadFile`] when no shard's directions file is found with the
/// recorded hash; writing errors.
pub fn merge_shard_files(paths: &[PathBuf], out: &Path) -> Result<MergeOutcome, LandscapeError> {
    let files = paths
        .iter()
        .map(|p| ScanFile::load(p).map(|f| (p.clone(), f)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut merged = merge(&files)?;
    // Like a scan, a merge never replaces an existing file (it may be another scan's result).
    if out.exists() {
        return Err(LandscapeError::invalid(
            "out",
            out.display(),
            "exists; merge writes a new file: remove it or choose another --out",
        ));
    }
    let names: Vec<&Option<String>> = files.iter().map(|(_, f)| &f.meta.directions_file).collect();
    let shared = names.windows(2).all(|w| w[0] == w[1]);
    let mut directions_written = None;
    if !shared {
        let target = directions_path(out);
        place_directions(&files, &merged.meta.directions_hash, &target)?;
        merged.meta.directions_file = Some(target.display().to_string());
        directions_written = Some(target);
    }
    merged.save(out)?;
    Ok(MergeOutcome {
        file: merged,
        directions_written,
    })
}

/// Copies the shards' directions (found at the name a shard recorded, or next to the shard
/// file) to `target`, after checking their hash; an existing `target` with the same hash is
/// kept.
fn place_directions(
    files: &[(PathBuf, ScanFile)],
    hash: &str,
    target: &Path,
) -> Result<(), LandscapeError> {
    if target.exists() {
        let bytes = std::fs::read(target).map_err(|e| LandscapeError::io("reading", target, e))?;
        if sha256_hex(&bytes) == hash {
            return Ok(());
        }
        return Err(LandscapeError::Incompatible {
            reason: format!(
                "{} exists and holds other directions than the shards (SHA-256 {hash}); \
                 remove it or choose another --out",
                target.display()
            ),
        });
    }
    let mut tried = Vec::new();
    for (path, file) in files {
        let recorded = file.meta.directions_file.as_deref().map(PathBuf::from);
        for candidate in recorded.into_iter().chain([directions_path(path)]) {
            if tried.contains(&candidate) {
                continue;
            }
            if let Ok(bytes) = std::fs::read(&candidate)
                && sha256_hex(&bytes) == hash
            {
                descent_files::write_file(target, &bytes)?;
                return Ok(());
            }
            tried.push(candidate);
        }
    }
    Err(LandscapeError::bad_file(
        target,
        format!(
            "cannot write the merged scan's directions: no directions file with SHA-256 {hash} \
             among {}; keep each shard's .directions.npz beside it when merging",
            tried
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Grid;
    use crate::scan_file::example_meta;
    use crate::shard::Shard;

    /// Two shards of a 1-D scan of 4 points in `dir`, each recording its own directions file
    /// (`shard-i.directions.npz`, holding `directions`), with `values[k] = k`.
    fn shards(dir: &Path, directions: &[u8]) -> Vec<PathBuf> {
        let grid = Grid {
            x: "0:3:4".parse().expect("axis"),
            y: None,
        };
        (0..2)
            .map(|i| {
                let path = dir.join(format!("shard-{i}.npz"));
                let dirs = directions_path(&path);
                std::fs::write(&dirs, directions).expect("write directions");
                let mut meta = example_meta(grid, &["loss_test"]);
                meta.shard = Some(Shard::new(i, 2).expect("shard"));
                meta.directions_hash = sha256_hex(directions);
                meta.directions_file = Some(dirs.display().to_string());
                let mut file = ScanFile::new(meta);
                for k in (i..4).step_by(2) {
                    file.values.get_mut("loss_test").expect("metric")[k] = k as f64;
                    file.done[k] = true;
                }
                file.save(&path).expect("save shard");
                path
            })
            .collect()
    }

    #[test]
    fn drawn_directions_are_copied_next_to_the_merged_file_and_named_there() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let paths = shards(tmp.path(), b"the directions");
        let out = tmp.path().join("merged/scan.npz");
        std::fs::create_dir_all(out.parent().expect("parent")).expect("mkdir");
        let outcome = merge_shard_files(&paths, &out).expect("merge");
        let target = tmp.path().join("merged/scan.directions.npz");
        assert_eq!(
            outcome.directions_written.as_deref(),
            Some(target.as_path())
        );
        assert_eq!(std::fs::read(&target).expect("copied"), b"the directions");
        let saved = ScanFile::load(&out).expect("merged file");
        assert_eq!(saved, outcome.file);
        assert_eq!(saved.done_count(), 4);
        assert_eq!(saved.values["loss_test"], vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(saved.meta.shard, None);
        assert_eq!(
            saved.meta.directions_file,
            Some(target.display().to_string())
        );
        // An existing merged file is not replaced.
        let before = std::fs::read(&out).expect("read");
        let err = merge_shard_files(&paths, &out).expect_err("exists");
        assert!(matches!(err, LandscapeError::InvalidOption { .. }), "{err}");
        // Merging again to a new name beside the directions already there keeps them and
        // writes the same file.
        std::fs::remove_file(&out).expect("rm");
        merge_shard_files(&paths, &out).expect("merge again");
        assert_eq!(std::fs::read(&out).expect("read"), before);
    }

    #[test]
    fn other_directions_at_the_target_or_none_with_the_hash_are_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let paths = shards(tmp.path(), b"the directions");
        let out = tmp.path().join("scan.npz");
        std::fs::write(directions_path(&out), b"other directions").expect("write");
        let err = merge_shard_files(&paths, &out).expect_err("other directions");
        assert!(matches!(err, LandscapeError::Incompatible { .. }), "{err}");
        assert!(
            !out.exists(),
            "nothing is written when the merge is refused"
        );

        std::fs::remove_file(directions_path(&out)).expect("rm");
        for p in &paths {
            std::fs::write(directions_path(p), b"changed since").expect("overwrite");
        }
        let err = merge_shard_files(&paths, &out).expect_err("hash mismatch");
        assert!(err.to_string().contains("SHA-256"), "{err}");
        assert!(!out.exists());
    }

    #[test]
    fn a_shared_directions_file_keeps_its_name() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let paths = shards(tmp.path(), b"the directions");
        // Both shards name one file, as with `--directions`.
        for p in &paths {
            let mut f = ScanFile::load(p).expect("load");
            f.meta.directions_file = Some("shared.directions.npz".into());
            f.save(p).expect("save");
        }
        let out = tmp.path().join("scan.npz");
        let outcome = merge_shard_files(&paths, &out).expect("merge");
        assert_eq!(outcome.directions_written, None);
        assert!(!directions_path(&out).exists());
        assert_eq!(
            outcome.file.meta.directions_file.as_deref(),
            Some("shared.directions.npz")
        );
    }
}
