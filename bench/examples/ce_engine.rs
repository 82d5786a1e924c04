//! Runs the engine side of workload CE (CS231n's spiral, MLP 2-100-3, softmax cross-entropy)
//! for 20 steps (or the number given): a target for profilers
//! (`valgrind --tool=callgrind target/release/examples/ce_engine`).
use scalargrad_bench::{CrossEntropyEngine, CrossEntropyWorkload, steps_argument};

fn main() {
    let workload = CrossEntropyWorkload::new();
    let mut trainer = CrossEntropyEngine::new(&workload);
    let mut total = 0.0;
    let steps = steps_argument(20);
    for _ in 0..steps {
        total += trainer.step(&workload.data, 1.0);
    }
    println!("sum of losses {total}");
}
