//! Directions files (`.npz` with `meta.json`; input encoding: `descent_fuzz::npz_input`), read by `DirectionSet::from_bytes` against the
//! layout of a tiny MLP (the check a scan makes before using them).
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use descent_fuzz::{device, npz_input, tiny_model};
use descent_landscape::{DirectionSet, ParamInfo, ParamVector};
use libfuzzer_sys::fuzz_target;

fn layout() -> &'static [ParamInfo] {
    static LAYOUT: OnceLock<Vec<ParamInfo>> = OnceLock::new();
    LAYOUT.get_or_init(|| ParamVector::from_module_infos(&tiny_model(&device())))
}

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz-directions.npz");
    if let Ok(set) = DirectionSet::from_bytes(&npz_input(data), path, layout(), &device()) {
        let _ = set.hash();
    }
});
