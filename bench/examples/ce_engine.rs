//! Runs the engine side of workload CE (CS231n's spiral, MLP 2-100-3, softmax cross-entropy)
//! for 20 steps (or the number given) and prints the time per step: a target for profilers
//! (`valgrind --tool=callgrind target/release/examples/ce_engine`).
use scalargrad_bench::{CrossEntropyEngine, CrossEntropyWorkload, run_and_report, steps_argument};

fn main() {
    let workload = CrossEntropyWorkload::new();
    let mut trainer = CrossEntropyEngine::new(&workload);
    run_and_report(steps_argument(20), |_| trainer.step(&workload.data, 1.0));
}
