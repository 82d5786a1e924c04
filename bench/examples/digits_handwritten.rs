//! Epochs of workload digits on the hand-written side, beside `digits_epochs` for a profiler or
//! `perf stat`: `cargo run --release -p scalargrad-bench --example digits_handwritten -- 450`.

use scalargrad_bench::{DigitsHandwritten, DigitsWorkload, run_and_report, steps_argument};

fn main() {
    let workload = DigitsWorkload::new();
    let mut handwritten = DigitsHandwritten::new(&workload);
    run_and_report(steps_argument(450), |k| handwritten.step(&workload, k));
}
