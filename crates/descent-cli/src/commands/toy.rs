//! `descent toy`: optimizer paths on analytic surfaces (flags -> [`WalkConfig`]s -> paths).
//!
//! ```text
//! descent toy --function rosenbrock --optimizer momentum --lr 0.001 --steps 500 --out p.csv
//! descent toy --function two-wells --optimizer sgd --lr 0.5 --steps 200 --schedule cosine \
//!             --compare "sgd:schedule=sgdr,t0=30" --out wells.json
//! descent toy --function saddle --start=1,0 --lr 0.05 --steps 60 --compare "sgd:noise=0.1,seed=7"
//! ```

use std::path::PathBuf;

use burn::tensor::Device;
use clap::{Args, ValueEnum};
use descent_optim::OptimizerConfig;
use descent_optim::schedule::{
    SCHEDULE_PARAMS, ScheduleConfig, ScheduleKind, ScheduleParams, schedule_param,
};
use descent_plot::{PlotError, SurfaceStyle};
use descent_toy::{
    GradientNoise, Path, PlotOptions, ToyError, ToyFunction, WalkConfig, draw_paths, write_paths,
};
use descent_train::TrainError;

use crate::optimizer_args::OptimizerArgs;
use crate::schedule_args::ScheduleArgs;
use crate::values::{listed, named};

/// `descent toy`: walk an analytic surface with any optimizer and schedule, write the path.
///
/// Prints one line per path (final point, loss, divergence). Several optimizers can be run
/// side by side with repeated `--compare KIND[:key=value,...]`; each comparison starts from
/// the flags given and overrides the keys listed (lr, momentum, dampening, weight-decay,
/// beta1, beta2, eps, noise, seed, label, schedule, t0, t-mult, min-lr, gamma, step-size,
/// restart-decay, power), e.g. `--compare "nesterov:lr=0.002,momentum=0.95"`.
#[derive(Debug, Clone, Args)]
pub struct ToyArgs {
    // ----- surface -----
    /// The surface: `bowl[:KAPPA]` (default condition number 10), saddle, monkey-saddle,
    /// rosenbrock, himmelblau, rastrigin, ackley, beale, six-hump-camel, two-wells (1-D).
    #[arg(
        long,
        default_value = "rosenbrock",
        value_parser = named(ToyFunction::ALL, |f| f.name()),
        help_heading = "Surface"
    )]
    pub function: ToyFunction,
    /// Start point, `x,y` (or `x` for 1-D); write `--start=-1.5,2` for a negative first
    /// coordinate [default: the function's own].
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        help_heading = "Surface"
    )]
    pub start: Vec<f64>,
    /// Number of steps.
    #[arg(long, default_value_t = 500, help_heading = "Surface")]
    pub steps: usize,

    // ----- optimization (the flags of `descent train`; defaults sgd and 0.001 here) -----
    /// The optimizer and its settings.
    #[command(flatten)]
    pub optimizer: OptimizerArgs,
    /// Standard deviation of Gaussian noise added to every gradient (imitates mini-batch SGD).
    #[arg(long, allow_negative_numbers = true, help_heading = "Optimization")]
    pub noise: Option<f64>,
    /// Seed of the gradient noise.
    #[arg(long, default_value_t = 0, help_heading = "Optimization")]
    pub seed: u64,

    // ----- schedule (the flags of `descent train`; durations count steps) -----
    /// The learning-rate schedule and its settings (an epoch is one step here).
    #[command(flatten)]
    pub schedule: ScheduleArgs,

    // ----- output -----
    /// Another walk to run beside the main one: `KIND[:key=value,...]` (see above); repeat.
    #[arg(long, value_name = "SPEC", help_heading = "Output")]
    pub compare: Vec<String>,
    /// Write the paths here: `.csv` (one row per point) or `.json` (with full configs).
    #[arg(long, short, help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// Draw the paths over the function's contours (1-D: over its curve): `.svg` or `.png`.
    #[arg(long, help_heading = "Output")]
    pub plot: Option<PathBuf>,
    /// How the surface is drawn: contour, filled, heatmap or surface.
    #[arg(
        long,
        default_value = "contour",
        value_parser = listed::<SurfaceStyle>(&["contour", "filled", "heatmap", "surface"]),
        help_heading = "Output"
    )]
    pub style: SurfaceStyle,
    /// Grid points per axis of the drawn surface.
    #[arg(long, default_value_t = 121, help_heading = "Output")]
    pub resolution: usize,
    /// Colour scale: auto (log for rosenbrock, himmelblau, beale), log or linear.
    #[arg(long, value_enum, default_value_t = ColorScale::Auto, help_heading = "Output")]
    pub scale: ColorScale,
}

/// `descent toy --scale`: how surface values map to colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorScale {
    /// Logarithmic for the surfaces whose values span decades (rosenbrock, himmelblau,
    /// beale), linear for the others.
    Auto,
    /// Logarithmic.
    Log,
    /// Linear.
    Linear,
}

/// Runs `descent toy`.
pub fn run(device_name: &str, args: ToyArgs) -> anyhow::Result<()> {
    let walks = walks(&args)?;
    let plot_options = plot_options(&args)?;
    let (_, device) = super::open_device(device_name)?;
    let paths = run_walks(&walks, &device)?;
    for path in &paths {
        println!("{}", summary(path));
    }
    if let Some(out) = &args.out {
        write_paths(&paths, out).map_err(cli_error)?;
        println!("paths written to {}", out.display());
    }
    if let Some(file) = &args.plot {
        let function = walks[0].function;
        draw_paths(function, &paths, file, &plot_options).map_err(cli_error)?;
        println!("plot written to {}", file.display());
    }
    Ok(())
}

/// The drawing options from `--style`, `--resolution` and `--scale`.
pub fn plot_options(args: &ToyArgs) -> anyhow::Result<PlotOptions> {
    let invalid = |field: &'static str, value: &str, reason: &str| {
        anyhow::Error::from(TrainError::InvalidOption {
            field,
            value: value.to_string(),
            reason: reason.to_string(),
        })
    };
    let style = args.style;
    let log_values = match args.scale {
        ColorScale::Auto => None,
        ColorScale::Log => Some(true),
        ColorScale::Linear => Some(false),
    };
    if args.resolution < 2 {
        return Err(invalid(
            "resolution",
            &args.resolution.to_string(),
            "must be at least 2",
        ));
    }
    Ok(PlotOptions {
        resolution: args.resolution,
        style,
        log_values,
        ..PlotOptions::default()
    })
}

/// Runs every walk.
fn run_walks(walks: &[WalkConfig], device: &Device) -> anyhow::Result<Vec<Path>> {
    walks
        .iter()
        .map(|walk| walk.run(device).map_err(cli_error))
        .collect()
}

/// One line: label, final point and loss, and how the walk ended.
fn summary(path: &Path) -> String {
    let [x, y] = path.final_point();
    let point = if path.config.function.dims() == 2 {
        format!("({x:.6}, {y:.6})")
    } else {
        format!("x = {x:.6}")
    };
    let mut line = format!(
        "{}: {} after {} steps, loss {:.6e}",
        path.label,
        point,
        path.steps_taken(),
        path.final_loss()
    );
    if let Some(d) = &path.diverged {
        let reason = match d.reason {
            descent_toy::DivergenceReason::NonFinite => "loss or point not finite",
            descent_toy::DivergenceReason::Escaped => "left the escape radius",
        };
        line.push_str(&format!("; diverged at step {} ({reason})", d.step));
    }
    line
}

/// The main walk and one per `--compare`.
pub fn walks(args: &ToyArgs) -> anyhow::Result<Vec<WalkConfig>> {
    let function = args.function;
    let base = Spec::from_args(args);
    let mut specs = vec![base.clone()];
    for text in &args.compare {
        specs.push(base.parse_compare(text)?);
    }
    specs.iter().map(|spec| spec.walk(function, args)).collect()
}

/// The settings of one walk that `--compare` may override.
#[derive(Debug, Clone)]
struct Spec {
    optimizer: OptimizerArgs,
    noise: Option<f64>,
    seed: u64,
    label: Option<String>,
    schedule: ScheduleKind,
    /// The schedule's settings, from the flags or `--compare` keys (the shared map of
    /// `descent_optim::schedule::SCHEDULE_PARAMS` names the keys).
    schedule_params: ScheduleParams,
}

impl Spec {
    fn from_args(args: &ToyArgs) -> Self {
        Self {
            optimizer: args.optimizer.clone(),
            noise: args.noise,
            seed: args.seed,
            label: None,
            schedule: args.schedule.schedule,
            schedule_params: args.schedule.params(),
        }
    }

    /// `KIND[:key=value,...]` on top of `self`.
    fn parse_compare(&self, text: &str) -> anyhow::Result<Self> {
        let bad = |reason: String| {
            anyhow::Error::from(TrainError::InvalidOption {
                field: "compare",
                value: text.to_string(),
                reason,
            })
        };
        let (kind, rest) = match text.split_once(':') {
            Some((kind, rest)) => (kind, rest),
            None => (text, ""),
        };
        let mut spec = Spec {
            label: None,
            ..self.clone()
        };
        spec.optimizer.optimizer = kind.trim().parse()?;
        for pair in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| bad(format!("`{pair}` is not key=value")))?;
            let (key, value) = (key.trim().replace('_', "-"), value.trim());
            let num = || -> anyhow::Result<f64> {
                value
                    .parse::<f64>()
                    .map_err(|_| bad(format!("{key} = `{value}` is not a number")))
            };
            let o = &mut spec.optimizer;
            match key.as_str() {
                "lr" => o.lr = num()?,
                "momentum" => o.momentum = Some(num()?),
                "dampening" => o.dampening = num()?,
                "weight-decay" => o.weight_decay = Some(num()?),
                "beta1" => o.beta1 = num()?,
                "beta2" => o.beta2 = num()?,
                "eps" => o.eps = num()?,
                "noise" => spec.noise = Some(num()?),
                "seed" => {
                    spec.seed = value
                        .parse()
                        .map_err(|_| bad(format!("seed = `{value}` is not a whole number")))?
                }
                "label" => spec.label = Some(value.to_string()),
                "schedule" => {
                    spec.schedule = value.parse()?;
                    spec.schedule_params = ScheduleParams::default();
                }
                other => match schedule_param(other) {
                    Some(param) => (param.set)(&mut spec.schedule_params, value)
                        .map_err(|e| bad(format!("{key} = `{value}`: {e}")))?,
                    None => {
                        let schedule_keys: Vec<&str> =
                            SCHEDULE_PARAMS.iter().map(|p| p.flag).collect();
                        return Err(bad(format!(
                            "unknown key `{other}` (lr, momentum, dampening, weight-decay, \
                             beta1, beta2, eps, noise, seed, label, schedule, {})",
                            schedule_keys.join(", ")
                        )));
                    }
                },
            }
        }
        Ok(spec)
    }

    fn walk(&self, function: ToyFunction, args: &ToyArgs) -> anyhow::Result<WalkConfig> {
        let optimizer =
            OptimizerConfig::from_kind(self.optimizer.optimizer, &self.optimizer.params())?;
        let schedule = ScheduleConfig::from_kind(self.schedule, &self.schedule_params)?;
        let mut walk = WalkConfig::new(function, optimizer, self.optimizer.lr, args.steps)
            .with_schedule(schedule)
            .with_noise(self.noise.map(|std| GradientNoise::new(std, self.seed)));
        if !args.start.is_empty() {
            walk = walk.with_start(args.start.clone());
        }
        if let Some(label) = &self.label {
            walk = walk.with_label(label.clone());
        }
        walk.validate().map_err(cli_error)?;
        Ok(walk)
    }
}

/// Maps a library error onto the error types `exit.rs` already classifies: invalid options
/// exit with 2, write failures with 6.
fn cli_error(err: ToyError) -> anyhow::Error {
    match err {
        ToyError::InvalidOption {
            field,
            value,
            reason,
        } => TrainError::InvalidOption {
            field,
            value,
            reason,
        }
        .into(),
        ToyError::UnsupportedOutput { path, reason } => TrainError::InvalidOption {
            field: "out",
            value: path.display().to_string(),
            reason,
        }
        .into(),
        ToyError::Optim(e) => e.into(),
        ToyError::Write(e) => e.into(),
        ToyError::Json { path, source } => {
            TrainError::io("writing", path, std::io::Error::other(source)).into()
        }
        ToyError::Plot(PlotError::Io {
            action,
            path,
            source,
        }) => TrainError::io(action, path, source).into(),
        ToyError::Plot(PlotError::UnsupportedFormat { path, reason }) => {
            TrainError::InvalidOption {
                field: "plot",
                value: path.display().to_string(),
                reason,
            }
            .into()
        }
        other => anyhow::Error::from(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;
    use descent_optim::OptimizerKind;

    fn toy_args(extra: &[&str]) -> ToyArgs {
        let mut line = vec!["descent", "toy"];
        line.extend_from_slice(extra);
        match Cli::try_parse_from(line).expect("parses").command {
            Command::Toy(args) => *args,
            other => panic!("not toy: {other:?}"),
        }
    }

    #[test]
    fn flags_and_comparisons_make_walks() {
        let args = toy_args(&[
            "--function",
            "two-wells",
            "--start=19.5",
            "--lr",
            "0.5",
            "--steps",
            "200",
            "--schedule",
            "cosine",
            "--compare",
            "sgd:schedule=sgdr,t0=30,label=restarts",
            "--compare",
            "nesterov:lr=0.1,momentum=0.5,noise=0.2,seed=3",
        ]);
        let walks = walks(&args).expect("valid");
        assert_eq!(walks.len(), 3);
        assert_eq!(walks[0].function, ToyFunction::TwoWells);
        assert_eq!(walks[0].start, Some(vec![19.5]));
        assert_eq!(walks[0].schedule.kind(), ScheduleKind::Cosine);
        assert!(matches!(
            walks[1].schedule,
            ScheduleConfig::WarmRestarts { t_0: 30, .. }
        ));
        assert_eq!(walks[1].label(), "restarts");
        assert_eq!(walks[2].optimizer.kind(), OptimizerKind::Nesterov);
        assert_eq!(walks[2].lr, 0.1);
        assert_eq!(walks[2].noise, Some(GradientNoise::new(0.2, 3)));
        assert_eq!(walks[2].schedule.kind(), ScheduleKind::Cosine);
    }

    #[test]
    fn bad_values_are_refused_with_the_flag_name() {
        for (flags, needle) in [
            (&["--lr", "-1"][..], "lr"),
            (&["--steps", "0"][..], "steps"),
            (&["--start=1"][..], "start"),
            (&["--noise", "-0.5"][..], "noise"),
            (&["--schedule", "step", "--t0", "3"][..], "t_0"),
            (&["--compare", "sgd:lr"][..], "key=value"),
            (&["--compare", "sgd:speed=3"][..], "speed"),
            (&["--compare", "sgd:lr=fast"][..], "fast"),
            (&["--compare", "adagrad"][..], "adagrad"),
            (&["--resolution", "1"][..], "resolution"),
        ] {
            let args = toy_args(flags);
            let err = walks(&args)
                .and_then(|_| plot_options(&args))
                .expect_err("refused");
            let text = format!("{err:#}");
            assert!(text.contains(needle), "{flags:?}: {text}");
            assert_eq!(crate::exit::code(&err), 2, "{flags:?}: {text}");
        }
        // A typed value (`--optimizer` lists its choices): refused while parsing, by the
        // library's own FromStr, with clap's usage exit code.
        for (flag, value, needle) in [
            ("--optimizer", "lbfgs", "lbfgs"),
            ("--function", "moon", "moon"),
            ("--function", "bowl:0.1", "condition"),
            ("--style", "wireframe", "wireframe"),
            ("--scale", "cubic", "cubic"),
        ] {
            let err = Cli::try_parse_from(["descent", "toy", flag, value]).expect_err("refused");
            assert!(err.to_string().contains(needle), "{flag} {value}: {err}");
            assert_eq!(err.exit_code(), 2);
        }
    }
}
