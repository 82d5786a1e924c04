//! Training-step benchmarks: scalargrad against hand-written f64 backprop, side by side.
//!
//! `cargo bench -p scalargrad-bench --bench training` (`ROWS=digits,CE cargo bench ...` for
//! some of the comparisons alone). First it checks that both sides produce
//! the same losses, then it times them interleaved (round by round, so machine load hits both
//! alike) and prints medians and their ratio; then divan times each on its own.

use std::time::Instant;

use scalargrad_bench::{
    CrossEntropyEngine, CrossEntropyHandwritten, CrossEntropyWorkload, DigitsEngine,
    DigitsHandwritten, DigitsWorkload, EngineTrainer, HandwrittenTrainer, ProgramTrainer,
    ThreadedTrainer, Workload,
};

/// Steps of one timed round, and rounds, per workload. Many short rounds: this machine's speed
/// changes by up to 2x for seconds at a time, and a median over many interleaved rounds is what
/// stays put (W: about 0.5 s in all, W-big about 1.5 s).
fn plan(workload: &Workload) -> (usize, usize) {
    if workload.name == "W" {
        (20, 201)
    } else {
        (10, 21)
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Milliseconds per step of `step` over `steps` steps, after one untimed warm-up step (which
/// pays for first-touch memory, e.g. a new worker thread's tape).
fn time_steps(steps: usize, mut step: impl FnMut(usize) -> f64) -> f64 {
    let mut checksum = step(0);
    let started = Instant::now();
    for k in 1..=steps {
        checksum += step(k);
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert!(checksum.is_finite());
    1000.0 * elapsed / steps as f64
}

fn compare(workload: &Workload) {
    // the two sides agree before anything is timed
    let mut engine = EngineTrainer::new(workload);
    let mut handwritten = HandwrittenTrainer::new(workload);
    for k in 0..3 {
        let (a, b) = (
            engine.step(&workload.data, workload.lr(k)),
            handwritten.step(&workload.data, workload.lr(k)),
        );
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1.0),
            "{} step {k}: {a} vs {b}",
            workload.name
        );
    }
    let (steps, rounds) = plan(workload);
    report_interleaved(
        workload.name,
        steps,
        rounds,
        |steps| {
            let mut engine = EngineTrainer::new(workload);
            time_steps(steps, |k| engine.step(&workload.data, workload.lr(k)))
        },
        |steps| {
            let mut handwritten = HandwrittenTrainer::new(workload);
            time_steps(steps, |k| handwritten.step(&workload.data, workload.lr(k)))
        },
    );
}

/// W through the program's own loop (`train::Trainer`, metrics and all) against hand-written
/// code, interleaved round by round.
fn compare_program_loop(workload: &Workload) {
    // the same losses to the bit as the engine loop (the bench crate's tests check all 100 steps)
    let mut program = ProgramTrainer::new(workload);
    let mut engine = EngineTrainer::new(workload);
    for k in 0..3 {
        let (a, b) = (
            program.step(workload.lr(k)),
            engine.step(&workload.data, workload.lr(k)),
        );
        assert_eq!(a.to_bits(), b.to_bits(), "program step {k}: {a} vs {b}");
    }
    let (steps, rounds) = plan(workload);
    report_interleaved(
        "W loop",
        steps,
        rounds,
        |steps| {
            let mut program = ProgramTrainer::new(workload);
            time_steps(steps, |k| program.step(workload.lr(k)))
        },
        |steps| {
            let mut handwritten = HandwrittenTrainer::new(workload);
            time_steps(steps, |k| handwritten.step(&workload.data, workload.lr(k)))
        },
    );
}

/// Times `engine` and `hand_written` (each builds a fresh trainer and returns ms per step over
/// `steps` steps) in `rounds` interleaved rounds, alternating which goes first so machine load
/// hits both alike, and prints the medians and their ratio.
fn report_interleaved(
    name: &str,
    steps: usize,
    rounds: usize,
    mut engine: impl FnMut(usize) -> f64,
    mut hand_written: impl FnMut(usize) -> f64,
) {
    let (mut engine_ms, mut handwritten_ms) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            engine_ms.push(engine(steps));
            handwritten_ms.push(hand_written(steps));
        } else {
            handwritten_ms.push(hand_written(steps));
            engine_ms.push(engine(steps));
        }
    }
    let (e, h) = (median(&mut engine_ms), median(&mut handwritten_ms));
    println!(
        "{:<7} engine {:>9.4} ms/step   hand-written {:>9.4} ms/step   ratio {:>5.2}x   ({rounds} rounds of {steps} steps, medians)",
        name,
        e,
        h,
        e / h
    );
}

/// W-big on one thread against two worker threads (data parallelism), interleaved round by
/// round; each trainer exists only while it is timed, as it would in a real run.
fn compare_threads(workload: &Workload) {
    // same losses up to the order of additions
    let (mut one, mut two) = (
        ThreadedTrainer::new(workload, 1),
        ThreadedTrainer::new(workload, 2),
    );
    for k in 0..3 {
        let (a, b) = (one.step(workload.lr(k)), two.step(workload.lr(k)));
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1.0),
            "step {k}: {a} vs {b}"
        );
    }
    drop((one, two));
    let (steps, _) = plan(workload);
    // more rounds than the single-thread comparison: two threads also feel the other tenants
    let rounds = 31;
    let time = |threads: usize| {
        let mut trainer = ThreadedTrainer::new(workload, threads);
        time_steps(steps, |k| trainer.step(workload.lr(k)))
    };
    let (mut one_ms, mut two_ms) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            one_ms.push(time(1));
            two_ms.push(time(2));
        } else {
            two_ms.push(time(2));
            one_ms.push(time(1));
        }
    }
    let (a, b) = (median(&mut one_ms), median(&mut two_ms));
    println!(
        "{:<7} 1 thread {:>9.4} ms/step   2 threads {:>9.4} ms/step   speed-up {:>5.2}x",
        workload.name,
        a,
        b,
        a / b
    );
}

/// CE (3-class spiral, 2-100-3, cross-entropy) on both sides, interleaved round by round.
fn compare_cross_entropy() {
    let workload = CrossEntropyWorkload::new();
    // the two sides agree before anything is timed
    let mut engine = CrossEntropyEngine::new(&workload);
    let mut handwritten = CrossEntropyHandwritten::new(&workload);
    for k in 0..3 {
        let (a, b) = (
            engine.step(&workload.data, 1.0),
            handwritten.step(&workload.data, 1.0),
        );
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1.0),
            "CE step {k}: {a} vs {b}"
        );
    }
    report_interleaved(
        "CE",
        5,
        41,
        |steps| {
            let mut engine = CrossEntropyEngine::new(&workload);
            time_steps(steps, |_| engine.step(&workload.data, 1.0))
        },
        |steps| {
            let mut handwritten = CrossEntropyHandwritten::new(&workload);
            time_steps(steps, |_| handwritten.step(&workload.data, 1.0))
        },
    );
}

/// CE through the program's own loop (`train::Trainer`) against hand-written code, interleaved
/// round by round.
fn compare_cross_entropy_program_loop() {
    let workload = CrossEntropyWorkload::new();
    // the engine loop's losses to the bit (the bench crate's tests check more steps)
    let mut program = ProgramTrainer::cross_entropy(&workload);
    let mut engine = CrossEntropyEngine::new(&workload);
    for k in 0..3 {
        let (a, b) = (program.step(1.0), engine.step(&workload.data, 1.0));
        assert_eq!(a.to_bits(), b.to_bits(), "CE program step {k}: {a} vs {b}");
    }
    report_interleaved(
        "CE loop",
        5,
        41,
        |steps| {
            let mut program = ProgramTrainer::cross_entropy(&workload);
            time_steps(steps, |_| program.step(1.0))
        },
        |steps| {
            let mut handwritten = CrossEntropyHandwritten::new(&workload);
            time_steps(steps, |_| handwritten.step(&workload.data, 1.0))
        },
    );
}

/// Digits (one epoch of 64-64-10, cross-entropy, batches of 32, SGD) on both sides, one
/// epoch a round, interleaved round by round.
fn compare_digits() {
    let workload = DigitsWorkload::new();
    // the two sides agree before anything is timed (the bench crate's tests check a whole epoch)
    let mut engine = DigitsEngine::new(&workload);
    let mut handwritten = DigitsHandwritten::new(&workload);
    for k in 0..3 {
        let (a, b) = (engine.step(&workload, k), handwritten.step(&workload, k));
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1.0),
            "digits step {k}: {a} vs {b}"
        );
    }
    let epoch = workload.batches.len();
    report_interleaved(
        "digits",
        epoch,
        15,
        |steps| {
            let mut engine = DigitsEngine::new(&workload);
            time_steps(steps, |k| engine.step(&workload, k))
        },
        |steps| {
            let mut handwritten = DigitsHandwritten::new(&workload);
            time_steps(steps, |k| handwritten.step(&workload, k))
        },
    );
}

/// The comparisons by the names `ROWS` takes.
const ROWS: &[(&str, fn())] = &[
    ("digits", compare_digits),
    ("W", || compare(&Workload::w())),
    ("W-loop", || compare_program_loop(&Workload::w())),
    ("CE", compare_cross_entropy),
    ("CE-loop", compare_cross_entropy_program_loop),
    ("W-big", || compare(&Workload::w_big())),
    ("threads", || compare_threads(&Workload::w_big())),
];

/// Every comparison, then divan's timings; with `ROWS=digits,CE` (names from `ROWS`) only those
/// comparisons, to measure one change quickly.
fn main() {
    match std::env::var("ROWS") {
        Ok(chosen) => {
            for name in chosen.split(',') {
                match ROWS.iter().find(|(row, _)| *row == name) {
                    Some((_, compare)) => compare(),
                    None => {
                        let names: Vec<&str> = ROWS.iter().map(|(row, _)| *row).collect();
                        eprintln!("ROWS: no row {name:?}; the rows are {}", names.join(", "));
                        std::process::exit(2);
                    }
                }
            }
        }
        Err(_) => {
            for (_, compare) in ROWS {
                compare();
            }
            divan::main();
        }
    }
}

#[divan::bench(sample_count = 30, sample_size = 5)]
fn w_engine(bencher: divan::Bencher) {
    let workload = Workload::w();
    let mut trainer = EngineTrainer::new(&workload);
    bencher.bench_local(|| trainer.step(&workload.data, 0.5));
}

#[divan::bench(sample_count = 30, sample_size = 5)]
fn w_handwritten(bencher: divan::Bencher) {
    let workload = Workload::w();
    let mut trainer = HandwrittenTrainer::new(&workload);
    bencher.bench_local(|| trainer.step(&workload.data, 0.5));
}

#[divan::bench(sample_count = 10, sample_size = 2)]
fn w_big_engine(bencher: divan::Bencher) {
    let workload = Workload::w_big();
    let mut trainer = EngineTrainer::new(&workload);
    bencher.bench_local(|| trainer.step(&workload.data, 0.5));
}

#[divan::bench(sample_count = 10, sample_size = 2)]
fn w_big_handwritten(bencher: divan::Bencher) {
    let workload = Workload::w_big();
    let mut trainer = HandwrittenTrainer::new(&workload);
    bencher.bench_local(|| trainer.step(&workload.data, 0.5));
}
