//! Where each module of our models sits in the PyTorch definition it is exchanged with.

use crate::{ModelConfig, Shortcut};

/// One module (a convolution, a batch norm or a linear layer) under three names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TorchModule {
    /// Our module path, without the [`Model`](crate::Model) variant: `layer2.0.shortcut.conv`,
    /// `features.3.norm`, `hidden.1`.
    pub ours: String,
    /// The module's name in the reference PyTorch definition (what
    /// [`export`](super::export_tensors) writes): `layer2.0.shortcut.0`, `features.10`, `3`.
    pub reference: String,
    /// The same name with the indices of every `nn.Sequential` renumbered 0, 1, 2, .. over
    /// the modules that hold tensors, as burn-store's contiguous index mapping does on import:
    /// `features.7`. Any `nn.Sequential` with the same layers in the same order, whatever
    /// parameter-free modules (ReLU, pooling, dropout, flatten) sit between them, reads the same.
    pub contiguous: String,
}

impl TorchModule {
    fn new(ours: String, reference: String, contiguous: String) -> TorchModule {
        TorchModule {
            ours,
            reference,
            contiguous,
        }
    }

    fn same(name: String) -> TorchModule {
        TorchModule::new(name.clone(), name.clone(), name)
    }
}

/// The modules of `config`, in our visiting order, with their PyTorch names.
///
/// The reference PyTorch definitions (their parameter counts and outputs are tested equal to
/// ours, see `scripts/`):
///
/// - **MLP**: `nn.Sequential(nn.Flatten(), nn.Linear, act, [nn.Dropout], nn.Linear, act, ..,
///   nn.Linear)`; its linear layers are `1`, `3`, `5`, .. (`1`, `4`, `7`, .. with dropout).
/// - **VGG**: kuangliu/pytorch-cifar's and tomgoldstein/loss-landscape's `VGG`:
///   `features = nn.Sequential(Conv2d, [BatchNorm2d], ReLU, .., MaxPool2d, ..)` (pools only
///   where [`VggConfig`](crate::VggConfig) applies them), VGG-9's
///   `fc = nn.Sequential(Linear, [BatchNorm1d], ReLU)`, and `classifier = nn.Linear`.
/// - **ResNet**: loss-landscape's `ResNet_cifar`: `conv1`, `bn1`, `layer{1,2,3}.{i}.{conv1,
///   bn1,conv2,bn2}`, projections `layer{2,3}.0.shortcut.{0,1}`, `linear`.
pub fn torch_modules(config: &ModelConfig) -> Vec<TorchModule> {
    match config {
        ModelConfig::Mlp(mlp) => {
            let has_dropout =
                matches!(mlp.dropout, Some(p) if p > 0.0) && !mlp.hidden_sizes.is_empty();
            let step = if has_dropout { 3 } else { 2 };
            let n = mlp.hidden_sizes.len();
            let mut modules: Vec<TorchModule> = (0..n)
                .map(|i| {
                    TorchModule::new(
                        format!("hidden.{i}"),
                        (1 + i * step).to_string(),
                        i.to_string(),
                    )
                })
                .collect();
            modules.push(TorchModule::new(
                "output".into(),
                (1 + n * step).to_string(),
                n.to_string(),
            ));
            modules
        }
        ModelConfig::Vgg(vgg) => {
            let mut modules = Vec::new();
            let per_conv = if vgg.batch_norm { 2 } else { 1 };
            let mut index = 0;
            for (i, pools) in vgg.conv_pools().into_iter().enumerate() {
                modules.push(TorchModule::new(
                    format!("features.{i}.conv"),
                    format!("features.{index}"),
                    format!("features.{}", i * per_conv),
                ));
                if vgg.batch_norm {
                    modules.push(TorchModule::new(
                        format!("features.{i}.norm"),
                        format!("features.{}", index + 1),
                        format!("features.{}", i * per_conv + 1),
                    ));
                }
                // Conv, [BN], ReLU, then the pool if one follows.
                index += per_conv + 1 + usize::from(pools);
            }
            if vgg.depth.hidden_features().is_some() {
                modules.push(TorchModule::new(
                    "fc.linear".into(),
                    "fc.0".into(),
                    "fc.0".into(),
                ));
                if vgg.batch_norm {
                    modules.push(TorchModule::new(
                        "fc.norm".into(),
                        "fc.1".into(),
                        "fc.1".into(),
                    ));
                }
            }
            modules.push(TorchModule::same("classifier".into()));
            modules
        }
        ModelConfig::ResNet(resnet) => {
            let mut modules = vec![
                TorchModule::same("conv1".into()),
                TorchModule::same("bn1".into()),
            ];
            let projections = resnet.shortcut == Shortcut::Projection;
            for (stage, blocks) in resnet.block_shortcuts().into_iter().enumerate() {
                for (i, kind) in blocks.into_iter().enumerate() {
                    let block = format!("layer{}.{i}", stage + 1);
                    for part in ["conv1", "bn1", "conv2", "bn2"] {
                        modules.push(TorchModule::same(format!("{block}.{part}")));
                    }
                    if projections && kind == crate::BlockShortcut::Projection {
                        for (ours, theirs) in [("conv", 0), ("norm", 1)] {
                            let torch = format!("{block}.shortcut.{theirs}");
                            modules.push(TorchModule::new(
                                format!("{block}.shortcut.{ours}"),
                                torch.clone(),
                                torch,
                            ));
                        }
                    }
                }
            }
            modules.push(TorchModule::same("linear".into()));
            modules
        }
    }
}
