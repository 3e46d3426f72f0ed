//! `descent eval`: loss and accuracy of a saved model, a run's weight average or a snapshot
//! ensemble on a dataset.

use std::path::PathBuf;

use descent_data::{DatasetKind, ImageBatcher, LoadOptions, Split};
use descent_train::averaging::{read_swag, snapshot_dirs};
use descent_train::bma::predict_probabilities;
use descent_train::calibration::{GUO_BINS, expected_calibration_error};
use descent_train::layout;
use descent_train::run_data::run_training_set;
use descent_train::{
    ModelCard, SwagEvalOptions, TrainError, evaluate, evaluate_ensemble, evaluate_swag,
};

use crate::args::{AverageKind, EvalArgs};

/// Runs `descent eval`.
pub fn run(device_name: &str, args: EvalArgs) -> anyhow::Result<()> {
    if args.batch_size == 0 {
        anyhow::bail!(TrainError::InvalidOption {
            field: "batch_size",
            value: "0".into(),
            reason: "must be at least 1".into(),
        });
    }
    let split: Split = args.split;
    let paths = model_paths(&args)?;
    let imported = args.torch.card(args.dataset, args.data_dir.clone())?;
    let (_, device) = super::open_device(device_name)?;
    let mut cards = Vec::new();
    let mut models = Vec::new();
    let loaded = descent_train::import::load_models(&paths, imported.as_ref(), &device)?;
    for (path, (card, model)) in paths.iter().zip(loaded) {
        if let Some(first) = cards.first() {
            same_input(first, &card, path)?;
        }
        cards.push(card);
        models.push(model);
    }
    let card = &cards[0];
    let dataset: DatasetKind = args.dataset.unwrap_or(card.dataset);
    let dir = args.data_dir.clone().or_else(|| card.data_dir.clone());
    let options = LoadOptions {
        synthetic_samples: args.samples,
        seed: card.data_seed,
    };
    // The training split of a model inside a run folder is the images the run trained on
    // (unless another dataset or folder is named), as in the landscape commands.
    let run_images = if split == Split::Train && args.dataset.is_none() && args.data_dir.is_none() {
        run_training_set(card, &paths[0])?
    } else {
        None
    };
    let mut set = match run_images {
        Some(set) => set,
        None => descent_data::load(dataset, dir.as_deref(), split, &options)?,
    };
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
    if args.swag {
        return swag(&args, card, models.remove(0), &set, &batcher, &device);
    }
    let metrics = if args.ensemble {
        evaluate_ensemble(&models, &set, &batcher, args.batch_size, &device)?
    } else {
        evaluate(&models[0], &set, &batcher, args.batch_size, &device)
    };
    let metrics = metrics.ok_or_else(|| TrainError::InvalidOption {
        field: "dataset",
        value: set.name().to_string(),
        reason: "holds no samples".into(),
    })?;
    // Guo et al.'s ECE (15 equal-width bins), as `eval --swag` reports it: of the model's
    // softmax, or of the ensemble's mean softmax (what its accuracy and loss are of).
    let mut probs = predict_probabilities(&models[0], &set, &batcher, args.batch_size, &device)?;
    if args.ensemble {
        for model in &models[1..] {
            let more = predict_probabilities(model, &set, &batcher, args.batch_size, &device)?;
            probs.iter_mut().zip(more).for_each(|(p, q)| *p += q);
        }
        let n = models.len() as f64;
        probs.iter_mut().for_each(|p| *p /= n);
    }
    let ece = expected_calibration_error(&probs, set.num_classes(), &set.labels(), GUO_BINS)?;
    if args.json {
        let mut value = serde_json::to_value(metrics)?;
        if let Some(object) = value.as_object_mut() {
            object.insert("ece".into(), ece.into());
        }
        println!("{}", serde_json::to_string(&value)?);
    } else {
        let what = if args.ensemble {
            format!("ensemble of {} models, ", models.len())
        } else if let Some(averaged) = args.averaged {
            format!("{} average, ", averaged.name().to_uppercase())
        } else {
            String::new()
        };
        println!(
            "{}{}: loss {:.4}, accuracy {:.2}% over {} samples, ECE {:.4} (Guo et al., 15 bins)",
            what,
            set.name(),
            metrics.loss,
            100.0 * metrics.accuracy,
            metrics.samples,
            ece
        );
    }
    Ok(())
}

/// `descent eval RUN --swag`: the Bayesian model average of SWAG samples beside the SWA mean
/// and the last weights, as a table or JSON.
fn swag(
    args: &EvalArgs,
    card: &ModelCard,
    last: descent_models::Model,
    test: &descent_data::ImageDataset,
    batcher: &ImageBatcher,
    device: &burn::tensor::Device,
) -> anyhow::Result<()> {
    let path = args.checkpoint.join(layout::SWAG_FILE);
    if !path.is_file() {
        anyhow::bail!(TrainError::InvalidOption {
            field: "swag",
            value: args.checkpoint.display().to_string(),
            reason: format!(
                "this run has no {} (train with --swa-start E --swag)",
                layout::SWAG_FILE
            ),
        });
    }
    let bytes = std::fs::read(&path).map_err(|e| TrainError::io("reading", &path, e))?;
    let posterior = read_swag(&last, &bytes, &path)?;
    let train = training_set(args, card)?;
    let options = SwagEvalOptions {
        samples: args.swag_samples as usize,
        scale: args.swag_scale,
        covariance: args.swag_covariance,
        seed: args.seed,
        bn_samples: args.bn_samples.map(|n| n as usize),
        batch_size: args.batch_size,
    };
    // A counter on a terminal only: a log or a pipe gets the result alone.
    let quiet = args.json || !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let total = options.samples;
    let result = evaluate_swag(
        &posterior,
        &last,
        &train,
        test,
        batcher,
        &options,
        device,
        &mut |i| {
            if !quiet {
                eprint!("\rswag sample {i}/{total}");
                if i == total {
                    eprintln!();
                }
            }
        },
    )?;
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
        return Ok(());
    }
    println!(
        "{}: SWAG over {} samples (scale {}, {}, rank {} of {} models), batch norm on {} \
         training samples",
        test.name(),
        options.samples,
        options.scale,
        options.covariance,
        result.deviations,
        result.collected_models,
        result.bn_samples_used
    );
    println!(
        "{:<10} {:>9} {:>8} {:>8}",
        "weights", "accuracy", "nll", "ece"
    );
    for (name, m) in [
        ("swag-bma", &result.swag),
        ("swa-mean", &result.swa),
        ("last", &result.last),
    ] {
        println!(
            "{name:<10} {:>8.2}% {:>8.4} {:>8.4}",
            100.0 * m.accuracy,
            m.nll,
            m.ece
        );
    }
    Ok(())
}

/// The training set batch-norm statistics are recomputed on: the run's own (its
/// `config.json`: the same subset, without a validation split) when the run folder has one,
/// else the whole training split of the evaluated dataset.
fn training_set(args: &EvalArgs, card: &ModelCard) -> anyhow::Result<descent_data::ImageDataset> {
    if args.dataset.is_none()
        && args.data_dir.is_none()
        && let Some(train) = run_training_set(card, &args.checkpoint)?
    {
        return Ok(train);
    }
    let options = LoadOptions {
        synthetic_samples: None,
        seed: card.data_seed,
    };
    let dataset = args.dataset.unwrap_or(card.dataset);
    let dir = args.data_dir.clone().or_else(|| card.data_dir.clone());
    Ok(descent_data::load(
        dataset,
        dir.as_deref(),
        Split::Train,
        &options,
    )?)
}

/// The models to evaluate: the checkpoint itself, its `swa/` or `ema/` folder
/// (`--averaged`), or the ensemble's members (`--ensemble`: the run's snapshots, or the
/// checkpoint and the further paths given).
fn model_paths(args: &EvalArgs) -> anyhow::Result<Vec<PathBuf>> {
    if let Some(averaged) = args.averaged {
        let folder = match averaged {
            AverageKind::Swa => layout::SWA_DIR,
            AverageKind::Ema => layout::EMA_DIR,
        };
        let path = args.checkpoint.join(folder);
        if !path.is_dir() {
            anyhow::bail!(TrainError::BadCheckpoint {
                path: args.checkpoint.clone(),
                reason: format!(
                    "holds no {folder}/ folder (train with {})",
                    if folder == layout::SWA_DIR {
                        "--swa-start"
                    } else {
                        "--ema"
                    }
                ),
            });
        }
        return Ok(vec![path]);
    }
    if args.ensemble && args.members.is_empty() {
        return Ok(snapshot_dirs(&args.checkpoint)?);
    }
    let mut paths = vec![args.checkpoint.clone()];
    paths.extend(args.members.iter().cloned());
    Ok(paths)
}

/// Refuses an ensemble member that takes other input than the first (shape, classes or
/// normalization): the members share one batch of images.
fn same_input(first: &ModelCard, card: &ModelCard, path: &std::path::Path) -> anyhow::Result<()> {
    let reason = if card.input != first.input || card.num_classes != first.num_classes {
        format!(
            "takes {} with {} classes, the first member {} with {} classes",
            card.input, card.num_classes, first.input, first.num_classes
        )
    } else if card.normalization != first.normalization {
        "was trained with other input normalization than the first member".to_string()
    } else {
        return Ok(());
    };
    anyhow::bail!(TrainError::BadCheckpoint {
        path: path.to_path_buf(),
        reason: format!("{reason}; ensemble members share one batch of images"),
    })
}
