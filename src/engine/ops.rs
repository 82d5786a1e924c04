//! Every op the engine knows: its forward value and its local derivatives, side by side.
//!
//! Adding an op is one edit in this file: a variant of [`Op`], a constructor function, and one arm
//! in each `match` below (the compiler lists them, since no match has a catch-all arm). The chain
//! rule itself is not here: it is stated in exactly one place, `backward::chain`, which the backward
//! sweep applies to every derivative reported here.

use super::node::Node;
use std::panic::Location;

use super::tape::{Idx, with_tape};

/// How a node was made: the operation and the indices of its parents on the tape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op {
    /// A value given by the user (an input or a parameter): no parents.
    Leaf,
    /// `a + b`
    Add(Idx, Idx),
    /// `a - b`
    Sub(Idx, Idx),
    /// `a * b`
    Mul(Idx, Idx),
    /// `a + c` for a constant `c` (`x + 3.0`: one node, not a lifted leaf and an addition)
    AddConstant(Idx, f64),
    /// `a * c` for a constant `c`
    MulConstant(Idx, f64),
    /// `a / b`
    Div(Idx, Idx),
    /// `-a`
    Neg(Idx),
    /// `a ^ n` for a constant `n`
    Pow(Idx, f64),
    /// `a ^ b` for a node `b`
    PowNode(Idx, Idx),
    /// `e ^ a`
    Exp(Idx),
    /// natural log of `a`
    Log(Idx),
    /// `sin a`
    Sin(Idx),
    /// `cos a`
    Cos(Idx),
    /// `tanh a`
    Tanh(Idx),
    /// `max(a, 0)`
    Relu(Idx),
    /// `1 / (1 + e^-a)`
    Sigmoid(Idx),
    /// Sum of `len` parents listed at `operands[start..]`.
    Sum { start: Idx, len: Idx },
    /// `bias + sum_k weight_k * input_k`: `operands[start..]` holds `len` weights, then `len`
    /// inputs, then the bias.
    Linear { start: Idx, len: Idx },
    /// A whole neuron, `activation(bias + sum_k weight_k * input_k)`, whose parents lie in two
    /// runs on the tape: weights at `parameters..parameters + len` followed by the bias, inputs at
    /// `inputs..inputs + len`. This is how an `Mlp` is laid out, and it makes the inner loops
    /// run over contiguous memory.
    Dense {
        parameters: Idx,
        inputs: Idx,
        len: Idx,
        activation: Activation,
    },
}

/// The function a neuron applies to its weighted sum.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `max(0, x)`
    Relu,
    /// `tanh x`
    Tanh,
    /// `1 / (1 + e^-x)`
    Sigmoid,
    /// `x` (no activation; the output layer of a classifier)
    Linear,
}

impl Activation {
    /// Applies the activation to a number, exactly as the engine computes a node's value.
    pub fn apply_value(self, x: f64) -> f64 {
        match self {
            Activation::Relu => x.max(0.0),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => sigmoid_value(x),
            Activation::Linear => x,
        }
    }

    /// Applies the activation to a node (one new node, or the node itself for `Linear`).
    #[track_caller]
    pub fn apply(self, x: Node) -> Node {
        match self {
            Activation::Relu => relu(&x),
            Activation::Tanh => tanh(&x),
            Activation::Sigmoid => sigmoid(&x),
            Activation::Linear => x,
        }
    }

    /// d(activation)/d(input), from the activation's output `out`; `None` where it is exactly 0
    /// (a ReLU that is off), so nothing needs to flow back.
    fn slope<S: Scalar>(self, out: &S) -> Option<S> {
        match self {
            // d relu = 1 where the output is > 0 (the input is > 0), else 0
            Activation::Relu => (out.number() > 0.0).then(|| S::constant(1.0)),
            // d tanh = 1 - tanh^2
            Activation::Tanh => {
                Some(S::constant(1.0).plus(&S::constant(-1.0).times(&out.times(out))))
            }
            // d sigmoid = s (1 - s)
            Activation::Sigmoid => {
                Some(out.times(&S::constant(1.0).plus(&S::constant(-1.0).times(out))))
            }
            Activation::Linear => Some(S::constant(1.0)),
        }
    }
}

/// `bias + sum_k product(k)` for k in 0..len, summed in four interleaved lanes so the additions
/// do not wait on each other (4x faster than one running sum for a 16-input neuron). Every
/// weighted sum in the crate goes through here, so `Mlp::predict` matches `forward` bit for bit.
pub(crate) fn weighted_sum(bias: f64, len: usize, product: impl Fn(usize) -> f64) -> f64 {
    let mut lanes = [0.0; 4];
    let full = len / 4 * 4;
    for k in (0..full).step_by(4) {
        for (lane, total) in lanes.iter_mut().enumerate() {
            *total += product(k + lane);
        }
    }
    // bias first, then the lanes, then the remainder in order: with fewer than 4 terms this is
    // exactly micrograd's `sum((w * x for ...), bias)`. Lanes 0 and 2 are added first (not 0
    // and 1) so that in `dot` the pairs (0, 1) and (2, 3) stay in two vector registers: the
    // other order made the compiler shuffle lanes on every step (35 instructions per 8 products
    // instead of 20).
    let mut total = bias + ((lanes[0] + lanes[2]) + (lanes[1] + lanes[3]));
    for k in full..len {
        total += product(k);
    }
    total
}

/// `weighted_sum` of two slices, in the same order (so with the same result, bit for bit), in a
/// form the compiler turns into vector instructions.
#[inline(always)] // see `dense_value`
pub(crate) fn dot(bias: f64, weights: &[f64], inputs: &[f64]) -> f64 {
    if weights.len() < 4 {
        // no full lane: bias, then the products in order (as below, without the setup)
        return weights
            .iter()
            .zip(inputs)
            .fold(bias + 0.0, |total, (w, x)| total + w * x);
    }
    let mut lanes = [0.0; 4];
    let weight_chunks = weights.chunks_exact(4);
    let input_chunks = inputs.chunks_exact(4);
    let (weight_rest, input_rest) = (weight_chunks.remainder(), input_chunks.remainder());
    for (w, x) in weight_chunks.zip(input_chunks) {
        for lane in 0..4 {
            lanes[lane] += w[lane] * x[lane];
        }
    }
    // the order of `weighted_sum` (see there why lanes 0 and 2 go first)
    let mut total = bias + ((lanes[0] + lanes[2]) + (lanes[1] + lanes[3]));
    for (w, x) in weight_rest.iter().zip(input_rest) {
        total += w * x;
    }
    total
}

/// A neuron's value: `activation(bias + weights . inputs)`.
// Inlined into the forward pass's loop over neurons: out of line, the call and the lost
// knowledge of the layer's width cost a fifth of W's forward pass (measured).
#[inline(always)]
fn dense_value(activation: Activation, bias: f64, weights: &[f64], inputs: &[f64]) -> f64 {
    activation.apply_value(dot(bias, weights, inputs))
}

/// A local derivative, as an op reports it to the backward sweep (which applies the chain rule).
pub(crate) enum Derivative<S> {
    /// d(out)/d(parent) = `local`, as `Edge(parent, local)`.
    Edge(Idx, S),
    /// d(out)/d(first + k) = x(source + k) * `factor` for k in 0..len: a run of consecutive
    /// parents whose derivatives are consecutive values times one factor (a `Dense` node's
    /// weights, and its inputs), which the sweep can treat as slices (vector instructions).
    Run {
        first: Idx,
        source: Idx,
        len: Idx,
        factor: S,
    },
}

/// What a local derivative can be computed in: `f64` for `backward`, `Node` for `grad`, whose
/// derivatives are themselves part of a graph and can be differentiated again.
pub(crate) trait Scalar: Clone {
    /// A constant.
    fn constant(value: f64) -> Self;
    /// The plain number.
    fn number(&self) -> f64;
    /// `self + other`
    fn plus(&self, other: &Self) -> Self;
    /// `self * other`
    fn times(&self, other: &Self) -> Self;
    /// `self / other`
    fn over(&self, other: &Self) -> Self;
    /// `self ^ n`
    fn power(&self, n: f64) -> Self;
    /// `self ^ other`
    fn power_of(&self, other: &Self) -> Self;
    /// `ln self`
    fn ln(&self) -> Self;
    /// `sin self`
    fn sine(&self) -> Self;
    /// `cos self`
    fn cosine(&self) -> Self;
}

impl Scalar for f64 {
    fn constant(value: f64) -> f64 {
        value
    }
    fn number(&self) -> f64 {
        *self
    }
    fn plus(&self, other: &f64) -> f64 {
        self + other
    }
    fn times(&self, other: &f64) -> f64 {
        self * other
    }
    fn over(&self, other: &f64) -> f64 {
        self / other
    }
    fn power(&self, n: f64) -> f64 {
        self.powf(n)
    }
    fn power_of(&self, other: &f64) -> f64 {
        self.powf(*other)
    }
    fn ln(&self) -> f64 {
        f64::ln(*self)
    }
    fn sine(&self) -> f64 {
        self.sin()
    }
    fn cosine(&self) -> f64 {
        self.cos()
    }
}

impl Scalar for Node {
    fn constant(value: f64) -> Node {
        Node::new(value)
    }
    fn number(&self) -> f64 {
        self.value()
    }
    fn plus(&self, other: &Node) -> Node {
        add(self, other)
    }
    fn times(&self, other: &Node) -> Node {
        mul(self, other)
    }
    fn over(&self, other: &Node) -> Node {
        div(self, other)
    }
    fn power(&self, n: f64) -> Node {
        pow(self, n)
    }
    fn power_of(&self, other: &Node) -> Node {
        pow_node(self, other)
    }
    fn ln(&self) -> Node {
        log(self)
    }
    fn sine(&self) -> Node {
        sin(self)
    }
    fn cosine(&self) -> Node {
        cos(self)
    }
}

/// Numerically stable logistic function: never computes `e^x` for a large positive `x`.
pub(crate) fn sigmoid_value(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

impl Op {
    /// The forward value, from the values of the nodes on the tape.
    // Inlined so that each constructor (`add`, `exp`, ...), which passes a known variant,
    // compiles to its own arm instead of a jump through the whole match (measured: 11% of a chain).
    #[inline(always)]
    pub(crate) fn value(&self, values: &[f64], operands: &[Idx]) -> f64 {
        let x = |i: Idx| values[i as usize];
        match *self {
            Op::Leaf => f64::NAN, // leaves are given their value; never computed
            Op::Add(a, b) => x(a) + x(b),
            Op::Sub(a, b) => x(a) - x(b),
            Op::Mul(a, b) => x(a) * x(b),
            Op::AddConstant(a, c) => x(a) + c,
            Op::MulConstant(a, c) => x(a) * c,
            Op::Div(a, b) => x(a) / x(b),
            Op::Neg(a) => -x(a),
            Op::Pow(a, n) => x(a).powf(n),
            Op::PowNode(a, b) => x(a).powf(x(b)),
            Op::Exp(a) => x(a).exp(),
            Op::Log(a) => x(a).ln(),
            Op::Sin(a) => x(a).sin(),
            Op::Cos(a) => x(a).cos(),
            Op::Tanh(a) => x(a).tanh(),
            Op::Relu(a) => x(a).max(0.0),
            Op::Sigmoid(a) => sigmoid_value(x(a)),
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
            } => {
                let (p, i, n) = (parameters as usize, inputs as usize, len as usize);
                dense_value(
                    activation,
                    values[p + n],
                    &values[p..p + n],
                    &values[i..i + n],
                )
            }
        }
    }

    /// Calls `each` with d(out)/d(parent) for every parent, given the parents' values `x(i)` and
    /// this node's value `out`. A parent used twice (`x * x`) is reported twice.
    // Inlined into the backward sweep, so `each` (the chain rule) is compiled into every arm
    // instead of being called through a closure per edge.
    #[inline(always)]
    pub(crate) fn local_derivatives<S: Scalar>(
        &self,
        x: impl Fn(Idx) -> S,
        out: &S,
        operands: &[Idx],
        mut each: impl FnMut(Derivative<S>),
    ) {
        use Derivative::{Edge, Run};
        let one = || S::constant(1.0);
        match *self {
            Op::Leaf => {}
            // d(a+b)/da = 1, d(a+b)/db = 1
            Op::Add(a, b) => {
                each(Edge(a, one()));
                each(Edge(b, one()));
            }
            // d(a-b)/da = 1, d(a-b)/db = -1
            Op::Sub(a, b) => {
                each(Edge(a, one()));
                each(Edge(b, S::constant(-1.0)));
            }
            // d(ab)/da = b, d(ab)/db = a
            Op::Mul(a, b) => {
                each(Edge(a, x(b)));
                each(Edge(b, x(a)));
            }
            // d(a+c)/da = 1
            Op::AddConstant(a, _) => each(Edge(a, one())),
            // d(ac)/da = c
            Op::MulConstant(a, c) => each(Edge(a, S::constant(c))),
            // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -out/b
            Op::Div(a, b) => {
                each(Edge(a, one().over(&x(b))));
                each(Edge(b, S::constant(-1.0).times(out).over(&x(b))));
            }
            // d(-a)/da = -1
            Op::Neg(a) => each(Edge(a, S::constant(-1.0))),
            // d(a^n)/da = n a^(n-1); for n = 0 the function is constant, so 0 (not 0 * 0^-1 = NaN)
            Op::Pow(a, n) => {
                let local = if n == 0.0 {
                    S::constant(0.0)
                } else {
                    S::constant(n).times(&x(a).power(n - 1.0))
                };
                each(Edge(a, local));
            }
            // d(a^b)/da = b a^(b-1), d(a^b)/db = a^b ln a; at a = 0 with b >= 0 the second is 0
            // (the limit), not 0 * -inf = NaN.
            Op::PowNode(a, b) => {
                let (base, exponent) = (x(a), x(b));
                let d_base = if exponent.number() == 0.0 {
                    S::constant(0.0)
                } else {
                    exponent.times(&base.power_of(&exponent.plus(&S::constant(-1.0))))
                };
                let d_exponent = if base.number() == 0.0 && exponent.number() >= 0.0 {
                    S::constant(0.0)
                } else {
                    out.times(&base.ln())
                };
                each(Edge(a, d_base));
                each(Edge(b, d_exponent));
            }
            // d(e^a)/da = e^a, which is the output itself
            Op::Exp(a) => each(Edge(a, out.clone())),
            // d(ln a)/da = 1/a
            Op::Log(a) => each(Edge(a, one().over(&x(a)))),
            // d(sin a)/da = cos a
            Op::Sin(a) => each(Edge(a, x(a).cosine())),
            // d(cos a)/da = -sin a
            Op::Cos(a) => each(Edge(a, S::constant(-1.0).times(&x(a).sine()))),
            // d(tanh a)/da = 1 - tanh^2 a, from the output
            Op::Tanh(a) => each(Edge(
                a,
                one().plus(&S::constant(-1.0).times(&out.times(out))),
            )),
            // d(relu a)/da = 1 where a > 0, else 0 (0 at the kink, as PyTorch): nothing to pass on
            Op::Relu(a) => {
                if let Some(slope) = Activation::Relu.slope(out) {
                    each(Edge(a, slope));
                }
            }
            // d(sigmoid a)/da = s (1 - s), from the output s
            Op::Sigmoid(a) => each(Edge(
                a,
                out.times(&one().plus(&S::constant(-1.0).times(out))),
            )),
            // d(sum)/d(each term) = 1
            Op::Sum { start, len } => {
                for &p in operands_of(operands, start, len) {
                    each(Edge(p, one()));
                }
            }
            // d/d(weight_k) = input_k, d/d(input_k) = weight_k, d/d(bias) = 1
            Op::Linear { start, len } => {
                let (weights, inputs, bias) = linear_parts(operands, start, len);
                for (&w, &i) in weights.iter().zip(inputs) {
                    each(Edge(w, x(i)));
                    each(Edge(i, x(w)));
                }
                each(Edge(bias, one()));
            }
            // d/d(weight_k) = input_k * a', d/d(input_k) = weight_k * a', d/d(bias) = a', where a'
            // is the activation's slope (none at all for a ReLU that is off)
            Op::Dense {
                parameters,
                inputs,
                len,
                activation,
            } => {
                if let Some(slope) = activation.slope(out) {
                    each(Run {
                        first: parameters,
                        source: inputs,
                        len,
                        factor: slope.clone(),
                    });
                    each(Run {
                        first: inputs,
                        source: parameters,
                        len,
                        factor: slope.clone(),
                    });
                    each(Edge(parameters + len, slope));
                }
            }
        }
    }

    /// Calls `each(parent)` for every parent (in the order `local_derivatives` reports them).
    pub(crate) fn for_each_parent(&self, operands: &[Idx], mut each: impl FnMut(Idx)) {
        match *self {
            Op::Leaf => {}
            Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::Div(a, b) | Op::PowNode(a, b) => {
                each(a);
                each(b);
            }
            Op::Neg(a)
            | Op::AddConstant(a, _)
            | Op::MulConstant(a, _)
            | Op::Pow(a, _)
            | Op::Exp(a)
            | Op::Log(a)
            | Op::Sin(a)
            | Op::Cos(a)
            | Op::Tanh(a)
            | Op::Relu(a)
            | Op::Sigmoid(a) => each(a),
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
        }
    }

    /// The name with a constant operand if there is one (`+ 1`, `* -0.5`), for graph pictures.
    pub(crate) fn label(&self) -> String {
        match *self {
            Op::AddConstant(_, c) => format!("+ {c}"),
            Op::MulConstant(_, c) => format!("* {c}"),
            _ => self.name().to_string(),
        }
    }

    /// A short name for printing (`+`, `*`, `exp`, ...).
    pub(crate) fn name(&self) -> &'static str {
        match *self {
            Op::Leaf => "leaf",
            Op::Add(..) => "+",
            Op::Sub(..) => "-",
            Op::Mul(..) => "*",
            Op::AddConstant(..) => "+",
            Op::MulConstant(..) => "*",
            Op::Div(..) => "/",
            Op::Neg(_) => "neg",
            Op::Pow(..) => "pow",
            Op::PowNode(..) => "pow",
            Op::Exp(_) => "exp",
            Op::Log(_) => "log",
            Op::Sin(_) => "sin",
            Op::Cos(_) => "cos",
            Op::Tanh(_) => "tanh",
            Op::Relu(_) => "relu",
            Op::Sigmoid(_) => "sigmoid",
            Op::Sum { .. } => "sum",
            Op::Linear { .. } => "linear",
            Op::Dense { activation, .. } => match activation {
                Activation::Relu => "relu(linear)",
                Activation::Tanh => "tanh(linear)",
                Activation::Sigmoid => "sigmoid(linear)",
                Activation::Linear => "linear",
            },
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
/// compile time (an `Op` passed by value was one shared copy with a jump per node: 7% of a chain).
#[inline(always)]
#[track_caller] // anomaly reports name the line of user code that made the node
fn apply(make: impl FnOnce() -> Op) -> Node {
    let location = Location::caller();
    Node::from_index(with_tape(|tape| {
        let op = make();
        let value = op.value(&tape.values, &tape.operands);
        let index = tape.push(op, value);
        tape.inspection
            .created(index, location, &op, &tape.values, &tape.operands);
        index
    }))
}

/// Records an op whose parents are the list `parents`, as made by `make(start, len)`.
#[track_caller]
fn apply_with_operands(parents: impl Iterator<Item = Idx>, make: impl Fn(Idx, Idx) -> Op) -> Node {
    let location = Location::caller();
    Node::from_index(with_tape(|tape| {
        let too_many = |_| panic!("scalargrad: more than {} operands on one thread", Idx::MAX);
        let start = Idx::try_from(tape.operands.len()).unwrap_or_else(too_many);
        tape.operands.extend(parents);
        let len = Idx::try_from(tape.operands.len()).unwrap_or_else(too_many) - start;
        let op = make(start, len);
        let value = op.value(&tape.values, &tape.operands);
        let index = tape.push(op, value);
        tape.operand_starts.push((index, start));
        tape.inspection
            .created(index, location, &op, &tape.values, &tape.operands);
        index
    }))
}

/// `a + b`: one new node.
///
/// ```
/// use scalargrad::{Node, engine::add};
/// assert_eq!(add(&Node::new(2.0), &Node::new(3.0)).value(), 5.0);
/// ```
#[track_caller]
pub fn add(a: &Node, b: &Node) -> Node {
    apply(|| Op::Add(a.index(), b.index()))
}

/// `a - b`: one new node (not `a + (-b)`, which would take two).
#[track_caller]
pub fn sub(a: &Node, b: &Node) -> Node {
    apply(|| Op::Sub(a.index(), b.index()))
}

/// `a * b`: one new node.
#[track_caller]
pub fn mul(a: &Node, b: &Node) -> Node {
    apply(|| Op::Mul(a.index(), b.index()))
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
    apply(|| Op::AddConstant(a.index(), c))
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
    apply(|| Op::MulConstant(a.index(), c))
}

/// `a / b`: one new node. Division by zero follows IEEE 754 (`±inf` or NaN).
#[track_caller]
pub fn div(a: &Node, b: &Node) -> Node {
    apply(|| Op::Div(a.index(), b.index()))
}

/// `-a`: one new node.
#[track_caller]
pub fn neg(a: &Node) -> Node {
    apply(|| Op::Neg(a.index()))
}

/// `a ^ n` for a constant exponent. Follows IEEE 754: `0.0 ^ -1.0` is `inf`, a negative base
/// with a fractional exponent is NaN. The derivative of `a ^ 0` is 0 everywhere.
#[track_caller]
pub fn pow(a: &Node, n: f64) -> Node {
    apply(|| Op::Pow(a.index(), n))
}

/// `a ^ b` where the exponent is a node too, so it gets a gradient (`a^b ln a`).
#[track_caller]
pub fn pow_node(a: &Node, b: &Node) -> Node {
    apply(|| Op::PowNode(a.index(), b.index()))
}

/// `e ^ a`.
#[track_caller]
pub fn exp(a: &Node) -> Node {
    apply(|| Op::Exp(a.index()))
}

/// Natural logarithm. Follows IEEE 754: `log(0)` is `-inf`, the log of a negative number is NaN
/// (and so is its gradient's use downstream).
#[track_caller]
pub fn log(a: &Node) -> Node {
    apply(|| Op::Log(a.index()))
}

/// `sin a`.
#[track_caller]
pub fn sin(a: &Node) -> Node {
    apply(|| Op::Sin(a.index()))
}

/// `cos a`.
#[track_caller]
pub fn cos(a: &Node) -> Node {
    apply(|| Op::Cos(a.index()))
}

/// `tanh a`; finite for every finite input (no overflow at |a| = 1000).
#[track_caller]
pub fn tanh(a: &Node) -> Node {
    apply(|| Op::Tanh(a.index()))
}

/// `max(a, 0)`; its derivative at exactly 0 is 0.
#[track_caller]
pub fn relu(a: &Node) -> Node {
    apply(|| Op::Relu(a.index()))
}

/// `1 / (1 + e^-a)`, computed without overflow for large |a|.
#[track_caller]
pub fn sigmoid(a: &Node) -> Node {
    apply(|| Op::Sigmoid(a.index()))
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

/// A neuron, `activation(bias + sum_k weights[k] * inputs[k])`, as one node when the weights and
/// bias are consecutive nodes and so are the inputs (as in an `Mlp`, whose layers make one node
/// per neuron), else as `linear` followed by the activation.
///
/// # Panics
/// If `weights` and `inputs` differ in length.
///
/// ```
/// use scalargrad::{Node, engine::{Activation, neuron}};
/// let weights = [Node::new(2.0), Node::new(-1.0)];
/// let bias = Node::new(0.5);
/// let inputs = [Node::new(3.0), Node::new(4.0)];
/// let out = neuron(&weights, &inputs, &bias, Activation::Relu);
/// out.backward();
/// assert_eq!(out.value(), 2.5);
/// assert_eq!((weights[0].grad(), inputs[1].grad(), bias.grad()), (3.0, -1.0, 1.0));
/// ```
#[track_caller]
pub fn neuron(weights: &[Node], inputs: &[Node], bias: &Node, activation: Activation) -> Node {
    assert_eq!(
        weights.len(),
        inputs.len(),
        "scalargrad::engine::neuron: {} weights but {} inputs",
        weights.len(),
        inputs.len()
    );
    let first_parameter = weights.first().unwrap_or(bias);
    let parameters_consecutive = are_consecutive(weights)
        && first_parameter.index().checked_add(weights.len() as Idx) == Some(bias.index());
    match inputs.first() {
        Some(first_input) if parameters_consecutive && are_consecutive(inputs) => {
            dense(first_parameter, first_input, weights.len(), activation)
        }
        _ => activation.apply(linear(weights, inputs, bias)),
    }
}

/// True if `nodes` are consecutive nodes on the tape (each made right after the one before).
pub(crate) fn are_consecutive(nodes: &[Node]) -> bool {
    let first = nodes.first().map_or(0, Node::index);
    nodes.iter().zip(first..).all(|(node, i)| node.index() == i)
}

/// The `Dense` node of a neuron whose `len` weights and then its bias are the consecutive nodes
/// from `first_parameter`, and whose inputs are the `len` consecutive nodes from `first_input`.
/// The caller guarantees those runs (all live: handles to them are held).
#[track_caller]
pub(crate) fn dense(
    first_parameter: &Node,
    first_input: &Node,
    len: usize,
    activation: Activation,
) -> Node {
    let len = Idx::try_from(len)
        .unwrap_or_else(|_| panic!("scalargrad: a neuron with more than {} inputs", Idx::MAX));
    apply(|| Op::Dense {
        parameters: first_parameter.index(),
        inputs: first_input.index(),
        len,
        activation,
    })
}

/// One layer for [`dense_layers`]: `count` neurons with `len` inputs each, whose weights and bias
/// are consecutive nodes, neuron after neuron, from node `first_parameter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DenseLayer {
    pub(crate) first_parameter: Idx,
    /// An `Idx`, as in `Op::Dense`: whoever makes the layer checks that it fits.
    pub(crate) len: Idx,
    pub(crate) count: usize,
    pub(crate) activation: Activation,
}

/// Records a stack of layers in one tape access: the first reads the consecutive nodes from
/// `first_input`, each next one the layer before. Returns handles to the last layer's nodes.
///
/// The layers in between get no handles at all: they are older than the last layer, so the tape
/// keeps them while it lives, and nothing has to count or drop them (for an MLP that is most of
/// the nodes of a forward pass). The caller guarantees the parameter runs (it holds handles to
/// them: an `Mlp` does).
///
/// The records and values are the same as pushing the neurons one by one with `Op::value`, made
/// as whole slices: one capacity check per array for the whole stack instead of one per node.
///
/// # Panics
/// If more than `u32::MAX` nodes would be alive on this thread.
#[track_caller]
pub(crate) fn dense_layers(first_input: &Node, layers: &[DenseLayer]) -> Vec<Node> {
    let location = Location::caller();
    let outputs = layers.last().map_or(0, |layer| layer.count);
    let first_output = with_tape(|tape| {
        let first = tape.len();
        let end = first + layers.iter().map(|layer| layer.count).sum::<usize>();
        let too_many = || {
            panic!(
                "scalargrad: more than {} nodes alive on one thread",
                Idx::MAX
            )
        };
        if end > Idx::MAX as usize {
            too_many();
        }
        // every layer reads nodes below its own, so its values can be written beside them
        tape.values.resize(end, 0.0);
        tape.grads.resize(end, 0.0);
        let (mut input, mut output) = (first_input.index() as usize, first);
        for (l, layer) in layers.iter().enumerate() {
            let len = layer.len as usize;
            let (below, above) = tape.values.split_at_mut(output);
            let inputs = &below[input..input + len];
            let width = len + 1;
            let first_parameter = layer.first_parameter as usize;
            let neurons =
                below[first_parameter..first_parameter + layer.count * width].chunks_exact(width);
            for (value, neuron) in above[..layer.count].iter_mut().zip(neurons) {
                let (weights, bias) = neuron.split_at(len);
                *value = dense_value(layer.activation, bias[0], weights, inputs);
            }
            let handles = if l + 1 < layers.len() { 0 } else { 1 };
            tape.handles.resize(output + layer.count, handles);
            tape.ops.extend((0..layer.count).map(|k| Op::Dense {
                parameters: (first_parameter + k * width) as Idx,
                inputs: input as Idx,
                len: layer.len,
                activation: layer.activation,
            }));
            (input, output) = (output, output + layer.count);
        }
        if tape.inspection.detecting() {
            for index in first as Idx..end as Idx {
                let op = tape.ops[index as usize];
                tape.inspection
                    .created(index, location, &op, &tape.values, &tape.operands);
            }
        }
        input as Idx
    });
    // each of the last layer's records was pushed with its one handle, owned from here on
    (first_output..)
        .take(outputs)
        .map(Node::from_index)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_and_weighted_sum_agree_bit_for_bit() {
        for len in 0..19 {
            let weights: Vec<f64> = (0..len).map(|k| (k as f64 * 0.731).sin() * 3.1).collect();
            let inputs: Vec<f64> = (0..len).map(|k| (k as f64 * 1.37).cos() / 7.0).collect();
            let gathered = weighted_sum(0.3, len, |k| weights[k] * inputs[k]);
            assert_eq!(
                dot(0.3, &weights, &inputs).to_bits(),
                gathered.to_bits(),
                "len {len}"
            );
        }
    }
}
