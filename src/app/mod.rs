//! The `scalargrad` program, built on the library: flags in, files and a summary out.
//!
//! The data of a run flows one way: [`cli::Args`] -> settings and data -> training (the
//! library's `train::train_model`, with a progress callback) -> [`outputs`]. Only this layer
//! prints.
//!
//! Layout: `cli.rs` (the flags, made from the library's settings), `run.rs` (a training run),
//! `outputs.rs` (the table of files a run writes), `report.rs` (run.json, captions, the
//! summary), `plot/` (the pictures by kind), `animation.rs` (training.gif), `use_model.rs`
//! (predict, evaluate, export), `graphviz.rs`, `progress.rs`, `error.rs`, `playground/` (the
//! web server).

mod animation;
pub(crate) mod cli;
mod error;
mod graphviz;
mod outputs;
mod playground;
mod plot;
mod progress;
mod report;
mod run;
mod use_model;

pub(crate) use error::AppError;

use clap::Parser;
use clap::error::ErrorKind;

/// The program: parses the flags, runs what they ask, prints an error if it fails (with what it
/// repeats of the input cut short: [`error::clip_echoes`]); returns the exit code.
pub(crate) fn main() -> i32 {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error)
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) =>
        {
            error.exit()
        }
        Err(error) => {
            eprint!("{}", error::clip_echoes(&error.render().to_string(), true));
            return error.exit_code();
        }
    };
    match dispatch(&cli) {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("error: {}", error::clip_echoes(&error.to_string(), false));
            error.exit_code()
        }
    }
}

/// Runs the subcommand `cli` names (training without one).
///
/// # Errors
/// See [`AppError`].
pub(crate) fn dispatch(cli: &cli::Cli) -> Result<(), AppError> {
    match &cli.command {
        None => run::run(&cli.train),
        Some(cli::Action::Train(args)) => run::run(args),
        Some(cli::Action::Predict(args)) => use_model::predict(args),
        Some(cli::Action::Evaluate(args)) => use_model::evaluate(args),
        Some(cli::Action::Export(args)) => use_model::export(args),
        Some(cli::Action::Playground(args)) => playground::serve(args),
    }
}
