//! Runs the engine side of workload W for a while (100 steps, or the number given) and prints
//! the time per step: a target for profilers
//! (`valgrind --tool=callgrind target/release/examples/w_engine`), and the engine's own figure
//! between the hand-written one (`w_handwritten`) and the program's loop (`scalargrad --data
//! bench/data/moons100.csv --test-fraction 0 --frames 0 --steps 20000` prints its ms/step).
use scalargrad_bench::{EngineTrainer, Workload, run_and_report, steps_argument};

fn main() {
    let steps = steps_argument(100);
    let workload = Workload::w();
    let mut trainer = EngineTrainer::new(&workload);
    // the schedule of the reference run, repeated (it would turn negative past 100 steps)
    run_and_report(steps, |k| {
        trainer.step(&workload.data, workload.lr(k % 100))
    });
}
