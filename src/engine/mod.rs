//! The engine: scalar nodes, the ops on them, and reverse-mode differentiation.
//!
//! - [`Node`] is a scalar in a graph. Every op ([`add`], [`mul`], [`exp`], ... or the operators
//!   `+ - * /`) computes its value and records exactly one new node; no gradient is computed then.
//! - [`backward`] seeds d(out)/d(out) = 1 and applies each op's local derivatives in reverse
//!   topological order, accumulating gradients (`+=`) into the leaves; [`zero_grad`] resets them.
//! - [`derivatives`] returns derivatives as nodes, for second and higher derivatives;
//!   [`gradients`] reads gradient values.
//! - [`gradcheck`] compares an analytic derivative with a central finite difference.
//!
//! Nodes live on a flat per-thread tape (see the crate's README for why that is fast); memory is
//! freed as soon as no `Node` of a graph is left.

//! Layout: `node.rs` (the handle and its operators), `ops.rs` (the `Op` record by kind and the
//! constructors), `unary.rs` and `binary.rs` (each op's value and derivative), `dense.rs` (fused
//! neurons and layers), `scalar.rs` (the [`Scalar`] trait formulas are written in), `tape.rs`
//! and `record.rs` (the storage, 28 bytes per node),
//! `backward.rs`, `gradcheck.rs`, `inspect.rs`. See docs/ARCHITECTURE.md.

mod backward;
mod binary;
mod dense;
mod gradcheck;
mod inspect;
mod layer_gradients;
mod node;
mod nonzero;
mod ops;
mod record;
mod scalar;
mod softmax;
mod tape;
mod unary;

pub use backward::{backward, derivatives, zero_grad};
pub use binary::{BinaryOp, ConstantOp};
pub use dense::{
    Activation, DenseLayer, dense_layers, dense_layers_marking, dense_layers_on_rows, dot, neuron,
};
pub(crate) use dense::{StackInputs, dense_layers_marking_into, dense_layers_single};
pub(crate) use gradcheck::python_repr;
pub use gradcheck::{GradCheck, gradcheck, gradcheck_inputs};
pub use inspect::{
    Anomaly, AnomalyKind, Contribution, Detail, Explanation, Graph, GraphNode, GraphNodeKind,
    SUMMARY_THRESHOLD, Via, detect_anomalies, explain, graph, record_contributions,
    record_contributions_to, take_anomaly, take_contributions, to_dot, to_dot_with,
};
pub use node::Node;
pub use nonzero::NonzeroUnits;
pub use ops::{
    abs, add, add_constant, binary, cos, div, exp, linear, log, mul, mul_constant, neg, pow,
    pow_node, relu, sigmoid, sin, softmax_cross_entropy, sub, sum, sum_of_softmax_cross_entropies,
    sum_of_squares, tanh, unary, with_constant,
};
pub use scalar::Scalar;
pub use unary::UnaryOp;

/// How many nodes this thread's tape holds: the live ones and the dead ones below a live one
/// (which stay until every node above them is gone).
///
/// ```
/// use scalargrad::{Node, engine::tape_length};
/// let before = tape_length();
/// let y = Node::new(2.0) * Node::new(3.0); // three nodes: 2, 3 and their product
/// assert_eq!(tape_length(), before + 3);
/// drop(y);
/// let y = Node::new(2.0) * 3.0; // two: the constant 3 lives in the product's op
/// assert_eq!(tape_length(), before + 2);
/// drop(y);
/// assert_eq!(tape_length(), before);
/// ```
pub fn tape_length() -> usize {
    tape::with_tape(|tape| tape.len())
}

/// The values of `nodes`, read in one go.
pub fn values(nodes: &[Node]) -> Vec<f64> {
    tape::with_tape(|tape| {
        nodes
            .iter()
            .map(|n| tape.values[n.index() as usize])
            .collect()
    })
}

/// The gradient values of `nodes`, read in one go.
pub fn gradients(nodes: &[Node]) -> Vec<f64> {
    tape::with_tape(|tape| nodes.iter().map(|n| tape.gradient(n.index())).collect())
}

/// Sets the value of each leaf in `nodes` to the matching entry of `values` (restoring saved
/// weights, in one go).
///
/// # Panics
/// If the lengths differ, or a node is not a leaf (see [`Node::set_value`]).
pub fn set_values(nodes: &[Node], values: &[f64]) {
    assert_eq!(nodes.len(), values.len(), "one value per node");
    update_values(nodes, |k, _, _| values[k]);
}

/// Replaces the value of each leaf `nodes[k]` by `update(k, value, gradient)`: an optimizer's
/// step, in one pass and one tape access (no list of values or gradients in between). Every
/// `update` sees the values from before the call; a node named twice keeps what its last place
/// computed.
///
/// ```
/// use scalargrad::{Node, engine::update_values};
/// let p = [Node::new(1.0), Node::new(-2.0)];
/// (&p[0] * &p[1]).backward(); // gradients -2 and 1
/// update_values(&p, |_, value, grad| value - 0.5 * grad); // SGD at rate 0.5
/// assert_eq!((p[0].value(), p[1].value()), (2.0, -2.5));
/// ```
///
/// # Panics
/// If a node is not a leaf (see [`Node::set_value`]), or `update` uses the engine (makes or
/// reads a node: the tape is borrowed while it runs).
pub fn update_values(nodes: &[Node], mut update: impl FnMut(usize, f64, f64) -> f64) {
    update_value_slices(nodes, |values, grads| {
        for (k, (value, &grad)) in values.iter_mut().zip(grads).enumerate() {
            *value = update(k, *value, grad);
        }
    });
}

/// Runs `update(values, gradients)` on the values and gradients of the leaves `nodes` as two
/// slices (in the order of `nodes`), and keeps the values it leaves: an optimizer's step as a
/// loop over arrays, which the compiler turns into vector instructions. For a network's
/// parameters (consecutive leaves) the slices are the tape's own; otherwise copies, written back
/// in order (a node named twice keeps the value its last place was left with).
///
/// ```
/// use scalargrad::{Node, engine::update_value_slices};
/// let p = [Node::new(1.0), Node::new(-2.0)];
/// (&p[0] * &p[1]).backward(); // gradients -2 and 1
/// update_value_slices(&p, |values, grads| {
///     for (value, grad) in values.iter_mut().zip(grads) {
///         *value -= 0.5 * grad; // SGD at rate 0.5
///     }
/// });
/// assert_eq!((p[0].value(), p[1].value()), (2.0, -2.5));
/// ```
///
/// # Panics
/// As [`update_values`].
pub fn update_value_slices(nodes: &[Node], update: impl FnOnce(&mut [f64], &[f64])) {
    tape::with_tape(|tape| {
        // a network's parameters, consecutive leaves: the tape's slices, no test per node
        if let Some(range) = consecutive(nodes)
            && tape.records.are_plain_leaves(range.clone())
        {
            update(&mut tape.values[range.clone()], &tape.grads[range]);
            return;
        }
        for node in nodes {
            let i = node.index() as usize;
            assert!(
                tape.records.is_leaf(i),
                "scalargrad: setting the value of a node made by `{}`; only leaves (Node::new) \
                 can be set",
                tape.records.op(node.index()).name()
            );
        }
        let mut values: Vec<f64> = nodes
            .iter()
            .map(|n| tape.values[n.index() as usize])
            .collect();
        let grads: Vec<f64> = nodes.iter().map(|n| tape.gradient(n.index())).collect();
        update(&mut values, &grads);
        for (node, value) in nodes.iter().zip(values) {
            tape.values[node.index() as usize] = value;
        }
    })
}

/// The tape indices of `nodes` as one range, if they are consecutive nodes (each made right
/// after the one before, as a network's parameters are).
fn consecutive(nodes: &[Node]) -> Option<std::ops::Range<usize>> {
    let first = nodes.first().map_or(0, |node| node.index() as usize);
    dense::are_consecutive(nodes).then_some(first..first + nodes.len())
}

/// Adds `amounts` to the gradients of `nodes`, as `backward` would (to combine gradients
/// computed on other threads).
///
/// # Panics
/// If the lengths differ.
pub fn add_grads(nodes: &[Node], amounts: &[f64]) {
    assert_eq!(nodes.len(), amounts.len(), "one amount per node");
    tape::with_tape(|tape| {
        for (node, &amount) in nodes.iter().zip(amounts) {
            tape.grads[node.index() as usize] += amount;
        }
    })
}

/// Sets the gradient of each of `nodes` to 0, and of nothing else (see [`zero_grad`] for every
/// node a graph's output depends on).
pub fn zero_gradients(nodes: &[Node]) {
    tape::with_tape(|tape| {
        // a network's parameters, consecutive nodes: one slice
        if let Some(range) = consecutive(nodes) {
            tape.grads[range.clone()].fill(0.0);
            tape.inspection.forget_contributions_within(range);
            return;
        }
        for node in nodes {
            tape.grads[node.index() as usize] = 0.0;
            tape.inspection.forget_contributions_to(node.index());
        }
    })
}

/// Runs `f` with the gradients of `nodes` set to 0, then gives them back the gradients they had:
/// how a second backward pass (one example's graph, a step done again to explain it) is made
/// without disturbing the gradients the first one left.
///
/// ```
/// use scalargrad::{Node, engine::with_gradients_set_aside};
/// let w = Node::new(3.0);
/// (&w * 2.0).backward();
/// let inside = with_gradients_set_aside(std::slice::from_ref(&w), || {
///     (&w * 5.0).backward();
///     w.grad()
/// });
/// assert_eq!((inside, w.grad()), (5.0, 2.0));
/// ```
pub fn with_gradients_set_aside<R>(nodes: &[Node], f: impl FnOnce() -> R) -> R {
    let saved = gradients(nodes);
    zero_gradients(nodes);
    let result = f();
    zero_gradients(nodes);
    add_grads(nodes, &saved);
    result
}

/// Bytes of memory this thread's tape holds (including room reserved for growth).
pub fn tape_bytes() -> usize {
    tape::with_tape(|tape| tape.bytes())
}

/// Gives back to the system the memory this thread's tape keeps for reuse beyond its live nodes.
///
/// A dropped graph's memory is reused by the next graph built on the same thread, which is what
/// makes building graphs cheap (an emptied tape keeps up to 256 MiB). Call this after a one-off
/// very large graph if the memory is wanted elsewhere. Never needed for correctness.
pub fn release_memory() {
    tape::with_tape(|tape| tape.shrink())
}
