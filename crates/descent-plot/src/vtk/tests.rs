//! The `.vtp` / `.vts` documents: structure, exact values, NaN handling, errors.

use super::*;

fn decode_base64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s.bytes().filter(|c| *c != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (k, c) in chunk.iter().enumerate() {
            n |= u32::from(val(*c)) << (18 - 6 * k);
        }
        for k in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * k)) as u8);
        }
    }
    out
}

/// The payload of the `DataArray` whose opening tag contains `marker`, decoded.
fn array(doc: &str, marker: &str) -> Vec<u8> {
    let start = doc.find(marker).expect("array present");
    let open = start + doc[start..].find('>').expect("tag end") + 1;
    let close = open + doc[open..].find('<').expect("close tag");
    let raw = decode_base64(&doc[open..close]);
    let len = u64::from_le_bytes(raw[..8].try_into().expect("header")) as usize;
    assert_eq!(raw.len() - 8, len, "header byte count");
    raw[8..].to_vec()
}

fn f64s(b: &[u8]) -> Vec<f64> {
    b.chunks(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8")))
        .collect()
}

fn i64s(b: &[u8]) -> Vec<i64> {
    b.chunks(8)
        .map(|c| i64::from_le_bytes(c.try_into().expect("8")))
        .collect()
}

#[test]
fn base64_matches_rfc4648_vectors() {
    for (plain, enc) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(plain.as_bytes()), enc);
        assert_eq!(decode_base64(enc), plain.as_bytes());
    }
}

#[test]
fn vtp_has_one_point_per_grid_point_and_quads_over_finite_cells() {
    let (x, y) = ([0.0, 1.0, 2.0], [10.0, 20.0]);
    let loss = [1.0, 2.0, 3.0, 4.0, 5.0, f64::NAN];
    let acc = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    let doc = vtp_string(&x, &y, &[("loss", &loss), ("acc", &acc)]).expect("vtp");
    assert!(doc.contains("NumberOfPoints=\"6\""), "{doc}");
    // Two cells; the right one has the NaN corner, so one quad.
    assert!(doc.contains("NumberOfPolys=\"1\""), "{doc}");
    assert!(doc.contains("<PointData Scalars=\"loss\">"), "{doc}");
    let pts = f64s(&array(&doc, "NumberOfComponents=\"3\""));
    assert_eq!(pts.len(), 18);
    // Point (i=1, j=1) = (1, 20, 5); the NaN point sits at the lowest finite height, 1.
    assert_eq!(&pts[12..15], &[1.0, 20.0, 5.0]);
    assert_eq!(&pts[15..18], &[2.0, 20.0, 1.0]);
    assert_eq!(
        i64s(&array(&doc, "Name=\"connectivity\"")),
        vec![0, 1, 4, 3]
    );
    assert_eq!(i64s(&array(&doc, "Name=\"offsets\"")), vec![4]);
    let loss_back = f64s(&array(&doc, "Name=\"loss\""));
    assert_eq!(&loss_back[..5], &loss[..5]);
    assert!(loss_back[5].is_nan(), "NaN survives");
    assert_eq!(f64s(&array(&doc, "Name=\"acc\"")), acc.to_vec());
    // Well-formed enough for a strict reader: every element opened is closed.
    for tag in [
        "VTKFile",
        "PolyData",
        "Piece",
        "PointData",
        "Points",
        "Polys",
    ] {
        assert_eq!(
            doc.matches(&format!("<{tag}")).count(),
            doc.matches(&format!("</{tag}>")).count(),
            "{tag}"
        );
    }
}

#[test]
fn vts_keeps_the_extent_and_hides_nan_points() {
    let (x, y) = ([0.0, 1.0], [0.0, 1.0, 2.0]);
    let loss = [1.0, f64::NAN, 3.0, 4.0, 5.0, 6.0];
    let doc = vts_string(&x, &y, &[("loss", &loss)]).expect("vts");
    assert!(doc.contains("WholeExtent=\"0 1 0 2 0 0\""), "{doc}");
    assert_eq!(array(&doc, "Name=\"vtkGhostType\""), vec![0, 2, 0, 0, 0, 0]);
    assert_eq!(f64s(&array(&doc, "NumberOfComponents=\"3\"")).len(), 18);
    let finite = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let doc = vts_string(&x, &y, &[("loss", &finite)]).expect("vts");
    assert!(!doc.contains("vtkGhostType"), "no ghost array without NaN");
}

#[test]
fn bad_input_is_a_typed_error_naming_the_field() {
    let (x, y) = ([0.0, 1.0], [0.0, 1.0]);
    let err = vtp_string(&x, &y, &[("loss", &[1.0, 2.0, 3.0])]).expect_err("short");
    assert!(err.to_string().contains("fields[0] (loss)"), "{err}");
    let err = vtp_string(&x, &y, &[]).expect_err("none");
    assert!(err.to_string().contains("fields"), "{err}");
    let err = vtp_string(&x, &y, &[("a\"b", &[1.0; 4])]).expect_err("quote");
    assert!(err.to_string().contains("name"), "{err}");
    let err = vtp_string(&[1.0, 0.0], &y, &[("l", &[1.0; 4])]).expect_err("decreasing");
    assert!(err.to_string().contains("x"), "{err}");
    let err = vts_string(&x, &y, &[("l", &[f64::NAN; 4])]).expect_err("all nan");
    assert!(err.to_string().contains("NaN"), "{err}");
}

#[test]
fn files_are_written_and_unwritable_paths_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (x, y) = ([0.0, 1.0], [0.0, 1.0]);
    let path = dir.path().join("s.vtp");
    write_vtp(&x, &y, &[("loss", &[1.0, 2.0, 3.0, 4.0])], &path).expect("write");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.starts_with("<?xml"));
    write_vts(
        &x,
        &y,
        &[("loss", &[1.0, 2.0, 3.0, 4.0])],
        &dir.path().join("s.vts"),
    )
    .expect("vts");
    let err = write_vtp(
        &x,
        &y,
        &[("loss", &[1.0; 4])],
        Path::new("/nonexistent-dir/s.vtp"),
    )
    .expect_err("unwritable");
    assert!(matches!(err, PlotError::Io { .. }));
    assert!(err.to_string().contains("/nonexistent-dir"), "{err}");
}
