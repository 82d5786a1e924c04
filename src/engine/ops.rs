//! `Op`, the record of how a node was made, grouped by kind, and one constructor per op.
//!
//! Each concern (the value, the local derivatives, the parents, the name) is one exhaustive
//! `match` over the kinds below; what an individual op computes is stated beside its name in
//! `unary.rs` (one input), `binary.rs` (two inputs, or one and a constant) and `dense.rs` (fused
//! neurons). The chain rule itself is not here: it is stated in exactly one place,
//! `backward::chain`, which the backward sweep applies to every derivative reported here.

use std::panic::Location;

use super::binary::{BinaryOp, ConstantOp};
use super::dense::{Activation, are_consecutive, dense_value, weighted_sum};
use super::node::Node;
use super::record::{MAX_NODES, Records};
use super::scalar::Scalar;
use super::softmax;
use super::tape::{Idx, Tape, too_many_nodes, with_tape_inlined};
use super::unary::UnaryOp;

/// How a node was made: the operation and the indices of its parents on the tape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op {
    /// A value given by the user (an input or a parameter): no parents.
    Leaf,
    /// A value given by the user that takes no gradient (data, PyTorch's `requires_grad=False`):
    /// no parents, and its gradient reads as 0 (`Tape::gradient`), so the backward sweep may
    /// skip the edges into it (a first layer's inputs).
    Constant,
    /// `op(a)`
    Unary(Idx, UnaryOp),
    /// `a op b`
    Binary(Idx, Idx, BinaryOp),
    /// `a op c` for a constant `c` kept in the op
    WithConstant(Idx, f64, ConstantOp),
    /// Sum of `len` parents listed at `operands[start..]`.
    Sum { start: Idx, len: Idx },
    /// `bias + sum_k weight_k * input_k`: `operands[start..]` holds `len` weights, then `len`
    /// inputs, then the bias.
    Linear { start: Idx, len: Idx },
    /// A whole neuron, `activation(bias + sum_k weight_k * input_k)`, whose parents lie in two
    /// runs on the tape: weights at `parameters..parameters + len` followed by the bias, inputs at
    /// `inputs..inputs + len` (see `dense.rs`).
    ///
    /// `below` counts the neurons of the same layer directly below this one on the tape: nodes
    /// `index - below..index` are `Dense` nodes with the same `inputs`, `len` and `activation`,
    /// whose parameters start `len + 1` apart (how `dense_layers` records a layer; a lone
    /// `neuron` has 0). The backward sweep relies on it to handle a layer's neurons together,
    /// and the tape to store a layer's shared fields once (`record.rs`). Below those may lie the
    /// same layer on other examples of a batch (`Records::rows_below` says how many), which the
    /// sweep then handles in the same visit.
    Dense {
        parameters: Idx,
        inputs: Idx,
        len: Idx,
        activation: Activation,
        below: Idx,
    },
    /// The sum, from 0 and left to right, of the softmax cross-entropies
    /// `logsumexp(z) - z_class` of `examples` examples of `width` logits each, consecutive nodes
    /// from `logits` (a layer's outputs on a batch), each against its class: example e's is
    /// `records.classes[classes + e]`, and its softmax as the forward pass computed it is
    /// `records.probabilities[probabilities + e * width..]` (`width` of them; see `softmax.rs`).
    /// One example is one cross-entropy.
    SoftmaxCrossEntropies {
        logits: Idx,
        width: Idx,
        examples: Idx,
        classes: Idx,
        probabilities: Idx,
    },
    /// `sum_k x_k^2` of the `len` consecutive nodes from `first` (a network's parameters, for
    /// the L2 penalty).
    SumOfSquares { first: Idx, len: Idx },
}

/// A local derivative, as an op reports it to the backward sweep (which applies the chain rule).
pub(crate) enum Derivative<S> {
    /// d(out)/d(parent) = `local`, as `Edge(parent, local)`.
    Edge(Idx, S),
    /// A run of consecutive parents that reach `out` through one inner sum (a `Dense` node's
    /// weighted sum, before its activation): d(out)/d(sum) = `through` and
    /// d(sum)/d(first + k) = x(source + k) for k in 0..len (a neuron's weights, and its inputs).
    /// The sweep applies the chain rule twice, as for `linear` then the activation, and treats
    /// the run as slices (vector instructions).
    Run {
        first: Idx,
        source: Idx,
        len: Idx,
        through: S,
    },
}

impl Op {
    /// The forward value, from the values of the nodes on the tape.
    // Inlined so that each constructor (`add`, `exp`, ...), which passes a known op, compiles to
    // its own arm instead of a jump through the whole match.
    #[inline(always)]
    pub(crate) fn value(&self, values: &[f64], records: &Records) -> f64 {
        let x = |i: Idx| values[i as usize];
        let operands = &records.operands;
        match *self {
            Op::Leaf | Op::Constant => f64::NAN, // given their value; never computed
            Op::Unary(a, op) => op.value(x(a)),
            Op::Binary(a, b, op) => op.value(x(a), x(b)),
            Op::WithConstant(a, c, op) => op.value(x(a), c),
            Op::Sum { start, len } => operands_of(operands, start, len)
                .iter()
                .fold(0.0, |total, &p| total + x(p)),
            Op::Linear { start, len } => {
                let (weights, inputs, bias) = linear_parts(operands, start, len);
                weighted_sum(x(bias), weights.len(), |k| x(weights[k]) * x(inputs[k]))
            }
            Op::Dense {
                parameters,
                inputs,
                len,
                activation,
                below: _,
            } => {
                let (p, i, n) = (parameters as usize, inputs as usize, len as usize);
                dense_value(
                    activation,
                    values[p + n],
                    &values[p..p + n],
                    &values[i..i + n],
                )
            }
            Op::SoftmaxCrossEntropies {
                logits,
                width,
                examples,
                classes,
                ..
            } => {
                let (first, width) = (logits as usize, width as usize);
                let all = &values[first..first + examples as usize * width];
                let classes = &records.classes[classes as usize..][..examples as usize];
                all.chunks_exact(width)
                    .zip(classes)
                    .fold(0.0, |total, (z, &class)| {
                        total + softmax::cross_entropy_value(z, class as usize)
                    })
            }
            // the fused node's value is this very function on its terms' values
            Op::SumOfSquares { first, len } => {
                f64::sum_of_squares(&values[first as usize..(first + len) as usize])
            }
        }
    }

    /// Calls `each` with d(out)/d(parent) for every parent, given the parents' values `x(i)` and
    /// this node's value `out`. A parent used twice (`x * x`) is reported twice; a derivative
    /// that is exactly 0 may be left out.
    // Inlined into the backward sweep, so `each` (the chain rule) is compiled into every arm
    // instead of being called through a closure per edge.
    #[inline(always)]
    pub(crate) fn local_derivatives<S: Scalar>(
        &self,
        x: impl Fn(Idx) -> S,
        out: &S,
        records: &Records,
        mut each: impl FnMut(Derivative<S>),
    ) {
        use Derivative::{Edge, Run};
        let operands = &records.operands;
        match *self {
            Op::Leaf | Op::Constant => {}
            Op::Unary(a, op) => {
                if let Some(local) = op.derivative(|| x(a), out) {
                    each(Edge(a, local));
                }
            }
            Op::Binary(a, b, op) => {
                let (da, db) = op.derivatives(|| x(a), || x(b), out);
                each(Edge(a, da));
                each(Edge(b, db));
            }
            Op::WithConstant(a, c, op) => each(Edge(a, op.derivative(|| x(a), out, c))),
            // d(sum)/d(each term) = 1
            Op::Sum { start, len } => {
                for &p in operands_of(operands, start, len) {
                    each(Edge(p, S::constant(1.0)));
                }
            }
            // d/d(weight_k) = input_k, d/d(input_k) = weight_k, d/d(bias) = 1
            Op::Linear { start, len } => {
                let (weights, inputs, bias) = linear_parts(operands, start, len);
                for (&w, &i) in weights.iter().zip(inputs) {
                    each(Edge(w, x(i)));
                    each(Edge(i, x(w)));
                }
                each(Edge(bias, S::constant(1.0)));
            }
            // d/d(sum) = a', the activation's slope (none at all for a ReLU that is off), and
            // d(sum)/d(weight_k) = input_k, d(sum)/d(input_k) = weight_k, d(sum)/d(bias) = 1
            Op::Dense {
                parameters,
                inputs,
                len,
                activation,
                below: _,
            } => {
                if let Some(slope) = activation.slope(out) {
                    each(Run {
                        first: parameters,
                        source: inputs,
                        len,
                        through: slope.clone(),
                    });
                    each(Run {
                        first: inputs,
                        source: parameters,
                        len,
                        through: slope.clone(),
                    });
                    each(Edge(parameters + len, slope));
                }
            }
            // d/d(z_j) = softmax_j - [j = class], example by example
            Op::SoftmaxCrossEntropies {
                logits,
                width,
                examples,
                classes,
                probabilities,
            } => {
                let (w, p) = (width as usize, probabilities as usize);
                for example in 0..examples {
                    let first = logits + example * width;
                    let e = example as usize;
                    softmax::cross_entropy_derivatives(
                        |j| x(first + j),
                        records.classes[classes as usize + e],
                        &records.probabilities[p + e * w..p + (e + 1) * w],
                        |j, local| each(Edge(first + j, local)),
                    );
                }
            }
            // d/d(x_k) (x_k * x_k) = x_k, once for each factor (as `linear(x, x, 0)` reports
            // it, so the gradients are the same to the bit)
            Op::SumOfSquares { first, len } => {
                for _factor in 0..2 {
                    each(Run {
                        first,
                        source: first,
                        len,
                        through: S::constant(1.0),
                    });
                }
            }
        }
    }

    /// Calls `each(parent)` for every parent (in the order `local_derivatives` reports them; a
    /// sum of squares names each of its terms once, where it reports two derivatives).
    pub(crate) fn for_each_parent(&self, operands: &[Idx], mut each: impl FnMut(Idx)) {
        match *self {
            Op::Leaf | Op::Constant => {}
            Op::Unary(a, _) | Op::WithConstant(a, _, _) => each(a),
            Op::Binary(a, b, _) => {
                each(a);
                each(b);
            }
            Op::Sum { start, len } => operands_of(operands, start, len)
                .iter()
                .for_each(|&p| each(p)),
            Op::Linear { start, len } => {
                let (weights, inputs, bias) = linear_parts(operands, start, len);
                for (&w, &i) in weights.iter().zip(inputs) {
                    each(w);
                    each(i);
                }
                each(bias);
            }
            Op::Dense {
                parameters,
                inputs,
                len,
                ..
            } => {
                for k in 0..len {
                    each(parameters + k);
                    each(inputs + k);
                }
                each(parameters + len);
            }
            Op::SoftmaxCrossEntropies {
                logits,
                width,
                examples,
                ..
            } => (logits..logits + width * examples).for_each(each),
            Op::SumOfSquares { first, len } => (first..first + len).for_each(each),
        }
    }

    /// The name with a constant operand if there is one (`+ 1`, `* -0.5`), for graph pictures.
    pub(crate) fn label(&self) -> String {
        match *self {
            Op::WithConstant(
                _,
                c,
                op @ (ConstantOp::Add | ConstantOp::Mul | ConstantOp::Hinge),
            ) => {
                format!("{} {c}", op.name())
            }
            Op::Leaf
            | Op::Constant
            | Op::Unary(..)
            | Op::Binary(..)
            | Op::WithConstant(_, _, ConstantOp::Pow)
            | Op::Sum { .. }
            | Op::Linear { .. }
            | Op::Dense { .. }
            | Op::SoftmaxCrossEntropies { .. }
            | Op::SumOfSquares { .. } => self.name().to_string(),
        }
    }

    /// A short name for printing (`+`, `*`, `exp`, ...).
    pub(crate) fn name(&self) -> &'static str {
        match *self {
            Op::Leaf => "leaf",
            Op::Constant => "constant",
            Op::Unary(_, op) => op.name(),
            Op::Binary(_, _, op) => op.name(),
            Op::WithConstant(_, _, op) => op.name(),
            Op::Sum { .. } => "sum",
            Op::Linear { .. } => "linear",
            Op::Dense { activation, .. } => activation.neuron_name(),
            Op::SoftmaxCrossEntropies { examples: 1, .. } => "softmax cross-entropy",
            Op::SoftmaxCrossEntropies { .. } => "sum of softmax cross-entropies",
            Op::SumOfSquares { .. } => "sum of squares",
        }
    }
}

fn operands_of(operands: &[Idx], start: Idx, len: Idx) -> &[Idx] {
    &operands[start as usize..start as usize + len as usize]
}

/// Splits a `Linear` op's operands into (weights, inputs, bias).
fn linear_parts(operands: &[Idx], start: Idx, len: Idx) -> (&[Idx], &[Idx], Idx) {
    let all = operands_of(operands, start, 2 * len + 1);
    let (weights, rest) = all.split_at(len as usize);
    (weights, &rest[..len as usize], rest[len as usize])
}

/// Records the op `make()` on the tape with its forward value and returns the new node.
///
/// The op comes from a closure so that each op's constructor (`add`, `exp`, ...) has a closure
/// type of its own, hence its own copy of the code below, in which `Op::value` is resolved at
/// compile time (an `Op` passed by value was one shared copy with a jump per node).
#[inline(always)]
#[track_caller] // anomaly reports name the line of user code that made the node
pub(crate) fn apply(make: impl FnOnce() -> Op) -> Node {
    apply_consuming(make, [None, None])
}

/// `apply` for an operator given some of its operands by value (`a * b + c`, where `a * b` is a
/// temporary): their handles are given up in the same tape access that records the new node,
/// instead of in a `Drop` each (which would be a tape access of its own). As with `apply`, each
/// caller passes a closure of its own: a closure shared by several ops makes the tape access one
/// shared, out-of-line copy that reads the op back from memory (bench/RESULTS.md has the
/// figures).
#[inline(always)]
#[track_caller]
pub(crate) fn apply_consuming(make: impl FnOnce() -> Op, consumed: [Option<Node>; 2]) -> Node {
    let location = Location::caller();
    let node = Node::from_index(with_tape_inlined(|tape| {
        let index = record(tape, make(), location);
        for operand in consumed.iter().flatten() {
            tape.give_up(operand.index());
        }
        index
    }));
    // their handles are given up above (were the closure to panic first, they drop as usual)
    consumed.into_iter().flatten().for_each(std::mem::forget);
    node
}

/// Records an op whose parents are the list `parents`, as made by `make(start, len)`.
#[track_caller]
fn apply_with_operands(parents: impl Iterator<Item = Idx>, make: impl Fn(Idx, Idx) -> Op) -> Node {
    let location = Location::caller();
    Node::from_index(with_tape_inlined(|tape| {
        record_with_operands(tape, parents, make, location)
    }))
}

/// `apply_with_operands`' work inside a tape access: appends `parents` to the operand lists and
/// records `make(start, len)`; returns the new node's index.
///
/// # Panics
/// If the operand lists would outgrow their 29-bit indices.
#[inline(always)]
fn record_with_operands(
    tape: &mut Tape,
    parents: impl Iterator<Item = Idx>,
    make: impl Fn(Idx, Idx) -> Op,
    location: &'static Location<'static>,
) -> Idx {
    let operands = &mut tape.records.operands;
    let start = operands.len();
    operands.extend(parents);
    if operands.len() >= MAX_NODES {
        too_many_operands();
    }
    let op = make(start as Idx, (operands.len() - start) as Idx);
    record(tape, op, location)
}

#[cold]
fn too_many_operands() -> ! {
    panic!("scalargrad: more than {MAX_NODES} operands of sums on one thread")
}

/// Pushes `op` with its forward value and shows it to the inspection hook; returns its index.
/// Inlined into each caller, where the op's kind is known and `Op::value` folds to its one arm.
#[inline(always)]
fn record(tape: &mut Tape, op: Op, location: &'static Location<'static>) -> Idx {
    let value = op.value(&tape.values, &tape.records);
    let index = tape.push(op, value);
    tape.inspection
        .created(index, location, || op, &tape.values, &tape.records.operands);
    index
}

/// `op(a)`: one new node (what `exp`, `relu`, ... make).
#[track_caller]
pub fn unary(a: &Node, op: UnaryOp) -> Node {
    apply(|| Op::Unary(a.index(), op))
}

/// `a op b`: one new node (what `add`, `mul`, ... make).
#[track_caller]
pub fn binary(a: &Node, b: &Node, op: BinaryOp) -> Node {
    apply(|| Op::Binary(a.index(), b.index(), op))
}

/// `a op c` for a constant `c` kept in the op: one new node (what `x + 3.0` makes).
#[track_caller]
pub fn with_constant(a: &Node, c: f64, op: ConstantOp) -> Node {
    apply(|| Op::WithConstant(a.index(), c, op))
}

/// `a + b`: one new node. These functions are the operators by name (`&Node + &Node` and the
/// rest, in `node.rs`, are where the nodes are made).
///
/// ```
/// use scalargrad::{Node, engine::add};
/// assert_eq!(add(&Node::new(2.0), &Node::new(3.0)).value(), 5.0);
/// ```
#[track_caller]
pub fn add(a: &Node, b: &Node) -> Node {
    a + b
}

/// `a - b`: one new node (not `a + (-b)`, which would take two).
#[track_caller]
pub fn sub(a: &Node, b: &Node) -> Node {
    a - b
}

/// `a * b`: one new node.
#[track_caller]
pub fn mul(a: &Node, b: &Node) -> Node {
    a * b
}

/// `a / b`: one new node. Division by zero follows IEEE 754 (`±inf` or NaN).
#[track_caller]
pub fn div(a: &Node, b: &Node) -> Node {
    a / b
}

/// `a ^ b` where the exponent is a node too, so it gets a gradient (`a^b ln a`).
#[track_caller]
pub fn pow_node(a: &Node, b: &Node) -> Node {
    apply(|| Op::Binary(a.index(), b.index(), BinaryOp::Pow))
}

/// `a + c` for a constant `c`: one new node. This is what `x + 3.0` and `3.0 + x` make: the
/// constant lives in the op instead of in a leaf of its own (a leaf nobody could read the gradient
/// of), which halves the nodes of scalar arithmetic.
///
/// ```
/// use scalargrad::{Node, engine::add_constant};
/// let x = Node::new(2.0);
/// let y = add_constant(&x, 3.0);
/// y.backward();
/// assert_eq!((y.value(), x.grad()), (5.0, 1.0));
/// ```
#[track_caller]
pub fn add_constant(a: &Node, c: f64) -> Node {
    a + c
}

/// `a * c` for a constant `c`: one new node (what `x * 3.0` and `3.0 * x` make).
///
/// ```
/// use scalargrad::{Node, engine::mul_constant};
/// let x = Node::new(2.0);
/// let y = mul_constant(&x, -3.0);
/// y.backward();
/// assert_eq!((y.value(), x.grad()), (-6.0, -3.0));
/// ```
#[track_caller]
pub fn mul_constant(a: &Node, c: f64) -> Node {
    a * c
}

/// `a ^ n` for a constant exponent. Follows IEEE 754: `0.0 ^ -1.0` is `inf`, a negative base
/// with a fractional exponent is NaN. The derivative of `a ^ 0` is 0 everywhere.
#[track_caller]
pub fn pow(a: &Node, n: f64) -> Node {
    apply(|| Op::WithConstant(a.index(), n, ConstantOp::Pow))
}

/// `-a`: one new node.
#[track_caller]
pub fn neg(a: &Node) -> Node {
    apply(|| Op::Unary(a.index(), UnaryOp::Neg))
}

/// `e ^ a`.
#[track_caller]
pub fn exp(a: &Node) -> Node {
    apply(|| Op::Unary(a.index(), UnaryOp::Exp))
}

/// Natural logarithm. Follows IEEE 754: `log(0)` is `-inf`, the log of a negative number is NaN
/// (and so is its gradient's use downstream).
#[track_caller]
pub fn log(a: &Node) -> Node {
    apply(|| Op::Unary(a.index(), UnaryOp::Log))
}

/// `sin a`.
#[track_caller]
pub fn sin(a: &Node) -> Node {
    apply(|| Op::Unary(a.index(), UnaryOp::Sin))
}

/// `cos a`.
#[track_caller]
pub fn cos(a: &Node) -> Node {
    apply(|| Op::Unary(a.index(), UnaryOp::Cos))
}

/// `tanh a`; finite for every finite input (no overflow at |a| = 1000).
#[track_caller]
pub fn tanh(a: &Node) -> Node {
    apply(|| Op::Unary(a.index(), UnaryOp::Tanh))
}

/// `max(a, 0)`; its derivative at exactly 0 is 0.
#[track_caller]
pub fn relu(a: &Node) -> Node {
    apply(|| Op::Unary(a.index(), UnaryOp::Relu))
}

/// `1 / (1 + e^-a)`, computed without overflow for large |a|.
#[track_caller]
pub fn sigmoid(a: &Node) -> Node {
    apply(|| Op::Unary(a.index(), UnaryOp::Sigmoid))
}

/// `|a|`; its derivative is the sign of `a`, and 0 at exactly 0 (as PyTorch's), so an L1
/// penalty leaves a parameter that is exactly 0 where it is.
///
/// ```
/// use scalargrad::{Node, engine::abs};
/// let (x, zero) = (Node::new(-1.5), Node::new(0.0));
/// let y = abs(&x) + abs(&zero);
/// y.backward();
/// assert_eq!((y.value(), x.grad(), zero.grad()), (1.5, -1.0, 0.0));
/// ```
#[track_caller]
pub fn abs(a: &Node) -> Node {
    apply(|| Op::Unary(a.index(), UnaryOp::Abs))
}

/// The sum of `terms` as one n-ary node (not a chain of additions). The sum of no terms is 0.
///
/// ```
/// use scalargrad::{Node, engine::sum};
/// let terms: Vec<Node> = (1..=4).map(|i| Node::new(i as f64)).collect();
/// let total = sum(&terms);
/// total.backward();
/// assert_eq!(total.value(), 10.0);
/// assert_eq!(terms[2].grad(), 1.0);
/// ```
#[track_caller]
pub fn sum(terms: &[Node]) -> Node {
    apply_with_operands(terms.iter().map(Node::index), |start, len| Op::Sum {
        start,
        len,
    })
}

/// `bias + sum_k weights[k] * inputs[k]` as one node: a neuron before its activation.
///
/// # Panics
/// If `weights` and `inputs` differ in length.
///
/// ```
/// use scalargrad::{Node, engine::linear};
/// let weights = [Node::new(2.0), Node::new(-1.0)];
/// let inputs = [Node::new(3.0), Node::new(4.0)];
/// let out = linear(&weights, &inputs, &Node::new(0.5));
/// out.backward();
/// assert_eq!(out.value(), 2.5);
/// assert_eq!(weights[0].grad(), 3.0);
/// assert_eq!(inputs[1].grad(), -1.0);
/// ```
#[track_caller]
pub fn linear(weights: &[Node], inputs: &[Node], bias: &Node) -> Node {
    assert_eq!(
        weights.len(),
        inputs.len(),
        "scalargrad::engine::linear: {} weights but {} inputs",
        weights.len(),
        inputs.len()
    );
    let parents = weights
        .iter()
        .chain(inputs)
        .chain(std::iter::once(bias))
        .map(Node::index);
    apply_with_operands(parents, |start, _| Op::Linear {
        start,
        len: weights.len() as Idx,
    })
}

/// `sum_k terms[k]^2`, the L2 penalty's sum, with the value and gradients of
/// `linear(terms, terms, &Node::new(0.0))` to the bit. When the terms are consecutive nodes (a
/// network's parameters are) it is one node that reads them as a slice, with no list of parents
/// to store and gather; otherwise it is that `linear` node.
///
/// ```
/// use scalargrad::{Node, engine::sum_of_squares};
/// let terms: Vec<Node> = [3.0, -4.0].into_iter().map(Node::new).collect();
/// let total = sum_of_squares(&terms);
/// total.backward();
/// assert_eq!(total.value(), 25.0);
/// assert_eq!((terms[0].grad(), terms[1].grad()), (6.0, -8.0)); // d/dx x^2 = 2x
/// ```
#[track_caller]
pub fn sum_of_squares(terms: &[Node]) -> Node {
    match terms.first() {
        Some(first) if are_consecutive(terms) => apply(|| Op::SumOfSquares {
            first: first.index(),
            // distinct nodes, so their count fits a node index
            len: terms.len() as Idx,
        }),
        Some(_) | None => linear(terms, terms, &Node::new(0.0)),
    }
}

/// Softmax cross-entropy of `logits` against class `class`, `logsumexp(z) - z_class` (computed
/// with the largest logit shifted out, so that logits of +-1000 stay finite): one node whose
/// local derivatives are `softmax(z) - onehot(class)`, with the softmax saved by the forward
/// pass, when the logits are consecutive nodes (a layer's outputs are); otherwise the same
/// formula recorded from `exp`, `sum` and `log` nodes.
///
/// ```
/// use scalargrad::{Node, engine::softmax_cross_entropy};
/// let logits: Vec<Node> = [1.0, 2.0, 3.0].into_iter().map(Node::new).collect();
/// let loss = softmax_cross_entropy(&logits, 0);
/// loss.backward();
/// let total: f64 = [1.0_f64, 2.0, 3.0].iter().map(|z| z.exp()).sum();
/// assert!((loss.value() - (total.ln() - 1.0)).abs() < 1e-15);
/// assert!((logits[0].grad() - (1.0_f64.exp() / total - 1.0)).abs() < 1e-15); // softmax - 1
/// ```
///
/// # Panics
/// If `class` is not an index of `logits`.
#[track_caller]
pub fn softmax_cross_entropy(logits: &[Node], class: usize) -> Node {
    assert!(
        class < logits.len(),
        "softmax_cross_entropy: class {class} of {} logits",
        logits.len()
    );
    if are_consecutive(logits) {
        record_cross_entropies(logits, &[class], Location::caller())
    } else {
        softmax::cross_entropy(logits, class)
    }
}

/// The sum of the softmax cross-entropies of a batch: `logits` holds `width` logits per example,
/// example after example, and `classes` each example's class. [`softmax_cross_entropy`] of each
/// example followed by [`sum`] of the losses, with the same value and gradients, bit for bit; when
/// the logits are consecutive nodes (a batch's outputs from `forward_rows` are) it is one node,
/// recorded in one tape access, where the losses one by one cost a node, a handle and a tape
/// access each and a visit each in the backward pass.
///
/// ```
/// use scalargrad::{Node, engine::{softmax_cross_entropy, sum, sum_of_softmax_cross_entropies}};
/// let logits: Vec<Node> = [1.0, 2.0, 3.0, 0.5, -1.0, 2.0].into_iter().map(Node::new).collect();
/// let total = sum_of_softmax_cross_entropies(&logits, 3, &[2, 0]);
/// let one_by_one = sum(&[softmax_cross_entropy(&logits[..3], 2), softmax_cross_entropy(&logits[3..], 0)]);
/// assert_eq!(total.value(), one_by_one.value());
/// ```
///
/// # Panics
/// If `logits` is not `width` logits for each class in `classes`, `width` is 0, or a class is
/// not below `width`.
#[track_caller]
pub fn sum_of_softmax_cross_entropies(logits: &[Node], width: usize, classes: &[usize]) -> Node {
    if logits.is_empty() || !are_consecutive(logits) {
        return softmax::cross_entropies_one_by_one(logits, width, classes);
    }
    softmax::check_batch(logits.len(), width, classes);
    record_cross_entropies(logits, classes, Location::caller())
}

/// Records the `SoftmaxCrossEntropies` node of `logits`, consecutive nodes, `logits.len() /
/// classes.len()` per example (at least one), against `classes`, each below that width (the
/// callers' contract): its value, and each example's class and softmax in the side tables.
fn record_cross_entropies(
    logits: &[Node],
    classes: &[usize],
    location: &'static Location<'static>,
) -> Node {
    let width = logits.len() / classes.len();
    // consecutive nodes, so their index and count fit an `Idx`
    let first = logits[0].index();
    Node::from_index(with_tape_inlined(|tape| {
        // the node and its side tables fit, checked before any is written (each example has a
        // class and at least one logit, so the classes fit where the probabilities do)
        if tape.len() + 1 >= MAX_NODES {
            too_many_nodes();
        }
        if tape.records.probabilities.len() + logits.len() >= MAX_NODES {
            too_many_probabilities();
        }
        let records = &mut tape.records;
        let op = Op::SoftmaxCrossEntropies {
            logits: first,
            width: width as Idx,
            examples: classes.len() as Idx,
            classes: records.classes.len() as Idx,
            probabilities: records.probabilities.len() as Idx,
        };
        records
            .classes
            .extend(classes.iter().map(|&class| class as Idx));
        let all = &tape.values[first as usize..first as usize + logits.len()];
        // the sum of `Op::value`, with each softmax saved on the way
        let value = all
            .chunks_exact(width)
            .zip(classes)
            .fold(0.0, |total, (z, &class)| {
                total + softmax::cross_entropy_saving(z, class, &mut records.probabilities)
            });
        let index = tape.push(op, value);
        tape.inspection
            .created(index, location, || op, &tape.values, &tape.records.operands);
        index
    }))
}

#[cold]
fn too_many_probabilities() -> ! {
    panic!("scalargrad: more than {MAX_NODES} logits of softmax cross-entropies on one thread")
}
