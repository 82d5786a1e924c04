//! Builds, differentiates and drops a 1,000,000-node chain a few times: a target for profilers
//! (`valgrind --tool=callgrind target/release/examples/chain`).
use scalargrad::Node;

fn main() {
    for _ in 0..3 {
        let w = Node::new(0.999_999);
        let x = Node::new(1e-6);
        let mut y = Node::new(1.0);
        for _ in 0..500_000 {
            y = &y * &w + &x;
        }
        y.backward();
        println!("{} {}", w.grad(), x.grad());
    }
}
