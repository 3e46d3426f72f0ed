//! A minimal `.npz` writer and reader: an uncompressed zip of `.npy` arrays (NumPy format
//! version 1.0), plus raw entries such as `meta.json`.
//!
//! `numpy.load(path)` reads the files this module writes: arrays by name (`z["loss_train"]`),
//! raw entries as bytes (`json.loads(z["meta.json"])`). The reader reads what this module
//! writes (stored entries, little-endian `f8`, `f4`, `i8`, `|b1`, `|u1` arrays, C order); it
//! is not a general zip reader (no compression, no zip64).

use std::collections::BTreeMap;

/// An array of one of the element types the scan and direction files use.
#[derive(Debug, Clone, PartialEq)]
pub enum NpyData {
    /// `<f8`.
    F64(Vec<f64>),
    /// `<f4`.
    F32(Vec<f32>),
    /// `<i8`.
    I64(Vec<i64>),
    /// `|b1`.
    Bool(Vec<bool>),
}

impl NpyData {
    fn descr(&self) -> &'static str {
        match self {
            NpyData::F64(_) => "<f8",
            NpyData::F32(_) => "<f4",
            NpyData::I64(_) => "<i8",
            NpyData::Bool(_) => "|b1",
        }
    }

    fn len(&self) -> usize {
        match self {
            NpyData::F64(v) => v.len(),
            NpyData::F32(v) => v.len(),
            NpyData::I64(v) => v.len(),
            NpyData::Bool(v) => v.len(),
        }
    }
}

/// An n-dimensional array: shape and row-major data.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// The shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// The elements, row-major.
    pub data: NpyData,
}

impl NpyArray {
    /// An array of `shape` holding `data`.
    pub fn new(shape: Vec<usize>, data: NpyData) -> NpyArray {
        NpyArray { shape, data }
    }
}

/// The contents of an `.npz` file: arrays and raw entries by name (without `.npy`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Npz {
    /// Arrays by name.
    pub arrays: BTreeMap<String, NpyArray>,
    /// Raw entries by file name (e.g. `meta.json`).
    pub raw: BTreeMap<String, Vec<u8>>,
}

/// Why an `.npz` could not be read.
pub type NpzError = String;

fn npy_bytes(array: &NpyArray) -> Vec<u8> {
    let shape = match array.shape.len() {
        0 => "()".to_string(),
        1 => format!("({},)", array.shape[0]),
        _ => format!(
            "({})",
            array
                .shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        array.data.descr(),
        shape
    );
    // Magic (6) + version (2) + header length (2) + header + '\n', padded to 64 bytes.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + array.data.len() * 8);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    match &array.data {
        NpyData::F64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        NpyData::F32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        NpyData::I64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        NpyData::Bool(v) => v.iter().for_each(|&x| out.push(u8::from(x))),
    }
    out
}

fn parse_npy(bytes: &[u8]) -> Result<NpyArray, NpzError> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a .npy array (bad magic)".into());
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let header = bytes
        .get(start..start + header_len)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or("truncated .npy header")?;
    let field = |key: &str| -> Result<&str, NpzError> {
        let at = header
            .find(&format!("'{key}':"))
            .ok_or(format!("no {key} in .npy header"))?;
        Ok(header[at + key.len() + 3..].trim_start())
    };
    let descr = field("descr")?;
    let descr = descr
        .strip_prefix('\'')
        .and_then(|d| d.split('\'').next())
        .ok_or("bad descr in .npy header")?;
    if !field("fortran_order")?.starts_with("False") {
        return Err("Fortran-order arrays are not supported".into());
    }
    let shape_text = field("shape")?;
    let shape_text = shape_text
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or("bad shape in .npy header")?;
    let shape = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| format!("bad dimension {s}")))
        .collect::<Result<Vec<_>, _>>()?;
    // The header is outside input: its dimensions may multiply past `usize::MAX`.
    let n = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| format!("shape {shape:?} has more elements than memory can hold"))?;
    let body = &bytes[start + header_len..];
    let need = |size: usize| -> Result<&[u8], NpzError> {
        let len = n
            .checked_mul(size)
            .ok_or_else(|| format!("shape {shape:?} needs more bytes than memory can hold"))?;
        body.get(..len).ok_or_else(|| {
            format!(
                "truncated .npy data ({} bytes for {n} elements)",
                body.len()
            )
        })
    };
    let data = match descr {
        "<f8" => NpyData::F64(
            need(8)?
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                .collect(),
        ),
        "<f4" => NpyData::F32(
            need(4)?
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap_or([0; 4])))
                .collect(),
        ),
        "<i8" => NpyData::I64(
            need(8)?
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                .collect(),
        ),
        "|b1" => NpyData::Bool(need(1)?.iter().map(|&b| b != 0).collect()),
        other => return Err(format!("unsupported dtype {other}")),
    };
    Ok(NpyArray { shape, data })
}

impl Npz {
    /// The zip file's bytes: entries in name order (arrays as `<name>.npy`), stored
    /// uncompressed, with fixed timestamps so equal contents give equal files.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut files: Vec<(String, Vec<u8>)> = self
            .arrays
            .iter()
            .map(|(name, a)| (format!("{name}.npy"), npy_bytes(a)))
            .collect();
        files.extend(self.raw.iter().map(|(n, b)| (n.clone(), b.clone())));
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in &files {
            let crc = crc32fast::hash(data);
            let offset = out.len() as u32;
            let size = data.len() as u32;
            // Local file header.
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            out.extend_from_slice(&20u16.to_le_bytes()); // version needed
            out.extend_from_slice(&0u16.to_le_bytes()); // flags
            out.extend_from_slice(&0u16.to_le_bytes()); // stored
            out.extend_from_slice(&0u16.to_le_bytes()); // time
            out.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            // Central directory record.
            central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            central.extend_from_slice(&20u16.to_le_bytes()); // made by
            central.extend_from_slice(&20u16.to_le_bytes()); // needed
            central.extend_from_slice(&0u16.to_le_bytes());
            central.extend_from_slice(&0u16.to_le_bytes());
            central.extend_from_slice(&0u16.to_le_bytes());
            central.extend_from_slice(&0x21u16.to_le_bytes());
            central.extend_from_slice(&crc.to_le_bytes());
            central.extend_from_slice(&size.to_le_bytes());
            central.extend_from_slice(&size.to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attrs
            central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let central_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0; 4]); // disk numbers
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&central_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    /// Reads an `.npz` written by [`Npz::to_bytes`] (or by `numpy.savez` for small files),
    /// checking every entry's CRC.
    ///
    /// # Errors
    ///
    /// A description of the first problem (not a zip, truncated, CRC mismatch, bad array).
    pub fn from_bytes(bytes: &[u8]) -> Result<Npz, NpzError> {
        let u16_at = |at: usize| -> Result<u16, NpzError> {
            bytes
                .get(at..at + 2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .ok_or_else(|| "truncated zip".to_string())
        };
        let u32_at = |at: usize| -> Result<u32, NpzError> {
            bytes
                .get(at..at + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .ok_or_else(|| "truncated zip".to_string())
        };
        let eocd = (0..bytes.len().saturating_sub(21))
            .rev()
            .take(65_536 + 22)
            .find(|&at| u32_at(at).ok() == Some(0x0605_4b50))
            .ok_or("not a zip archive (no end-of-central-directory record)")?;
        let count = u16_at(eocd + 10)? as usize;
        let mut at = u32_at(eocd + 16)? as usize;
        let mut npz = Npz::default();
        for _ in 0..count {
            if u32_at(at)? != 0x0201_4b50 {
                return Err("corrupt zip central directory".into());
            }
            let method = u16_at(at + 10)?;
            let crc = u32_at(at + 16)?;
            let size = u32_at(at + 20)? as usize;
            let name_len = u16_at(at + 28)? as usize;
            let extra_len = u16_at(at + 30)? as usize;
            let comment_len = u16_at(at + 32)? as usize;
            let local = u32_at(at + 42)? as usize;
            let name = bytes
                .get(at + 46..at + 46 + name_len)
                .and_then(|n| std::str::from_utf8(n).ok())
                .ok_or("bad entry name")?
                .to_string();
            at += 46 + name_len + extra_len + comment_len;
            if method != 0 {
                return Err(format!(
                    "entry {name} is compressed (only stored entries are read)"
                ));
            }
            if u32_at(local)? != 0x0403_4b50 {
                return Err(format!("corrupt local header of {name}"));
            }
            let data_start =
                local + 30 + u16_at(local + 26)? as usize + u16_at(local + 28)? as usize;
            let data = bytes
                .get(data_start..data_start + size)
                .ok_or_else(|| format!("entry {name} is truncated"))?;
            if crc32fast::hash(data) != crc {
                return Err(format!("entry {name} is corrupt (CRC mismatch)"));
            }
            match name.strip_suffix(".npy") {
                Some(array) => {
                    let parsed = parse_npy(data).map_err(|e| format!("{name}: {e}"))?;
                    npz.arrays.insert(array.to_string(), parsed);
                }
                None => {
                    npz.raw.insert(name, data.to_vec());
                }
            }
        }
        Ok(npz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Npz {
        let mut npz = Npz::default();
        npz.arrays.insert(
            "loss".into(),
            NpyArray::new(
                vec![2, 3],
                NpyData::F64(vec![1.0, 2.5, -3.0, f64::NAN, 0.0, 1e-300]),
            ),
        );
        npz.arrays.insert(
            "done".into(),
            NpyArray::new(vec![3], NpyData::Bool(vec![true, false, true])),
        );
        npz.arrays
            .insert("w".into(), NpyArray::new(vec![], NpyData::F32(vec![0.25])));
        npz.arrays
            .insert("n".into(), NpyArray::new(vec![1], NpyData::I64(vec![-7])));
        npz.raw.insert("meta.json".into(), br#"{"a": 1}"#.to_vec());
        npz
    }

    #[test]
    fn round_trips_bit_exactly() {
        let npz = sample();
        let bytes = npz.to_bytes();
        let back = Npz::from_bytes(&bytes).expect("reads its own output");
        assert_eq!(back.raw, npz.raw);
        for (name, a) in &npz.arrays {
            let b = &back.arrays[name];
            assert_eq!(a.shape, b.shape);
            match (&a.data, &b.data) {
                (NpyData::F64(x), NpyData::F64(y)) => {
                    assert!(x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()))
                }
                _ => assert_eq!(a.data, b.data),
            }
        }
        assert_eq!(bytes, back.to_bytes(), "deterministic bytes");
    }

    #[test]
    fn corruption_is_detected() {
        let mut bytes = sample().to_bytes();
        assert!(Npz::from_bytes(b"hello").is_err());
        assert!(Npz::from_bytes(&bytes[..bytes.len() / 2]).is_err());
        // Flip one byte of the first entry's data.
        bytes[80] ^= 0xff;
        let err = Npz::from_bytes(&bytes).expect_err("corrupt");
        assert!(err.contains("CRC") || err.contains("corrupt"), "{err}");
    }

    /// A `.npy` of `<f8` whose header is exactly `dict` (padding is not needed to parse).
    fn npy_with_header(dict: &str) -> Vec<u8> {
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        bytes.extend_from_slice(dict.as_bytes());
        bytes
    }

    #[test]
    fn shape_whose_element_count_overflows_is_an_error() {
        // 2^63 x 4 elements: the product does not fit in 64 bits.
        let bytes = npy_with_header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775808, 4), }",
        );
        let err = parse_npy(&bytes).expect_err("overflowing shape");
        assert!(err.contains("more elements than memory can hold"), "{err}");
    }

    #[test]
    fn shape_whose_byte_count_overflows_is_an_error() {
        // 2^62 elements fit in 64 bits, their 8-byte values do not.
        let bytes = npy_with_header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,), }",
        );
        let err = parse_npy(&bytes).expect_err("overflowing byte count");
        assert!(err.contains("more bytes than memory can hold"), "{err}");
        // The same shape of one-byte booleans fits in 64 bits and is merely truncated.
        let bytes = npy_with_header(
            "{'descr': '|b1', 'fortran_order': False, 'shape': (4611686018427387904,), }",
        );
        let err = parse_npy(&bytes).expect_err("truncated");
        assert!(err.contains("truncated .npy data"), "{err}");
    }

    #[test]
    fn npy_header_is_64_byte_aligned() {
        let bytes = npy_bytes(&NpyArray::new(vec![5], NpyData::F64(vec![0.0; 5])));
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        assert_eq!(bytes.len(), 10 + header_len + 40);
    }
}
