//! The claims of the field as studies that run here: each a fixed protocol (models, data,
//! budget, seeds, and the rule that judges the result, written before anything runs) of
//! ordinary `descent train` run folders, so a killed study resumes where it stopped, ending
//! in a table with the spread over seeds, a verdict, and a figure.
//!
//! | study | claim | state |
//! |---|---|---|
//! | `restarts` | SGDR and snapshot ensembles beat step decay at one budget (Loshchilov and Hutter 2017; Huang et al. 2017) | runs |
//! | `optimizers` | the toy lessons: rates too small and too large, momentum in a valley, a restart leaving a sharp minimum, noise leaving a saddle | runs |
//! | `swa` | SWA generalizes better than SGD at the same budget (Izmailov et al. 2018) | runs (the width of the solutions is not measured yet) |
//! | `batch-size`, `skip-connections` | see [`StudyName`] | not yet: [`Protocol::new`] says what each waits for |
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
//! assert!(Protocol::new(StudyName::BatchSize, Scale::Small, None).is_err()); // not yet
//! ```

/// The Burn this crate is built on (0.22), re-exported so a project that uses it through
/// `descent_study::burn` shares one Burn with us.
pub use burn;

mod base;
mod catalog;
mod error;
mod name;
mod optimizers;
mod protocol;
mod restarts;
mod results;
mod run;
mod swa;

pub use error::StudyError;
pub use name::{Scale, StudyName};
pub use protocol::{Arm, PROTOCOL_FILE, Protocol};
pub use results::{
    LessonResult, PathEnd, Provenance, Row, RunResult, Spread, StudyResults, Verdict,
};
pub use run::{ACCURACY_FIGURE, RESULTS_JSON, RESULTS_MD, StudyEvent, run_study};
