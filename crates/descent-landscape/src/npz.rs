//! A minimal `.npz` writer and reader: an uncompressed zip of `.npy` arrays (NumPy format
//! version 1.0, or 2.0 for a header past 64 KiB), plus raw entries such as `meta.json`.
//!
//! `numpy.load(path)` reads the files this module writes: arrays by name (`z["loss_train"]`),
//! raw entries as bytes (`json.loads(z["meta.json"])`). Archives past the zip format's 16- and
//! 32-bit fields (65,535 entries, 4 GiB of entries or offsets) are written with the zip64
//! records of PKWARE's APPNOTE (4.5.3), as `numpy.savez` writes them. The reader reads what
//! this module writes (stored entries, zip64 or not, little-endian `f8`, `f4`, `i8`, `|b1`,
//! `|u1` arrays, C order); it is not a general zip reader (no compression).

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

/// Why an `.npz` could not be read or written.
pub type NpzError = String;

/// Where the zip format's plain fields end: an entry count of `entries` or more, or a size or
/// offset of `bytes` or more, takes the zip64 records. The real limits are the fields' largest
/// values (which mean "see zip64"); tests lower them to reach the zip64 path with small files.
#[derive(Debug, Clone, Copy)]
struct ZipLimits {
    entries: u64,
    bytes: u64,
}

/// The zip format's own limits.
const ZIP_LIMITS: ZipLimits = ZipLimits {
    entries: 0xFFFF,
    bytes: 0xFFFF_FFFF,
};

/// Signatures of the zip records.
const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
/// The id of the zip64 extra field.
const ZIP64_EXTRA: u16 = 0x0001;
/// "Version needed to extract": 2.0 for stored entries, 4.5 with zip64 fields.
const VERSION: u16 = 20;
const VERSION_ZIP64: u16 = 45;

/// The `.npy` bytes of `array`: format 1.0, or 2.0 (a 32-bit header length) when the header
/// does not fit 1.0's 16 bits (a shape of thousands of dimensions).
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
    // Magic (6) + version (2) + header length (2, or 4 in format 2.0) + header + '\n',
    // padded to a multiple of 64 bytes.
    let padded = |prefix: usize| (prefix + header.len() + 1).next_multiple_of(64) - prefix;
    let wide = padded(10) > usize::from(u16::MAX);
    let prefix = if wide { 12 } else { 10 };
    let len = padded(prefix);
    header.push_str(&" ".repeat(len - header.len() - 1));
    header.push('\n');
    let mut out = Vec::with_capacity(prefix + len + array.data.len() * 8);
    if wide {
        out.extend_from_slice(b"\x93NUMPY\x02\x00");
        out.extend_from_slice(&(len as u32).to_le_bytes());
    } else {
        out.extend_from_slice(b"\x93NUMPY\x01\x00");
        out.extend_from_slice(&(len as u16).to_le_bytes());
    }
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
    /// uncompressed, with fixed timestamps so equal contents give equal files; with zip64
    /// records where the plain fields do not reach (see the module docs).
    ///
    /// # Errors
    ///
    /// An entry name longer than a zip entry name can be (65,535 bytes).
    pub fn to_bytes(&self) -> Result<Vec<u8>, NpzError> {
        self.to_bytes_within(ZIP_LIMITS)
    }

    /// [`Npz::to_bytes`] with zip64 records from `limits` on.
    fn to_bytes_within(&self, limits: ZipLimits) -> Result<Vec<u8>, NpzError> {
        let mut files: Vec<(String, Vec<u8>)> = self
            .arrays
            .iter()
            .map(|(name, a)| (format!("{name}.npy"), npy_bytes(a)))
            .collect();
        files.extend(self.raw.iter().map(|(n, b)| (n.clone(), b.clone())));
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in &files {
            let name_len = u16::try_from(name.len()).map_err(|_| {
                let start: String = name.chars().take(40).collect();
                format!(
                    "an entry name of {} bytes ({start}...): a zip holds at most 65,535",
                    name.len()
                )
            })?;
            let crc = crc32fast::hash(data);
            let (size, offset) = (data.len() as u64, out.len() as u64);
            let (wide_size, wide_offset) = (size >= limits.bytes, offset >= limits.bytes);
            // Sizes in the local header's zip64 field: both, uncompressed first.
            let local_extra = if wide_size { 4 + 16 } else { 0 };
            // The central record's zip64 field holds the fields that did not fit, in order.
            let central_extra = 4 + 8 * (2 * usize::from(wide_size) + usize::from(wide_offset));
            let central_extra = if central_extra > 4 { central_extra } else { 0 };
            let size32 = if wide_size { u32::MAX } else { size as u32 };
            let offset32 = if wide_offset { u32::MAX } else { offset as u32 };
            let needed = |zip64: bool| if zip64 { VERSION_ZIP64 } else { VERSION };
            let version = needed(wide_size || wide_offset);
            // Local file header.
            out.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
            out.extend_from_slice(&needed(wide_size).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // flags
            out.extend_from_slice(&0u16.to_le_bytes()); // stored
            out.extend_from_slice(&0u16.to_le_bytes()); // time
            out.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&size32.to_le_bytes());
            out.extend_from_slice(&size32.to_le_bytes());
            out.extend_from_slice(&name_len.to_le_bytes());
            out.extend_from_slice(&(local_extra as u16).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            if wide_size {
                out.extend_from_slice(&ZIP64_EXTRA.to_le_bytes());
                out.extend_from_slice(&16u16.to_le_bytes());
                out.extend_from_slice(&size.to_le_bytes());
                out.extend_from_slice(&size.to_le_bytes());
            }
            out.extend_from_slice(data);
            // Central directory record.
            central.extend_from_slice(&CENTRAL_HEADER.to_le_bytes());
            central.extend_from_slice(&version.to_le_bytes()); // made by
            central.extend_from_slice(&version.to_le_bytes()); // needed
            central.extend_from_slice(&0u16.to_le_bytes());
            central.extend_from_slice(&0u16.to_le_bytes());
            central.extend_from_slice(&0u16.to_le_bytes());
            central.extend_from_slice(&0x21u16.to_le_bytes());
            central.extend_from_slice(&crc.to_le_bytes());
            central.extend_from_slice(&size32.to_le_bytes());
            central.extend_from_slice(&size32.to_le_bytes());
            central.extend_from_slice(&name_len.to_le_bytes());
            central.extend_from_slice(&(central_extra as u16).to_le_bytes());
            central.extend_from_slice(&[0; 6]); // comment, disk, internal attrs
            central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
            central.extend_from_slice(&offset32.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
            if central_extra > 0 {
                central.extend_from_slice(&ZIP64_EXTRA.to_le_bytes());
                central.extend_from_slice(&((central_extra - 4) as u16).to_le_bytes());
                if wide_size {
                    central.extend_from_slice(&size.to_le_bytes());
                    central.extend_from_slice(&size.to_le_bytes());
                }
                if wide_offset {
                    central.extend_from_slice(&offset.to_le_bytes());
                }
            }
        }
        let count = files.len() as u64;
        let (central_offset, central_size) = (out.len() as u64, central.len() as u64);
        out.extend_from_slice(&central);
        let wide_count = count >= limits.entries;
        let wide_central = [central_offset, central_size].map(|v| v >= limits.bytes);
        if wide_count || wide_central.contains(&true) {
            let record = out.len() as u64;
            out.extend_from_slice(&ZIP64_END_OF_CENTRAL_DIRECTORY.to_le_bytes());
            out.extend_from_slice(&44u64.to_le_bytes()); // size of the rest of the record
            out.extend_from_slice(&VERSION_ZIP64.to_le_bytes()); // made by
            out.extend_from_slice(&VERSION_ZIP64.to_le_bytes()); // needed
            out.extend_from_slice(&[0; 8]); // disk numbers
            out.extend_from_slice(&count.to_le_bytes()); // entries on this disk
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&central_size.to_le_bytes());
            out.extend_from_slice(&central_offset.to_le_bytes());
            out.extend_from_slice(&ZIP64_LOCATOR.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes()); // disk of the zip64 record
            out.extend_from_slice(&record.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes()); // disks
        }
        let count16 = if wide_count { u16::MAX } else { count as u16 };
        let [offset32, size32] = [
            (central_offset, wide_central[0]),
            (central_size, wide_central[1]),
        ]
        .map(|(value, wide)| if wide { u32::MAX } else { value as u32 });
        out.extend_from_slice(&END_OF_CENTRAL_DIRECTORY.to_le_bytes());
        out.extend_from_slice(&[0; 4]); // disk numbers
        out.extend_from_slice(&count16.to_le_bytes());
        out.extend_from_slice(&count16.to_le_bytes());
        out.extend_from_slice(&size32.to_le_bytes());
        out.extend_from_slice(&offset32.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        Ok(out)
    }

    /// Reads an `.npz` written by [`Npz::to_bytes`] (or by `numpy.savez`, which stores its
    /// entries uncompressed too), zip64 or not, checking every entry's CRC.
    ///
    /// # Errors
    ///
    /// A description of the first problem (not a zip, truncated, CRC mismatch, bad array).
    pub fn from_bytes(bytes: &[u8]) -> Result<Npz, NpzError> {
        let field = |at: usize, len: usize| -> Result<&[u8], NpzError> {
            at.checked_add(len)
                .and_then(|end| bytes.get(at..end))
                .ok_or_else(|| "truncated zip".to_string())
        };
        let u16_at = |at: usize| field(at, 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        let u32_at = |at: usize| field(at, 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let u64_at =
            |at: usize| field(at, 8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
        // A zip64 value past the address space is a truncated (or forged) file here.
        let index = |value: u64| usize::try_from(value).map_err(|_| "truncated zip".to_string());
        let eocd = (0..bytes.len().saturating_sub(21))
            .rev()
            .take(65_536 + 22)
            .find(|&at| u32_at(at).ok() == Some(END_OF_CENTRAL_DIRECTORY))
            .ok_or("not a zip archive (no end-of-central-directory record)")?;
        let (mut count, mut at) = (u64::from(u16_at(eocd + 10)?), u64::from(u32_at(eocd + 16)?));
        // A zip64 archive has its locator right before the end record, pointing at the zip64
        // end record, which holds the entry count and directory offset that did not fit.
        let locator = eocd.checked_sub(20);
        if let Some(locator) = locator.filter(|&l| u32_at(l).ok() == Some(ZIP64_LOCATOR)) {
            let record = index(u64_at(locator + 8)?)?;
            if u32_at(record)? != ZIP64_END_OF_CENTRAL_DIRECTORY {
                return Err("corrupt zip64 end-of-central-directory record".into());
            }
            count = u64_at(record + 32)?;
            at = u64_at(record + 48)?;
        }
        let mut at = index(at)?;
        let mut npz = Npz::default();
        for _ in 0..count {
            if u32_at(at)? != CENTRAL_HEADER {
                return Err("corrupt zip central directory".into());
            }
            let method = u16_at(at + 10)?;
            let crc = u32_at(at + 16)?;
            let mut stored = u64::from(u32_at(at + 20)?);
            let mut size = u64::from(u32_at(at + 24)?);
            let name_len = usize::from(u16_at(at + 28)?);
            let extra_len = usize::from(u16_at(at + 30)?);
            let comment_len = usize::from(u16_at(at + 32)?);
            let mut local = u64::from(u32_at(at + 42)?);
            let name = field(at + 46, name_len)
                .ok()
                .and_then(|n| std::str::from_utf8(n).ok())
                .ok_or("bad entry name")?
                .to_string();
            // The zip64 extra field holds, in this order, the fields that read all ones.
            let mut extra = field(at + 46 + name_len, extra_len)?;
            while let [a, b, c, d, rest @ ..] = extra {
                let (id, len) = (
                    u16::from_le_bytes([*a, *b]),
                    usize::from(u16::from_le_bytes([*c, *d])),
                );
                let data = rest
                    .get(..len)
                    .ok_or_else(|| format!("entry {name}: corrupt extra field"))?;
                if id == ZIP64_EXTRA {
                    let mut values = data
                        .chunks_exact(8)
                        .map(|v| u64::from_le_bytes(v.try_into().unwrap_or([0; 8])));
                    for wide in [&mut size, &mut stored, &mut local] {
                        if *wide == u64::from(u32::MAX) {
                            *wide = values
                                .next()
                                .ok_or_else(|| format!("entry {name}: short zip64 field"))?;
                        }
                    }
                }
                extra = &rest[len..];
            }
            at += 46 + name_len + extra_len + comment_len;
            if method != 0 {
                return Err(format!(
                    "entry {name} is compressed (only stored entries are read)"
                ));
            }
            if stored != size {
                return Err(format!(
                    "entry {name} is corrupt (stored {stored} bytes, {size} uncompressed)"
                ));
            }
            let local = index(local)?;
            if u32_at(local)? != LOCAL_HEADER {
                return Err(format!("corrupt local header of {name}"));
            }
            let data_start =
                local + 30 + usize::from(u16_at(local + 26)?) + usize::from(u16_at(local + 28)?);
            let data = field(data_start, index(size)?)
                .map_err(|_| format!("entry {name} is truncated"))?;
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
        let bytes = npz.to_bytes().expect("writes");
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
        assert_eq!(
            bytes,
            back.to_bytes().expect("writes"),
            "deterministic bytes"
        );
    }

    #[test]
    fn corruption_is_detected() {
        let mut bytes = sample().to_bytes().expect("writes");
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

    /// `a` and `b` hold the same arrays (bit for bit, NaN included) and raw entries.
    fn assert_same(a: &Npz, b: &Npz) {
        assert_eq!(a.raw, b.raw);
        assert_eq!(
            a.arrays.keys().collect::<Vec<_>>(),
            b.arrays.keys().collect::<Vec<_>>()
        );
        for (name, x) in &a.arrays {
            let y = &b.arrays[name];
            assert_eq!(x.shape, y.shape, "{name}");
            match (&x.data, &y.data) {
                (NpyData::F64(p), NpyData::F64(q)) => {
                    let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(p), bits(q), "{name}");
                }
                _ => assert_eq!(x.data, y.data, "{name}"),
            }
        }
    }

    /// With `DESCENT_NPZ_DIR` set, writes `bytes` there as `name` for
    /// `scripts/npz_zip64.py check`, which reads them with numpy.
    fn write_for_numpy(name: &str, bytes: &[u8]) {
        if let Some(dir) = std::env::var_os("DESCENT_NPZ_DIR") {
            let path = std::path::Path::new(&dir).join(name);
            std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }

    /// The last 22 bytes: the end record's entry count, directory size and offset.
    fn end_record(bytes: &[u8]) -> (u16, u32, u32) {
        let e = &bytes[bytes.len() - 22..];
        let u32_at = |at: usize| u32::from_le_bytes([e[at], e[at + 1], e[at + 2], e[at + 3]]);
        (u16::from_le_bytes([e[10], e[11]]), u32_at(12), u32_at(16))
    }

    fn contains(bytes: &[u8], signature: u32) -> bool {
        bytes.windows(4).any(|w| w == signature.to_le_bytes())
    }

    /// The zip64 path of a file past 4 GiB, on a small one: with the limits lowered to 2
    /// entries and 64 bytes, the larger entries' sizes, every offset past the first and the
    /// directory take zip64 fields and end records (their plain fields all ones). The file
    /// reads back the same, writes the same bytes again, and numpy reads it
    /// (`scripts/npz_zip64.py check`: numpy 2.4.6, 2026-12-06). With the real limits the same
    /// contents take no zip64 record.
    #[test]
    fn zip64_files_round_trip() {
        let npz = sample();
        let low = ZipLimits {
            entries: 2,
            bytes: 64,
        };
        let bytes = npz.to_bytes_within(low).expect("writes");
        assert!(contains(&bytes, ZIP64_END_OF_CENTRAL_DIRECTORY));
        assert!(contains(&bytes, ZIP64_LOCATOR));
        assert_eq!(end_record(&bytes), (u16::MAX, u32::MAX, u32::MAX));
        // The first entry, done.npy (131 bytes), has its sizes in a zip64 field.
        assert_eq!(&bytes[18..26], &[0xff; 8]);
        let back = Npz::from_bytes(&bytes).expect("reads zip64");
        assert_same(&back, &npz);
        assert_eq!(back.to_bytes_within(low).expect("writes"), bytes);
        write_for_numpy("zip64.npz", &bytes);

        let plain = npz.to_bytes().expect("writes");
        assert!(!contains(&plain, ZIP64_LOCATOR));
        assert!(!contains(&plain, ZIP64_END_OF_CENTRAL_DIRECTORY));
        assert_eq!(end_record(&plain).0, 5);
    }

    /// 70,000 entries, more than the 65,535 a plain zip counts: the real limits write the
    /// zip64 end records (no entry or offset is large), and the file reads back whole; numpy
    /// reads it too (`scripts/npz_zip64.py check`).
    #[test]
    fn more_entries_than_a_plain_zip_counts() {
        let mut npz = Npz::default();
        for i in 0..70_000 {
            let array = NpyArray::new(vec![], NpyData::I64(vec![i]));
            npz.arrays.insert(format!("a{i:05}"), array);
        }
        let bytes = npz.to_bytes().expect("writes");
        assert_eq!(end_record(&bytes).0, u16::MAX);
        assert!(contains(&bytes, ZIP64_LOCATOR));
        assert_eq!(Npz::from_bytes(&bytes).expect("reads"), npz);
        write_for_numpy("many.npz", &bytes);
    }

    /// An archive that `numpy.savez` wrote with zip64 records (zip64 sizes in every local
    /// header, zip64 sizes and offsets in the directory, zip64 end records): printed by
    /// `scripts/npz_zip64.py fixture` (numpy 2.4.6), whose arrays are
    /// `loss = [[1.0, 2.5], [-3.0, 0.5]]`, `done = [True, False, True]`, `n = [-7]` (int64).
    #[test]
    fn reads_numpy_zip64_files() {
        let hex = NUMPY_ZIP64.as_bytes();
        let bytes: Vec<u8> = hex
            .chunks_exact(2)
            .map(|pair| {
                let digits = std::str::from_utf8(pair).expect("ascii");
                u8::from_str_radix(digits, 16).expect("hex")
            })
            .collect();
        let npz = Npz::from_bytes(&bytes).expect("reads numpy's zip64 file");
        assert_eq!(
            npz.arrays["loss"],
            NpyArray::new(vec![2, 2], NpyData::F64(vec![1.0, 2.5, -3.0, 0.5]))
        );
        assert_eq!(
            npz.arrays["done"],
            NpyArray::new(vec![3], NpyData::Bool(vec![true, false, true]))
        );
        assert_eq!(
            npz.arrays["n"],
            NpyArray::new(vec![1], NpyData::I64(vec![-7]))
        );
        assert_eq!((npz.arrays.len(), npz.raw.len()), (3, 0));
    }

    const NUMPY_ZIP64: &str = "\
        504b03042d000000000000002100786f70d0ffffffffffffffff080014006c6f73732e6e70790100\
        1000a000000000000000a000000000000000934e554d5059010076007b276465736372273a20273c\
        6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a202832\
        2c2032292c207d202020202020202020202020202020202020202020202020202020202020202020\
        202020202020202020202020202020202020202020202020200a000000000000f03f000000000000\
        044000000000000008c0000000000000e03f504b03042d00000000000000210016938cbbffffffff\
        ffffffff08001400646f6e652e6e70790100100083000000000000008300000000000000934e554d\
        5059010076007b276465736372273a20277c6231272c2027666f727472616e5f6f72646572273a20\
        46616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020\
        20202020202020202020202020202020202020202020202020202020202020202020202020202020\
        2020200a010001504b03042d0000000000000021005293b710ffffffffffffffff050014006e2e6e\
        70790100100088000000000000008800000000000000934e554d5059010076007b27646573637227\
        3a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c2027736861706527\
        3a2028312c292c207d20202020202020202020202020202020202020202020202020202020202020\
        20202020202020202020202020202020202020202020202020202020200af9ffffffffffffff504b\
        01022d032d000000000000002100786f70d0ffffffffffffffff0800140000000000000000008001\
        000000006c6f73732e6e707901001000a000000000000000a000000000000000504b01022d032d00\
        000000000000210016938cbbffffffffffffffff08001c0000000000000000008001ffffffff646f\
        6e652e6e70790100180083000000000000008300000000000000da00000000000000504b01022d03\
        2d0000000000000021005293b710ffffffffffffffff05001c0000000000000000008001ffffffff\
        6e2e6e707901001800880000000000000088000000000000009701000000000000504b06062c0000\
        00000000002d002d00000000000000000003000000000000000300000000000000eb000000000000\
        005602000000000000504b060700000000410300000000000001000000504b050600000000030003\
        00eb000000560200000000";

    /// A name longer than a zip entry name can be is an error, not a file with a truncated
    /// length field; the longest one fits.
    #[test]
    fn names_longer_than_a_zip_holds_are_an_error() {
        let mut npz = Npz::default();
        npz.raw.insert("x".repeat(65_536), vec![1]);
        let err = npz.to_bytes().expect_err("too long a name");
        assert!(err.contains("an entry name of 65536 bytes"), "{err}");
        npz.raw = BTreeMap::from([("x".repeat(65_535), vec![1])]);
        let back = Npz::from_bytes(&npz.to_bytes().expect("fits")).expect("reads");
        assert_eq!(back, npz);
    }

    /// A header past format 1.0's 16-bit length (22,000 dimensions) takes format 2.0, as NEP 1
    /// lays it out: magic, version 2.0, a 32-bit little-endian length, the header padded with
    /// spaces and ended by a newline so that the data starts on a multiple of 64 bytes.
    #[test]
    fn long_headers_take_npy_format_2() {
        let array = NpyArray::new(vec![1; 22_000], NpyData::F32(vec![0.5]));
        let bytes = npy_bytes(&array);
        assert_eq!(&bytes[..8], b"\x93NUMPY\x02\x00");
        let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
        assert!(len > usize::from(u16::MAX));
        assert_eq!((12 + len) % 64, 0);
        assert_eq!(bytes[12 + len - 1], b'\n');
        assert_eq!(&bytes[12 + len..], &0.5f32.to_le_bytes());
        assert_eq!(parse_npy(&bytes).expect("reads"), array);
        let small = npy_bytes(&NpyArray::new(vec![1; 64], NpyData::F32(vec![0.5])));
        assert_eq!(&small[6..8], b"\x01\x00");
    }
}
