//! The JSON files a run folder holds: `config.json` (`RunConfig::from_json`, then the checks
//! `descent train --resume` makes before training: options, model, optimizer, schedule),
//! `model.json` (`ModelCard::from_json`, then the model's checks and size), and
//! `trajectory/index.json` (`TrajectoryIndex::load`). The flag byte (mod 3) picks the file.
#![no_main]

use std::path::Path;

use descent_fuzz::{scratch_dir, split_flags, write_scratch};
use descent_train::{ModelCard, RunConfig};
use descent_train::trajectory::TrajectoryIndex;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (flags, rest) = split_flags(data);
    match flags % 3 {
        0 => {
            if let Ok(config) = RunConfig::from_json(rest, Path::new("config.json")) {
                let _ = config.training.validate();
                if config.model.validate().is_ok() {
                    let _ = config.model.num_params();
                    let _ = config.model.describe();
                }
                let _ = config.optimizer.init();
                let steps = config.training.steps_per_epoch(1000);
                let _ = config
                    .schedule
                    .init(config.learning_rate, steps, config.training.epochs);
            }
        }
        1 => {
            if let Ok(card) = ModelCard::from_json(rest, Path::new("model.json"))
                && card.model.validate().is_ok()
            {
                let _ = card.model.num_params();
                let _ = card.model.describe();
            }
        }
        _ => {
            std::fs::create_dir_all(scratch_dir().join("trajectory"))
                .expect("creates the trajectory folder");
            write_scratch("trajectory/index.json", rest);
            if let Ok(index) = TrajectoryIndex::load(scratch_dir()) {
                let _ = index.paths(scratch_dir());
            }
        }
    }
});
