//! Max-pool that runs our own CPU kernel on Burn's `Flex` backend where it applies, Burn's
//! everywhere else.
//!
//! [`max_pool_layer`] is a drop-in for [`MaxPool2d::forward`]. For a float32 input on `Flex`
//! (with or without autodiff) and a non-overlapping pool (kernel = stride, no padding, no
//! dilation, floor mode: the 2x2/2 pool of a VGG) it runs the kernels of this crate, which
//! keep a one-byte argmax where Burn 0.22's keep 64-bit indices (`benches/kernels.rs`, `norm`;
//! the figures are in `bench/README.md`). Any other configuration calls `MaxPool2d::forward`.
//! [`crate::conv::set_cpu_conv_kernels`] turns it off with the other kernels.
//!
//! ```
//! use burn::nn::pool::MaxPool2dConfig;
//! use burn::tensor::{Device, Distribution, Tensor};
//! use descent_models::pool::max_pool_layer;
//!
//! let device = Device::flex();
//! let pool = MaxPool2dConfig::new([2, 2]).init();
//! let x = Tensor::<4>::random([2, 3, 8, 8], Distribution::Default, &device);
//! let ours = max_pool_layer(&pool, x.clone());
//! assert_eq!(ours.dims(), [2, 3, 4, 4]);
//! assert_eq!(ours.into_data(), pool.forward(x).into_data());
//! ```

use burn::nn::pool::MaxPool2d;
use burn::tensor::Tensor;

/// Applies a Burn [`MaxPool2d`] layer to `input` (`[N, C, H, W]`), as
/// [`MaxPool2d::forward`] does (see the [module docs](self) for which kernel runs).
pub fn max_pool_layer(layer: &MaxPool2d, input: Tensor<4>) -> Tensor<4> {
    #[cfg(feature = "flex")]
    if flex::applies(layer, &input) {
        return flex::forward(layer.kernel_size, input);
    }
    layer.forward(input)
}

/// The window of `layer` when this crate's kernel would run it on `input` (see the module
/// docs): layers that end in a pool fuse it with this window.
#[cfg(feature = "flex")]
pub(crate) fn fused_kernel(layer: &MaxPool2d, input: &Tensor<4>) -> Option<[usize; 2]> {
    flex::applies(layer, input).then_some(layer.kernel_size)
}

#[cfg(feature = "flex")]
mod flex {
    //! The `Flex` route: a backend extension with a hand-written backward step.

    use crate::conv::{CpuConvKernels, cpu_conv_kernels};
    use crate::cpu;
    use crate::cpu::flex_data::dims;
    use burn::backend::autodiff::Autodiff;
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
    use burn::backend::tensor::FloatTensor;
    use burn::backend::{Backend, Dispatch, Flex, backend_extension};
    use burn::nn::PaddingConfig2d;
    use burn::nn::pool::MaxPool2d;
    use burn::tensor::{DType, Device, Tensor};

    pub(super) fn applies(layer: &MaxPool2d, input: &Tensor<4>) -> bool {
        let [_, _, h, w] = input.dims();
        let [kh, kw] = layer.kernel_size;
        let no_padding = match layer.padding {
            PaddingConfig2d::Valid => true,
            PaddingConfig2d::Explicit(a, b, c, d) => a == 0 && b == 0 && c == 0 && d == 0,
            PaddingConfig2d::Same => false,
        };
        cpu_conv_kernels() == CpuConvKernels::Descent
            && no_padding
            && layer.stride == layer.kernel_size
            && layer.dilation == [1, 1]
            && !layer.ceil_mode
            && kh >= 1
            && kw >= 1
            && kh * kw <= 256
            && h >= kh
            && w >= kw
            && input.dtype() == DType::F32
            && input.device().inner() == Device::flex()
    }

    pub(super) fn forward(kernel: [usize; 2], input: Tensor<4>) -> Tensor<4> {
        let [kh, kw] = kernel;
        Tensor::from_dispatch(<Dispatch as DescentPool>::descent_max_pool2d(
            input.into_dispatch(),
            kh,
            kw,
        ))
    }

    /// The extension: a differentiable non-overlapping max-pool, for `Flex` and
    /// `Autodiff<Flex>`.
    #[backend_extension(Autodiff, Flex)]
    pub trait DescentPool: Backend {
        /// Max-pool with a `kh x kw` window and the same stride.
        fn descent_max_pool2d(x: FloatTensor<Self>, kh: usize, kw: usize) -> FloatTensor<Self>;
    }

    impl DescentPool for Flex {
        fn descent_max_pool2d(x: FloatTensor<Self>, kh: usize, kw: usize) -> FloatTensor<Self> {
            cpu::pool::max_pool2d(x, [kh, kw]).0
        }
    }

    #[derive(Debug)]
    struct MaxPoolStep;

    impl Backward<Flex, 1> for MaxPoolStep {
        /// Input shape, window, argmax offsets.
        type State = ([usize; 4], [usize; 2], Vec<u8>);

        fn backward(
            self,
            ops: Ops<Self::State, 1>,
            grads: &mut Gradients,
            _checkpointer: &mut Checkpointer,
        ) {
            let [node] = ops.parents;
            let grad = grads.consume::<Flex>(&ops.node);
            let (shape, kernel, argmax) = ops.state;
            if let Some(node) = node {
                let dx = cpu::pool::max_pool2d_backward(shape, kernel, &argmax, grad);
                grads.register::<Flex>(node.id, dx);
            }
        }
    }

    impl<C: CheckpointStrategy> DescentPool for Autodiff<Flex, C> {
        fn descent_max_pool2d(x: FloatTensor<Self>, kh: usize, kw: usize) -> FloatTensor<Self> {
            match MaxPoolStep
                .prepare::<C>([x.node()])
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(prep) => {
                    let x = x.into_primitive();
                    let shape = dims::<4>(&x);
                    let (y, argmax) = cpu::pool::max_pool2d(x, [kh, kw]);
                    prep.finish((shape, [kh, kw], argmax), y)
                }
                OpsKind::UnTracked(prep) => {
                    prep.finish(cpu::pool::max_pool2d(x.into_primitive(), [kh, kw]).0)
                }
            }
        }
    }
}

#[cfg(all(test, feature = "flex"))]
mod tests {
    use super::*;
    use burn::nn::pool::MaxPool2dConfig;
    use burn::tensor::{Device, Distribution};

    /// Output and input gradient through `Autodiff<Flex>` equal Burn's `MaxPool2d::forward`.
    #[test]
    fn gradients_equal_burns_max_pool_through_autodiff() {
        let device = Device::flex().autodiff();
        device.seed(5);
        for kernel in [[2, 2], [3, 2]] {
            let pool = MaxPool2dConfig::new(kernel).init();
            let x =
                Tensor::<4>::random([3, 2, 7, 8], Distribution::Default, &device).require_grad();
            let mix = Tensor::<4>::random(
                pool.forward(x.clone()).dims(),
                Distribution::Default,
                &device,
            );
            let ours = max_pool_layer(&pool, x.clone());
            let burns = pool.forward(x.clone());
            assert_eq!(ours.to_data(), burns.to_data(), "{kernel:?}");
            let (g_ours, g_burn) = (
                ours.mul(mix.clone()).sum().backward(),
                burns.mul(mix).sum().backward(),
            );
            let (Some(a), Some(b)) = (x.grad(&g_ours), x.grad(&g_burn)) else {
                panic!("{kernel:?}: a gradient is missing");
            };
            assert_eq!(a.into_data(), b.into_data(), "{kernel:?}: input gradient");
        }
    }
}
