use scalargrad_bench::{ThreadedTrainer, Workload};
use std::time::Instant;
fn main() {
    let w = Workload::w_big();
    for threads in [1, 2, 1, 2] {
        let mut t = ThreadedTrainer::new(&w, threads);
        t.step(&w.data, 0.5);
        let start = Instant::now();
        for k in 0..10 {
            t.step(&w.data, w.lr(k));
        }
        println!(
            "threads {threads}: {:.3} ms/step",
            start.elapsed().as_secs_f64() * 100.0
        );
    }
}
