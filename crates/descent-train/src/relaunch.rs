//! Settings a process takes from its environment only when it starts: glibc's malloc
//! tunables ([`crate::allocator`]) and a runtime folder for GPU drivers ([`crate::runtime_dir`]).
//!
//! [`apply`] runs the binary again, once, as the same process (`exec`: same pid, arguments
//! and streams) with what is missing added to its environment. The second start finds
//! everything set and goes on. (Setting variables in a running process is `unsafe` since
//! Rust 2024 and too late for malloc; a fresh start is neither.)

/// The variables to add: malloc's tunables unless the environment already decides them, and
/// `XDG_RUNTIME_DIR` when it is unset or invalid and a private one could be made.
pub fn missing() -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = crate::allocator::settings_to_add()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(dir) = crate::runtime_dir::needed() {
        vars.push((
            crate::runtime_dir::VARIABLE.to_string(),
            dir.to_string_lossy().into_owned(),
        ));
    }
    vars
}

/// On Linux with glibc, when [`missing`] is not empty: replaces this process with a fresh run
/// of its own executable with those variables set. It returns only if there was nothing to
/// add or the exec failed, and then the program goes on as it is. Call it first thing in
/// `main`, before threads are started.
pub fn apply() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        let vars = missing();
        if vars.is_empty() {
            return;
        }
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut command = std::process::Command::new(exe);
        command.args(std::env::args_os().skip(1));
        if let Some(arg0) = std::env::args_os().next() {
            command.arg0(arg0);
        }
        command.envs(vars);
        // Only returns on failure.
        let _ = command.exec();
    }
}
