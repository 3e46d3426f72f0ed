//! A resumable training loop for Burn classifiers: epochs of full-batch, mini-batch or
//! per-example gradient descent, with metrics, logs, atomic checkpoints and exact resume.
//!
//! The loop ([`Trainer`]) takes any model implementing
//! [`ImageClassifier`](descent_models::ImageClassifier), any Burn optimizer
//! ([`ModuleOptimizer`](burn::optim::ModuleOptimizer)) and any learning-rate schedule
//! ([`LrScheduler`](burn::lr_scheduler::LrScheduler)). [`run`] builds all of them from one
//! serializable [`RunConfig`], which is what `descent train` does.
//!
//! ```
//! use burn::lr_scheduler::constant::ConstantLr;
//! use burn::optim::SgdConfig;
//! use descent_data::{ImageBatcher, synthetic::SyntheticImagesConfig};
//! use descent_models::MlpConfig;
//! use descent_train::{DeviceChoice, Silent, TrainOptions, Trainer};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let device = DeviceChoice::Cpu.open()?;
//! // 2-D spirals: 3 arms, 100 points each, stored as 2x1x1 "images".
//! let train = descent_data::synthetic::spirals(300, 3, 0.05, 1)?;
//! let model = MlpConfig::new(2, vec![32], 3).init(&device)?;
//! let options = TrainOptions { epochs: 2, batch_size: 32, ..TrainOptions::default() };
//! let mut trainer = Trainer::new(
//!     model,
//!     SgdConfig::new().init(),
//!     Box::new(ConstantLr::new(0.1)),
//!     options,
//!     &device,
//! )?;
//! let report = trainer.fit(&train, None, &ImageBatcher::new(None, None, 0), &mut Silent)?;
//! assert_eq!(report.history.len(), 2);
//! # Ok(())
//! # }
//! ```

/// The Burn this crate is built on (0.22), re-exported so a project that uses it through
/// `descent_train::burn` shares one Burn with us instead of compiling a second.
pub use burn;

pub mod allocator;
pub mod averaging;
pub mod bma;
pub mod calibration;
pub mod checkpoint;
pub mod config;
pub mod device;
pub mod error;
pub mod evaluate;
pub mod history;
pub mod import;
pub mod layout;
pub mod lock;
pub mod memory;
pub mod observer;
pub mod options;
pub mod records;
pub mod relaunch;
pub mod rules;
pub mod run;
pub mod run_data;
pub mod runtime_dir;
pub mod seed;
pub mod trainer;
pub mod trajectory;

pub use averaging::{
    AverageReport, AveragingOptions, EmaOptions, EnsembleReport, Snapshots, SwaOptions, SwaRate,
    SwagOptions,
};
pub use bma::{SwagEvalOptions, SwagEvaluation, evaluate_swag};
pub use calibration::CalibrationMetrics;
pub use checkpoint::Progress;
pub use config::{
    DataConfig, HeldOut, NormalizationChoice, RunConfig, ValidationData, ValidationSplit,
};
pub use device::DeviceChoice;
pub use error::TrainError;
pub use evaluate::{Metrics, evaluate, evaluate_ensemble};
pub use history::EpochRecord;
pub use layout::RunFolder;
#[cfg(feature = "progress")]
pub use observer::ConsoleObserver;
pub use observer::{Observer, RunStart, Silent, StepInfo};
pub use options::TrainOptions;
pub use rules::{EarlyStoppingOptions, EpochRules, Monitor, PlateauOptions, Stopped};
pub use run::{ModelCard, RunOutcome, run_schedule, train_run};
pub use trainer::{CycledMomentum, TrainReport, Trainer};
pub use trajectory::{TrajectoryConfig, TrajectoryIndex, TrajectoryRecorder, TrajectoryUnit};
