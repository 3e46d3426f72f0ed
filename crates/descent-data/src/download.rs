//! Opt-in download of CIFAR-10 (feature `download`; never used by tests or the default build).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::checksum::Md5;
use crate::read::io_error;
use crate::{DataError, Split, cifar10};

/// Where the CIFAR-10 binary archive is published.
pub const CIFAR10_URL: &str = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
/// The archive's published MD5.
pub const CIFAR10_MD5: &str = "c32a1d4ab5d03f1284b67883e8d87530";
/// The archive's file name.
pub const CIFAR10_ARCHIVE: &str = "cifar-10-binary.tar.gz";

/// Whether `dir` (or its `cifar-10-batches-bin`) already holds every CIFAR-10 batch file.
pub fn cifar10_present(dir: &Path) -> bool {
    Split::ALL
        .iter()
        .flat_map(|&split| cifar10::files(dir, split))
        .all(|path| path.is_file())
}

/// Makes sure CIFAR-10 is in `dir`: if the batch files are missing, downloads
/// [`CIFAR10_URL`] into `dir` (streamed to a `.part` file, checked against [`CIFAR10_MD5`],
/// then renamed), and unpacks it, giving `dir/cifar-10-batches-bin`. Returns the folder that
/// holds the batch files. Does nothing over the network if they are already there.
///
/// # Errors
///
/// [`DataError::Download`] if the request fails, [`DataError::Checksum`] if the archive is not
/// the published one (the partial file is removed), [`DataError::Io`] for local files.
pub fn download_cifar10(dir: &Path) -> Result<PathBuf, DataError> {
    if cifar10_present(dir) {
        return Ok(cifar10::resolve_dir(dir));
    }
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let archive = dir.join(CIFAR10_ARCHIVE);
    let have_archive =
        archive.is_file() && crate::checksum::verify_md5(&archive, CIFAR10_MD5).is_ok();
    if !have_archive {
        fetch(CIFAR10_URL, &archive, CIFAR10_MD5)?;
    }
    unpack_tar_gz(&archive, dir)?;
    Ok(cifar10::resolve_dir(dir))
}

/// Streams `url` to `target` through a `.part` file, checking the MD5 on the way.
fn fetch(url: &str, target: &Path, md5_hex: &str) -> Result<(), DataError> {
    let download_error = |reason: String| DataError::Download {
        url: url.to_string(),
        reason,
    };
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(30))
        .timeout_read(Duration::from_secs(60))
        .build();
    let response = agent
        .get(url)
        .call()
        .map_err(|e| download_error(e.to_string()))?;
    let mut reader = response.into_reader();
    let part = target.with_extension("gz.part");
    let mut file = File::create(&part).map_err(|e| io_error(&part, e))?;
    let mut md5 = Md5::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = std::fs::remove_file(&part);
                return Err(download_error(e.to_string()));
            }
        };
        md5.update(&buffer[..read]);
        file.write_all(&buffer[..read])
            .map_err(|e| io_error(&part, e))?;
    }
    file.flush().map_err(|e| io_error(&part, e))?;
    drop(file);
    let found = md5.finish_hex();
    if !found.eq_ignore_ascii_case(md5_hex) {
        let _ = std::fs::remove_file(&part);
        return Err(DataError::Checksum {
            path: part,
            expected: md5_hex.to_string(),
            found,
        });
    }
    std::fs::rename(&part, target).map_err(|e| io_error(target, e))
}

/// Unpacks a `.tar.gz` archive into `dir` (entries escaping `dir` are refused by `tar`).
fn unpack_tar_gz(archive: &Path, dir: &Path) -> Result<(), DataError> {
    let file = File::open(archive).map_err(|e| io_error(archive, e))?;
    let decoder = flate2::read::GzDecoder::new(std::io::BufReader::new(file));
    tar::Archive::new(decoder)
        .unpack(dir)
        .map_err(|e| io_error(archive, e))
}
