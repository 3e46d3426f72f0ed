//! Watching a run: progress bars on a terminal, plain log lines elsewhere.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use crate::history::EpochRecord;
use crate::rules::Stopped;

/// One finished optimizer step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepInfo {
    /// 1-based epoch.
    pub epoch: usize,
    /// Total epochs of the run.
    pub epochs: usize,
    /// 1-based step within the epoch.
    pub step: usize,
    /// Steps in each epoch.
    pub steps_per_epoch: usize,
    /// Steps completed since the start of the run.
    pub global_step: u64,
    /// This step's mini-batch loss.
    pub loss: f32,
    /// The learning rate used for this step.
    pub lr: f64,
}

/// Receives the events of a run. Every method has a do-nothing default.
pub trait Observer {
    /// An epoch starts (`first_step` > 0 when resuming in the middle of it).
    fn epoch_started(&mut self, _epoch: usize, _epochs: usize, _first_step: usize, _steps: usize) {}
    /// A step finished.
    fn step_finished(&mut self, _info: &StepInfo) {}
    /// An epoch finished and was evaluated.
    fn epoch_finished(&mut self, _record: &EpochRecord) {}
    /// A checkpoint was written to `path`.
    fn checkpoint_written(&mut self, _path: &std::path::Path) {}
    /// The plateau rule reduced the learning rate after `epoch`.
    fn lr_reduced(&mut self, _epoch: usize, _from: f64, _to: f64) {}
    /// An end-of-epoch rule stopped the run.
    fn stopped(&mut self, _stopped: &Stopped) {}
    /// The weights of the best epoch `epoch` were restored at the end of the run.
    fn best_restored(&mut self, _epoch: usize) {}
    /// Asked after every step: `true` makes the trainer save a checkpoint of that step and
    /// return [`TrainError::Interrupted`](crate::TrainError::Interrupted), so the run can be
    /// resumed exactly (for example on Ctrl-C, see [`ConsoleObserver::with_interrupt`]).
    fn interrupt_requested(&mut self) -> bool {
        false
    }
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Observer for Silent {}

/// Progress bars (indicatif) on a terminal; otherwise one log line per epoch on stderr,
/// plus a line every `log_every` steps.
pub struct ConsoleObserver {
    bar: Option<ProgressBar>,
    terminal: bool,
    log_every: usize,
    started: Instant,
    interrupt: Option<Arc<AtomicBool>>,
}

impl ConsoleObserver {
    /// Chooses bars or lines by whether stderr is a terminal.
    pub fn new() -> Self {
        Self::with_terminal(std::io::stderr().is_terminal())
    }

    /// Forces bars (`true`) or plain lines (`false`).
    pub fn with_terminal(terminal: bool) -> Self {
        Self {
            bar: None,
            terminal,
            log_every: 0,
            started: Instant::now(),
            interrupt: None,
        }
    }

    /// Asks the trainer to stop (after saving a checkpoint) once `flag` becomes `true`, for
    /// example from a Ctrl-C handler such as `signal_hook::flag::register`.
    pub fn with_interrupt(mut self, flag: Arc<AtomicBool>) -> Self {
        self.interrupt = Some(flag);
        self
    }

    /// In line mode, also log every `steps` steps (0: only epoch lines).
    pub fn log_every(mut self, steps: usize) -> Self {
        self.log_every = steps;
        self
    }
}

impl Default for ConsoleObserver {
    fn default() -> Self {
        Self::new()
    }
}

impl Observer for ConsoleObserver {
    fn epoch_started(&mut self, epoch: usize, epochs: usize, first_step: usize, steps: usize) {
        if self.terminal {
            let bar = ProgressBar::new(steps as u64);
            let style = ProgressStyle::with_template(
                "epoch {msg} [{bar:30}] {pos}/{len} steps  {per_sec}  eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_message(format!("{epoch}/{epochs}"));
            bar.set_position(first_step as u64);
            self.bar = Some(bar);
        }
    }

    fn step_finished(&mut self, info: &StepInfo) {
        if let Some(bar) = &self.bar {
            bar.set_position(info.step as u64);
            bar.set_message(format!(
                "{}/{} loss {:.4} lr {:.3e}",
                info.epoch, info.epochs, info.loss, info.lr
            ));
        } else if self.log_every > 0 && info.step.is_multiple_of(self.log_every) {
            eprintln!(
                "epoch {}/{} step {}/{} loss {:.4} lr {:.3e}",
                info.epoch, info.epochs, info.step, info.steps_per_epoch, info.loss, info.lr
            );
        }
    }

    fn epoch_finished(&mut self, record: &EpochRecord) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let test = match &record.test {
            Some(m) => format!("  test loss {:.4} acc {:.2}%", m.loss, 100.0 * m.accuracy),
            None => String::new(),
        };
        eprintln!(
            "epoch {:>3}  train loss {:.4} acc {:.2}%{}  lr {:.3e}  {:.1}s  (elapsed {:.0}s)",
            record.epoch,
            record.train.loss,
            100.0 * record.train.accuracy,
            test,
            record.lr,
            record.seconds,
            self.started.elapsed().as_secs_f64()
        );
    }

    fn lr_reduced(&mut self, epoch: usize, from: f64, to: f64) {
        eprintln!("epoch {epoch:>3}  plateau: learning rate {from:.3e} -> {to:.3e}");
    }

    fn stopped(&mut self, stopped: &Stopped) {
        eprintln!("stopped after epoch {}: {}", stopped.epoch, stopped.reason);
    }

    fn best_restored(&mut self, epoch: usize) {
        eprintln!("restored the weights of the best epoch, {epoch}");
    }

    fn interrupt_requested(&mut self) -> bool {
        let asked = self
            .interrupt
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::SeqCst));
        if asked && let Some(bar) = self.bar.take() {
            bar.abandon();
        }
        asked
    }
}
