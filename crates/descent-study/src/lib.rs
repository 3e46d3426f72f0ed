//! The claims of the field as studies that run here: each a fixed protocol (models, data,
//! budget, seeds, and the rule that judges the result, written before anything runs) of
//! ordinary `descent train` run folders, so a killed study resumes where it stopped, ending
//! in a table with the spread over seeds, a verdict, and a figure.
//!
//! | study | claim | state |
//! |---|---|---|
//! | `restarts` | SGDR and snapshot ensembles beat step decay at one budget (Loshchilov and Hutter 2017; Huang et al. 2017) | runs |
//! | `optimizers` | the toy lessons: rates too small and too large, momentum in a valley, a restart leaving a sharp minimum, noise leaving a saddle | runs |
//! | `swa` | SWA generalizes better than SGD at the same budget and finds wider solutions (Izmailov et al. 2018) | runs: SGD against SWA at three budgets, and the width of SGD's and two SWA averages' solutions along random unit rays ([`SwaMeasures`]) |
//! | `batch-size` | large batches reach sharper minima and worse test error; with weight decay the raw sharpness ordering flips, the filter-normalized one does not (Li et al. 2018, Figs. 2-3; Keskar et al. 2017) | runs: each run trained to a training-loss target ([`TrainTo`]), then its top Hessian eigenvalue, Keskar and filter-normalized sharpness and a 1-D filter-normalized curve |
//! | `skip-connections` | shortcuts keep deep landscapes convex-looking; without them they turn chaotic with depth (Li et al. 2018, Figs. 5 and 7) | runs: ResNet-20/56 with and without shortcuts, 2-D contours, the non-convex share of the plane, a coarse `abs(lambda_min/lambda_max)` map |
//!
//! Scales ([`Scale`]): `smoke` (a minute or two, proves the study runs; not a result),
//! `small` (Fashion-MNIST on 2 CPU cores in about an hour), `full` (the papers' data and
//! budget, for a GPU).
//!
//! ```
//! use descent_study::{Protocol, Scale, StudyName};
//!
//! let protocol = Protocol::new(StudyName::Restarts, Scale::Small, None).unwrap();
//! assert_eq!(protocol.seeds.len(), 3);
//! let labels: Vec<&str> = protocol.arms.iter().map(|a| a.label.as_str()).collect();
//! assert_eq!(labels, ["step", "cosine", "sgdr"]);
//! // Every arm has the same budget.
//! assert!(protocol.arms.iter().all(|a| a.config.training.epochs == 20));
//! // The batch-size study trains each run to a training-loss target, with a cap.
//! let batch = Protocol::new(StudyName::BatchSize, Scale::Small, None).unwrap();
//! assert!(batch.arms.iter().all(|a| a.train_to.is_some()));
//! ```

/// The Burn this crate is built on (0.22), re-exported so a project that uses it through
/// `descent_study::burn` shares one Burn with us.
pub use burn;

mod base;
mod batch_size;
mod catalog;
mod error;
mod measures;
mod name;
mod optimizers;
mod panels;
mod protocol;
mod restarts;
mod results;
mod run;
mod skip;
mod swa;

pub use error::StudyError;
pub use measures::{
    BatchMeasures, Column, Measures, SkipMeasures, SwaMeasures, columns, figure_notes,
};
pub use name::{Scale, StudyName};
pub use protocol::{Arm, PROTOCOL_FILE, Protocol, TrainTo};
pub use results::{
    LessonResult, PathEnd, Provenance, Row, RunResult, Spread, StudyResults, Verdict,
};
pub use run::{ACCURACY_FIGURE, RESULTS_JSON, RESULTS_MD, StudyEvent, run_study};
