//! What the landscape studies measure on each trained run, fixed with their protocol, and
//! how their tables and texts show it: the measurement settings ([`Measures`]), the table's
//! columns ([`columns`]) and the figures named in the results ([`figure_notes`]).

use serde::{Deserialize, Serialize};

use crate::StudyName;

/// What a study measures on each trained run besides its test metrics, fixed with the
/// protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "study")]
pub enum Measures {
    /// The `batch-size` study's.
    BatchSize(BatchMeasures),
    /// The `skip-connections` study's.
    SkipConnections(SkipMeasures),
    /// The `swa` study's.
    Swa(SwaMeasures),
}

/// How the `batch-size` study measures each trained run (fixed with the protocol).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchMeasures {
    /// Training images every measurement uses (a fixed seeded subset of the run's training
    /// set: the loss that was minimized, as Li et al. and Keskar et al. measure).
    pub samples: usize,
    /// Points of the 1-D curve, from `-radius` to `radius` along one filter-normalized random
    /// direction (biases and batch norm left out, Li et al.'s `ignore biasbn`).
    pub curve_points: usize,
    /// The curve's half-width, in units of the filter-normalized direction.
    pub curve_radius: f64,
    /// Lanczos steps for the top eigenvalue.
    pub eigen_iterations: usize,
    /// Keskar et al.'s box size (they report 1e-3 and 5e-4).
    pub keskar_epsilon: f64,
    /// The filter-normalized box's size (each filter moves by at most this share of its
    /// norm).
    pub filter_epsilon: f64,
    /// Ascent runs per sharpness measurement.
    pub sharpness_starts: usize,
    /// Ascent steps per run.
    pub sharpness_steps: usize,
}

/// How the `skip-connections` study measures each trained run (fixed with the protocol).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkipMeasures {
    /// Training images each point of the plane is evaluated on (a fixed seeded subset; the
    /// training loss, as Li et al. plot).
    pub samples: usize,
    /// Points per axis of the plane, from -1 to 1 along each filter-normalized direction
    /// (biases and batch norm left out, Li et al.'s `ignore biasbn`).
    pub grid: usize,
    /// Points per axis of the curvature-ratio map on the same plane (first seed only), or
    /// none.
    pub map_grid: Option<usize>,
    /// Training images the map's Hessians are measured on.
    pub map_samples: usize,
    /// Lanczos steps per point of the map.
    pub map_iterations: usize,
}

/// How the `swa` study measures the width of its solutions (fixed with the protocol): the
/// training loss and test error along random rays `w + t d` from each solution `w`, `d` of
/// unit Euclidean norm over all trainable parameters (Izmailov et al. 2018, "Solution
/// width"), with the solution's batch-norm running statistics kept at every point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwaMeasures {
    /// Images of each split every point is evaluated on: the first of the permutation the
    /// run's seed drew its training subset from (images it trained on), and a subset of the
    /// test set drawn by the same seed.
    pub samples: usize,
    /// Rays per solution. Ray `k` of seed `s` is the same vector for every solution of that
    /// seed (drawn from `(s, k)`), so SGD's and SWA's curves are compared along one set of
    /// directions.
    pub rays: usize,
    /// Points of each ray, evenly from distance 0 to [`SwaMeasures::max_distance`].
    pub points: usize,
    /// The rays' length, in raw Euclidean units of weight space.
    pub max_distance: f64,
    /// The width's threshold: the width of a solution is the distance at which the mean
    /// training loss over its rays first exceeds the solution's own loss by this much
    /// (linearly interpolated between grid points).
    pub loss_rise: f64,
}

/// A measurement shown as a column of a study's table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    /// The key in [`RunResult::measures`](crate::RunResult::measures) and
    /// [`Row::measures`](crate::Row::measures).
    pub key: &'static str,
    /// The column's heading (what it is and where it is defined).
    pub title: &'static str,
    /// Decimals shown.
    pub digits: usize,
}

/// The measurement columns of `study`'s table, in order (none for the studies that only
/// train).
pub fn columns(study: StudyName) -> &'static [Column] {
    match study {
        StudyName::BatchSize => BATCH_SIZE_COLUMNS,
        StudyName::SkipConnections => SKIP_COLUMNS,
        StudyName::Swa => SWA_COLUMNS,
        _ => &[],
    }
}

/// The `batch-size` study's measurement columns.
pub const BATCH_SIZE_COLUMNS: &[Column] = &[
    Column {
        key: "epochs",
        title: "epochs trained",
        digits: 1,
    },
    Column {
        key: "train_loss",
        title: "final training loss",
        digits: 4,
    },
    Column {
        key: "lambda_max",
        title: "top Hessian eigenvalue",
        digits: 2,
    },
    Column {
        key: "keskar",
        title: "Keskar sharpness (metric 2.1)",
        digits: 3,
    },
    Column {
        key: "filter_sharpness",
        title: "filter-normalized sharpness",
        digits: 3,
    },
];

/// The `skip-connections` study's measurement columns.
pub const SKIP_COLUMNS: &[Column] = &[
    Column {
        key: "nonconvex_share",
        title: "non-convex share of the plane",
        digits: 3,
    },
    Column {
        key: "local_minima",
        title: "local minima on the grid",
        digits: 1,
    },
    Column {
        key: "centre_loss",
        title: "training loss at the centre",
        digits: 4,
    },
    Column {
        key: "map_nonconvex_share",
        title: "ratio map: share with lambda_min < 0 and ratio > 0.1 (first seed)",
        digits: 3,
    },
];

/// The `swa` study's measurement columns: on the SGD row for SGD's final weights, on the SWA
/// average rows for the averages (kept in each run's measures as `swa_KEY`).
pub const SWA_COLUMNS: &[Column] = &[
    Column {
        key: "width",
        title: "width (distance at which the rays' mean training loss rises by the threshold)",
        digits: 2,
    },
    Column {
        key: "width_censored",
        title: "share of seeds not crossing within the rays (width then a lower bound)",
        digits: 2,
    },
    Column {
        key: "ray_loss",
        title: "training loss at the solution (the rays' images)",
        digits: 4,
    },
];

/// The figures a study draws besides `accuracy.svg`, for its results' text.
pub fn figure_notes(study: StudyName) -> &'static str {
    match study {
        StudyName::BatchSize => BATCH_SIZE_FIGURES,
        StudyName::SkipConnections => SKIP_FIGURES,
        StudyName::Swa => SWA_FIGURES,
        _ => "",
    }
}

/// The figures the `batch-size` study draws besides `accuracy.svg`.
pub const BATCH_SIZE_FIGURES: &str = "; `curves-wd0.svg` and `curves-wd5e-4.svg` (the 1-D \
     filter-normalized training-loss curves of every run, small and large batch overlaid, as \
     Li et al.'s Fig. 3)";

/// The figures the `skip-connections` study draws besides `accuracy.svg`.
pub const SKIP_FIGURES: &str = "; `contours-resnet20.svg` and `contours-resnet56.svg` (the \
     training-loss contours of the first seed on the plane of two filter-normalized \
     directions, with and without shortcuts side by side on the same levels, as Li et al.'s \
     Fig. 5), `surface-resnet20.svg` and `surface-resnet56.svg` (the same planes as 3-D \
     surfaces, clipped at a loss of 10) and, where measured, `ratio-map-resnet20.svg` and `ratio-map-resnet56.svg` (the \
     map of |lambda_min / lambda_max|, their Fig. 7)";

/// The figures the `swa` study draws besides `accuracy.svg`.
pub const SWA_FIGURES: &str = "; `width.svg` (training loss and test error along the random \
     rays from SGD's final weights and from the SWA averages, each the mean over rays and \
     seeds, against the raw Euclidean distance from the solution, as Izmailov et al.'s figure \
     of the solutions' width)";
