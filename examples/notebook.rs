//! The notebook `autograd-engine-notebook` cell by cell, in Rust: every line it printed is
//! printed again here (`tests/integration/engine.rs` checks that they are the same).
//!
//! Run it with `cargo run --example notebook`.

use scalargrad::engine::{add, exp, log, mul, sin};
use scalargrad::{Node, backward, gradcheck, zero_grad};

fn main() {
    // In [7]: gradients accumulate across backward calls
    let x = Node::new(5.0);
    let y = Node::new(4.0);
    let z = add(&x, &x);
    backward(&z);
    println!("{} {} {}", z.grad(), x.grad(), y.grad()); // x is used twice: it takes the blame twice
    let z = mul(&add(&x, &y), &add(&x, &y));
    backward(&z);
    println!("{} {} {}", z.grad(), x.grad(), y.grad()); // 20, not 18: x kept the 2 from before

    // In [9]: the same, with zero_grad in between
    let x = Node::new(5.0);
    let y = Node::new(4.0);
    let z = add(&x, &x);
    backward(&z);
    println!("{} {} {}", z.grad(), x.grad(), y.grad());
    zero_grad(&z);
    let z = mul(&add(&x, &y), &add(&x, &y));
    backward(&z);
    println!("{} {} {}", z.grad(), x.grad(), y.grad());

    // In [11], [13]: operators
    println!("{}", (Node::new(5.0) + Node::new(5.0)).value());
    println!("{}", (Node::new(2.0) * Node::new(5.0)).value());

    // In [16]: negation inside a product
    let x = Node::new(4.0);
    let y = Node::new(5.0);
    let z = &x * -&y;
    println!("{}", z.value());
    backward(&z);
    println!("{} {} {}", z.grad(), x.grad(), y.grad());

    // In [18]: subtraction
    let x = Node::new(1.0);
    let y = Node::new(22.0);
    let z = &x - &y;
    println!("{}", z.value());
    backward(&z);
    println!("{} {} {}", z.grad(), x.grad(), y.grad());

    // In [21]: power with a scalar exponent
    println!("{}", Node::new(5.0).pow(2.0).value());

    // In [23], [25], [27]: exp, log, sin and their derivatives
    for (input, op) in [(1.0, exp as fn(&Node) -> Node), (10.0, log), (5.0, sin)] {
        let x = Node::new(input);
        let z = op(&x);
        backward(&z);
        println!("{} {}", z.value(), x.grad());
    }

    // In [39]-[42]: gradient checks, single ops then composites
    type Function = fn(&Node) -> Node;
    let equations: [(&str, Function, f64); 11] = [
        ("x + 3", |x| x + 3.0, 2.0),
        ("3 + x", |x| 3.0 + x, 2.0),
        ("x - 3", |x| x - 3.0, 5.0),
        ("3 - x", |x| 3.0 - x, 5.0),
        ("x * 4", |x| x * 4.0, 3.0),
        ("4 * x", |x| 4.0 * x, 3.0),
        ("x ** 2", |x| x.pow(2.0), 2.0),
        ("-x", |x| -x, 3.0),
        ("exp(x)", exp, 1.0),
        ("log(x)", log, 2.0),
        ("sin(x)", sin, 1.5),
    ];
    let composites: [(&str, Function, f64); 6] = [
        ("(x + 1)(x + 1)", |x| (x + 1.0) * (x + 1.0), 2.0),
        ("(x - 2)(x + 2)", |x| (x - 2.0) * (x + 2.0), 3.0),
        ("(x + 1)(1 + x)", |x| (x + 1.0) * (1.0 + x), 2.0),
        ("exp(x) * x", |x| exp(x) * x, 1.0),
        ("log(x) * x", |x| log(x) * x, 2.0),
        ("-(x + 3)", |x| -(x + 3.0), 4.0),
    ];
    for (title, table) in [
        ("SINGLE OP TESTS", &equations[..]),
        ("COMPOSITE TESTS", &composites[..]),
    ] {
        println!("\n===== {title} =====\n");
        for (name, function, x0) in table {
            println!("Testing: {name}");
            println!("{}", gradcheck(function, *x0, 1e-4, 1e-4));
            println!("{}", "-".repeat(40));
        }
    }
}
