//! Explains the notebook's puzzle: why is `x.grad` 20, not 18, after the second backward pass?
//!
//! `cargo run --example explain`

use scalargrad::engine::{add, explain, mul, record_contributions};
use scalargrad::{Node, backward};

fn main() {
    record_contributions(true);
    let x = Node::new(5.0).with_label("x");
    let y = Node::new(4.0).with_label("y");
    let z = add(&x, &x);
    backward(&z);
    // the notebook's z = mul(add(x, y), add(x, y)): two separate additions
    let left = add(&x, &y).with_label("left x+y");
    let right = add(&x, &y).with_label("right x+y");
    let z = mul(&left, &right).with_label("z");
    backward(&z);
    println!("{} {} {}", z.grad(), x.grad(), y.grad()); // 1 20 18, as in the notebook
    println!("{}", explain(&x)); // 2 left over from the first pass, then 9 + 9
    println!("{}", explain(&y));
    println!("{}", explain(&left));
}
