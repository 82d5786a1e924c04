//! Runs the engine side of workload W for 100 steps (or the number given): a target for profilers
//! (`valgrind --tool=callgrind target/release/examples/w_engine`).
use scalargrad_bench::{EngineTrainer, Workload};

fn main() {
    let workload = Workload::w();
    let mut trainer = EngineTrainer::new(&workload);
    let mut total = 0.0;
    let steps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    for k in 0..steps {
        total += trainer.step(&workload.data, workload.lr(k));
    }
    println!("sum of losses {total}");
}
