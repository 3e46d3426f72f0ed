//! Stochastic weight averaging (SWA) and a snapshot ensemble against plain SGD, at the same
//! epoch budget, on the real Fashion-MNIST with an MLP (784-256-128-10).
//!
//! Three runs share the seed, hence the initial weights and the order of the batches:
//!
//! 1. **SGD**: momentum SGD (0.9) with a per-epoch cosine schedule from `--lr` to 0 over
//!    `--epochs` epochs; the final weights are evaluated.
//! 2. **SWA** (Izmailov et al. 2018): the same cosine schedule until `--swa-start`, then
//!    [`SwaLrConfig::after`] anneals (cosine, `--swa-anneal` epochs) to `--swa-lr` and holds
//!    it; the [`AveragedModel`] built by [`SwaConfig`] takes the weights at the end of each
//!    epoch from `--swa-start` on (PyTorch's recipe). Batch-norm statistics are recomputed
//!    with [`recompute_batch_norm`] before evaluation; an MLP has no batch norm, so this
//!    returns the average unchanged (the call is there to show where it goes for a CNN).
//! 3. **SGDR + snapshot ensemble** (Loshchilov & Hutter 2017, Huang et al. 2017): warm
//!    restarts with cycles of `--cycle` epochs; a snapshot is taken at the end of each cycle
//!    ([`SnapshotPolicy::CycleEnds`]) and the [`SnapshotEnsemble`] predicts with the mean of
//!    the snapshots' softmax outputs.
//!
//! The loop is written by hand on Burn with `descent_optim`'s optimizer, schedules and
//! `averaging` module, so it works the same for any `Module`.
//!
//! ```sh
//! sudo apt-get install dataset-fashion-mnist        # /usr/share/datasets/fashion-mnist
//! cargo run --example swa -- --seed 1 --epochs 20 --train-samples 20000
//! ```
//!
//! Flags (all optional): `--seed N` (default 1), `--epochs N` (20), `--train-samples N` (a
//! seeded random subset of the 60000 training images; default all), `--data-dir DIR`,
//! `--lr X` (0.05), `--swa-lr X` (0.01), `--swa-start N` (epoch, default 3/4 of `--epochs`),
//! `--swa-anneal N` (2), `--cycle N` (SGDR cycle length in epochs, default `--epochs / 4`),
//! `--batch-size N` (128), `--synthetic` (the generated 10-class image set instead of
//! Fashion-MNIST, for machines without the data).
//!
//! The last line is one machine-readable `RESULT` line with the three test accuracies.

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};

use descent::data::{
    DatasetKind, ImageBatcher, ImageDataset, LoadOptions, Normalization, Split, load,
    shuffled_indices,
};
use descent::models::{ImageClassifier, Mlp, MlpConfig};
use descent::optim::averaging::{
    EnsembleMetrics, SnapshotEnsemble, SnapshotPolicy, SwaConfig, SwaLrConfig, recompute_batch_norm,
};
use descent::optim::schedule::{Schedule, ScheduleConfig, ScheduleUnit, WarmRestartsConfig};
use descent::optim::{MomentumConfig, SgdConfig};
use descent::train::seed::{SeedPurpose, derive};
use descent::train::{DeviceChoice, evaluate};

/// Test-set batch size of the evaluations.
const EVAL_BATCH: usize = 1000;

/// Hidden layer widths of the MLP.
const HIDDEN: [usize; 2] = [256, 128];

/// The command-line settings (see the module documentation).
#[derive(Debug, Clone)]
struct Args {
    /// Seed of the initial weights, the batch order and the training subset.
    seed: u64,
    /// Epochs of each of the three runs (the shared budget).
    epochs: usize,
    /// Size of the seeded training subset; `None`: the whole training split.
    train_samples: Option<usize>,
    /// Where Fashion-MNIST's IDX files are; `None`: the installed default.
    data_dir: Option<PathBuf>,
    /// Use the generated 10-class image set instead of Fashion-MNIST.
    synthetic: bool,
    /// Peak learning rate of every run.
    lr: f64,
    /// SWA's constant rate after the anneal.
    swa_lr: f64,
    /// First epoch (0-based) of the SWA phase; `None`: 3/4 of `epochs`.
    swa_start: Option<usize>,
    /// Epochs of SWALR's anneal from the cosine rate to `swa_lr`.
    swa_anneal: usize,
    /// SGDR cycle length in epochs; `None`: a quarter of `epochs`.
    cycle: Option<usize>,
    /// Training batch size.
    batch_size: usize,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            seed: 1,
            epochs: 20,
            train_samples: None,
            data_dir: None,
            synthetic: false,
            lr: 0.05,
            swa_lr: 0.01,
            swa_start: None,
            swa_anneal: 2,
            cycle: None,
            batch_size: 128,
        }
    }
}

impl Args {
    /// Parses `std::env::args`; an unknown flag or a bad value is an error naming it.
    fn parse() -> Result<Self, Box<dyn Error>> {
        let mut args = Args::default();
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            if flag == "--synthetic" {
                args.synthetic = true;
                continue;
            }
            if flag == "--help" || flag == "-h" {
                return Err("usage: swa [--seed N] [--epochs N] [--train-samples N] \
                     [--data-dir DIR] [--lr X] [--swa-lr X] [--swa-start N] [--swa-anneal N] \
                     [--cycle N] [--batch-size N] [--synthetic]"
                    .into());
            }
            let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
            match flag.as_str() {
                "--seed" => args.seed = value.parse().map_err(|e| bad(&e))?,
                "--epochs" => args.epochs = value.parse().map_err(|e| bad(&e))?,
                "--train-samples" => args.train_samples = Some(value.parse().map_err(|e| bad(&e))?),
                "--data-dir" => args.data_dir = Some(PathBuf::from(&value)),
                "--lr" => args.lr = value.parse().map_err(|e| bad(&e))?,
                "--swa-lr" => args.swa_lr = value.parse().map_err(|e| bad(&e))?,
                "--swa-start" => args.swa_start = Some(value.parse().map_err(|e| bad(&e))?),
                "--swa-anneal" => args.swa_anneal = value.parse().map_err(|e| bad(&e))?,
                "--cycle" => args.cycle = Some(value.parse().map_err(|e| bad(&e))?),
                "--batch-size" => args.batch_size = value.parse().map_err(|e| bad(&e))?,
                other => return Err(format!("unknown flag {other} (try --help)").into()),
            }
        }
        if args.epochs < 2 {
            return Err("--epochs must be at least 2".into());
        }
        if args.batch_size == 0 {
            return Err("--batch-size must be at least 1".into());
        }
        if args.train_samples == Some(0) {
            return Err("--train-samples must be at least 1".into());
        }
        if args.swa_start() == 0 || args.swa_start() >= args.epochs {
            return Err(format!(
                "--swa-start must be in 1..{} (an SGD phase, then at least one SWA epoch)",
                args.epochs
            )
            .into());
        }
        if args.cycle() == 0 {
            return Err("--cycle must be at least 1".into());
        }
        Ok(args)
    }

    /// The first SWA epoch.
    fn swa_start(&self) -> usize {
        self.swa_start.unwrap_or(self.epochs * 3 / 4)
    }

    /// The SGDR cycle length.
    fn cycle(&self) -> usize {
        self.cycle.unwrap_or((self.epochs / 4).max(1))
    }
}

/// The training and test sets with their batcher.
struct Data {
    /// Training images (possibly a seeded subset).
    train: ImageDataset,
    /// Test images (the whole split).
    test: ImageDataset,
    /// Normalizes images; no augmentation.
    batcher: ImageBatcher,
}

/// Loads Fashion-MNIST (or the generated set with `--synthetic`); a missing dataset is an
/// error saying how to get it.
fn load_data(args: &Args) -> Result<Data, Box<dyn Error>> {
    let options = LoadOptions {
        synthetic_samples: None,
        seed: args.seed,
    };
    let kind = if args.synthetic {
        DatasetKind::SyntheticImages
    } else {
        DatasetKind::FashionMnist
    };
    let dir = args.data_dir.as_deref();
    let split = |split| {
        load(kind, dir, split, &options).map_err(|e| {
            format!(
                "cannot load {kind} ({e}). Install it (`sudo apt-get install \
                 dataset-fashion-mnist`, into /usr/share/datasets/fashion-mnist), pass \
                 --data-dir DIR, or run on the generated set with --synthetic"
            )
        })
    };
    let mut train = split(Split::Train)?;
    let test = split(Split::Test)?;
    if let Some(n) = args.train_samples {
        train = train.random_subset(n, derive(args.seed, SeedPurpose::Shuffle, u64::MAX));
    }
    let normalization = if args.synthetic {
        train.channel_stats()
    } else {
        Normalization::fashion_mnist()
    };
    let batcher = ImageBatcher::new(Some(normalization), None, 0);
    batcher.check(&train)?;
    Ok(Data {
        train,
        test,
        batcher,
    })
}

/// What to do at the end of each epoch of a run (take an SWA update, a snapshot...).
type EpochHook<'a> = dyn FnMut(usize, &Mlp) -> Result<(), Box<dyn Error>> + 'a;

/// Trains a fresh MLP (initial weights from `args.seed`) with momentum SGD for `args.epochs`
/// epochs at the rates of `schedule` (one `step()` per batch), calling `hook` after each
/// epoch; returns the final weights.
fn train(
    name: &str,
    data: &Data,
    args: &Args,
    device: &Device,
    mut schedule: Schedule,
    hook: &mut EpochHook<'_>,
) -> Result<Mlp, Box<dyn Error>> {
    use burn::lr_scheduler::LrScheduler;

    let device = device.clone().autodiff();
    let shape = data.train.shape();
    let [c, h, w] = shape.dims();
    device.seed(derive(args.seed, SeedPurpose::Init, 0));
    let mut model =
        MlpConfig::new(c * h * w, HIDDEN.to_vec(), data.train.num_classes()).init(&device)?;
    let mut optim = SgdConfig::new()
        .with_momentum(Some(MomentumConfig::new(0.9)))
        .init()?;
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    for epoch in 0..args.epochs {
        let order = shuffled_indices(
            data.train.len(),
            derive(args.seed, SeedPurpose::Shuffle, epoch as u64),
        );
        let mut loss_sum: Option<Tensor<1>> = None;
        let mut lr = 0.0;
        for chunk in order.chunks(args.batch_size) {
            let batch = data
                .batcher
                .try_batch_indices(&data.train, chunk, 0, &device)?;
            let logits = model.logits(batch.images);
            let loss = loss_fn.forward(logits, batch.targets);
            let weighted = loss.clone().detach().mul_scalar(chunk.len() as f64);
            loss_sum = Some(match loss_sum {
                Some(sum) => sum + weighted,
                None => weighted,
            });
            lr = schedule.step();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
        }
        let mean_loss =
            loss_sum.map_or(f64::NAN, |s| s.into_scalar::<f64>()) / data.train.len().max(1) as f64;
        if !mean_loss.is_finite() {
            return Err(format!("{name}: the training loss diverged at epoch {epoch}").into());
        }
        println!("{name:>5} epoch {epoch:>3}  lr {lr:.5}  train loss {mean_loss:.4}");
        hook(epoch, &model)?;
    }
    Ok(model)
}

/// Test accuracy of one model.
fn accuracy(model: &Mlp, data: &Data, device: &Device) -> Result<f64, Box<dyn Error>> {
    evaluate(model, &data.test, &data.batcher, EVAL_BATCH, device)
        .map(|m| m.accuracy)
        .ok_or_else(|| "the test set is empty".into())
}

/// Test accuracy and loss of the ensemble's mean softmax.
fn ensemble_metrics(
    ensemble: &SnapshotEnsemble<Mlp>,
    data: &Data,
    device: &Device,
) -> Result<EnsembleMetrics, Box<dyn Error>> {
    let device = device.clone().without_autodiff();
    let indices: Vec<usize> = (0..data.test.len()).collect();
    let mut total = EnsembleMetrics::default();
    for chunk in indices.chunks(EVAL_BATCH) {
        let batch = data
            .batcher
            .try_batch_indices_eval(&data.test, chunk, &device)?;
        let images = batch.images;
        total.merge(ensemble.evaluate(|m| m.logits(images.clone()), batch.targets)?);
    }
    Ok(total)
}

/// Loads the data, trains the three runs and prints their test accuracies.
fn run() -> Result<(), Box<dyn Error>> {
    let args = Args::parse()?;
    let device = DeviceChoice::Cpu.open()?;
    let data = load_data(&args)?;
    let steps_per_epoch = data.train.len().div_ceil(args.batch_size);
    let (epochs, swa_start, cycle) = (args.epochs, args.swa_start(), args.cycle());
    println!(
        "{}: {} training / {} test images, seed {}, {epochs} epochs of {steps_per_epoch} \
         batches; SWA from epoch {swa_start} at lr {}; SGDR cycles of {cycle} epochs",
        data.train.name(),
        data.train.len(),
        data.test.len(),
        args.seed,
        args.swa_lr
    );
    let cosine = || {
        ScheduleConfig::Cosine {
            t_max: None,
            eta_min: 0.0,
            unit: ScheduleUnit::Epoch,
        }
        .init(args.lr, steps_per_epoch, epochs)
    };

    // 1. Plain SGD with a cosine schedule.
    let sgd = train("sgd", &data, &args, &device, cosine()?, &mut |_, _| Ok(()))?;
    let sgd_acc = accuracy(&sgd, &data, &device)?;

    // 2. SWA: the cosine schedule, then SWALR; average once per epoch from swa_start.
    let swa_schedule = SwaLrConfig::new(args.swa_lr)
        .with_anneal_epochs(args.swa_anneal)
        .after(cosine()?, swa_start, steps_per_epoch)?;
    let mut average = None;
    let swa_last = train(
        "swa",
        &data,
        &args,
        &device,
        swa_schedule,
        &mut |epoch, model| {
            if epoch >= swa_start {
                let average = average.get_or_insert_with(|| SwaConfig::new().init(model));
                average.update(model)?;
            }
            Ok(())
        },
    )?;
    let average = average.ok_or("no SWA update was taken")?;
    let n_averaged = average.n_averaged();
    // An MLP has no BatchNorm: this returns the average unchanged (in evaluation mode) without
    // a pass over the data. With batch norm, it recomputes the running statistics of the
    // averaged weights from the training batches.
    let train_device = device.clone().autodiff();
    let bn_batches = (0..data.train.len())
        .collect::<Vec<_>>()
        .chunks(args.batch_size)
        .map(<[usize]>::to_vec)
        .collect::<Vec<_>>();
    let swa_model = recompute_batch_norm(average.into_model(), bn_batches, |m: &Mlp, chunk| {
        if let Ok(batch) = data
            .batcher
            .try_batch_indices_eval(&data.train, &chunk, &train_device)
        {
            m.logits(batch.images);
        }
    })?;
    let swa_acc = accuracy(&swa_model, &data, &device)?;
    let swa_last_acc = accuracy(&swa_last, &data, &device)?;

    // 3. SGDR with a snapshot at the end of each cycle; the ensemble averages their softmax.
    let policy = SnapshotPolicy::CycleEnds {
        t_0: cycle,
        t_mult: 1,
    };
    let sgdr = Schedule::new(WarmRestartsConfig::new(args.lr, cycle, steps_per_epoch).init()?);
    let mut snapshots: Option<SnapshotEnsemble<Mlp>> = None;
    let sgdr_last = train("sgdr", &data, &args, &device, sgdr, &mut |epoch, model| {
        if policy.is_due(epoch) {
            match snapshots.as_mut() {
                Some(ensemble) => ensemble.push(model),
                None => snapshots = Some(SnapshotEnsemble::new(vec![model.clone()])?),
            }
            println!(" sgdr snapshot after epoch {epoch}");
        }
        Ok(())
    })?;
    let sgdr_last_acc = accuracy(&sgdr_last, &data, &device)?;
    let ensemble = match snapshots {
        Some(ensemble) => ensemble,
        // Fewer epochs than one cycle: the last model alone.
        None => SnapshotEnsemble::new(vec![sgdr_last])?,
    };
    let ensemble_acc = ensemble_metrics(&ensemble, &data, &device)?;

    println!();
    println!("test accuracy (seed {}, {epochs} epochs each):", args.seed);
    println!(
        "  {:<46} {:.2}%",
        "SGD, cosine: final weights",
        100.0 * sgd_acc
    );
    println!(
        "  {:<46} {:.2}%",
        format!("SWA: average of {n_averaged} epochs (MLP: no BN to recompute)"),
        100.0 * swa_acc
    );
    println!(
        "  {:<46} {:.2}%",
        format!("SWA run: last weights (lr {})", args.swa_lr),
        100.0 * swa_last_acc
    );
    println!(
        "  {:<46} {:.2}%",
        "SGDR: last weights",
        100.0 * sgdr_last_acc
    );
    println!(
        "  {:<46} {:.2}% (NLL {:.4})",
        format!(
            "SGDR: ensemble of {} snapshots (mean softmax)",
            ensemble.len()
        ),
        100.0 * ensemble_acc.accuracy(),
        ensemble_acc.loss()
    );
    println!(
        "RESULT seed={} epochs={epochs} train={} sgd={:.4} swa={:.4} swa_last={:.4} \
         sgdr_last={:.4} ensemble={:.4} snapshots={} swa_n={n_averaged}",
        args.seed,
        data.train.len(),
        sgd_acc,
        swa_acc,
        swa_last_acc,
        sgdr_last_acc,
        ensemble_acc.accuracy(),
        ensemble.len()
    );
    Ok(())
}

/// Runs the comparison; an error (bad flag, missing dataset...) is one message and exit code 1.
fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("swa: {err}");
            ExitCode::FAILURE
        }
    }
}
