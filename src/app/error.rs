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
         (now {lr}, e.g. --lr {}). Outputs for the {step} steps done were written.{}",
        lr / 10.0,
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
    /// Stopped by Ctrl-C (exit code 130); outputs for the steps done were written.
    #[error("interrupted after {steps_done} steps; outputs for the steps done were written")]
    Interrupted {
        /// Steps completed.
        steps_done: usize,
    },
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
            AppError::Interrupted { .. } => 130,
        }
    }
}
