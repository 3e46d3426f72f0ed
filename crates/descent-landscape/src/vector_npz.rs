//! Parameter vectors inside `.npz` files: one `f4` array per parameter, named
//! `<prefix>/<path>` (`d0/Mlp.hidden.0.weight`, `bend/Vgg.features.0.conv.weight`), read back
//! against the model's layout. The directions file and a curve's progress file both store
//! their vectors this way.

use std::path::Path;

use burn::tensor::Device;

use crate::LandscapeError;
use crate::npz::{NpyArray, NpyData, Npz};
use crate::vector::{ParamInfo, ParamVector};

/// Adds `vector`'s values to `npz` as `<prefix>/<path>` arrays of their shapes.
///
/// # Errors
///
/// A tensor that cannot be read back from its device.
pub fn put_vector(npz: &mut Npz, prefix: &str, vector: &ParamVector) -> Result<(), LandscapeError> {
    for (entry, values) in vector.entries().iter().zip(vector.to_host()?) {
        npz.arrays.insert(
            format!("{prefix}/{}", entry.info.path),
            NpyArray::new(entry.info.shape.clone(), NpyData::F32(values)),
        );
    }
    Ok(())
}

/// The vector stored under `prefix` with the layout `params` (already checked against the
/// model), on `device`. `path` names the file in errors.
///
/// # Errors
///
/// [`LandscapeError::BadFile`] for a missing array, or one of another shape or type.
pub fn take_vector(
    npz: &Npz,
    prefix: &str,
    params: &[ParamInfo],
    device: &Device,
    path: &Path,
) -> Result<ParamVector, LandscapeError> {
    let values = params
        .iter()
        .map(|info| {
            let name = format!("{prefix}/{}", info.path);
            match npz.arrays.get(&name) {
                Some(NpyArray {
                    shape,
                    data: NpyData::F32(v),
                }) if *shape == info.shape => Ok(v.clone()),
                Some(_) => Err(LandscapeError::bad_file(
                    path,
                    format!("array {name} has the wrong shape or type"),
                )),
                None => Err(LandscapeError::bad_file(
                    path,
                    format!("array {name} is missing"),
                )),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    ParamVector::from_host(params, values, device)
}
