//! Epochs of workload digits on the engine side, for a profiler:
//! `cargo run --release -p scalargrad-bench --example digits_epochs -- 450` (steps).

use scalargrad_bench::{DigitsEngine, DigitsWorkload, run_and_report, steps_argument};

fn main() {
    let workload = DigitsWorkload::new();
    let mut engine = DigitsEngine::new(&workload);
    run_and_report(steps_argument(450), |k| engine.step(&workload, k));
}
