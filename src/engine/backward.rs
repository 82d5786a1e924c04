//! The backward pass: the chain rule applied in reverse topological order.
//!
//! The tape is already in topological order (parents before children), so "reverse topological
//! order" is simply a loop from the output's index down to 0. There is no recursion and no graph
//! search, so a chain of millions of nodes cannot overflow the stack.

use super::node::Node;
use super::ops::{Op, Scalar};
use super::tape::{Idx, Record, with_tape};

/// Where the sweep keeps d(out)/d(node) for every node it reaches.
trait Adjoints<S> {
    /// d(out)/d(node `index`), or `None` if `index` is not reachable from the output.
    fn upstream(&self, index: Idx) -> Option<S>;
    /// Adds `contribution` to d(out)/d(node `parent`).
    fn accumulate(&mut self, parent: Idx, contribution: S);
}

/// Visits every node from `from` down to 0 and passes each reachable node's gradient on to its
/// parents. `x(i)` gives node `i`'s value in `S`.
fn reverse_sweep<S: Scalar>(
    records: &[Record],
    operands: &[Idx],
    from: Idx,
    x: impl Fn(Idx) -> S,
    adjoints: &mut impl Adjoints<S>,
) {
    for index in (0..=from).rev() {
        let op = &records[index as usize].op;
        if *op == Op::Leaf {
            continue;
        }
        let Some(upstream) = adjoints.upstream(index) else {
            continue;
        };
        op.local_derivatives(&x, &x(index), operands, |parent, local| {
            // The chain rule, and the only place it is applied:
            // d(out)/d(parent) += d(node)/d(parent) * d(out)/d(node)
            adjoints.accumulate(parent, local.times(&upstream));
        });
    }
}

/// Gradients as numbers, written straight into the tape's `grads`.
///
/// A leaf accumulates (`+=`) across calls, as in PyTorch. A non-leaf is reset the first time this
/// call reaches it, so it holds d(out)/d(node) of this call: that is what keeps a second call
/// from counting the first call's gradients again through intermediate nodes.
struct NumberAdjoints<'a> {
    grads: &'a mut [f64],
    records: &'a [Record],
    /// One bit per node: reached by this call yet?
    reached: Vec<u64>,
}

impl NumberAdjoints<'_> {
    fn is_reached(&self, index: Idx) -> bool {
        self.reached[index as usize / 64] & (1 << (index % 64)) != 0
    }
    fn mark_reached(&mut self, index: Idx) {
        self.reached[index as usize / 64] |= 1 << (index % 64);
    }
}

impl Adjoints<f64> for NumberAdjoints<'_> {
    fn upstream(&self, index: Idx) -> Option<f64> {
        self.is_reached(index).then(|| self.grads[index as usize])
    }

    #[inline] // called once per edge of the graph
    fn accumulate(&mut self, parent: Idx, contribution: f64) {
        if !self.is_reached(parent) {
            self.mark_reached(parent);
            if self.records[parent as usize].op != Op::Leaf {
                self.grads[parent as usize] = 0.0;
            }
        }
        self.grads[parent as usize] += contribution;
    }
}

/// Computes d(out)/d(node) for every node `out` depends on, in reverse topological order.
///
/// Seeds d(out)/d(out) = 1, then applies each op's local derivatives from `out` down. Each call
/// adds d(out)/d(leaf) exactly once to every leaf reachable from `out` (gradients accumulate, as
/// in PyTorch: call [`zero_grad`] between independent passes), and leaves every non-leaf node
/// reachable from `out` holding d(out)/d(node) of this call. Nodes not reachable from `out` are
/// not touched.
///
/// ```
/// use scalargrad::{Node, backward};
/// let x = Node::new(5.0);
/// let z = &x + &x;
/// backward(&z);
/// assert_eq!(x.grad(), 2.0); // x is used twice, so it takes the blame twice
/// backward(&z);
/// assert_eq!(x.grad(), 4.0); // accumulated: call zero_grad to start again
/// ```
pub fn backward(out: &Node) {
    with_tape(|tape| {
        let from = out.index();
        let mut adjoints = NumberAdjoints {
            grads: &mut tape.grads,
            records: &tape.records,
            reached: vec![0; from as usize / 64 + 1],
        };
        adjoints.accumulate(from, 1.0);
        let records = &tape.records;
        reverse_sweep(
            records,
            &tape.operands,
            from,
            |i| records[i as usize].value,
            &mut adjoints,
        );
    })
}

/// Calls `visit(index)` for every node reachable from `out` (including `out`), from the newest.
pub(crate) fn for_each_reachable(out: &Node, mut visit: impl FnMut(&mut super::tape::Tape, Idx)) {
    with_tape(|tape| {
        let from = out.index();
        let mut reached = vec![false; from as usize + 1];
        reached[from as usize] = true;
        for index in (0..=from).rev() {
            if !reached[index as usize] {
                continue;
            }
            tape.records[index as usize]
                .op
                .for_each_parent(&tape.operands, |p| reached[p as usize] = true);
            visit(tape, index);
        }
    })
}

/// Sets the gradient of every node reachable from `out` (including `out`) to 0.
///
/// ```
/// use scalargrad::{Node, backward, zero_grad};
/// let x = Node::new(3.0);
/// let y = &x * &x;
/// backward(&y);
/// zero_grad(&y);
/// assert_eq!((x.grad(), y.grad()), (0.0, 0.0));
/// ```
pub fn zero_grad(out: &Node) {
    for_each_reachable(out, |tape, index| tape.grads[index as usize] = 0.0);
}

/// Derivatives as nodes, for `grad`.
struct NodeAdjoints {
    adjoints: Vec<Option<Node>>,
}

impl Adjoints<Node> for NodeAdjoints {
    fn upstream(&self, index: Idx) -> Option<Node> {
        self.adjoints[index as usize].clone()
    }

    fn accumulate(&mut self, parent: Idx, contribution: Node) {
        let slot = &mut self.adjoints[parent as usize];
        *slot = Some(match slot.take() {
            Some(total) => total + contribution,
            None => contribution,
        });
    }
}

/// Returns d(of)/d(wrt\[i\]) for each `i` as nodes that are part of a graph, so they can be
/// differentiated again (second derivatives, Hessian-vector products, Newton's method).
///
/// Never reads or writes any `.grad`. A node in `wrt` that `of` does not depend on gets a constant
/// 0. The derivative graph is built on top of the existing one and freed like any other.
///
/// ```
/// use scalargrad::{Node, engine::grad};
/// let x = Node::new(3.0);
/// let y = x.pow(3.0);                       // y = x^3
/// let dy = grad(&y, std::slice::from_ref(&x)).remove(0);   // 3x^2 = 27
/// let d2y = grad(&dy, std::slice::from_ref(&x)).remove(0); // 6x = 18
/// assert_eq!((dy.value(), d2y.value()), (27.0, 18.0));
/// assert_eq!(x.grad(), 0.0);
/// ```
pub fn grad(of: &Node, wrt: &[Node]) -> Vec<Node> {
    let from = of.index();
    // A copy of the graph's structure, so the sweep can add derivative nodes to the tape while
    // it reads the records below `of` (which stay alive: `of` is).
    let (records, operands) = with_tape(|tape| {
        (
            tape.records[..=from as usize].to_vec(),
            tape.operands.clone(),
        )
    });
    let mut adjoints = NodeAdjoints {
        adjoints: vec![None; from as usize + 1],
    };
    adjoints.accumulate(from, Node::new(1.0));
    reverse_sweep(&records, &operands, from, Node::handle, &mut adjoints);
    wrt.iter()
        .map(|node| {
            adjoints
                .adjoints
                .get(node.index() as usize)
                .cloned()
                .flatten()
                .unwrap_or_else(|| Node::new(0.0))
        })
        .collect()
}
