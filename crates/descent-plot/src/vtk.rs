//! ParaView export of a 2-D surface: VTK XML PolyData (`.vtp`) and StructuredGrid (`.vts`).
//!
//! Each grid point `(x[i], y[j])` becomes the point `(x[i], y[j], z)` with `z` the first
//! field's value (the surface's height, as in Li et al.'s `h5_to_vtp`), and every field is
//! attached as point data (the first one as the active scalars). Arrays are written as
//! base64-encoded little-endian `Float64` (VTK's inline "binary" format), so NaN values
//! survive exactly. Points whose height is NaN (not computed yet) are placed at the lowest
//! finite height; in `.vtp` only grid cells with four finite corners become quads, and in
//! `.vts` NaN points are hidden with a `vtkGhostType` array.

use std::fmt::Write as _;
use std::path::Path;

use crate::PlotError;

/// One named array of values over the grid, `values[j * x.len() + i]` at `(x[i], y[j])`.
pub type Field<'a> = (&'a str, &'a [f64]);

/// Writes the surface as VTK PolyData (`.vtp`): points, quads over the cells whose four
/// corners are finite, and `fields` as point data. The first field gives the height.
///
/// # Errors
/// [`PlotError::InvalidInput`] when an axis is not increasing or has fewer than 2 points,
/// when there is no field, a field has the wrong length or no finite value, or a name is
/// empty or not plain text; [`PlotError::Io`] when the file cannot be written.
pub fn write_vtp(x: &[f64], y: &[f64], fields: &[Field<'_>], path: &Path) -> Result<(), PlotError> {
    let xml = vtp_string(x, y, fields)?;
    descent_files::write_file(path, xml.as_bytes())?;
    Ok(())
}

/// Writes the surface as a VTK StructuredGrid (`.vts`): the same points and point data as
/// [`write_vtp`], with the grid's `i, j` structure kept (NaN points hidden).
///
/// # Errors
/// As [`write_vtp`].
pub fn write_vts(x: &[f64], y: &[f64], fields: &[Field<'_>], path: &Path) -> Result<(), PlotError> {
    let xml = vts_string(x, y, fields)?;
    descent_files::write_file(path, xml.as_bytes())?;
    Ok(())
}

fn check(x: &[f64], y: &[f64], fields: &[Field<'_>]) -> Result<(), PlotError> {
    for (name, axis) in [("x", x), ("y", y)] {
        if axis.len() < 2 {
            return Err(PlotError::invalid(
                name,
                "a surface needs at least 2 points per axis",
            ));
        }
        if axis.iter().any(|v| !v.is_finite()) || axis.windows(2).any(|w| w[1] <= w[0]) {
            return Err(PlotError::invalid(
                name,
                "must be finite and strictly increasing",
            ));
        }
    }
    if fields.is_empty() {
        return Err(PlotError::invalid("fields", "no field to export"));
    }
    let n = x.len() * y.len();
    for (k, (name, values)) in fields.iter().enumerate() {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-. ".contains(c))
        {
            return Err(PlotError::invalid(
                format!("fields[{k}].name"),
                format!("{name:?} must be non-empty letters, digits, '_', '-', '.', ' '"),
            ));
        }
        if values.len() != n {
            return Err(PlotError::invalid(
                format!("fields[{k}] ({name})"),
                format!(
                    "{} values for a {} x {} grid (expected {n})",
                    values.len(),
                    x.len(),
                    y.len()
                ),
            ));
        }
    }
    if !fields[0].1.iter().any(|v| v.is_finite()) {
        return Err(PlotError::invalid(
            format!("fields[0] ({})", fields[0].0),
            "every value is NaN or infinite",
        ));
    }
    Ok(())
}

/// The points `(x, y, height)`, NaN heights at the lowest finite height.
fn points(x: &[f64], y: &[f64], height: &[f64]) -> Vec<f64> {
    let floor = height
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    let mut out = Vec::with_capacity(3 * height.len());
    for (j, yj) in y.iter().enumerate() {
        for (i, xi) in x.iter().enumerate() {
            let h = height[j * x.len() + i];
            out.extend([*xi, *yj, if h.is_finite() { h } else { floor }]);
        }
    }
    out
}

fn point_data(out: &mut String, fields: &[Field<'_>], ghost: Option<&[u8]>) {
    let _ = writeln!(out, "      <PointData Scalars=\"{}\">", fields[0].0);
    for (name, values) in fields {
        let _ = writeln!(
            out,
            "        <DataArray type=\"Float64\" Name=\"{name}\" format=\"binary\">{}</DataArray>",
            encode_f64(values)
        );
    }
    if let Some(g) = ghost {
        let _ = writeln!(
            out,
            "        <DataArray type=\"UInt8\" Name=\"vtkGhostType\" format=\"binary\">{}</DataArray>",
            encode_bytes(g)
        );
    }
    out.push_str("      </PointData>\n");
}

fn points_xml(out: &mut String, pts: &[f64]) {
    let _ = writeln!(
        out,
        "      <Points>\n        <DataArray type=\"Float64\" NumberOfComponents=\"3\" format=\"binary\">{}</DataArray>\n      </Points>",
        encode_f64(pts)
    );
}

/// The `.vtp` document.
pub(crate) fn vtp_string(x: &[f64], y: &[f64], fields: &[Field<'_>]) -> Result<String, PlotError> {
    check(x, y, fields)?;
    let (nx, ny) = (x.len(), y.len());
    let h = fields[0].1;
    let mut connectivity = Vec::new();
    let mut offsets = Vec::new();
    for j in 0..ny - 1 {
        for i in 0..nx - 1 {
            let quad = [
                j * nx + i,
                j * nx + i + 1,
                (j + 1) * nx + i + 1,
                (j + 1) * nx + i,
            ];
            if quad.iter().all(|&k| h[k].is_finite()) {
                connectivity.extend(quad.map(|k| k as i64));
                offsets.push(connectivity.len() as i64);
            }
        }
    }
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\"?>\n<VTKFile type=\"PolyData\" version=\"1.0\" byte_order=\"LittleEndian\" header_type=\"UInt64\">\n  <PolyData>\n");
    let _ = writeln!(
        out,
        "    <Piece NumberOfPoints=\"{}\" NumberOfVerts=\"0\" NumberOfLines=\"0\" NumberOfStrips=\"0\" NumberOfPolys=\"{}\">",
        nx * ny,
        offsets.len()
    );
    point_data(&mut out, fields, None);
    points_xml(&mut out, &points(x, y, h));
    let _ = writeln!(
        out,
        "      <Polys>\n        <DataArray type=\"Int64\" Name=\"connectivity\" format=\"binary\">{}</DataArray>\n        <DataArray type=\"Int64\" Name=\"offsets\" format=\"binary\">{}</DataArray>\n      </Polys>",
        encode_i64(&connectivity),
        encode_i64(&offsets)
    );
    out.push_str("    </Piece>\n  </PolyData>\n</VTKFile>\n");
    Ok(out)
}

/// The `.vts` document.
pub(crate) fn vts_string(x: &[f64], y: &[f64], fields: &[Field<'_>]) -> Result<String, PlotError> {
    check(x, y, fields)?;
    let (nx, ny) = (x.len(), y.len());
    let h = fields[0].1;
    // vtkDataSetAttributes::HIDDENPOINT = 2.
    let ghost: Vec<u8> = h
        .iter()
        .map(|v| if v.is_finite() { 0 } else { 2 })
        .collect();
    let extent = format!("0 {} 0 {} 0 0", nx - 1, ny - 1);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<?xml version=\"1.0\"?>\n<VTKFile type=\"StructuredGrid\" version=\"1.0\" byte_order=\"LittleEndian\" header_type=\"UInt64\">\n  <StructuredGrid WholeExtent=\"{extent}\">\n    <Piece Extent=\"{extent}\">"
    );
    let any_nan = ghost.iter().any(|g| *g != 0);
    point_data(&mut out, fields, any_nan.then_some(ghost.as_slice()));
    points_xml(&mut out, &points(x, y, h));
    out.push_str("    </Piece>\n  </StructuredGrid>\n</VTKFile>\n");
    Ok(out)
}

fn encode_f64(values: &[f64]) -> String {
    encode_bytes(
        &values
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<_>>(),
    )
}

fn encode_i64(values: &[i64]) -> String {
    encode_bytes(
        &values
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<_>>(),
    )
}

/// VTK inline binary: base64 of (`UInt64` byte count, then the bytes).
fn encode_bytes(data: &[u8]) -> String {
    let mut all = (data.len() as u64).to_le_bytes().to_vec();
    all.extend_from_slice(data);
    base64(&all)
}

/// Standard base64 with padding (RFC 4648).
fn base64(data: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
