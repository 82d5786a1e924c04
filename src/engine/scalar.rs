//! `Scalar`: what a formula can be computed in. `f64` computes a number; `Node` records the same
//! computation in the graph, so it can be differentiated. Every formula written once over
//! `Scalar` (the ops' derivatives, the losses, the regularisation) gives the same value in both,
//! bit for bit: the `f64` methods are exactly the arithmetic the nodes' ops do.

use super::node::Node;
use super::ops;
use super::{BinaryOp, ConstantOp, UnaryOp};

/// A number a formula can be computed in: `f64` for plain values, `Node` for a graph.
///
/// ```
/// use scalargrad::{Node, engine::Scalar};
/// // one formula, two kinds of number
/// fn squared_error<S: Scalar>(score: &S, target: f64) -> S {
///     score.add_constant(-target).power(2.0)
/// }
/// let score = Node::new(1.5);
/// let loss = squared_error(&score, 1.0);
/// loss.backward();
/// assert_eq!(loss.value(), squared_error(&1.5, 1.0)); // 0.25 both ways
/// assert_eq!(score.grad(), 1.0); // 2 (score - target)
/// ```
pub trait Scalar: Clone {
    /// A constant (for `Node`, a new leaf).
    fn constant(value: f64) -> Self;
    /// The plain number.
    fn number(&self) -> f64;
    /// `self op other` for a two-input op.
    fn binary(&self, other: &Self, op: BinaryOp) -> Self;
    /// `op(self)` for a one-input op.
    fn unary(&self, op: UnaryOp) -> Self;
    /// `self op c` for a constant `c` kept in the op.
    fn with_constant(&self, c: f64, op: ConstantOp) -> Self;
    /// The sum of `terms` (0 for none), added left to right.
    fn sum(terms: &[Self]) -> Self;
    /// `bias + sum_k weights[k] * inputs[k]`, in the order of `engine::dot`.
    ///
    /// # Panics
    /// If `weights` and `inputs` differ in length.
    fn linear(weights: &[Self], inputs: &[Self], bias: &Self) -> Self;
    /// `sum_k terms[k]^2`, as `linear(terms, terms, 0)` to the bit (see
    /// [`sum_of_squares`](super::sum_of_squares)).
    fn sum_of_squares(terms: &[Self]) -> Self;
    /// Softmax cross-entropy `logsumexp(logits) - logits[class]` (see
    /// [`softmax_cross_entropy`](super::softmax_cross_entropy)).
    ///
    /// # Panics
    /// If `class` is not an index of `logits`.
    fn softmax_cross_entropy(logits: &[Self], class: usize) -> Self;
    /// The sum of the softmax cross-entropies of a batch, `width` logits per example and one
    /// class each: `sum` of each example's `softmax_cross_entropy`, to the bit (see
    /// [`sum_of_softmax_cross_entropies`](super::sum_of_softmax_cross_entropies)).
    ///
    /// # Panics
    /// If `logits` is not `width` logits per class, or a class is not an index of its logits.
    fn sum_of_softmax_cross_entropies(logits: &[Self], width: usize, classes: &[usize]) -> Self {
        super::softmax::cross_entropies_one_by_one(logits, width, classes)
    }
    /// Whether a number computed earlier can stand in for the formula that computed it (in the
    /// backward pass, the softmax a cross-entropy saved in the forward pass): for `f64` a value
    /// is all there is; a `Node` records the formula, so that it can be differentiated again
    /// (the default).
    fn is_plain_number() -> bool {
        false
    }

    /// `self + other`
    fn plus(&self, other: &Self) -> Self {
        self.binary(other, BinaryOp::Add)
    }
    /// `self * other`
    fn times(&self, other: &Self) -> Self {
        self.binary(other, BinaryOp::Mul)
    }
    /// `self / other`
    fn over(&self, other: &Self) -> Self {
        self.binary(other, BinaryOp::Div)
    }
    /// `self ^ other`
    fn power_of(&self, other: &Self) -> Self {
        self.binary(other, BinaryOp::Pow)
    }
    /// `self + c`
    fn add_constant(&self, c: f64) -> Self {
        self.with_constant(c, ConstantOp::Add)
    }
    /// `self * c`
    fn mul_constant(&self, c: f64) -> Self {
        self.with_constant(c, ConstantOp::Mul)
    }
    /// `self ^ n`
    fn power(&self, n: f64) -> Self {
        self.with_constant(n, ConstantOp::Pow)
    }
}

impl Scalar for f64 {
    fn constant(value: f64) -> f64 {
        value
    }
    fn number(&self) -> f64 {
        *self
    }
    fn binary(&self, other: &f64, op: BinaryOp) -> f64 {
        op.value(*self, *other)
    }
    fn unary(&self, op: UnaryOp) -> f64 {
        op.value(*self)
    }
    fn with_constant(&self, c: f64, op: ConstantOp) -> f64 {
        op.value(*self, c)
    }
    fn sum(terms: &[f64]) -> f64 {
        // the order of the `sum` node: from 0, left to right
        terms.iter().fold(0.0, |total, term| total + term)
    }
    fn linear(weights: &[f64], inputs: &[f64], bias: &f64) -> f64 {
        assert_eq!(weights.len(), inputs.len(), "one input per weight");
        super::dot(*bias, weights, inputs)
    }
    fn sum_of_squares(terms: &[f64]) -> f64 {
        super::dot(0.0, terms, terms)
    }
    fn is_plain_number() -> bool {
        true
    }
    fn softmax_cross_entropy(logits: &[f64], class: usize) -> f64 {
        // the fused node's value is this very function on its logits' values
        super::softmax::cross_entropy_value(logits, class)
    }
}

impl Scalar for Node {
    fn constant(value: f64) -> Node {
        Node::new(value)
    }
    fn number(&self) -> f64 {
        self.value()
    }
    #[track_caller]
    fn binary(&self, other: &Node, op: BinaryOp) -> Node {
        ops::binary(self, other, op)
    }
    #[track_caller]
    fn unary(&self, op: UnaryOp) -> Node {
        ops::unary(self, op)
    }
    #[track_caller]
    fn with_constant(&self, c: f64, op: ConstantOp) -> Node {
        ops::with_constant(self, c, op)
    }
    #[track_caller]
    fn sum(terms: &[Node]) -> Node {
        ops::sum(terms)
    }
    #[track_caller]
    fn linear(weights: &[Node], inputs: &[Node], bias: &Node) -> Node {
        ops::linear(weights, inputs, bias)
    }
    #[track_caller]
    fn sum_of_squares(terms: &[Node]) -> Node {
        ops::sum_of_squares(terms)
    }
    #[track_caller]
    fn softmax_cross_entropy(logits: &[Node], class: usize) -> Node {
        ops::softmax_cross_entropy(logits, class)
    }
    #[track_caller]
    fn sum_of_softmax_cross_entropies(logits: &[Node], width: usize, classes: &[usize]) -> Node {
        ops::sum_of_softmax_cross_entropies(logits, width, classes)
    }
}
