//! Which protocol each study runs: the catalogue of studies, and what the unfinished ones
//! wait for.

use std::path::PathBuf;

use crate::{Protocol, Scale, StudyError, StudyName};

impl Protocol {
    /// The protocol of `study` at `scale`, reading data from `data_dir` (the dataset's usual
    /// place when `None`).
    ///
    /// # Errors
    ///
    /// [`StudyError::NotYet`] for a study that is not implemented yet, naming what it waits
    /// for.
    pub fn new(
        study: StudyName,
        scale: Scale,
        data_dir: Option<PathBuf>,
    ) -> Result<Protocol, StudyError> {
        match study {
            StudyName::Restarts => crate::restarts::protocol(scale, data_dir),
            StudyName::Optimizers => Ok(crate::optimizers::protocol(scale)),
            StudyName::Swa => crate::swa::protocol(scale, data_dir),
            other => Err(StudyError::NotYet {
                study: other.to_string(),
                reason: match other {
                    StudyName::BatchSize => {
                        "its runs and curvature measurements exist (descent train, descent \
                         landscape curvature); the protocol that trains each batch size to a \
                         comparable end is not written yet"
                    }
                    _ => {
                        "the ResNets with and without shortcuts and the 2-D scans exist; the \
                         protocol and its figures are not written yet (examples/skip_connections.rs \
                         draws the two contour plots meanwhile)"
                    }
                }
                .into(),
            }),
        }
    }
}
