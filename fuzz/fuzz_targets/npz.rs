//! The `.npz` layer under the scan, directions and curvature files: the zip directory and the
//! `.npy` headers (`Npz::from_bytes`; input encoding: `descent_fuzz::npz_input`). What the
//! reader accepts, the writer must write so that the reader reads it back the same: writing
//! it, reading that and writing again gives the same bytes.
#![no_main]

use descent_fuzz::npz_input;
use descent_landscape::npz::Npz;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(npz) = Npz::from_bytes(&npz_input(data)) {
        // Entry names read from a zip fit in a zip.
        let bytes = npz
            .to_bytes()
            .unwrap_or_else(|e| panic!("the writer refuses what the reader read: {e}"));
        let again = Npz::from_bytes(&bytes)
            .unwrap_or_else(|e| panic!("the reader refuses what the writer wrote: {e}"));
        assert!(
            again.to_bytes().ok() == Some(bytes),
            "a second round trip changes the file"
        );
    }
});
