//! A progress bar for scans: points done, rate and ETA (a log line every 10% when stderr is
//! not a terminal).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use descent_landscape::ScanObserver;
use descent_train::observer::log_line;
use indicatif::{ProgressBar, ProgressStyle};

/// Shows scan progress on stderr.
pub struct ScanProgress {
    bar: Option<ProgressBar>,
    share: usize,
    done: usize,
    started: Instant,
    interrupt: Option<Arc<AtomicBool>>,
}

impl ScanProgress {
    /// A bar on a terminal, log lines otherwise.
    pub fn new() -> Self {
        ScanProgress {
            bar: None,
            share: 0,
            done: 0,
            started: Instant::now(),
            interrupt: None,
        }
    }

    /// Stops the scan at the next point (after saving) once `flag` is raised.
    pub fn with_interrupt(mut self, flag: Arc<AtomicBool>) -> Self {
        self.interrupt = Some(flag);
        self
    }
}

impl ScanObserver for ScanProgress {
    fn started(&mut self, share: usize, done: usize) {
        self.share = share;
        self.done = done;
        self.started = Instant::now();
        if done > 0 {
            log_line(format_args!(
                "resuming: {done} of {share} points already done"
            ));
        }
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(share as u64);
            let style = ProgressStyle::with_template(
                "scan [{bar:30}] {pos}/{len} points  {per_sec}  eta {eta}  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_position(done as u64);
            bar.reset_eta();
            self.bar = Some(bar);
        }
    }

    fn point(&mut self, _k: usize, a: f64, b: f64, values: &[f64]) {
        self.done += 1;
        let first = values.first().copied().unwrap_or(f64::NAN);
        if let Some(bar) = &self.bar {
            bar.set_position(self.done as u64);
            bar.set_message(format!("({a:.3}, {b:.3}) loss {first:.4}"));
        } else if self.share > 0
            && (self.done * 10 / self.share) != ((self.done - 1) * 10 / self.share)
        {
            let secs = self.started.elapsed().as_secs_f64();
            log_line(format_args!(
                "{}/{} points, {:.2} s/point, loss {first:.4} at ({a:.3}, {b:.3})",
                self.done,
                self.share,
                secs / self.done.max(1) as f64
            ));
        }
    }

    fn finished(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn stop_requested(&mut self) -> bool {
        self.interrupt
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::SeqCst))
    }
}
