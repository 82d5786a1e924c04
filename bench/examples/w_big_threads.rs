//! Runs workload W-big with the number of threads given (2 by default) for 30 steps and prints
//! the time per step: how the worker threads behave with more threads than cores, which the
//! training bench's 1-vs-2 line does not show
//! (`cargo run --release -p scalargrad-bench --example w_big_threads -- 4`).
use scalargrad_bench::{ThreadedTrainer, Workload, run_and_report, steps_argument};

fn main() {
    let threads = steps_argument(2);
    let workload = Workload::w_big();
    let mut trainer = ThreadedTrainer::new(&workload, threads);
    print!("{threads} threads: ");
    run_and_report(30, |k| trainer.step(workload.lr(k)));
}
