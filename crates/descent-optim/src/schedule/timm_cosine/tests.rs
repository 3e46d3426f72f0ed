//! [`TimmCosine`](super::TimmCosine) against timm's own `CosineLRScheduler`.

use super::*;
use crate::schedule::ScheduleConfig;
use crate::schedule::test_utils::{TORCH_RTOL, assert_close, assert_invalid, check_resume, take};

// Reference: timm's scheduler code itself, run by PyTorch (timm is not installed in the
// venv; its two files are copied verbatim next to this script, torch 2.15.0 CPU,
// `~/.cache/torch-venv/bin/python timm_cosine_reference.py`):
//
//     # timm's CosineLRScheduler, driven the way timm's train.py drives it.
//     # timm_sched/ holds timm/scheduler/scheduler.py and cosine_lr.py verbatim from
//     # huggingface/pytorch-image-models at commit aa4b5850c1543fa488abf260f18390eda46cf85d.
//     import torch
//     from timm_sched.cosine_lr import CosineLRScheduler
//
//     def per_update(n, **kw):
//         opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
//         sched = CosineLRScheduler(opt, t_in_epochs=False, **kw)
//         lrs = []
//         for num_updates in range(1, n + 1):
//             lrs.append(opt.param_groups[0]["lr"])
//             opt.step()
//             sched.step_update(num_updates)
//         return lrs
//
//     def per_epoch(n, **kw):
//         opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
//         sched = CosineLRScheduler(opt, **kw)
//         lrs = []
//         for epoch in range(n):
//             lrs.append(opt.param_groups[0]["lr"])
//             opt.step()
//             sched.step(epoch + 1)
//         return lrs
//
//     print("A", per_update(60, t_initial=10, lr_min=0.001, cycle_mul=1.5, cycle_decay=0.7,
//                           cycle_limit=3, warmup_t=5, warmup_lr_init=0.01, warmup_prefix=True,
//                           k_decay=1.5, noise_range_t=(12, 30), noise_pct=0.2, noise_seed=7))
//     print("B", per_epoch(16, t_initial=4, lr_min=0.002, cycle_decay=0.5, cycle_limit=3,
//                          warmup_t=3, warmup_lr_init=0.005, noise_range_t=9))
//     print("C", per_update(40, t_initial=20, cycle_mul=0.8, cycle_limit=4, k_decay=0.5))

const TIMM_A: [f64; 60] = [
    0.01,
    0.028000000000000004,
    0.046000000000000006,
    0.064,
    0.082,
    0.1,
    0.09975592813123944,
    0.09805864253537311,
    0.0935498027299366,
    0.08517232615957085,
    0.07247878409614757,
    0.055969252457014756,
    0.03726074993690373,
    0.020686425002614892,
    0.006791577282129421,
    0.0628821974247694,
    0.0831010438155853,
    0.06180556389638199,
    0.07589345204758746,
    0.07658573856014819,
    0.058234306808139145,
    0.06751000943105537,
    0.04643270292082953,
    0.04604886231712208,
    0.034774594872382214,
    0.03158398251492109,
    0.020220728749615405,
    0.014375611384567664,
    0.006508718459491603,
    0.0024976454661431976,
    0.048999999999999995,
    0.04898960314281522,
    0.048916867174469796,
    0.048719811467444515,
    0.04833762254992841,
    0.047711987452517424,
    0.04678892661470226,
    0.04552107691511961,
    0.04387034603827577,
    0.041810824804640406,
    0.03933180620086686,
    0.03644072128277,
    0.03316576622447358,
    0.029557965533028526,
    0.025692398302142656,
    0.02166831202785577,
    0.017607866496727412,
    0.01365329251926916,
    0.009962319600948844,
    0.006701824059376482,
    0.004039773318342942,
    0.002135688999509269,
    0.0011300136370313964,
    0.001,
    0.001,
    0.001,
    0.001,
    0.001,
    0.001,
    0.001,
];

const TIMM_B: [f64; 16] = [
    0.005,
    0.03666666666666667,
    0.06833333333333334,
    0.016351767721859173,
    0.05,
    0.04297056274847714,
    0.026000000000000002,
    0.009029437251522861,
    0.025,
    0.028353792777005907,
    0.011535166963934898,
    0.004435161673490566,
    0.0010400307178497314,
    0.0009726366996765136,
    0.0019222261980175973,
    0.0022892024219036103,
];

const TIMM_C: [f64; 40] = [
    0.1,
    0.08816206126122778,
    0.07728974576770603,
    0.06733556895699833,
    0.05825371678822804,
    0.05,
    0.042531809393489634,
    0.03580807212125435,
    0.02978920896264117,
    0.024437092566979537,
    0.01971500664605933,
    0.01558760609769936,
    0.012020878042513755,
    0.008982103756280413,
    0.0064398214806085825,
    0.004363790094891101,
    0.0027249536328111004,
    0.001495406626953022,
    0.0006483602653438059,
    0.000158109344021945,
    0.1,
    0.08535533905932738,
    0.07220079201631067,
    0.06044484333880971,
    0.05,
    0.04078265383998922,
    0.03271294778256104,
    0.025714645815653733,
    0.01971500664605933,
    0.014644660940672627,
    0.010437492068430483,
    0.007030520258858953,
    0.004363790094891101,
    0.0023802612593315287,
    0.0010257024560256123,
    0.0002485884284422868,
    0.0,
    0.08193064900686692,
    0.0661535538415162,
    0.05249293215131443,
];

/// Run A: every option at once, per update.
fn run_a() -> TimmCosineConfig {
    TimmCosineConfig::new(0.1, 10)
        .with_lr_min(0.001)
        .with_cycle_mul(1.5)
        .with_cycle_decay(0.7)
        .with_cycle_limit(3)
        .with_warmup_t(5)
        .with_warmup_lr_init(0.01)
        .with_warmup_prefix(true)
        .with_k_decay(1.5)
        .with_noise_start(Some(12))
        .with_noise_end(Some(30))
        .with_noise_pct(0.2)
        .with_noise_seed(7)
}

#[test]
fn matches_timm_with_every_option_per_update() {
    let mut schedule = run_a().init().expect("valid");
    assert_close(&take(&mut schedule, TIMM_A.len()), &TIMM_A, TORCH_RTOL);
}

#[test]
fn matches_timm_with_a_shrinking_float_cycle_and_k_decay() {
    let config = TimmCosineConfig::new(0.1, 20)
        .with_cycle_mul(0.8)
        .with_cycle_limit(4)
        .with_k_decay(0.5);
    let mut schedule = config.init().expect("valid");
    assert_close(&take(&mut schedule, TIMM_C.len()), &TIMM_C, TORCH_RTOL);
}

#[test]
fn matches_timm_per_epoch_through_the_config() {
    // timm's default `t_in_epochs=True`: one rate per epoch, held for its 3 batches; a single
    // noise start (timm's int `noise_range_t`) and the floor after the cycle limit.
    let json = r#"{"kind": "timm-cosine", "t_initial": 4, "lr_min": 0.002, "cycle_decay": 0.5,
        "cycle_limit": 3, "warmup_t": 3, "warmup_lr_init": 0.005, "noise_range_t": [9]}"#;
    let config: ScheduleConfig = serde_json::from_str(json).expect("parses");
    let mut schedule = config.init(0.1, 3, TIMM_B.len()).expect("valid");
    let lrs = take(&mut schedule, 3 * TIMM_B.len());
    let expected: Vec<f64> = (0..lrs.len()).map(|b| TIMM_B[b / 3]).collect();
    assert_close(&lrs, &expected, TORCH_RTOL);
}

#[test]
fn noise_stays_within_its_bound() {
    let schedule = run_a().init().expect("valid");
    for t in 0..200 {
        let (clean, noisy) = (schedule.clean_lr_at(t), schedule.lr_at(t));
        if (12..30).contains(&t) {
            assert!(
                (noisy / clean - 1.0).abs() < 0.2,
                "step {t}: {noisy} vs {clean}"
            );
        } else {
            assert_eq!(noisy, clean, "step {t} has no noise");
        }
    }
}

#[test]
fn resumes() {
    let schedule = run_a().init().expect("valid");
    check_resume(&schedule, &[0, 4, 5, 13, 29, 57], 20);
}

#[test]
fn rejects_invalid_configs() {
    let base = || TimmCosineConfig::new(0.1, 10);
    assert_invalid(TimmCosineConfig::new(0.1, 0).init(), "t_initial");
    assert_invalid(base().with_cycle_mul(0.0).init(), "cycle_mul");
    assert_invalid(base().with_cycle_limit(0).init(), "cycle_limit");
    assert_invalid(base().with_k_decay(-1.0).init(), "k_decay");
    assert_invalid(base().with_noise_pct(0.0).init(), "noise_pct");
    assert_invalid(
        base()
            .with_noise_start(Some(5))
            .with_noise_end(Some(5))
            .init(),
        "noise_range_t",
    );
}
