//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong while loading, generating or batching a dataset.
///
/// Every file error names the file. Messages are lowercase and carry the expected and found
/// values, so they can be shown to a user as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A file (or folder) that should be there is not.
    #[error("{}: file not found{hint}", path.display())]
    MissingFile {
        /// The file that was looked for.
        path: PathBuf,
        /// Extra words appended to the message (e.g. which other names were tried); may be empty.
        hint: String,
    },
    /// An I/O error other than "not found" while reading a file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file being read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The gzip stream of a `.gz` file is corrupt or truncated.
    #[error("{}: bad gzip stream: {source}", path.display())]
    Gzip {
        /// The compressed file.
        path: PathBuf,
        /// The decoder's error.
        #[source]
        source: std::io::Error,
    },
    /// The file has no bytes at all.
    #[error("{}: file is empty", path.display())]
    EmptyFile {
        /// The empty file.
        path: PathBuf,
    },
    /// The file (after decompression) is shorter or longer than its header or format says.
    #[error("{}: expected {expected} bytes, found {found}", path.display())]
    FileSize {
        /// The file.
        path: PathBuf,
        /// Size the header or format implies, in bytes (decompressed).
        expected: u64,
        /// Size actually found, in bytes (decompressed; for a stream that goes on past the
        /// expected end, `expected + 1` means "more than expected").
        found: u64,
    },
    /// A file of fixed-size records whose length is not a whole number of records.
    #[error(
        "{}: {found} bytes is not a whole number of {record_size}-byte records (truncated record?)",
        path.display()
    )]
    RecordSize {
        /// The file.
        path: PathBuf,
        /// Bytes per record.
        record_size: u64,
        /// File length in bytes.
        found: u64,
    },
    /// The file does not start with the magic number of its format.
    #[error("{}: bad magic number: expected {expected:#010x}, found {found:#010x}", path.display())]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The magic number the format requires.
        expected: u32,
        /// The first four bytes of the file, big-endian.
        found: u32,
    },
    /// A header claims a size too large to be a real dataset of this kind.
    #[error("{}: header claims {claimed} bytes, more than the limit of {limit}", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Size the header implies, in bytes (saturated at `u64::MAX`).
        claimed: u64,
        /// The largest size this reader accepts.
        limit: u64,
    },
    /// A label is not below the number of classes.
    #[error(
        "{}: record {index}: label {label} out of range (expected < {num_classes})",
        path.display()
    )]
    LabelOutOfRange {
        /// The file holding the label.
        path: PathBuf,
        /// Record index within that file.
        index: usize,
        /// The label found.
        label: usize,
        /// Number of classes of the dataset.
        num_classes: usize,
    },
    /// The images file and the labels file disagree on the number of samples.
    #[error(
        "{} holds {image_count} images but {} holds {label_count} labels",
        images.display(),
        labels.display()
    )]
    CountMismatch {
        /// The images file.
        images: PathBuf,
        /// Number of images it holds.
        image_count: usize,
        /// The labels file.
        labels: PathBuf,
        /// Number of labels it holds.
        label_count: usize,
    },
    /// The images have a different size than the dataset (or the other files) requires.
    #[error(
        "{}: images are {found_height}x{found_width}, expected {expected_height}x{expected_width}",
        path.display()
    )]
    ImageSize {
        /// The images file.
        path: PathBuf,
        /// Required height.
        expected_height: usize,
        /// Required width.
        expected_width: usize,
        /// Height found in the file.
        found_height: usize,
        /// Width found in the file.
        found_width: usize,
    },
    /// An index past the end of a dataset.
    #[error("index {index} out of range for a dataset of {len} samples")]
    IndexOutOfRange {
        /// The offending index.
        index: usize,
        /// The dataset's length.
        len: usize,
    },
    /// Buffers or settings that do not fit together (pixel count vs shape, normalization
    /// channels vs image channels, a zero standard deviation, ..).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What is invalid (e.g. "normalization", "synthetic config").
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A name that is not one of the accepted spellings (of a split or a dataset kind).
    #[error("unknown {what} {found:?}; expected one of: {expected}")]
    UnknownName {
        /// What was being parsed ("split", "dataset").
        what: &'static str,
        /// The string given.
        found: String,
        /// The accepted spellings, comma separated.
        expected: &'static str,
    },
    /// Fetching a file failed (only with the `download` feature).
    #[error("download of {url} failed: {reason}")]
    Download {
        /// The address fetched.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A downloaded file does not have the published checksum (only with the `download` feature).
    #[error("{}: md5 checksum mismatch: expected {expected}, found {found}", path.display())]
    Checksum {
        /// The downloaded file.
        path: PathBuf,
        /// The published checksum (hex).
        expected: String,
        /// The checksum of the file (hex).
        found: String,
    },
}

impl DataError {
    /// Builds an [`DataError::Invalid`].
    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            what,
            reason: reason.into(),
        }
    }

    /// The file this error is about, if it is about one (the images file for a count mismatch).
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Self::MissingFile { path, .. }
            | Self::Io { path, .. }
            | Self::Gzip { path, .. }
            | Self::EmptyFile { path }
            | Self::FileSize { path, .. }
            | Self::RecordSize { path, .. }
            | Self::BadMagic { path, .. }
            | Self::TooLarge { path, .. }
            | Self::LabelOutOfRange { path, .. }
            | Self::ImageSize { path, .. }
            | Self::Checksum { path, .. } => Some(path),
            Self::CountMismatch { images, .. } => Some(images),
            Self::IndexOutOfRange { .. }
            | Self::Invalid { .. }
            | Self::UnknownName { .. }
            | Self::Download { .. } => None,
        }
    }
}
