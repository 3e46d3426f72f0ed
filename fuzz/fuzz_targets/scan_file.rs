//! Scan files (`.npz` with `meta.json`, the format every scan, shard, trajectory scan and
//! curvature map is written in; input encoding: `descent_fuzz::npz_input`): `ScanFile::from_bytes`, and on success what readers do
//! next (rows per metric, the grid's points, the plot description, a merge with itself),
//! plus `trajectory::trajectory_from_bytes` for the trajectory extras.
#![no_main]

use std::path::{Path, PathBuf};

use descent_fuzz::npz_input;
use descent_landscape::ScanFile;
use descent_landscape::scan_file::merge;
use descent_landscape::scan_plot::scan_description;
use descent_landscape::trajectory::trajectory_from_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz-scan.npz");
    let data = &*npz_input(data);
    if let Ok(file) = ScanFile::from_bytes(data, path) {
        for metric in &file.meta.metrics {
            let _ = file.rows(metric);
        }
        let _ = file.meta.grid.points();
        let _ = scan_description(&file);
        let _ = merge(&[
            (PathBuf::from("a.npz"), file.clone()),
            (PathBuf::from("b.npz"), file),
        ]);
    }
    if let Ok((_, info)) = trajectory_from_bytes(data, path) {
        let _ = info.axis_labels();
    }
});
