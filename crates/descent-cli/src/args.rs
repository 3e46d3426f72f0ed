//! The command line, as clap types. Nothing here is seen by the library crates: each
//! command converts its arguments into library types first.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use descent_data::{DatasetKind, Split};
use descent_models::{Activation, Architecture};
use descent_optim::averaging::{BufferPolicy, SwagCovariance};
use descent_optim::schedule::AnnealStrategy;
use descent_train::{Monitor, TrajectoryUnit};

use crate::model_args::LayerSizes;
use crate::values::{listed, named};

/// Gradient descent, its variants, and the loss landscapes they walk.
#[derive(Debug, Parser)]
#[command(name = "descent", version, about, propagate_version = true)]
pub struct Cli {
    /// The compute device (cpu: the default CPU backend of this build).
    #[arg(
        long,
        global = true,
        env = "BURN_DEVICE",
        default_value = "cpu",
        value_parser = named(descent_train::DeviceChoice::ALL, |d| d.name())
    )]
    pub device: descent_train::DeviceChoice,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model. With no arguments: a small convnet on a built-in synthetic image set.
    Train(Box<TrainArgs>),
    /// Print the loss and accuracy of a checkpoint on a dataset.
    Eval(Box<EvalArgs>),
    /// List the compute devices this build offers and whether they open here.
    Devices,
    /// Probe the loss landscape of checkpoints: scans, interpolations, planes, plots, merges.
    Landscape(Box<crate::commands::landscape::LandscapeArgs>),
    /// Walk analytic surfaces (Rosenbrock, saddle, ...) with any optimizer; write the paths.
    // The optimizer flags are `descent train`'s, with the toy's own defaults.
    #[command(
        mut_arg("optimizer", |a| a.default_value("sgd")),
        mut_arg("lr", |a| a.default_value("0.001"))
    )]
    Toy(Box<crate::commands::toy::ToyArgs>),
    /// Print (CSV or JSON) or plot the learning rate of every epoch or step of a schedule.
    Schedule(Box<crate::commands::schedule::ScheduleCmdArgs>),
    /// Write one HTML page for runs and studies: configuration, curves, checkpoints, and every
    /// landscape file in or beside each run.
    Report(Box<crate::commands::report::ReportArgs>),
    /// Reproduce a claim of the field as a fixed, resumable protocol of runs: a table with
    /// the spread over seeds and a verdict.
    Study(Box<crate::commands::study::StudyArgs>),
    /// Read a PyTorch state_dict (.safetensors, .pt, .pth) into one of our architectures and
    /// save it as a model folder that every command reads.
    Import(Box<ImportArgs>),
    /// Write a model's weights with PyTorch's names and layouts (.safetensors or .npz), for
    /// `model.load_state_dict(...)`.
    Export(ExportArgs),
    /// Print a shell completion script, e.g. `descent completions bash >
    /// ~/.local/share/bash-completion/completions/descent`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `descent man > descent.1; man ./descent.1`.
    Man,
}

/// `descent train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    // ----- model -----
    /// Architecture: mlp, vgg9, vgg11, vgg13, vgg16, vgg19, or a CIFAR ResNet: resnet20,
    /// resnet32, resnet44, resnet56, resnet110 (any resnetN with N = 6n + 2).
    #[arg(
        long,
        default_value = "vgg9",
        value_parser = listed::<Architecture>(&Architecture::LISTED),
        help_heading = "Model"
    )]
    pub model: Architecture,
    /// MLP hidden layer sizes, comma-separated (e.g. 256,128); empty (`--hidden ""`) for
    /// none: logistic regression.
    #[arg(long, default_value = "256,128", help_heading = "Model")]
    pub hidden: Vec<LayerSizes>,
    /// MLP activation: relu, tanh, sigmoid or gelu.
    #[arg(
        long,
        default_value = "relu",
        value_parser = named(Activation::ALL, |a| a.name()),
        help_heading = "Model"
    )]
    pub activation: Activation,
    /// MLP dropout probability after each hidden layer.
    #[arg(long, help_heading = "Model")]
    pub dropout: Option<f64>,
    /// VGG or ResNet width multiplier (0.25 = a quarter of the channels) [default: 0.125 for
    /// VGG, 1 for ResNet].
    #[arg(long, help_heading = "Model")]
    pub width: Option<f64>,
    /// VGG without batch normalization.
    #[arg(long, help_heading = "Model")]
    pub no_batch_norm: bool,
    /// ResNet without shortcut connections (Li et al. 2018's `noshort` networks: the same
    /// layers, no residual additions).
    #[arg(long, conflicts_with = "shortcut", help_heading = "Model")]
    pub no_shortcuts: bool,
    /// ResNet shortcuts where the shape changes: projection (1x1 convolution + batch norm,
    /// He et al.'s option B, Li et al.'s) or zero-pad (subsampling and zero channels, option A).
    #[arg(long, value_enum, help_heading = "Model")]
    pub shortcut: Option<crate::model_args::ShortcutArg>,

    // ----- data -----
    /// Dataset.
    #[arg(
        long,
        default_value = "synthetic",
        value_parser = named(DatasetKind::ALL, DatasetKind::as_str),
        help_heading = "Data"
    )]
    pub dataset: DatasetKind,
    /// Folder holding the dataset's files (default: the dataset's usual place).
    #[arg(long, help_heading = "Data")]
    pub data_dir: Option<PathBuf>,
    /// Use only this many training samples (a seeded random subset; synthetic: generate this many).
    #[arg(long, help_heading = "Data")]
    pub train_samples: Option<usize>,
    /// Use only this many test samples.
    #[arg(long, help_heading = "Data")]
    pub test_samples: Option<usize>,
    /// Do not normalize inputs by the training set's per-channel mean and std.
    #[arg(long, help_heading = "Data")]
    pub no_normalize: bool,
    /// Augment training images: random crops with this much zero padding.
    #[arg(long, help_heading = "Data")]
    pub crop_padding: Option<usize>,
    /// Augment training images: random horizontal flips.
    #[arg(long, help_heading = "Data")]
    pub flip: bool,
    /// Hold out this fraction of the training set (seeded, never trained on) as a validation split evaluated every epoch.
    #[arg(
        long,
        value_name = "FRACTION",
        conflicts_with = "val_samples",
        allow_negative_numbers = true,
        help_heading = "Data"
    )]
    pub val_split: Option<f64>,
    /// Hold out this many training samples (seeded, never trained on) as the validation split.
    #[arg(long, value_name = "N", help_heading = "Data")]
    pub val_samples: Option<usize>,

    // ----- optimization -----
    /// The optimizer and its settings.
    #[command(flatten)]
    pub optimizer: crate::optimizer_args::OptimizerArgs,

    // ----- schedule -----
    /// The learning-rate schedule and its settings.
    #[command(flatten)]
    pub schedule: crate::schedule_args::ScheduleArgs,

    // ----- sharpness-aware minimization -----
    /// Sharpness-aware minimization (Foret et al. 2021): step with the gradient at the weights moved RHO up the gradient.
    #[arg(
        long,
        value_name = "RHO",
        allow_negative_numbers = true,
        help_heading = "Sharpness-aware minimization"
    )]
    pub sam: Option<f64>,
    /// Adaptive SAM (ASAM, Kwon et al. 2021): scale the ascent element-wise by |w| + ETA.
    #[arg(long, requires = "sam", help_heading = "Sharpness-aware minimization")]
    pub sam_adaptive: bool,
    /// ASAM's ETA in |w| + ETA [default: 0, as davda54/sam; Kwon et al.'s code uses 0.01].
    #[arg(
        long,
        value_name = "ETA",
        requires = "sam_adaptive",
        allow_negative_numbers = true,
        help_heading = "Sharpness-aware minimization"
    )]
    pub sam_eta: Option<f64>,

    // ----- run -----
    /// Passes over the training set [default: 2]. With --resume: the run's own, unless given
    /// (to extend the run).
    #[arg(long, help_heading = "Run")]
    pub epochs: Option<usize>,
    /// Samples per step: 1 is per-example SGD, the training-set size is full-batch descent.
    #[arg(long, default_value_t = 64, help_heading = "Run")]
    pub batch_size: usize,
    /// Samples per forward pass when evaluating.
    #[arg(long, default_value_t = 500, help_heading = "Run")]
    pub eval_batch_size: usize,
    /// Seed of every random choice (weights, order, augmentation, dropout).
    #[arg(long, default_value_t = 42, help_heading = "Run")]
    pub seed: u64,
    /// Output folder (default: runs/train-DATE-TIME).
    #[arg(long, short, help_heading = "Run")]
    pub out: Option<PathBuf>,
    /// Continue the run in --out from its last checkpoint (its config.json wins over flags,
    /// except --epochs, which may extend the run; without it the run keeps its own).
    #[arg(long, requires = "out", help_heading = "Run")]
    pub resume: bool,
    /// Also checkpoint every this many steps (besides each epoch's end).
    #[arg(long, help_heading = "Run")]
    pub checkpoint_every_steps: Option<u64>,
    /// Print plain log lines even on a terminal, one every this many steps (0: epochs only).
    #[arg(long, help_heading = "Run")]
    pub log_every: Option<usize>,

    // ----- end-of-epoch rules -----
    /// The metric --plateau, --early-stopping and --restore-best watch [default: val-loss with a validation split, else test-loss (which warns)].
    #[arg(
        long,
        value_parser = named(Monitor::ALL, Monitor::as_str),
        help_heading = "Plateau and stopping"
    )]
    pub monitor: Option<Monitor>,
    /// Reduce the learning rate when the monitored metric stops improving (PyTorch's
    /// ReduceLROnPlateau, scaling whatever --schedule gives).
    #[arg(long, help_heading = "Plateau and stopping")]
    pub plateau: bool,
    /// Factor applied to the rate at each reduction, in (0, 1) [default: 0.1].
    #[arg(
        long,
        requires = "plateau",
        allow_negative_numbers = true,
        help_heading = "Plateau and stopping"
    )]
    pub plateau_factor: Option<f64>,
    /// Epochs without improvement tolerated before a reduction [default: 10].
    #[arg(long, requires = "plateau", help_heading = "Plateau and stopping")]
    pub plateau_patience: Option<usize>,
    /// Smallest relative improvement that counts [default: 1e-4].
    #[arg(
        long,
        requires = "plateau",
        allow_negative_numbers = true,
        help_heading = "Plateau and stopping"
    )]
    pub plateau_threshold: Option<f64>,
    /// Epochs after a reduction during which bad epochs are not counted [default: 0].
    #[arg(long, requires = "plateau", help_heading = "Plateau and stopping")]
    pub plateau_cooldown: Option<usize>,
    /// Reductions never take the rate below this [default: 0].
    #[arg(
        long,
        requires = "plateau",
        allow_negative_numbers = true,
        help_heading = "Plateau and stopping"
    )]
    pub plateau_min_lr: Option<f64>,
    /// Stop when the monitored metric has not improved for this many epochs.
    #[arg(long, value_name = "PATIENCE", help_heading = "Plateau and stopping")]
    pub early_stopping: Option<usize>,
    /// Smallest absolute change of the monitored metric that counts as an improvement
    /// [default: 0].
    #[arg(
        long,
        requires = "early_stopping",
        allow_negative_numbers = true,
        help_heading = "Plateau and stopping"
    )]
    pub min_delta: Option<f64>,
    /// End with the weights of the best epoch (by the monitored metric), not the last.
    #[arg(
        long,
        requires = "early_stopping",
        help_heading = "Plateau and stopping"
    )]
    pub restore_best: bool,
    /// Stop when the training loss changes by less than this between epochs.
    #[arg(
        long,
        value_name = "TOL",
        allow_negative_numbers = true,
        help_heading = "Plateau and stopping"
    )]
    pub converge_tol: Option<f64>,
    /// Epochs in a row the change must stay below --converge-tol [default: 1].
    #[arg(long, requires = "converge_tol", help_heading = "Plateau and stopping")]
    pub converge_patience: Option<usize>,
    /// Stop once the learning rate of the next epoch is at or below this (with --plateau: when
    /// reductions have brought it down).
    #[arg(
        long,
        value_name = "LR",
        allow_negative_numbers = true,
        help_heading = "Plateau and stopping"
    )]
    pub stop_below_lr: Option<f64>,
    /// Keep the weights every K steps or epochs in RUN/trajectory/ (for `descent landscape
    /// trajectory`); the starting weights are kept too.
    #[arg(long, value_name = "K", help_heading = "Trajectory")]
    pub trajectory_every: Option<usize>,
    /// What --trajectory-every counts: step or epoch.
    #[arg(
        long,
        default_value = "epoch",
        value_parser = listed::<TrajectoryUnit>(&["step", "epoch"]),
        requires = "trajectory_every",
        help_heading = "Trajectory"
    )]
    pub trajectory_per: TrajectoryUnit,

    // ----- averaging -----
    /// Stochastic weight averaging: average the weights at the end of every epoch after the
    /// first E epochs (saved in RUN/swa/).
    #[arg(long, value_name = "E", help_heading = "Averaging")]
    pub swa_start: Option<usize>,
    /// SWALR: from epoch E on, anneal the rate to R and hold it there (default: keep the
    /// schedule's rate).
    #[arg(
        long,
        value_name = "R",
        requires = "swa_start",
        allow_negative_numbers = true,
        help_heading = "Averaging"
    )]
    pub swa_lr: Option<f64>,
    /// Epochs of SWALR's anneal to --swa-lr [default: 10; 0 jumps at once].
    #[arg(
        long,
        value_name = "K",
        requires = "swa_lr",
        help_heading = "Averaging"
    )]
    pub swa_anneal_epochs: Option<usize>,
    /// Shape of SWALR's anneal: cos or linear [default: cos].
    #[arg(
        long,
        value_parser = named(AnnealStrategy::ALL.iter().copied(), |a| a.name()),
        requires = "swa_lr",
        help_heading = "Averaging"
    )]
    pub swa_anneal: Option<AnnealStrategy>,
    /// Average every K optimizer steps after --swa-start instead of once per epoch.
    #[arg(
        long,
        value_name = "K",
        requires = "swa_start",
        help_heading = "Averaging"
    )]
    pub swa_every_steps: Option<u64>,
    /// SWAG (Maddox et al. 2019): also keep the weights' moments and last K deviations when SWA averages (RUN/swag.bin).
    #[arg(long, requires = "swa_start", help_heading = "Averaging")]
    pub swag: bool,
    /// SWAG's rank K: the number of most recent deviations kept (at least 2).
    #[arg(
        long,
        value_name = "K",
        default_value_t = 20,
        value_parser = clap::value_parser!(u32).range(2..),
        requires = "swag",
        help_heading = "Averaging"
    )]
    pub swag_rank: u32,
    /// Keep an exponential moving average of the weights with this decay, in [0, 1) (saved
    /// in RUN/ema/).
    #[arg(
        long,
        value_name = "DECAY",
        allow_negative_numbers = true,
        help_heading = "Averaging"
    )]
    pub ema: Option<f64>,
    /// Update the moving average every K optimizer steps [default: 1].
    #[arg(long, value_name = "K", requires = "ema", help_heading = "Averaging")]
    pub ema_every_steps: Option<u64>,
    /// Snapshot ensemble: keep the weights at the end of each warm-restart cycle (needs
    /// --schedule sgdr) in RUN/snapshots/.
    #[arg(long, conflicts_with = "snapshot_epochs", help_heading = "Averaging")]
    pub snapshots: bool,
    /// Keep the weights at the end of these epochs (1-based) in RUN/snapshots/.
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        help_heading = "Averaging"
    )]
    pub snapshot_epochs: Vec<usize>,
    /// What the averages do with batch-norm running statistics while averaging: copy or
    /// average [default: copy].
    #[arg(
        long,
        value_name = "POLICY",
        value_parser = named(BufferPolicy::ALL.iter().copied(), |b| b.name()),
        help_heading = "Averaging"
    )]
    pub average_buffers: Option<BufferPolicy>,
    /// Do not recompute the averages' batch-norm statistics with a pass over the training
    /// data at the end.
    #[arg(long, help_heading = "Averaging")]
    pub no_bn_recompute: bool,
}

/// Epochs of a new run when `--epochs` is not given.
pub const DEFAULT_EPOCHS: usize = 2;

impl TrainArgs {
    /// The hidden layer sizes of every `--hidden`, in order.
    pub fn hidden_sizes(&self) -> Vec<usize> {
        self.hidden
            .iter()
            .flat_map(|l| l.0.iter().copied())
            .collect()
    }
}

/// `descent eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// A run folder, a checkpoint folder, or a model file (.bpk) with model.json beside it.
    pub checkpoint: PathBuf,
    /// Dataset (default: the one the model was trained on).
    #[arg(long, value_parser = named(DatasetKind::ALL, DatasetKind::as_str))]
    pub dataset: Option<DatasetKind>,
    /// Folder holding the dataset's files.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Which split: test or train (for a model inside a run folder, train means the images the
    /// run trained on: its --train-samples subset without its validation split).
    #[arg(long, default_value = "test", value_parser = named(Split::ALL, Split::as_str))]
    pub split: Split,
    /// Evaluate only the first this many samples.
    #[arg(long)]
    pub samples: Option<usize>,
    /// Samples per forward pass.
    #[arg(long, default_value_t = 500)]
    pub batch_size: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Evaluate the run's weight average instead: swa or ema (its folder RUN/swa or RUN/ema).
    #[arg(
        long,
        value_name = "NAME",
        value_parser = named(AverageKind::ALL, AverageKind::name),
        conflicts_with = "ensemble"
    )]
    pub averaged: Option<AverageKind>,
    /// Evaluate a snapshot ensemble (the mean of the members' softmax outputs): the snapshots
    /// of the run folder CHECKPOINT, or CHECKPOINT and every model given after it.
    #[arg(long)]
    pub ensemble: bool,
    /// Further ensemble members (run folders, checkpoint folders or model files).
    #[arg(requires = "ensemble")]
    pub members: Vec<PathBuf>,
    /// SWAG: average the predictions of weight samples from the run's RUN/swag.bin, beside the SWA mean and the last weights.
    #[arg(long, conflicts_with_all = ["ensemble", "averaged"], help_heading = "SWAG")]
    pub swag: bool,
    /// Number of SWAG weight samples averaged (the paper's 30).
    #[arg(
        long,
        value_name = "S",
        default_value_t = 30,
        value_parser = clap::value_parser!(u32).range(1..),
        requires = "swag",
        help_heading = "SWAG"
    )]
    pub swag_samples: u32,
    /// SWAG covariance scale as in the authors' code: 0.5 is the paper's equation, 1 the fitted covariance.
    #[arg(
        long,
        value_name = "SCALE",
        default_value_t = 0.5,
        allow_negative_numbers = true,
        requires = "swag",
        help_heading = "SWAG"
    )]
    pub swag_scale: f64,
    /// SWAG covariance: low-rank (diagonal plus the deviations, SWAG) or diagonal (SWAG-Diagonal).
    #[arg(
        long,
        value_name = "KIND",
        default_value = "low-rank",
        value_parser = named([SwagCovariance::LowRank, SwagCovariance::Diagonal], |c| c.name()),
        requires = "swag",
        help_heading = "SWAG"
    )]
    pub swag_covariance: SwagCovariance,
    /// Seed of the SWAG samples' normal draws (and of the --bn-samples subset).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        requires = "swag",
        help_heading = "SWAG"
    )]
    pub seed: u64,
    /// Recompute each SWAG sample's batch-norm statistics on N of the run's training samples (default: all).
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..),
        requires = "swag",
        help_heading = "SWAG"
    )]
    pub bn_samples: Option<u64>,
    /// The architecture of a PyTorch weights file given in place of a model.
    #[command(flatten)]
    pub torch: crate::model_args::TorchModelArgs,
}

/// `descent import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The PyTorch weights: a `state_dict` saved with `safetensors.torch.save_file`
    /// (.safetensors) or `torch.save` (.pt, .pth), also inside a checkpoint dictionary.
    pub file: PathBuf,
    /// The architecture and input normalization (--model is required here).
    #[command(flatten)]
    pub torch: crate::model_args::TorchModelArgs,
    /// The dataset the weights take (its input shape, classes and, with `--normalize
    /// dataset`, its statistics).
    #[arg(long, value_parser = named(DatasetKind::ALL, DatasetKind::as_str))]
    pub dataset: DatasetKind,
    /// The dataset's folder (default: its usual place).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The model folder to write: model.bpk and model.json, which `descent eval`,
    /// `descent landscape` and `descent export` read.
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Formats of `descent export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// A `.safetensors` file: `safetensors.torch.load_file(path)`.
    Safetensors,
    /// A NumPy `.npz` archive of arrays by name: `numpy.load(path)`.
    Npz,
}

/// `descent export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// A run folder, a checkpoint folder, a model .bpk (with model.json beside), or a run's
    /// swa/, ema/ or snapshots/epoch-N/ folder.
    pub model: PathBuf,
    /// The file format.
    #[arg(long, value_enum, default_value = "safetensors")]
    pub format: ExportFormat,
    /// The file to write (replaced if it exists) [default: model.safetensors or model.npz
    /// in the model's folder].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// `descent eval --averaged`: which of a run's weight averages to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AverageKind {
    /// Stochastic weight averaging (RUN/swa/).
    Swa,
    /// The exponential moving average (RUN/ema/).
    Ema,
}

impl AverageKind {
    /// Both kinds.
    pub const ALL: [AverageKind; 2] = [AverageKind::Swa, AverageKind::Ema];

    /// The name `--averaged` takes.
    pub fn name(&self) -> &'static str {
        match self {
            AverageKind::Swa => "swa",
            AverageKind::Ema => "ema",
        }
    }
}

impl std::str::FromStr for AverageKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AverageKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("`{s}` is not a weight average: expected swa or ema"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_lists_the_choices_of_typed_values() {
        let mut cli = Cli::command();
        let train = cli
            .find_subcommand_mut("train")
            .expect("train")
            .render_long_help()
            .to_string();
        for choice in [
            "resnet56",
            "vgg11",
            "gelu",
            "[possible values: copy, average]",
        ] {
            assert!(train.contains(choice), "train --help lacks {choice}");
        }
        let landscape = cli.find_subcommand_mut("landscape").expect("landscape");
        let scan = landscape
            .find_subcommand_mut("scan")
            .expect("scan")
            .render_long_help()
            .to_string();
        for choice in ["filter", "recompute", "include"] {
            assert!(scan.contains(choice), "scan --help lacks {choice}");
        }
        // A range takes any min:max:num, so no choices are listed for it.
        let x_help = scan
            .split("--x <X>")
            .nth(1)
            .and_then(|rest| rest.split("--y <Y>").next())
            .expect("--x and --y in scan --help");
        assert!(!x_help.contains("possible values"), "{x_help}");
    }

    #[test]
    fn valid_and_invalid_command_lines() {
        let ok: &[&[&str]] = &[
            &["descent", "train"],
            &[
                "descent", "train", "--model", "mlp", "--hidden", "64,32", "--epochs", "2",
            ],
            &["descent", "--device", "wgpu", "devices"],
            &["descent", "train", "--resume", "--out", "runs/a"],
            &["descent", "eval", "runs/a", "--split", "train"],
            &[
                "descent",
                "train",
                "--plateau",
                "--plateau-factor",
                "0.5",
                "--early-stopping",
                "3",
                "--restore-best",
                "--monitor",
                "test-accuracy",
            ],
        ];
        for line in ok {
            Cli::try_parse_from(*line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        }
        let bad: &[&[&str]] = &[
            &["descent"],
            &["descent", "train", "--epochs", "-1"],
            &["descent", "train", "--resume"],
            &["descent", "train", "--batch-size", "x"],
            &["descent", "eval"],
            &["descent", "fly"],
            &["descent", "train", "--plateau-factor", "0.5"],
            &["descent", "train", "--restore-best"],
            &["descent", "train", "--converge-patience", "2"],
            // Typed values: refused while parsing.
            &["descent", "train", "--model", "alexnet"],
            &["descent", "train", "--activation", "swish"],
            &["descent", "eval", "runs/a", "--split", "validation"],
            &["descent", "eval", "runs/a", "--averaged", "mean"],
            &[
                "descent",
                "landscape",
                "scan",
                "m.bpk",
                "--out",
                "s.npz",
                "--norm",
                "sphere",
            ],
            &[
                "descent",
                "landscape",
                "scan",
                "m.bpk",
                "--out",
                "s.npz",
                "--x",
                "1:0",
            ],
            &[
                "descent",
                "landscape",
                "scan",
                "m.bpk",
                "--out",
                "s.npz",
                "--bn",
                "reset",
            ],
            &[
                "descent",
                "landscape",
                "scan",
                "m.bpk",
                "--out",
                "s.npz",
                "--shard",
                "4/4",
            ],
            &["descent", "toy", "--function", "everest"],
        ];
        for line in bad {
            assert!(
                Cli::try_parse_from(*line).is_err(),
                "{line:?} should be refused"
            );
        }
    }
}
