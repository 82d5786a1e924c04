//! `Node`: a handle to one scalar on this thread's tape, and its operators.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use super::binary::{BinaryOp, ConstantOp};
use super::ops::{self, Op};
use super::tape::{Idx, with_tape, with_tape_if_alive};

/// A scalar in the computation graph: a value, an accumulated gradient, and how it was made.
///
/// A `Node` is a small handle (an index into this thread's tape), so `clone` is cheap and every
/// op makes exactly one new node. The graph's memory is freed when no handle to it is left.
///
/// ```
/// use scalargrad::Node;
///
/// let x = Node::new(5.0);
/// let y = Node::new(4.0);
/// let z = (&x + &y) * (&x + &y); // (x + y)^2
/// z.backward();
/// assert_eq!(z.value(), 81.0);
/// assert_eq!((x.grad(), y.grad()), (18.0, 18.0)); // 2 (x + y)
/// ```
///
/// Nodes belong to the thread that made them. A handle keeps every node it depends on alive, so
/// there is no freed graph a node could point into; and the compiler refuses to send a node to
/// another thread (where it would index the wrong tape), saying that `*const ()` (the marker
/// inside `Node`) cannot be sent between threads safely:
///
/// ```compile_fail
/// let x = scalargrad::Node::new(1.0);
/// std::thread::spawn(move || x.value());
/// ```
pub struct Node {
    index: Idx,
    /// Makes `Node` neither `Send` nor `Sync`: it indexes a thread-local tape.
    not_send: PhantomData<*const ()>,
}

impl Node {
    /// A new leaf (an input or a parameter) holding `value`, with gradient 0.
    #[track_caller]
    pub fn new(value: f64) -> Node {
        Node::leaf(Op::Leaf, value, std::panic::Location::caller())
    }

    /// A new leaf of kind `op` (`Leaf` or `Constant`), made at `location` in the user's code.
    fn leaf(op: Op, value: f64, location: &'static std::panic::Location<'static>) -> Node {
        Node::from_index(with_tape(|tape| {
            let index = tape.push(op, value);
            let values = &tape.values;
            tape.inspection
                .created(index, location, || op, values, &tape.records.operands);
            index
        }))
    }

    /// A new constant holding `value`: a leaf that takes no gradient (data, as PyTorch's
    /// `requires_grad=False` tensors). Its gradient reads as 0, so `backward` need not compute
    /// it: a layer whose inputs are all constants passes nothing back to them, about half of a
    /// first layer's backward work.
    ///
    /// ```
    /// use scalargrad::{Node, engine::{Activation, neuron}};
    /// let (w, b) = ([Node::new(2.0), Node::new(-1.0)], Node::new(0.5));
    /// let pixels = [Node::constant(3.0), Node::constant(4.0)];
    /// let out = neuron(&w, &pixels, &b, Activation::Relu);
    /// out.backward();
    /// assert_eq!((w[0].grad(), w[1].grad(), b.grad()), (3.0, 4.0, 1.0));
    /// assert_eq!((pixels[0].grad(), pixels[1].grad()), (0.0, 0.0));
    /// assert!(pixels[0].is_leaf());
    /// ```
    #[track_caller]
    pub fn constant(value: f64) -> Node {
        Node::leaf(Op::Constant, value, std::panic::Location::caller())
    }

    /// This node with a name, shown in graph pictures, explanations and anomaly reports.
    ///
    /// ```
    /// let x = scalargrad::Node::new(1.0).with_label("x");
    /// assert_eq!(x.label().as_deref(), Some("x"));
    /// ```
    pub fn with_label(self, label: impl Into<String>) -> Node {
        super::inspect::set_label(&self, label.into());
        self
    }

    /// The node's name, if it was given one with `with_label`.
    pub fn label(&self) -> Option<String> {
        super::inspect::label_of(self.index)
    }

    /// Wraps a tape index whose handle count already includes this handle.
    pub(crate) fn from_index(index: Idx) -> Node {
        Node {
            index,
            not_send: PhantomData,
        }
    }

    /// A new handle to the live record `index` (counted, like `clone`).
    pub(crate) fn handle(index: Idx) -> Node {
        with_tape(|tape| tape.handles[index as usize] += 1);
        Node::from_index(index)
    }

    /// The node's place on the tape: the `#n` of explanations and anomaly reports, the same as
    /// [`crate::engine::Anomaly::node_index`] for the node it names. A freed node's place is
    /// used again by a later node.
    pub fn id(&self) -> usize {
        self.index as usize
    }

    /// Drops `nodes` in one tape access, as dropping each in turn would (a batch's outputs, where
    /// a tape access per node was 2% of a training step).
    pub(crate) fn drop_all(nodes: Vec<Node>) {
        with_tape_if_alive(|tape| {
            for node in &nodes {
                tape.release(node.index);
            }
        });
        // released above (or the tape is gone, with nothing left to release)
        nodes.into_iter().for_each(std::mem::forget);
    }

    /// The node's place on the tape.
    pub(crate) fn index(&self) -> Idx {
        self.index
    }

    /// The forward value.
    pub fn value(&self) -> f64 {
        with_tape(|tape| tape.values[self.index as usize])
    }

    /// The accumulated gradient of the last `backward` call(s): d(output)/d(self).
    pub fn grad(&self) -> f64 {
        with_tape(|tape| tape.gradient(self.index))
    }

    /// Replaces the value of a leaf (how an optimizer updates a parameter). Nodes computed from it
    /// keep their old values: build the graph again to use the new one.
    ///
    /// # Panics
    /// If the node is not a leaf: its value is defined by its op, and changing it would make the
    /// gradients of the graph it belongs to wrong.
    pub fn set_value(&self, value: f64) {
        super::set_values(std::slice::from_ref(self), &[value]);
    }

    /// Sets this node's gradient to 0 (and nothing else; see `engine::zero_grad` for a graph).
    pub fn zero_grad(&self) {
        super::zero_gradients(std::slice::from_ref(self));
    }

    /// Adds `amount` to this node's gradient, as `backward` does: how gradients computed
    /// elsewhere (another thread's copy of a model) are combined into this one.
    pub fn add_grad(&self, amount: f64) {
        super::add_grads(std::slice::from_ref(self), &[amount]);
    }

    /// True for a node made by `Node::new` or `Node::constant` rather than by an op.
    pub fn is_leaf(&self) -> bool {
        with_tape(|tape| tape.records.is_leaf(self.index as usize))
    }

    /// The name of the op that made this node (`"leaf"`, `"+"`, `"exp"`, ...).
    pub fn op_name(&self) -> &'static str {
        with_tape(|tape| tape.records.op(self.index).name())
    }

    /// Runs the backward pass from this node; see [`crate::engine::backward`].
    pub fn backward(&self) {
        super::backward(self)
    }

    /// `self ^ n` for a constant `n`.
    #[track_caller]
    pub fn pow(&self, n: f64) -> Node {
        ops::pow(self, n)
    }

    /// `self ^ exponent`, where the exponent is a node and gets a gradient too.
    #[track_caller]
    pub fn pow_node(&self, exponent: &Node) -> Node {
        ops::pow_node(self, exponent)
    }

    /// `e ^ self`.
    #[track_caller]
    pub fn exp(&self) -> Node {
        ops::exp(self)
    }

    /// Natural logarithm (IEEE 754: `-inf` at 0, NaN below).
    #[track_caller]
    pub fn log(&self) -> Node {
        ops::log(self)
    }

    /// `sin self`.
    #[track_caller]
    pub fn sin(&self) -> Node {
        ops::sin(self)
    }

    /// `cos self`.
    #[track_caller]
    pub fn cos(&self) -> Node {
        ops::cos(self)
    }

    /// `tanh self`.
    #[track_caller]
    pub fn tanh(&self) -> Node {
        ops::tanh(self)
    }

    /// `max(self, 0)`.
    #[track_caller]
    pub fn relu(&self) -> Node {
        ops::relu(self)
    }

    /// `1 / (1 + e^-self)`, stable for large |self|.
    #[track_caller]
    pub fn sigmoid(&self) -> Node {
        ops::sigmoid(self)
    }

    /// `|self|`; derivative sign(self), and 0 at 0.
    #[track_caller]
    pub fn abs(&self) -> Node {
        ops::abs(self)
    }
}

impl Clone for Node {
    #[inline]
    fn clone(&self) -> Node {
        Node::handle(self.index)
    }
}

impl Drop for Node {
    #[inline]
    fn drop(&mut self) {
        let index = self.index;
        with_tape_if_alive(|tape| tape.release(index));
    }
}

impl From<f64> for Node {
    fn from(value: f64) -> Node {
        Node::new(value)
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Node(value={}, grad={})", self.value(), self.grad())
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (value, grad, op) = with_tape(|tape| {
            let i = self.index as usize;
            (
                tape.values[i],
                tape.gradient(i as Idx),
                tape.records.op(i as Idx).name(),
            )
        });
        f.debug_struct("Node")
            .field("index", &self.index)
            .field("op", &op)
            .field("value", &value)
            .field("grad", &grad)
            .finish()
    }
}

impl std::iter::Sum for Node {
    /// One n-ary `sum` node of every item.
    fn sum<I: Iterator<Item = Node>>(iter: I) -> Node {
        ops::sum(&iter.collect::<Vec<_>>())
    }
}

impl<'a> std::iter::Sum<&'a Node> for Node {
    /// One n-ary `sum` node of every item.
    fn sum<I: Iterator<Item = &'a Node>>(iter: I) -> Node {
        ops::sum(&iter.cloned().collect::<Vec<_>>())
    }
}

/// Implements a binary operator for every mix of `Node`, `&Node` and `f64`: the op `$op` for
/// two nodes, `$right(node, number, ...)` and `$left(number, node, ...)` when one side is a
/// number. An operand given by value is consumed by the op (`ops::apply_consuming`): its handle is
/// given up where the new node is made, not in a `Drop` of its own.
///
/// Each impl (and the helpers below, `Clone` and `Drop`) is `#[inline]`, so that it can be
/// compiled into the user's crate, in the user's loop: called across crates, every op pays a call
/// and saves and restores registers.
macro_rules! binary_operator {
    (
        $trait:ident, $method:ident, $assign_trait:ident, $assign_method:ident,
        $op:expr, $right:path, $left:path
    ) => {
        impl $trait<&Node> for &Node {
            type Output = Node;
            #[inline]
            #[track_caller]
            fn $method(self, other: &Node) -> Node {
                let (a, b) = (self.index, other.index);
                ops::apply_consuming(|| Op::Binary(a, b, $op), [None, None])
            }
        }
        impl $trait<Node> for &Node {
            type Output = Node;
            #[inline]
            #[track_caller]
            fn $method(self, other: Node) -> Node {
                let (a, b) = (self.index, other.index);
                ops::apply_consuming(|| Op::Binary(a, b, $op), [None, Some(other)])
            }
        }
        impl $trait<&Node> for Node {
            type Output = Node;
            #[inline]
            #[track_caller]
            fn $method(self, other: &Node) -> Node {
                let (a, b) = (self.index, other.index);
                ops::apply_consuming(|| Op::Binary(a, b, $op), [Some(self), None])
            }
        }
        impl $trait<Node> for Node {
            type Output = Node;
            #[inline]
            #[track_caller]
            fn $method(self, other: Node) -> Node {
                let (a, b) = (self.index, other.index);
                ops::apply_consuming(|| Op::Binary(a, b, $op), [Some(self), Some(other)])
            }
        }
        impl $trait<f64> for &Node {
            type Output = Node;
            #[inline]
            #[track_caller]
            fn $method(self, other: f64) -> Node {
                $right(self.index, other, None)
            }
        }
        impl $trait<f64> for Node {
            type Output = Node;
            #[inline]
            #[track_caller]
            fn $method(self, other: f64) -> Node {
                $right(self.index, other, Some(self))
            }
        }
        impl $trait<&Node> for f64 {
            type Output = Node;
            #[inline]
            #[track_caller]
            fn $method(self, other: &Node) -> Node {
                $left(self, other.index, None)
            }
        }
        impl $trait<Node> for f64 {
            type Output = Node;
            #[inline]
            #[track_caller]
            fn $method(self, other: Node) -> Node {
                $left(self, other.index, Some(other))
            }
        }
        impl<T> $assign_trait<T> for Node
        where
            for<'a> &'a Node: $trait<T, Output = Node>,
        {
            #[track_caller]
            fn $assign_method(&mut self, other: T) {
                *self = (&*self).$method(other);
            }
        }
    };
}

// A number beside a node: `x + c`, `c + x`, `x - c`, `x * c` and `c * x` put the constant in the
// op (one node; `c + x` is `x + c` and `x - c` is `x + (-c)` bit for bit in IEEE 754). `c - x`,
// `x / c` and `c / x` lift the number to a leaf, as micrograd does (`x / c` is not `x * (1 / c)`
// bit for bit). Each takes the node's index and, if the operator was given it by value, the node.
binary_operator!(
    Add,
    add,
    AddAssign,
    add_assign,
    BinaryOp::Add,
    plus_constant,
    constant_plus
);
binary_operator!(
    Sub,
    sub,
    SubAssign,
    sub_assign,
    BinaryOp::Sub,
    minus_constant,
    constant_minus
);
binary_operator!(
    Mul,
    mul,
    MulAssign,
    mul_assign,
    BinaryOp::Mul,
    times_constant,
    constant_times
);
binary_operator!(
    Div,
    div,
    DivAssign,
    div_assign,
    BinaryOp::Div,
    over_constant,
    constant_over
);

#[inline]
#[track_caller]
fn plus_constant(x: Idx, c: f64, owned: Option<Node>) -> Node {
    ops::apply_consuming(|| Op::WithConstant(x, c, ConstantOp::Add), [owned, None])
}

#[inline]
#[track_caller]
fn constant_plus(c: f64, x: Idx, owned: Option<Node>) -> Node {
    plus_constant(x, c, owned)
}

#[inline]
#[track_caller]
fn minus_constant(x: Idx, c: f64, owned: Option<Node>) -> Node {
    ops::apply_consuming(|| Op::WithConstant(x, -c, ConstantOp::Add), [owned, None])
}

#[inline]
#[track_caller]
fn constant_minus(c: f64, x: Idx, owned: Option<Node>) -> Node {
    let c = Node::new(c);
    let (a, b) = (c.index, x);
    ops::apply_consuming(|| Op::Binary(a, b, BinaryOp::Sub), [Some(c), owned])
}

#[inline]
#[track_caller]
fn times_constant(x: Idx, c: f64, owned: Option<Node>) -> Node {
    ops::apply_consuming(|| Op::WithConstant(x, c, ConstantOp::Mul), [owned, None])
}

#[inline]
#[track_caller]
fn constant_times(c: f64, x: Idx, owned: Option<Node>) -> Node {
    times_constant(x, c, owned)
}

#[inline]
#[track_caller]
fn over_constant(x: Idx, c: f64, owned: Option<Node>) -> Node {
    let c = Node::new(c);
    let (a, b) = (x, c.index);
    ops::apply_consuming(|| Op::Binary(a, b, BinaryOp::Div), [owned, Some(c)])
}

#[inline]
#[track_caller]
fn constant_over(c: f64, x: Idx, owned: Option<Node>) -> Node {
    let c = Node::new(c);
    let (a, b) = (c.index, x);
    ops::apply_consuming(|| Op::Binary(a, b, BinaryOp::Div), [Some(c), owned])
}

impl Neg for &Node {
    type Output = Node;
    #[track_caller]
    fn neg(self) -> Node {
        ops::neg(self)
    }
}

impl Neg for Node {
    type Output = Node;
    #[track_caller]
    fn neg(self) -> Node {
        ops::neg(&self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tape_length;

    /// `drop_all` leaves the tape as dropping each node in turn does: nodes still used by a live
    /// one stay, and the last handle gone pops everything above the live nodes below.
    #[test]
    fn dropping_all_at_once_pops_as_dropping_one_by_one() {
        let start = tape_length();
        let base = Node::new(1.0);
        let run = |at_once: bool| {
            let nodes: Vec<Node> = (0..5).map(|k| &base * k as f64).collect();
            let extra = nodes[4].clone();
            let top = &nodes[1] + &nodes[3];
            let mut lengths = vec![tape_length()];
            if at_once {
                Node::drop_all(nodes);
            } else {
                drop(nodes);
            }
            // `top` (newest) still holds every node below it
            lengths.push(tape_length());
            drop(top);
            // `extra` keeps nodes[4] and what lies below it
            lengths.push(tape_length());
            drop(extra);
            lengths.push(tape_length());
            lengths
        };
        assert_eq!(run(true), run(false));
        assert_eq!(run(true)[3], start + 1, "back to `base` alone");
        drop(base);
        assert_eq!(tape_length(), start);
    }
}
