//! Why a run failed, and the exit code the program returns for it.

use std::path::PathBuf;

use scalargrad::data::DataError;
use scalargrad::train::TrainError;

use super::cli::UsageError;

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AppError {
    /// The data file is unusable (exit code 2).
    #[error("{0}")]
    Data(#[from] DataError),
    /// Flags that cannot work together (exit code 2).
    #[error("{0}")]
    Usage(#[from] UsageError),
    /// A file to read is missing or unreadable (exit code 1).
    #[error("cannot read {}: {message}", .path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A weights or model file that does not fit (exit code 2).
    #[error("{}: {message}", .path.display())]
    Weights {
        /// The file.
        path: PathBuf,
        /// What does not fit.
        message: String,
    },
    /// A file could not be written (exit code 1).
    #[error("cannot write {}: {message}", .path.display())]
    Output {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Training could not go on (exit code 1).
    #[error("{0}")]
    Train(#[from] TrainError),
    /// The loss became NaN or infinite (exit code 3); outputs for the steps done were written.
    #[error(
        "training diverged: the loss became NaN or infinite at step {step}; try a smaller --lr \
         (now {}, e.g. --lr {}). Outputs for the {step} steps done were written.{}",
        rate(*lr),
        rate(smaller_rate(*lr)),
        .anomaly.as_ref().map(|a| format!("\nfirst non-finite number in that step: {a}")).unwrap_or_default()
    )]
    Diverged {
        /// The step whose loss was not finite.
        step: usize,
        /// The learning rate given.
        lr: f64,
        /// Where the first NaN or infinity appeared, if found.
        anomaly: Option<String>,
    },
    /// The playground could not listen (exit code 1).
    #[error("{0}")]
    Serve(String),
    /// Stopped by Ctrl-C while training (exit code 130); outputs for the steps done were written.
    #[error("interrupted after {steps_done} steps; outputs for the steps done were written")]
    Interrupted {
        /// Steps completed.
        steps_done: usize,
    },
    /// Stopped by Ctrl-C before training or while the outputs were made (exit code 130): no
    /// file of this run was written, and the output directory holds what it held before.
    #[error("interrupted {phase}; no file of this run was written ({} is as it was)", .out.display())]
    InterruptedUnwritten {
        /// What the run was doing: "before training", "while drawing the pictures".
        phase: &'static str,
        /// The output directory.
        out: PathBuf,
    },
}

/// The most characters an error message repeats of one thing the user gave.
const MAX_ECHO: usize = scalargrad::data::MAX_QUOTED_CHARS;
/// The most characters of an error message printed.
const MAX_MESSAGE: usize = 4000;

/// `message` with whatever it repeats of the input cut short: a word (a path, say) longer than
/// [`MAX_ECHO`] characters, or with `quoted_values` a span in single quotes (as clap quotes a
/// value; this program's own messages quote with `data::quoted`, already short), is cut there
/// and its length given, and the message itself ends after [`MAX_MESSAGE`] characters. A 50 MB
/// argument gives an error of a line, not of 50 MB.
pub(crate) fn clip_echoes(message: &str, quoted_values: bool) -> String {
    let chars: Vec<char> = message.chars().collect();
    let mut out = String::new();
    let mut k = 0;
    while k < chars.len() {
        // the longest span starting here that is one echo: a quoted value or a word
        let end = if quoted_values && chars[k] == '\'' {
            chars[k + 1..]
                .iter()
                .position(|&c| c == '\'')
                .map_or(k + 1, |p| k + 2 + p)
        } else if chars[k].is_whitespace() {
            k + 1
        } else {
            chars[k..]
                .iter()
                .position(|c| c.is_whitespace())
                .map_or(chars.len(), |p| k + p)
        };
        let span = &chars[k..end];
        if span.len() > MAX_ECHO {
            out.extend(&span[..MAX_ECHO]);
            out.push_str(&format!("... ({} characters)", span.len()));
        } else {
            out.extend(span);
        }
        k = end;
    }
    if out.chars().count() > MAX_MESSAGE {
        let mut cut: String = out.chars().take(MAX_MESSAGE).collect();
        cut.push_str("... (the message is cut here)\n");
        return cut;
    }
    out
}

/// A learning rate as a flag takes it: plain (`0.03`) in the usual range, else in scientific
/// notation (`1e308`, not 309 digits).
fn rate(lr: f64) -> String {
    if (1e-4..1e6).contains(&lr.abs()) {
        format!("{lr}")
    } else {
        format!("{lr:e}")
    }
}

/// A tenth of `lr`, to one significant digit (`0.07` for 0.7, not 0.06999999999999999).
fn smaller_rate(lr: f64) -> f64 {
    let tenth = lr / 10.0;
    format!("{tenth:.0e}").parse().unwrap_or(tenth)
}

impl AppError {
    /// The process exit code for this error.
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            AppError::Output { .. }
            | AppError::Train(_)
            | AppError::Input { .. }
            | AppError::Serve(_) => 1,
            AppError::Data(_) | AppError::Usage(_) | AppError::Weights { .. } => 2,
            AppError::Diverged { .. } => 3,
            AppError::Interrupted { .. } | AppError::InterruptedUnwritten { .. } => 130,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_echoes_are_cut_short_and_the_rest_kept() {
        let long = "z".repeat(1000);
        let cases = [
            (
                "error: invalid value 'moon' for '--dataset'".to_string(),
                None,
            ),
            (
                format!("error: invalid value '{long}' for '--dataset'"),
                Some(100),
            ),
            (
                format!("error: invalid value 'a {long} b' for x"),
                Some(100),
            ),
            (
                format!("error: cannot read /{long}: no such file"),
                Some(100),
            ),
        ];
        for (message, cut) in cases {
            let clipped = clip_echoes(&message, true);
            match cut {
                None => assert_eq!(clipped, message),
                Some(_) => {
                    assert!(clipped.len() < 200, "{clipped}");
                    assert!(clipped.contains("characters)"), "{clipped}");
                    assert!(clipped.starts_with("error: "), "{clipped}");
                }
            }
        }
        let spaced = "a ".repeat(100_000);
        assert!(clip_echoes(&spaced, true).chars().count() < MAX_MESSAGE + 100);
        // an apostrophe in the program's own words is not a quote
        let words = format!(
            "the model's inputs {} and the file's label",
            "x ".repeat(100)
        );
        assert_eq!(clip_echoes(&words, false), words);
    }

    #[test]
    fn a_diverged_run_suggests_a_rate_a_person_can_type() {
        let cases = [
            (1e308, "now 1e308, e.g. --lr 1e307"),
            (0.7, "now 0.7, e.g. --lr 0.07"),
            (1.0, "now 1, e.g. --lr 0.1"),
            (3e-7, "now 3e-7, e.g. --lr 3e-8"),
        ];
        for (lr, expected) in cases {
            let error = AppError::Diverged {
                step: 1,
                lr,
                anomaly: None,
            };
            let message = error.to_string();
            assert!(message.contains(expected), "{lr}: {message}");
        }
    }
}
