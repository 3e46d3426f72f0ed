//! `descent eval`: loss and accuracy of a saved model on a dataset.

use descent_data::{DatasetKind, ImageBatcher, LoadOptions, Split};
use descent_train::{ModelCard, TrainError, evaluate};

use crate::args::EvalArgs;

/// Runs `descent eval`.
pub fn run(device_name: &str, args: EvalArgs) -> anyhow::Result<()> {
    if args.batch_size == 0 {
        anyhow::bail!(TrainError::InvalidOption {
            field: "batch_size",
            value: "0".into(),
            reason: "must be at least 1".into(),
        });
    }
    let split: Split = args.split.parse()?;
    let (_, device) = super::open_device(device_name)?;
    let (card, model) = ModelCard::load_model(&args.checkpoint, &device)?;
    let dataset: DatasetKind = match &args.dataset {
        Some(name) => name.parse()?,
        None => card.dataset,
    };
    let dir = args.data_dir.clone().or_else(|| card.data_dir.clone());
    let options = LoadOptions {
        synthetic_samples: args.samples,
        seed: card.data_seed,
    };
    let mut set = descent_data::load(dataset, dir.as_deref(), split, &options)?;
    if set.shape() != card.input || set.num_classes() != card.num_classes {
        anyhow::bail!(TrainError::InvalidOption {
            field: "dataset",
            value: set.name().to_string(),
            reason: format!(
                "its samples are {} with {} classes, the model takes {} with {} classes",
                set.shape(),
                set.num_classes(),
                card.input,
                card.num_classes
            ),
        });
    }
    if let Some(n) = args.samples {
        set = set.take(n);
    }
    let batcher = ImageBatcher::new(card.normalization.clone(), None, 0);
    let metrics = evaluate(&model, &set, &batcher, args.batch_size, &device).ok_or_else(|| {
        TrainError::InvalidOption {
            field: "dataset",
            value: set.name().to_string(),
            reason: "holds no samples".into(),
        }
    })?;
    if args.json {
        println!("{}", serde_json::to_string(&metrics)?);
    } else {
        println!(
            "{}: loss {:.4}, accuracy {:.2}% over {} samples",
            set.name(),
            metrics.loss,
            100.0 * metrics.accuracy,
            metrics.samples
        );
    }
    Ok(())
}
