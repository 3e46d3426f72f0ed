//! IDX files (MNIST format), raw and gzip. The input is a flag byte, a 2-byte little-endian
//! length `n`, then an images file (the next `n` bytes) and a labels file (the rest). Flag
//! bit 0 gzip-compresses the images file, bit 1 the labels file (the reader detects gzip by
//! its magic bytes, as for real files). Both go through `idx::read_u8` and `idx::load`, and
//! through `mnist::load_mnist` (which also requires 28x28 images).
#![no_main]

use std::io::Write;

use descent_data::{Split, idx, mnist};
use descent_fuzz::{scratch_dir, split_flags, write_scratch};
use libfuzzer_sys::fuzz_target;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("compresses in memory");
    encoder.finish().expect("compresses in memory")
}

fuzz_target!(|data: &[u8]| {
    let (flags, rest) = split_flags(data);
    let (len, rest) = match rest {
        [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
        _ => (0, rest),
    };
    let (images, labels) = rest.split_at(len.min(rest.len()));
    let images = if flags & 1 != 0 {
        gzip(images)
    } else {
        images.to_vec()
    };
    let labels = if flags & 2 != 0 {
        gzip(labels)
    } else {
        labels.to_vec()
    };
    let image_path = write_scratch("t10k-images-idx3-ubyte", &images);
    let label_path = write_scratch("t10k-labels-idx1-ubyte", &labels);

    let _ = idx::read_u8(&image_path, idx::IMAGES_MAGIC);
    let _ = idx::read_u8(&label_path, idx::LABELS_MAGIC);
    if let Ok(set) = idx::load(&image_path, &label_path, "fuzz", 10) {
        let _ = set.image(0);
    }
    let _ = mnist::load_mnist(scratch_dir(), Split::Test);
});
