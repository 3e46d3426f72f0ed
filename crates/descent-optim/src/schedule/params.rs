//! [`ScheduleParams`]: the flat schedule settings a command line gives, the one map from each
//! of them to the schedules that use it ([`SCHEDULE_PARAMS`]), and their conversion into a
//! [`ScheduleConfig`] ([`ScheduleConfig::from_kind`], like
//! [`OptimizerConfig::from_kind`](crate::OptimizerConfig::from_kind)).
//!
//! `descent train`, `descent toy` and `descent schedule` share these settings: the command
//! line flags (one clap struct in the CLI), the keys of `descent toy --compare`, the check that
//! a flag is used by the chosen schedule, and the defaults of what is not given (the kind's
//! [`ScheduleKind::default_config`]) all come from here.

use super::validate::invalid;
use super::{CooldownShape, CyclicMode, ScheduleConfig, ScheduleKind, ScheduleUnit};
use crate::OptimError;

/// Schedule settings as flat, optional values; `None` (or an empty list) keeps the kind's
/// default (see [`ScheduleKind::default_config`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScheduleParams {
    /// `step`: units between decays; `cyclic`: batches of the rising half cycle.
    pub step_size: Option<usize>,
    /// `multistep`: the units at which the rate decays.
    pub milestones: Vec<usize>,
    /// Decay factor of `step`, `multistep`, `exponential`, and `cyclic`'s `exp_range`.
    pub gamma: Option<f64>,
    /// Lowest rate of `cosine` and `sgdr` (`eta_min`); `cyclic`'s lower bound (`min_lr`).
    pub min_lr: Option<f64>,
    /// `sgdr`: length of the first cycle (`T_0`).
    pub t0: Option<usize>,
    /// `sgdr`: cycle length multiplier (`T_mult`).
    pub t_mult: Option<usize>,
    /// `sgdr`: factor of the peak rate at each restart.
    pub restart_decay: Option<f64>,
    /// `cyclic`: the amplitude policy.
    pub cyclic_mode: Option<CyclicMode>,
    /// `poly`: the power.
    pub power: Option<f64>,
    /// Any kind: a linear warm-up from a tenth of the rate over this many epochs first (0 or
    /// `None`: none).
    pub warmup_epochs: Option<usize>,
    /// `cyclic`, `onecycle`: cycle the momentum inversely to the rate (PyTorch's `cycle_momentum`).
    pub cycle_momentum: Option<bool>,
    /// `cyclic`, `onecycle`: the momentum at the rate's peak.
    pub base_momentum: Option<f64>,
    /// `cyclic`, `onecycle`: the momentum at the rate's floor.
    pub max_momentum: Option<f64>,
    /// `timm-cosine`: length of the first cycle (`t_initial`).
    pub t_initial: Option<usize>,
    /// `timm-cosine`: cycle length multiplier, a float (`cycle_mul`).
    pub cycle_mul: Option<f64>,
    /// `timm-cosine`: peak factor per cycle (`cycle_decay`).
    pub cycle_decay: Option<f64>,
    /// `timm-cosine`: cycles before the rate stays at the floor (`cycle_limit`).
    pub cycle_limit: Option<usize>,
    /// `timm-cosine`: warm-up length (`warmup_t`).
    pub warmup_t: Option<usize>,
    /// `timm-cosine`: the warm-up's first rate (`warmup_lr_init`).
    pub warmup_lr_init: Option<f64>,
    /// `timm-cosine`: start the cosine after the warm-up (`warmup_prefix`).
    pub warmup_prefix: Option<bool>,
    /// `timm-cosine`: k-decay exponent (`k_decay`).
    pub k_decay: Option<f64>,
    /// `timm-cosine`: noise from a start, or over a start and an end (`noise_range_t`).
    pub noise_range_t: Vec<usize>,
    /// `timm-cosine`: bound of the relative noise (`noise_pct`).
    pub noise_pct: Option<f64>,
    /// `timm-cosine`: scale of the noise draw (`noise_std`).
    pub noise_std: Option<f64>,
    /// `timm-cosine`: seed of the noise (`noise_seed`).
    pub noise_seed: Option<u64>,
    /// `wsd`: fraction of training spent warming up.
    pub warmup_fraction: Option<f64>,
    /// `wsd`: fraction of training spent cooling down.
    pub decay_fraction: Option<f64>,
    /// `wsd`: the warm-up starts at the rate over this.
    pub init_div_factor: Option<f64>,
    /// `wsd`: shape of the cooldown.
    pub cooldown: Option<CooldownShape>,
}

/// One schedule setting as a command line names it: the flag, the config field it sets in
/// each kind that uses it, and how to read and report it.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleParam {
    /// The flag without `--` (and the key of `descent toy --compare`).
    pub flag: &'static str,
    /// The kinds that use it, and the [`ScheduleConfig`] field it sets in each.
    pub uses: &'static [(ScheduleKind, &'static str)],
    /// Whether `params` gives it.
    pub given: fn(&ScheduleParams) -> bool,
    /// Sets it in `params` from text (the value of a `--compare` key).
    pub set: fn(&mut ScheduleParams, &str) -> Result<(), OptimError>,
}

impl ScheduleParam {
    /// The config field this setting fills in `kind`, or `None` when `kind` does not use it.
    pub fn field(&self, kind: ScheduleKind) -> Option<&'static str> {
        self.uses
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, field)| *field)
    }

    /// The names of the kinds that use it, `step, cyclic`.
    pub fn kinds(&self) -> String {
        let names: Vec<&str> = self.uses.iter().map(|(k, _)| k.name()).collect();
        names.join(", ")
    }
}

fn number<T: core::str::FromStr>(flag: &'static str, text: &str) -> Result<T, OptimError> {
    text.trim()
        .parse()
        .map_err(|_| invalid(flag, text, "is not a number of the right kind"))
}

fn list(flag: &'static str, text: &str) -> Result<Vec<usize>, OptimError> {
    text.split([',', ';'])
        .filter(|part| !part.trim().is_empty())
        .map(|part| number(flag, part))
        .collect()
}

use ScheduleKind as K;

/// Every per-kind schedule setting, in the order `--help` lists them. `warmup_epochs` applies
/// to every kind and is not listed.
pub const SCHEDULE_PARAMS: &[ScheduleParam] = &[
    ScheduleParam {
        flag: "step-size",
        uses: &[(K::Step, "step_size"), (K::Cyclic, "step_size_up")],
        given: |p| p.step_size.is_some(),
        set: |p, v| {
            p.step_size = Some(number("step-size", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "milestones",
        uses: &[(K::MultiStep, "milestones")],
        given: |p| !p.milestones.is_empty(),
        set: |p, v| {
            p.milestones = list("milestones", v)?;
            Ok(())
        },
    },
    ScheduleParam {
        flag: "gamma",
        uses: &[
            (K::Step, "gamma"),
            (K::MultiStep, "gamma"),
            (K::Exponential, "gamma"),
            (K::Cyclic, "gamma"),
        ],
        given: |p| p.gamma.is_some(),
        set: |p, v| {
            p.gamma = Some(number("gamma", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "min-lr",
        uses: &[
            (K::Cosine, "eta_min"),
            (K::Sgdr, "eta_min"),
            (K::Cyclic, "min_lr"),
            (K::TimmCosine, "lr_min"),
            (K::Wsd, "min_lr"),
        ],
        given: |p| p.min_lr.is_some(),
        set: |p, v| {
            p.min_lr = Some(number("min-lr", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "t0",
        uses: &[(K::Sgdr, "t_0")],
        given: |p| p.t0.is_some(),
        set: |p, v| {
            p.t0 = Some(number("t0", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "t-mult",
        uses: &[(K::Sgdr, "t_mult")],
        given: |p| p.t_mult.is_some(),
        set: |p, v| {
            p.t_mult = Some(number("t-mult", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "restart-decay",
        uses: &[(K::Sgdr, "restart_decay")],
        given: |p| p.restart_decay.is_some(),
        set: |p, v| {
            p.restart_decay = Some(number("restart-decay", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "cyclic-mode",
        uses: &[(K::Cyclic, "mode")],
        given: |p| p.cyclic_mode.is_some(),
        set: |p, v| {
            p.cyclic_mode = Some(v.parse()?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "power",
        uses: &[(K::Poly, "power")],
        given: |p| p.power.is_some(),
        set: |p, v| {
            p.power = Some(number("power", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "cycle-momentum",
        uses: &[
            (K::Cyclic, "cycle_momentum"),
            (K::OneCycle, "cycle_momentum"),
        ],
        given: |p| p.cycle_momentum.is_some(),
        set: |p, v| {
            p.cycle_momentum = Some(number("cycle-momentum", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "base-momentum",
        uses: &[(K::Cyclic, "base_momentum"), (K::OneCycle, "base_momentum")],
        given: |p| p.base_momentum.is_some(),
        set: |p, v| {
            p.base_momentum = Some(number("base-momentum", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "max-momentum",
        uses: &[(K::Cyclic, "max_momentum"), (K::OneCycle, "max_momentum")],
        given: |p| p.max_momentum.is_some(),
        set: |p, v| {
            p.max_momentum = Some(number("max-momentum", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "t-initial",
        uses: &[(K::TimmCosine, "t_initial")],
        given: |p| p.t_initial.is_some(),
        set: |p, v| {
            p.t_initial = Some(number("t-initial", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "cycle-mul",
        uses: &[(K::TimmCosine, "cycle_mul")],
        given: |p| p.cycle_mul.is_some(),
        set: |p, v| {
            p.cycle_mul = Some(number("cycle-mul", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "cycle-decay",
        uses: &[(K::TimmCosine, "cycle_decay")],
        given: |p| p.cycle_decay.is_some(),
        set: |p, v| {
            p.cycle_decay = Some(number("cycle-decay", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "cycle-limit",
        uses: &[(K::TimmCosine, "cycle_limit")],
        given: |p| p.cycle_limit.is_some(),
        set: |p, v| {
            p.cycle_limit = Some(number("cycle-limit", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "warmup-t",
        uses: &[(K::TimmCosine, "warmup_t")],
        given: |p| p.warmup_t.is_some(),
        set: |p, v| {
            p.warmup_t = Some(number("warmup-t", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "warmup-lr-init",
        uses: &[(K::TimmCosine, "warmup_lr_init")],
        given: |p| p.warmup_lr_init.is_some(),
        set: |p, v| {
            p.warmup_lr_init = Some(number("warmup-lr-init", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "warmup-prefix",
        uses: &[(K::TimmCosine, "warmup_prefix")],
        given: |p| p.warmup_prefix.is_some(),
        set: |p, v| {
            p.warmup_prefix = Some(number("warmup-prefix", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "k-decay",
        uses: &[(K::TimmCosine, "k_decay")],
        given: |p| p.k_decay.is_some(),
        set: |p, v| {
            p.k_decay = Some(number("k-decay", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "noise-range-t",
        uses: &[(K::TimmCosine, "noise_range_t")],
        given: |p| !p.noise_range_t.is_empty(),
        set: |p, v| {
            p.noise_range_t = list("noise-range-t", v)?;
            Ok(())
        },
    },
    ScheduleParam {
        flag: "noise-pct",
        uses: &[(K::TimmCosine, "noise_pct")],
        given: |p| p.noise_pct.is_some(),
        set: |p, v| {
            p.noise_pct = Some(number("noise-pct", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "noise-std",
        uses: &[(K::TimmCosine, "noise_std")],
        given: |p| p.noise_std.is_some(),
        set: |p, v| {
            p.noise_std = Some(number("noise-std", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "noise-seed",
        uses: &[(K::TimmCosine, "noise_seed")],
        given: |p| p.noise_seed.is_some(),
        set: |p, v| {
            p.noise_seed = Some(number("noise-seed", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "warmup-fraction",
        uses: &[(K::Wsd, "warmup_fraction")],
        given: |p| p.warmup_fraction.is_some(),
        set: |p, v| {
            p.warmup_fraction = Some(number("warmup-fraction", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "decay-fraction",
        uses: &[(K::Wsd, "decay_fraction")],
        given: |p| p.decay_fraction.is_some(),
        set: |p, v| {
            p.decay_fraction = Some(number("decay-fraction", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "init-div-factor",
        uses: &[(K::Wsd, "init_div_factor")],
        given: |p| p.init_div_factor.is_some(),
        set: |p, v| {
            p.init_div_factor = Some(number("init-div-factor", v)?);
            Ok(())
        },
    },
    ScheduleParam {
        flag: "cooldown",
        uses: &[(K::Wsd, "cooldown")],
        given: |p| p.cooldown.is_some(),
        set: |p, v| {
            p.cooldown = Some(v.parse()?);
            Ok(())
        },
    },
];

/// The setting named by `flag` (or `--compare` key), if any.
pub fn schedule_param(flag: &str) -> Option<&'static ScheduleParam> {
    SCHEDULE_PARAMS.iter().find(|p| p.flag == flag)
}

/// The warm-up `--warmup-epochs` puts first: from a tenth of the rate, per batch.
const WARMUP_START_FACTOR: f64 = 0.1;

impl ScheduleConfig {
    /// Builds the configuration of `kind` from flat settings: the kind's defaults
    /// ([`ScheduleKind::default_config`]) with the given settings in their fields, and a
    /// linear warm-up first when `warmup_epochs` asks for one. A setting the kind does not use
    /// is an error rather than silently ignored.
    ///
    /// ```
    /// use descent_optim::schedule::{ScheduleConfig, ScheduleKind, ScheduleParams};
    ///
    /// let params = ScheduleParams { t0: Some(10), t_mult: Some(2), ..Default::default() };
    /// let config = ScheduleConfig::from_kind(ScheduleKind::Sgdr, &params)?;
    /// assert!(matches!(config, ScheduleConfig::WarmRestarts { t_0: 10, t_mult: 2, .. }));
    /// let err = ScheduleConfig::from_kind(ScheduleKind::Step, &params).unwrap_err();
    /// assert!(err.to_string().contains("does not use --t0"));
    /// # Ok::<(), descent_optim::OptimError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidConfig`] (field `schedule`) naming a flag the kind does not use
    /// and the kinds that do. Values are checked by [`ScheduleConfig::init`].
    pub fn from_kind(kind: ScheduleKind, params: &ScheduleParams) -> Result<Self, OptimError> {
        for param in SCHEDULE_PARAMS {
            if (param.given)(params) && param.field(kind).is_none() {
                let field = param.uses.first().map_or("", |(_, f)| *f);
                return Err(invalid(
                    "schedule",
                    kind,
                    format!(
                        "--schedule {kind} does not use --{} (the flag for `{field}`; it applies \
                         to: {})",
                        param.flag,
                        param.kinds()
                    ),
                ));
            }
        }
        let p = params;
        let main = match kind.default_config() {
            ScheduleConfig::Step {
                step_size,
                gamma,
                unit,
            } => ScheduleConfig::Step {
                step_size: p.step_size.unwrap_or(step_size),
                gamma: p.gamma.unwrap_or(gamma),
                unit,
            },
            ScheduleConfig::MultiStep {
                milestones,
                gamma,
                unit,
            } => ScheduleConfig::MultiStep {
                milestones: if p.milestones.is_empty() {
                    milestones
                } else {
                    p.milestones.clone()
                },
                gamma: p.gamma.unwrap_or(gamma),
                unit,
            },
            ScheduleConfig::Exponential { gamma, unit } => ScheduleConfig::Exponential {
                gamma: p.gamma.unwrap_or(gamma),
                unit,
            },
            ScheduleConfig::Polynomial {
                total_iters,
                power,
                end_lr,
                unit,
            } => ScheduleConfig::Polynomial {
                total_iters,
                power: p.power.unwrap_or(power),
                end_lr,
                unit,
            },
            ScheduleConfig::Cosine {
                t_max,
                eta_min,
                unit,
            } => ScheduleConfig::Cosine {
                t_max,
                eta_min: p.min_lr.unwrap_or(eta_min),
                unit,
            },
            ScheduleConfig::WarmRestarts {
                t_0,
                t_mult,
                eta_min,
                restart_decay,
                unit,
            } => ScheduleConfig::WarmRestarts {
                t_0: p.t0.unwrap_or(t_0),
                t_mult: p.t_mult.unwrap_or(t_mult),
                eta_min: p.min_lr.unwrap_or(eta_min),
                restart_decay: p.restart_decay.unwrap_or(restart_decay),
                unit,
            },
            ScheduleConfig::Cyclic {
                min_lr,
                step_size_up,
                step_size_down,
                mode,
                gamma,
                cycle_momentum,
                base_momentum,
                max_momentum,
            } => ScheduleConfig::Cyclic {
                min_lr: p.min_lr.or(min_lr),
                step_size_up: p.step_size.or(step_size_up),
                step_size_down,
                mode: p.cyclic_mode.unwrap_or(mode),
                gamma: p.gamma.unwrap_or(gamma),
                cycle_momentum: p.cycle_momentum.unwrap_or(cycle_momentum),
                base_momentum: p.base_momentum.unwrap_or(base_momentum),
                max_momentum: p.max_momentum.unwrap_or(max_momentum),
            },
            ScheduleConfig::OneCycle {
                total_steps,
                pct_start,
                anneal_strategy,
                div_factor,
                final_div_factor,
                three_phase,
                cycle_momentum,
                base_momentum,
                max_momentum,
            } => ScheduleConfig::OneCycle {
                total_steps,
                pct_start,
                anneal_strategy,
                div_factor,
                final_div_factor,
                three_phase,
                cycle_momentum: p.cycle_momentum.unwrap_or(cycle_momentum),
                base_momentum: p.base_momentum.unwrap_or(base_momentum),
                max_momentum: p.max_momentum.unwrap_or(max_momentum),
            },
            ScheduleConfig::TimmCosine {
                t_initial,
                lr_min,
                cycle_mul,
                cycle_decay,
                cycle_limit,
                warmup_t,
                warmup_lr_init,
                warmup_prefix,
                k_decay,
                noise_range_t,
                noise_pct,
                noise_std,
                noise_seed,
                unit,
            } => ScheduleConfig::TimmCosine {
                t_initial: p.t_initial.or(t_initial),
                lr_min: p.min_lr.unwrap_or(lr_min),
                cycle_mul: p.cycle_mul.unwrap_or(cycle_mul),
                cycle_decay: p.cycle_decay.unwrap_or(cycle_decay),
                cycle_limit: p.cycle_limit.unwrap_or(cycle_limit),
                warmup_t: p.warmup_t.unwrap_or(warmup_t),
                warmup_lr_init: p.warmup_lr_init.unwrap_or(warmup_lr_init),
                warmup_prefix: p.warmup_prefix.unwrap_or(warmup_prefix),
                k_decay: p.k_decay.unwrap_or(k_decay),
                noise_range_t: if p.noise_range_t.is_empty() {
                    noise_range_t
                } else {
                    p.noise_range_t.clone()
                },
                noise_pct: p.noise_pct.unwrap_or(noise_pct),
                noise_std: p.noise_std.unwrap_or(noise_std),
                noise_seed: p.noise_seed.unwrap_or(noise_seed),
                unit,
            },
            ScheduleConfig::Wsd {
                warmup_fraction,
                decay_fraction,
                init_div_factor,
                cooldown,
                min_lr,
            } => ScheduleConfig::Wsd {
                warmup_fraction: p.warmup_fraction.unwrap_or(warmup_fraction),
                decay_fraction: p.decay_fraction.unwrap_or(decay_fraction),
                init_div_factor: p.init_div_factor.unwrap_or(init_div_factor),
                cooldown: p.cooldown.unwrap_or(cooldown),
                min_lr: p.min_lr.unwrap_or(min_lr),
            },
            other => other,
        };
        Ok(match p.warmup_epochs {
            None | Some(0) => main,
            Some(epochs) => ScheduleConfig::Sequence {
                schedules: vec![
                    ScheduleConfig::Warmup {
                        start_factor: WARMUP_START_FACTOR,
                        end_factor: 1.0,
                        total_iters: epochs,
                        unit: ScheduleUnit::FractionalEpoch,
                    },
                    main,
                ],
                milestones: vec![epochs],
                unit: ScheduleUnit::Epoch,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value each setting parses, different from every default.
    pub(crate) fn example(flag: &str) -> &'static str {
        match flag {
            "milestones" | "noise-range-t" => "3,7",
            "cyclic-mode" => "triangular2",
            "cooldown" => "linear",
            "cycle-momentum" => "false",
            "warmup-prefix" => "true",
            _ => "7",
        }
    }

    #[test]
    fn every_setting_reaches_the_field_the_map_names() {
        // Each setting, given alone to each kind that uses it, changes exactly the field the
        // map names (read back through the config's JSON).
        for param in SCHEDULE_PARAMS {
            for (kind, field) in param.uses {
                let mut params = ScheduleParams::default();
                let text = example(param.flag);
                (param.set)(&mut params, text).expect("valid text");
                assert!((param.given)(&params), "{}", param.flag);
                let default = serde_json::to_value(kind.default_config()).expect("json");
                let built = ScheduleConfig::from_kind(*kind, &params).expect("valid");
                let built = serde_json::to_value(built).expect("json");
                let changed: Vec<&String> = built
                    .as_object()
                    .expect("object")
                    .iter()
                    .filter(|(k, v)| default.get(k.as_str()) != Some(v))
                    .map(|(k, _)| k)
                    .collect();
                assert_eq!(changed, [field], "--{} on {kind}", param.flag);
            }
        }
    }

    #[test]
    fn a_setting_of_another_kind_is_refused_naming_flag_and_field() {
        let params = ScheduleParams {
            t0: Some(2),
            ..ScheduleParams::default()
        };
        let err = ScheduleConfig::from_kind(ScheduleKind::Step, &params).expect_err("t0");
        let text = err.to_string();
        assert!(
            text.contains("--t0") && text.contains("t_0") && text.contains("sgdr"),
            "{text}"
        );
    }

    #[test]
    fn warm_up_goes_first_for_its_epochs() {
        let params = ScheduleParams {
            warmup_epochs: Some(2),
            ..ScheduleParams::default()
        };
        let config = ScheduleConfig::from_kind(ScheduleKind::Cosine, &params).expect("valid");
        let json: serde_json::Value = serde_json::to_value(&config).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "kind": "sequence",
                "schedules": [
                    {"kind": "warmup", "start_factor": 0.1, "end_factor": 1.0,
                     "total_iters": 2, "unit": "fractional-epoch"},
                    {"kind": "cosine", "t_max": null, "eta_min": 0.0, "unit": "epoch"}
                ],
                "milestones": [2],
                "unit": "epoch"
            })
        );
    }

    #[test]
    fn a_misspelt_field_in_a_file_is_refused_not_dropped() {
        let err =
            serde_json::from_str::<ScheduleConfig>(r#"{"kind": "sgdr", "t_0": 10, "t_mlt": 2}"#)
                .expect_err("t_mlt is no field");
        assert!(err.to_string().contains("t_mlt"), "{err}");
    }
}
