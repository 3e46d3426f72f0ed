//! The files of a checkpoint folder, read the way `descent train --resume` reads them. The
//! flag byte (mod 4) picks the file the rest of the input is:
//!
//! - 0: `state.json` (the trainer state, `checkpoint::read_state` from a folder);
//! - 1: `model.bpk` (a burnpack module record, loaded into a tiny MLP by
//!   `records::load_module`);
//! - 2: `optimizer.bpk` (`records::parse_optimizer`, then, as the trainer does,
//!   `ModuleOptimizer::load_record` into SGD with momentum or Adam (flag bit 2) and one
//!   step on the tiny MLP, where a state of the wrong shape would show);
//! - 3: `scheduler.bpk` (`LrSchedulerRecord::from_bytes`, then `load_record` into one of
//!   the schedules (flag bits 2-4) and a few steps, as the trainer does).
#![no_main]

use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};
use burn::module::Module;
use burn::optim::{GradientsParams, OptimizerRecord};
use burn::tensor::{Bytes, Tensor};
use descent_fuzz::{device, scratch_dir, split_flags, tiny_model, write_scratch};
use descent_models::ImageClassifier;
use descent_optim::{AdamConfig, MomentumConfig, ScheduleConfig, SgdConfig};
use descent_train::{checkpoint, layout, records};
use libfuzzer_sys::fuzz_target;

/// Schedules with state worth restoring (counters, restarts, cycles, a sequence).
const SCHEDULES: [&str; 8] = [
    r#"{"kind": "constant"}"#,
    r#"{"kind": "step", "step_size": 3}"#,
    r#"{"kind": "multistep", "milestones": [2, 5]}"#,
    r#"{"kind": "cosine"}"#,
    r#"{"kind": "sgdr", "t_0": 2, "t_mult": 2}"#,
    r#"{"kind": "cyclic", "step_size_up": 2}"#,
    r#"{"kind": "onecycle"}"#,
    r#"{"kind": "sequence", "schedules": [{"kind": "warmup"}, {"kind": "cosine"}], "milestones": [3]}"#,
];

fn optimizer_step(flags: u8, record: OptimizerRecord) {
    let optimizer = if flags & 4 == 0 {
        SgdConfig::new()
            .with_momentum(Some(MomentumConfig::new(0.9)))
            .init()
    } else {
        AdamConfig::new().init()
    };
    let mut optimizer = optimizer.expect("a valid optimizer").load_record(record);
    let model = tiny_model(&device())
        .to_device(&device().autodiff())
        .train();
    let images = Tensor::<4>::from_floats([[[[0.5, -1.0]]], [[[1.0, 2.0]]]], &device().autodiff());
    let loss = model.logits(images).square().mean();
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let _ = optimizer.step(0.1, model, grads);
}

fn schedule_steps(flags: u8, record: LrSchedulerRecord) {
    let config: ScheduleConfig = serde_json::from_str(SCHEDULES[usize::from(flags >> 2) % 8])
        .expect("a valid schedule configuration");
    let mut schedule = config.init(0.1, 10, 20).expect("a valid schedule");
    schedule.load_record(record);
    for _ in 0..3 {
        let _ = schedule.step();
    }
}

fuzz_target!(|data: &[u8]| {
    let (flags, rest) = split_flags(data);
    match flags % 4 {
        0 => {
            write_scratch(layout::STATE, rest);
            let _ = checkpoint::read_state(scratch_dir());
        }
        1 => {
            let path = write_scratch(layout::MODEL, rest);
            let _ = records::load_module(tiny_model(&device()), &path);
        }
        2 => {
            let path = scratch_dir().join(layout::OPTIMIZER);
            if let Ok(record) = records::parse_optimizer(rest.to_vec(), &path) {
                optimizer_step(flags, record);
            }
        }
        _ => {
            if let Ok(record) = LrSchedulerRecord::from_bytes(Bytes::from_bytes_vec(rest.to_vec()))
            {
                schedule_steps(flags, record);
            }
        }
    }
});
