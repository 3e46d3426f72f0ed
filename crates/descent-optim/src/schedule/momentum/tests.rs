//! [`MomentumSchedule`](super::MomentumSchedule) against PyTorch's `CyclicLR` and `OneCycleLR`
//! with `cycle_momentum=True`.

use crate::schedule::test_utils::{TORCH_RTOL, assert_close, assert_invalid};
use crate::schedule::{ScheduleConfig, ScheduleKind};

// PyTorch reference (momentum_reference.py, torch 2.15.0 CPU,
// `~/.cache/torch-venv/bin/python momentum_reference.py`):
//
//     # Momentum that PyTorch's CyclicLR and OneCycleLR set (cycle_momentum=True, their defaults),
//     # read from the optimizer before each optimizer.step(), as the rate.
//     import torch
//     from torch.optim.lr_scheduler import CyclicLR, OneCycleLR
//
//     def momenta(make, n, adam=False):
//         p = torch.zeros(1, requires_grad=True)
//         opt = torch.optim.Adam([p], lr=0.1) if adam else torch.optim.SGD([p], lr=0.1, momentum=0.9)
//         sched = make(opt)
//         out = []
//         for _ in range(n):
//             g = opt.param_groups[0]
//             out.append(g["betas"][0] if adam else g["momentum"])
//             opt.step()
//             sched.step()
//         return out
//
//     for mode in ["triangular", "triangular2", "exp_range"]:
//         print("cyclic", mode, momenta(lambda o: CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4,
//             step_size_down=6, mode=mode, gamma=0.97), 25))
//     print("cyclic adam", momenta(lambda o: CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4),
//           12, adam=True))
//     print("onecycle", momenta(lambda o: OneCycleLR(o, max_lr=0.1, total_steps=20), 20))
//     print("onecycle three", momenta(lambda o: OneCycleLR(o, max_lr=0.1, total_steps=20,
//           three_phase=True, anneal_strategy="linear", base_momentum=0.8, max_momentum=0.9), 20))

const CYCLIC_TRIANGULAR: [f64; 25] = [
    0.9,
    0.875,
    0.8500000000000001,
    0.8250000000000001,
    0.8,
    0.8166666666666667,
    0.8333333333333334,
    0.85,
    0.8666666666666667,
    0.8833333333333333,
    0.9,
    0.875,
    0.85,
    0.8250000000000001,
    0.8,
    0.8166666666666667,
    0.8333333333333334,
    0.8500000000000001,
    0.8666666666666667,
    0.8833333333333333,
    0.9,
    0.875,
    0.85,
    0.8250000000000001,
    0.8,
];

const CYCLIC_TRIANGULAR2: [f64; 25] = [
    0.9,
    0.875,
    0.8500000000000001,
    0.8250000000000001,
    0.8,
    0.8166666666666667,
    0.8333333333333334,
    0.85,
    0.8666666666666667,
    0.8833333333333333,
    0.9,
    0.8875000000000001,
    0.875,
    0.8625,
    0.8500000000000001,
    0.8583333333333334,
    0.8666666666666667,
    0.875,
    0.8833333333333333,
    0.8916666666666667,
    0.9,
    0.89375,
    0.8875000000000001,
    0.8812500000000001,
    0.875,
];

const CYCLIC_EXP_RANGE: [f64; 25] = [
    0.9,
    0.87575,
    0.852955,
    0.831549525,
    0.8114707190000001,
    0.8284388311916667,
    0.8444685330047333,
    0.8596008577609435,
    0.8738752213520768,
    0.8873294823557573,
    0.9,
    0.882117464922798,
    0.8653078819502281,
    0.849522968237582,
    0.8347163722539394,
    0.8472290675719343,
    0.859049756435821,
    0.8702086978070598,
    0.8807349579152319,
    0.8906564545888875,
    0.9,
    0.8868129871840263,
    0.8744171951370112,
    0.8627770189243513,
    0.8518582778088277,
];

const CYCLIC_ADAM: [f64; 12] = [
    0.9,
    0.875,
    0.8500000000000001,
    0.8250000000000001,
    0.8,
    0.8250000000000001,
    0.8500000000000001,
    0.875,
    0.9,
    0.875,
    0.8500000000000001,
    0.8250000000000001,
];

const ONECYCLE: [f64; 20] = [
    0.95,
    0.9404508497187474,
    0.9154508497187474,
    0.8845491502812526,
    0.8595491502812526,
    0.85,
    0.8512536043909088,
    0.854951556604879,
    0.8609084258765984,
    0.8688255099070633,
    0.878305813044122,
    0.8888739533021842,
    0.8999999999999999,
    0.9111260466978157,
    0.9216941869558779,
    0.9311744900929366,
    0.9390915741234015,
    0.945048443395121,
    0.9487463956090911,
    0.95,
];

const ONECYCLE_THREE: [f64; 20] = [
    0.9,
    0.88,
    0.86,
    0.8400000000000001,
    0.8200000000000001,
    0.8,
    0.8200000000000001,
    0.8400000000000001,
    0.86,
    0.88,
    0.9,
    0.9,
    0.9,
    0.9,
    0.9,
    0.9,
    0.9,
    0.9,
    0.9,
    0.9,
];

/// The momenta of the config in `json` over `n` steps of one batch per epoch.
fn momenta(json: &str, n: usize) -> Vec<f64> {
    let config: ScheduleConfig = serde_json::from_str(json).expect("parses");
    let schedule = config.momentum(0.1, 1, n).expect("valid").expect("cycled");
    schedule
        .trace(n)
        .into_iter()
        .map(|m| m.expect("cycled at every step"))
        .collect()
}

#[test]
fn cyclic_momentum_matches_torch_in_all_three_modes() {
    for (mode, torch) in [
        ("triangular", &CYCLIC_TRIANGULAR),
        ("triangular2", &CYCLIC_TRIANGULAR2),
        ("exp_range", &CYCLIC_EXP_RANGE),
    ] {
        let json = format!(
            r#"{{"kind": "cyclic", "min_lr": 0.01, "step_size_up": 4, "step_size_down": 6,
                "mode": "{mode}", "gamma": 0.97}}"#
        );
        assert_close(&momenta(&json, torch.len()), torch, TORCH_RTOL);
    }
    // Adam's beta1 follows the same values.
    let json = r#"{"kind": "cyclic", "min_lr": 0.01, "step_size_up": 4}"#;
    assert_close(&momenta(json, CYCLIC_ADAM.len()), &CYCLIC_ADAM, TORCH_RTOL);
}

#[test]
fn onecycle_momentum_matches_torch() {
    assert_close(
        &momenta(r#"{"kind": "onecycle"}"#, 20),
        &ONECYCLE,
        TORCH_RTOL,
    );
    let json = r#"{"kind": "onecycle", "three_phase": true, "anneal_strategy": "linear",
        "base_momentum": 0.8, "max_momentum": 0.9}"#;
    assert_close(&momenta(json, 20), &ONECYCLE_THREE, TORCH_RTOL);
}

#[test]
fn only_cycled_schedules_set_a_momentum_and_a_sequence_offsets_it() {
    for kind in ScheduleKind::ALL {
        let momentum = kind.default_config().momentum(0.1, 5, 20).expect("valid");
        let cycled = matches!(kind, ScheduleKind::Cyclic | ScheduleKind::OneCycle);
        assert_eq!(momentum.is_some(), cycled, "{kind}");
    }
    let off = r#"{"kind": "onecycle", "cycle_momentum": false}"#;
    let config: ScheduleConfig = serde_json::from_str(off).expect("parses");
    assert!(config.momentum(0.1, 1, 20).expect("valid").is_none());
    // Two epochs of warm-up (no cycled momentum), then the one-cycle over the 20 batches left.
    let json = r#"{"kind": "sequence", "milestones": [2],
        "schedules": [{"kind": "warmup"}, {"kind": "onecycle"}]}"#;
    let config: ScheduleConfig = serde_json::from_str(json).expect("parses");
    let trace = config
        .momentum(0.1, 5, 6)
        .expect("valid")
        .expect("cycled")
        .trace(30);
    assert!(trace[..10].iter().all(Option::is_none), "{trace:?}");
    let tail: Vec<f64> = trace[10..].iter().map(|m| m.expect("cycled")).collect();
    assert_close(&tail, &ONECYCLE, TORCH_RTOL);
}

#[test]
fn momentum_bounds_are_checked() {
    let check = |json: &str, field: &str| {
        let config: ScheduleConfig = serde_json::from_str(json).expect("parses");
        assert_invalid(config.momentum(0.1, 1, 20), field);
    };
    check(r#"{"kind": "cyclic", "max_momentum": 1.0}"#, "max_momentum");
    check(
        r#"{"kind": "onecycle", "base_momentum": -0.1}"#,
        "base_momentum",
    );
    check(
        r#"{"kind": "onecycle", "base_momentum": 0.96}"#,
        "base_momentum",
    );
}
