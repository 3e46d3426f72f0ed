//! Batch norm that runs fused CPU kernels on Burn's `Flex` backend and Burn's everywhere else.
//!
//! [`batch_norm_layer`] is a drop-in for [`BatchNorm::forward`]: the same choice between batch
//! statistics (autodiff device and the layer's training flag on) and running statistics, the
//! same running-average update, the same records. On a `Flex` device with float32 data it
//! computes the statistics, the normalization and (in training) the backward pass with the
//! fused kernels of this crate; forward + backward over the eight activations of a width-1/4
//! VGG-11 training step (batch 128) took 18 ms against 81 ms for Burn 0.22's composed batch
//! norm (`benches/kernels.rs`, `norm`). Elsewhere it calls `BatchNorm::forward`.
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

#[cfg(feature = "flex")]
mod flex {
    //! The `Flex` route: a backend extension with a hand-written backward step.

    use crate::conv::{CpuConvKernels, cpu_conv_kernels};
    use crate::norm_cpu;
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
    use burn::backend::autodiff::{Autodiff, NodeId};
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
        let device = input.device();
        let eps = layer.epsilon;
        if !(device.is_autodiff() && layer.training.is_enabled()) {
            let mean = layer.running_mean.value().to_device(&device);
            let var = layer.running_var.value().to_device(&device);
            return Tensor::from_dispatch(<Dispatch as DescentNorm>::descent_batch_norm(
                input.into_dispatch(),
                layer.gamma.val().into_dispatch(),
                layer.beta.val().into_dispatch(),
                mean.into_dispatch(),
                var.into_dispatch(),
                eps,
                relu,
            ));
        }
        let (output, mean, variance) = <Dispatch as DescentNorm>::descent_batch_norm_train(
            input.into_dispatch(),
            layer.gamma.val().into_dispatch(),
            layer.beta.val().into_dispatch(),
            eps,
            relu,
        );
        let (mean, variance) = (
            Tensor::<1>::from_dispatch(mean),
            Tensor::<1>::from_dispatch(variance),
        );
        // The running update of `BatchNorm::forward_train`, term for term.
        let momentum = layer.momentum;
        let running_mean = layer.running_mean.value_sync().to_device(&device);
        let running_var = layer.running_var.value_sync().to_device(&device);
        let running_mean = running_mean
            .mul_scalar(1.0 - momentum)
            .add(mean.detach().mul_scalar(momentum));
        let running_var = running_var
            .mul_scalar(1.0 - momentum)
            .add(variance.detach().mul_scalar(momentum));
        layer.running_mean.update(running_mean.detach());
        layer.running_var.update(running_var.detach());
        Tensor::from_dispatch(output)
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
    }

    impl DescentNorm for Flex {
        fn descent_batch_norm_train(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            epsilon: f64,
            relu: bool,
        ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
            norm_cpu::batch_norm_train(x, gamma, beta, epsilon, relu)
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
            norm_cpu::batch_norm(x, gamma, beta, mean, variance, epsilon, relu)
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
            let (dx, dgamma, dbeta) = norm_cpu::batch_norm_train_backward(
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

    impl<C: CheckpointStrategy> DescentNorm for Autodiff<Flex, C> {
        fn descent_batch_norm_train(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            epsilon: f64,
            relu: bool,
        ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
            match BatchNormTrainStep
                .prepare::<C>([x.node(), gamma.node(), beta.node()])
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(mut prep) => {
                    let x_state = prep.checkpoint(&x);
                    let gamma_state = prep.checkpoint(&gamma);
                    let (out, mean, variance) = norm_cpu::batch_norm_train(
                        x.into_primitive(),
                        gamma.into_primitive(),
                        beta.into_primitive(),
                        epsilon,
                        relu,
                    );
                    let state = (
                        x_state,
                        gamma_state,
                        mean.clone(),
                        variance.clone(),
                        epsilon,
                        relu.then(|| out.clone()),
                    );
                    (
                        prep.finish(state, out),
                        FloatTensor::<Self>::new(mean),
                        FloatTensor::<Self>::new(variance),
                    )
                }
                OpsKind::UnTracked(prep) => {
                    let (out, mean, variance) = norm_cpu::batch_norm_train(
                        x.into_primitive(),
                        gamma.into_primitive(),
                        beta.into_primitive(),
                        epsilon,
                        relu,
                    );
                    (
                        prep.finish(out),
                        FloatTensor::<Self>::new(mean),
                        FloatTensor::<Self>::new(variance),
                    )
                }
            }
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
            let ga = a.mul(mix.clone()).sum().backward();
            let gb = b.mul(mix).sum().backward();
            let grads = |g: &burn::tensor::Gradients, n: &BatchNorm| {
                (x.grad(g), n.gamma.val().grad(g), n.beta.val().grad(g))
            };
            let ((Some(dx), Some(dg), Some(db)), (Some(dx2), Some(dg2), Some(db2))) =
                (grads(&ga, &fused), grads(&gb, &apart))
            else {
                panic!("a gradient is missing at step {step}");
            };
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
