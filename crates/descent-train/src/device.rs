//! Choosing the compute device at run time.
//!
//! Burn 0.22 has no backend type parameter: a model runs on whatever [`Device`] its tensors were
//! created on. [`DeviceChoice`] names the devices this build can open (`cpu`, `flex`, `ndarray`,
//! `wgpu`, and `cuda` when built with the `cuda` feature) and opens them with a typed error
//! instead of a panic when, for example, no wgpu adapter or no CUDA device exists.

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;

use crate::error::TrainError;

/// A device the user can ask for by name (`--device`, `BURN_DEVICE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceChoice {
    /// The default CPU backend of this build: [`DeviceChoice::Flex`] when compiled in.
    Cpu,
    /// Burn's `flex` CPU backend (SIMD + rayon). Measured the fastest CPU backend here.
    Flex,
    /// Burn's older `ndarray` CPU backend (deprecated upstream in favour of flex).
    NdArray,
    /// The wgpu GPU backend (Vulkan/Metal/DX12/GL); on machines without a GPU it can run on
    /// Mesa's lavapipe software rasterizer.
    Wgpu,
    /// Burn's CUDA backend (NVIDIA GPUs, through the driver's `libcuda`, loaded at run time:
    /// the CUDA toolkit is not needed to build or run). Only in builds with the `cuda`
    /// feature, which is not in the default build (see the README, "GPUs").
    Cuda,
}

impl DeviceChoice {
    /// Every name [`FromStr`] accepts, in the order `descent devices` lists them.
    pub const ALL: [DeviceChoice; 5] = [
        DeviceChoice::Cpu,
        DeviceChoice::Flex,
        DeviceChoice::NdArray,
        DeviceChoice::Wgpu,
        DeviceChoice::Cuda,
    ];

    /// Whether this build was compiled with the backend behind the choice.
    pub fn is_compiled(self) -> bool {
        match self {
            DeviceChoice::Cpu => cfg!(any(feature = "flex", feature = "ndarray")),
            DeviceChoice::Flex => cfg!(feature = "flex"),
            DeviceChoice::NdArray => cfg!(feature = "ndarray"),
            DeviceChoice::Wgpu => cfg!(feature = "wgpu"),
            DeviceChoice::Cuda => cfg!(feature = "cuda"),
        }
    }

    /// The concrete CPU backend `cpu` stands for in this build.
    pub fn resolve(self) -> DeviceChoice {
        match self {
            DeviceChoice::Cpu if cfg!(feature = "flex") => DeviceChoice::Flex,
            DeviceChoice::Cpu => DeviceChoice::NdArray,
            other => other,
        }
    }

    /// The names of the choices compiled into this build, for error messages.
    pub fn compiled_names() -> Vec<&'static str> {
        Self::ALL
            .iter()
            .filter(|c| c.is_compiled())
            .map(|c| c.name())
            .collect()
    }

    /// The name `FromStr` takes and `Display` prints.
    pub fn name(self) -> &'static str {
        match self {
            DeviceChoice::Cpu => "cpu",
            DeviceChoice::Flex => "flex",
            DeviceChoice::NdArray => "ndarray",
            DeviceChoice::Wgpu => "wgpu",
            DeviceChoice::Cuda => "cuda",
        }
    }

    /// Opens the device (without autodiff; call `.autodiff()` on it to train).
    ///
    /// The wgpu runtime is initialised once per process and reused: Burn refuses to initialise
    /// the same runtime twice. When no adapter exists the error says so and suggests `cpu`;
    /// likewise when no CUDA device (or no NVIDIA driver) exists.
    pub fn open(self) -> Result<Device, TrainError> {
        if !self.is_compiled() {
            return Err(TrainError::DeviceNotCompiled {
                device: self.name().to_string(),
                compiled: Self::compiled_names().join(", "),
            });
        }
        match self.resolve() {
            #[cfg(feature = "flex")]
            DeviceChoice::Flex => Ok(Device::flex()),
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)] // still offered, for comparison; flex is the default
            DeviceChoice::NdArray => Ok(Device::ndarray()),
            #[cfg(feature = "wgpu")]
            DeviceChoice::Wgpu => wgpu::open().map(|w| w.device.clone()),
            #[cfg(feature = "cuda")]
            DeviceChoice::Cuda => cuda::open().map(|c| c.device.clone()),
            other => Err(TrainError::DeviceNotCompiled {
                device: other.name().to_string(),
                compiled: Self::compiled_names().join(", "),
            }),
        }
    }

    /// A one-line description of the device for logs and `descent devices`
    /// (for wgpu: the adapter's name and graphics API). Opens the device.
    pub fn describe(self) -> Result<String, TrainError> {
        match self.resolve() {
            DeviceChoice::Flex => Ok("flex (CPU, SIMD + rayon)".to_string()),
            DeviceChoice::NdArray => Ok("ndarray (CPU, deprecated upstream)".to_string()),
            #[cfg(feature = "wgpu")]
            DeviceChoice::Wgpu => wgpu::open().map(|w| format!("wgpu ({})", w.adapter)),
            #[cfg(feature = "cuda")]
            DeviceChoice::Cuda => cuda::open().map(|c| c.description.clone()),
            other => self.open().map(|_| other.name().to_string()),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DeviceChoice {
    type Err = TrainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cpu" => Ok(DeviceChoice::Cpu),
            "flex" => Ok(DeviceChoice::Flex),
            "ndarray" => Ok(DeviceChoice::NdArray),
            "wgpu" | "gpu" => Ok(DeviceChoice::Wgpu),
            "cuda" => Ok(DeviceChoice::Cuda),
            _ => Err(TrainError::UnknownDevice {
                name: s.to_string(),
                compiled: Self::compiled_names().join(", "),
            }),
        }
    }
}

#[cfg(feature = "wgpu")]
mod wgpu {
    use super::*;
    use std::sync::OnceLock;

    pub(super) struct OpenWgpu {
        pub(super) device: Device,
        pub(super) adapter: String,
    }

    static WGPU: OnceLock<Result<OpenWgpu, String>> = OnceLock::new();

    pub(super) fn open() -> Result<&'static OpenWgpu, TrainError> {
        WGPU.get_or_init(|| {
            Device::wgpu_options()
                .init_with_setup()
                .map(|(device, setup)| {
                    let info = setup.adapter.get_info();
                    OpenWgpu {
                        device,
                        adapter: format!("{} via {:?}", info.name, info.backend),
                    }
                })
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|reason| TrainError::DeviceUnavailable {
            device: "wgpu".to_string(),
            reason: reason.clone(),
            hint: "no usable GPU adapter was found; use `--device cpu`, or install a Vulkan \
                   driver (on Debian without a GPU: apt-get install mesa-vulkan-drivers libvulkan1)"
                .to_string(),
        })
    }
}

#[cfg(feature = "cuda")]
mod cuda {
    use super::*;
    use burn::cubecl::device::DeviceUnavailable;
    use std::sync::OnceLock;

    pub(super) struct OpenCuda {
        pub(super) device: Device,
        pub(super) description: String,
    }

    static CUDA: OnceLock<Result<OpenCuda, String>> = OnceLock::new();

    /// Opens CUDA device 0. cubecl first asks the driver whether the device exists (no
    /// NVIDIA driver counts as no device: `libcuda` is loaded at run time, and a missing one is
    /// not an error there, where using the device would panic); then one small computation
    /// runs, so that a device that is listed but unusable fails here with its message rather
    /// than in the middle of a job.
    pub(super) fn open() -> Result<&'static OpenCuda, TrainError> {
        CUDA.get_or_init(|| {
            match burn::cubecl::Device::cuda(0) {
                Ok(_) => {}
                Err(DeviceUnavailable::NoSuchDevice { .. }) => {
                    return Err(
                        "no CUDA device (no NVIDIA driver was found, or it reports no GPU)"
                            .to_string(),
                    );
                }
                Err(other) => return Err(other.to_string()),
            }
            let device = Device::cuda(0);
            let probe = std::panic::catch_unwind(|| {
                let t = burn::tensor::Tensor::<1>::from_floats([1.0, 2.0], &device);
                t.sum().into_scalar::<f32>()
            });
            match probe {
                Ok(sum) if sum == 3.0 => Ok(OpenCuda {
                    device: device.clone(),
                    description: "cuda:0 (CUDA)".to_string(),
                }),
                Ok(sum) => Err(format!("CUDA device 0 computed 1 + 2 = {sum}")),
                Err(panic) => Err(format!(
                    "CUDA device 0 failed to start: {}",
                    panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("unknown error")
                )),
            }
        })
        .as_ref()
        .map_err(|reason| TrainError::DeviceUnavailable {
            device: "cuda".to_string(),
            reason: reason.clone(),
            hint: "use `--device cpu` or `--device wgpu`; `descent devices` lists what opens"
                .to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for choice in DeviceChoice::ALL {
            let parsed: DeviceChoice = choice.to_string().parse().expect("parses");
            assert_eq!(parsed, choice);
        }
    }

    #[test]
    fn unknown_device_is_a_typed_error_listing_the_choices() {
        let err = "tpu"
            .parse::<DeviceChoice>()
            .expect_err("tpu is not a device");
        let msg = err.to_string();
        assert!(msg.contains("tpu"), "{msg}");
        assert!(msg.contains("cpu"), "{msg}");
    }

    /// Without the `cuda` feature, `cuda` is a known name that this build lacks; with it, on a
    /// machine without an NVIDIA GPU (CI, this machine), opening it is a typed error saying
    /// there is no CUDA device, not a panic.
    #[test]
    fn cuda_is_named_and_fails_cleanly_where_absent() {
        let choice: DeviceChoice = "cuda".parse().expect("a known name");
        assert_eq!(choice, DeviceChoice::Cuda);
        let built_with_cuda = cfg!(feature = "cuda");
        match choice.open() {
            Err(TrainError::DeviceNotCompiled { device, .. }) => {
                assert!(!built_with_cuda);
                assert_eq!(device, "cuda");
            }
            Err(TrainError::DeviceUnavailable { reason, .. }) => {
                assert!(built_with_cuda);
                assert!(reason.contains("no CUDA device"), "{reason}");
            }
            Err(other) => panic!("unexpected error: {other}"),
            // A machine with a working NVIDIA GPU and a cuda build.
            Ok(_) => assert!(built_with_cuda),
        }
    }

    #[test]
    fn cpu_opens_and_computes() {
        let device = DeviceChoice::Cpu
            .open()
            .expect("the CPU device always opens");
        let t = burn::tensor::Tensor::<1>::from_floats([1.0, 2.0, 3.0], &device);
        let sum: f32 = t.sum().into_scalar();
        assert!((sum - 6.0).abs() < 1e-6);
    }
}
