//! Fused neurons and layers: the weighted-sum kernels, the `Dense` op's value, and the public API
//! a network uses to record whole layers at once ([`DenseLayer`], [`dense_layers`], [`neuron`]).
//!
//! A `Dense` node is `activation(bias + sum_k weight_k * input_k)` as one record whose parents lie
//! in two runs of consecutive nodes (the weights then the bias; the inputs), so its loops run over
//! contiguous memory. Everything here is an optimisation of `linear` followed by the activation,
//! with the same values bit for bit.

use std::ops::Range;
use std::panic::Location;

use serde::{Deserialize, Serialize};

use super::node::Node;
use super::nonzero::NonzeroUnits;
use super::ops::{Op, apply, linear};
use super::record::MAX_NODES;
use super::scalar::Scalar;
use super::tape::{Idx, too_many_nodes, with_tape};
use super::unary::UnaryOp;

/// The function a neuron applies to its weighted sum: a view of the unary ops (or none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Every activation.
    pub const ALL: [Activation; 4] = [
        Activation::Relu,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Linear,
    ];

    /// Its name (`relu`, `tanh`, `sigmoid`, `linear`).
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Linear => "linear",
        }
    }

    /// What it computes.
    pub fn describe(self) -> &'static str {
        match self {
            Activation::Relu => "max(0, x)",
            Activation::Tanh => "tanh x",
            Activation::Sigmoid => "1 / (1 + e^-x)",
            Activation::Linear => "x (no activation)",
        }
    }

    /// The unary op this activation applies, or `None` for `Linear`.
    pub fn unary(self) -> Option<UnaryOp> {
        match self {
            Activation::Relu => Some(UnaryOp::Relu),
            Activation::Tanh => Some(UnaryOp::Tanh),
            Activation::Sigmoid => Some(UnaryOp::Sigmoid),
            Activation::Linear => None,
        }
    }

    /// Applies the activation to a number, exactly as the engine computes a node's value.
    #[inline(always)] // inside every neuron's loop
    pub fn apply_value(self, x: f64) -> f64 {
        self.unary().map_or(x, |op| op.value(x))
    }

    /// Applies the activation to a node (one new node, or the node itself for `Linear`).
    #[track_caller]
    pub fn apply(self, x: Node) -> Node {
        match self.unary() {
            Some(op) => super::ops::unary(&x, op),
            None => x,
        }
    }

    /// The name of a fused neuron with this activation (`relu(linear)`, ...).
    pub(crate) fn neuron_name(self) -> &'static str {
        match self {
            Activation::Relu => "relu(linear)",
            Activation::Tanh => "tanh(linear)",
            Activation::Sigmoid => "sigmoid(linear)",
            Activation::Linear => "linear",
        }
    }

    /// d(activation)/d(input), from the activation's output `out`; `None` where it is exactly 0
    /// (a ReLU that is off), so nothing needs to flow back. Relies on the contract of
    /// `UnaryOp::derivative` that activations never read their input, which a `Dense` node
    /// does not keep.
    #[inline(always)]
    pub(crate) fn slope<S: Scalar>(self, out: &S) -> Option<S> {
        let input = || unreachable!("activations never read their input");
        match self.unary() {
            Some(op) => op.derivative(input, out),
            None => Some(S::constant(1.0)),
        }
    }
}

/// `bias + sum_k product(k)` for k in 0..len, summed in four interleaved lanes so the additions
/// do not wait on each other. Every weighted sum of the engine goes through here or through
/// [`dot`] (the same order), so inference matches `forward` bit for bit.
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
    // other order made the compiler shuffle lanes on every step.
    let mut total = bias + ((lanes[0] + lanes[2]) + (lanes[1] + lanes[3]));
    for k in full..len {
        total += product(k);
    }
    total
}

/// `bias + sum_k weights[k] * inputs[k]`, the weighted sum every neuron of the engine computes,
/// in the same order (so with the same result, bit for bit), in a form the compiler turns into
/// vector instructions. Extra entries of the longer slice are ignored.
///
/// ```
/// use scalargrad::{Node, engine::{dot, linear}};
/// let (w, x) = ([0.1, 0.2, 0.3, 0.4, 0.5], [1.0, -2.0, 3.0, -4.0, 5.0]);
/// let nodes = |v: &[f64]| v.iter().map(|&v| Node::new(v)).collect::<Vec<_>>();
/// let graph = linear(&nodes(&w), &nodes(&x), &Node::new(0.5));
/// assert_eq!(dot(0.5, &w, &x), graph.value());
/// ```
#[inline(always)] // inlined into the forward pass's loop over neurons (see `dense_layers`)
pub fn dot(bias: f64, weights: &[f64], inputs: &[f64]) -> f64 {
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
// knowledge of the layer's width would be a large part of a small network's forward pass.
#[inline(always)]
pub(crate) fn dense_value(
    activation: Activation,
    bias: f64,
    weights: &[f64],
    inputs: &[f64],
) -> f64 {
    activation.apply_value(dot(bias, weights, inputs))
}

/// True if `nodes` are consecutive nodes on the tape (each made right after the one before).
pub(crate) fn are_consecutive(nodes: &[Node]) -> bool {
    let first = nodes.first().map_or(0, Node::index);
    // every index compared, without stopping at the first that differs: a loop the compiler
    // turns into vector instructions (an optimizer checks a network's parameters every step)
    nodes
        .iter()
        .zip(first..)
        .fold(true, |all, (node, i)| all & (node.index() == i))
}

/// A neuron, `activation(bias + sum_k weights[k] * inputs[k])`, as one node when the weights and
/// bias are consecutive nodes and so are the inputs (as in an `Mlp`, whose layers make one node
/// per neuron), else as `linear` followed by the activation. The values are the same either way.
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
            // the weights are distinct nodes, so their count fits a node index
            let len = weights.len() as Idx;
            apply(|| Op::Dense {
                parameters: first_parameter.index(),
                inputs: first_input.index(),
                len,
                activation,
                below: 0,
            })
        }
        _ => activation.apply(linear(weights, inputs, bias)),
    }
}

/// One layer for [`dense_layers`]: neurons that each have `inputs` weights and then a bias, all
/// consecutive nodes, neuron after neuron (how `nn::Layer::new` makes them).
///
/// ```
/// use scalargrad::{Node, engine::{Activation, DenseLayer, dense_layers}};
/// // two neurons of two inputs: w00 w01 b0 w10 w11 b1
/// let parameters: Vec<Node> = [1.0, 2.0, 0.5, -1.0, 1.0, 0.0].iter().map(|&v| Node::new(v)).collect();
/// let layer = DenseLayer::new(&parameters, 2, Activation::Relu).expect("consecutive");
/// let inputs = [Node::new(3.0), Node::new(4.0)];
/// let outputs = dense_layers(&inputs, &[layer]).expect("inputs consecutive");
/// assert_eq!((outputs[0].value(), outputs[1].value()), (11.5, 1.0));
/// ```
#[derive(Clone, Debug)]
pub struct DenseLayer {
    first_parameter: Idx,
    /// Inputs per neuron; fits an `Idx`, as `Op::Dense` needs (checked in `new`).
    len: Idx,
    count: usize,
    activation: Activation,
    /// The layer's newest parameter: while a handle to it lives, no node below it is popped, so
    /// the indices above always name the layer's own parameters.
    _keep_alive: Node,
}

impl DenseLayer {
    /// The layer whose `parameters` are, neuron after neuron, `inputs` weights and a bias; `None`
    /// unless they are consecutive nodes, at least one neuron's worth, and a whole number of
    /// neurons (or `inputs` does not fit a node index).
    pub fn new(parameters: &[Node], inputs: usize, activation: Activation) -> Option<DenseLayer> {
        let width = inputs.checked_add(1)?;
        let (first, last) = (parameters.first()?, parameters.last()?);
        if !parameters.len().is_multiple_of(width) || !are_consecutive(parameters) {
            return None;
        }
        Some(DenseLayer {
            first_parameter: first.index(),
            len: Idx::try_from(inputs).ok()?,
            count: parameters.len() / width,
            activation,
            _keep_alive: last.clone(),
        })
    }

    /// Inputs per neuron.
    pub fn inputs(&self) -> usize {
        self.len as usize
    }

    /// Number of neurons (outputs).
    pub fn outputs(&self) -> usize {
        self.count
    }
}

/// Records a stack of layers in one tape access: the first reads `inputs`, each next one the
/// layer before. Returns handles to the last layer's nodes, or `None` (recording nothing) unless
/// `inputs` are consecutive nodes, one per input of the first layer, and each layer has one
/// input per output of the layer before.
///
/// The records and values are those of [`neuron`] called neuron by neuron, made as whole slices:
/// one capacity check per array for the whole stack instead of one per node. The layers in
/// between get no handles at all: they are older than the last layer, so the tape keeps them
/// while it lives, and nothing has to count or drop them (for an MLP that is most of the nodes of
/// a forward pass).
///
/// # Panics
/// If more than 2^29 nodes would be alive on this thread.
#[track_caller]
pub fn dense_layers(inputs: &[Node], layers: &[DenseLayer]) -> Option<Vec<Node>> {
    let outputs = record_layers(
        StackInputs::Nodes(inputs),
        layers,
        Location::caller(),
        |_, _| {},
    )?;
    Some(outputs.map(Node::from_index).collect())
}

/// [`dense_layers`] over rows of data, one after another in `rows` (one number per input of the
/// first layer each; a single row is a table of one): each row is recorded as constants
/// ([`Node::constant`], which take no gradient) in the same tape access as the layers, with no
/// handles of their own (the outputs above keep them). Returns every example's outputs, example
/// after example. `None` (recording nothing) unless `rows` is a whole number of rows, at least
/// one, and each layer has one input per output of the layer before.
///
/// A whole batch in one call costs one tape access and one record of each layer per example,
/// where a call per example pays the tape access, the checks and the growing of the tape's arrays
/// each time.
///
/// ```
/// use scalargrad::{Node, engine::{Activation, DenseLayer, dense_layers_on_rows, values}};
/// let parameters: Vec<Node> = [1.0, 2.0, 0.5, -1.0, 1.0, 0.0].iter().map(|&v| Node::new(v)).collect();
/// let layer = DenseLayer::new(&parameters, 2, Activation::Relu).expect("consecutive");
/// // two examples, (3, 4) and (1, 0)
/// let outputs = dense_layers_on_rows(&[3.0, 4.0, 1.0, 0.0], &[layer]).expect("two rows of two");
/// assert_eq!(values(&outputs), [11.5, 1.0, 1.5, 0.0]);
/// outputs[0].backward();
/// assert_eq!(parameters[0].grad(), 3.0);
/// ```
///
/// # Panics
/// As [`dense_layers`].
#[track_caller]
pub fn dense_layers_on_rows(rows: &[f64], layers: &[DenseLayer]) -> Option<Vec<Node>> {
    let outputs = record_layers(
        StackInputs::Rows(rows),
        layers,
        Location::caller(),
        |_, _| {},
    )?;
    Some(outputs.map(Node::from_index).collect())
}

/// What the first layer of a stack reads.
#[derive(Clone, Copy, Debug)]
pub(crate) enum StackInputs<'a> {
    /// Consecutive nodes already on the tape: one example.
    Nodes(&'a [Node]),
    /// Rows of data, one after another, each one number per input of the first layer: as many
    /// examples, recorded as constants just below the first layer.
    Rows(&'a [f64]),
}

/// [`dense_layers`] for a stack whose last layer has one neuron: its output, with no list to
/// allocate (`Mlp::output`, a call per example in a training loop); `None` as `dense_layers`,
/// or if the last layer has more neurons.
#[track_caller]
pub(crate) fn dense_layers_single(inputs: &[Node], layers: &[DenseLayer]) -> Option<Node> {
    if layers.last()?.count != 1 {
        return None;
    }
    let inputs = StackInputs::Nodes(inputs);
    let outputs = record_layers(inputs, layers, Location::caller(), |_, _| {})?;
    Some(Node::from_index(outputs.start))
}

/// Like [`dense_layers`], and marks in `nonzero` each neuron of every layer but the last whose
/// value is not 0 (which ReLU units are alive on the examples recorded, read off the forward
/// pass itself).
///
/// # Panics
/// As [`dense_layers`].
#[track_caller]
pub fn dense_layers_marking(
    inputs: &[Node],
    layers: &[DenseLayer],
    nonzero: &mut NonzeroUnits,
) -> Option<Vec<Node>> {
    let mut outputs = Vec::new();
    let inputs = StackInputs::Nodes(inputs);
    dense_layers_marking_into(inputs, layers, nonzero, &mut outputs, Location::caller())?;
    Some(outputs)
}

/// [`dense_layers_marking`], appending the outputs to `outputs` (a training loop's list of every
/// example's outputs: no list of its own per example, so no allocation per example).
pub(crate) fn dense_layers_marking_into(
    inputs: StackInputs<'_>,
    layers: &[DenseLayer],
    nonzero: &mut NonzeroUnits,
    outputs: &mut Vec<Node>,
    location: &'static Location<'static>,
) -> Option<()> {
    let hidden = layers.len().saturating_sub(1);
    nonzero.cover(layers[..hidden].iter().map(|layer| layer.count).sum());
    let recorded = record_layers(inputs, layers, location, |l, values| {
        if l < hidden {
            // layer l's neurons come after those of the layers before it
            let at = layers[..l].iter().map(|layer| layer.count).sum();
            nonzero.mark_examples(at, values, layers[l].count);
        }
    })?;
    outputs.extend(recorded.map(Node::from_index));
    Some(())
}

/// Writes each neuron's value into `values` for every example: neuron k's weights then its bias
/// are `parameters[k * (len + 1)..]`, all reading an example's `len` inputs, the examples one
/// after another in `inputs` and their values in `values`. Out of line, with the slices as
/// arguments: the compiler then knows `values` apart from what it reads, and makes a copy for
/// each activation and for two inputs (the first layer on the plane). One call for a whole batch:
/// a call per example cost a CE step's forward pass 2.5 us of its 46 (`cargo run --release -p
/// scalargrad-bench --example ce_phases`).
///
/// Contract: `parameters` is a whole number of neurons, at least one, and `len` is at least 1
/// (a `DenseLayer` has a neuron, and `record_layers` refuses a stack whose inputs are none).
#[inline(never)]
fn layer_values(
    activation: Activation,
    len: usize,
    inputs: &[f64],
    parameters: &[f64],
    values: &mut [f64],
) {
    match activation {
        Activation::Relu => examples_values(Activation::Relu, len, inputs, parameters, values),
        Activation::Tanh => examples_values(Activation::Tanh, len, inputs, parameters, values),
        Activation::Sigmoid => {
            examples_values(Activation::Sigmoid, len, inputs, parameters, values)
        }
        Activation::Linear => examples_values(Activation::Linear, len, inputs, parameters, values),
    }
}

/// `layer_values`' body, for one activation: each example's neurons.
#[inline(always)]
fn examples_values(
    activation: Activation,
    len: usize,
    inputs: &[f64],
    parameters: &[f64],
    values: &mut [f64],
) {
    let count = parameters.len() / (len + 1);
    if len == 2 && values.len() > count {
        // several examples of two inputs (the plane's first layer over a batch): the neurons'
        // first weights, second weights and biases each in an array of their own, once for the
        // batch, so that each example reads them as whole vectors
        let columns = two_input_columns(parameters);
        let (firsts, rest) = columns.split_at(count);
        let (seconds, biases) = rest.split_at(count);
        for (values, x) in values.chunks_exact_mut(count).zip(inputs.chunks_exact(2)) {
            let (x0, x1) = (x[0], x[1]);
            let neurons = firsts.iter().zip(seconds.iter()).zip(biases.iter());
            for (value, ((&w0, &w1), &bias)) in values.iter_mut().zip(neurons) {
                *value = dense_value(activation, bias, &[w0, w1], &[x0, x1]);
            }
        }
    } else if len == 2 {
        for (values, inputs) in values.chunks_exact_mut(count).zip(inputs.chunks_exact(2)) {
            neuron_values(activation, inputs, parameters, values);
        }
    } else {
        for (values, inputs) in values.chunks_exact_mut(count).zip(inputs.chunks_exact(len)) {
            neuron_values(activation, inputs, parameters, values);
        }
    }
}

/// The numbers of neurons of two inputs, three to a neuron (two weights and a bias, or their
/// gradients), as three columns one after the other: every neuron's first, then every second,
/// then every third. A layer over a batch reads its parameters (`examples_values`) and adds up
/// their gradients (`layer_gradients::first_layer_batch`) this way, as whole vectors.
pub(super) fn two_input_columns(neurons: &[f64]) -> Vec<f64> {
    let count = neurons.len() / 3;
    let mut columns = vec![0.0; 3 * count];
    for (k, neuron) in neurons.chunks_exact(3).enumerate() {
        for (kind, number) in neuron.iter().enumerate() {
            columns[kind * count + k] = *number;
        }
    }
    columns
}

/// One example's neurons of `examples_values`.
#[inline(always)]
fn neuron_values(activation: Activation, inputs: &[f64], parameters: &[f64], values: &mut [f64]) {
    if let &[x0, x1] = inputs {
        // two inputs: the same sum, with the inputs in registers and neurons a known 3 apart,
        // so that the compiler computes two neurons at a time
        for (value, neuron) in values.iter_mut().zip(parameters.chunks_exact(3)) {
            *value = dense_value(activation, neuron[2], &neuron[..2], &[x0, x1]);
        }
    } else {
        let width = inputs.len() + 1;
        for (value, neuron) in values.iter_mut().zip(parameters.chunks_exact(width)) {
            let (weights, bias) = neuron.split_at(inputs.len());
            *value = dense_value(activation, bias[0], weights, inputs);
        }
    }
}

/// `dense_layers`' work: records the stack (and the rows' constants), shows each layer's values
/// on every example to `observe(l, values)` (example after example), and returns the indices of
/// the last layer's nodes, example after example; `None` (recording nothing) when the stack does
/// not fit the inputs.
///
/// Over several rows, each layer is recorded for every example before the next layer: the
/// examples' nodes are then as far apart as their layers, and every parameter still gets its
/// gradient from the examples in the same order (the newest first) as when the examples are
/// recorded one by one, so the numbers are the same, bit for bit.
///
/// Contract: each returned node holds one handle, which the caller takes over exactly once
/// (`Node::from_index`); a node left without its `Node` would never be popped.
#[inline(always)]
fn record_layers(
    inputs: StackInputs<'_>,
    layers: &[DenseLayer],
    location: &'static Location<'static>,
    mut observe: impl FnMut(usize, &[f64]),
) -> Option<Range<Idx>> {
    let first_width = layers.first()?.inputs();
    let (rows, width) = match inputs {
        StackInputs::Nodes(nodes) => (1, nodes.len()),
        StackInputs::Rows(table) if first_width > 0 && table.len() % first_width == 0 => {
            (table.len() / first_width, first_width)
        }
        StackInputs::Rows(_) => return None,
    };
    let mut width = width;
    if width == 0 || rows == 0 {
        return None;
    }
    for layer in layers {
        if layer.inputs() != width {
            return None;
        }
        width = layer.count;
    }
    if let StackInputs::Nodes(nodes) = inputs
        && !are_consecutive(nodes)
    {
        return None;
    }
    let last_width = (rows * width) as Idx;
    let first_output = with_tape(|tape| {
        let first = tape.len();
        // where the first layer's inputs are, and the rows to record there first (if any)
        let (first_input, table) = match inputs {
            StackInputs::Nodes(nodes) => (nodes[0].index() as usize, &[][..]),
            StackInputs::Rows(table) => (first, table),
        };
        let first_layer = first + table.len();
        let neurons = layers.iter().map(|layer| layer.count).sum::<usize>();
        let end = neurons
            .checked_mul(rows)
            .and_then(|nodes| nodes.checked_add(first_layer))
            .filter(|&end| end <= MAX_NODES)
            .unwrap_or_else(|| too_many_nodes());
        // the rows' constants, with no handles (the outputs above keep them)
        tape.values.extend_from_slice(table);
        tape.records.push_constants(table.len());
        tape.handles.resize(first_layer, 0);
        // every layer reads nodes below its own, so its values can be written beside them
        tape.values.resize(end, 0.0);
        tape.grads.resize(end, 0.0);
        let (mut input, mut output) = (first_input, first_layer);
        for (l, layer) in layers.iter().enumerate() {
            let (len, count) = (layer.len as usize, layer.count);
            let (below, above) = tape.values.split_at_mut(output);
            let first_parameter = layer.first_parameter as usize;
            let parameters = &below[first_parameter..first_parameter + count * (len + 1)];
            layer_values(
                layer.activation,
                len,
                &below[input..input + rows * len],
                parameters,
                &mut above[..rows * count],
            );
            observe(l, &above[..rows * count]);
            tape.records.push_layer(
                layer.first_parameter,
                input as Idx,
                layer.len,
                layer.activation,
                (count, rows),
            );
            (input, output) = (output, output + rows * count);
        }
        // no handles on the hidden layers' nodes, one on each output (owned by the caller)
        tape.handles.resize(input, 0);
        tape.handles.resize(end, 1);
        if tape.inspection.detecting() {
            // the rows' constants too, which anomaly detection checks as it checks `Node::new`
            for index in first as Idx..end as Idx {
                let op = tape.records.op(index);
                tape.inspection.created(
                    index,
                    location,
                    || op,
                    &tape.values,
                    &tape.records.operands,
                );
            }
        }
        input as Idx
    });
    // each of the last layer's records was pushed with its one handle, the caller's from here on
    Some(first_output..first_output + last_width)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layer of two inputs over several examples (its parameters read as columns) gives every
    /// neuron the value one example at a time gives it (`neuron_values`), to the bit: for every
    /// activation, over zeros, -0.0, infinities, NaN and the extremes of f64.
    #[test]
    fn two_inputs_over_a_batch_give_the_values_of_one_example_at_a_time() {
        let numbers = [
            0.5,
            -0.0,
            0.0,
            -1.25,
            1e308,
            -1e308,
            5e-324,
            3.75,
            f64::INFINITY,
            f64::NAN,
            -2.5,
            0.1,
        ];
        let mut parameters: Vec<f64> = (0..15).map(|i| numbers[(i * 7) % 12] * 0.9).collect();
        let mut inputs: Vec<f64> = (0..24).map(|i| numbers[i % 12]).collect();
        // a neuron whose bias is -0.0 and an example whose products are both -0.0: the sum is
        // +0.0 only if it starts from `bias + 0.0`, as `dot` does
        parameters[..3].copy_from_slice(&[-1.0, 1.0, -0.0]);
        inputs[..2].copy_from_slice(&[0.0, -0.0]);
        for activation in Activation::ALL {
            let mut batch = vec![0.0; 12 * 5];
            examples_values(activation, 2, &inputs, &parameters, &mut batch);
            let mut one_by_one = vec![0.0; 12 * 5];
            for (values, x) in one_by_one.chunks_exact_mut(5).zip(inputs.chunks_exact(2)) {
                neuron_values(activation, x, &parameters, values);
            }
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
            assert_eq!(bits(&batch), bits(&one_by_one), "{activation:?}");
        }
    }

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

    #[test]
    fn a_layer_needs_consecutive_parameters_and_matching_widths() {
        let a: Vec<Node> = (0..6).map(|k| Node::new(k as f64)).collect();
        assert!(DenseLayer::new(&a, 2, Activation::Relu).is_some());
        assert!(
            DenseLayer::new(&a, 3, Activation::Relu).is_none(),
            "6 is not a multiple of 4"
        );
        let gap = [a[0].clone(), a[2].clone(), a[3].clone()];
        assert!(DenseLayer::new(&gap, 2, Activation::Relu).is_none());
        let layer = DenseLayer::new(&a, 2, Activation::Relu).expect("laid out");
        let three = [Node::new(1.0), Node::new(2.0), Node::new(3.0)];
        assert!(dense_layers(&three, std::slice::from_ref(&layer)).is_none());
        let apart = [three[0].clone(), three[2].clone()];
        assert!(dense_layers(&apart, std::slice::from_ref(&layer)).is_none());
        assert!(dense_layers(&three[..2], &[layer]).is_some());
    }
}
