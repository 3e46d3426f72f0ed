//! Batch norm that runs fused CPU kernels on Burn's `Flex` backend and Burn's everywhere else.
//!
//! [`batch_norm_layer`] is a drop-in for [`BatchNorm::forward`]: the same choice between batch
//! statistics (autodiff device and the layer's training flag on) and running statistics, the
//! same running-average update, the same records. On a `Flex` device with float32 data it
//! computes the statistics, the normalization and (in training) the backward pass with the
//! fused kernels of this crate: two passes over the activation each way, where Burn 0.22
//! composes a dozen (`benches/kernels.rs`, `norm`; the figures are in `bench/README.md`).
//! Elsewhere it calls `BatchNorm::forward`.
//! [`batch_norm_relu_layer`] fuses the ReLU that follows, and [`batch_norm_relu_pool_layer`]
//! the ReLU and a max-pool (the end of a VGG block), whose normalized activation is then
//! never stored.
//!
//! Like [`crate::conv`], it plugs in through a Burn backend extension with a hand-written
//! backward step, and [`crate::conv::set_cpu_conv_kernels`] (`DESCENT_CONV_KERNELS=burn`) turns
//! it off together with the convolution kernels.
//!
//! ```
//! use burn::nn::BatchNormConfig;
//! use burn::tensor::{Device, Distribution, Tensor};
//! use descent_models::norm::batch_norm_layer;
//!
//! let device = Device::flex().autodiff();
//! let norm = BatchNormConfig::new(4).init(&device);
//! let x = Tensor::<4>::random([8, 4, 5, 5], Distribution::Default, &device);
//! let ours = batch_norm_layer(&norm, x.clone());
//! let burns = norm.forward(x);
//! assert!(ours.sub(burns).abs().max().into_scalar::<f32>() < 1e-5);
//! ```

use burn::nn::BatchNorm;
use burn::tensor::Tensor;

/// Applies a Burn [`BatchNorm`] layer to `input` (`[N, C, ...]`), as [`BatchNorm::forward`]
/// does (see the [module docs](self) for which kernels run).
pub fn batch_norm_layer<const D: usize>(layer: &BatchNorm, input: Tensor<D>) -> Tensor<D> {
    #[cfg(feature = "flex")]
    if flex::applies(layer, &input) {
        return flex::forward(layer, input, false);
    }
    layer.forward(input)
}

/// [`batch_norm_layer`] followed by a ReLU (Burn's [`relu`](burn::tensor::activation::relu)),
/// fused on `Flex`: the ReLU runs in the normalization's pass and its backward in the batch
/// norm's, with no buffer of its own; in inference a uniquely owned input is normalized in
/// place. The same values as the two layers one after the other.
pub fn batch_norm_relu_layer<const D: usize>(layer: &BatchNorm, input: Tensor<D>) -> Tensor<D> {
    #[cfg(feature = "flex")]
    if flex::applies(layer, &input) {
        return flex::forward(layer, input, true);
    }
    burn::tensor::activation::relu(layer.forward(input))
}

/// [`batch_norm_relu_layer`] followed by a max-pool (`pool`), fused on `Flex` when the pool
/// is non-overlapping (the 2x2/2 pool of a VGG block; see [`crate::pool`]): the normalized
/// activation is pooled as it is computed, never stored, and the backward pass starts from
/// the pooled gradient and the positions of the maxima. The same values as the three layers
/// one after the other, bit for bit.
pub fn batch_norm_relu_pool_layer(
    layer: &BatchNorm,
    pool: &burn::nn::pool::MaxPool2d,
    input: Tensor<4>,
) -> Tensor<4> {
    #[cfg(feature = "flex")]
    if flex::applies(layer, &input)
        && let Some(kernel) = crate::pool::fused_kernel(pool, &input)
    {
        return flex::forward_pooled(layer, input, kernel);
    }
    crate::pool::max_pool_layer(pool, batch_norm_relu_layer(layer, input))
}

#[cfg(feature = "flex")]
mod flex {
    //! The `Flex` route: a backend extension with a hand-written backward step.

    use crate::conv::{CpuConvKernels, cpu_conv_kernels};
    use crate::cpu;
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
    use burn::backend::autodiff::{Autodiff, NodeId};
    use burn::backend::flex::FlexTensor;
    use burn::backend::ops::ModuleOps;
    use burn::backend::tensor::FloatTensor;
    use burn::backend::{Backend, Dispatch, Flex, backend_extension};
    use burn::nn::BatchNorm;
    use burn::tensor::{DType, Device, Tensor};

    /// True when the fused kernels handle the call: `Flex`, float32, rank >= 2, and the
    /// channel axis matching the layer (otherwise Burn's forward reports the mismatch).
    pub(super) fn applies<const D: usize>(layer: &BatchNorm, input: &Tensor<D>) -> bool {
        let [channels] = layer.gamma.shape().dims();
        cpu_conv_kernels() == CpuConvKernels::Descent
            && D >= 2
            && input.dims()[1] == channels
            && input.dtype() == DType::F32
            && input.device().inner() == Device::flex()
    }

    pub(super) fn forward<const D: usize>(
        layer: &BatchNorm,
        input: Tensor<D>,
        relu: bool,
    ) -> Tensor<D> {
        run(
            layer,
            input,
            |[x, gamma, beta, mean, var], eps| {
                <Dispatch as DescentNorm>::descent_batch_norm(x, gamma, beta, mean, var, eps, relu)
            },
            |[x, gamma, beta], eps| {
                <Dispatch as DescentNorm>::descent_batch_norm_train(x, gamma, beta, eps, relu)
            },
        )
    }

    /// [`forward`] with a ReLU and a non-overlapping max-pool of window `kernel`.
    pub(super) fn forward_pooled(
        layer: &BatchNorm,
        input: Tensor<4>,
        kernel: [usize; 2],
    ) -> Tensor<4> {
        run(
            layer,
            input,
            |[x, gamma, beta, mean, var], eps| {
                <Dispatch as DescentNorm>::descent_batch_norm_relu_pool(
                    x, gamma, beta, mean, var, eps, kernel,
                )
            },
            |[x, gamma, beta], eps| {
                <Dispatch as DescentNorm>::descent_batch_norm_relu_pool_train(
                    x, gamma, beta, eps, kernel,
                )
            },
        )
    }

    /// The choice of [`BatchNorm::forward`]: with running statistics (`eval([x, γ, β, running
    /// mean, running variance], ε)`) unless on an autodiff device in training, else with batch
    /// statistics (`train([x, γ, β], ε)` gives the output, mean and variance) and the running
    /// update.
    #[allow(clippy::type_complexity)]
    fn run<const D: usize, const E: usize>(
        layer: &BatchNorm,
        input: Tensor<D>,
        eval: impl FnOnce([FloatTensor<Dispatch>; 5], f64) -> FloatTensor<Dispatch>,
        train: impl FnOnce(
            [FloatTensor<Dispatch>; 3],
            f64,
        ) -> (
            FloatTensor<Dispatch>,
            FloatTensor<Dispatch>,
            FloatTensor<Dispatch>,
        ),
    ) -> Tensor<E> {
        let device = input.device();
        let eps = layer.epsilon;
        let (gamma, beta) = (
            layer.gamma.val().into_dispatch(),
            layer.beta.val().into_dispatch(),
        );
        if !(device.is_autodiff() && layer.training.is_enabled()) {
            let mean = layer.running_mean.value().to_device(&device);
            let var = layer.running_var.value().to_device(&device);
            let (mean, var) = (mean.into_dispatch(), var.into_dispatch());
            return Tensor::from_dispatch(eval(
                [input.into_dispatch(), gamma, beta, mean, var],
                eps,
            ));
        }
        let (output, mean, variance) = train([input.into_dispatch(), gamma, beta], eps);
        update_running_statistics(layer, mean, variance, &device);
        Tensor::from_dispatch(output)
    }

    /// The running update of `BatchNorm::forward_train`, term for term, from this batch's
    /// statistics.
    fn update_running_statistics(
        layer: &BatchNorm,
        mean: FloatTensor<Dispatch>,
        variance: FloatTensor<Dispatch>,
        device: &Device,
    ) {
        let (mean, variance) = (
            Tensor::<1>::from_dispatch(mean),
            Tensor::<1>::from_dispatch(variance),
        );
        let momentum = layer.momentum;
        let running_mean = layer.running_mean.value_sync().to_device(device);
        let running_var = layer.running_var.value_sync().to_device(device);
        let running_mean = running_mean
            .mul_scalar(1.0 - momentum)
            .add(mean.detach().mul_scalar(momentum));
        let running_var = running_var
            .mul_scalar(1.0 - momentum)
            .add(variance.detach().mul_scalar(momentum));
        layer.running_mean.update(running_mean.detach());
        layer.running_var.update(running_var.detach());
    }

    /// The extension: training-mode batch norm (output, batch mean, biased batch variance) and
    /// inference-mode batch norm, each optionally followed by a fused ReLU, for `Flex` and
    /// `Autodiff<Flex>`.
    #[backend_extension(Autodiff, Flex)]
    pub trait DescentNorm: Backend {
        /// Batch norm with batch statistics (then a ReLU with `relu`): `(output, mean [C],
        /// biased variance [C])`.
        fn descent_batch_norm_train(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            epsilon: f64,
            relu: bool,
        ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);

        /// Batch norm with given statistics (then a ReLU with `relu`).
        fn descent_batch_norm(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            mean: FloatTensor<Self>,
            variance: FloatTensor<Self>,
            epsilon: f64,
            relu: bool,
        ) -> FloatTensor<Self>;

        /// Batch norm with batch statistics, a ReLU and a non-overlapping max-pool of window
        /// `kernel`: `(pooled output, mean [C], biased variance [C])`.
        fn descent_batch_norm_relu_pool_train(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            epsilon: f64,
            kernel: [usize; 2],
        ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);

        /// Batch norm with given statistics, a ReLU and a non-overlapping max-pool.
        #[allow(clippy::too_many_arguments)]
        fn descent_batch_norm_relu_pool(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            mean: FloatTensor<Self>,
            variance: FloatTensor<Self>,
            epsilon: f64,
            kernel: [usize; 2],
        ) -> FloatTensor<Self>;
    }

    impl DescentNorm for Flex {
        fn descent_batch_norm_train(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            epsilon: f64,
            relu: bool,
        ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
            cpu::norm::batch_norm_train(x, gamma, beta, epsilon, relu)
        }

        fn descent_batch_norm(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            mean: FloatTensor<Self>,
            variance: FloatTensor<Self>,
            epsilon: f64,
            relu: bool,
        ) -> FloatTensor<Self> {
            cpu::norm::batch_norm(x, gamma, beta, mean, variance, epsilon, relu)
        }

        fn descent_batch_norm_relu_pool_train(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            epsilon: f64,
            kernel: [usize; 2],
        ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
            let (y, _, mean, variance) =
                cpu::norm_pool::batch_norm_relu_pool_train(x, gamma, beta, epsilon, kernel);
            (y, mean, variance)
        }

        fn descent_batch_norm_relu_pool(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            mean: FloatTensor<Self>,
            variance: FloatTensor<Self>,
            epsilon: f64,
            kernel: [usize; 2],
        ) -> FloatTensor<Self> {
            cpu::norm_pool::batch_norm_relu_pool(x, gamma, beta, mean, variance, epsilon, kernel)
        }
    }

    #[derive(Debug)]
    struct BatchNormReluPoolStep;

    /// What the fused step keeps for its backward pass.
    #[derive(Debug, Clone)]
    struct PooledState {
        x: NodeId,
        gamma: NodeId,
        mean: FloatTensor<Flex>,
        variance: FloatTensor<Flex>,
        epsilon: f64,
        kernel: [usize; 2],
        /// Window offset of each maximum.
        argmax: Vec<u8>,
        /// The pooled output: where it is not positive, the ReLU zeroed the gradient.
        pooled: FloatTensor<Flex>,
    }

    impl Backward<Flex, 3> for BatchNormReluPoolStep {
        type State = PooledState;

        fn backward(
            self,
            ops: Ops<Self::State, 3>,
            grads: &mut Gradients,
            checkpointer: &mut Checkpointer,
        ) {
            let [node_x, node_gamma, node_beta] = ops.parents;
            let grad = grads.consume::<Flex>(&ops.node);
            let state = ops.state;
            let x = checkpointer.retrieve_node_output::<FloatTensor<Flex>>(state.x);
            let gamma = checkpointer.retrieve_node_output::<FloatTensor<Flex>>(state.gamma);
            let (dx, dgamma, dbeta) = cpu::norm_pool::batch_norm_relu_pool_train_backward(
                x,
                gamma,
                state.mean,
                state.variance,
                state.epsilon,
                state.kernel,
                (&state.argmax, state.pooled),
                grad,
            );
            for (node, value) in [(node_x, dx), (node_gamma, dgamma), (node_beta, dbeta)] {
                if let Some(node) = node {
                    grads.register::<Flex>(node.id, value);
                }
            }
        }
    }

    #[derive(Debug)]
    struct BatchNormTrainStep;

    impl Backward<Flex, 3> for BatchNormTrainStep {
        // The input and gamma are checkpointed; the batch statistics come along, and with a
        // fused ReLU the output (its mask).
        type State = (
            NodeId,
            NodeId,
            FloatTensor<Flex>,
            FloatTensor<Flex>,
            f64,
            Option<FloatTensor<Flex>>,
        );

        fn backward(
            self,
            ops: Ops<Self::State, 3>,
            grads: &mut Gradients,
            checkpointer: &mut Checkpointer,
        ) {
            let [node_x, node_gamma, node_beta] = ops.parents;
            let grad = grads.consume::<Flex>(&ops.node);
            let (x, gamma, mean, variance, epsilon, relu_output) = ops.state;
            let x = checkpointer.retrieve_node_output::<FloatTensor<Flex>>(x);
            let gamma = checkpointer.retrieve_node_output::<FloatTensor<Flex>>(gamma);
            let (dx, dgamma, dbeta) = cpu::norm::batch_norm_train_backward(
                x,
                gamma,
                mean,
                variance,
                epsilon,
                grad,
                relu_output,
            );
            for (node, value) in [(node_x, dx), (node_gamma, dgamma), (node_beta, dbeta)] {
                if let Some(node) = node {
                    grads.register::<Flex>(node.id, value);
                }
            }
        }
    }

    /// A training-mode batch norm as one autodiff step: `kernel(x, γ, β)` gives `(output,
    /// batch mean, batch variance, extra)`; when the step is tracked, `state([x, γ]
    /// checkpoints, output, [mean, variance], extra)` is what `step`'s backward keeps (the
    /// input and γ are checkpointed).
    #[allow(clippy::type_complexity)]
    fn train_step<C: CheckpointStrategy, S: Backward<Flex, 3>, E>(
        step: S,
        [x, gamma, beta]: [FloatTensor<Autodiff<Flex, C>>; 3],
        kernel: impl FnOnce(
            FlexTensor,
            FlexTensor,
            FlexTensor,
        ) -> (FlexTensor, FlexTensor, FlexTensor, E),
        state: impl FnOnce([NodeId; 2], &FlexTensor, [FlexTensor; 2], E) -> S::State,
    ) -> (
        FloatTensor<Autodiff<Flex, C>>,
        FloatTensor<Autodiff<Flex, C>>,
        FloatTensor<Autodiff<Flex, C>>,
    ) {
        let prepared = step
            .prepare::<C>([x.node(), gamma.node(), beta.node()])
            .compute_bound()
            .stateful();
        let run = |x: FloatTensor<Autodiff<Flex, C>>, gamma: FloatTensor<Autodiff<Flex, C>>| {
            kernel(
                x.into_primitive(),
                gamma.into_primitive(),
                beta.into_primitive(),
            )
        };
        let (out, mean, variance) = match prepared {
            OpsKind::Tracked(mut prep) => {
                let checkpoints = [prep.checkpoint(&x), prep.checkpoint(&gamma)];
                let (out, mean, variance, extra) = run(x, gamma);
                let kept = state(checkpoints, &out, [mean.clone(), variance.clone()], extra);
                (prep.finish(kept, out), mean, variance)
            }
            OpsKind::UnTracked(prep) => {
                let (out, mean, variance, _) = run(x, gamma);
                (prep.finish(out), mean, variance)
            }
        };
        (
            out,
            FloatTensor::<Autodiff<Flex, C>>::new(mean),
            FloatTensor::<Autodiff<Flex, C>>::new(variance),
        )
    }

    impl<C: CheckpointStrategy> DescentNorm for Autodiff<Flex, C> {
        fn descent_batch_norm_train(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            epsilon: f64,
            relu: bool,
        ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
            train_step::<C, _, _>(
                BatchNormTrainStep,
                [x, gamma, beta],
                |x, gamma, beta| {
                    let (out, mean, variance) =
                        cpu::norm::batch_norm_train(x, gamma, beta, epsilon, relu);
                    (out, mean, variance, ())
                },
                |[x, gamma], out, [mean, variance], ()| {
                    (x, gamma, mean, variance, epsilon, relu.then(|| out.clone()))
                },
            )
        }

        /// On an autodiff device (a frozen layer in training), Burn's differentiable
        /// composition, so gradients still flow to the input.
        fn descent_batch_norm(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            mean: FloatTensor<Self>,
            variance: FloatTensor<Self>,
            epsilon: f64,
            relu: bool,
        ) -> FloatTensor<Self> {
            let y = <Self as ModuleOps<Self>>::batch_norm(x, gamma, beta, mean, variance, epsilon);
            if relu {
                <Self as burn::backend::ops::ActivationOps<Self>>::relu(y)
            } else {
                y
            }
        }

        fn descent_batch_norm_relu_pool_train(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            epsilon: f64,
            kernel: [usize; 2],
        ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
            train_step::<C, _, _>(
                BatchNormReluPoolStep,
                [x, gamma, beta],
                |x, gamma, beta| {
                    let (pooled, argmax, mean, variance) =
                        cpu::norm_pool::batch_norm_relu_pool_train(x, gamma, beta, epsilon, kernel);
                    (pooled, mean, variance, argmax)
                },
                |[x, gamma], pooled, [mean, variance], argmax| PooledState {
                    x,
                    gamma,
                    mean,
                    variance,
                    epsilon,
                    kernel,
                    argmax,
                    pooled: pooled.clone(),
                },
            )
        }

        /// On an autodiff device, Burn's differentiable composition (see
        /// `descent_batch_norm`).
        fn descent_batch_norm_relu_pool(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            mean: FloatTensor<Self>,
            variance: FloatTensor<Self>,
            epsilon: f64,
            kernel: [usize; 2],
        ) -> FloatTensor<Self> {
            let y = <Self as ModuleOps<Self>>::batch_norm(x, gamma, beta, mean, variance, epsilon);
            let y = <Self as burn::backend::ops::ActivationOps<Self>>::relu(y);
            <Self as ModuleOps<Self>>::max_pool2d(y, kernel, kernel, [0, 0], [1, 1], false)
        }
    }
}

#[cfg(all(test, feature = "flex"))]
mod tests {
    use super::*;
    use burn::module::Module;
    use burn::nn::BatchNormConfig;
    use burn::tensor::{Device, Distribution};

    fn bits<const D: usize>(t: Tensor<D>) -> Vec<u32> {
        let v: Vec<f32> = t.into_data().try_into_vec().unwrap_or_default();
        v.into_iter().map(f32::to_bits).collect()
    }

    /// The gradients of `Σ out·mix` with respect to `x`, γ and β, through two outputs of
    /// `x` and their batch norms: `[(dx, dx'), (dγ, dγ'), (dβ, dβ')]`, flattened to rank 1.
    fn gradient_pairs<const D: usize>(
        (a, norm_a): (Tensor<D>, &BatchNorm),
        (b, norm_b): (Tensor<D>, &BatchNorm),
        x: &Tensor<D>,
        mix: Tensor<D>,
        what: &str,
    ) -> [(Tensor<1>, Tensor<1>); 3] {
        let (ga, gb) = (
            a.mul(mix.clone()).sum().backward(),
            b.mul(mix).sum().backward(),
        );
        let grads = |g: &burn::tensor::Gradients, n: &BatchNorm| {
            (x.grad(g), n.gamma.val().grad(g), n.beta.val().grad(g))
        };
        let ((Some(dx), Some(dg), Some(db)), (Some(dx2), Some(dg2), Some(db2))) =
            (grads(&ga, norm_a), grads(&gb, norm_b))
        else {
            panic!("a gradient is missing, {what}");
        };
        [
            (dx.flatten(0, D - 1), dx2.flatten(0, D - 1)),
            (dg, dg2),
            (db, db2),
        ]
    }

    /// `a` and `b` equal within `1e-5 · (1 + max |b|)`, element by element, NaN only where the
    /// other is NaN.
    fn close_or_both_nan<const D: usize>(a: Tensor<D>, b: Tensor<D>, what: &str) {
        let (a, b): (Vec<f32>, Vec<f32>) = (
            a.into_data().try_into_vec().unwrap_or_default(),
            b.into_data().try_into_vec().unwrap_or_default(),
        );
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        let scale = 1.0
            + b.iter()
                .filter(|v| v.is_finite())
                .fold(0f32, |m, v| m.max(v.abs()));
        for (i, (p, q)) in a.iter().zip(&b).enumerate() {
            let same = (p.is_nan() && q.is_nan()) || (p - q).abs() <= 1e-5 * scale;
            assert!(same, "{what}: element {i}: {p} vs {q}");
        }
    }

    /// Batch norm + ReLU + max-pool fused against the layers one after the other: training
    /// outputs and running statistics bit for bit, every gradient within float rounding, then
    /// inference bit for bit. The cases
    /// cover the 2x2 pool and a 3x2 one, pooled planes shorter than the 16-lane backward
    /// sums and longer with a tail, rows and columns the floor mode drops, ties (a constant
    /// region), a NaN, and maxima the ReLU zeroes.
    #[test]
    fn fused_pool_equals_the_three_layers() {
        use burn::nn::pool::MaxPool2dConfig;
        let device = Device::flex().autodiff();
        device.seed(11);
        for (kernel, shape) in [
            ([2, 2], [3, 3, 6, 6]),
            ([2, 2], [2, 3, 7, 5]),
            ([2, 2], [2, 3, 12, 41]),
            ([3, 2], [2, 3, 7, 9]),
        ] {
            let pool = MaxPool2dConfig::new(kernel).init();
            let fused = BatchNormConfig::new(3).init(&device);
            let apart = BatchNormConfig::new(3).init(&device);
            for step in 0..2 {
                let x = Tensor::<4>::random(shape, Distribution::Default, &device);
                let [n, _, h, w] = shape;
                // Channel 1 of the first image constant (ties), and a NaN at step 1. Windows
                // whose four values all normalize below zero (about 1 in 16 of random ones)
                // have a maximum the ReLU zeroes.
                let x = x.slice_assign(
                    [0..1, 1..2, 0..h, 0..w],
                    Tensor::<4>::ones([1, 1, h, w], &device),
                );
                let x = if step == 1 {
                    x.slice_assign(
                        [n - 1..n, 0..1, 1..2, 2..3],
                        Tensor::from_floats([[[[f32::NAN]]]], &device),
                    )
                } else {
                    x
                };
                let x = x.require_grad();
                let a = batch_norm_relu_pool_layer(&fused, &pool, x.clone());
                let b =
                    crate::pool::max_pool_layer(&pool, batch_norm_relu_layer(&apart, x.clone()));
                let what = format!("{kernel:?} {shape:?} step {step}");
                assert_eq!(bits(a.clone()), bits(b.clone()), "output, {what}");
                let mix = Tensor::<4>::random(a.dims(), Distribution::Default, &device);
                let [(dx, dx2), (dg, dg2), (db, db2)] =
                    gradient_pairs((a, &fused), (b, &apart), &x, mix, &what);
                // The backward sums add the same terms in another order: equal within
                // rounding (NaN where the other has NaN).
                close_or_both_nan(dx, dx2, &format!("dx, {what}"));
                close_or_both_nan(dg, dg2, &format!("dgamma, {what}"));
                close_or_both_nan(db, db2, &format!("dbeta, {what}"));
                assert_eq!(
                    bits(fused.running_var.value()),
                    bits(apart.running_var.value()),
                    "running variance, {what}"
                );
            }
            let plain = Device::flex();
            let (fused, apart) = (fused.valid(), apart.valid());
            let x = Tensor::<4>::random(shape, Distribution::Default, &plain).sub_scalar(0.3);
            assert_eq!(
                bits(batch_norm_relu_pool_layer(&fused, &pool, x.clone())),
                bits(crate::pool::max_pool_layer(
                    &pool,
                    batch_norm_relu_layer(&apart, x)
                )),
                "inference, {kernel:?} {shape:?}"
            );
        }
    }

    /// A frozen batch norm on an autodiff device (partial finetuning) takes the inference
    /// path and still passes gradients to its input: fused with the pool as apart.
    #[test]
    fn frozen_fused_pool_passes_gradients_like_the_three_layers() {
        use burn::nn::pool::MaxPool2dConfig;
        let device = Device::flex().autodiff();
        device.seed(12);
        let pool = MaxPool2dConfig::new([2, 2]).init();
        let norm = BatchNormConfig::new(3).init(&device).freeze();
        let x = Tensor::<4>::random([2, 3, 6, 6], Distribution::Default, &device)
            .sub_scalar(0.3)
            .require_grad();
        let a = batch_norm_relu_pool_layer(&norm, &pool, x.clone());
        let b = crate::pool::max_pool_layer(&pool, batch_norm_relu_layer(&norm, x.clone()));
        close_or_both_nan(a.clone(), b.clone(), "frozen output");
        let mix = Tensor::<4>::random(a.dims(), Distribution::Default, &device);
        let (ga, gb) = (
            a.mul(mix.clone()).sum().backward(),
            b.mul(mix).sum().backward(),
        );
        let (Some(da), Some(db)) = (x.grad(&ga), x.grad(&gb)) else {
            panic!("the frozen layer stopped the input gradient");
        };
        assert!(da.clone().abs().sum().into_scalar::<f32>() > 0.0);
        close_or_both_nan(da, db, "frozen input gradient");
    }

    /// The fused ReLU against Burn's ReLU after our batch norm, bit for bit: training outputs
    /// and every gradient (a NaN in the input included, which both pass through), then
    /// inference on a shared input (a new buffer) and a unique one (in place).
    #[test]
    fn fused_relu_equals_relu_after_batch_norm() {
        use burn::tensor::activation::relu;
        let device = Device::flex().autodiff();
        device.seed(5);
        let fused = BatchNormConfig::new(3).init(&device);
        let apart = BatchNormConfig::new(3).init(&device);
        for step in 0..2 {
            let x = Tensor::<4>::random([4, 3, 5, 6], Distribution::Default, &device)
                .add_scalar(step as f64 * 0.5 - 0.25);
            let nan = Tensor::<4>::zeros([4, 3, 5, 6], &device).slice_assign(
                [0..1, 0..1, 0..1, 0..1],
                Tensor::from_floats([[[[f32::NAN]]]], &device),
            );
            let x = if step == 1 { x.add(nan) } else { x }.require_grad();
            let mix = Tensor::<4>::random([4, 3, 5, 6], Distribution::Default, &device);
            let a = batch_norm_relu_layer(&fused, x.clone());
            let b = relu(batch_norm_layer(&apart, x.clone()));
            assert_eq!(bits(a.clone()), bits(b.clone()), "output, step {step}");
            let [(dx, dx2), (dg, dg2), (db, db2)] =
                gradient_pairs((a, &fused), (b, &apart), &x, mix, &format!("step {step}"));
            assert_eq!(bits(dx), bits(dx2), "dx, step {step}");
            assert_eq!(bits(dg), bits(dg2), "dgamma, step {step}");
            assert_eq!(bits(db), bits(db2), "dbeta, step {step}");
        }
        let plain = Device::flex();
        let (fused, apart) = (fused.valid(), apart.valid());
        let x = Tensor::<4>::random([4, 3, 5, 6], Distribution::Default, &plain).sub_scalar(0.5);
        let want = bits(relu(batch_norm_layer(&apart, x.clone())));
        assert_eq!(
            bits(batch_norm_relu_layer(&fused, x.clone())),
            want,
            "shared input"
        );
        let unique = Tensor::<4>::from_data(x.to_data(), &plain);
        assert_eq!(
            bits(batch_norm_relu_layer(&fused, unique)),
            want,
            "unique input"
        );
        assert!(
            x.to_data()
                .try_into_vec::<f32>()
                .unwrap_or_default()
                .iter()
                .any(|v| *v < 0.0)
        );
    }

    fn max_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
        a.sub(b).abs().max().into_scalar::<f32>()
    }

    /// Three training steps through `Autodiff<Flex>`: outputs, all gradients and the running
    /// statistics equal Burn's `BatchNorm::forward` (an independent implementation), then the
    /// eval-mode output on the plain device does too.
    #[test]
    fn training_and_eval_equal_burns_batch_norm() {
        let device = Device::flex().autodiff();
        device.seed(3);
        for shape in [[6usize, 3, 5, 4].to_vec(), [9, 3].to_vec()] {
            // Two separate layers (a clone would share the running statistics).
            let ours = BatchNormConfig::new(3).init(&device);
            let burns = BatchNormConfig::new(3).init(&device);
            for step in 0..3 {
                if shape.len() == 4 {
                    let x = Tensor::<4>::random([6, 3, 5, 4], Distribution::Default, &device)
                        .mul_scalar(3.0)
                        .add_scalar(step as f64)
                        .require_grad();
                    let mix = Tensor::<4>::random([6, 3, 5, 4], Distribution::Default, &device);
                    let a = batch_norm_layer(&ours, x.clone());
                    let b = burns.forward(x.clone());
                    assert!(max_diff(a.clone(), b.clone()) < 1e-5, "output, step {step}");
                    let ga = a.mul(mix.clone()).sum().backward();
                    let gb = b.mul(mix).sum().backward();
                    let (Some(dx), Some(dx_b)) = (x.grad(&ga), x.grad(&gb)) else {
                        panic!("dx missing at step {step}");
                    };
                    assert!(max_diff(dx, dx_b) < 1e-4, "dx, step {step}");
                    for (name, p, q) in [
                        ("gamma", ours.gamma.val(), burns.gamma.val()),
                        ("beta", ours.beta.val(), burns.beta.val()),
                    ] {
                        let (Some(dp), Some(dq)) = (p.grad(&ga), q.grad(&gb)) else {
                            panic!("d{name} missing at step {step}");
                        };
                        assert!(max_diff(dp, dq) < 1e-4, "d{name}, step {step}");
                    }
                } else {
                    let x = Tensor::<2>::random([9, 3], Distribution::Default, &device);
                    let a = batch_norm_layer(&ours, x.clone());
                    assert!(
                        max_diff(a, burns.forward(x)) < 1e-5,
                        "2-D output, step {step}"
                    );
                }
                let running = |n: &BatchNorm| (n.running_mean.value(), n.running_var.value());
                let ((m_a, v_a), (m_b, v_b)) = (running(&ours), running(&burns));
                assert!(max_diff(m_a, m_b) < 1e-6, "running mean, step {step}");
                assert!(max_diff(v_a, v_b) < 1e-6, "running var, step {step}");
            }
            let plain = Device::flex();
            let (ours, burns) = (ours.valid(), burns.valid());
            if shape.len() == 4 {
                let x = Tensor::<4>::random([6, 3, 5, 4], Distribution::Default, &plain);
                assert!(max_diff(batch_norm_layer(&ours, x.clone()), burns.forward(x)) < 1e-5);
            } else {
                let x = Tensor::<2>::random([9, 3], Distribution::Default, &plain);
                assert!(max_diff(batch_norm_layer(&ours, x.clone()), burns.forward(x)) < 1e-5);
            }
        }
    }
}
