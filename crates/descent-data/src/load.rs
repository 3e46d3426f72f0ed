//! One entry point for every dataset kind.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::rng::derive_seed;
use crate::synthetic::{BlobsConfig, SpiralsConfig, SyntheticImagesConfig};
use crate::{DataError, DatasetKind, ImageDataset, Split, cifar10, mnist};

/// Settings of [`load`] that only generated sets use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadOptions {
    /// Samples in the requested split of a generated set; `None`: [`default_samples`].
    pub synthetic_samples: Option<usize>,
    /// Seed of a generated set. The classes (templates, centres) come from this seed alone,
    /// so both splits share them; the samples come from this seed mixed with the split.
    pub seed: u64,
}

/// The folder [`load`] reads `kind` from when none is given; `None` for generated sets.
pub fn default_dir(kind: DatasetKind) -> Option<PathBuf> {
    match kind {
        DatasetKind::Cifar10 => Some(PathBuf::from(cifar10::DEFAULT_DIR)),
        DatasetKind::FashionMnist => Some(PathBuf::from(mnist::FASHION_MNIST_DEFAULT_DIR)),
        DatasetKind::Mnist => Some(PathBuf::from(mnist::MNIST_DEFAULT_DIR)),
        DatasetKind::SyntheticImages | DatasetKind::Spirals | DatasetKind::Blobs => None,
    }
}

/// Number of samples of a generated set's split when [`LoadOptions::synthetic_samples`] is
/// `None`: 5000 train / 1000 test for synthetic images, 1000 / 500 for spirals and blobs;
/// `None` for sets read from files.
pub fn default_samples(kind: DatasetKind, split: Split) -> Option<usize> {
    match (kind, split) {
        (DatasetKind::SyntheticImages, Split::Train) => Some(5000),
        (DatasetKind::SyntheticImages, Split::Test) => Some(1000),
        (DatasetKind::Spirals | DatasetKind::Blobs, Split::Train) => Some(1000),
        (DatasetKind::Spirals | DatasetKind::Blobs, Split::Test) => Some(500),
        _ => None,
    }
}

/// The seed of a generated split's samples: `seed` mixed with the split, so the two splits
/// never share samples.
pub fn sample_seed(seed: u64, split: Split) -> u64 {
    derive_seed(
        seed,
        match split {
            Split::Train => 1,
            Split::Test => 2,
        },
    )
}

/// Loads `split` of `kind`: from `dir` (or [`default_dir`]) for the sets read from files;
/// generated from [`LoadOptions`] for the others, which ignore `dir`. The name is
/// `<kind>-<split>` (e.g. `"cifar10-train"`, `"synthetic-test"`).
///
/// Generated sets use the configs' defaults otherwise: [`SyntheticImagesConfig`] (10 classes,
/// 3x32x32), [`SpiralsConfig`] and [`BlobsConfig`] (3 classes).
///
/// # Errors
///
/// The loaders' and generators' errors; nothing is downloaded.
pub fn load(
    kind: DatasetKind,
    dir: Option<&Path>,
    split: Split,
    options: &LoadOptions,
) -> Result<ImageDataset, DataError> {
    let folder = || dir.map(Path::to_path_buf).or_else(|| default_dir(kind));
    let samples = options
        .synthetic_samples
        .or_else(|| default_samples(kind, split))
        .unwrap_or(0);
    let seed = sample_seed(options.seed, split);
    let set = match kind {
        DatasetKind::Cifar10 => cifar10::load(&folder().unwrap_or_default(), split)?,
        DatasetKind::FashionMnist => mnist::load_fashion(&folder().unwrap_or_default(), split)?,
        DatasetKind::Mnist => mnist::load_mnist(&folder().unwrap_or_default(), split)?,
        DatasetKind::SyntheticImages => SyntheticImagesConfig::new(samples)
            .with_seed(seed)
            .with_template_seed(options.seed)
            .generate()?,
        DatasetKind::Spirals => SpiralsConfig::new(samples).with_seed(seed).generate()?,
        DatasetKind::Blobs => BlobsConfig::new(samples)
            .with_seed(seed)
            .with_centers_seed(options.seed)
            .generate()?,
    };
    Ok(set.with_name(format!("{kind}-{split}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_kinds_ignore_the_folder_and_differ_by_split() {
        let options = LoadOptions {
            synthetic_samples: Some(20),
            seed: 3,
        };
        for kind in [
            DatasetKind::Spirals,
            DatasetKind::Blobs,
            DatasetKind::SyntheticImages,
        ] {
            let train = load(
                kind,
                Some(Path::new("/nonexistent")),
                Split::Train,
                &options,
            )
            .expect("generates");
            let test = load(kind, None, Split::Test, &options).expect("generates");
            assert_eq!(train.name(), format!("{kind}-train"));
            assert_eq!(test.name(), format!("{kind}-test"));
            assert_eq!((train.len(), test.len()), (20, 20));
            assert_ne!(train.image(0), test.image(0));
            let again = load(kind, None, Split::Train, &options).expect("generates");
            assert_eq!(train.image(7), again.image(7));
        }
        let defaults = load(
            DatasetKind::Spirals,
            None,
            Split::Test,
            &LoadOptions::default(),
        )
        .expect("generates");
        assert_eq!(defaults.len(), 500);
    }

    #[test]
    fn file_kinds_report_missing_folders() {
        let dir = tempfile::tempdir().expect("temporary folder");
        for kind in [
            DatasetKind::Cifar10,
            DatasetKind::Mnist,
            DatasetKind::FashionMnist,
        ] {
            let err = load(kind, Some(dir.path()), Split::Test, &LoadOptions::default());
            assert!(matches!(err, Err(DataError::MissingFile { .. })), "{kind}");
        }
        assert_eq!(
            default_dir(DatasetKind::FashionMnist),
            Some(PathBuf::from("/usr/share/datasets/fashion-mnist"))
        );
        assert_eq!(default_dir(DatasetKind::Blobs), None);
    }
}
