//! glibc malloc settings for training on the CPU.
//!
//! Burn's CPU backends allocate fresh buffers for every tensor of every step. glibc serves a
//! buffer above its mmap threshold with a new `mmap` and hands it back with `munmap` when it
//! is freed, and it trims the heap top back to the system. So the same memory is page-faulted
//! in again on every step. The settings below keep freed buffers in the heap for the next
//! step. They are the ones PyTorch's CPU tuning guide gives, and they are read by glibc at
//! process start only, from the environment.
//!
//! The gain depends on the workload: large on an MLP whose step is short next to its page
//! faults, smaller on convolutional networks, none on some small runs; peak memory does not
//! grow (`benches/suite.rs`; the figures are in `bench/README.md`, "malloc settings"). The
//! settings never change a result: losses come out bit-identical.
//!
//! `descent` applies them to itself at start-up: the `relaunch` module's `apply` runs the
//! binary again with them set, as the same process. A program of your own can set the variables of
//! [`MALLOC_TUNING`] in its environment before it starts.

/// The environment variables and values (glibc's `mallopt` tunables): mmap threshold 32 MiB,
/// trim threshold 1 GiB, top pad 256 MiB.
pub const MALLOC_TUNING: &[(&str, &str)] = &[
    ("MALLOC_MMAP_THRESHOLD_", "33554432"),
    ("MALLOC_TRIM_THRESHOLD_", "1073741824"),
    ("MALLOC_TOP_PAD_", "268435456"),
];

/// Set to `system` to keep glibc's defaults (no re-exec).
pub const OPT_OUT: &str = "DESCENT_MALLOC";

/// Whether the process environment already decides malloc's settings: one of
/// [`MALLOC_TUNING`]'s variables or `GLIBC_TUNABLES` is set, or [`OPT_OUT`] is.
pub fn environment_decides() -> bool {
    MALLOC_TUNING
        .iter()
        .map(|(name, _)| *name)
        .chain(["GLIBC_TUNABLES", OPT_OUT])
        .any(|name| std::env::var_os(name).is_some())
}

/// The settings of [`MALLOC_TUNING`] to add to the environment: all of them, or none when
/// [`environment_decides`].
pub fn settings_to_add() -> Vec<(&'static str, &'static str)> {
    if environment_decides() {
        Vec::new()
    } else {
        MALLOC_TUNING.to_vec()
    }
}
