//! Times a 100,000-node chain's three phases apart (forward, backward, drop), 200 times, and
//! prints each phase's median and fastest time per node: where the engine bench's one figure
//! for the chain goes (`cargo run --release -p scalargrad-bench --example chain_phases`).
use std::time::Instant;

use scalargrad::Node;

const NODES: usize = 100_000;

fn main() {
    let mut phases: [(&str, Vec<f64>); 3] = [
        ("forward", Vec::new()),
        ("backward", Vec::new()),
        ("drop", Vec::new()),
    ];
    let per_node = |from: Instant, to: Instant| (to - from).as_secs_f64() * 1e9 / NODES as f64;
    for _ in 0..200 {
        let w = Node::new(0.999_999);
        let x = Node::new(1e-6);
        let start = Instant::now();
        let mut y = Node::new(1.0);
        for _ in 0..NODES / 2 {
            y = &y * &w + &x;
        }
        let built = Instant::now();
        y.backward();
        let differentiated = Instant::now();
        drop(y);
        let dropped = Instant::now();
        std::hint::black_box(w.grad());
        phases[0].1.push(per_node(start, built));
        phases[1].1.push(per_node(built, differentiated));
        phases[2].1.push(per_node(differentiated, dropped));
    }
    for (name, times) in &mut phases {
        times.sort_by(f64::total_cmp);
        println!(
            "{name:8} median {:6.2} ns/node   fastest {:6.2} ns/node",
            times[times.len() / 2],
            times[0]
        );
    }
}
