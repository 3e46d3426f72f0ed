//! A Burn user's own model, in a project of its own: a two-layer regression network that
//! knows nothing of descent. The tests train it with descent-optim's SGD and SGDR inside
//! Burn's `Learner`, average it with SWA, and scan its loss landscape with
//! descent-landscape, the way a user adds our crates to their project.

// The Burn descent is built on, re-exported: one Burn in the project. `#[derive(Module)]`
// expands to `burn::...` paths, which this `use` serves.
pub use descent_optim::burn;

use burn::data::dataloader::batcher::Batcher;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::tensor::{Device, Tensor};
use burn_train::{InferenceStep, RegressionOutput, TrainOutput, TrainStep};

/// Points of the regression task.
pub const POINTS: usize = 256;

/// `y = 1.5 x1 - 2 x2 + 0.5 x1 x2 + 0.3` on a scrambled grid of `[-1, 1]^2`.
pub fn points() -> Vec<[f32; 3]> {
    (0..POINTS)
        .map(|i| {
            let x1 = ((i * 37) % POINTS) as f32 / 128.0 - 1.0;
            let x2 = ((i * 91 + 17) % POINTS) as f32 / 128.0 - 1.0;
            [x1, x2, 1.5 * x1 - 2.0 * x2 + 0.5 * x1 * x2 + 0.3]
        })
        .collect()
}

/// The user's network: `2 -> 8 -> 1` with a ReLU.
#[derive(Module, Debug)]
pub struct Net {
    /// Input to hidden.
    pub hidden: Linear,
    /// Hidden to output.
    pub out: Linear,
    act: Relu,
}

impl Net {
    /// A freshly initialized network.
    pub fn new(device: &Device) -> Self {
        Net {
            hidden: LinearConfig::new(2, 8).init(device),
            out: LinearConfig::new(8, 1).init(device),
            act: Relu::new(),
        }
    }

    /// The predictions, `[n, 1]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.out.forward(self.act.forward(self.hidden.forward(x)))
    }

    /// Mean squared error over the batch, and the predictions.
    pub fn loss(&self, batch: &Batch) -> (Tensor<1>, Tensor<2>) {
        let output = self.forward(batch.x.clone());
        let loss = (output.clone() - batch.y.clone()).square().mean();
        (loss, output)
    }
}

/// Inputs and targets.
#[derive(Clone, Debug)]
pub struct Batch {
    /// `[n, 2]`.
    pub x: Tensor<2>,
    /// `[n, 1]`.
    pub y: Tensor<2>,
}

/// Turns points into a [`Batch`].
#[derive(Clone, Debug)]
pub struct PointBatcher;

impl Batcher<[f32; 3], Batch> for PointBatcher {
    fn batch(&self, items: Vec<[f32; 3]>, device: &Device) -> Batch {
        let n = items.len();
        let x: Vec<f32> = items.iter().flat_map(|p| [p[0], p[1]]).collect();
        let y: Vec<f32> = items.iter().map(|p| p[2]).collect();
        Batch {
            x: Tensor::<1>::from_floats(x.as_slice(), device).reshape([n, 2]),
            y: Tensor::<1>::from_floats(y.as_slice(), device).reshape([n, 1]),
        }
    }
}

impl TrainStep for Net {
    type Input = Batch;
    type Output = RegressionOutput;

    fn step(&self, batch: Batch) -> TrainOutput<RegressionOutput> {
        let (loss, output) = self.loss(&batch);
        TrainOutput::new(
            self,
            loss.backward(),
            RegressionOutput::new(loss, output, batch.y),
        )
    }
}

impl InferenceStep for Net {
    type Input = Batch;
    type Output = RegressionOutput;

    fn step(&self, batch: Batch) -> RegressionOutput {
        let (loss, output) = self.loss(&batch);
        RegressionOutput::new(loss, output, batch.y)
    }
}

/// The full-data loss of `net`.
pub fn full_loss(net: &Net, device: &Device) -> f32 {
    let batch = PointBatcher.batch(points(), device);
    net.loss(&batch).0.into_scalar::<f32>()
}

/// Every weight of `net` in module order (hidden weight `[2, 8]` row-major, hidden bias,
/// output weight `[8, 1]`, output bias), as a user would read them.
pub fn weights(net: &Net) -> Vec<f32> {
    struct Collect(Vec<f32>);
    impl burn::module::ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
            let values = param
                .val()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap_or_default();
            self.0.extend(values);
        }
    }
    let mut collect = Collect(Vec::new());
    net.visit(&mut collect);
    collect.0
}

/// The mean squared error of the network whose weights are `w` (in [`weights`]' order),
/// computed by hand in f64: the reference the scan is checked against.
pub fn loss_by_hand(w: &[f64]) -> f64 {
    let (w1, rest) = w.split_at(16);
    let (b1, rest) = rest.split_at(8);
    let (w2, b2) = rest.split_at(8);
    let data = points();
    let mut total = 0.0;
    for p in &data {
        let (x1, x2, y) = (f64::from(p[0]), f64::from(p[1]), f64::from(p[2]));
        let mut out = b2[0];
        for j in 0..8 {
            // Burn's Linear weight is [d_input, d_output]: w1[i * 8 + j] joins input i to unit j.
            let h = (x1 * w1[j] + x2 * w1[8 + j] + b1[j]).max(0.0);
            out += h * w2[j];
        }
        total += (out - y) * (out - y);
    }
    total / data.len() as f64
}
