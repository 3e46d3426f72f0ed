//! [`ToyFunction`]: the analytic surfaces, each as a Burn tensor expression (so autodiff gives
//! its gradient), a plain `f64` formula and its analytic gradient (the tests' reference), its
//! known critical points and a box to draw it in.

use core::f64::consts::{E, PI};
use core::fmt;
use core::str::FromStr;

use burn::tensor::Tensor;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ToyError;

/// Condition number of [`ToyFunction::Bowl`] when none is given (`bowl` = `bowl:10`).
pub const DEFAULT_CONDITION: f64 = 10.0;

/// An analytic loss surface of one or two variables.
///
/// Written as `name` (or `bowl:KAPPA`) on the command line and in files; `FromStr` accepts
/// the names below (ASCII case-insensitive, `_` or `-`), `Display` prints the canonical one.
///
/// | name | formula | minimum |
/// |---|---|---|
/// | `bowl[:κ]` | `½(x² + κ·y²)`, condition number κ ≥ 1 (default 10) | `(0, 0)` |
/// | `saddle` | `x² − y²` | none; saddle at `(0, 0)` |
/// | `monkey-saddle` | `x³ − 3·x·y²` | none; degenerate saddle at `(0, 0)` |
/// | `rosenbrock` | `(1 − x)² + 100·(y − x²)²` | `(1, 1)`, in a narrow curved valley |
/// | `himmelblau` | `(x² + y − 11)² + (x + y² − 7)²` | four, all 0 |
/// | `rastrigin` | `20 + Σ (t² − 10·cos 2πt)`, `t ∈ {x, y}` | `(0, 0)`, among a grid of local minima |
/// | `ackley` | `−20·exp(−0.2·√(½(x²+y²))) − exp(½(cos 2πx + cos 2πy)) + e + 20` | `(0, 0)` |
/// | `beale` | `(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²` | `(3, 0.5)` |
/// | `six-hump-camel` | `(4 − 2.1x² + x⁴/3)·x² + xy + (−4 + 4y²)·y²` | `±(0.0898, −0.7127)`, −1.0316 |
/// | `two-wells` (1-D) | `½(√(1 + (x+2)²) − 1) − ½·exp(−12.5·(x−1)²)` | `x = −2` (0); shallow local `x ≈ 0.9614` (0.572) |
///
/// `two-wells` is a wide global well (curvature 0.5) behind a long slope of gradient about ½,
/// with a narrow, shallower well (curvature ≈ 11.83) on the way: a learning rate of 0.5 is
/// stable in the global well (`lr·f'' = 0.25 < 2`) and unstable in the narrow one
/// (`lr·f'' ≈ 5.9 > 2`), which is what the warm-restart lesson uses.
///
/// Ackley's gradient does not exist at the origin (the `√` has a kink there); autodiff gives
/// NaN exactly at `(0, 0)`, which a walk records as divergence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ToyFunction {
    /// `½(x² + κ·y²)`: a quadratic bowl with condition number `condition` (≥ 1).
    Bowl {
        /// κ: the ratio of the largest to the smallest curvature.
        condition: f64,
    },
    /// `x² − y²`.
    Saddle,
    /// `x³ − 3·x·y²`.
    MonkeySaddle,
    /// `(1 − x)² + 100·(y − x²)²`.
    Rosenbrock,
    /// `(x² + y − 11)² + (x + y² − 7)²`.
    Himmelblau,
    /// `20 + x² − 10·cos 2πx + y² − 10·cos 2πy`.
    Rastrigin,
    /// `−20·exp(−0.2·√(½(x²+y²))) − exp(½(cos 2πx + cos 2πy)) + e + 20`.
    Ackley,
    /// `(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²`.
    Beale,
    /// `(4 − 2.1x² + x⁴/3)·x² + xy + (−4 + 4y²)·y²`.
    SixHumpCamel,
    /// 1-D: `½(√(1 + (x+2)²) − 1) − ½·exp(−12.5·(x−1)²)`.
    TwoWells,
}

/// What kind of critical point a [`CriticalPoint`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CriticalKind {
    /// A global minimum.
    Global,
    /// A local minimum that is not global.
    Local,
    /// A saddle point.
    Saddle,
    /// A local maximum.
    Maximum,
}

/// A known critical point (zero gradient) of a [`ToyFunction`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CriticalPoint {
    /// Where (`y` is 0 for 1-D functions).
    pub at: [f64; 2],
    /// The function's value there.
    pub value: f64,
    /// Minimum, saddle or maximum.
    pub kind: CriticalKind,
}

/// A rectangle of the plane to draw a function in: `x` and `y` ranges `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlotBox {
    /// `[x_min, x_max]`.
    pub x: [f64; 2],
    /// `[y_min, y_max]` (unused for 1-D functions).
    pub y: [f64; 2],
}

const TAU: f64 = 2.0 * PI;

impl ToyFunction {
    /// Every function, in a stable order (the bowl with the default condition number).
    pub const ALL: [Self; 10] = [
        Self::Bowl {
            condition: DEFAULT_CONDITION,
        },
        Self::Saddle,
        Self::MonkeySaddle,
        Self::Rosenbrock,
        Self::Himmelblau,
        Self::Rastrigin,
        Self::Ackley,
        Self::Beale,
        Self::SixHumpCamel,
        Self::TwoWells,
    ];

    /// The canonical name, without the bowl's condition number.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Bowl { .. } => "bowl",
            Self::Saddle => "saddle",
            Self::MonkeySaddle => "monkey-saddle",
            Self::Rosenbrock => "rosenbrock",
            Self::Himmelblau => "himmelblau",
            Self::Rastrigin => "rastrigin",
            Self::Ackley => "ackley",
            Self::Beale => "beale",
            Self::SixHumpCamel => "six-hump-camel",
            Self::TwoWells => "two-wells",
        }
    }

    /// The formula, as plain text (for titles and help).
    pub fn formula(&self) -> String {
        match self {
            Self::Bowl { condition } => format!("(x^2 + {condition}*y^2)/2"),
            Self::Saddle => "x^2 - y^2".into(),
            Self::MonkeySaddle => "x^3 - 3*x*y^2".into(),
            Self::Rosenbrock => "(1 - x)^2 + 100*(y - x^2)^2".into(),
            Self::Himmelblau => "(x^2 + y - 11)^2 + (x + y^2 - 7)^2".into(),
            Self::Rastrigin => "20 + x^2 - 10*cos(2*pi*x) + y^2 - 10*cos(2*pi*y)".into(),
            Self::Ackley => {
                "-20*exp(-0.2*sqrt((x^2+y^2)/2)) - exp((cos(2*pi*x)+cos(2*pi*y))/2) + e + 20".into()
            }
            Self::Beale => {
                "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2".into()
            }
            Self::SixHumpCamel => "(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2".into(),
            Self::TwoWells => "(sqrt(1 + (x+2)^2) - 1)/2 - exp(-12.5*(x-1)^2)/2".into(),
        }
    }

    /// Number of variables: 1 for `two-wells`, 2 otherwise.
    pub fn dims(&self) -> usize {
        match self {
            Self::TwoWells => 1,
            _ => 2,
        }
    }

    /// The function applied element-wise: `x` and `y` have the same shape, the result too.
    /// `y` is ignored by 1-D functions (pass anything of the right shape, e.g. `x.clone()`).
    ///
    /// This is the Burn expression autodiff differentiates; it also evaluates whole grids at
    /// once for contour plots.
    pub fn value(&self, x: Tensor<1>, y: Tensor<1>) -> Tensor<1> {
        match *self {
            Self::Bowl { condition } => {
                (x.square() + y.square().mul_scalar(condition)).mul_scalar(0.5)
            }
            Self::Saddle => x.square() - y.square(),
            Self::MonkeySaddle => x.clone().square() * x.clone() - x * y.square().mul_scalar(3.0),
            Self::Rosenbrock => {
                (x.clone().neg().add_scalar(1.0)).square()
                    + (y - x.square()).square().mul_scalar(100.0)
            }
            Self::Himmelblau => {
                (x.clone().square() + y.clone()).sub_scalar(11.0).square()
                    + (x + y.square()).sub_scalar(7.0).square()
            }
            Self::Rastrigin => {
                let term =
                    |t: Tensor<1>| t.clone().square() - t.mul_scalar(TAU).cos().mul_scalar(10.0);
                (term(x) + term(y)).add_scalar(20.0)
            }
            Self::Ackley => {
                let r = (x.clone().square() + y.clone().square())
                    .mul_scalar(0.5)
                    .sqrt();
                let waves = (x.mul_scalar(TAU).cos() + y.mul_scalar(TAU).cos()).mul_scalar(0.5);
                r.mul_scalar(-0.2).exp().mul_scalar(-20.0) - waves.exp() + (E + 20.0)
            }
            Self::Beale => {
                let y2 = y.clone().square();
                let y3 = y2.clone() * y.clone();
                let a1 = (x.clone() * y).sub(x.clone()).add_scalar(1.5);
                let a2 = (x.clone() * y2).sub(x.clone()).add_scalar(2.25);
                let a3 = (x.clone() * y3).sub(x).add_scalar(2.625);
                a1.square() + a2.square() + a3.square()
            }
            Self::SixHumpCamel => {
                let x2 = x.clone().square();
                let y2 = y.clone().square();
                let quartic = x2.clone().square().div_scalar(3.0) - x2.clone().mul_scalar(2.1);
                quartic.add_scalar(4.0) * x2
                    + x * y
                    + y2.clone().mul_scalar(4.0).sub_scalar(4.0) * y2
            }
            Self::TwoWells => {
                let slope = x
                    .clone()
                    .add_scalar(2.0)
                    .square()
                    .add_scalar(1.0)
                    .sqrt()
                    .sub_scalar(1.0);
                let well = x.sub_scalar(1.0).square().mul_scalar(-12.5).exp();
                (slope - well).mul_scalar(0.5)
            }
        }
    }

    /// The loss at a point: `point` has shape `[dims]` (`[x]` or `[x, y]`), the result `[1]`.
    pub fn loss(&self, point: &Tensor<1>) -> Tensor<1> {
        let x = point.clone().slice(0..1);
        let y = if self.dims() == 2 {
            point.clone().slice(1..2)
        } else {
            x.clone()
        };
        self.value(x, y)
    }

    /// The function in plain `f64` arithmetic (`y` ignored by 1-D functions).
    pub fn value_f64(&self, x: f64, y: f64) -> f64 {
        match *self {
            Self::Bowl { condition } => 0.5 * (x * x + condition * y * y),
            Self::Saddle => x * x - y * y,
            Self::MonkeySaddle => x * x * x - 3.0 * x * y * y,
            Self::Rosenbrock => (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2),
            Self::Himmelblau => (x * x + y - 11.0).powi(2) + (x + y * y - 7.0).powi(2),
            Self::Rastrigin => {
                20.0 + x * x - 10.0 * (TAU * x).cos() + y * y - 10.0 * (TAU * y).cos()
            }
            Self::Ackley => {
                -20.0 * (-0.2 * (0.5 * (x * x + y * y)).sqrt()).exp()
                    - (0.5 * ((TAU * x).cos() + (TAU * y).cos())).exp()
                    + E
                    + 20.0
            }
            Self::Beale => {
                (1.5 - x + x * y).powi(2)
                    + (2.25 - x + x * y * y).powi(2)
                    + (2.625 - x + x * y * y * y).powi(2)
            }
            Self::SixHumpCamel => {
                (4.0 - 2.1 * x * x + x.powi(4) / 3.0) * x * x + x * y + (-4.0 + 4.0 * y * y) * y * y
            }
            Self::TwoWells => {
                0.5 * ((1.0 + (x + 2.0).powi(2)).sqrt() - 1.0)
                    - 0.5 * (-12.5 * (x - 1.0).powi(2)).exp()
            }
        }
    }

    /// The analytic gradient `[∂f/∂x, ∂f/∂y]`, derived by hand (`∂f/∂y` is 0 for 1-D
    /// functions). The tests check autodiff against it; Ackley's is undefined at the origin.
    pub fn gradient_f64(&self, x: f64, y: f64) -> [f64; 2] {
        match *self {
            Self::Bowl { condition } => [x, condition * y],
            Self::Saddle => [2.0 * x, -2.0 * y],
            Self::MonkeySaddle => [3.0 * x * x - 3.0 * y * y, -6.0 * x * y],
            Self::Rosenbrock => [
                -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
                200.0 * (y - x * x),
            ],
            Self::Himmelblau => {
                let a = x * x + y - 11.0;
                let b = x + y * y - 7.0;
                [4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b]
            }
            Self::Rastrigin => [
                2.0 * x + 20.0 * PI * (TAU * x).sin(),
                2.0 * y + 20.0 * PI * (TAU * y).sin(),
            ],
            Self::Ackley => {
                let r = (0.5 * (x * x + y * y)).sqrt();
                let radial = (-0.2 * r).exp() / r; // d/dt of the first term is 2t·exp(−0.2r)/r
                let waves = (0.5 * ((TAU * x).cos() + (TAU * y).cos())).exp();
                [
                    2.0 * x * radial + PI * (TAU * x).sin() * waves,
                    2.0 * y * radial + PI * (TAU * y).sin() * waves,
                ]
            }
            Self::Beale => {
                let a1 = 1.5 - x + x * y;
                let a2 = 2.25 - x + x * y * y;
                let a3 = 2.625 - x + x * y * y * y;
                [
                    2.0 * a1 * (y - 1.0) + 2.0 * a2 * (y * y - 1.0) + 2.0 * a3 * (y * y * y - 1.0),
                    2.0 * a1 * x + 4.0 * a2 * x * y + 6.0 * a3 * x * y * y,
                ]
            }
            Self::SixHumpCamel => [
                8.0 * x - 8.4 * x.powi(3) + 2.0 * x.powi(5) + y,
                x - 8.0 * y + 16.0 * y.powi(3),
            ],
            Self::TwoWells => [
                0.5 * (x + 2.0) / (1.0 + (x + 2.0).powi(2)).sqrt()
                    + 12.5 * (x - 1.0) * (-12.5 * (x - 1.0).powi(2)).exp(),
                0.0,
            ],
        }
    }

    /// The known critical points (global and local minima, saddles, maxima of interest);
    /// coordinates from the literature or found by Newton's method in float64 (PyTorch), to
    /// 1e-9.
    pub fn critical_points(&self) -> Vec<CriticalPoint> {
        use CriticalKind::*;
        let at = |x: f64, y: f64, kind| CriticalPoint {
            at: [x, y],
            value: self.value_f64(x, y),
            kind,
        };
        match self {
            Self::Bowl { .. } | Self::Rastrigin | Self::Ackley => vec![at(0.0, 0.0, Global)],
            Self::Saddle | Self::MonkeySaddle => vec![at(0.0, 0.0, Saddle)],
            Self::Rosenbrock => vec![at(1.0, 1.0, Global)],
            Self::Himmelblau => vec![
                at(3.0, 2.0, Global),
                at(-2.805118087, 3.1313125183, Global),
                at(-3.7793102534, -3.2831859913, Global),
                at(3.5844283403, -1.848126527, Global),
            ],
            Self::Beale => vec![at(3.0, 0.5, Global)],
            Self::SixHumpCamel => vec![
                at(0.0898420131, -0.712656403, Global),
                at(-0.0898420131, 0.712656403, Global),
                at(1.703606715, -0.7960835687, Local),
                at(-1.703606715, 0.7960835687, Local),
                at(1.6071047529, 0.5686514549, Local),
                at(-1.6071047529, -0.5686514549, Local),
            ],
            Self::TwoWells => vec![
                at(-2.0, 0.0, Global),
                at(TWO_WELLS_LOCAL, 0.0, Local),
                at(0.5544174616, 0.0, Maximum),
            ],
        }
    }

    /// The box the CLI draws by default, which holds the interesting features and
    /// [`default_start`](Self::default_start).
    pub fn plot_box(&self) -> PlotBox {
        let (x, y) = match self {
            Self::Bowl { condition } => {
                let h = 2.0 / condition.sqrt().max(1.0);
                ([-5.0, 5.0], [-h.max(1.5), h.max(1.5)])
            }
            Self::Saddle | Self::MonkeySaddle => ([-1.5, 1.5], [-1.5, 1.5]),
            Self::Rosenbrock => ([-2.0, 2.0], [-1.0, 3.0]),
            Self::Himmelblau => ([-5.0, 5.0], [-5.0, 5.0]),
            Self::Rastrigin => ([-5.12, 5.12], [-5.12, 5.12]),
            Self::Ackley => ([-5.0, 5.0], [-5.0, 5.0]),
            Self::Beale => ([-4.5, 4.5], [-4.5, 4.5]),
            Self::SixHumpCamel => ([-2.0, 2.0], [-1.2, 1.2]),
            Self::TwoWells => ([-5.0, 22.0], [0.0, 0.0]),
        };
        PlotBox { x, y }
    }

    /// A starting point that shows the function's character (`[x]` or `[x, y]`).
    pub fn default_start(&self) -> Vec<f64> {
        match self {
            Self::Bowl { .. } => vec![-4.0, 1.0],
            Self::Saddle => vec![1.0, 0.0],
            Self::MonkeySaddle => vec![1.0, 0.5],
            Self::Rosenbrock => vec![-1.5, 2.0],
            Self::Himmelblau => vec![0.0, 0.0],
            Self::Rastrigin => vec![3.3, -2.7],
            Self::Ackley => vec![3.2, 2.4],
            Self::Beale => vec![1.0, 1.5],
            Self::SixHumpCamel => vec![-1.5, -1.0],
            Self::TwoWells => vec![20.0],
        }
    }

    /// Whether contours read better on a log scale (values spanning orders of magnitude
    /// around a minimum of 0): Rosenbrock, Himmelblau, Beale.
    pub fn prefers_log_scale(&self) -> bool {
        matches!(self, Self::Rosenbrock | Self::Himmelblau | Self::Beale)
    }

    /// Checks the bowl's condition number.
    pub fn validate(&self) -> Result<(), ToyError> {
        if let Self::Bowl { condition } = self
            && !(condition.is_finite() && *condition >= 1.0)
        {
            return Err(ToyError::invalid(
                "function",
                self,
                "the bowl's condition number must be a finite number >= 1",
            ));
        }
        Ok(())
    }
}

/// The shallow local minimum of `two-wells` (Newton's method in float64).
pub const TWO_WELLS_LOCAL: f64 = 0.9613895403;

impl fmt::Display for ToyFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bowl { condition } if *condition != DEFAULT_CONDITION => {
                write!(f, "bowl:{condition}")
            }
            other => f.write_str(other.name()),
        }
    }
}

impl FromStr for ToyFunction {
    type Err = ToyError;

    /// Parses a name (case-insensitive; `_` and `-` alike) or `bowl:KAPPA`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim().to_ascii_lowercase().replace('_', "-");
        let names = || {
            Self::ALL
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let function = if let Some(kappa) = text.strip_prefix("bowl:") {
            let condition: f64 = kappa.parse().map_err(|_| {
                ToyError::invalid("function", s, "the bowl's condition number is not a number")
            })?;
            Self::Bowl { condition }
        } else {
            let text = match text.as_str() {
                "quadratic" => "bowl",
                "monkey" => "monkey-saddle",
                "camel" | "sixhumpcamel" => "six-hump-camel",
                "twowells" => "two-wells",
                other => other,
            };
            Self::ALL
                .into_iter()
                .find(|f| f.name() == text)
                .ok_or_else(|| {
                    ToyError::invalid("function", s, format!("expected one of {}", names()))
                })?
        };
        function.validate()?;
        Ok(function)
    }
}

impl Serialize for ToyFunction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ToyFunction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
