//! Runs the engine side of workload CE (CS231n's spiral, MLP 2-100-3, softmax cross-entropy)
//! for 20 steps: a target for profilers
//! (`valgrind --tool=callgrind target/release/examples/ce_engine`).
use scalargrad_bench::{CrossEntropyEngine, CrossEntropyWorkload};

fn main() {
    let workload = CrossEntropyWorkload::new();
    let mut trainer = CrossEntropyEngine::new(&workload);
    let mut total = 0.0;
    for _ in 0..20 {
        total += trainer.step(&workload.data, 1.0);
    }
    println!("sum of losses {total}");
}
