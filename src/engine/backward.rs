//! The backward pass: the chain rule applied in reverse topological order.
//!
//! The tape is already in topological order (parents before children), so "reverse topological
//! order" is simply a loop from the output's index down to 0. There is no recursion and no graph
//! search, so a chain of millions of nodes cannot overflow the stack.

use super::dense::Activation;
use super::inspect::{Edge, Inspection};
use super::layer_gradients::{add_chained, layer_gradients};
use super::node::Node;
use super::ops::{Derivative, Op};
use super::record::{Records, trailing};
use super::scalar::Scalar;
use super::tape::{Idx, with_tape};

/// The chain rule, and the only place it is stated:
/// d(out)/d(parent) += d(node)/d(parent) * d(out)/d(node), where this returns the product.
///
/// Both sweeps (`backward` in numbers, `derivatives` in nodes) add this for every edge, except
/// that an upstream gradient of exactly 0 contributes nothing: not `0 * inf = NaN` where the
/// local derivative is infinite (`log` at 0 behind a ReLU that is off). `backward` skips such a
/// node whole (`NumberAdjoints::upstream`); `derivatives` skips only the edges whose local
/// derivative is not finite (`NodeAdjoints::edge`), since a zero-valued derivative node can still
/// have a derivative of its own (a second derivative at a minimum). The values are the same.
pub(super) fn chain<S: Scalar>(local: &S, upstream: &S) -> S {
    local.times(upstream)
}

/// Where the sweep keeps d(out)/d(node) for every node it reaches.
trait Adjoints<S: Scalar> {
    /// d(out)/d(node `index`), or `None` if `index` is not reachable from the output.
    fn upstream(&self, index: Idx) -> Option<S>;
    /// True if `upstream(index)` is not `None`.
    fn reaches(&self, index: Idx) -> bool {
        self.upstream(index).is_some()
    }
    /// How many nodes directly below `end` the output does not reach, at least 1: the caller's
    /// contract is that node `end - 1` is one of them. Counting one is always right; counting
    /// more lets the sweep pass a whole graph the output does not reach in one go.
    fn unreached_below(&self, end: usize) -> usize {
        debug_assert!(!self.reaches((end - 1) as Idx));
        1
    }
    /// Adds `contribution` to d(out)/d(node `parent`).
    fn accumulate(&mut self, parent: Idx, contribution: S);

    /// Passes d(out)/d(node `consumer`) = `upstream` on to one `parent` whose local derivative
    /// is `local`.
    fn edge(&mut self, consumer: Idx, parent: Idx, local: S, upstream: &S) {
        let contribution = chain(&local, upstream);
        self.observe(consumer, parent, &local, upstream, &contribution);
        self.accumulate(parent, contribution);
    }

    /// The same for the parents `first + k`, k in 0..len, whose local derivatives are
    /// `x(source + k)` and whose upstream is `inner`, the gradient of the sum they feed (see
    /// `Derivative::Run`).
    fn run(&mut self, consumer: Idx, run: (Idx, Idx, Idx), inner: &S, x: &impl Fn(Idx) -> S) {
        edge_by_edge(self, consumer, run, inner, x);
    }

    /// The neurons `index - below..=index` of one layer, newest first, and then the layer on
    /// the `rows.0` examples of `rows.1` neurons each directly below (see
    /// `Records::rows_below`), example after example: `neurons` for each, which this is by
    /// default. `constant_inputs` says the inputs of all those examples are constants, whose
    /// gradients read as 0 whatever is added to them: a sweep may skip those edges.
    #[inline(always)] // once per activation, where the activation is a constant
    fn layer(
        &mut self,
        layer: (Idx, Idx, Idx, Idx, Idx),
        rows: (Idx, Idx),
        activation: Activation,
        _constant_inputs: bool,
        records: &Records,
        x: &impl Fn(Idx) -> S,
    ) where
        Self: Sized,
    {
        examples_neuron_by_neuron(layer, rows, activation, records, x, self);
    }

    /// Sees each edge as it is applied (for explanations and anomaly detection).
    fn observe(
        &mut self,
        _consumer: Idx,
        _parent: Idx,
        _local: &S,
        _upstream: &S,
        _contribution: &S,
    ) {
    }
}

/// Visits every node from `from` down to 0 and passes each reachable node's gradient on to its
/// parents. `x(i)` gives node `i`'s value in `S`.
fn reverse_sweep<S: Scalar>(
    records: &Records,
    from: Idx,
    x: impl Fn(Idx) -> S,
    adjoints: &mut impl Adjoints<S>,
) {
    // nodes below `end` are still to visit
    let mut end = from as usize + 1;
    while end > 0 {
        let index = (end - 1) as Idx;
        // the gradient first: in a network most nodes an example's loss does not reach are
        // skipped on it alone, without reading their op
        if !adjoints.reaches(index) {
            end -= adjoints.unreached_below(end);
            continue;
        }
        // how many nodes this visit covers
        let visited = records.with_op(
            index,
            #[inline(always)]
            |op| match op {
                // A layer's neurons one after another, as the node-by-node order would, but in one
                // loop of one op kind: per neuron the sweep then reads no op and dispatches nothing
                // (the layout is `Op::Dense`'s contract on `below`).
                Op::Dense {
                    parameters,
                    inputs,
                    len,
                    activation,
                    below,
                } => {
                    let layer = (index, parameters, inputs, len, below);
                    // the same layer on the examples of a batch recorded with it, directly below
                    let rows = records.rows_below(index);
                    // data rows take no gradient: the first layer's inputs are then constants
                    // (one test per visit, not per neuron)
                    let lowest_inputs = inputs - rows.0 * len;
                    let constant = records.are_constants(lowest_inputs, (rows.0 + 1) * len);
                    // one loop per activation, each with its slope known (the compiler does not
                    // split the loop by itself)
                    let (on, x) = (records, &x);
                    match activation {
                        Activation::Relu => {
                            adjoints.layer(layer, rows, Activation::Relu, constant, on, x)
                        }
                        Activation::Tanh => {
                            adjoints.layer(layer, rows, Activation::Tanh, constant, on, x)
                        }
                        Activation::Sigmoid => {
                            adjoints.layer(layer, rows, Activation::Sigmoid, constant, on, x)
                        }
                        Activation::Linear => {
                            adjoints.layer(layer, rows, Activation::Linear, constant, on, x)
                        }
                    }
                    below as usize + 1 + rows.0 as usize * rows.1 as usize
                }
                // leaves have no parents to pass a gradient on to: the leaves directly below
                // (a network's parameters, an example's inputs) are passed in one go, without a
                // visit each
                Op::Leaf | Op::Constant => records.leaves_below(end),
                op => {
                    visit(&op, index, records, &x, adjoints);
                    1
                }
            },
        );
        end -= visited;
    }
}

/// Visits the neurons `index - below..=index` of one layer, newest first (see `Op::Dense`'s
/// `below`): the `Dense` node at `index` reads `inputs..inputs + len` with its parameters from
/// `parameters`, and each neuron below it has its parameters `len + 1` lower.
#[inline(always)] // once per activation, where the activation is a constant
fn neurons<S: Scalar>(
    (index, parameters, inputs, len, below): (Idx, Idx, Idx, Idx, Idx),
    activation: Activation,
    records: &Records,
    x: &impl Fn(Idx) -> S,
    adjoints: &mut impl Adjoints<S>,
) {
    for k in 0..=below {
        let neuron = Op::Dense {
            parameters: parameters - k * (len + 1),
            inputs,
            len,
            activation,
            below: 0,
        };
        visit(&neuron, index - k, records, x, adjoints);
    }
}

/// `Adjoints::layer` by `neurons`: the neurons of the newest example's layer (`layer`, as
/// `neurons` takes it), then the same layer on each of the `rows.0` examples of `rows.1`
/// neurons below it, newest first.
#[inline(always)] // once per activation, where the activation is a constant
fn examples_neuron_by_neuron<S: Scalar>(
    layer: (Idx, Idx, Idx, Idx, Idx),
    (rows_below, count): (Idx, Idx),
    activation: Activation,
    records: &Records,
    x: &impl Fn(Idx) -> S,
    adjoints: &mut impl Adjoints<S>,
) {
    neurons(layer, activation, records, x, adjoints);
    let (index, parameters, inputs, len, below) = layer;
    // the parameters of a whole example's newest neuron
    let newest_parameters = parameters - below * (len + 1) + count.saturating_sub(1) * (len + 1);
    for j in 1..=rows_below {
        // the newest neuron of the j-th example below, and its inputs
        let newest = index - below - (j - 1) * count - 1;
        let example = (newest, newest_parameters, inputs - j * len, len, count - 1);
        neurons(example, activation, records, x, adjoints);
    }
}

/// Passes node `index`'s gradient (if it has one) on to its parents, as `op` says. Leaves never
/// get here: the sweep passes them without a visit (`Records::leaves_below`).
#[inline(always)] // the sweep's body, once for a layer's neurons and once for every other op
fn visit<S: Scalar>(
    op: &Op,
    index: Idx,
    records: &Records,
    x: &impl Fn(Idx) -> S,
    adjoints: &mut impl Adjoints<S>,
) {
    let Some(upstream) = adjoints.upstream(index) else {
        return;
    };
    // The callback is inlined at each place an op reports a derivative, where its kind is
    // known: out of line, every edge would pay a call.
    op.local_derivatives(
        x,
        &x(index),
        records,
        #[inline(always)]
        |derivative| match derivative {
            Derivative::Edge(parent, local) => adjoints.edge(index, parent, local, &upstream),
            Derivative::Run {
                first,
                source,
                len,
                through,
            } => {
                // the gradient of the inner sum, which its parents then share
                let inner = chain(&through, &upstream);
                adjoints.run(index, (first, source, len), &inner, x);
            }
        },
    );
}

/// `Adjoints::run` as one `edge` per parent.
fn edge_by_edge<S: Scalar>(
    adjoints: &mut (impl Adjoints<S> + ?Sized),
    consumer: Idx,
    (first, source, len): (Idx, Idx, Idx),
    inner: &S,
    x: &impl Fn(Idx) -> S,
) {
    for k in 0..len {
        adjoints.edge(consumer, first + k, x(source + k), inner);
    }
}

/// Gradients as numbers, written straight into the tape's `grads`.
struct NumberAdjoints<'a> {
    grads: &'a mut [f64],
    values: &'a [f64],
}

impl Adjoints<f64> for NumberAdjoints<'_> {
    fn upstream(&self, index: Idx) -> Option<f64> {
        // A node with gradient exactly 0 has nothing to pass on: its parents get 0 from it, and
        // skipping it keeps an infinite local derivative (log 0) behind a zero gradient (a ReLU
        // that is off) from turning into NaN.
        let gradient = self.grads[index as usize];
        (gradient != 0.0).then_some(gradient)
    }

    fn accumulate(&mut self, parent: Idx, contribution: f64) {
        self.grads[parent as usize] += contribution;
    }

    /// The zero gradients below `end`, four at a time: in a batch, every node of an example
    /// whose loss is flat there (a hinge whose margin is met) has gradient 0, and one at a time
    /// each costs a test and a branch of the sweep. Out of line: it runs once per such run, and
    /// keeps its scan out of the sweep's loop.
    #[inline(never)]
    fn unreached_below(&self, end: usize) -> usize {
        // as `upstream`: -0.0 too, not NaN
        trailing(&self.grads[..end], |gradient| *gradient == 0.0)
    }

    /// The same arithmetic as `neurons` in the same order, over slices cut once per visit (a
    /// layer on a whole batch): per neuron, no slices to cut and check and no op to build.
    #[inline(always)]
    fn layer(
        &mut self,
        layer: (Idx, Idx, Idx, Idx, Idx),
        rows: (Idx, Idx),
        activation: Activation,
        constant_inputs: bool,
        records: &Records,
        x: &impl Fn(Idx) -> f64,
    ) {
        let (index, parameters, inputs, len, below) = layer;
        let (rows_below, count) = (rows.0 as usize, rows.1 as usize);
        let (len, newest_count) = (len as usize, below as usize + 1);
        let width = len + 1;
        // the newest example's first neuron and the oldest example's (as far below as its
        // examples are)
        let newest_first = (index - below) as usize;
        let first_node = newest_first - rows_below * count;
        let first_parameter = parameters as usize - below as usize * width;
        let parameters_end = first_parameter + count.max(newest_count) * width;
        let (inputs, inputs_end) = (inputs as usize - rows_below * len, inputs as usize + len);
        // parameters, then inputs, then the layer's nodes, apart (an Mlp's layout); any other
        // layout takes the node-by-node path, which allows every overlap
        if parameters_end > inputs || inputs_end > first_node {
            return examples_neuron_by_neuron(layer, rows, activation, records, x, self);
        }
        let (below_inputs, rest) = self.grads.split_at_mut(inputs);
        let (input_grads, rest) = rest.split_at_mut(first_node - inputs);
        let nodes_end = newest_first + newest_count;
        layer_gradients(
            activation,
            constant_inputs,
            (len, count, newest_count, rows_below),
            &mut below_inputs[first_parameter..parameters_end],
            &mut input_grads[..inputs_end - inputs],
            (
                &rest[..nodes_end - first_node],
                &self.values[first_node..nodes_end],
            ),
            &self.values[first_parameter..parameters_end],
            &self.values[inputs..inputs_end],
        );
    }

    fn run(&mut self, _consumer: Idx, run: (Idx, Idx, Idx), inner: &f64, _x: &impl Fn(Idx) -> f64) {
        // the same arithmetic as `edge`, over slices: the compiler vectorises it
        let (first, source, len) = (run.0 as usize, run.1 as usize, run.2 as usize);
        let parents = &mut self.grads[first..first + len];
        let sources = &self.values[source..source + len];
        add_chained(parents, sources, *inner);
    }
}

/// `NumberAdjoints` that also show every edge to the inspection tools (recorded contributions,
/// anomaly detection). A type of its own, so that the usual sweep tests nothing per edge.
struct ObservedAdjoints<'a> {
    numbers: NumberAdjoints<'a>,
    inspection: &'a mut Inspection,
    records: &'a Records,
}

impl Adjoints<f64> for ObservedAdjoints<'_> {
    fn upstream(&self, index: Idx) -> Option<f64> {
        self.numbers.upstream(index)
    }

    fn accumulate(&mut self, parent: Idx, contribution: f64) {
        self.numbers.accumulate(parent, contribution);
    }

    fn observe(
        &mut self,
        consumer: Idx,
        parent: Idx,
        local: &f64,
        upstream: &f64,
        contribution: &f64,
    ) {
        let edge = Edge {
            consumer,
            target: parent,
            local: *local,
            upstream: *upstream,
            product: *contribution,
        };
        self.inspection
            .observe(self.records, self.numbers.values, edge);
    }
}

/// Computes d(out)/d(node) for every node `out` depends on, in reverse topological order.
///
/// Seeds d(out)/d(out) = 1, then applies each op's local derivatives from `out` down. Each call
/// adds d(out)/d(leaf) exactly once to every leaf (gradients accumulate, as in PyTorch: call
/// [`zero_grad`] between independent passes). Every non-leaf node made before `out` is left
/// holding d(out)/d(node) of this call (0 if `out` does not depend on it), so calling `backward`
/// twice adds the leaf gradients twice and nothing more. Nodes made after `out` are not touched.
/// A node whose gradient is exactly 0 passes nothing on (see [`derivatives`], which agrees).
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
        let end = from as usize + 1;
        // Non-leaf gradients left by an earlier pass are reset; those made since are already 0.
        for index in 0..tape.dirty_end.min(end) {
            if !tape.records.is_leaf(index) {
                tape.grads[index] = 0.0;
            }
        }
        tape.dirty_end = tape.dirty_end.max(end);
        tape.inspection.start_pass();
        let values = &tape.values;
        let x = |i: Idx| values[i as usize];
        let mut numbers = NumberAdjoints {
            grads: &mut tape.grads,
            values,
        };
        numbers.accumulate(from, 1.0);
        if tape.inspection.observing() {
            let mut observed = ObservedAdjoints {
                numbers,
                inspection: &mut tape.inspection,
                records: &tape.records,
            };
            reverse_sweep(&tape.records, from, x, &mut observed);
        } else {
            reverse_sweep(&tape.records, from, x, &mut numbers);
        }
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
            tape.records
                .op(index)
                .for_each_parent(&tape.records.operands, |p| reached[p as usize] = true);
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
    for_each_reachable(out, |tape, index| {
        tape.grads[index as usize] = 0.0;
        tape.inspection.forget_contributions_to(index);
    });
}

/// Derivatives as nodes, for `grad`.
struct NodeAdjoints {
    adjoints: Vec<Option<Node>>,
}

impl Adjoints<Node> for NodeAdjoints {
    fn upstream(&self, index: Idx) -> Option<Node> {
        self.adjoints[index as usize].clone()
    }

    fn reaches(&self, index: Idx) -> bool {
        self.adjoints[index as usize].is_some()
    }

    fn edge(&mut self, _consumer: Idx, parent: Idx, local: Node, upstream: &Node) {
        // a zero upstream contributes nothing, as in `backward` (see `chain`)
        if upstream.value() == 0.0 && !local.value().is_finite() {
            return;
        }
        self.accumulate(parent, chain(&local, upstream));
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
/// 0. The derivative graph is built on top of the existing one and freed like any other. The
/// values are those `backward` computes: in particular a zero upstream gradient contributes
/// nothing, so `log(x) * 0` at x = 0 has derivative 0 here too, not NaN.
///
/// ```
/// use scalargrad::{Node, engine::derivatives};
/// let x = Node::new(3.0);
/// let y = x.pow(3.0);                       // y = x^3
/// let dy = derivatives(&y, std::slice::from_ref(&x)).remove(0);   // 3x^2 = 27
/// let d2y = derivatives(&dy, std::slice::from_ref(&x)).remove(0); // 6x = 18
/// assert_eq!((dy.value(), d2y.value()), (27.0, 18.0));
/// assert_eq!(x.grad(), 0.0);
///
/// let zero = Node::new(0.0);
/// let y = zero.log() * 0.0; // d/dx = (1/x) * 0, with 1/x infinite
/// assert_eq!(derivatives(&y, std::slice::from_ref(&zero))[0].value(), 0.0);
/// y.backward();
/// assert_eq!(zero.grad(), 0.0);
/// ```
pub fn derivatives(of: &Node, wrt: &[Node]) -> Vec<Node> {
    let from = of.index();
    // A copy of the graph's structure, so the sweep can add derivative nodes to the tape while
    // it reads the records below `of` (which stay alive: `of` is).
    let records = with_tape(|tape| tape.records.clone());
    let mut adjoints = NodeAdjoints {
        adjoints: vec![None; from as usize + 1],
    };
    adjoints.accumulate(from, Node::new(1.0));
    reverse_sweep(&records, from, Node::handle, &mut adjoints);
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
