//! The models on the GPU backend give what they give on the CPU: a small VGG (batch norm) and a
//! small ResNet (batch norm; with projection shortcuts, with zero-padding shortcuts and with
//! none) in eval mode (the landscape scan's forward pass) and in training mode (forward, loss
//! and every parameter's gradient), on wgpu and on flex, from the same weights and images. On flex the
//! layers run this project's own kernels (im2col, Winograd, fused batch norm and pooling), on
//! wgpu Burn's, so the two are independent implementations of the same definitions.
//!
//! On machines without a GPU wgpu runs on Mesa's lavapipe (`scripts/test` installs it). The
//! models are tiny (VGG-9 at width 1/16, ResNet-8 at width 1/4 on 16x16 images, 4 images), since every new kernel costs shader
//! compilation time there (about a minute for this test on an empty cache, seconds after).
//! `DESCENT_SKIP_WGPU=1` skips it, saying so on the terminal.

use std::io::Write;

use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use descent::models::{ImageClassifier, ResNetConfig, Shortcut, VggConfig, VggDepth};
use descent::train::DeviceChoice;

/// Every parameter's value (or gradient) as host floats, in visiting order, with its path.
struct Collect<'a> {
    grads: Option<&'a burn::tensor::Gradients>,
    out: Vec<(String, Vec<f32>)>,
}

impl ModuleVisitor for Collect<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let tensor = match self.grads {
            // Batch-norm running statistics are visited too; they take no gradient.
            Some(_) if !param.val().is_require_grad() => return,
            Some(grads) => param
                .val()
                .grad(grads)
                .expect("a trainable parameter has a gradient"),
            None => param.val(),
        };
        let values = tensor.into_data().try_to_vec::<f32>().expect("f32 data");
        self.out.push((format!("{:?}", param.id), values));
    }
}

/// Largest |a - b| over the largest |b|, with the place it happens.
fn relative_gap(a: &[f32], b: &[f32]) -> (f32, usize) {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
    let (i, gap) = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .enumerate()
        .fold(
            (0, 0f32),
            |(bi, bg), (i, g)| if g > bg { (i, g) } else { (bi, bg) },
        );
    (gap / scale, i)
}

/// Logits in eval mode; and in training mode the loss and each parameter's gradient.
struct Results {
    eval_logits: Vec<f32>,
    train_loss: f32,
    grads: Vec<(String, Vec<f32>)>,
}

fn run<M: ImageClassifier + Clone>(
    model: M,
    images: &TensorData,
    labels: &[i64],
    device: &Device,
) -> Results {
    let plain = device.clone();
    let x = Tensor::<4>::from_data(images.clone(), &plain);
    let eval_logits = model
        .clone()
        .valid()
        .logits(x)
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32");

    // `train` puts the validation module back on its device with autodiff, tracking gradients.
    let ad = device.clone().autodiff();
    let model = model.train();
    let x = Tensor::<4>::from_data(images.clone(), &ad);
    let y = Tensor::<1, Int>::from_ints(labels, &ad);
    let loss = CrossEntropyLossConfig::new()
        .init(&ad)
        .forward(model.logits(x), y);
    let train_loss = loss.clone().into_scalar::<f32>();
    let grads = loss.backward();
    let mut collect = Collect {
        grads: Some(&grads),
        out: Vec::new(),
    };
    model.visit(&mut collect);
    Results {
        eval_logits,
        train_loss,
        grads: collect.out,
    }
}

/// Skips (saying so) under `DESCENT_SKIP_WGPU`; else opens flex and wgpu.
fn devices() -> Option<(Device, Device)> {
    if std::env::var_os("DESCENT_SKIP_WGPU").is_some() {
        let _ = writeln!(
            std::io::stderr(),
            "\n*** wgpu model test SKIPPED (DESCENT_SKIP_WGPU) ***\n"
        );
        return None;
    }
    let flex = DeviceChoice::Flex.open().expect("flex");
    let wgpu = DeviceChoice::Wgpu
        .open()
        .unwrap_or_else(|e| panic!("wgpu does not open here (install lavapipe): {e}"));
    Some((flex, wgpu))
}

/// Runs `model` (eval mode, on flex) and its copy on wgpu on the same 4 random images of
/// `[channels, size, size]` and compares logits, training loss and every gradient; `what`
/// names the model in failures. `trainable` is the model's trainable parameter count.
fn compare<M: ImageClassifier + Clone>(
    what: &str,
    model: M,
    trainable: usize,
    shape: [usize; 3],
    flex: &Device,
    wgpu: &Device,
) {
    let [c, h, w] = shape;
    let images =
        Tensor::<4>::random([4, c, h, w], Distribution::Normal(0.0, 1.0), flex).into_data();
    let labels = [3i64, 1, 4, 1];

    let cpu = run(model.clone(), &images, &labels, flex);
    let gpu = run(model.to_device(wgpu), &images, &labels, wgpu);

    let (gap, at) = relative_gap(&gpu.eval_logits, &cpu.eval_logits);
    assert!(
        gap < 1e-4,
        "{what}: eval logits differ by {gap:e} (relative) at {at}: wgpu {} flex {}",
        gpu.eval_logits[at],
        cpu.eval_logits[at]
    );
    assert!(
        (gpu.train_loss - cpu.train_loss).abs() < 1e-4 * cpu.train_loss.abs().max(1.0),
        "{what}: training loss: wgpu {} flex {}",
        gpu.train_loss,
        cpu.train_loss
    );
    // Every trainable parameter, on both sides.
    let entries: usize = cpu.grads.iter().map(|(_, g)| g.len()).sum();
    assert_eq!(entries, trainable, "{what}");
    assert_eq!(gpu.grads.len(), cpu.grads.len(), "{what}");
    // Each gradient within 1e-3 of its largest entry, or within 1e-5 absolutely: a
    // convolution's bias followed by batch norm has a gradient of exactly zero (the norm takes
    // the mean out), so both backends return rounding noise of about 1e-6 there.
    for ((name, g), (_, c)) in gpu.grads.iter().zip(&cpu.grads) {
        let scale = c.iter().fold(0f32, |m, v| m.max(v.abs()));
        let (gap, at) = relative_gap(g, c);
        assert!(
            gap * scale.max(1e-6) < 1e-3 * scale + 1e-5,
            "{what}: gradient of {name} differs by {gap:e} (relative to its largest entry, \
             {scale:e}) at {at}: wgpu {} flex {}",
            g[at],
            c[at]
        );
    }
}

#[test]
fn vgg_on_wgpu_matches_flex() {
    let Some((flex, wgpu)) = devices() else {
        return;
    };
    flex.seed(7);
    let mut config = VggConfig::new(VggDepth::Vgg9);
    config.width = 1.0 / 16.0;
    // Initialised for training (on the autodiff device), then one training-mode pass on other
    // images so the batch-norm running statistics are not the identity and eval mode uses them.
    let model = config.init(&flex.clone().autodiff()).expect("valid VGG");
    let warm = Tensor::<4>::random(
        [8, 3, 32, 32],
        Distribution::Normal(0.5, 1.0),
        &flex.clone().autodiff(),
    );
    let _ = model.logits(warm);
    let model = model.valid();
    let trainable = model.num_trainable_params();
    compare("VGG-9", model, trainable, [3, 32, 32], &flex, &wgpu);
}

/// ResNet-8 (one basic block per stage, so both stride-2 stages change shape) at width 1/4
/// (4/8/16 channels) on 16x16 images, with each shortcut kind: the projection's 1x1
/// convolution and batch norm, the zero-padded subsampling, and none (Li et al.'s `noshort`).
#[test]
fn resnet_on_wgpu_matches_flex() {
    let Some((flex, wgpu)) = devices() else {
        return;
    };
    for (i, shortcut) in Shortcut::ALL.into_iter().enumerate() {
        flex.seed(11 + i as u64);
        let mut config = ResNetConfig::new(8);
        config.shortcut = shortcut;
        config.width = 0.25;
        config.image_size = 16;
        let model = config.init(&flex.clone().autodiff()).expect("valid ResNet");
        // One training-mode pass so the running statistics are not the identity.
        let warm = Tensor::<4>::random(
            [8, 3, 16, 16],
            Distribution::Normal(0.5, 1.0),
            &flex.clone().autodiff(),
        );
        let _ = model.logits(warm);
        let model = model.valid();
        let trainable = model.num_trainable_params();
        compare(
            &format!("ResNet-8 ({shortcut} shortcuts)"),
            model,
            trainable,
            [3, 16, 16],
            &flex,
            &wgpu,
        );
    }
}
