//! Helpers shared by the averaging tests.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;

struct Values(Vec<Tensor<1>>);

impl ModuleVisitor for Values {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().without_autodiff();
        let n = value.shape().num_elements();
        self.0.push(value.reshape([n]));
    }
}

/// Every float tensor of `module` (parameters and buffers), flattened, in visit order.
pub(crate) fn values<M: Module>(module: &M) -> Vec<Tensor<1>> {
    let mut values = Values(Vec::new());
    module.visit(&mut values);
    values.0
}

/// The values of a tensor as `f64`s.
pub(crate) fn floats(tensor: &Tensor<1>) -> Vec<f64> {
    tensor
        .to_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .unwrap_or_else(|e| panic!("tensor data: {e:?}"))
}

/// Asserts both lists hold tensors of the same sizes whose values differ by at most `atol`
/// (plus `atol` relative).
pub(crate) fn assert_tensors_close(actual: &[Tensor<1>], expected: &[Tensor<1>], atol: f64) {
    assert_eq!(actual.len(), expected.len(), "tensor counts differ");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        let (a, e) = (floats(a), floats(e));
        assert_eq!(a.len(), e.len(), "tensor {i}: sizes differ");
        for (j, (x, y)) in a.iter().zip(&e).enumerate() {
            assert!(
                (x - y).abs() <= atol * (1.0 + y.abs()),
                "tensor {i}, value {j}: got {x}, expected {y} (atol {atol})"
            );
        }
    }
}

/// `model` with its weight and bias replaced by `weight` (`[in][out]`, Burn's layout) and `bias`.
pub(crate) fn linear_with<const I: usize, const O: usize>(
    model: &burn::nn::Linear,
    weight: [[f32; O]; I],
    bias: [f32; O],
) -> burn::nn::Linear {
    let device = model.weight.val().device();
    let mut model = model.clone();
    model.weight = model
        .weight
        .map(|_| Tensor::<2>::from_floats(weight, &device));
    model.bias = model
        .bias
        .map(|b| b.map(|_| Tensor::<1>::from_floats(bias, &device)));
    model
}
