//! `scalargrad`: trains a small network on a built-in dataset and writes plots to `output/`.
//! All logic is in the library (`scalargrad::cli`); this only parses, runs and reports.

use clap::Parser;

fn main() {
    let args = scalargrad::cli::Args::parse();
    if let Err(error) = scalargrad::cli::run(&args) {
        eprintln!("error: {error}");
        std::process::exit(error.exit_code());
    }
}
