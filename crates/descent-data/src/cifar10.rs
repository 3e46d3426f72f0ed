//! CIFAR-10 binary batches (`cifar-10-binary.tar.gz`, unpacked) from a local folder.
//!
//! Each file holds records of [`RECORD_BYTES`] bytes: one label byte, then the 32x32 image as
//! three planes (red, green, blue), each row-major. That is already the `C x H x W` layout, so
//! records are copied as they are. The official files hold [`RECORDS_PER_FILE`] records each;
//! any whole number of records is accepted (handy for small test files).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::read::{io_error, open};
use crate::{DataError, ImageDataset, ImageShape, Split};

/// Bytes of one image (3 x 32 x 32).
pub const IMAGE_BYTES: usize = 3 * 32 * 32;
/// Bytes of one record: the label byte then the image.
pub const RECORD_BYTES: usize = 1 + IMAGE_BYTES;
/// Records in each official file.
pub const RECORDS_PER_FILE: usize = 10_000;
/// Number of classes.
pub const NUM_CLASSES: usize = 10;
/// The image shape.
pub const SHAPE: ImageShape = ImageShape::new(3, 32, 32);
/// The folder the official archive unpacks to; [`load`] looks inside it if it exists.
pub const SUBFOLDER: &str = "cifar-10-batches-bin";
/// The training files, in order.
pub const TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];
/// The test file.
pub const TEST_FILE: &str = "test_batch.bin";
/// The folder [`crate::load`] uses when none is given (relative to the working directory).
pub const DEFAULT_DIR: &str = "data/cifar10";
/// Class names, by label.
pub const CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

/// The folder holding the batch files: `dir/cifar-10-batches-bin` if that folder exists,
/// else `dir`.
pub fn resolve_dir(dir: &Path) -> PathBuf {
    let nested = dir.join(SUBFOLDER);
    if nested.is_dir() {
        nested
    } else {
        dir.to_path_buf()
    }
}

/// The files of `split`, in order, inside [`resolve_dir`]`(dir)`.
pub fn files(dir: &Path, split: Split) -> Vec<PathBuf> {
    let dir = resolve_dir(dir);
    match split {
        Split::Train => TRAIN_FILES.iter().map(|f| dir.join(f)).collect(),
        Split::Test => vec![dir.join(TEST_FILE)],
    }
}

/// Loads the `split` of CIFAR-10 from `dir` (or `dir/cifar-10-batches-bin`): 50 000 training
/// or 10 000 test images of shape 3x32x32, stored as bytes. The name is `cifar10-<split>`.
///
/// # Errors
///
/// For the first bad file: [`DataError::MissingFile`], [`DataError::EmptyFile`],
/// [`DataError::RecordSize`] (not a whole number of records), [`DataError::LabelOutOfRange`],
/// [`DataError::Io`].
pub fn load(dir: &Path, split: Split) -> Result<ImageDataset, DataError> {
    let paths = files(dir, split);
    // Check every file's size first, so a missing later file fails before reading 150 MB.
    let mut total = 0usize;
    for path in &paths {
        total += record_count(path)?;
    }
    let mut pixels = Vec::with_capacity(total * IMAGE_BYTES);
    let mut labels = Vec::with_capacity(total);
    for path in &paths {
        read_file(path, &mut pixels, &mut labels)?;
    }
    Ok(ImageDataset::from_checked_u8(
        format!("cifar10-{split}"),
        SHAPE,
        NUM_CLASSES,
        pixels,
        labels,
    ))
}

/// Number of records in a batch file, from its length.
fn record_count(path: &Path) -> Result<usize, DataError> {
    let (_, len) = open(path)?;
    if len == 0 {
        return Err(DataError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    if len % RECORD_BYTES as u64 != 0 {
        return Err(DataError::RecordSize {
            path: path.to_path_buf(),
            record_size: RECORD_BYTES as u64,
            found: len,
        });
    }
    Ok((len / RECORD_BYTES as u64) as usize)
}

/// Reads one batch file, appending its images and labels.
///
/// # Errors
///
/// As [`load`], for this file.
pub fn read_file(
    path: &Path,
    pixels: &mut Vec<u8>,
    labels: &mut Vec<u32>,
) -> Result<(), DataError> {
    let count = record_count(path)?;
    let (mut file, len) = open(path)?;
    let mut bytes = Vec::with_capacity(len as usize);
    file.read_to_end(&mut bytes)
        .map_err(|e| io_error(path, e))?;
    if bytes.len() != count * RECORD_BYTES {
        // The file changed between the two looks.
        return Err(DataError::RecordSize {
            path: path.to_path_buf(),
            record_size: RECORD_BYTES as u64,
            found: bytes.len() as u64,
        });
    }
    pixels.reserve(count * IMAGE_BYTES);
    labels.reserve(count);
    for (index, record) in bytes.chunks_exact(RECORD_BYTES).enumerate() {
        let label = usize::from(record[0]);
        if label >= NUM_CLASSES {
            return Err(DataError::LabelOutOfRange {
                path: path.to_path_buf(),
                index,
                label,
                num_classes: NUM_CLASSES,
            });
        }
        labels.push(label as u32);
        pixels.extend_from_slice(&record[1..]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record whose pixel `i` of plane `c` is `(seed + 7 c + i) mod 256`.
    fn record(label: u8, seed: u8) -> Vec<u8> {
        let mut record = vec![label];
        for c in 0..3usize {
            record.extend((0..1024usize).map(|i| (usize::from(seed) + 7 * c + i) as u8));
        }
        record
    }

    fn write_split(dir: &Path, per_file: usize) {
        std::fs::create_dir_all(dir).expect("creates the folder");
        for (f, name) in TRAIN_FILES.iter().chain([&TEST_FILE]).enumerate() {
            let bytes: Vec<u8> = (0..per_file)
                .flat_map(|r| record(((f + r) % 10) as u8, (10 * f + r) as u8))
                .collect();
            std::fs::write(dir.join(name), bytes).expect("writes");
        }
    }

    fn expect_err(result: Result<ImageDataset, DataError>) -> DataError {
        match result {
            Ok(set) => panic!("expected an error, loaded {set:?}"),
            Err(err) => err,
        }
    }

    #[test]
    fn round_trips_pixels_and_labels() {
        let dir = tempfile::tempdir().expect("temporary folder");
        write_split(dir.path(), 2);
        let train = load(dir.path(), Split::Train).expect("loads");
        assert_eq!(train.name(), "cifar10-train");
        assert_eq!(train.len(), 10);
        assert_eq!(train.shape(), SHAPE);
        assert_eq!(train.labels(), vec![0, 1, 1, 2, 2, 3, 3, 4, 4, 5]);
        // Sample 3 is file 1 (data_batch_2), record 1: seed 11.
        let image = train.image(3).expect("in range");
        assert_eq!(image[0], 11.0 / 255.0); // red (0, 0)
        assert_eq!(image[1024 + 33], ((11 + 7 + 33) as f32) / 255.0); // green (1, 1)
        assert_eq!(
            image[2048 + 1023],
            (((11 + 14 + 1023) % 256) as f32) / 255.0
        ); // blue (31, 31)

        let test = load(dir.path(), Split::Test).expect("loads");
        assert_eq!(test.name(), "cifar10-test");
        assert_eq!(test.labels(), vec![5, 6]);
    }

    #[test]
    fn finds_the_nested_folder() {
        let dir = tempfile::tempdir().expect("temporary folder");
        write_split(&dir.path().join(SUBFOLDER), 1);
        let test = load(dir.path(), Split::Test).expect("loads from the subfolder");
        assert_eq!(test.len(), 1);
        assert_eq!(resolve_dir(dir.path()), dir.path().join(SUBFOLDER));
    }

    #[test]
    fn each_failure_names_the_file() {
        let dir = tempfile::tempdir().expect("temporary folder");
        write_split(dir.path(), 1);
        let bad = dir.path().join("data_batch_3.bin");

        std::fs::remove_file(&bad).expect("removes");
        let err = expect_err(load(dir.path(), Split::Train));
        assert!(
            matches!(&err, DataError::MissingFile { path, .. } if path == &bad),
            "{err}"
        );
        assert!(err.to_string().contains("data_batch_3.bin"));
        // The test split does not need the training files.
        assert!(load(dir.path(), Split::Test).is_ok());

        std::fs::write(&bad, []).expect("writes");
        let err = expect_err(load(dir.path(), Split::Train));
        assert!(
            matches!(&err, DataError::EmptyFile { path } if path == &bad),
            "{err}"
        );

        let mut truncated = record(1, 1);
        truncated.extend(record(2, 2));
        truncated.truncate(RECORD_BYTES + 100);
        std::fs::write(&bad, &truncated).expect("writes");
        let err = expect_err(load(dir.path(), Split::Train));
        assert!(
            matches!(&err, DataError::RecordSize { path, record_size: 3073, found: 3173 } if path == &bad),
            "{err}"
        );
        assert!(err.to_string().contains("3173 bytes"));

        let mut bad_label = record(1, 1);
        bad_label.extend(record(10, 2));
        std::fs::write(&bad, &bad_label).expect("writes");
        let err = expect_err(load(dir.path(), Split::Train));
        assert!(
            matches!(&err, DataError::LabelOutOfRange { path, index: 1, label: 10, num_classes: 10 } if path == &bad),
            "{err}"
        );

        let err = expect_err(load(&dir.path().join("elsewhere"), Split::Test));
        assert!(matches!(err, DataError::MissingFile { .. }));
    }
}
