//! `descent import`: a PyTorch `state_dict` read into one of our architectures and saved as a
//! model folder (`model.bpk`, `model.json`) that every command reads.
//!
//! The PyTorch layouts each architecture must follow are those of
//! [`descent_models::torch::torch_modules`]: an `nn.Sequential` MLP, kuangliu's and
//! loss-landscape's VGGs, loss-landscape's CIFAR ResNets.

use descent_train::TrainError;
use descent_train::layout;

use crate::args::ImportArgs;

/// Runs `descent import`.
pub fn run(device_name: &str, args: ImportArgs) -> anyhow::Result<()> {
    if args.torch.model.is_none() {
        anyhow::bail!(TrainError::InvalidOption {
            field: "model",
            value: String::new(),
            reason: "name the architecture the file holds: --model mlp, vgg9..vgg19 or \
                     resnet20..resnet110 (with --width, --no-shortcuts, ... as it was built)"
                .into(),
        });
    }
    for name in [layout::MODEL, layout::MODEL_CARD] {
        let existing = args.out.join(name);
        if existing.exists() {
            anyhow::bail!(TrainError::InvalidOption {
                field: "out",
                value: args.out.display().to_string(),
                reason: format!("already holds {name}; choose another folder"),
            });
        }
    }
    let card = args
        .torch
        .card(Some(args.dataset), args.data_dir.clone())?
        .ok_or_else(|| anyhow::anyhow!("--model is required"))?;
    let (_, device) = super::open_device(device_name)?;
    let model = descent_train::import::import_model(&card, &args.file, &device)?;
    descent_train::import::save_model(&card, &model, &args.out)?;
    println!(
        "imported {} ({} parameters) from {} into {}",
        card.model.describe(),
        model.num_trainable_params(),
        args.file.display(),
        args.out.display()
    );
    Ok(())
}
