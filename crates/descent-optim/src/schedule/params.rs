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
use super::{CyclicMode, ScheduleConfig, ScheduleKind, ScheduleUnit};
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
            } => ScheduleConfig::Cyclic {
                min_lr: p.min_lr.or(min_lr),
                step_size_up: p.step_size.or(step_size_up),
                step_size_down,
                mode: p.cyclic_mode.unwrap_or(mode),
                gamma: p.gamma.unwrap_or(gamma),
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

    #[test]
    fn every_setting_reaches_the_field_the_map_names() {
        // Each setting, given alone to each kind that uses it, changes exactly the field the
        // map names (read back through the config's JSON).
        for param in SCHEDULE_PARAMS {
            for (kind, field) in param.uses {
                let mut params = ScheduleParams::default();
                let text = match param.flag {
                    "milestones" => "3,7",
                    "cyclic-mode" => "triangular2",
                    _ => "7",
                };
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
