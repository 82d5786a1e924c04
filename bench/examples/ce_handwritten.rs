//! Runs the hand-written side of workload CE (plain f64 arrays, manual softmax and backprop) for
//! 20 steps (or the number given) and prints the time per step: the yardstick beside `ce_engine`
//! for profilers (`valgrind --tool=callgrind target/release/examples/ce_handwritten`).
use scalargrad_bench::{
    CrossEntropyHandwritten, CrossEntropyWorkload, run_and_report, steps_argument,
};

fn main() {
    let workload = CrossEntropyWorkload::new();
    let mut trainer = CrossEntropyHandwritten::new(&workload);
    run_and_report(steps_argument(20), |_| trainer.step(&workload.data, 1.0));
}
