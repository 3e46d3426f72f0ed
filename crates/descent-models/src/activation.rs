//! Element-wise activation functions for the MLP hidden layers.

use core::fmt;
use core::str::FromStr;

use burn::tensor::Tensor;
use burn::tensor::activation;
use serde::{Deserialize, Serialize};

use crate::ModelError;

/// The activation applied after each hidden layer of an [`Mlp`](crate::Mlp).
///
/// Parsed from and printed as `relu`, `tanh`, `sigmoid`, `gelu`, `leaky-relu` (parsing ignores
/// case and also accepts `leaky_relu`/`leakyrelu`); the JSON form is the same lowercase name.
/// Each variant computes what the PyTorch module of the same name computes with its default
/// arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// `max(0, x)`, like `torch.nn.ReLU`.
    #[default]
    Relu,
    /// Hyperbolic tangent, like `torch.nn.Tanh`.
    Tanh,
    /// Logistic sigmoid `1 / (1 + e^-x)`, like `torch.nn.Sigmoid`.
    Sigmoid,
    /// Exact (erf-based) GELU `x * Phi(x)`, like `torch.nn.GELU()` with `approximate="none"`.
    Gelu,
    /// `max(0, x) + 0.01 * min(0, x)`: the slope is fixed at
    /// [`Activation::LEAKY_RELU_SLOPE`], PyTorch's `torch.nn.LeakyReLU()` default.
    LeakyRelu,
}

impl Activation {
    /// Negative slope of [`Activation::LeakyRelu`] (PyTorch's default `negative_slope`).
    pub const LEAKY_RELU_SLOPE: f64 = 0.01;

    /// Every activation, in declaration order.
    pub const ALL: [Activation; 5] = [
        Activation::Relu,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Gelu,
        Activation::LeakyRelu,
    ];

    const EXPECTED: &'static str = "relu, tanh, sigmoid, gelu, leaky-relu";

    /// The canonical name, as printed by `Display` and written to JSON.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Gelu => "gelu",
            Activation::LeakyRelu => "leaky-relu",
        }
    }

    /// Applies the activation element-wise.
    ///
    /// # Shapes
    ///
    /// - input: `[...]`
    /// - output: `[...]` (same shape)
    pub fn forward<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Relu => activation::relu(x),
            Activation::Tanh => activation::tanh(x),
            Activation::Sigmoid => activation::sigmoid(x),
            Activation::Gelu => activation::gelu(x),
            Activation::LeakyRelu => activation::leaky_relu(x, Self::LEAKY_RELU_SLOPE),
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Activation {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "relu" => Ok(Activation::Relu),
            "tanh" => Ok(Activation::Tanh),
            "sigmoid" => Ok(Activation::Sigmoid),
            "gelu" => Ok(Activation::Gelu),
            "leaky-relu" | "leaky_relu" | "leakyrelu" => Ok(Activation::LeakyRelu),
            _ => Err(ModelError::UnknownActivation {
                input: s.to_string(),
                expected: Self::EXPECTED,
            }),
        }
    }
}

#[cfg(test)]
#[allow(clippy::excessive_precision)] // reference values pasted from PyTorch
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData, Tolerance};

    #[test]
    fn display_from_str_round_trip() {
        for act in Activation::ALL {
            assert_eq!(act.to_string().parse::<Activation>(), Ok(act));
            let json = serde_json::to_string(&act).expect("serialize");
            assert_eq!(json, format!("\"{act}\""));
            assert_eq!(serde_json::from_str::<Activation>(&json).ok(), Some(act));
        }
    }

    #[test]
    fn parse_accepts_aliases_and_rejects_unknown() {
        assert_eq!("ReLU".parse(), Ok(Activation::Relu));
        assert_eq!("leaky_relu".parse(), Ok(Activation::LeakyRelu));
        assert_eq!(" GELU ".parse(), Ok(Activation::Gelu));
        let err = "swish".parse::<Activation>().expect_err("unknown name");
        assert!(matches!(err, ModelError::UnknownActivation { ref input, .. } if input == "swish"));
        assert!(err.to_string().contains("leaky-relu"), "{err}");
    }

    // PyTorch 2.15 reference:
    // import torch
    // x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0])
    // for f in (torch.nn.ReLU(), torch.nn.Tanh(), torch.nn.Sigmoid(), torch.nn.GELU(),
    //           torch.nn.LeakyReLU()):
    //     print([round(v, 7) for v in f(x).tolist()])
    #[test]
    fn values_match_pytorch() {
        let expected: [[f32; 5]; 5] = [
            [0.0, 0.0, 0.0, 0.5, 2.0],
            [-0.9640276, -0.4621172, 0.0, 0.4621172, 0.9640276],
            [0.1192029, 0.3775407, 0.5, 0.6224594, 0.880797],
            [-0.0455003, -0.1542688, 0.0, 0.3457312, 1.9544997],
            [-0.02, -0.005, 0.0, 0.5, 2.0],
        ];
        let device = Device::flex();
        let x = Tensor::<1>::from_floats([-2.0, -0.5, 0.0, 0.5, 2.0], &device);
        for (act, want) in Activation::ALL.into_iter().zip(expected) {
            act.forward(x.clone())
                .into_data()
                .assert_approx_eq::<f32>(&TensorData::from(want), Tolerance::absolute(1e-5));
        }
    }
}
