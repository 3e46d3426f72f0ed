//! File access shared by the readers: typed errors that name the file, gzip detected by its
//! magic bytes, and no allocation sized by an unchecked header.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::bufread::MultiGzDecoder;

use crate::DataError;

/// The two bytes every gzip stream starts with.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The largest decompressed payload accepted from a gzip file whose size the header gives
/// (2 GiB: real MNIST-style files are far smaller). Raw files are checked against their length
/// instead.
pub const MAX_GZIP_PAYLOAD: u64 = 1 << 31;

/// Maps an I/O error on `path` to a [`DataError`] ("not found" becomes
/// [`DataError::MissingFile`]).
pub(crate) fn io_error(path: &Path, source: io::Error) -> DataError {
    if source.kind() == io::ErrorKind::NotFound {
        DataError::MissingFile {
            path: path.to_path_buf(),
            hint: String::new(),
        }
    } else {
        DataError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Opens `path` for reading; the length comes from the file's metadata.
pub(crate) fn open(path: &Path) -> Result<(File, u64), DataError> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let metadata = file.metadata().map_err(|e| io_error(path, e))?;
    if metadata.is_dir() {
        return Err(DataError::Io {
            path: path.to_path_buf(),
            source: io::Error::other("is a folder, not a file"),
        });
    }
    Ok((file, metadata.len()))
}

/// A file opened for streaming, decompressed on the fly if it starts with the gzip magic bytes.
pub(crate) struct Stream {
    path: PathBuf,
    /// File length for a raw file; `None` for gzip (the decompressed length is unknown).
    raw_len: Option<u64>,
    reader: Box<dyn Read>,
    /// Bytes handed out so far (decompressed).
    consumed: u64,
}

impl Stream {
    /// Opens `path`; an empty file is [`DataError::EmptyFile`].
    pub(crate) fn open(path: &Path) -> Result<Self, DataError> {
        let (file, len) = open(path)?;
        if len == 0 {
            return Err(DataError::EmptyFile {
                path: path.to_path_buf(),
            });
        }
        let mut buffered = BufReader::new(file);
        let is_gzip = {
            let head = buffered.fill_buf().map_err(|e| io_error(path, e))?;
            head.len() >= 2 && head[..2] == GZIP_MAGIC
        };
        let (raw_len, reader): (Option<u64>, Box<dyn Read>) = if is_gzip {
            (None, Box::new(MultiGzDecoder::new(buffered)))
        } else {
            (Some(len), Box::new(buffered))
        };
        Ok(Self {
            path: path.to_path_buf(),
            raw_len,
            reader,
            consumed: 0,
        })
    }

    /// Whether the file is gzip-compressed.
    pub(crate) fn is_gzip(&self) -> bool {
        self.raw_len.is_none()
    }

    fn read_error(&self, source: io::Error) -> DataError {
        if self.is_gzip() {
            DataError::Gzip {
                path: self.path.clone(),
                source,
            }
        } else {
            io_error(&self.path, source)
        }
    }

    /// Reads exactly `buf.len()` bytes of a header; a stream that ends first is
    /// [`DataError::FileSize`] with `expected = consumed + buf.len()`.
    pub(crate) fn read_header(&mut self, buf: &mut [u8]) -> Result<(), DataError> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.reader.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.read_error(e)),
            }
        }
        let start = self.consumed;
        self.consumed += filled as u64;
        if filled < buf.len() {
            return Err(DataError::FileSize {
                path: self.path.clone(),
                expected: start + buf.len() as u64,
                found: self.consumed,
            });
        }
        Ok(())
    }

    /// Checks, before anything is allocated, that the rest of the stream can be exactly
    /// `payload` bytes: for a raw file against its length, for gzip against
    /// [`MAX_GZIP_PAYLOAD`].
    pub(crate) fn check_payload(&self, payload: Option<u64>) -> Result<u64, DataError> {
        let expected = payload.and_then(|p| p.checked_add(self.consumed));
        match (self.raw_len, expected) {
            (Some(len), Some(expected)) if len == expected => Ok(expected - self.consumed),
            (Some(len), expected) => Err(DataError::FileSize {
                path: self.path.clone(),
                expected: expected.unwrap_or(u64::MAX),
                found: len,
            }),
            (None, Some(expected)) if expected - self.consumed <= MAX_GZIP_PAYLOAD => {
                Ok(expected - self.consumed)
            }
            (None, expected) => Err(DataError::TooLarge {
                path: self.path.clone(),
                claimed: expected.unwrap_or(u64::MAX),
                limit: MAX_GZIP_PAYLOAD + self.consumed,
            }),
        }
    }

    /// Reads the rest of the stream, which must be exactly `payload` bytes (call
    /// [`Stream::check_payload`] first). Memory grows with the bytes actually read, never
    /// with the claimed size alone.
    pub(crate) fn read_payload(mut self, payload: u64) -> Result<Vec<u8>, DataError> {
        let mut data = Vec::new();
        if let Some(len) = self.raw_len {
            // The length was checked against the file: safe to allocate at once.
            data.reserve_exact((len - self.consumed) as usize);
        }
        let limit = payload.saturating_add(1);
        let read = (&mut self.reader)
            .take(limit)
            .read_to_end(&mut data)
            .map_err(|e| self.read_error(e))?;
        if read as u64 != payload {
            return Err(DataError::FileSize {
                path: self.path.clone(),
                expected: self.consumed + payload,
                found: self.consumed + read as u64,
            });
        }
        Ok(data)
    }
}
