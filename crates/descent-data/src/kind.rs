//! Names of splits and dataset kinds, parsed with `FromStr` and printed with `Display`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::DataError;

/// Which part of a dataset: the training or the test split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// The training split (`"train"`).
    Train,
    /// The test split (`"test"`).
    Test,
}

impl Split {
    /// Both splits, training first.
    pub const ALL: [Split; 2] = [Split::Train, Split::Test];

    /// The name used by `FromStr` and `Display`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Split {
    type Err = DataError;

    /// Parses `"train"` or `"test"` (ASCII case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Split::ALL
            .into_iter()
            .find(|split| split.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| DataError::UnknownName {
                what: "split",
                found: s.to_string(),
                expected: "train, test",
            })
    }
}

/// Which dataset: the real image sets read from files, or a set generated from a seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DatasetKind {
    /// CIFAR-10 binary batches (`"cifar10"`): 3x32x32, 10 classes.
    #[serde(rename = "cifar10")]
    Cifar10,
    /// Fashion-MNIST IDX files (`"fashion-mnist"`): 1x28x28, 10 classes.
    #[serde(rename = "fashion-mnist")]
    FashionMnist,
    /// MNIST IDX files (`"mnist"`): 1x28x28, 10 classes.
    #[serde(rename = "mnist")]
    Mnist,
    /// Synthetic 10-class images (`"synthetic"`), see [`crate::synthetic::SyntheticImagesConfig`].
    #[serde(rename = "synthetic")]
    SyntheticImages,
    /// 2-D spirals (`"spirals"`), see [`crate::synthetic::SpiralsConfig`].
    #[serde(rename = "spirals")]
    Spirals,
    /// 2-D Gaussian blobs (`"blobs"`), see [`crate::synthetic::BlobsConfig`].
    #[serde(rename = "blobs")]
    Blobs,
}

impl DatasetKind {
    /// Every kind, in declaration order.
    pub const ALL: [DatasetKind; 6] = [
        DatasetKind::Cifar10,
        DatasetKind::FashionMnist,
        DatasetKind::Mnist,
        DatasetKind::SyntheticImages,
        DatasetKind::Spirals,
        DatasetKind::Blobs,
    ];

    /// The name used by `FromStr` and `Display`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            DatasetKind::Cifar10 => "cifar10",
            DatasetKind::FashionMnist => "fashion-mnist",
            DatasetKind::Mnist => "mnist",
            DatasetKind::SyntheticImages => "synthetic",
            DatasetKind::Spirals => "spirals",
            DatasetKind::Blobs => "blobs",
        }
    }

    /// Whether the set is generated from a seed rather than read from files.
    pub const fn is_synthetic(&self) -> bool {
        matches!(
            self,
            DatasetKind::SyntheticImages | DatasetKind::Spirals | DatasetKind::Blobs
        )
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DatasetKind {
    type Err = DataError;

    /// Parses the names printed by `Display` (ASCII case-insensitive); also accepts
    /// `"cifar-10"`, `"fashion_mnist"`, `"fashionmnist"` and `"synthetic-images"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim().to_ascii_lowercase();
        let kind = match name.as_str() {
            "cifar10" | "cifar-10" => DatasetKind::Cifar10,
            "fashion-mnist" | "fashion_mnist" | "fashionmnist" => DatasetKind::FashionMnist,
            "mnist" => DatasetKind::Mnist,
            "synthetic" | "synthetic-images" => DatasetKind::SyntheticImages,
            "spirals" => DatasetKind::Spirals,
            "blobs" => DatasetKind::Blobs,
            _ => {
                return Err(DataError::UnknownName {
                    what: "dataset",
                    found: s.to_string(),
                    expected: "cifar10, fashion-mnist, mnist, synthetic, spirals, blobs",
                });
            }
        };
        Ok(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_round_trips() {
        for split in Split::ALL {
            assert_eq!(split.to_string().parse::<Split>().ok(), Some(split));
        }
        assert_eq!("TRAIN".parse::<Split>().ok(), Some(Split::Train));
        assert!(matches!(
            "valid".parse::<Split>(),
            Err(DataError::UnknownName { what: "split", .. })
        ));
    }

    #[test]
    fn kind_round_trips() {
        let names: Vec<String> = DatasetKind::ALL.iter().map(|k| k.to_string()).collect();
        assert_eq!(
            names,
            [
                "cifar10",
                "fashion-mnist",
                "mnist",
                "synthetic",
                "spirals",
                "blobs"
            ]
        );
        for kind in DatasetKind::ALL {
            assert_eq!(kind.to_string().parse::<DatasetKind>().ok(), Some(kind));
        }
        assert_eq!(
            "CIFAR-10".parse::<DatasetKind>().ok(),
            Some(DatasetKind::Cifar10)
        );
        let message = match "imagenet".parse::<DatasetKind>() {
            Err(err) => err.to_string(),
            Ok(kind) => panic!("parsed {kind}"),
        };
        assert!(message.contains("imagenet") && message.contains("cifar10"));
    }
}
