//! 2-D convolution that runs our own CPU kernels on Burn's `Flex` backend and Burn's everywhere
//! else.
//!
//! [`conv2d_layer`] is a drop-in for [`Conv2d::forward`]: same parameters, same records, same
//! results (within float32 rounding). On a `Flex` device (with or without autodiff), for a
//! float32 input and `groups == 1`, it runs the im2col + gemm kernels of this crate for the
//! forward pass and both gradients, in cache-sized tiles on `descent-kernels`' matrix product
//! (Winograd's F(2x2, 3x3) for "same" 3x3 convolutions of 64 channels and more, a VGG's):
//! several times faster than Burn 0.22's `Flex` kernels, which compute the weight gradient as
//! another convolution and the input gradient as a transposed one (`benches/kernels.rs`,
//! `layers`; the figures are in `bench/README.md`). On any other device, dtype or grouping it
//! calls Burn's `conv2d`, unchanged.
//!
//! The kernels plug into Burn through a backend extension (`#[backend_extension]`) with a
//! hand-written backward step, so they work inside Burn's `Learner` and any training loop.
//! [`set_cpu_conv_kernels`] (or `DESCENT_CONV_KERNELS=burn` in the environment) switches back to
//! Burn's kernels, for comparisons and as an escape hatch.
//!
//! ```
//! use burn::nn::conv::Conv2dConfig;
//! use burn::nn::PaddingConfig2d;
//! use burn::tensor::{Device, Distribution, Tensor};
//! use descent_models::conv::conv2d_layer;
//!
//! let device = Device::flex();
//! let layer = Conv2dConfig::new([3, 8], [3, 3])
//!     .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
//!     .init(&device);
//! let x = Tensor::<4>::random([2, 3, 16, 16], Distribution::Default, &device);
//! let ours = conv2d_layer(&layer, x.clone());
//! let burns = layer.forward(x);
//! assert_eq!(ours.dims(), [2, 8, 16, 16]);
//! assert!(ours.sub(burns).abs().max().into_scalar::<f32>() < 1e-4);
//! ```

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::Tensor;
use burn::tensor::ops::ConvOptions;
use std::sync::atomic::{AtomicU8, Ordering};

/// Which kernels a float32 convolution on Burn's `Flex` backend runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuConvKernels {
    /// This crate's im2col + gemm and Winograd kernels (the default when the `flex` feature
    /// is on).
    Descent,
    /// Burn's own `Flex` kernels.
    Burn,
}

/// 0 = not decided yet (read the environment), 1 = Descent, 2 = Burn.
static KERNELS: AtomicU8 = AtomicU8::new(0);

/// Chooses the kernels for every later convolution on `Flex`, process-wide.
pub fn set_cpu_conv_kernels(kernels: CpuConvKernels) {
    let code = match kernels {
        CpuConvKernels::Descent => 1,
        CpuConvKernels::Burn => 2,
    };
    KERNELS.store(code, Ordering::Relaxed);
}

/// The kernels in use: set by [`set_cpu_conv_kernels`], else `DESCENT_CONV_KERNELS=burn` in the
/// environment selects Burn's, else ours.
pub fn cpu_conv_kernels() -> CpuConvKernels {
    match KERNELS.load(Ordering::Relaxed) {
        1 => CpuConvKernels::Descent,
        2 => CpuConvKernels::Burn,
        _ => {
            let burn = std::env::var("DESCENT_CONV_KERNELS").is_ok_and(|v| v == "burn");
            let kernels = if burn {
                CpuConvKernels::Burn
            } else {
                CpuConvKernels::Descent
            };
            set_cpu_conv_kernels(kernels);
            kernels
        }
    }
}

/// Applies a Burn [`Conv2d`] layer to `input` (`[N, C_in, H, W]`), as [`Conv2d::forward`]
/// does, through [`conv2d`].
pub fn conv2d_layer(layer: &Conv2d, input: Tensor<4>) -> Tensor<4> {
    let [_, _, height, width] = input.dims();
    let padding = [0, 1].map(|axis| {
        let size = [height, width][axis];
        match layer.padding {
            PaddingConfig2d::Valid => (0, 0),
            PaddingConfig2d::Same => {
                same_padding(layer.kernel_size[axis], layer.stride[axis], size)
            }
            PaddingConfig2d::Explicit(top, left, bottom, right) => {
                [(top, bottom), (left, right)][axis]
            }
        }
    });
    let options =
        ConvOptions::new_with_padding(layer.stride, padding, layer.dilation, layer.groups);
    conv2d(
        input,
        layer.weight.val(),
        layer.bias.as_ref().map(|bias| bias.val()),
        options,
    )
}

/// `PaddingConfig2d::Same` as Burn 0.22 resolves it (`burn-nn`'s `calculate_same_padding`,
/// which is crate-private): the output keeps `ceil(size / stride)` positions, the odd pixel of
/// padding goes at the end.
fn same_padding(kernel: usize, stride: usize, size: usize) -> (usize, usize) {
    let size_out = size.div_ceil(stride);
    let total = if size_out > 0 {
        ((size_out - 1) * stride + kernel).saturating_sub(size)
    } else {
        0
    };
    (total / 2, total - total / 2)
}

/// 2-D convolution, as [`burn::tensor::module::conv2d`]: `x` `[N, C_in, H, W]`, `weight`
/// `[C_out, C_in / groups, kh, kw]`, `bias` `[C_out]`. Runs this crate's kernels where they
/// apply (see the [module docs](self)), Burn's otherwise.
pub fn conv2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    options: ConvOptions<2>,
) -> Tensor<4> {
    #[cfg(feature = "flex")]
    if flex::applies(&x, &weight, &options) {
        return flex::conv2d(x, weight, bias, options);
    }
    burn::tensor::module::conv2d(x, weight, bias, options)
}

#[cfg(feature = "flex")]
mod flex {
    //! The `Flex` route: a backend extension with a hand-written backward step.

    use super::{CpuConvKernels, cpu_conv_kernels};
    use crate::cpu;
    use crate::cpu::flex_data::dims;
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
    use burn::backend::autodiff::{Autodiff, NodeId};
    use burn::backend::flex::FlexTensor;
    use burn::backend::tensor::FloatTensor;
    use burn::backend::{Backend, Dispatch, Flex, backend_extension};
    use burn::tensor::ops::ConvOptions;
    use burn::tensor::{DType, Device, Shape, Tensor};

    /// True when this crate's kernels handle the call: a `Flex` device, float32, one group,
    /// and a geometry with at least one output position.
    pub(super) fn applies(x: &Tensor<4>, weight: &Tensor<4>, options: &ConvOptions<2>) -> bool {
        if cpu_conv_kernels() != CpuConvKernels::Descent
            || options.groups != 1
            || x.dtype() != DType::F32
            || weight.dtype() != DType::F32
        {
            return false;
        }
        let device = x.device();
        if device.clone().inner() != Device::flex() || weight.device().inner() != Device::flex() {
            return false;
        }
        let [_, c_in, h, w] = x.dims();
        let [_, w_in, kh, kw] = weight.dims();
        let fits = |size: usize, k: usize, d: usize| {
            let span = options.dilation[d] * (k.max(1) - 1) + 1;
            size + options.padding[d].0 + options.padding[d].1 >= span && k > 0
        };
        // A zero stride or dilation is Burn's to refuse, not ours to divide by.
        let positive = options
            .stride
            .iter()
            .chain(&options.dilation)
            .all(|&v| v > 0);
        c_in == w_in && positive && fits(h, kh, 0) && fits(w, kw, 1)
    }

    pub(super) fn conv2d(
        x: Tensor<4>,
        weight: Tensor<4>,
        bias: Option<Tensor<1>>,
        options: ConvOptions<2>,
    ) -> Tensor<4> {
        let (x, weight) = (x.into_dispatch(), weight.into_dispatch());
        Tensor::from_dispatch(match bias {
            Some(bias) => <Dispatch as DescentConv>::descent_conv2d_bias(
                x,
                weight,
                bias.into_dispatch(),
                options,
            ),
            None => <Dispatch as DescentConv>::descent_conv2d(x, weight, options),
        })
    }

    /// The extension: a differentiable convolution, with and without bias (the extension
    /// macro does not route `Option` tensor inputs), for `Flex` and `Autodiff<Flex>`.
    #[backend_extension(Autodiff, Flex)]
    pub trait DescentConv: Backend {
        /// `conv2d` without bias, on this crate's kernels.
        fn descent_conv2d(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            options: ConvOptions<2>,
        ) -> FloatTensor<Self>;

        /// `conv2d` with a bias `[C_out]`, on this crate's kernels.
        fn descent_conv2d_bias(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            bias: FloatTensor<Self>,
            options: ConvOptions<2>,
        ) -> FloatTensor<Self>;
    }

    impl DescentConv for Flex {
        fn descent_conv2d(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            options: ConvOptions<2>,
        ) -> FloatTensor<Self> {
            cpu::conv::conv2d(x, weight, None, &options)
        }

        fn descent_conv2d_bias(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            bias: FloatTensor<Self>,
            options: ConvOptions<2>,
        ) -> FloatTensor<Self> {
            cpu::conv::conv2d(x, weight, Some(bias), &options)
        }
    }

    /// The backward step of [`DescentConv`]. Its third parent is the bias, or an untracked
    /// zero bias for the no-bias form (its gradient is then never asked for), so one step
    /// serves both forms.
    #[derive(Debug)]
    struct ConvStep;

    impl Backward<Flex, 3> for ConvStep {
        /// Checkpointed input and weight, and the options (the bias gradient needs only the
        /// output gradient).
        type State = (NodeId, NodeId, ConvOptions<2>);

        fn backward(
            self,
            ops: Ops<Self::State, 3>,
            grads: &mut Gradients,
            checkpointer: &mut Checkpointer,
        ) {
            let [node_x, node_weight, node_bias] = ops.parents;
            let grad = grads.consume::<Flex>(&ops.node);
            let (x, weight, options) = ops.state;
            let x = checkpointer.retrieve_node_output::<FloatTensor<Flex>>(x);
            let weight = checkpointer.retrieve_node_output::<FloatTensor<Flex>>(weight);
            if let Some(node) = node_x {
                let dx =
                    cpu::conv::conv2d_input_grad(dims(&x), weight.clone(), grad.clone(), &options);
                grads.register::<Flex>(node.id, dx);
            }
            match (node_weight, node_bias) {
                (Some(node), bias) => {
                    // The bias gradient, when asked for, is summed while the weight
                    // gradient reads the output gradient.
                    let (dw, db) = cpu::conv::conv2d_weight_and_bias_grad(
                        x,
                        dims(&weight),
                        grad,
                        &options,
                        bias.is_some(),
                    );
                    grads.register::<Flex>(node.id, dw);
                    if let (Some(node), Some(db)) = (bias, db) {
                        grads.register::<Flex>(node.id, db);
                    }
                }
                (None, Some(node)) => {
                    grads.register::<Flex>(node.id, cpu::conv::conv2d_bias_grad(grad));
                }
                (None, None) => {}
            }
        }
    }

    /// Records the convolution on the autodiff graph (when any input is tracked).
    fn tracked<C: CheckpointStrategy>(
        x: FloatTensor<Autodiff<Flex, C>>,
        weight: FloatTensor<Autodiff<Flex, C>>,
        bias: Option<FloatTensor<Autodiff<Flex, C>>>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Autodiff<Flex, C>> {
        let has_bias = bias.is_some();
        let bias = bias.unwrap_or_else(|| {
            let channels_out = dims::<4>(weight.primitive())[0];
            FloatTensor::<Autodiff<Flex, C>>::new(FlexTensor::zeros(
                Shape::new([channels_out]),
                DType::F32,
            ))
        });
        let forward = |x: FloatTensor<Autodiff<Flex, C>>,
                       weight: FloatTensor<Autodiff<Flex, C>>,
                       bias: FloatTensor<Autodiff<Flex, C>>| {
            let bias = has_bias.then(|| bias.into_primitive());
            cpu::conv::conv2d(x.into_primitive(), weight.into_primitive(), bias, &options)
        };
        match ConvStep
            .prepare::<C>([x.node(), weight.node(), bias.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let state = (
                    prep.checkpoint(&x),
                    prep.checkpoint(&weight),
                    options.clone(),
                );
                prep.finish(state, forward(x, weight, bias))
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(x, weight, bias)),
        }
    }

    impl<C: CheckpointStrategy> DescentConv for Autodiff<Flex, C> {
        fn descent_conv2d(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            options: ConvOptions<2>,
        ) -> FloatTensor<Self> {
            tracked::<C>(x, weight, None, options)
        }

        fn descent_conv2d_bias(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            bias: FloatTensor<Self>,
            options: ConvOptions<2>,
        ) -> FloatTensor<Self> {
            tracked::<C>(x, weight, Some(bias), options)
        }
    }
}

#[cfg(all(test, feature = "flex"))]
mod tests {
    use super::*;
    use burn::nn::conv::Conv2dConfig;
    use burn::tensor::{Device, Distribution, Tensor};

    fn max_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
        a.sub(b).abs().max().into_scalar::<f32>()
    }

    /// Forward and all three gradients through `Autodiff<Flex>` equal Burn's `Conv2d::forward`
    /// (Burn's kernels, an independent implementation), for each padding mode, with and
    /// without bias; the loss weights every output differently so no gradient is symmetric.
    #[test]
    fn gradients_equal_burns_conv2d_through_autodiff() {
        let device = Device::flex().autodiff();
        device.seed(7);
        let configs = [
            Conv2dConfig::new([3, 5], [3, 3]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)),
            Conv2dConfig::new([3, 4], [3, 2])
                .with_padding(PaddingConfig2d::Same)
                .with_bias(false),
            Conv2dConfig::new([3, 4], [2, 2])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Valid),
            Conv2dConfig::new([3, 2], [3, 3])
                .with_dilation([2, 1])
                .with_padding(PaddingConfig2d::Explicit(2, 0, 1, 1)),
        ];
        for config in configs {
            let layer = config.init(&device);
            let x =
                Tensor::<4>::random([4, 3, 9, 8], Distribution::Default, &device).require_grad();
            let ours = conv2d_layer(&layer, x.clone());
            let burns = layer.forward(x.clone());
            assert_eq!(ours.dims(), burns.dims(), "{config:?}");
            let mix = Tensor::<4>::random(ours.dims(), Distribution::Default, &device);
            assert!(max_diff(ours.clone(), burns.clone()) < 1e-5, "{config:?}");

            let g_ours = ours.mul(mix.clone()).sum().backward();
            let g_burn = burns.mul(mix).sum().backward();
            let grads = |g| {
                (
                    x.grad(g),
                    layer.weight.val().grad(g),
                    layer.bias.as_ref().and_then(|b| b.val().grad(g)),
                )
            };
            let (dx, dw, db) = grads(&g_ours);
            let (dx_b, dw_b, db_b) = grads(&g_burn);
            let (Some(dx), Some(dx_b), Some(dw), Some(dw_b)) = (dx, dx_b, dw, dw_b) else {
                panic!("{config:?}: a gradient is missing");
            };
            assert!(max_diff(dx, dx_b) < 1e-4, "input grad {config:?}");
            assert!(max_diff(dw, dw_b) < 1e-4, "weight grad {config:?}");
            assert_eq!(db.is_some(), layer.bias.is_some(), "{config:?}");
            if let (Some(db), Some(db_b)) = (db, db_b) {
                assert!(max_diff(db, db_b) < 1e-4, "bias grad {config:?}");
            }
        }
    }

    #[test]
    #[allow(deprecated)] // Device::ndarray: the deprecated backend is still one we compile
    fn other_backends_and_dtypes_take_burns_kernels() {
        let x = Tensor::<4>::zeros([1, 2, 4, 4], &Device::ndarray());
        let w = Tensor::<4>::zeros([3, 2, 3, 3], &Device::ndarray());
        let options = ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
        assert!(!flex::applies(&x, &w, &options), "ndarray");
        let x = Tensor::<4>::zeros([1, 2, 4, 4], &Device::flex());
        let w = Tensor::<4>::zeros([2, 1, 3, 3], &Device::flex());
        let grouped = ConvOptions::new([1, 1], [1, 1], [1, 1], 2);
        assert!(!flex::applies(&x, &w, &grouped), "groups");
        let w = Tensor::<4>::zeros([3, 2, 3, 3], &Device::flex());
        assert!(flex::applies(&x, &w, &options), "flex f32");
        let on_autodiff = |t: &Tensor<4>| Tensor::<4>::zeros(t.dims(), &Device::flex().autodiff());
        assert!(
            flex::applies(&on_autodiff(&x).require_grad(), &on_autodiff(&w), &options),
            "flex f32 autodiff"
        );
        let too_small = ConvOptions::new([1, 1], [0, 0], [3, 3], 1);
        assert!(
            !flex::applies(&x, &w, &too_small),
            "kernel larger than the image"
        );
        // `ConvOptions::new` refuses zeros, but its fields are public.
        for (stride, dilation) in [([0, 1], [1, 1]), ([1, 1], [1, 0])] {
            let zero = ConvOptions {
                stride,
                dilation,
                ..options.clone()
            };
            assert!(!flex::applies(&x, &w, &zero), "{stride:?} {dilation:?}");
        }
    }
}
