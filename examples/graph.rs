//! Draws the graph of a small expression, like micrograd's `draw_dot`: every value with its
//! label, value and gradient, and every op, left to right.
//!
//! `cargo run --example graph` prints the DOT text; `cargo run --example graph | dot -Tsvg >
//! expression.svg` draws it with Graphviz.

use scalargrad::Node;
use scalargrad::engine::to_dot;

fn main() {
    // a neuron by hand: o = tanh(x1 w1 + x2 w2 + b)
    let x1 = Node::new(2.0).with_label("x1");
    let x2 = Node::new(0.0).with_label("x2");
    let w1 = Node::new(-3.0).with_label("w1");
    let w2 = Node::new(1.0).with_label("w2");
    let b = Node::new(6.881_373_587_019_543).with_label("b");
    let x1w1 = (&x1 * &w1).with_label("x1*w1");
    let x2w2 = (&x2 * &w2).with_label("x2*w2");
    let n = (x1w1 + x2w2 + &b).with_label("n");
    let o = n.tanh().with_label("o");
    o.backward();

    // the DOT text on standard output: `cargo run --example graph | dot -Tsvg > graph.svg`
    // draws it (the program's `--graph` also renders SVG and PNG itself when Graphviz is there)
    print!("{}", to_dot(&o));
}
