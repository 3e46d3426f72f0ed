//! Import and export against files PyTorch wrote: `scripts/torch_state_dicts.py` made every
//! file under `tests/data/torch/` (state_dicts after five SGD steps, in `.safetensors` and
//! `.pt`, and the eval-mode logits PyTorch computed on an input batch). Abridged:
//!
//! ```python
//! MODELS = {
//!     'mlp': (lambda: mlp([784, 32, 16, 10], dropout=0.1), (1, 28, 28)),
//!     'vgg9_bn': (lambda: VGG('vgg9', True, 1 / 16, 1, 28), (1, 28, 28)),
//!     'vgg11': (lambda: VGG('vgg11', False, 1 / 16, 3, 32), (3, 32, 32)),
//!     'resnet8': (lambda: ResNet(8, 'B', 0.5, 3), (3, 32, 32)),
//!     'resnet8_zeropad': (lambda: ResNet(8, 'A', 0.5, 1), (1, 28, 28)),
//!     'resnet14_noshort': (lambda: ResNet(14, 'none', 0.25, 1), (1, 28, 28)),
//! }
//! for seed, name in enumerate(MODELS):
//!     net, shape = build(name, seed)          # 5 SGD steps on random data, then eval()
//!     sd = {k: v.contiguous() for k, v in net.state_dict().items()}
//!     save_file(sd, f'{name}.safetensors'); torch.save(sd, f'{name}.pt')
//!     torch.manual_seed(100 + seed); x = torch.randn(4, *shape)
//!     save_file({'input': x, 'logits': net(x)}, f'{name}.expected.safetensors')
//! ```

use super::*;
use crate::{MlpConfig, ResNetConfig, Shortcut, VggConfig, VggDepth};
use burn::tensor::{Tensor, TensorData, Tolerance};
use std::path::PathBuf;

fn data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/torch")
        .join(file)
}

fn config(name: &str) -> ModelConfig {
    match name {
        "mlp" => MlpConfig::new(784, vec![32, 16], 10)
            .with_dropout(Some(0.1))
            .into(),
        "vgg9_bn" => VggConfig::new(VggDepth::Vgg9)
            .with_width(1.0 / 16.0)
            .with_in_channels(1)
            .with_image_size(28)
            .into(),
        "vgg11" => VggConfig::new(VggDepth::Vgg11)
            .with_batch_norm(false)
            .with_width(1.0 / 16.0)
            .into(),
        "resnet8" => ResNetConfig::new(8).with_width(0.5).into(),
        "resnet8_zeropad" => ResNetConfig::new(8)
            .with_shortcut(Shortcut::ZeroPad)
            .with_width(0.5)
            .with_in_channels(1)
            .with_image_size(28)
            .into(),
        "resnet14_noshort" => ResNetConfig::new(14)
            .with_shortcut(Shortcut::None)
            .with_width(0.25)
            .with_in_channels(1)
            .with_image_size(28)
            .into(),
        other => panic!("no config for {other}"),
    }
}

const NAMES: [&str; 6] = [
    "mlp",
    "vgg9_bn",
    "vgg11",
    "resnet8",
    "resnet8_zeropad",
    "resnet14_noshort",
];

/// The tensors of a safetensors file as PyTorch wrote them (no renaming).
fn raw(path: &Path) -> BTreeMap<String, TensorData> {
    let mut store = SafetensorsStore::from_file(path);
    store
        .get_all_tensors()
        .expect("readable")
        .iter()
        .map(|(name, t)| (name.clone(), bridge::to_data(t).expect("data")))
        .collect()
}

fn expected(name: &str, device: &Device) -> (Tensor<4>, TensorData) {
    let mut tensors = raw(&data(&format!("{name}.expected.safetensors")));
    let input = tensors.remove("input").expect("input");
    let logits = tensors.remove("logits").expect("logits");
    (Tensor::from_data(input, device), logits)
}

#[test]
fn imported_models_give_pytorchs_logits() {
    use crate::ImageClassifier;
    let device = Device::flex();
    for name in NAMES {
        let (input, want) = expected(name, &device);
        for ext in ["safetensors", "pt"] {
            let path = data(&format!("{name}.{ext}"));
            let model = import(&config(name), &path, &device)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let logits = model.logits(input.clone());
            logits
                .into_data()
                .assert_approx_eq::<f32>(&want, Tolerance::absolute(1e-5));
        }
    }
}

#[test]
fn checkpoint_dictionaries_and_data_parallel_prefixes_are_unwrapped() {
    use crate::ImageClassifier;
    let device = Device::flex();
    // {"state_dict": {"module." + key: ...}, "epoch": 3}
    let model = import(&config("resnet8"), &data("resnet8_checkpoint.pt"), &device)
        .expect("wrapped state_dict");
    let (input, want) = expected("resnet8", &device);
    model
        .logits(input)
        .into_data()
        .assert_approx_eq::<f32>(&want, Tolerance::absolute(1e-5));
}

#[test]
fn exports_are_pytorchs_own_state_dicts() {
    let device = Device::flex();
    let dir = tempfile::tempdir().expect("temp dir");
    for name in NAMES {
        let config = config(name);
        let original = raw(&data(&format!("{name}.safetensors")));
        let model = import(&config, &data(&format!("{name}.pt")), &device).expect("import");
        let exported = export_tensors(&model, &config).expect("export");
        // PyTorch's own keys (num_batches_tracked aside), shapes and values, bit for bit.
        let keys: Vec<&str> = original
            .keys()
            .map(String::as_str)
            .filter(|k| !k.ends_with("num_batches_tracked"))
            .collect();
        let mut names: Vec<&str> = exported.iter().map(|t| t.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, keys, "{name}");
        for t in &exported {
            let want = &original[&t.name];
            assert_eq!(t.shape, want.shape().to_vec(), "{name} {}", t.name);
            assert_eq!(
                t.values,
                want.try_to_vec::<f32>().expect("f32"),
                "{name} {}",
                t.name
            );
        }
        // The safetensors file holds the same.
        let path = dir.path().join(format!("{name}.safetensors"));
        export_safetensors(&model, &config, &path).expect("write");
        let written = raw(&path);
        assert_eq!(written.len(), exported.len(), "{name}");
        for t in &exported {
            assert_eq!(
                written[&t.name].try_to_vec::<f32>().expect("f32"),
                t.values,
                "{name} {}",
                t.name
            );
        }
        // Writing again replaces the file.
        export_safetensors(&model, &config, &path).expect("overwrite");
    }
}

#[test]
fn reference_names_of_each_architecture() {
    let names = |name: &str| -> Vec<(String, String)> {
        torch_modules(&config(name))
            .into_iter()
            .map(|m| (m.ours, m.reference))
            .collect()
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    // Flatten, Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear.
    assert_eq!(
        names("mlp"),
        pairs(&[("hidden.0", "1"), ("hidden.1", "4"), ("output", "7")])
    );
    // Conv, BN, ReLU, Conv, BN, ReLU, Pool, ...; loss-landscape's fc.0 / fc.1.
    let vgg9 = names("vgg9_bn");
    assert_eq!(
        vgg9[..4],
        pairs(&[
            ("features.0.conv", "features.0"),
            ("features.0.norm", "features.1"),
            ("features.1.conv", "features.3"),
            ("features.1.norm", "features.4"),
        ])[..]
    );
    assert_eq!(vgg9[4], ("features.2.conv".into(), "features.7".into()));
    assert_eq!(
        vgg9[14..],
        pairs(&[
            ("fc.linear", "fc.0"),
            ("fc.norm", "fc.1"),
            ("classifier", "classifier")
        ])[..]
    );
    // No BN: Conv, ReLU, Pool, Conv, ReLU, Pool, ...
    let vgg11 = names("vgg11");
    assert_eq!(
        vgg11[..3],
        pairs(&[
            ("features.0.conv", "features.0"),
            ("features.1.conv", "features.3"),
            ("features.2.conv", "features.6"),
        ])[..]
    );
    let resnet = names("resnet8");
    assert!(resnet.contains(&(
        "layer2.0.shortcut.conv".into(),
        "layer2.0.shortcut.0".into()
    )));
    assert!(resnet.contains(&(
        "layer3.0.shortcut.norm".into(),
        "layer3.0.shortcut.1".into()
    )));
    assert_eq!(resnet.len(), 2 + 3 * 4 + 2 * 2 + 1);
    assert_eq!(names("resnet8_zeropad").len(), 2 + 3 * 4 + 1);
}

#[test]
fn mismatches_name_the_tensors() {
    let device = Device::flex();
    // A ResNet-8 file read as a ResNet-14: the second block of each stage is missing.
    let err = import(
        &ResNetConfig::new(14).with_width(0.5).into(),
        &data("resnet8.safetensors"),
        &device,
    )
    .expect_err("missing tensors");
    let message = err.to_string();
    let ModelError::TorchMissing { keys, .. } = err else {
        panic!("{message}");
    };
    assert!(
        keys.contains(&"layer1.1.conv1.weight".to_string()),
        "{keys:?}"
    );
    assert!(
        keys.contains(&"layer3.1.bn2.running_var".to_string()),
        "{keys:?}"
    );
    assert!(
        message.contains("missing: layer1.1.conv1.weight"),
        "{message}"
    );
    // With projections read as option A: the projections are tensors it does not have.
    let err = import(
        &ResNetConfig::new(8)
            .with_width(0.5)
            .with_shortcut(Shortcut::ZeroPad)
            .into(),
        &data("resnet8.pt"),
        &device,
    )
    .expect_err("unexpected tensors");
    let message = err.to_string();
    assert!(
        matches!(err, ModelError::TorchUnexpected { .. }),
        "{message}"
    );
    assert!(
        message.contains("it does not have: layer2.0.shortcut.0.weight"),
        "{message}"
    );
    // Another width: shapes differ, named in PyTorch's terms.
    let err = import(
        &ResNetConfig::new(8).with_width(0.25).into(),
        &data("resnet8.safetensors"),
        &device,
    )
    .expect_err("shape mismatch");
    let message = err.to_string();
    let ModelError::TorchShape { tensor, .. } = err else {
        panic!("{message}");
    };
    assert_eq!(
        (tensor.key.as_str(), tensor.expected, tensor.found),
        ("conv1.weight", vec![4, 3, 3, 3], vec![8, 3, 3, 3])
    );
    assert!(!message.contains("gamma"), "{message}");
    // A linear layer's shape in PyTorch's layout, [out, in], under the file's own key.
    let err = import(
        &MlpConfig::new(784, vec![32, 8], 10)
            .with_dropout(Some(0.1))
            .into(),
        &data("mlp.pt"),
        &device,
    )
    .expect_err("shape mismatch");
    let ModelError::TorchShape { tensor, .. } = err else {
        panic!("{err}");
    };
    assert_eq!(
        (tensor.key.as_str(), tensor.expected, tensor.found),
        ("4.weight", vec![8, 32], vec![16, 32])
    );
}

#[test]
fn unreadable_files_are_typed_errors() {
    let device = Device::flex();
    let config = config("resnet8");
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("none.pt");
    assert!(matches!(
        import(&config, &missing, &device),
        Err(ModelError::TorchRead { ref reason, .. }) if reason == "no such file"
    ));
    let text = dir.path().join("weights.txt");
    std::fs::write(&text, "hello").expect("write");
    assert!(matches!(
        import(&config, &text, &device),
        Err(ModelError::TorchRead { ref reason, .. }) if reason.contains(".safetensors, .pt")
    ));
    for ext in ["pt", "safetensors"] {
        let garbage = dir.path().join(format!("garbage.{ext}"));
        std::fs::write(&garbage, b"not a state dict at all").expect("write");
        let err = import(&config, &garbage, &device).expect_err("garbage");
        assert!(matches!(err, ModelError::TorchRead { .. }), "{ext}: {err}");
    }
    // Cut short: a valid file's first half.
    let bytes = std::fs::read(data("resnet8.safetensors")).expect("read");
    let cut = dir.path().join("cut.safetensors");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    assert!(import(&config, &cut, &device).is_err());
    let bytes = std::fs::read(data("resnet8.pt")).expect("read");
    let cut = dir.path().join("cut.pt");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    assert!(import(&config, &cut, &device).is_err());
}
