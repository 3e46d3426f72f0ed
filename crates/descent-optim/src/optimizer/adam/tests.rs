//! [`Adam`] against `torch.optim.Adam` / `torch.optim.AdamW`, save/resume, and config errors.

use super::*;
use crate::optimizer::test_utils::{assert_matches, assert_resume, fixture, grads, run};

const LRS: [f64; 6] = [0.01, 0.01, 0.008, 0.008, 0.005, 0.005];

// Expected values: the parameters (Burn layout: weight [4, 3] row-major, then bias) after
// each step, printed by this script (PyTorch 2.15.0 CPU, float32; ~/.cache/torch-venv):
//
// import struct
// import torch
//
// W0 = torch.tensor([[0.30, -0.20, 0.10, 0.40], [-0.50, 0.25, 0.35, -0.10], [0.15, 0.45, -0.30, 0.20]])
// B0 = torch.tensor([0.10, -0.20, 0.05])
// X = torch.tensor([[1.0, 2.0, -1.0, 0.5], [0.5, -1.5, 2.0, 1.0], [-1.0, 0.0, 1.5, -2.0],
//                   [2.0, 1.0, 0.5, -0.5], [0.0, -0.5, -1.0, 1.5], [1.5, -2.0, 0.0, 1.0]])
// Y = torch.tensor([[0.5, -1.0, 1.0], [1.5, 0.0, -0.5], [-1.0, 2.0, 0.5],
//                   [0.0, 1.0, -1.5], [1.0, -0.5, 0.0], [-0.5, 1.5, 1.0]])
//
//
// def run(make_opt, lrs, before_step=None):
//     lin = torch.nn.Linear(4, 3)
//     with torch.no_grad():
//         lin.weight.copy_(W0)
//         lin.bias.copy_(B0)
//     opt = make_opt(lin.parameters())
//     rows = []
//     for lr in lrs:
//         for group in opt.param_groups:
//             group["lr"] = lr
//         opt.zero_grad()
//         torch.nn.functional.mse_loss(lin(X), Y).backward()
//         if before_step is not None:
//             before_step(list(lin.parameters()), lr)
//         opt.step()
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
// Adam, AdamW = torch.optim.Adam, torch.optim.AdamW
// LRS = [0.01, 0.01, 0.008, 0.008, 0.005, 0.005]
//
// emit("ADAM", run(lambda p: Adam(p, lr=0.01), LRS))
// emit("ADAM_COUPLED_WD", run(lambda p: Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6,
//                                            weight_decay=0.1), LRS))
// emit("ADAM_AMSGRAD", run(lambda p: Adam(p, lr=0.01, amsgrad=True), LRS))
// emit("ADAMW", run(lambda p: AdamW(p, lr=0.01, weight_decay=0.1), LRS))
// emit("ADAMW_AMSGRAD_MAXIMIZE", run(lambda p: AdamW(p, lr=0.01, weight_decay=0.1, amsgrad=True,
//                                                    maximize=True), LRS))

#[rustfmt::skip]
const ADAM: [[f32; 15]; 6] = [
    [0.29000002, -0.49, 0.14, -0.19, 0.24, 0.44, 0.09, 0.35999998, -0.29000002, 0.39000002, -0.09, 0.19, 0.09, -0.19, 0.06],
    [0.28001896, -0.4800066, 0.13000698, -0.18001983, 0.23001096, 0.4300059, 0.080198355, 0.3699881, -0.28002152, 0.3803834, -0.08010908, 0.18005061, 0.080048144, -0.18000725, 0.069958776],
    [0.27206042, -0.4720208, 0.12202205, -0.17206329, 0.22203475, 0.42201865, 0.07272882, 0.37796223, -0.27206907, 0.37351027, -0.07237832, 0.17216745, 0.07215847, -0.17202292, 0.077864945],
    [0.2641339, -0.46404585, 0.11404866, -0.16414018, 0.21407689, 0.41404116, 0.06584742, 0.38591617, -0.2641543, 0.36801106, -0.064905494, 0.16438362, 0.06436066, -0.16405058, 0.085693344],
    [0.25920433, -0.45906985, 0.10907423, -0.1592137, 0.20911747, 0.40906277, 0.062128406, 0.39087147, -0.2592375, 0.3658179, -0.060468324, 0.15960175, 0.059561737, -0.15907714, 0.09052234],
    [0.25429806, -0.45410198, 0.10410855, -0.15431127, 0.20417197, 0.4040918, 0.0590965, 0.39581102, -0.25435033, 0.36486927, -0.056288842, 0.15490514, 0.054837197, -0.15411276, 0.09528696],
];
#[rustfmt::skip]
const ADAM_COUPLED_WD: [[f32; 15]; 6] = [
    [0.29000005, -0.49, 0.14000003, -0.19000003, 0.24000001, 0.44, 0.09000018, 0.35999995, -0.29000005, 0.39000013, -0.09000011, 0.19000009, 0.09000006, -0.19000001, 0.059999704],
    [0.280033, -0.48001269, 0.13001443, -0.18003559, 0.23002078, 0.43001157, 0.080232225, 0.3699722, -0.28003696, 0.3801869, -0.08015372, 0.18007371, 0.08007942, -0.18001446, 0.06988704],
    [0.27210483, -0.47203985, 0.12204543, -0.17211321, 0.22206564, 0.42203638, 0.07281432, 0.3779117, -0.27211782, 0.37264475, -0.07252175, 0.17224012, 0.07225925, -0.1720455, 0.07762649],
    [0.26423213, -0.46408743, 0.11409999, -0.16425061, 0.21414465, 0.4140799, 0.06597276, 0.3858041, -0.2642619, 0.36554107, -0.065226994, 0.16454387, 0.06458756, -0.1641, 0.0851432],
    [0.25935462, -0.4591327, 0.10915225, -0.15938245, 0.20922026, 0.40912145, 0.062217597, 0.3906999, -0.2594014, 0.36149526, -0.060961492, 0.15984549, 0.059913024, -0.15915202, 0.08965725],
    [0.2545181, -0.45419264, 0.10422188, -0.15455778, 0.20432079, 0.40417665, 0.05903485, 0.3955598, -0.2545887, 0.35788298, -0.057009455, 0.15525886, 0.05535787, -0.15422106, 0.09398536],
];
#[rustfmt::skip]
const ADAM_AMSGRAD: [[f32; 15]; 6] = [
    [0.29000002, -0.49, 0.14, -0.19, 0.24, 0.44, 0.09, 0.35999998, -0.29000002, 0.39000002, -0.09, 0.19, 0.09, -0.19, 0.06],
    [0.28001896, -0.4800066, 0.13000698, -0.18001983, 0.23001096, 0.4300059, 0.080198355, 0.3699881, -0.28002152, 0.3803834, -0.08010908, 0.18005061, 0.080048144, -0.18000725, 0.069958776],
    [0.27206042, -0.4720208, 0.12202205, -0.17206329, 0.22203475, 0.42201865, 0.07272882, 0.37796223, -0.27206907, 0.37351027, -0.07237832, 0.17216745, 0.07215847, -0.17202292, 0.077864945],
    [0.2641339, -0.46404585, 0.11404866, -0.16414018, 0.21407689, 0.41404116, 0.06584742, 0.38591617, -0.2641543, 0.36801168, -0.064905494, 0.16438362, 0.06436066, -0.16405058, 0.085693344],
    [0.25920433, -0.45906985, 0.10907423, -0.1592137, 0.20911747, 0.40906277, 0.062128447, 0.39087147, -0.2592375, 0.3658185, -0.060468324, 0.15960175, 0.059561737, -0.15907714, 0.09052234],
    [0.25429806, -0.45410198, 0.10410855, -0.15431127, 0.20417197, 0.4040918, 0.05909656, 0.39581102, -0.25435033, 0.3648698, -0.056288842, 0.15490514, 0.054837197, -0.15411276, 0.09528696],
];
#[rustfmt::skip]
const ADAMW: [[f32; 15]; 6] = [
    [0.28970003, -0.48950002, 0.13985, -0.1898, 0.23975, 0.43955, 0.0899, 0.35965, -0.28970003, 0.3896, -0.0899, 0.1898, 0.0899, -0.1898, 0.059949998],
    [0.2794299, -0.47901738, 0.12971735, -0.17963055, 0.22952133, 0.42911667, 0.08000979, 0.36927873, -0.27943256, 0.37962198, -0.079925574, 0.17966199, 0.079859585, -0.17961761, 0.069849074],
    [0.2712493, -0.47064894, 0.12162911, -0.17153145, 0.22136177, 0.42078674, 0.072480224, 0.37695804, -0.27125823, 0.37254062, -0.072148226, 0.17163791, 0.071909204, -0.17148994, 0.07770003],
    [0.2631083, -0.46229845, 0.11355923, -0.16347313, 0.21322726, 0.41247365, 0.06555086, 0.38461155, -0.26312947, 0.3669637, -0.064654335, 0.16372211, 0.06405981, -0.16338101, 0.08546763],
    [0.25804958, -0.45709226, 0.10852879, -0.15846677, 0.20816162, 0.40729007, 0.061813384, 0.3893757, -0.25808412, 0.36481035, -0.060226668, 0.15886389, 0.059234798, -0.15832645, 0.0902554],
    [0.25301737, -0.45189708, 0.10350987, -0.15348746, 0.20311254, 0.4021168, 0.05877602, 0.3941221, -0.253072, 0.3639498, -0.05608131, 0.15409565, 0.054488793, -0.15328366, 0.09497713],
];
#[rustfmt::skip]
const ADAMW_AMSGRAD_MAXIMIZE: [[f32; 15]; 6] = [
    [0.3097, -0.5095, 0.15985002, -0.2098, 0.25975, 0.45955, 0.1099, 0.33965, -0.3097, 0.4096, -0.1099, 0.2098, 0.1099, -0.2098, 0.039950002],
    [0.31940055, -0.5189955, 0.16969547, -0.21960074, 0.26949772, 0.46909502, 0.11978225, 0.32930228, -0.3194012, 0.41915244, -0.11979865, 0.21960378, 0.11980368, -0.2195957, 0.029896569],
    [0.32716644, -0.52659094, 0.17757086, -0.22744706, 0.27729782, 0.47672942, 0.1276857, 0.3210219, -0.3271685, 0.4267778, -0.12772496, 0.22745696, 0.12773664, -0.2274316, 0.021844208],
    [0.33494237, -0.5341883, 0.18544836, -0.23530383, 0.28510347, 0.484365, 0.1356081, 0.31273544, -0.3349469, 0.43442106, -0.13567115, 0.23532785, 0.13568692, -0.23526995, 0.013775373],
    [0.33981067, -0.5389389, 0.19037423, -0.24022299, 0.28998706, 0.4891389, 0.14057794, 0.3075509, -0.3398176, 0.43921793, -0.14065456, 0.24026155, 0.1406699, -0.2401716, 0.008718959],
    [0.34468883, -0.54369307, 0.1953039, -0.24515234, 0.29487705, 0.49391586, 0.14557375, 0.30235943, -0.34469908, 0.4440455, -0.14565963, 0.24521214, 0.14566934, -0.24507731, 0.0036469218],
];

fn check(name: &str, optim: ModuleOptimizer, expected: &[[f32; 15]]) {
    let actual = run(optim, &LRS, |_, grads| grads);
    assert_matches(name, &actual, expected);
}

#[test]
fn adam_matches_pytorch() {
    check("adam", AdamConfig::new().init().unwrap(), &ADAM);
}

#[test]
fn adam_coupled_weight_decay_matches_pytorch() {
    let config = AdamConfig::new()
        .with_beta_1(0.8)
        .with_beta_2(0.99)
        .with_eps(1e-6)
        .with_weight_decay(Some(WeightDecayConfig::new(0.1)));
    check("adam wd", config.init().unwrap(), &ADAM_COUPLED_WD);
}

#[test]
fn amsgrad_matches_pytorch() {
    let config = AdamConfig::new().with_amsgrad(true);
    check("amsgrad", config.init().unwrap(), &ADAM_AMSGRAD);
}

#[test]
fn adamw_matches_pytorch() {
    let config = AdamWConfig::new().with_weight_decay(0.1);
    check("adamw", config.init().unwrap(), &ADAMW);
    // Adam with decoupled decay is the same optimizer.
    let adam = AdamConfig::new().with_weight_decay(Some(WeightDecayConfig::decoupled(0.1)));
    assert!(adam.build().unwrap().is_decoupled());
    check("adam decoupled", adam.init().unwrap(), &ADAMW);
}

#[test]
fn adamw_amsgrad_maximize_matches_pytorch() {
    let config = AdamWConfig::new()
        .with_weight_decay(0.1)
        .with_amsgrad(true)
        .with_maximize(true);
    check(
        "adamw amsgrad maximize",
        config.init().unwrap(),
        &ADAMW_AMSGRAD_MAXIMIZE,
    );
}

#[test]
fn state_resumes_identically() {
    assert_resume(|| AdamConfig::new().init().unwrap(), true);
    assert_resume(
        || AdamConfig::new().with_amsgrad(true).init().unwrap(),
        true,
    );
    assert_resume(
        || {
            AdamWConfig::new()
                .with_amsgrad(true)
                .with_maximize(true)
                .init()
                .unwrap()
        },
        true,
    );
}

#[test]
fn state_resumes_from_a_file_with_its_step_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("adam.bpk");
    let lr = 0.01;
    let mut model = fixture();
    let mut optim = AdamWConfig::new().init().unwrap();
    for _ in 0..3 {
        let g = grads(&model);
        model = optim.step(lr, model.clone(), g);
    }
    optim.save(&path).unwrap();
    let mut restored = AdamWConfig::new().init().unwrap().load(&path).unwrap();
    let a = optim.step(lr, model.clone(), grads(&model));
    let b = restored.step(lr, model.clone(), grads(&model));
    let fresh = AdamWConfig::new()
        .init()
        .unwrap()
        .step(lr, model.clone(), grads(&model));
    let flat = crate::optimizer::test_utils::flatten;
    assert_eq!(flat(&a), flat(&b));
    // A fresh optimizer (step 1) takes a different step: the record did carry state.
    assert_ne!(flat(&a), flat(&fresh));
}

#[test]
fn invalid_configs_name_the_field() {
    let field = |result: Result<ModuleOptimizer, OptimError>| match result {
        Err(OptimError::InvalidConfig { field, .. }) => field,
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => "ok",
    };
    assert_eq!(field(AdamConfig::new().with_beta_1(1.0).init()), "beta_1");
    assert_eq!(field(AdamConfig::new().with_beta_1(-0.1).init()), "beta_1");
    assert_eq!(field(AdamConfig::new().with_beta_2(1.0).init()), "beta_2");
    assert_eq!(field(AdamConfig::new().with_eps(0.0).init()), "eps");
    assert_eq!(field(AdamConfig::new().with_eps(f64::NAN).init()), "eps");
    let decay = Some(WeightDecayConfig::new(-0.1));
    assert_eq!(
        field(AdamConfig::new().with_weight_decay(decay).init()),
        "weight_decay"
    );
    assert_eq!(
        field(AdamWConfig::new().with_weight_decay(-0.1).init()),
        "weight_decay"
    );
    assert_eq!(field(AdamWConfig::new().with_beta_2(1.5).init()), "beta_2");
    assert_eq!(field(AdamWConfig::new().with_eps(-1.0).init()), "eps");
    assert_eq!(field(AdamWConfig::new().init()), "ok");
}
