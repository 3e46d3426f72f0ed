//! MNIST and Fashion-MNIST from their IDX files in a local folder.
//!
//! The files are `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`
//! and `t10k-labels-idx1-ubyte`, each raw or with a `.gz` suffix (the dotted spelling
//! `train-images.idx3-ubyte` of some mirrors is accepted too). Compression is detected from
//! the content, not the name. Images are 1x28x28 bytes, 10 classes.

use std::path::{Path, PathBuf};

use crate::{DataError, ImageDataset, ImageShape, Split, idx};

/// Where the Debian package `dataset-fashion-mnist` installs Fashion-MNIST (gzip files); the
/// default folder for Fashion-MNIST.
pub const FASHION_MNIST_DEFAULT_DIR: &str = "/usr/share/datasets/fashion-mnist";
/// The default folder for MNIST (relative to the working directory).
pub const MNIST_DEFAULT_DIR: &str = "data/mnist";
/// Number of classes of both sets.
pub const NUM_CLASSES: usize = 10;
/// The image shape of both sets.
pub const SHAPE: ImageShape = ImageShape::new(1, 28, 28);
/// Fashion-MNIST class names, by label.
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// The base names (images, labels) of `split`'s files.
pub fn file_names(split: Split) -> (&'static str, &'static str) {
    match split {
        Split::Train => ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        Split::Test => ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }
}

/// The file `dir/base`, trying `base`, `base.gz`, and the dotted spellings, in that order.
///
/// # Errors
///
/// [`DataError::MissingFile`] naming `dir/base` if none exists.
pub fn find_file(dir: &Path, base: &str) -> Result<PathBuf, DataError> {
    let dotted = base.replacen("-idx", ".idx", 1);
    let candidates = [
        base.to_string(),
        format!("{base}.gz"),
        dotted.clone(),
        format!("{dotted}.gz"),
    ];
    candidates
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| DataError::MissingFile {
            path: dir.join(base),
            hint: format!(" (also tried {base}.gz, {dotted} and {dotted}.gz)"),
        })
}

fn load_named(dir: &Path, split: Split, name: &str) -> Result<ImageDataset, DataError> {
    let (images, labels) = file_names(split);
    let images = find_file(dir, images)?;
    let labels = find_file(dir, labels)?;
    idx::load_with_size(
        &images,
        &labels,
        &format!("{name}-{split}"),
        NUM_CLASSES,
        Some((SHAPE.height, SHAPE.width)),
    )
}

/// Loads the `split` of Fashion-MNIST from `dir` (e.g. [`FASHION_MNIST_DEFAULT_DIR`]): 60 000
/// training or 10 000 test images, named `fashion-mnist-<split>`.
///
/// # Errors
///
/// [`DataError::MissingFile`] if a file is missing, [`DataError::ImageSize`] if the images
/// are not 28x28, and the errors of [`idx::load`].
pub fn load_fashion(dir: &Path, split: Split) -> Result<ImageDataset, DataError> {
    load_named(dir, split, "fashion-mnist")
}

/// Loads the `split` of MNIST from `dir`: 60 000 training or 10 000 test images, named
/// `mnist-<split>`.
///
/// # Errors
///
/// As [`load_fashion`].
pub fn load_mnist(dir: &Path, split: Split) -> Result<ImageDataset, DataError> {
    load_named(dir, split, "mnist")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::testing::{gzip, idx_bytes, write};
    use crate::{ImageBatcher, Normalization};

    /// The real files, if the `dataset-fashion-mnist` package is installed.
    fn real_dir() -> Option<&'static Path> {
        let dir = Path::new(FASHION_MNIST_DEFAULT_DIR);
        if dir.is_dir() {
            Some(dir)
        } else {
            eprintln!(
                "skipped: {FASHION_MNIST_DEFAULT_DIR} is missing (apt-get install dataset-fashion-mnist)"
            );
            None
        }
    }

    #[test]
    fn reads_real_fashion_mnist() {
        let Some(dir) = real_dir() else { return };
        let train = load_fashion(dir, Split::Train).expect("loads the training split");
        let test = load_fashion(dir, Split::Test).expect("loads the test split");
        assert_eq!((train.len(), test.len()), (60_000, 10_000));
        assert_eq!(train.shape(), SHAPE);
        assert_eq!(train.name(), "fashion-mnist-train");
        assert_eq!(train.label(0), Some(9), "{}", FASHION_MNIST_CLASSES[9]);
        assert_eq!(test.label(0), Some(9));
        // Balanced: 6000 per class in train, 1000 in test.
        assert_eq!(train.class_counts(), vec![6000; 10]);
        assert_eq!(test.class_counts(), vec![1000; 10]);
        // The published statistics match the data.
        let stats = train.channel_stats();
        let preset = Normalization::fashion_mnist();
        assert!((stats.mean[0] - preset.mean[0]).abs() < 5e-4, "{stats:?}");
        assert!((stats.std[0] - preset.std[0]).abs() < 5e-4, "{stats:?}");
        // A batch goes through.
        let batcher = ImageBatcher::new(Some(preset), None, 0);
        let batch = batcher.batch_indices_eval(&test, &[0, 1], &burn::tensor::Device::flex());
        assert_eq!(batch.images.dims(), [2, 1, 28, 28]);
    }

    #[test]
    fn finds_raw_gzip_and_dotted_names() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let pixels: Vec<u8> = (0..2 * 784).map(|i| (i % 251) as u8).collect();
        let images = idx_bytes(&[2, 28, 28], &pixels);
        let labels = idx_bytes(&[2], &[3, 9]);
        // Train: raw images, gzipped labels; test: dotted names.
        write(&dir.path().join("train-images-idx3-ubyte"), &images);
        write(
            &dir.path().join("train-labels-idx1-ubyte.gz"),
            &gzip(&labels),
        );
        write(&dir.path().join("t10k-images.idx3-ubyte"), &images);
        write(
            &dir.path().join("t10k-labels.idx1-ubyte.gz"),
            &gzip(&labels),
        );
        for split in Split::ALL {
            let set = load_mnist(dir.path(), split).expect("loads");
            assert_eq!(set.name(), format!("mnist-{split}"));
            assert_eq!(set.labels(), vec![3, 9]);
            let image = set.image(1).expect("in range");
            assert_eq!(image[5], ((784 + 5) % 251) as f32 / 255.0);
        }
    }

    #[test]
    fn missing_and_wrong_size_files() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let err = match load_fashion(dir.path(), Split::Train) {
            Ok(_) => panic!("loaded from an empty folder"),
            Err(err) => err,
        };
        let message = err.to_string();
        assert!(
            message.contains("train-images-idx3-ubyte: file not found"),
            "{message}"
        );
        assert!(message.contains(".gz"), "{message}");

        write(
            &dir.path().join("t10k-images-idx3-ubyte"),
            &idx_bytes(&[1, 2, 2], &[0; 4]),
        );
        write(
            &dir.path().join("t10k-labels-idx1-ubyte"),
            &idx_bytes(&[1], &[0]),
        );
        let err = match load_fashion(dir.path(), Split::Test) {
            Ok(_) => panic!("loaded 2x2 images as Fashion-MNIST"),
            Err(err) => err,
        };
        assert!(
            matches!(
                err,
                DataError::ImageSize {
                    found_height: 2,
                    ..
                }
            ),
            "{err}"
        );
    }
}
