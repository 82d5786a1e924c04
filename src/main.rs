//! `scalargrad`: trains a small network on a built-in dataset and writes plots to `output/`.
//! The program's layer is `app/` (flags, the run, the report); the logic is in the library.

mod app;

use clap::Parser;

fn main() {
    let cli = app::cli::Cli::parse();
    if let Err(error) = app::dispatch(&cli) {
        eprintln!("error: {error}");
        std::process::exit(error.exit_code());
    }
}
