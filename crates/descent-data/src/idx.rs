//! IDX files (the MNIST format), raw or gzip-compressed.
//!
//! An IDX file is a big-endian header, `0x00 0x00 <type> <ndims>`, then `ndims` 32-bit sizes,
//! then the values in row-major order. Images files are unsigned bytes with 3 dimensions
//! (`count, rows, cols`, magic `0x00000803`), labels files unsigned bytes with 1 dimension
//! (`count`, magic `0x00000801`). A file starting with the bytes `1f 8b` is read as gzip
//! whatever its name.
//!
//! Sizes are checked before anything is allocated: a raw file must be exactly as long as its
//! header says, and a compressed one is read with memory growing only as data actually arrives
//! (and at most [`crate::read::MAX_GZIP_PAYLOAD`] bytes).

use std::path::Path;

use crate::read::Stream;
use crate::{DataError, ImageDataset, ImageShape};

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// An IDX file whose header has been read and whose size has been checked.
struct IdxHeader {
    stream: Stream,
    dims: Vec<usize>,
    payload: u64,
}

/// Opens `path`, checks its magic number against `magic` and its size against the header.
fn open(path: &Path, magic: u32) -> Result<IdxHeader, DataError> {
    let mut stream = Stream::open(path)?;
    let mut head = [0u8; 4];
    stream.read_header(&mut head)?;
    let found = u32::from_be_bytes(head);
    if found != magic {
        return Err(DataError::BadMagic {
            path: path.to_path_buf(),
            expected: magic,
            found,
        });
    }
    let ndims = usize::from(head[3]);
    let mut dims = Vec::with_capacity(ndims);
    let mut payload: Option<u64> = Some(1);
    for _ in 0..ndims {
        let mut size = [0u8; 4];
        stream.read_header(&mut size)?;
        let size = u32::from_be_bytes(size);
        payload = payload.and_then(|p| p.checked_mul(u64::from(size)));
        dims.push(size as usize);
    }
    let payload = stream.check_payload(payload)?;
    Ok(IdxHeader {
        stream,
        dims,
        payload,
    })
}

/// Reads a whole IDX file of unsigned bytes: its dimensions and values.
///
/// # Errors
///
/// [`DataError::MissingFile`], [`DataError::EmptyFile`], [`DataError::BadMagic`] (the magic
/// must equal `magic`, which fixes the number of dimensions), [`DataError::FileSize`] (raw file
/// or decompressed stream shorter or longer than the header says), [`DataError::TooLarge`],
/// [`DataError::Gzip`], [`DataError::Io`].
pub fn read_u8(path: &Path, magic: u32) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    let header = open(path, magic)?;
    let data = header.stream.read_payload(header.payload)?;
    Ok((header.dims, data))
}

/// Loads an images file and a labels file as a dataset of `1 x rows x cols` byte images.
///
/// `name` becomes the dataset's name; every label must be below `num_classes`.
///
/// # Errors
///
/// Those of [`read_u8`] for either file, then [`DataError::CountMismatch`] if the files hold
/// different numbers of samples, [`DataError::LabelOutOfRange`] for the first bad label,
/// [`DataError::Invalid`] for a zero image size or `num_classes` outside `1..=256`.
pub fn load(
    images: &Path,
    labels: &Path,
    name: &str,
    num_classes: usize,
) -> Result<ImageDataset, DataError> {
    load_with_size(images, labels, name, num_classes, None)
}

/// [`load`], also requiring the images to be `rows x cols` = `size` (checked from the header,
/// before the pixels are read): [`DataError::ImageSize`] otherwise.
pub(crate) fn load_with_size(
    images: &Path,
    labels: &Path,
    name: &str,
    num_classes: usize,
    size: Option<(usize, usize)>,
) -> Result<ImageDataset, DataError> {
    if !(1..=256).contains(&num_classes) {
        return Err(DataError::invalid(
            "number of classes",
            format!("{num_classes} is not in 1..=256 (labels are bytes)"),
        ));
    }
    let label_header = open(labels, LABELS_MAGIC)?;
    let image_header = open(images, IMAGES_MAGIC)?;
    let label_count = label_header.dims[0];
    let (image_count, rows, cols) = (
        image_header.dims[0],
        image_header.dims[1],
        image_header.dims[2],
    );
    if image_count != label_count {
        return Err(DataError::CountMismatch {
            images: images.to_path_buf(),
            image_count,
            labels: labels.to_path_buf(),
            label_count,
        });
    }
    if let Some((height, width)) = size
        && (rows, cols) != (height, width)
    {
        return Err(DataError::ImageSize {
            path: images.to_path_buf(),
            expected_height: height,
            expected_width: width,
            found_height: rows,
            found_width: cols,
        });
    }
    if rows == 0 || cols == 0 {
        return Err(DataError::invalid(
            "image size",
            format!("{}: images are {rows}x{cols}", images.display()),
        ));
    }
    let label_bytes = label_header.stream.read_payload(label_header.payload)?;
    let labels_out = label_bytes
        .iter()
        .enumerate()
        .map(|(index, &label)| {
            if usize::from(label) < num_classes {
                Ok(u32::from(label))
            } else {
                Err(DataError::LabelOutOfRange {
                    path: labels.to_path_buf(),
                    index,
                    label: usize::from(label),
                    num_classes,
                })
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let pixels = image_header.stream.read_payload(image_header.payload)?;
    Ok(ImageDataset::from_checked_u8(
        name.to_string(),
        ImageShape::new(1, rows, cols),
        num_classes,
        pixels,
        labels_out,
    ))
}

/// Test helpers: write IDX files.
#[cfg(test)]
pub(crate) mod testing {
    use std::io::Write;
    use std::path::Path;

    /// The bytes of an IDX file of unsigned bytes with the given dimensions and values.
    pub(crate) fn idx_bytes(dims: &[u32], values: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
        for d in dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(values);
        bytes
    }

    /// Gzip-compresses `bytes`.
    pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).expect("writes to memory");
        encoder.finish().expect("finishes in memory")
    }

    /// Writes `bytes` to `path`.
    pub(crate) fn write(path: &Path, bytes: &[u8]) {
        std::fs::write(path, bytes).expect("writes the test file");
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{gzip, idx_bytes, write};
    use super::*;

    /// Three 2x3 images with values 0..18 and labels 2, 0, 1.
    fn files(
        dir: &Path,
        compress: bool,
        image_name: &str,
        label_name: &str,
    ) -> (std::path::PathBuf, std::path::PathBuf) {
        let values: Vec<u8> = (0..18).collect();
        let mut images = idx_bytes(&[3, 2, 3], &values);
        let mut labels = idx_bytes(&[3], &[2, 0, 1]);
        if compress {
            images = gzip(&images);
            labels = gzip(&labels);
        }
        let (ip, lp) = (dir.join(image_name), dir.join(label_name));
        write(&ip, &images);
        write(&lp, &labels);
        (ip, lp)
    }

    fn tempdir() -> tempfile::TempDir {
        tempfile::tempdir().expect("creates a temporary folder")
    }

    #[test]
    fn round_trips_raw_and_gzip() {
        let dir = tempdir();
        // The gzip file has a name without .gz: detection is by magic bytes.
        for (compress, suffix) in [(false, "raw"), (true, "gz-without-extension")] {
            let (ip, lp) = files(
                dir.path(),
                compress,
                &format!("i-{suffix}"),
                &format!("l-{suffix}"),
            );
            let set = load(&ip, &lp, "tiny", 3).expect("loads");
            assert_eq!(set.name(), "tiny");
            assert_eq!(set.len(), 3);
            assert_eq!(set.shape(), ImageShape::new(1, 2, 3));
            assert_eq!(set.labels(), vec![2, 0, 1]);
            let second = set.image(1).expect("in range");
            let expected: Vec<f32> = (6..12).map(|v| v as f32 / 255.0).collect();
            assert_eq!(second, expected);
        }
    }

    fn expect_err(result: Result<ImageDataset, DataError>) -> DataError {
        match result {
            Ok(set) => panic!("expected an error, loaded {set:?}"),
            Err(err) => err,
        }
    }

    #[test]
    fn missing_and_empty_files() {
        let dir = tempdir();
        let (ip, lp) = files(dir.path(), false, "i", "l");
        let missing = dir.path().join("nope");
        let err = expect_err(load(&missing, &lp, "x", 3));
        assert!(
            matches!(&err, DataError::MissingFile { path, .. } if path == &missing),
            "{err}"
        );
        assert!(err.to_string().contains("nope"));

        let empty = dir.path().join("empty");
        write(&empty, &[]);
        let err = expect_err(load(&ip, &empty, "x", 3));
        assert!(
            matches!(&err, DataError::EmptyFile { path } if path == &empty),
            "{err}"
        );
        assert!(err.to_string().contains("empty"));
    }

    #[test]
    fn bad_magic_names_the_file() {
        let dir = tempdir();
        let (ip, lp) = files(dir.path(), false, "i", "l");
        // Images and labels swapped: each has the other's magic.
        let err = expect_err(load(&lp, &ip, "x", 3));
        assert!(
            matches!(&err, DataError::BadMagic { path, expected: LABELS_MAGIC, found: IMAGES_MAGIC } if path == &ip),
            "{err}"
        );
        assert!(err.to_string().contains("0x00000801") && err.to_string().contains("0x00000803"));
        // Garbage that starts like nothing known.
        let junk = dir.path().join("junk");
        write(&junk, b"hello world, not an idx file");
        let err = expect_err(load(&junk, &lp, "x", 3));
        assert!(matches!(&err, DataError::BadMagic { path, .. } if path == &junk));
        // Shorter than a magic number.
        write(&junk, &[0, 0]);
        let err = expect_err(load(&junk, &lp, "x", 3));
        assert!(
            matches!(&err, DataError::FileSize { path, expected: 4, found: 2 } if path == &junk),
            "{err}"
        );
    }

    #[test]
    fn truncated_and_overlong_files() {
        let dir = tempdir();
        let (ip, lp) = files(dir.path(), false, "i", "l");
        let full = std::fs::read(&ip).expect("reads");
        let cut = dir.path().join("cut");
        write(&cut, &full[..full.len() - 1]);
        let err = expect_err(load(&cut, &lp, "x", 3));
        assert!(
            matches!(&err, DataError::FileSize { path, expected: 34, found: 33 } if path == &cut),
            "{err}"
        );
        assert!(err.to_string().contains("expected 34 bytes, found 33"));
        let long = dir.path().join("long");
        write(&long, &[full.as_slice(), &[0]].concat());
        assert!(matches!(
            expect_err(load(&long, &lp, "x", 3)),
            DataError::FileSize {
                expected: 34,
                found: 35,
                ..
            }
        ));
        // Header cut in the middle of the sizes.
        write(&cut, &full[..10]);
        assert!(matches!(
            expect_err(load(&cut, &lp, "x", 3)),
            DataError::FileSize {
                expected: 12,
                found: 10,
                ..
            }
        ));

        // The same with gzip: the stream decompresses fine but is short or long.
        let gz = dir.path().join("cut.gz");
        write(&gz, &gzip(&full[..full.len() - 5]));
        let err = expect_err(load(&gz, &lp, "x", 3));
        assert!(
            matches!(&err, DataError::FileSize { path, expected: 34, found: 29 } if path == &gz),
            "{err}"
        );
        write(&gz, &gzip(&[full.as_slice(), &[1, 2, 3]].concat()));
        assert!(matches!(
            expect_err(load(&gz, &lp, "x", 3)),
            DataError::FileSize {
                expected: 34,
                found: 35,
                ..
            }
        ));
        // A corrupt gzip stream (compressed bytes cut off).
        let compressed = gzip(&full);
        write(&gz, &compressed[..compressed.len() / 2]);
        let err = expect_err(load(&gz, &lp, "x", 3));
        assert!(
            matches!(&err, DataError::Gzip { path, .. } if path == &gz),
            "{err}"
        );
    }

    #[test]
    fn labels_out_of_range_and_count_mismatch() {
        let dir = tempdir();
        let (ip, lp) = files(dir.path(), false, "i", "l");
        let err = expect_err(load(&ip, &lp, "x", 2));
        assert!(
            matches!(&err, DataError::LabelOutOfRange { path, index: 0, label: 2, num_classes: 2 } if path == &lp),
            "{err}"
        );
        assert!(err.to_string().contains("label 2 out of range"));

        let four = dir.path().join("four-labels");
        write(&four, &idx_bytes(&[4], &[0, 1, 0, 1]));
        let err = expect_err(load(&ip, &four, "x", 3));
        assert!(
            matches!(&err, DataError::CountMismatch { images, image_count: 3, labels, label_count: 4 } if images == &ip && labels == &four),
            "{err}"
        );
        assert!(err.to_string().contains("3 images") && err.to_string().contains("4 labels"));
        assert!(matches!(
            expect_err(load(&ip, &lp, "x", 0)),
            DataError::Invalid { .. }
        ));
        assert!(matches!(
            expect_err(load(&ip, &lp, "x", 300)),
            DataError::Invalid { .. }
        ));
    }

    #[test]
    fn image_size_is_checked_from_the_header() {
        let dir = tempdir();
        let (ip, lp) = files(dir.path(), false, "i", "l");
        let err = match load_with_size(&ip, &lp, "x", 3, Some((28, 28))) {
            Ok(_) => panic!("loaded 2x3 images as 28x28"),
            Err(err) => err,
        };
        assert!(
            matches!(&err, DataError::ImageSize { path, expected_height: 28, found_height: 2, found_width: 3, .. } if path == &ip),
            "{err}"
        );
    }

    #[test]
    fn hostile_header_does_not_allocate() {
        let dir = tempdir();
        let (_, lp) = files(dir.path(), false, "i", "l");
        // Claims 2^32 - 1 images of 65535 x 65535 pixels, holds 10 bytes.
        let header = idx_bytes(&[u32::MAX, 65_535, 65_535], &[0; 10]);
        let raw = dir.path().join("hostile");
        write(&raw, &header);
        let err = expect_err(load(&raw, &lp, "x", 3));
        assert!(
            matches!(&err, DataError::FileSize { path, found: 26, .. } if path == &raw),
            "{err}"
        );
        let gz = dir.path().join("hostile.gz");
        write(&gz, &gzip(&header));
        let err = expect_err(load(&gz, &lp, "x", 3));
        assert!(
            matches!(&err, DataError::TooLarge { path, .. } if path == &gz),
            "{err}"
        );
        // Under the gzip limit but far more than the stream holds: read as it comes, then a
        // size error.
        let header = idx_bytes(&[1 << 20, 28, 28], &[7; 100]);
        write(&gz, &gzip(&header));
        let err = match read_u8(&gz, IMAGES_MAGIC) {
            Ok(_) => panic!("read a short stream"),
            Err(err) => err,
        };
        assert!(
            matches!(&err, DataError::FileSize { path, expected, found: 116 } if path == &gz && *expected == 16 + (1u64 << 20) * 784),
            "{err}"
        );
        // Labels file claiming 2^32 - 1 labels.
        let labels = dir.path().join("hostile-labels");
        write(&labels, &idx_bytes(&[u32::MAX], &[0; 3]));
        assert!(matches!(
            expect_err(load(&raw, &labels, "x", 3)),
            DataError::FileSize { .. }
        ));
    }
}
