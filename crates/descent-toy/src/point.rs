//! [`Point`]: the position being optimized, as a tiny Burn module, so our optimizers walk it
//! exactly as they walk a network.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use crate::ToyError;

/// A point of the plane (or the line) as a module with one parameter, `xy`, of shape `[dims]`.
#[derive(Module, Debug)]
pub struct Point {
    /// The coordinates, `[x]` or `[x, y]`.
    pub xy: Param<Tensor<1>>,
}

impl Point {
    /// A point at `coords` on `device` (use an autodiff device to take gradients).
    pub fn new(coords: &[f64], device: &Device) -> Self {
        let values: Vec<f32> = coords.iter().map(|&v| v as f32).collect();
        Self {
            xy: Param::from_tensor(Tensor::from_floats(values.as_slice(), device)),
        }
    }

    /// The coordinates, read back to the host.
    pub fn coords(&self) -> Result<Vec<f64>, ToyError> {
        read(self.xy.val())
    }
}

/// Reads a small tensor to the host as `f64`s.
pub(crate) fn read(tensor: Tensor<1>) -> Result<Vec<f64>, ToyError> {
    let values: Vec<f32> = tensor.try_into_vec_as().map_err(|e| ToyError::Device {
        reason: format!("reading a tensor back: {e:?}"),
    })?;
    Ok(values.into_iter().map(f64::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_round_trip() {
        let point = Point::new(&[1.5, -0.25], &Device::flex().autodiff());
        assert_eq!(point.coords().expect("read"), vec![1.5, -0.25]);
        assert_eq!(point.num_params(), 2);
    }
}
