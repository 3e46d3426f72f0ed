//! Which protocol each study runs: the catalogue of studies.

use std::path::PathBuf;

use crate::{Protocol, Scale, StudyError, StudyName};

impl Protocol {
    /// The protocol of `study` at `scale`, reading data from `data_dir` (the dataset's usual
    /// place when `None`).
    ///
    /// # Errors
    ///
    /// [`StudyError::Optim`] if a protocol's optimizer settings are refused (they are
    /// constants).
    pub fn new(
        study: StudyName,
        scale: Scale,
        data_dir: Option<PathBuf>,
    ) -> Result<Protocol, StudyError> {
        match study {
            StudyName::Restarts => crate::restarts::protocol(scale, data_dir),
            StudyName::Optimizers => Ok(crate::optimizers::protocol(scale)),
            StudyName::Swa => crate::swa::protocol(scale, data_dir),
            StudyName::BatchSize => crate::batch_size::protocol(scale, data_dir),
            StudyName::SkipConnections => crate::skip::protocol(scale, data_dir),
        }
    }
}
