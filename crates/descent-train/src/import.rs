//! Models trained elsewhere: a PyTorch `state_dict` (`.safetensors`, `.pt`, `.pth`) read into
//! one of our architectures, with the [`ModelCard`] that says what data it takes, so every
//! command that reads a model (evaluation, landscapes, curvature) reads it too.
//!
//! The names and layouts are mapped by [`descent_models::torch`]; see there for the PyTorch
//! definitions each architecture must follow.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use descent_data::{DatasetKind, LoadOptions, Split};
use descent_models::{Model, ModelConfig, TorchFormat};

use crate::config::NormalizationChoice;
use crate::error::TrainError;
use crate::layout;
use crate::records::module_bytes;
use crate::run::{ModelCard, fit_model_to_data};

/// Whether `path` names a PyTorch weights file (by its extension: `.safetensors`, `.pt`,
/// `.pth`, `.bin`) rather than one of our model files or folders.
pub fn is_torch_file(path: &Path) -> bool {
    TorchFormat::matches(path)
}

/// The card of weights trained elsewhere: the architecture `model`, whose input and class
/// fields left at 0 are filled from `dataset` (as `descent train` fills them), the dataset's
/// folder, and the input normalization the weights were trained with
/// ([`NormalizationChoice::FromTrainingSet`] is resolved here, from the training split).
///
/// # Errors
///
/// Data loading errors; [`TrainError::InvalidOption`] if the architecture does not fit the
/// dataset; model configuration errors.
pub fn import_card(
    model: ModelConfig,
    dataset: DatasetKind,
    data_dir: Option<PathBuf>,
    normalization: NormalizationChoice,
) -> Result<ModelCard, TrainError> {
    let mut model = model;
    // The training split resolves a normalization from the training set; otherwise the test
    // split, usually smaller, tells the shape and the classes just as well.
    let split = match normalization {
        NormalizationChoice::FromTrainingSet => Split::Train,
        _ => Split::Test,
    };
    let set = descent_data::load(dataset, data_dir.as_deref(), split, &LoadOptions::default())?;
    fit_model_to_data(&mut model, &set)?;
    model.validate()?;
    let normalization = match normalization {
        NormalizationChoice::None => None,
        NormalizationChoice::FromTrainingSet => Some(set.channel_stats()),
        NormalizationChoice::Fixed(n) => {
            if n.mean.len() != set.shape().channels {
                return Err(TrainError::InvalidOption {
                    field: "normalize",
                    value: format!("{} channel(s)", n.mean.len()),
                    reason: format!(
                        "the dataset {} has {} channel(s)",
                        set.name(),
                        set.shape().channels
                    ),
                });
            }
            Some(n)
        }
    };
    Ok(ModelCard {
        model,
        input: set.shape(),
        num_classes: set.num_classes(),
        normalization,
        dataset,
        data_dir,
        data_seed: LoadOptions::default().seed,
    })
}

/// Reads the PyTorch `state_dict` at `path` into the model `card` describes.
///
/// # Errors
///
/// [`TrainError::Model`] with the import's error (unreadable file, tensors that do not fit).
#[cfg(feature = "pytorch")]
pub fn import_model(card: &ModelCard, path: &Path, device: &Device) -> Result<Model, TrainError> {
    Ok(descent_models::torch::import(&card.model, path, device)?)
}

/// Reads the PyTorch `state_dict` at `path` into the model `card` describes: without the
/// `pytorch` feature, an error saying so.
///
/// # Errors
///
/// Always [`TrainError::InvalidOption`].
#[cfg(not(feature = "pytorch"))]
pub fn import_model(card: &ModelCard, path: &Path, device: &Device) -> Result<Model, TrainError> {
    let _ = (card, device);
    Err(TrainError::InvalidOption {
        field: "model",
        value: path.display().to_string(),
        reason: "is a PyTorch file, and descent-train was built without its `pytorch` feature"
            .into(),
    })
}

/// Loads a model: one of ours (a run folder, a checkpoint folder, or a `.bpk` file with its
/// `model.json`), or a PyTorch weights file described by `imported`.
///
/// # Errors
///
/// [`TrainError::InvalidOption`] for a PyTorch file without `imported` (or `imported` with
/// one of ours); loading errors.
pub fn load_model(
    path: &Path,
    imported: Option<&ModelCard>,
    device: &Device,
) -> Result<(ModelCard, Model), TrainError> {
    match (is_torch_file(path), imported) {
        (true, Some(card)) => Ok((card.clone(), import_model(card, path, device)?)),
        (true, None) => Err(TrainError::InvalidOption {
            field: "model",
            value: path.display().to_string(),
            reason: "is a PyTorch file: say which architecture it holds with --model (and \
                     --dataset, --normalize), or convert it once with `descent import`"
                .into(),
        }),
        (false, Some(_)) => Err(TrainError::InvalidOption {
            field: "model",
            value: path.display().to_string(),
            reason: "--model describes PyTorch files (.safetensors, .pt, .pth); this model \
                     has its own model.json"
                .into(),
        }),
        (false, None) => ModelCard::load_model(path, device),
    }
}

/// Loads models as [`load_model`] does, reading the PyTorch files among `paths` with the card
/// `imported` and ours with their own.
///
/// # Errors
///
/// [`TrainError::InvalidOption`] for a card when no path is a PyTorch file (the architecture
/// flags would be ignored) and for a PyTorch file without one; loading errors.
pub fn load_models(
    paths: &[PathBuf],
    imported: Option<&ModelCard>,
    device: &Device,
) -> Result<Vec<(ModelCard, Model)>, TrainError> {
    if imported.is_some() && !paths.iter().any(|p| is_torch_file(p)) {
        return Err(TrainError::InvalidOption {
            field: "model",
            value: paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            reason: "--model describes PyTorch files (.safetensors, .pt, .pth); these models \
                     have their own model.json"
                .into(),
        });
    }
    paths
        .iter()
        .map(|path| load_model(path, imported.filter(|_| is_torch_file(path)), device))
        .collect()
}

/// Saves `model` with its card as `folder/model.bpk` and `folder/model.json`, the files every
/// command reads.
///
/// A new `folder` is built under a temporary name and renamed into place once both
/// files are complete, so a process killed in the middle leaves no folder at all, never one
/// with weights and no card. Into a folder that already exists, each file is
/// written atomically, the card last: a folder with a card always has its weights.
///
/// # Errors
///
/// [`TrainError::Io`] if the folder or a file cannot be written.
pub fn save_model(card: &ModelCard, model: &Model, folder: &Path) -> Result<(), TrainError> {
    let weights = module_bytes(model)?;
    let text = serde_json::to_vec_pretty(card).map_err(|e| TrainError::BadCheckpoint {
        path: folder.to_path_buf(),
        reason: e.to_string(),
    })?;
    let write_pair = |into: &Path| -> Result<(), TrainError> {
        descent_files::write_file(&into.join(layout::MODEL), &weights)?;
        Ok(descent_files::write_file(
            &into.join(layout::MODEL_CARD),
            &text,
        )?)
    };
    if !folder.exists() {
        if let Some(parent) = folder.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| TrainError::io("creating", parent, e))?;
        }
        descent_files::write_dir(folder, write_pair)
    } else {
        write_pair(folder)
    }
}

#[cfg(test)]
mod tests {
    //! A ResNet-20 trained in PyTorch on Fashion-MNIST, imported with its card: the same
    //! logits as PyTorch on the first eight test images. The file and the expected values come
    //! from `crates/descent-models/scripts/torch_state_dicts.py` (abridged):
    //!
    //! ```python
    //! net = ResNet(20, 'B', 0.25, 1)          # 1x28x28, width 0.25, projection shortcuts
    //! x, y = fmnist('train', 2000)             # (pixel / 255 - 0.2860) / 0.3530
    //! ...                                      # five epochs of SGD, lr 0.05, batches of 64
    //! net.eval(); torch.save(net.state_dict(), 'resnet20_fmnist.pt')
    //! tx, ty = fmnist('test', 1000)
    //! logits = net(tx)
    //! expected = {'logits_first8': logits[:8].tolist(), 'correct': ..., 'loss': ...}
    //! ```
    //!
    //! Needs the real Fashion-MNIST (Debian's `dataset-fashion-mnist`; `scripts/test`
    //! installs it).

    use super::*;
    use burn::tensor::{TensorData, Tolerance};
    use descent_data::{DatasetKind, ImageBatcher, Normalization, Split};
    use descent_models::{ImageClassifier, ResNetConfig};

    fn fixture(file: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../descent-models/tests/data/torch")
            .join(file)
    }

    #[test]
    #[cfg(feature = "pytorch")]
    fn resnet20_trained_in_pytorch_gives_pytorchs_logits() {
        let mut resnet = ResNetConfig::new(20).with_width(0.25);
        resnet.in_channels = 0;
        resnet.image_size = 0;
        resnet.num_classes = 0;
        let normalization = Normalization::new(vec![0.2860], vec![0.3530]).expect("valid");
        let card = import_card(
            resnet.into(),
            DatasetKind::FashionMnist,
            None,
            NormalizationChoice::Fixed(normalization),
        )
        .expect("Fashion-MNIST fits a ResNet");
        assert_eq!(
            (card.input.channels, card.input.height, card.num_classes),
            (1, 28, 10)
        );
        let device = Device::flex();
        let model = import_model(&card, &fixture("resnet20_fmnist.pt"), &device).expect("import");

        let test = descent_data::load(
            DatasetKind::FashionMnist,
            None,
            Split::Test,
            &LoadOptions::default(),
        )
        .expect("Fashion-MNIST test split");
        let batcher = ImageBatcher::new(card.normalization.clone(), None, 0);
        let indices: Vec<usize> = (0..8).collect();
        let batch = batcher.batch_indices_eval(&test, &indices, &device);
        let logits = model.logits(batch.images).into_data();

        let text = std::fs::read_to_string(fixture("resnet20_fmnist.expected.json")).expect("read");
        let expected: serde_json::Value = serde_json::from_str(&text).expect("json");
        let want: Vec<f32> = expected["logits_first8"]
            .as_array()
            .expect("rows")
            .iter()
            .flat_map(|row| {
                row.as_array()
                    .expect("row")
                    .iter()
                    .map(|v| v.as_f64().expect("f64") as f32)
            })
            .collect();
        logits.assert_approx_eq::<f32>(&TensorData::new(want, [8, 10]), Tolerance::absolute(1e-5));
    }

    #[test]
    fn pytorch_files_need_their_card_and_our_files_refuse_one() {
        let device = Device::flex();
        let Err(err) = load_model(&fixture("resnet20_fmnist.pt"), None, &device) else {
            panic!("a PyTorch file without a card loaded");
        };
        assert!(
            matches!(err, TrainError::InvalidOption { field: "model", .. }),
            "{err}"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let card = ModelCard {
            model: ResNetConfig::new(8).with_width(0.5).into(),
            input: descent_data::ImageShape::new(3, 32, 32),
            num_classes: 10,
            normalization: None,
            dataset: DatasetKind::SyntheticImages,
            data_dir: None,
            data_seed: 0,
        };
        let Err(err) = load_model(dir.path(), Some(&card), &device) else {
            panic!("a folder of ours loaded with a card");
        };
        assert!(
            matches!(err, TrainError::InvalidOption { field: "model", .. }),
            "{err}"
        );
    }
}
