//! Runs workload W through the program's own training loop (`train::Trainer`, metrics and all,
//! as `scalargrad --test-fraction 0 --frames 0` runs it) for 100 steps, or the number given, and
//! prints the time per step: a target for profilers next to `w_engine`
//! (`valgrind --tool=callgrind target/release/examples/w_program`).
use scalargrad_bench::{ProgramTrainer, Workload, run_and_report, steps_argument};

fn main() {
    let steps = steps_argument(100);
    let workload = Workload::w();
    let mut trainer = ProgramTrainer::new(&workload);
    // the schedule of the reference run, repeated (it would turn negative past 100 steps)
    run_and_report(steps, |k| trainer.step(workload.lr(k % 100)));
}
