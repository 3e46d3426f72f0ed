//! descent: gradient descent, its variants, and the loss landscapes they walk, on Burn.
//!
//! This umbrella crate re-exports the workspace's crates under short names:
//!
//! | module | crate | holds |
//! |---|---|---|
//! | [`files`] | `descent-files` | atomic file and folder writes |
//! | [`models`] | `descent-models` | MLPs, VGG-style networks and CIFAR ResNets |
//! | [`data`] | `descent-data` | CIFAR-10, MNIST/Fashion-MNIST, synthetic sets, batchers |
//! | [`plot`] | `descent-plot` | line plots, bar charts, contours, heatmaps, 3-D surfaces (SVG, PNG, VTK) |
//! | [`optim`] | `descent-optim` | optimizers, learning-rate schedules, stopping rules |
//! | [`train`] | `descent-train` | the training loop, checkpoints, devices |
//! | [`landscape`] | `descent-landscape` | loss-landscape scans, interpolations, planes, trajectories, curvature |
//! | [`toy`] | `descent-toy` | analytic 2-D surfaces and optimizer walks on them |
//!
//! ```
//! use descent::train::DeviceChoice;
//! let device = DeviceChoice::Cpu.open().expect("the CPU device opens");
//! let model = descent::models::MlpConfig::new(4, vec![8], 3).init(&device).expect("valid config");
//! # let _ = model;
//! ```

/// The Burn every crate here is built on (0.22): `descent::burn::...` in your project, so it
/// shares one Burn with us.
pub use burn;
pub use descent_data as data;
pub use descent_files as files;
pub use descent_landscape as landscape;
pub use descent_models as models;
pub use descent_optim as optim;
pub use descent_plot as plot;
pub use descent_toy as toy;
pub use descent_train as train;
