//! Runs the hand-written side of workload CE (plain f64 arrays, manual softmax and backprop) for
//! 20 steps (or the number given): the yardstick beside `ce_engine` for profilers
//! (`valgrind --tool=callgrind target/release/examples/ce_handwritten`).
use scalargrad_bench::{CrossEntropyHandwritten, CrossEntropyWorkload, steps_argument};

fn main() {
    let workload = CrossEntropyWorkload::new();
    let mut trainer = CrossEntropyHandwritten::new(&workload);
    let mut total = 0.0;
    let steps = steps_argument(20);
    for _ in 0..steps {
        total += trainer.step(&workload.data, 1.0);
    }
    println!("sum of losses {total}");
}
