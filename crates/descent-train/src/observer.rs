//! Watching a run: progress bars on a terminal, plain log lines elsewhere.

#[cfg(feature = "progress")]
use std::io::IsTerminal;
#[cfg(feature = "progress")]
use std::sync::Arc;
#[cfg(feature = "progress")]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(feature = "progress")]
use std::time::Instant;

#[cfg(feature = "progress")]
use indicatif::{ProgressBar, ProgressStyle};

use crate::checkpoint::Progress;
use crate::config::RunConfig;
use crate::history::EpochRecord;
use crate::rules::Stopped;

/// What [`train_run`](crate::train_run) is about to do, once the data is loaded and any
/// checkpoint restored (so a refused run never announces itself).
#[derive(Debug, Clone, Copy)]
pub struct RunStart<'a> {
    /// The configuration as it runs: read from `config.json` on resume, with the model's
    /// input and class count filled in from the data.
    pub config: &'a RunConfig,
    /// The run folder.
    pub folder: &'a std::path::Path,
    /// Training and test samples.
    pub samples: (usize, usize),
    /// Where a resumed run continues from (`None` for a new run).
    pub resumed: Option<Progress>,
}

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
    /// A run is set up and its first step is next.
    fn run_started(&mut self, _start: &RunStart<'_>) {}
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
    /// The run is set up in a way that is allowed but probably not meant (e.g. a rule that
    /// monitors the test set).
    fn warning(&mut self, _message: &str) {}
    /// Asked after every step: `true` makes the trainer save a checkpoint of that step and
    /// return [`TrainError::Interrupted`](crate::TrainError::Interrupted), so the run can be
    /// resumed exactly (for example on Ctrl-C, see [`ConsoleObserver::with_interrupt`]).
    fn interrupt_requested(&mut self) -> bool {
        false
    }
}

/// Writes one line to stderr, dropping it when stderr cannot be written: progress lines are
/// not worth a run, so a reader that went away (`descent train 2>&1 | head -1`) or a closed
/// stderr never stops or breaks one (`eprintln!` would panic).
pub fn log_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Observer for Silent {}

/// Progress bars (indicatif) on a terminal; otherwise one log line per epoch on stderr,
/// plus a line every `log_every` steps. Feature `progress` (on by default).
#[cfg(feature = "progress")]
pub struct ConsoleObserver {
    bar: Option<ProgressBar>,
    terminal: bool,
    log_every: usize,
    started: Instant,
    interrupt: Option<Arc<AtomicBool>>,
    device: Option<String>,
}

#[cfg(feature = "progress")]
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
            device: None,
        }
    }

    /// Names the device in the line that announces a run.
    pub fn with_device(mut self, device: impl Into<String>) -> Self {
        self.device = Some(device.into());
        self
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

#[cfg(feature = "progress")]
impl Default for ConsoleObserver {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "progress")]
impl Observer for ConsoleObserver {
    fn run_started(&mut self, start: &RunStart<'_>) {
        let config = start.config;
        let device = match &self.device {
            Some(device) => format!(" on {device}"),
            None => String::new(),
        };
        let resumed = match start.resumed {
            Some(p) if p.step_in_epoch > 0 => format!(
                "; resuming in epoch {} after step {}",
                p.epoch + 1,
                p.step_in_epoch
            ),
            Some(p) => format!("; resuming after epoch {}", p.epoch),
            None => String::new(),
        };
        log_line(format_args!(
            "{} ({} parameters), {} ({} train / {} test){device}: {} epochs of batch {}, {} lr \
             {} ({} schedule), out {}{resumed}",
            config.model.describe(),
            config.model.num_params(),
            config.data.dataset,
            start.samples.0,
            start.samples.1,
            config.training.epochs,
            config.training.batch_size,
            config.optimizer.kind(),
            config.learning_rate,
            config.schedule.kind(),
            start.folder.display(),
        ));
    }

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
            log_line(format_args!(
                "epoch {}/{} step {}/{} loss {:.4} lr {:.3e}",
                info.epoch, info.epochs, info.step, info.steps_per_epoch, info.loss, info.lr
            ));
        }
    }

    fn epoch_finished(&mut self, record: &EpochRecord) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let show = |name: &str, metrics: &Option<crate::Metrics>| match metrics {
            Some(m) => format!("  {name} loss {:.4} acc {:.2}%", m.loss, 100.0 * m.accuracy),
            None => String::new(),
        };
        log_line(format_args!(
            "epoch {:>3}  train loss {:.4} acc {:.2}%{}{}  lr {:.3e}  {:.1}s  (elapsed {:.0}s)",
            record.epoch,
            record.train.loss,
            100.0 * record.train.accuracy,
            show("val", &record.validation),
            show("test", &record.test),
            record.lr,
            record.seconds,
            self.started.elapsed().as_secs_f64()
        ));
    }

    fn lr_reduced(&mut self, epoch: usize, from: f64, to: f64) {
        log_line(format_args!(
            "epoch {epoch:>3}  plateau: learning rate {from:.3e} -> {to:.3e}"
        ));
    }

    fn stopped(&mut self, stopped: &Stopped) {
        log_line(format_args!(
            "stopped after epoch {}: {}",
            stopped.epoch, stopped.reason
        ));
    }

    fn best_restored(&mut self, epoch: usize) {
        log_line(format_args!(
            "restored the weights of the best epoch, {epoch}"
        ));
    }

    fn warning(&mut self, message: &str) {
        log_line(format_args!("warning: {message}"));
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
