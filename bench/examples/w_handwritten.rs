//! Runs the hand-written side of workload W for a while: a target for profilers
//! (`valgrind --tool=callgrind target/release/examples/w_handwritten`).
use scalargrad_bench::{HandwrittenTrainer, Workload};

fn main() {
    let workload = Workload::w();
    let mut trainer = HandwrittenTrainer::new(&workload);
    let mut total = 0.0;
    for k in 0..100 {
        total += trainer.step(&workload.data, workload.lr(k));
    }
    println!("sum of losses {total}");
}
