//! Runs the engine side of workload W for a while (100 steps, or the number given) and prints
//! the time per step: a target for profilers
//! (`valgrind --tool=callgrind target/release/examples/w_engine`), and the engine's own figure
//! between the hand-written one (`w_handwritten`) and the program's loop (`scalargrad --data
//! bench/data/moons100.csv --test-fraction 0 --frames 0 --steps 20000` prints its ms/step).
use std::time::Instant;

use scalargrad_bench::{EngineTrainer, Workload};

fn main() {
    let steps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let workload = Workload::w();
    let mut trainer = EngineTrainer::new(&workload);
    let mut total = 0.0;
    let started = Instant::now();
    for k in 0..steps {
        // the schedule of the reference run, repeated (it would turn negative past 100 steps)
        total += trainer.step(&workload.data, workload.lr(k % 100));
    }
    let per_step = started.elapsed().as_secs_f64() * 1e3 / steps as f64;
    println!("sum of losses {total}; {per_step:.4} ms/step");
}
