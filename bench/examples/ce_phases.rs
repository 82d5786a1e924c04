//! Times the phases of workload CE's engine step apart (the forward pass over the batch, the
//! loss, the penalty, zero_grad and backward, SGD, dropping the graph) and the hand-written
//! step whole, interleaved step by step, and prints each one's median: where the CE row's
//! ratio goes (`cargo run --release -p scalargrad-bench --example ce_phases -- 3000`, steps).
use std::time::Instant;

use scalargrad::nn::optim::{Optimizer, Sgd};
use scalargrad::nn::{Module, loss};
use scalargrad_bench::{
    CE_ALPHA, CrossEntropyEngine, CrossEntropyHandwritten, CrossEntropyWorkload, steps_argument,
};

/// Microseconds from `from` to `to`.
fn micros(from: Instant, to: Instant) -> f64 {
    (to - from).as_secs_f64() * 1e6
}

fn main() {
    let steps = steps_argument(3000);
    let workload = CrossEntropyWorkload::new();
    let data = &workload.data;
    // the CE row's engine side, its step taken apart below
    let engine = CrossEntropyEngine::new(&workload);
    let (model, parameters) = engine.parts();
    let mut handwritten = CrossEntropyHandwritten::new(&workload);
    let names = [
        "forward_rows",
        "loss",
        "penalty",
        "zero_grad + backward",
        "SGD",
        "drop",
        "engine step",
        "hand-written step",
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for _ in 0..steps {
        let start = Instant::now();
        let outputs = model.forward_rows(data.points.as_flattened());
        let forward = Instant::now();
        let data_loss = loss::Loss::CrossEntropy.mean_of_outputs(&outputs, 3, &data.labels);
        let lost = Instant::now();
        let total = data_loss + loss::l2(parameters, CE_ALPHA);
        let penalised = Instant::now();
        model.zero_grad();
        total.backward();
        let differentiated = Instant::now();
        Sgd.step(parameters, 1.0);
        let stepped = Instant::now();
        drop(total);
        drop(outputs);
        let dropped = Instant::now();
        handwritten.step(data, 1.0);
        let by_hand = Instant::now();
        let marks = [
            start,
            forward,
            lost,
            penalised,
            differentiated,
            stepped,
            dropped,
        ];
        for (phase, pair) in marks.windows(2).enumerate() {
            times[phase].push(micros(pair[0], pair[1]));
        }
        times[6].push(micros(start, dropped));
        times[7].push(micros(dropped, by_hand));
    }
    for (name, mut phase) in names.iter().zip(times) {
        phase.sort_by(f64::total_cmp);
        println!("{name:<22} {:8.1} us (median)", phase[phase.len() / 2]);
    }
}
