//! The flags that several `descent landscape` subcommands share (which data each point is
//! evaluated on, where results go) and their conversion into library options. A leaf: the
//! subcommands import it, it imports none of them.

use std::path::PathBuf;

use clap::Args;
use descent_data::{DatasetKind, Split};
use descent_landscape::{BnPolicy, EvalOptions, LandscapeError, Shard, TrainingImages};

use crate::values::{listed, named, parsed};

/// Which data each point is evaluated on.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Evaluation")]
pub struct EvalFlags {
    /// Splits to evaluate, comma-separated: train, test. The default is the training split,
    /// the loss that was minimized (as Li et al. 2018, PyHessian and Keskar et al. 2017
    /// measure it).
    #[arg(long, value_delimiter = ',', default_value = "train", value_parser = named(Split::ALL, Split::as_str))]
    pub split: Vec<Split>,
    /// Evaluate on a fixed, seeded subset of this many samples per split (generated sets:
    /// generate this many). A scan's points also record the standard error of their mean
    /// loss and accuracy over the samples (`loss_<split>_se`; see the README).
    #[arg(long, alias = "subset")]
    pub samples: Option<usize>,
    /// Seed of the subset.
    #[arg(long, default_value_t = 0)]
    pub subset_seed: u64,
    /// Samples per forward pass.
    #[arg(long, default_value_t = 256)]
    pub batch_size: usize,
    /// Dataset (default: the one in the model card).
    #[arg(long, value_parser = named(DatasetKind::ALL, DatasetKind::as_str))]
    pub dataset: Option<DatasetKind>,
    /// Dataset folder (default: the one in the model card).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Batch-norm running statistics: keep (the centre model's) or recompute (at each point,
    /// from the batches of the first split; use one batch for the exact mean and variance).
    #[arg(long, default_value = "keep", value_parser = listed::<BnPolicy>(&["keep", "recompute"]))]
    pub bn: BnPolicy,
    /// The architecture of a PyTorch weights file given in place of a checkpoint.
    #[command(flatten)]
    pub torch: crate::model_args::TorchModelArgs,
}

/// Where results go and which share of the points this run computes.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputFlags {
    /// The scan file (.npz). An existing file with the same settings is resumed.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Compute only shard INDEX/COUNT of the points (point k belongs to shard k mod COUNT).
    /// Without it, SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or JOB_COMPLETION_INDEX
    /// (with --shard-count) choose the shard when set.
    #[arg(long, value_parser = parsed::<Shard>())]
    pub shard: Option<Shard>,
    /// Number of shards, for JOB_COMPLETION_INDEX (a Kubernetes indexed job) or to override
    /// SLURM_ARRAY_TASK_COUNT.
    #[arg(long)]
    pub shard_count: Option<usize>,
    /// Save the scan file at least every this many seconds.
    #[arg(long, default_value_t = 5.0)]
    pub save_every: f64,
    /// Stop after this many points (the file stays resumable). For tests.
    #[arg(long, hide = true)]
    pub max_points: Option<usize>,
}

/// The library's evaluation options from the flags.
pub(super) fn eval_options(flags: &EvalFlags) -> anyhow::Result<EvalOptions> {
    let splits = flags.split.clone();
    let dataset = flags.dataset;
    if flags.batch_size == 0 {
        anyhow::bail!(LandscapeError::invalid(
            "batch_size",
            0,
            "must be at least 1"
        ));
    }
    Ok(EvalOptions {
        splits,
        samples: flags.samples,
        subset_seed: flags.subset_seed,
        batch_size: flags.batch_size,
        dataset,
        data_dir: flags.data_dir.clone(),
        bn: flags.bn,
        training_images: TrainingImages::Run,
    })
}

/// The card of the PyTorch weights files given in place of checkpoints (`--model` and the
/// data flags), if any.
pub(super) fn imported_card(flags: &EvalFlags) -> anyhow::Result<Option<descent_train::ModelCard>> {
    flags.torch.card(flags.dataset, flags.data_dir.clone())
}

/// The share of points this process computes: `--shard`, or the cluster's variables.
pub(super) fn shard(flags: &OutputFlags) -> anyhow::Result<Option<Shard>> {
    Ok(match &flags.shard {
        Some(shard) => Some(*shard),
        None => Shard::from_env(|k| std::env::var(k).ok(), flags.shard_count)?,
    })
}
