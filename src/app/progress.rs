//! Progress while training: a bar on a terminal, else a plain line every 10% of the run.

use std::cell::Cell;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use scalargrad::data::Task;
use scalargrad::train::StepMetrics;

use super::report::readable;

/// Shows progress: a bar on a terminal, else a plain line every 10% of the run.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    /// The steps the model had taken before this run (a resumed model's).
    first: usize,
    /// The step this run ends after, counted from the model's first.
    last: usize,
    task: Task,
    /// When the bar's message was last written: it is redrawn a few times a second, so
    /// formatting it every step (three numbers) would be wasted work on most steps.
    written: Cell<Option<Instant>>,
}

/// How often the bar's message is rewritten.
const MESSAGE_EVERY: Duration = Duration::from_millis(100);

impl Progress {
    /// Progress over `steps` steps after the `first` a resumed model took before, drawn on
    /// standard error; steps are counted from the model's first (`step 101/105`).
    pub(crate) fn new(first: usize, steps: usize, task: Task) -> Progress {
        let last = first.saturating_add(steps);
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(last as u64);
            bar.set_position(first as u64);
            // under 80 columns with 4-digit steps, so the bar never wraps
            let style =
                ProgressStyle::with_template("{bar:16.cyan/blue} step {pos}/{len} {msg} ETA {eta}")
                    .expect("the template is valid");
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            first,
            last,
            task,
            written: Cell::new(None),
        }
    }

    /// Shows step `m.step` done.
    pub(crate) fn update(&self, m: &StepMetrics) {
        let done = m.step + 1;
        match &self.bar {
            Some(bar) => {
                bar.set_position(done as u64);
                let due = self
                    .written
                    .get()
                    .is_none_or(|at| at.elapsed() >= MESSAGE_EVERY);
                if due || done == self.last {
                    bar.set_message(self.text(m));
                    self.written.set(Some(Instant::now()));
                }
            }
            None => {
                let every = (self.last - self.first).div_ceil(10).max(1);
                if (done - self.first).is_multiple_of(every) || done == self.last {
                    eprintln!("step {done}/{}  {}", self.last, self.text(m));
                }
            }
        }
    }

    /// The epochs done, the step's loss, accuracy or RMSE, and learning rate.
    fn text(&self, m: &StepMetrics) -> String {
        let quality = match self.task {
            Task::Classification => format!("train acc {:.1}%", 100.0 * m.accuracy),
            Task::Regression => format!("train rmse {}", readable(m.rmse)),
        };
        format!(
            "epoch {:.1}  loss {}  {quality}  lr {}",
            m.epoch,
            readable(m.loss),
            readable(m.lr)
        )
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
