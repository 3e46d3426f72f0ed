//! [`MomentumHandle`]: a momentum set from outside the optimizer, step by step, for schedules
//! that cycle it (PyTorch's `cycle_momentum`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A shared cell holding the momentum the next optimizer steps use, in place of the configured
/// one: SGD's momentum factor `μ` (heavy ball and Nesterov), RMSProp's momentum (when it has
/// one) and Adam's `β1`. Empty, the optimizer uses its configured value.
///
/// Burn's [`ModuleOptimizer`](burn::optim::ModuleOptimizer) keeps its optimizer out of reach,
/// so a cycled momentum cannot be set on it; build it with
/// [`OptimizerConfig::init_with_momentum`](super::OptimizerConfig::init_with_momentum) and set
/// the handle before each step, as PyTorch's `CyclicLR`/`OneCycleLR` set `group["momentum"]`
/// (or `group["betas"][0]`). Clones share the cell.
///
/// Differs from PyTorch: an optimizer without momentum (plain SGD, RMSProp with momentum 0)
/// ignores the handle; PyTorch would switch momentum on for it.
///
/// ```
/// use descent_optim::{MomentumConfig, MomentumHandle, OptimizerConfig, SgdConfig};
///
/// let handle = MomentumHandle::new();
/// let config = OptimizerConfig::Sgd(
///     SgdConfig::new().with_momentum(Some(MomentumConfig::new(0.9))),
/// );
/// let _optim = config.init_with_momentum(&handle)?;
/// handle.set(Some(0.85)); // the next steps use momentum 0.85
/// assert_eq!(handle.get(), Some(0.85));
/// # Ok::<(), descent_optim::OptimError>(())
/// ```
#[derive(Clone, Debug)]
pub struct MomentumHandle(Arc<AtomicU64>);

impl MomentumHandle {
    /// An empty handle: the optimizer uses its configured momentum.
    pub fn new() -> Self {
        Self(Arc::new(AtomicU64::new(f64::NAN.to_bits())))
    }

    /// Sets the momentum of the next steps (`None`: the configured one).
    pub fn set(&self, momentum: Option<f64>) {
        let bits = momentum.unwrap_or(f64::NAN).to_bits();
        self.0.store(bits, Ordering::Relaxed);
    }

    /// The momentum set, if any.
    pub fn get(&self) -> Option<f64> {
        let value = f64::from_bits(self.0.load(Ordering::Relaxed));
        (!value.is_nan()).then_some(value)
    }
}

impl Default for MomentumHandle {
    fn default() -> Self {
        Self::new()
    }
}

/// The momentum to use: the handle's, if set, else `configured`.
pub(crate) fn effective(handle: Option<&MomentumHandle>, configured: f64) -> f64 {
    handle.and_then(MomentumHandle::get).unwrap_or(configured)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimizer::test_utils::{assert_matches, fixture, flatten, grads};
    use crate::optimizer::{AdamConfig, MomentumConfig, OptimizerConfig, SgdConfig};
    use crate::schedule::ScheduleConfig;
    use burn::lr_scheduler::LrScheduler;

    // A momentum run under a cycling schedule: PyTorch's parameters after each step
    // (cycled_run.py, PyTorch 2.15.0 CPU, float32; ~/.cache/torch-venv/bin/python):
    //
    // import struct
    // import torch
    // from torch.optim.lr_scheduler import CyclicLR, OneCycleLR
    //
    // W0 = torch.tensor([[0.30, -0.20, 0.10, 0.40], [-0.50, 0.25, 0.35, -0.10], [0.15, 0.45, -0.30, 0.20]])
    // B0 = torch.tensor([0.10, -0.20, 0.05])
    // X = torch.tensor([[1.0, 2.0, -1.0, 0.5], [0.5, -1.5, 2.0, 1.0], [-1.0, 0.0, 1.5, -2.0],
    //                   [2.0, 1.0, 0.5, -0.5], [0.0, -0.5, -1.0, 1.5], [1.5, -2.0, 0.0, 1.0]])
    // Y = torch.tensor([[0.5, -1.0, 1.0], [1.5, 0.0, -0.5], [-1.0, 2.0, 0.5],
    //                   [0.0, 1.0, -1.5], [1.0, -0.5, 0.0], [-0.5, 1.5, 1.0]])
    //
    //
    // def run(make_opt, make_sched, steps):
    //     lin = torch.nn.Linear(4, 3)
    //     with torch.no_grad():
    //         lin.weight.copy_(W0)
    //         lin.bias.copy_(B0)
    //     opt = make_opt(lin.parameters())
    //     sched = make_sched(opt)
    //     rows = []
    //     for _ in range(steps):
    //         opt.zero_grad()
    //         torch.nn.functional.mse_loss(lin(X), Y).backward()
    //         opt.step()
    //         sched.step()
    //         # Burn layout: weight [d_input, d_output] = torch weight transposed, then the bias.
    //         rows.append(lin.weight.detach().t().flatten().tolist() + lin.bias.detach().tolist())
    //     return rows
    //
    //
    // def f32(v):
    //     # Shortest decimal that reads back as the same f32.
    //     for p in range(1, 10):
    //         s = "%.*g" % (p, v)
    //         if struct.unpack("f", struct.pack("f", float(s)))[0] == v:
    //             break
    //     if "e" not in s and "." not in s:
    //         s += ".0"
    //     return s
    //
    //
    // def emit(name, rows):
    //     print(f"const {name}: [[f32; 15]; {len(rows)}] = [")
    //     for row in rows:
    //         print("    [" + ", ".join(f32(v) for v in row) + "],")
    //     print("];")
    //
    //
    // emit("SGD_ONECYCLE", run(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    //                          lambda o: OneCycleLR(o, max_lr=0.1, total_steps=6), 6))
    // emit("NESTEROV_CYCLIC", run(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    //                             lambda o: CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2), 6))
    // emit("ADAM_CYCLIC", run(lambda p: torch.optim.Adam(p, lr=0.1),
    //                         lambda o: CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2), 6))

    const SGD_ONECYCLE: [[f32; 15]; 6] = [
        [
            0.2987778,
            -0.49699444,
            0.14836112,
            -0.19845556,
            0.24747778,
            0.44717222,
            0.09982222,
            0.35126665,
            -0.2986778,
            0.39983335,
            -0.09966667,
            0.19960555,
            0.099422224,
            -0.19737779,
            0.050155558,
        ],
        [
            0.24269025,
            -0.35911915,
            0.07314048,
            -0.1276165,
            0.13185239,
            0.3174863,
            0.091728434,
            0.4092806,
            -0.23812398,
            0.3922963,
            -0.0845824,
            0.18148814,
            0.072957285,
            -0.07710895,
            0.057320185,
        ],
        [
            0.18352011,
            -0.2155279,
            -0.006676433,
            -0.054214675,
            0.014368305,
            0.18371399,
            0.08562946,
            0.46619412,
            -0.17889072,
            0.3885573,
            -0.076704755,
            0.16175409,
            0.046899784,
            0.04732667,
            0.06587417,
        ],
        [
            0.14507031,
            -0.12413969,
            -0.058881707,
            -0.0078024007,
            -0.05764223,
            0.09988398,
            0.084112786,
            0.4988142,
            -0.14506081,
            0.39029375,
            -0.07946582,
            0.14833455,
            0.031814065,
            0.12568475,
            0.07249207,
        ],
        [
            0.13292617,
            -0.09596619,
            -0.07544576,
            0.0064237393,
            -0.07893105,
            0.07450782,
            0.084490724,
            0.5075668,
            -0.13600735,
            0.39228103,
            -0.08303535,
            0.14389615,
            0.027688932,
            0.14953908,
            0.07497468,
        ],
        [
            0.13292578,
            -0.095965296,
            -0.07544629,
            0.0064241877,
            -0.0789317,
            0.07450703,
            0.08449076,
            0.50756705,
            -0.1360071,
            0.39228114,
            -0.08303554,
            0.143896,
            0.027688816,
            0.14953983,
            0.07497477,
        ],
    ];
    const NESTEROV_CYCLIC: [[f32; 15]; 6] = [
        [
            0.29419446,
            -0.4857236,
            0.14221528,
            -0.1926639,
            0.23801944,
            0.43656805,
            0.09915556,
            0.35601667,
            -0.29371947,
            0.39920834,
            -0.09841667,
            0.19812639,
            0.09725556,
            -0.18754445,
            0.05073889,
        ],
        [
            0.25165,
            -0.38134146,
            0.08510699,
            -0.13907416,
            0.15080103,
            0.33852553,
            0.09328028,
            0.3995583,
            -0.24829051,
            0.3939476,
            -0.08784566,
            0.1843163,
            0.07738264,
            -0.09658038,
            0.056281015,
        ],
        [
            0.17098558,
            -0.18664569,
            -0.023910109,
            -0.03972791,
            -0.00693334,
            0.15786922,
            0.08632207,
            0.4747364,
            -0.1701241,
            0.39116827,
            -0.08150045,
            0.15707941,
            0.04288623,
            0.07167826,
            0.068520874,
        ],
        [
            0.12702335,
            -0.08469398,
            -0.08377069,
            0.011814214,
            -0.08415404,
            0.066036694,
            0.08768316,
            0.5063833,
            -0.13733657,
            0.39830342,
            -0.09425565,
            0.14103577,
            0.027931472,
            0.15799664,
            0.07755426,
        ],
        [
            0.11872678,
            -0.06618473,
            -0.09504223,
            0.021151405,
            -0.09742504,
            0.04983814,
            0.08879366,
            0.5107604,
            -0.13276897,
            0.40103513,
            -0.09920219,
            0.13782798,
            0.025728561,
            0.17335394,
            0.07969936,
        ],
        [
            0.076178715,
            0.02575203,
            -0.15275668,
            0.067437984,
            -0.16014327,
            -0.028610703,
            0.09798156,
            0.526686,
            -0.11596878,
            0.420717,
            -0.13497548,
            0.12063514,
            0.016966006,
            0.24830206,
            0.09249565,
        ],
    ];
    const ADAM_CYCLIC: [[f32; 15]; 6] = [
        [
            0.29000002,
            -0.49,
            0.14,
            -0.19,
            0.24,
            0.44,
            0.09,
            0.35999998,
            -0.29000002,
            0.39000002,
            -0.09,
            0.19,
            0.09,
            -0.19,
            0.06,
        ],
        [
            0.24380895,
            -0.4435731,
            0.09358117,
            -0.14382471,
            0.19366154,
            0.39355862,
            0.045947555,
            0.4063208,
            -0.24385346,
            0.34759158,
            -0.045020565,
            0.14429732,
            0.044262696,
            -0.143587,
            0.10583629,
        ],
        [
            0.170063,
            -0.36607388,
            0.016212545,
            -0.07032613,
            0.117508866,
            0.31586578,
            0.03073099,
            0.48213798,
            -0.17104894,
            0.36332566,
            -0.00252999,
            0.08127712,
            -0.01983286,
            -0.066298686,
            0.17219657,
        ],
        [
            0.122014225,
            -0.31313592,
            -0.036427863,
            -0.022047278,
            0.066539556,
            0.2628145,
            0.05421167,
            0.53187084,
            -0.12644078,
            0.39650622,
            -0.0075027863,
            0.05742903,
            -0.049850676,
            -0.013719272,
            0.20421207,
        ],
        [
            0.11102358,
            -0.30066192,
            -0.048796553,
            -0.010852941,
            0.054668907,
            0.25033635,
            0.061609317,
            0.5430894,
            -0.11705173,
            0.4053793,
            -0.011849893,
            0.0553413,
            -0.054288033,
            -0.0013603587,
            0.20919025,
        ],
        [
            0.069917336,
            -0.25077704,
            -0.097808644,
            0.032184776,
            0.0086639,
            0.20071737,
            0.10065821,
            0.5835526,
            -0.087375455,
            0.44860995,
            -0.042026926,
            0.062960766,
            -0.05820155,
            0.047659345,
            0.21579176,
        ],
    ];

    /// Runs `optimizer` under the schedule in `json` (one batch per epoch) on the fixture,
    /// setting the schedule's momentum before each step as the trainer does.
    fn run(optimizer: OptimizerConfig, json: &str, steps: usize) -> Vec<[f32; 15]> {
        let schedule: ScheduleConfig = serde_json::from_str(json).expect("parses");
        let mut rates = schedule.init(0.1, 1, steps).expect("valid");
        let momentum = schedule
            .momentum(0.1, 1, steps)
            .expect("valid")
            .expect("cycled");
        let handle = MomentumHandle::new();
        let mut optim = optimizer.init_with_momentum(&handle).expect("valid");
        let mut model = fixture();
        (0..steps)
            .map(|t| {
                let lr = rates.step();
                handle.set(momentum.at(t));
                model = optim.step(lr, model.clone(), grads(&model));
                flatten(&model)
            })
            .collect()
    }

    fn sgd(nesterov: bool) -> OptimizerConfig {
        let momentum = MomentumConfig::new(0.9).with_nesterov(nesterov);
        OptimizerConfig::Sgd(SgdConfig::new().with_momentum(Some(momentum)))
    }

    #[test]
    fn sgd_under_onecycle_matches_pytorch() {
        let actual = run(sgd(false), r#"{"kind": "onecycle"}"#, 6);
        assert_matches("sgd onecycle", &actual, &SGD_ONECYCLE);
    }

    #[test]
    fn nesterov_under_cyclic_matches_pytorch() {
        let json = r#"{"kind": "cyclic", "min_lr": 0.01, "step_size_up": 2}"#;
        assert_matches(
            "nesterov cyclic",
            &run(sgd(true), json, 6),
            &NESTEROV_CYCLIC,
        );
    }

    #[test]
    fn adam_beta1_under_cyclic_matches_pytorch() {
        let json = r#"{"kind": "cyclic", "min_lr": 0.01, "step_size_up": 2}"#;
        let adam = OptimizerConfig::Adam(AdamConfig::new());
        assert_matches("adam cyclic", &run(adam, json, 6), &ADAM_CYCLIC);
    }

    #[test]
    fn an_empty_handle_keeps_the_configured_momentum() {
        let handle = MomentumHandle::new();
        assert_eq!(handle.get(), None);
        assert_eq!(effective(Some(&handle), 0.9), 0.9);
        handle.clone().set(Some(0.8));
        assert_eq!(effective(Some(&handle), 0.9), 0.8);
        handle.set(None);
        assert_eq!(effective(Some(&handle), 0.9), 0.9);
    }
}
