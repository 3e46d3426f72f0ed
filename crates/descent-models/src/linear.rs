//! Fully connected layer that runs this crate's matrix products on Burn's `Flex` backend and
//! Burn's everywhere else.
//!
//! [`linear_layer`] is a drop-in for [`Linear::forward`] on `[N, d_in]` inputs. On `Flex`
//! (with or without autodiff) with float32 data the forward pass and the two weight-side
//! gradients are one `descent_kernels::sgemm` product each, reading transposed operands in
//! place: the `gemm` crate behind Burn's `Flex` matmul stops at the 256-bit FMA rate
//! (`cargo bench -p descent-kernels --bench sgemm -- mlp` compares them on an MLP's products;
//! the figures are in `bench/README.md`). Other devices, dtypes and ranks call
//! `Linear::forward`.
//! [`crate::conv::set_cpu_conv_kernels`] turns it off with the other kernels.
//!
//! ```
//! use burn::nn::LinearConfig;
//! use burn::tensor::{Device, Distribution, Tensor};
//! use descent_models::linear::linear_layer;
//!
//! let device = Device::flex();
//! let layer = LinearConfig::new(6, 4).init(&device);
//! let x = Tensor::<2>::random([3, 6], Distribution::Default, &device);
//! let ours = linear_layer(&layer, x.clone());
//! assert!(ours.sub(layer.forward(x)).abs().max().into_scalar::<f32>() < 1e-5);
//! ```

use burn::nn::Linear;
use burn::tensor::Tensor;

/// Applies a Burn [`Linear`] layer to `input` (`[N, d_in]`), as [`Linear::forward`] does.
pub fn linear_layer(layer: &Linear, input: Tensor<2>) -> Tensor<2> {
    #[cfg(feature = "flex")]
    if flex::applies(layer, &input) {
        return flex::forward(layer, input);
    }
    layer.forward(input)
}

#[cfg(feature = "flex")]
mod flex {
    //! The `Flex` route: a backend extension with a hand-written backward step.

    use crate::conv::{CpuConvKernels, cpu_conv_kernels};
    use crate::cpu::flex_data::{contiguous, dims, f32_slice, tensor, zeros};
    use crate::cpu::gemm::matmul;
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
    use burn::backend::autodiff::{Autodiff, NodeId};
    use burn::backend::flex::FlexTensor;
    use burn::backend::tensor::FloatTensor;
    use burn::backend::{Backend, Dispatch, Flex, backend_extension};
    use burn::nn::Linear;
    use burn::tensor::{DType, Device, Tensor};

    pub(super) fn applies(layer: &Linear, input: &Tensor<2>) -> bool {
        let [d_in, _] = layer.weight.dims();
        cpu_conv_kernels() == CpuConvKernels::Descent
            && input.dims()[1] == d_in
            && input.dims()[0] > 0
            && input.dtype() == DType::F32
            && input.device().inner() == Device::flex()
    }

    pub(super) fn forward(layer: &Linear, input: Tensor<2>) -> Tensor<2> {
        let (x, w) = (input.into_dispatch(), layer.weight.val().into_dispatch());
        Tensor::from_dispatch(match &layer.bias {
            Some(bias) => {
                <Dispatch as DescentLinear>::descent_linear_bias(x, w, bias.val().into_dispatch())
            }
            None => <Dispatch as DescentLinear>::descent_linear(x, w),
        })
    }

    /// `x [N, d_in] · w [d_in, d_out] (+ bias [d_out])`.
    fn linear(x: FlexTensor, w: FlexTensor, bias: Option<FlexTensor>) -> FlexTensor {
        let (x, w) = (contiguous(x), contiguous(w));
        let ([n, _], [_, d_out]) = (dims::<2>(&x), dims::<2>(&w));
        let mut y = zeros(n * d_out);
        matmul(&x, false, &w, false, &mut y, false);
        if let Some(bias) = bias.map(contiguous) {
            let b = f32_slice(&bias);
            // One pass over memory that is already in cache: cheaper on the calling thread
            // than waking the pool (which costs more than the whole add on small layers).
            for row in y.chunks_exact_mut(d_out) {
                for (v, add) in row.iter_mut().zip(b) {
                    *v += add;
                }
            }
        }
        tensor(y, [n, d_out])
    }

    /// The extension: a differentiable fully connected layer, with and without bias.
    #[backend_extension(Autodiff, Flex)]
    pub trait DescentLinear: Backend {
        /// `x · w`.
        fn descent_linear(x: FloatTensor<Self>, w: FloatTensor<Self>) -> FloatTensor<Self>;
        /// `x · w + bias`.
        fn descent_linear_bias(
            x: FloatTensor<Self>,
            w: FloatTensor<Self>,
            bias: FloatTensor<Self>,
        ) -> FloatTensor<Self>;
    }

    impl DescentLinear for Flex {
        fn descent_linear(x: FloatTensor<Self>, w: FloatTensor<Self>) -> FloatTensor<Self> {
            linear(x, w, None)
        }

        fn descent_linear_bias(
            x: FloatTensor<Self>,
            w: FloatTensor<Self>,
            bias: FloatTensor<Self>,
        ) -> FloatTensor<Self> {
            linear(x, w, Some(bias))
        }
    }

    #[derive(Debug)]
    struct LinearStep;

    impl Backward<Flex, 3> for LinearStep {
        /// Checkpointed input and weight.
        type State = (NodeId, NodeId);

        fn backward(
            self,
            ops: Ops<Self::State, 3>,
            grads: &mut Gradients,
            checkpointer: &mut Checkpointer,
        ) {
            let [node_x, node_w, node_b] = ops.parents;
            let grad = contiguous(grads.consume::<Flex>(&ops.node));
            let x = contiguous(checkpointer.retrieve_node_output::<FlexTensor>(ops.state.0));
            let w = contiguous(checkpointer.retrieve_node_output::<FlexTensor>(ops.state.1));
            let ([n, d_in], [_, d_out]) = (dims::<2>(&x), dims::<2>(&w));
            if let Some(node) = node_x {
                let mut dx = zeros(n * d_in);
                matmul(&grad, false, &w, true, &mut dx, false);
                let dx = tensor(dx, [n, d_in]);
                grads.register::<Flex>(node.id, dx);
            }
            if let Some(node) = node_w {
                let mut dw = zeros(d_in * d_out);
                matmul(&x, true, &grad, false, &mut dw, false);
                let dw = tensor(dw, [d_in, d_out]);
                grads.register::<Flex>(node.id, dw);
            }
            if let Some(node) = node_b {
                let dy = f32_slice(&grad);
                // Column sums in f64, row by row (sequential reads, on the calling thread as
                // in the forward pass).
                let mut sums = vec![0f64; d_out];
                for row in dy.chunks_exact(d_out).take(n) {
                    for (s, v) in sums.iter_mut().zip(row) {
                        *s += f64::from(*v);
                    }
                }
                let db: Vec<f32> = sums.into_iter().map(|s| s as f32).collect();
                grads.register::<Flex>(node.id, tensor(db, [d_out]));
            }
        }
    }

    /// Records the product on the autodiff graph (when any input is tracked).
    fn tracked<C: CheckpointStrategy>(
        x: FloatTensor<Autodiff<Flex, C>>,
        w: FloatTensor<Autodiff<Flex, C>>,
        bias: Option<FloatTensor<Autodiff<Flex, C>>>,
    ) -> FloatTensor<Autodiff<Flex, C>> {
        // Without bias the third parent is an untracked constant, so one backward step
        // serves both forms (its gradient is never asked for).
        let third = match &bias {
            Some(b) => b.node(),
            None => FloatTensor::<Autodiff<Flex, C>>::new(FlexTensor::zeros(
                burn::tensor::Shape::new([dims::<2>(w.primitive())[1]]),
                DType::F32,
            ))
            .node(),
        };
        let prepared = LinearStep.prepare::<C>([x.node(), w.node(), third]);
        match prepared.compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let state = (prep.checkpoint(&x), prep.checkpoint(&w));
                let out = linear(
                    x.into_primitive(),
                    w.into_primitive(),
                    bias.map(|b| b.into_primitive()),
                );
                prep.finish(state, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(linear(
                x.into_primitive(),
                w.into_primitive(),
                bias.map(|b| b.into_primitive()),
            )),
        }
    }

    impl<C: CheckpointStrategy> DescentLinear for Autodiff<Flex, C> {
        fn descent_linear(x: FloatTensor<Self>, w: FloatTensor<Self>) -> FloatTensor<Self> {
            tracked::<C>(x, w, None)
        }

        fn descent_linear_bias(
            x: FloatTensor<Self>,
            w: FloatTensor<Self>,
            bias: FloatTensor<Self>,
        ) -> FloatTensor<Self> {
            tracked::<C>(x, w, Some(bias))
        }
    }
}

#[cfg(all(test, feature = "flex"))]
mod tests {
    use super::*;
    use burn::nn::LinearConfig;
    use burn::tensor::{Device, Distribution};

    fn max_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
        a.sub(b).abs().max().into_scalar::<f32>()
    }

    /// Output and every gradient through `Autodiff<Flex>` equal Burn's `Linear::forward`, with
    /// and without bias, on shapes that take each gemm route (few rows, many rows).
    #[test]
    fn gradients_equal_burns_linear_through_autodiff() {
        let device = Device::flex().autodiff();
        device.seed(9);
        for (n, d_in, d_out, bias) in [(5, 7, 3, true), (130, 200, 70, true), (66, 9, 80, false)] {
            let layer = LinearConfig::new(d_in, d_out).with_bias(bias).init(&device);
            let x = Tensor::<2>::random([n, d_in], Distribution::Default, &device).require_grad();
            let mix = Tensor::<2>::random([n, d_out], Distribution::Default, &device);
            let ours = linear_layer(&layer, x.clone());
            let burns = layer.forward(x.clone());
            assert!(
                max_diff(ours.clone(), burns.clone()) < 1e-4,
                "{n}x{d_in}x{d_out}"
            );
            let ga = ours.mul(mix.clone()).sum().backward();
            let gb = burns.mul(mix).sum().backward();
            let (Some(dx), Some(dx_b)) = (x.grad(&ga), x.grad(&gb)) else {
                panic!("dx missing");
            };
            assert!(max_diff(dx, dx_b) < 1e-4, "dx {n}x{d_in}x{d_out}");
            let w = layer.weight.val();
            let (Some(dw), Some(dw_b)) = (w.grad(&ga), w.grad(&gb)) else {
                panic!("dw missing");
            };
            assert!(max_diff(dw, dw_b) < 1e-4, "dw {n}x{d_in}x{d_out}");
            if let Some(b) = &layer.bias {
                let (Some(db), Some(db_b)) = (b.val().grad(&ga), b.val().grad(&gb)) else {
                    panic!("db missing");
                };
                assert!(max_diff(db, db_b) < 1e-4, "db {n}x{d_in}x{d_out}");
            }
        }
    }
}
