//! MD5 (RFC 1321), to check a downloaded archive against its published checksum (feature
//! `download`), computed by the RustCrypto `md-5` crate. MD5 is used here only to detect
//! corrupt or wrong files, not as a security measure.

use std::io::Read;
use std::path::Path;

use md5::Digest;

use crate::DataError;
use crate::read::{io_error, open};

/// An incremental MD5 computation.
#[derive(Debug, Clone, Default)]
pub struct Md5(md5::Md5);

impl Md5 {
    /// A fresh computation.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The digest as 32 lowercase hex digits.
    pub fn finish_hex(self) -> String {
        self.0
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

/// The MD5 of a file, as 32 lowercase hex digits.
///
/// # Errors
///
/// [`DataError::MissingFile`] or [`DataError::Io`].
pub fn md5_file(path: &Path) -> Result<String, DataError> {
    let (mut file, _) = open(path)?;
    let mut md5 = Md5::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer).map_err(|e| io_error(path, e))?;
        if read == 0 {
            break;
        }
        md5.update(&buffer[..read]);
    }
    Ok(md5.finish_hex())
}

/// Checks that the file's MD5 is `expected` (hex, any case).
///
/// # Errors
///
/// [`DataError::Checksum`] on a mismatch, and the errors of [`md5_file`].
pub fn verify_md5(path: &Path, expected: &str) -> Result<(), DataError> {
    let found = md5_file(path)?;
    if found.eq_ignore_ascii_case(expected.trim()) {
        Ok(())
    } else {
        Err(DataError::Checksum {
            path: path.to_path_buf(),
            expected: expected.to_string(),
            found,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md5(data: &[u8]) -> String {
        let mut md5 = Md5::new();
        md5.update(data);
        md5.finish_hex()
    }

    #[test]
    fn rfc_1321_test_suite() {
        let cases = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "c3fcd3d76192e4007dfb496cca67e13b",
            ),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f",
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(md5(input.as_bytes()), expected, "{input:?}");
        }
    }

    #[test]
    fn chunked_updates_agree() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 256) as u8).collect();
        let whole = md5(&data);
        for chunk in [1, 3, 63, 64, 65, 200] {
            let mut md5 = Md5::new();
            for piece in data.chunks(chunk) {
                md5.update(piece);
            }
            assert_eq!(md5.finish_hex(), whole, "chunk {chunk}");
        }
    }

    #[test]
    fn verifies_files() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").expect("writes");
        assert!(verify_md5(&path, "900150983CD24FB0D6963F7D28E17F72").is_ok());
        let err = verify_md5(&path, "00000000000000000000000000000000");
        assert!(matches!(err, Err(DataError::Checksum { .. })));
        assert!(matches!(
            verify_md5(&dir.path().join("nope"), "x"),
            Err(DataError::MissingFile { .. })
        ));
    }
}
