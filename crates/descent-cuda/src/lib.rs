//! Opens Burn's CUDA device for `descent --device cuda`, with a typed error instead of a panic
//! where there is no NVIDIA driver or GPU.
//!
//! Burn 0.22's CUDA runtime loads the driver's `libcuda` at run time (cudarc's dynamic
//! loading), so neither building nor running needs the CUDA toolkit; using a device that does
//! not exist panics inside Burn, though. [`open`] asks cubecl first whether device 0 exists
//! (no driver counts as no device), then runs one small sum on it, so that a device that is
//! listed but unusable fails here, with its message, rather than in the middle of a job.
//!
//! ```no_run
//! match descent_cuda::open() {
//!     Ok(cuda) => println!("{}", cuda.description),
//!     Err(err) => eprintln!("{err}"), // "no CUDA device (...)" on a machine without one
//! }
//! ```

mod error;

pub use error::CudaError;

use burn::cubecl::device::DeviceUnavailable;
use burn::tensor::{Device, Tensor};

/// An opened CUDA device.
#[derive(Debug, Clone)]
pub struct OpenCuda {
    /// Burn's device for CUDA device 0.
    pub device: Device,
    /// A one-line description for logs and `descent devices`.
    pub description: String,
}

/// Opens CUDA device 0; see the crate docs.
///
/// # Errors
///
/// [`CudaError::NoDevice`] without an NVIDIA driver or GPU; [`CudaError::Unavailable`] when
/// cubecl refuses the device otherwise; [`CudaError::Failed`] when the first computation on it
/// fails or gives a wrong result.
pub fn open() -> Result<OpenCuda, CudaError> {
    match burn::cubecl::Device::cuda(0) {
        Ok(_) => {}
        Err(DeviceUnavailable::NoSuchDevice { .. }) => return Err(CudaError::NoDevice),
        Err(other) => {
            return Err(CudaError::Unavailable {
                reason: other.to_string(),
            });
        }
    }
    let device = Device::cuda(0);
    let probe = std::panic::catch_unwind(|| {
        Tensor::<1>::from_floats([1.0, 2.0], &device)
            .sum()
            .into_scalar::<f32>()
    });
    match probe {
        Ok(sum) if sum == 3.0 => Ok(OpenCuda {
            device: device.clone(),
            description: "cuda:0 (CUDA)".to_string(),
        }),
        Ok(sum) => Err(CudaError::Failed {
            reason: format!("it computed 1 + 2 = {sum}"),
        }),
        Err(panic) => Err(CudaError::Failed {
            reason: panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown error")
                .to_string(),
        }),
    }
}
