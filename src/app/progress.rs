//! Progress while training: a bar on a terminal, else a plain line every 10% of the run.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use scalargrad::data::Task;
use scalargrad::train::StepMetrics;

use super::report::readable;

/// Shows progress: a bar on a terminal, else a plain line every 10% of the run.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    steps: usize,
    task: Task,
}

impl Progress {
    /// Progress over `steps` steps, drawn on standard error.
    pub(crate) fn new(steps: usize, task: Task) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(steps as u64);
            // under 80 columns with 4-digit steps, so the bar never wraps
            let style =
                ProgressStyle::with_template("{bar:16.cyan/blue} step {pos}/{len} {msg} ETA {eta}")
                    .expect("the template is valid");
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress { bar, steps, task }
    }

    /// Shows step `m.step` done.
    pub(crate) fn update(&self, m: &StepMetrics) {
        let quality = match self.task {
            Task::Classification => format!("train acc {:.1}%", 100.0 * m.accuracy),
            Task::Regression => format!("train rmse {}", readable(m.rmse)),
        };
        let text = format!(
            "loss {}  {quality}  lr {}",
            readable(m.loss),
            readable(m.lr)
        );
        match &self.bar {
            Some(bar) => {
                bar.set_position(m.step as u64 + 1);
                bar.set_message(text);
            }
            None => {
                let done = m.step + 1;
                let every = self.steps.div_ceil(10).max(1);
                if done.is_multiple_of(every) || done == self.steps {
                    eprintln!("step {done}/{}  {text}", self.steps);
                }
            }
        }
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
