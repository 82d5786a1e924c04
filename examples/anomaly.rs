//! Finds where a NaN was born: the op, its inputs, and the line that made it.
//!
//! `cargo run --example anomaly`

use scalargrad::Node;
use scalargrad::engine::{detect_anomalies, take_anomaly};

fn main() {
    detect_anomalies(true);

    // a value: the log of a negative number
    let x = Node::new(3.0).with_label("x");
    let shifted = &x - 5.0;
    let y = shifted.log() * 2.0 + 1.0; // NaN from here on
    println!("y = {}", y.value());
    if let Some(anomaly) = take_anomaly() {
        println!("first non-finite: {anomaly}");
    }

    // a gradient: sqrt at 0 has an infinite slope, so the gradient is born infinite there
    let z = Node::new(0.0).with_label("z");
    let root = z.pow(0.5);
    let out = &root * 3.0;
    out.backward();
    println!("z.grad = {}", z.grad());
    if let Some(anomaly) = take_anomaly() {
        println!("first non-finite: {anomaly}");
    }
}
