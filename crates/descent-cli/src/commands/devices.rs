//! `descent devices`: what this build offers and what opens on this machine.

use descent_train::DeviceChoice;

/// Prints one line per device name.
pub fn run() -> anyhow::Result<()> {
    println!("{:<8} {:<10} detail", "device", "status");
    for choice in DeviceChoice::ALL {
        let (status, detail) = if !choice.is_compiled() {
            let how = match choice {
                DeviceChoice::Cuda => " (build with `--features cuda`; see the README, \"GPUs\")",
                _ => "",
            };
            ("absent", format!("not compiled into this build{how}"))
        } else {
            match choice.describe() {
                Ok(text) => ("ok", text),
                Err(err) => ("unusable", err.to_string()),
            }
        };
        let detail = if choice == DeviceChoice::Cpu {
            format!("{detail}; `cpu` means {}", choice.resolve())
        } else {
            detail
        };
        println!("{:<8} {:<10} {detail}", choice.to_string(), status);
    }
    Ok(())
}
