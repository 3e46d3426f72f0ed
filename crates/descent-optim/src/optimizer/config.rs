//! One serializable config for any of our optimizers, and its construction from CLI flags.

use burn::config::Config;
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};

use super::adam::{AdamConfig, AdamWConfig};
use super::clipping::{GradClipping, clip_with};
use super::cycled::MomentumHandle;
use super::kind::OptimizerKind;
use super::momentum::MomentumConfig;
use super::rmsprop::RmsPropConfig;
use super::sgd::SgdConfig;
use super::validate::invalid;
use super::weight_decay::{WeightDecayConfig, WeightDecayMode};
use crate::OptimError;

/// Any of our optimizers, as stored in a run config (serde: `{"Sgd": {..}}`, `{"AdamW": {..}}`).
///
/// The training loop does, every step:
///
/// ```
/// # use burn::nn::LinearConfig;
/// # use burn::optim::GradientsParams;
/// # use burn::tensor::{Device, Tensor};
/// # use descent_optim::{OptimizerConfig, OptimizerKind, OptimizerParams};
/// # let device = Device::flex().autodiff();
/// # let mut model = LinearConfig::new(3, 1).init(&device);
/// let params = OptimizerParams { clip_norm: Some(1.0), ..OptimizerParams::default() };
/// let config = OptimizerConfig::from_kind(OptimizerKind::Nesterov, &params)?;
/// let mut optim = config.init()?;
/// # let loss = model.forward(Tensor::<2>::ones([4, 3], &device)).sum();
/// let grads = GradientsParams::from_grads(loss.backward(), &model);
/// let grads = config.clip_gradients(&model, grads); // global-norm clipping, if configured
/// model = optim.step(0.1, model, grads);
/// # Ok::<(), descent_optim::OptimError>(())
/// ```
#[derive(Config, Debug, PartialEq)]
pub enum OptimizerConfig {
    /// SGD, heavy-ball or Nesterov momentum.
    Sgd(SgdConfig),
    /// RMSProp.
    RmsProp(RmsPropConfig),
    /// Adam.
    Adam(AdamConfig),
    /// AdamW.
    AdamW(AdamWConfig),
}

impl OptimizerConfig {
    /// Validate and build the module optimizer (value / per-tensor clipping attached).
    pub fn init(&self) -> Result<ModuleOptimizer, OptimError> {
        match self {
            Self::Sgd(c) => c.init(),
            Self::RmsProp(c) => c.init(),
            Self::Adam(c) => c.init(),
            Self::AdamW(c) => c.init(),
        }
    }

    /// [`init`](Self::init), with the momentum (SGD's `μ`, RMSProp's momentum, Adam's `β1`)
    /// taken from `handle` whenever it is set: for schedules that cycle the momentum (see
    /// [`MomentumHandle`]).
    pub fn init_with_momentum(
        &self,
        handle: &MomentumHandle,
    ) -> Result<ModuleOptimizer, OptimError> {
        match self {
            Self::Sgd(c) => c.init_with_momentum(handle),
            Self::RmsProp(c) => c.init_with_momentum(handle),
            Self::Adam(c) => c.init_with_momentum(handle),
            Self::AdamW(c) => c.init_with_momentum(handle),
        }
    }

    /// Check every field.
    pub fn validate(&self) -> Result<(), OptimError> {
        match self {
            Self::Sgd(c) => c.validate(),
            Self::RmsProp(c) => c.validate(),
            Self::Adam(c) => c.validate(),
            Self::AdamW(c) => c.validate(),
        }
    }

    /// The configured gradient clipping.
    pub fn grad_clipping(&self) -> Option<&GradClipping> {
        match self {
            Self::Sgd(c) => c.grad_clipping.as_ref(),
            Self::RmsProp(c) => c.grad_clipping.as_ref(),
            Self::Adam(c) => c.grad_clipping.as_ref(),
            Self::AdamW(c) => c.grad_clipping.as_ref(),
        }
    }

    /// Apply global-norm clipping if configured (a no-op otherwise). The loop calls this
    /// between `backward` and `step`; the `ModuleOptimizer` cannot, as it sees one tensor at
    /// a time.
    pub fn clip_gradients<M: Module>(&self, module: &M, grads: GradientsParams) -> GradientsParams {
        clip_with(self.grad_clipping(), module, grads)
    }

    /// The family: SGD with a non-zero momentum reports `Momentum` or `Nesterov`.
    pub fn kind(&self) -> OptimizerKind {
        match self {
            Self::Sgd(c) => match &c.momentum {
                Some(m) if m.momentum > 0.0 && m.nesterov => OptimizerKind::Nesterov,
                Some(m) if m.momentum > 0.0 => OptimizerKind::Momentum,
                _ => OptimizerKind::Sgd,
            },
            Self::RmsProp(_) => OptimizerKind::RmsProp,
            Self::Adam(_) => OptimizerKind::Adam,
            Self::AdamW(_) => OptimizerKind::AdamW,
        }
    }

    /// Build a validated config from a family and flat CLI-style settings.
    ///
    /// | kind       | uses                                                                  |
    /// |------------|-----------------------------------------------------------------------|
    /// | `sgd`      | `momentum` (default 0: plain), `dampening`, weight decay, `maximize`  |
    /// | `momentum` | `momentum` (default 0.9, must be > 0), `dampening`, decay, `maximize` |
    /// | `nesterov` | as `momentum`, Nesterov; `dampening` must be 0                        |
    /// | `rmsprop`  | `alpha`, `eps`, `momentum` (default 0), `centered`, decay, `maximize` |
    /// | `adam`     | `beta1`, `beta2`, `eps`, decay, `amsgrad`, `maximize`                 |
    /// | `adamw`    | as `adam`; decay always decoupled, `weight_decay` default 0.01        |
    ///
    /// "decay" is `weight_decay` (default 0) with `decoupled_weight_decay`; every kind takes
    /// `clip_value` or `clip_norm` (global norm), not both. Fields a kind does not use are
    /// ignored. Errors name the offending field.
    pub fn from_kind(kind: OptimizerKind, params: &OptimizerParams) -> Result<Self, OptimError> {
        let grad_clipping = match (params.clip_value, params.clip_norm) {
            (Some(_), Some(norm)) => {
                return Err(invalid(
                    "clip_norm",
                    norm,
                    "cannot be combined with clip_value; choose one",
                ));
            }
            (Some(value), None) => Some(GradClipping::Value(value)),
            (None, Some(norm)) => Some(GradClipping::GlobalNorm(norm)),
            (None, None) => None,
        };
        let decay = params.weight_decay.unwrap_or(0.0);
        let weight_decay = (decay != 0.0).then_some(WeightDecayConfig {
            penalty: decay,
            mode: if params.decoupled_weight_decay {
                WeightDecayMode::Decoupled
            } else {
                WeightDecayMode::Coupled
            },
        });
        let sgd = |momentum: f64, nesterov: bool| {
            Self::Sgd(SgdConfig {
                momentum: (momentum != 0.0 || nesterov).then_some(MomentumConfig {
                    momentum,
                    dampening: params.dampening,
                    nesterov,
                }),
                weight_decay: weight_decay.clone(),
                maximize: params.maximize,
                grad_clipping: grad_clipping.clone(),
            })
        };
        let config = match kind {
            OptimizerKind::Sgd => sgd(params.momentum.unwrap_or(0.0), false),
            OptimizerKind::Momentum | OptimizerKind::Nesterov => {
                let momentum = params.momentum.unwrap_or(DEFAULT_MOMENTUM);
                if momentum <= 0.0 && kind == OptimizerKind::Momentum {
                    return Err(invalid(
                        "momentum",
                        momentum,
                        "must be > 0 for the momentum optimizer (use sgd for none)",
                    ));
                }
                sgd(momentum, kind == OptimizerKind::Nesterov)
            }
            OptimizerKind::RmsProp => Self::RmsProp(RmsPropConfig {
                alpha: params.alpha,
                eps: params.eps,
                momentum: params.momentum.unwrap_or(0.0),
                centered: params.centered,
                weight_decay,
                maximize: params.maximize,
                grad_clipping,
            }),
            OptimizerKind::Adam => Self::Adam(AdamConfig {
                beta_1: params.beta1,
                beta_2: params.beta2,
                eps: params.eps,
                weight_decay,
                amsgrad: params.amsgrad,
                maximize: params.maximize,
                grad_clipping,
            }),
            OptimizerKind::AdamW => Self::AdamW(AdamWConfig {
                beta_1: params.beta1,
                beta_2: params.beta2,
                eps: params.eps,
                weight_decay: params.weight_decay.unwrap_or(DEFAULT_ADAMW_WEIGHT_DECAY),
                amsgrad: params.amsgrad,
                maximize: params.maximize,
                grad_clipping,
            }),
        };
        config.validate()?;
        Ok(config)
    }
}

impl From<SgdConfig> for OptimizerConfig {
    fn from(config: SgdConfig) -> Self {
        Self::Sgd(config)
    }
}

impl From<RmsPropConfig> for OptimizerConfig {
    fn from(config: RmsPropConfig) -> Self {
        Self::RmsProp(config)
    }
}

impl From<AdamConfig> for OptimizerConfig {
    fn from(config: AdamConfig) -> Self {
        Self::Adam(config)
    }
}

impl From<AdamWConfig> for OptimizerConfig {
    fn from(config: AdamWConfig) -> Self {
        Self::AdamW(config)
    }
}

/// Momentum factor of the `momentum` and `nesterov` kinds when none is given.
pub const DEFAULT_MOMENTUM: f64 = 0.9;
/// Weight decay of the `adamw` kind when none is given (PyTorch's default).
pub const DEFAULT_ADAMW_WEIGHT_DECAY: f64 = 1e-2;

/// Flat optimizer settings, as CLI flags give them; see
/// [`OptimizerConfig::from_kind`] for which kind uses which field. `Default` gives
/// PyTorch's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizerParams {
    /// Momentum factor in `[0, 1)`; `None`: 0.9 for `momentum`/`nesterov`, 0 otherwise.
    pub momentum: Option<f64>,
    /// SGD momentum dampening in `[0, 1]` (default 0; must be 0 for Nesterov).
    pub dampening: f64,
    /// Weight decay `>= 0`; `None`: 0.01 for `adamw`, 0 otherwise.
    pub weight_decay: Option<f64>,
    /// Decoupled (AdamW-style) instead of coupled (L2) decay; `adamw` is always decoupled.
    pub decoupled_weight_decay: bool,
    /// Adam's `β₁` in `[0, 1)` (default 0.9).
    pub beta1: f64,
    /// Adam's `β₂` in `[0, 1)` (default 0.999).
    pub beta2: f64,
    /// `ε > 0` of RMSProp and Adam (default 1e-8).
    pub eps: f64,
    /// RMSProp's smoothing constant in `[0, 1)` (default 0.99).
    pub alpha: f64,
    /// Centered RMSProp.
    pub centered: bool,
    /// AMSGrad for Adam/AdamW.
    pub amsgrad: bool,
    /// Ascend instead of descend.
    pub maximize: bool,
    /// Clip gradient elements to `[-c, c]`.
    pub clip_value: Option<f32>,
    /// Clip the global gradient norm to `c` (over all parameters, like PyTorch's
    /// `clip_grad_norm_`; applied by [`OptimizerConfig::clip_gradients`]).
    pub clip_norm: Option<f32>,
}

impl Default for OptimizerParams {
    fn default() -> Self {
        Self {
            momentum: None,
            dampening: 0.0,
            weight_decay: None,
            decoupled_weight_decay: false,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            alpha: 0.99,
            centered: false,
            amsgrad: false,
            maximize: false,
            clip_value: None,
            clip_norm: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(result: Result<OptimizerConfig, OptimError>) -> &'static str {
        match result {
            Err(OptimError::InvalidConfig { field, .. }) => field,
            Err(other) => panic!("unexpected error: {other}"),
            Ok(_) => "ok",
        }
    }

    #[test]
    fn every_kind_builds_with_defaults_and_reports_its_kind() {
        for kind in OptimizerKind::ALL {
            let config = OptimizerConfig::from_kind(kind, &OptimizerParams::default()).unwrap();
            assert_eq!(config.kind(), kind);
            assert!(config.init().is_ok());
        }
    }

    #[test]
    fn kinds_map_to_the_expected_configs() {
        let params = OptimizerParams {
            momentum: Some(0.8),
            weight_decay: Some(5e-4),
            clip_norm: Some(2.0),
            ..OptimizerParams::default()
        };
        let nesterov = OptimizerConfig::from_kind(OptimizerKind::Nesterov, &params).unwrap();
        assert_eq!(
            nesterov,
            OptimizerConfig::Sgd(
                SgdConfig::new()
                    .with_momentum(Some(MomentumConfig::new(0.8).with_nesterov(true)))
                    .with_weight_decay(Some(WeightDecayConfig::new(5e-4)))
                    .with_grad_clipping(Some(GradClipping::GlobalNorm(2.0)))
            )
        );
        let sgd = OptimizerConfig::from_kind(OptimizerKind::Sgd, &OptimizerParams::default());
        assert_eq!(sgd.unwrap(), OptimizerConfig::Sgd(SgdConfig::new()));
        let adamw =
            OptimizerConfig::from_kind(OptimizerKind::AdamW, &OptimizerParams::default()).unwrap();
        assert_eq!(adamw, OptimizerConfig::AdamW(AdamWConfig::new()));
        let decoupled = OptimizerParams {
            weight_decay: Some(0.1),
            decoupled_weight_decay: true,
            ..OptimizerParams::default()
        };
        let adam = OptimizerConfig::from_kind(OptimizerKind::Adam, &decoupled).unwrap();
        assert_eq!(
            adam,
            OptimizerConfig::Adam(
                AdamConfig::new().with_weight_decay(Some(WeightDecayConfig::decoupled(0.1)))
            )
        );
    }

    #[test]
    fn invalid_settings_are_typed_errors_naming_the_field() {
        let with = |f: fn(&mut OptimizerParams)| {
            let mut params = OptimizerParams::default();
            f(&mut params);
            params
        };
        let cases: [(OptimizerKind, OptimizerParams, &str); 14] = [
            (
                OptimizerKind::Momentum,
                with(|p| p.momentum = Some(1.0)),
                "momentum",
            ),
            (
                OptimizerKind::Momentum,
                with(|p| p.momentum = Some(-0.5)),
                "momentum",
            ),
            (
                OptimizerKind::Momentum,
                with(|p| p.momentum = Some(0.0)),
                "momentum",
            ),
            (
                OptimizerKind::Nesterov,
                with(|p| p.dampening = 0.1),
                "dampening",
            ),
            (
                OptimizerKind::Nesterov,
                with(|p| p.momentum = Some(0.0)),
                "momentum",
            ),
            (
                OptimizerKind::Sgd,
                with(|p| p.weight_decay = Some(-1e-4)),
                "weight_decay",
            ),
            (OptimizerKind::RmsProp, with(|p| p.eps = 0.0), "eps"),
            (OptimizerKind::RmsProp, with(|p| p.alpha = 1.0), "alpha"),
            (
                OptimizerKind::RmsProp,
                with(|p| p.momentum = Some(1.2)),
                "momentum",
            ),
            (OptimizerKind::Adam, with(|p| p.beta1 = 1.0), "beta_1"),
            (OptimizerKind::Adam, with(|p| p.beta2 = -0.1), "beta_2"),
            (OptimizerKind::AdamW, with(|p| p.eps = -1e-8), "eps"),
            (
                OptimizerKind::AdamW,
                with(|p| p.clip_value = Some(-1.0)),
                "clip_value",
            ),
            (
                OptimizerKind::Adam,
                with(|p| {
                    p.clip_value = Some(1.0);
                    p.clip_norm = Some(1.0);
                }),
                "clip_norm",
            ),
        ];
        for (kind, params, expected) in cases {
            assert_eq!(
                field(OptimizerConfig::from_kind(kind, &params)),
                expected,
                "{kind} {params:?}"
            );
        }
    }

    #[test]
    fn init_rejects_invalid_configs_built_by_hand() {
        let bad = [
            OptimizerConfig::Sgd(
                SgdConfig::new().with_momentum(Some(
                    MomentumConfig::new(0.9)
                        .with_dampening(0.5)
                        .with_nesterov(true),
                )),
            ),
            OptimizerConfig::Adam(AdamConfig::new().with_beta_2(1.0)),
            OptimizerConfig::AdamW(AdamWConfig::new().with_weight_decay(-0.01)),
            OptimizerConfig::RmsProp(RmsPropConfig::new().with_eps(0.0)),
        ];
        let fields: Vec<&str> = bad
            .iter()
            .map(|config| match config.init() {
                Err(OptimError::InvalidConfig { field, .. }) => field,
                Err(other) => panic!("unexpected error: {other}"),
                Ok(_) => "ok",
            })
            .collect();
        assert_eq!(fields, ["dampening", "beta_2", "weight_decay", "eps"]);
    }

    #[test]
    fn config_round_trips_through_json() {
        let params = OptimizerParams {
            momentum: Some(0.5),
            weight_decay: Some(0.01),
            decoupled_weight_decay: true,
            clip_value: Some(0.25),
            centered: true,
            ..OptimizerParams::default()
        };
        for kind in OptimizerKind::ALL {
            let config = OptimizerConfig::from_kind(kind, &params).unwrap();
            let json = serde_json::to_string(&config).unwrap();
            let back: OptimizerConfig = serde_json::from_str(&json).unwrap();
            assert_eq!(back, config, "{json}");
        }
    }
}
