//! [`OptimizerArgs`]: the optimizer flags, one clap struct flattened into `descent train` and
//! `descent toy` (which changes the defaults of `--optimizer` and `--lr`, see `args.rs`).
//! What the settings mean and their defaults per optimizer live in `descent_optim`
//! ([`OptimizerParams`], [`OptimizerConfig::from_kind`](descent_optim::OptimizerConfig::from_kind)).

use clap::Args;
use descent_optim::{OptimizerKind, OptimizerParams};

use crate::values::named;

/// The optimizer and its settings.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Optimization")]
pub struct OptimizerArgs {
    /// Optimizer.
    #[arg(long, default_value = "momentum", value_parser = named(OptimizerKind::ALL, OptimizerKind::as_str))]
    pub optimizer: OptimizerKind,
    /// Learning rate (the peak rate for schedules that vary it).
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub lr: f64,
    /// Momentum coefficient (momentum, nesterov: default 0.9; rmsprop: default 0, in
    /// `descent train` 0.9); cyclic and onecycle schedules cycle it (see --cycle-momentum).
    #[arg(long)]
    pub momentum: Option<f64>,
    /// Momentum dampening (PyTorch's default: 0).
    #[arg(long, default_value_t = 0.0)]
    pub dampening: f64,
    /// Weight decay (L2 added to the gradient, as torch.optim.SGD; adamw default 0.01, in
    /// `descent train` 0).
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Apply weight decay decoupled from the gradient (SGDW/AdamW) instead.
    #[arg(long)]
    pub decoupled_weight_decay: bool,
    /// Clip the gradient's global norm to this value.
    #[arg(long)]
    pub clip_norm: Option<f64>,
    /// Clip each gradient element to [-v, v].
    #[arg(long)]
    pub clip_value: Option<f64>,
    /// Adam/AdamW beta1; cyclic and onecycle schedules cycle it (see --cycle-momentum).
    #[arg(long, default_value_t = 0.9)]
    pub beta1: f64,
    /// Adam/AdamW beta2.
    #[arg(long, default_value_t = 0.999)]
    pub beta2: f64,
    /// Adam/AdamW/RMSProp epsilon.
    #[arg(long, default_value_t = 1e-8)]
    pub eps: f64,
}

impl OptimizerArgs {
    /// The flags as the library's flat settings (`None` where the optimizer's own default
    /// applies).
    pub fn params(&self) -> OptimizerParams {
        OptimizerParams {
            momentum: self.momentum,
            dampening: self.dampening,
            weight_decay: self.weight_decay,
            decoupled_weight_decay: self.decoupled_weight_decay,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            clip_value: self.clip_value.map(|v| v as f32),
            clip_norm: self.clip_norm.map(|v| v as f32),
            ..OptimizerParams::default()
        }
    }
}
