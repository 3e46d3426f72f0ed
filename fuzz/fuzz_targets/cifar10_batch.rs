//! CIFAR-10 binary batches: the input is the contents of `test_batch.bin`, loaded through
//! `cifar10::load` (size check, then records) and `cifar10::read_file`.
#![no_main]

use descent_data::{Split, cifar10};
use descent_fuzz::{scratch_dir, write_scratch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = write_scratch(cifar10::TEST_FILE, data);
    if let Ok(set) = cifar10::load(scratch_dir(), Split::Test) {
        let _ = set.image(0);
    }
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    let _ = cifar10::read_file(&path, &mut pixels, &mut labels);
});
