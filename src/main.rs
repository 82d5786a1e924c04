//! `scalargrad`: trains a small network on a built-in dataset and writes plots to `output/`.
//! The program's layer is `app/` (flags, the run, the report); the logic is in the library.

mod app;

fn main() {
    std::process::exit(app::main());
}
