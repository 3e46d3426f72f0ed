//! Atomic file and folder writes: a crash, a kill or a full disk never leaves a
//! half-written output behind.
//!
//! Every output goes to a temporary name in the same folder first (`.NAME.tmp-PID`), is
//! flushed to disk, and is then renamed over the final name: a reader sees either the old
//! complete file or the new complete file, never a mix.
//!
//! - [`write_file`]: one file.
//! - [`write_dir`]: a whole folder (a checkpoint), built under a temporary name and renamed
//!   into place; the caller's fill closure keeps its own error type.
//! - [`recover_dir`], [`remove_stale_temporaries`]: the cleanup after a process killed in
//!   the middle of a write.
//!
//! This crate sits on the ground floor of the workspace (it depends on nothing of ours), so
//! training, landscape scans, plots and the toy surfaces all write through it. Its one error
//! type, [`FilesError`], converts into each user's error (`From`), keeping the action and the
//! path, so their messages and the CLI's exit codes do not depend on which crate wrote.
//!
//! ```
//! use descent_files::{write_dir, write_file, FilesError};
//!
//! # fn main() -> Result<(), FilesError> {
//! let dir = tempfile::tempdir().expect("a temporary folder");
//! write_file(&dir.path().join("config.json"), b"{}")?;
//! write_dir(&dir.path().join("checkpoint"), |tmp| {
//!     write_file(&tmp.join("model.bpk"), b"weights")?;
//!     write_file(&tmp.join("state.json"), b"{\"epoch\": 1}")
//! })?;
//! assert_eq!(std::fs::read(dir.path().join("checkpoint/model.bpk")).unwrap(), b"weights");
//! # Ok(())
//! # }
//! ```

pub mod error;
pub mod recover;
mod temporary;
pub mod write;

pub use error::FilesError;
pub use recover::{recover_dir, remove_stale_temporaries};
pub use write::{sync_file, write_dir, write_file};
