//! Curvature files (`.npz` with `meta.json`; input encoding: `descent_fuzz::npz_input`), read by `CurvatureFile::from_bytes`.
#![no_main]

use std::path::Path;

use descent_fuzz::npz_input;
use descent_landscape::curvature::CurvatureFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = CurvatureFile::from_bytes(&npz_input(data), Path::new("fuzz-curvature.npz"));
});
