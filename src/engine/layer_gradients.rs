//! The backward pass in numbers over slices cut once: a layer's gradients over every example of
//! a batch (`layer_gradients`) and a run of parents sharing one upstream gradient
//! (`add_chained`), the arithmetic `NumberAdjoints` in `backward.rs` hands its visits to. The
//! chain rule here is `backward::chain`, applied in the same order as the node-by-node sweep,
//! so the gradients are the same bit for bit. Over a batch, a layer whose neurons pass their
//! gradient on wherever they have one (not a ReLU, `batch_by_groups`), and the first layer on
//! the plane (`first_layer_batch`), take their examples four at a time: the sweep's order holds
//! for each gradient, and each is loaded and stored once per group of four rather than once per
//! contribution.

use super::backward::chain;
use super::dense::{Activation, two_input_columns};

/// `NumberAdjoints::layer`'s arithmetic over one layer's slices: its parameters' gradients and
/// values, its inputs' gradients and values (`len` per example, oldest example first), and its
/// nodes' gradients and values (`count` per example, oldest first, the newest example's
/// `newest_count`, with `below` examples below the newest; `shape` is (len, count,
/// newest_count, below)). Out of line, with the slices as arguments: the compiler then knows
/// them apart and turns each neuron's runs into vector instructions in place, with no call per
/// neuron (and a copy for each activation, and for two inputs, the first layer on the plane).
#[inline(never)]
// the slices are separate arguments on purpose (see above); fewer, by packing some into a
// tuple, measured slower
#[allow(clippy::too_many_arguments)]
pub(super) fn layer_gradients(
    activation: Activation,
    constant_inputs: bool,
    shape: (usize, usize, usize, usize),
    parameter_grads: &mut [f64],
    input_grads: &mut [f64],
    nodes: (&[f64], &[f64]),
    parameter_values: &[f64],
    input_values: &[f64],
) {
    let slices = (
        parameter_grads,
        input_grads,
        nodes,
        parameter_values,
        input_values,
    );
    let (len, count, newest_count, below) = shape;
    macro_rules! each_activation {
        ($len:expr) => {
            match activation {
                Activation::Relu => examples_gradients(
                    Activation::Relu,
                    constant_inputs,
                    ($len, count, newest_count, below),
                    slices,
                ),
                Activation::Tanh => examples_gradients(
                    Activation::Tanh,
                    constant_inputs,
                    ($len, count, newest_count, below),
                    slices,
                ),
                Activation::Sigmoid => examples_gradients(
                    Activation::Sigmoid,
                    constant_inputs,
                    ($len, count, newest_count, below),
                    slices,
                ),
                Activation::Linear => examples_gradients(
                    Activation::Linear,
                    constant_inputs,
                    ($len, count, newest_count, below),
                    slices,
                ),
            }
        };
    }
    if len == 2 {
        each_activation!(2)
    } else {
        each_activation!(len)
    }
}

/// The slices of `layer_gradients`.
type LayerSlices<'a> = (
    &'a mut [f64],
    &'a mut [f64],
    (&'a [f64], &'a [f64]),
    &'a [f64],
    &'a [f64],
);

/// `layer_gradients`' body, for one activation and `len` inputs: each example's neurons, the
/// newest example first (the order of `examples_neuron_by_neuron`).
#[inline(always)]
fn examples_gradients(
    activation: Activation,
    constant_inputs: bool,
    (len, count, newest_count, examples_below): (usize, usize, usize, usize),
    (parameter_grads, input_grads, (node_grads, node_values), parameter_values, input_values): LayerSlices<'_>,
) {
    let width = len + 1;
    // the newest example (perhaps cut short), at the end of each slice: the whole visit when
    // the layer was recorded for one example
    let (nodes, inputs) = (examples_below * count, examples_below * len);
    let parameters = newest_count * width;
    neuron_gradients(
        activation,
        constant_inputs,
        len,
        (
            &mut parameter_grads[..parameters],
            &mut input_grads[inputs..],
            (&node_grads[nodes..], &node_values[nodes..]),
            &parameter_values[..parameters],
            &input_values[inputs..],
        ),
    );
    if examples_below == 0 {
        return;
    }
    // then the whole examples below it, newest first
    let below = (
        &mut parameter_grads[..count * width],
        &mut input_grads[..inputs],
        (&node_grads[..nodes], &node_values[..nodes]),
        &parameter_values[..count * width],
        &input_values[..inputs],
    );
    if len == 2 && constant_inputs && below.4.iter().all(|x| x.is_finite()) {
        let (parameter_grads, _, nodes, _, inputs) = below;
        first_layer_batch(activation, parameter_grads, nodes, inputs);
    } else if passes_on_every_example(activation) {
        batch_by_groups(activation, constant_inputs, (len, count), below);
    } else {
        let (
            parameter_grads,
            input_grads,
            (node_grads, node_values),
            parameter_values,
            input_values,
        ) = below;
        let examples = input_grads
            .chunks_exact_mut(len)
            .zip(input_values.chunks_exact(len))
            .zip(
                node_grads
                    .chunks_exact(count)
                    .zip(node_values.chunks_exact(count)),
            );
        for ((input_grads, input_values), (node_grads, node_values)) in examples.rev() {
            neuron_gradients(
                activation,
                constant_inputs,
                len,
                (
                    &mut *parameter_grads,
                    input_grads,
                    (node_grads, node_values),
                    parameter_values,
                    input_values,
                ),
            );
        }
    }
}

/// Whether a neuron with this activation passes its gradient on wherever the gradient is not 0
/// (`Activation::slope` is `None` only for a ReLU that is off). Where it does, a group of
/// examples or of neurons is whole; a ReLU is on for some examples and off for others, and its
/// groups, of every size as the examples go, measured slower than one example at a time
/// (`bench/RESULTS.md`).
fn passes_on_every_example(activation: Activation) -> bool {
    match activation {
        Activation::Relu => false,
        Activation::Tanh | Activation::Sigmoid | Activation::Linear => true,
    }
}

/// The whole examples of a layer's batch (`examples_gradients` below its newest example), newest
/// first, four at a time and the oldest one to three left over one at a time (`example_group`);
/// `constant_inputs` as in `layer_gradients`. Out of line, so that this code does not change how
/// the compiler lays out the example-by-example path beside it (inlined, the digits row took 6%
/// longer on that path, which its ReLU layer takes).
#[inline(never)]
fn batch_by_groups(
    activation: Activation,
    constant_inputs: bool,
    (len, count): (usize, usize),
    slices: LayerSlices<'_>,
) {
    macro_rules! each_activation {
        ($activation:expr) => {{
            let (parameter_grads, input_grads, nodes, parameter_values, input_values) = slices;
            let examples = input_values.len() / len;
            let groups = examples / 4;
            let leftover = examples - 4 * groups;
            for group in (0..groups).rev() {
                let examples = leftover + 4 * group..leftover + 4 * group + 4;
                example_group::<4>(
                    $activation,
                    constant_inputs,
                    (len, count),
                    examples,
                    (
                        &mut *parameter_grads,
                        &mut *input_grads,
                        nodes,
                        parameter_values,
                        input_values,
                    ),
                );
            }
            for example in (0..leftover).rev() {
                example_group::<1>(
                    $activation,
                    constant_inputs,
                    (len, count),
                    example..example + 1,
                    (
                        &mut *parameter_grads,
                        &mut *input_grads,
                        nodes,
                        parameter_values,
                        input_values,
                    ),
                );
            }
        }};
    }
    match activation {
        Activation::Relu => each_activation!(Activation::Relu),
        Activation::Tanh => each_activation!(Activation::Tanh),
        Activation::Sigmoid => each_activation!(Activation::Sigmoid),
        Activation::Linear => each_activation!(Activation::Linear),
    }
}

/// `examples_gradients` on the `E` whole examples `examples` (counted from the oldest), newest
/// first: the parameters' gradients neuron by neuron, each taking the `E` examples' contributions
/// one after another (held in registers), and then the inputs' gradients example by example.
/// Each gradient still takes its contributions in the order of `examples_neuron_by_neuron` (a
/// parameter's example after example, an input's neuron after neuron), so the numbers are the
/// same, bit for bit; a parameter's gradient is loaded and stored once per `E` examples instead
/// of once per example, and the group's rows stay in the L1 cache between the two.
#[inline(always)]
fn example_group<const E: usize>(
    activation: Activation,
    constant_inputs: bool,
    (len, count): (usize, usize),
    examples: std::ops::Range<usize>,
    (parameter_grads, input_grads, (node_grads, node_values), parameter_values, input_values): LayerSlices<'_>,
) {
    let width = len + 1;
    let (nodes, inputs) = (
        examples.start * count..examples.end * count,
        examples.start * len..examples.end * len,
    );
    let (node_grads, node_values) = (&node_grads[nodes.clone()], &node_values[nodes]);
    let input_values = &input_values[inputs.clone()];
    let parameter_grads = &mut parameter_grads[..count * width];
    for (k, grads) in parameter_grads.chunks_exact_mut(width).enumerate() {
        let (weight_grads, bias_grad) = grads.split_at_mut(len);
        let mut runs = Runs::new();
        for (j, x) in input_values.chunks_exact(len).enumerate().rev() {
            let (upstream, out) = (node_grads[j * count + k], node_values[j * count + k]);
            let Some(inner) = passed_inner(activation, upstream, &out) else {
                continue;
            };
            runs.add(x, inner, weight_grads);
            bias_grad[0] += inner;
        }
        runs.finish(weight_grads);
    }
    if constant_inputs {
        return;
    }
    let input_grads = &mut input_grads[inputs];
    let each_example = input_grads.chunks_exact_mut(len).zip(
        node_grads
            .chunks_exact(count)
            .zip(node_values.chunks_exact(count)),
    );
    for (input_grads, (node_grads, node_values)) in each_example.rev() {
        let mut runs = Runs::new();
        let each_neuron = parameter_values
            .chunks_exact(width)
            .zip(node_grads.iter().zip(node_values));
        for (values, (&upstream, out)) in each_neuron.rev() {
            if let Some(inner) = passed_inner(activation, upstream, out) {
                runs.add(&values[..len], inner, input_grads);
            }
        }
        runs.finish(input_grads);
    }
}

/// The parameters' gradients of a layer of two finite constant inputs (`first_layer_gradients`)
/// over the whole examples of `node_grads`, `node_values` and `inputs` (oldest first), newest
/// first, four examples at a time: each neuron's three gradients take the four examples'
/// contributions in registers. The gradients are moved into three arrays of their own for the
/// batch (first weights', second weights', biases') and back at the end, so that the loop over
/// the neurons reads and writes whole vectors, two neurons at a time (`first_layer_inner`).
/// Out of line, with a copy for each activation.
#[inline(never)]
fn first_layer_batch(
    activation: Activation,
    parameter_grads: &mut [f64],
    nodes: (&[f64], &[f64]),
    inputs: &[f64],
) {
    match activation {
        Activation::Relu => first_layer_columns(Activation::Relu, parameter_grads, nodes, inputs),
        Activation::Tanh => first_layer_columns(Activation::Tanh, parameter_grads, nodes, inputs),
        Activation::Sigmoid => {
            first_layer_columns(Activation::Sigmoid, parameter_grads, nodes, inputs)
        }
        Activation::Linear => {
            first_layer_columns(Activation::Linear, parameter_grads, nodes, inputs)
        }
    }
}

/// `first_layer_batch` for one activation.
#[inline(always)]
fn first_layer_columns(
    activation: Activation,
    parameter_grads: &mut [f64],
    (node_grads, node_values): (&[f64], &[f64]),
    inputs: &[f64],
) {
    let count = parameter_grads.len() / 3;
    let mut columns = two_input_columns(parameter_grads);
    let row = |e: usize| {
        (
            &node_grads[e * count..(e + 1) * count],
            &node_values[e * count..(e + 1) * count],
            [inputs[2 * e], inputs[2 * e + 1]],
        )
    };
    let examples = inputs.len() / 2;
    let groups = examples / 4;
    let leftover = examples - 4 * groups;
    for group in (0..groups).rev() {
        let first = leftover + 4 * group;
        let rows = [row(first), row(first + 1), row(first + 2), row(first + 3)];
        first_layer_examples::<4>(activation, &mut columns, rows);
    }
    for example in (0..leftover).rev() {
        first_layer_examples::<1>(activation, &mut columns, [row(example)]);
    }
    // and back, three to a neuron
    for (k, neuron) in parameter_grads.chunks_exact_mut(3).enumerate() {
        for (kind, grad) in neuron.iter_mut().enumerate() {
            *grad = columns[kind * count + k];
        }
    }
}

/// `first_layer_columns` on `E` examples (oldest first; each its neurons' gradients and values
/// and its two inputs), newest first, into `columns` (the first weights', the second weights'
/// and the biases' gradients, `count` each).
#[inline(always)]
fn first_layer_examples<const E: usize>(
    activation: Activation,
    columns: &mut [f64],
    examples: [(&[f64], &[f64], [f64; 2]); E],
) {
    let count = columns.len() / 3;
    let (firsts, rest) = columns.split_at_mut(count);
    let (seconds, biases) = rest.split_at_mut(count);
    let examples = examples.map(|(upstreams, outs, x)| (&upstreams[..count], &outs[..count], x));
    for k in 0..count {
        let mut totals = [firsts[k], seconds[k], biases[k]];
        for &(upstreams, outs, [x0, x1]) in examples.iter().rev() {
            let inner = first_layer_inner(activation, upstreams[k], outs[k]);
            totals[0] += chain(&x0, &inner);
            totals[1] += chain(&x1, &inner);
            totals[2] += inner;
        }
        (firsts[k], seconds[k], biases[k]) = (totals[0], totals[1], totals[2]);
    }
}

/// `inner_or_zero` in the first layer's loop. A ReLU's slope is 1 where it is on and there is
/// none where it is off (`Activation::slope`), so its inner gradient, `chain(1, upstream)`, is
/// the upstream gradient itself where the neuron passes it on: a select of two numbers, which the
/// compiler makes vectors of (through `inner_or_zero` it kept a branch per neuron).
#[inline(always)]
fn first_layer_inner(activation: Activation, upstream: f64, out: f64) -> f64 {
    match activation {
        Activation::Relu => {
            if (out > 0.0) & (upstream != 0.0) {
                upstream
            } else {
                0.0
            }
        }
        Activation::Tanh | Activation::Sigmoid | Activation::Linear => {
            inner_or_zero(activation, upstream, &out)
        }
    }
}

/// One example's neurons of `examples_gradients`: the same arithmetic as `neurons` in the same
/// order (so the same gradients, bit for bit).
#[inline(always)]
fn neuron_gradients(
    activation: Activation,
    constant_inputs: bool,
    len: usize,
    (parameter_grads, input_grads, (node_grads, node_values), parameter_values, input_values): LayerSlices<'_>,
) {
    let width = len + 1;
    let (input_grads, input_values) = (&mut input_grads[..len], &input_values[..len]);
    if constant_inputs && len == 2 && input_values.iter().all(|x| x.is_finite()) {
        return first_layer_gradients(
            activation,
            (parameter_grads, node_grads, node_values),
            input_values,
        );
    }
    let neurons = parameter_grads
        .chunks_exact_mut(width)
        .zip(parameter_values.chunks_exact(width))
        .zip(node_grads.iter().zip(node_values));
    for ((grads, values), (&upstream, out)) in neurons.rev() {
        let Some(inner) = passed_inner(activation, upstream, out) else {
            continue;
        };
        let (weight_grads, bias_grad) = grads.split_at_mut(len);
        add_chained_here(weight_grads, input_values, inner);
        if !constant_inputs {
            add_chained_here(input_grads, &values[..len], inner);
        }
        bias_grad[0] += inner;
    }
}

/// Runs that add into the same gradients (`add_chained` of each, one after another), up to
/// four, in the order they are added: a neuron's weights into its example's inputs' gradients
/// (the newest neuron first), or an example's inputs into a neuron's weights' gradients (the
/// newest example first). Each gradient takes the four contributions one after another in a
/// register, in that same order, so the numbers are those of one run at a time, bit for bit,
/// with one load and one store of each gradient per four runs instead of per run. A CE step's
/// backward pass was bound by those stores (`bench/RESULTS.md`).
struct Runs<'a> {
    locals: [&'a [f64]; 4],
    inners: [f64; 4],
    len: usize,
}

impl<'a> Runs<'a> {
    /// No runs yet.
    #[inline(always)]
    fn new() -> Runs<'a> {
        Runs {
            locals: [&[]; 4],
            inners: [0.0; 4],
            len: 0,
        }
    }

    /// Adds the next run, of local derivatives `locals` (one per gradient) and inner gradient
    /// `inner`, adding the four into `gradients` once there are four.
    #[inline(always)]
    fn add(&mut self, locals: &'a [f64], inner: f64, gradients: &mut [f64]) {
        self.locals[self.len] = locals;
        self.inners[self.len] = inner;
        self.len += 1;
        if self.len == 4 {
            self.finish(gradients);
        }
    }

    /// Adds the runs held into `gradients`, and empties the group.
    #[inline(always)]
    fn finish(&mut self, gradients: &mut [f64]) {
        let (l, i) = (&self.locals, &self.inners);
        match self.len {
            0 => {}
            1 => add_chained_long(gradients, l[0], i[0]),
            2 => add_chained_two(gradients, l[0], i[0], l[1], i[1]),
            3 => add_chained_three(gradients, l[0], i[0], l[1], i[1], l[2], i[2]),
            // `add` adds a group as soon as it holds four
            _ => add_chained_four(gradients, l[0], i[0], l[1], i[1], l[2], i[2], l[3], i[3]),
        }
        self.len = 0;
    }
}

/// Defines `$name`, which adds two or more runs one after another into the same gradients (one
/// run is `add_chained_long`):
/// `gradients[k] += chain(row[k], inner)` for each (row, inner) in order, each gradient kept in a
/// register across the rows (so the sums of that many `add_chained`, bit for bit). One function
/// per number of rows, out of line, with each row a slice argument of its own: the compiler then
/// knows the rows apart from `gradients` and makes vectors along the gradients. Inlined, or with
/// the rows in an array, it made vectors across the rows and added one gradient at a time, and
/// the grouping was slower than no grouping at all.
macro_rules! add_chained_rows {
    ($name:ident, $(($row:ident, $inner:ident)),+) => {
        #[inline(never)]
        // the slices are separate arguments on purpose (see above)
        #[allow(clippy::too_many_arguments)]
        fn $name(gradients: &mut [f64], $($row: &[f64], $inner: f64),+) {
            let len = gradients.len();
            $(let $row = &$row[..len];)+
            for k in 0..len {
                let mut total = gradients[k];
                $(total += chain(&$row[k], &$inner);)+
                gradients[k] = total;
            }
        }
    };
}
add_chained_rows!(add_chained_two, (a, x), (b, y));
add_chained_rows!(add_chained_three, (a, x), (b, y), (c, z));
add_chained_rows!(add_chained_four, (a, x), (b, y), (c, z), (d, w));

/// `neuron_gradients` of a layer of two inputs that are finite constants (a first layer on the
/// plane): the same gradients, bit for bit, without a branch per neuron. A neuron that passes
/// nothing on (a zero gradient, a ReLU that is off) adds `input * 0.0`, which is a zero and leaves
/// each gradient as it was (a gradient is never -0.0: it starts at 0.0 and only has numbers added
/// to it). The branch it saves went either way neuron by neuron, as the ReLUs are on or off,
/// and mispredicted often enough to be a fifth of a CE step's backward pass under perf.
#[inline(always)]
fn first_layer_gradients(
    activation: Activation,
    (parameter_grads, node_grads, node_values): (&mut [f64], &[f64], &[f64]),
    inputs: &[f64],
) {
    let (x0, x1) = (inputs[0], inputs[1]);
    let neurons = parameter_grads
        .chunks_exact_mut(3)
        .zip(node_grads.iter().zip(node_values));
    for (grads, (&upstream, out)) in neurons.rev() {
        let inner = inner_or_zero(activation, upstream, out);
        grads[0] += chain(&x0, &inner);
        grads[1] += chain(&x1, &inner);
        grads[2] += inner;
    }
}

/// A neuron's inner gradient, `chain(slope, upstream)`, where it passes its gradient on, and
/// `None` where it passes nothing: as `NumberAdjoints::upstream` and `Op::local_derivatives`,
/// nothing flows from a zero gradient or a zero slope (a ReLU that is off).
#[inline(always)]
fn passed_inner(activation: Activation, upstream: f64, out: &f64) -> Option<f64> {
    if upstream == 0.0 {
        return None;
    }
    let slope = activation.slope(out)?;
    Some(chain(&slope, &upstream))
}

/// `passed_inner`, with +0.0 where the neuron passes nothing, without a branch: the bits of the
/// product are kept or cleared by a mask.
#[inline(always)]
fn inner_or_zero(activation: Activation, upstream: f64, out: &f64) -> f64 {
    let slope = activation.slope(out);
    let passes = (upstream != 0.0) & slope.is_some();
    let inner = chain(&slope.unwrap_or(0.0), &upstream);
    f64::from_bits(inner.to_bits() & u64::from(passes).wrapping_neg())
}

/// `gradients[k] += chain(locals[k], inner)`: a run of parents sharing one upstream gradient.
/// Runs shorter than a vector (a first layer's two inputs) are written out in place; longer
/// ones go through a call (`add_chained_long`).
#[inline(always)]
pub(super) fn add_chained(gradients: &mut [f64], locals: &[f64], inner: f64) {
    if gradients.len() < 4 {
        add_chained_here(gradients, locals, inner);
    } else {
        add_chained_long(gradients, locals, inner);
    }
}

/// `add_chained`'s loop, inlined where it is called: the one statement of a run's arithmetic,
/// which `add_chained_long` and a layer's loop (`neuron_gradients`) compile where the slices are
/// known apart.
#[inline(always)]
fn add_chained_here(gradients: &mut [f64], locals: &[f64], inner: f64) {
    for (gradient, local) in gradients.iter_mut().zip(locals) {
        *gradient += chain(local, &inner);
    }
}

/// `add_chained` out of line: as a function's arguments the two slices are known apart, so the
/// compiler turns the loop into vector instructions; inlined into the sweep (both cut from the
/// tape's arrays) it keeps a layer's runs scalar.
#[inline(never)]
fn add_chained_long(gradients: &mut [f64], locals: &[f64], inner: f64) {
    add_chained_here(gradients, locals, inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The node-by-node order written out plainly: each example newest first, each of its
    /// neurons newest first, each passing neuron adding to its weights', its bias's and (unless
    /// the inputs are constants) its inputs' gradients one at a time.
    fn one_at_a_time(
        activation: Activation,
        constant_inputs: bool,
        (len, count, newest_count, below): (usize, usize, usize, usize),
        (parameter_grads, input_grads): (&mut [f64], &mut [f64]),
        (node_grads, node_values): (&[f64], &[f64]),
        (parameter_values, input_values): (&[f64], &[f64]),
    ) {
        let width = len + 1;
        for j in (0..=below).rev() {
            let neurons = if j == below { newest_count } else { count };
            for k in (0..neurons).rev() {
                let (upstream, out) = (node_grads[j * count + k], node_values[j * count + k]);
                if upstream == 0.0 {
                    continue;
                }
                let Some(slope) = activation.slope(&out) else {
                    continue;
                };
                let inner = slope * upstream;
                for i in 0..len {
                    parameter_grads[k * width + i] += input_values[j * len + i] * inner;
                    if !constant_inputs {
                        input_grads[j * len + i] += parameter_values[k * width + i] * inner;
                    }
                }
                parameter_grads[k * width + len] += slope * upstream;
            }
        }
    }

    /// A layer over a batch (examples in groups of four, the first layer's neurons without a
    /// branch, runs added four at a time) gives every parameter and input the gradient of the
    /// node-by-node order, to the bit: for every activation, for one to nine inputs and one to
    /// seven neurons, for batches that are and are not whole groups, with the newest example cut
    /// short or not, over constants and over inputs that take gradients, with neurons that pass
    /// nothing (a zero gradient, a ReLU that is off) and with infinite inputs.
    #[test]
    fn a_batch_gives_the_gradients_of_one_neuron_at_a_time() {
        // numbers of spread magnitudes, so that adding in another order would round differently,
        // with zeros in different places for each seed (a neuron that is off where its gradient
        // is not 0, and the other way round)
        let spread = |n: usize, seed: f64| -> Vec<f64> {
            (0..n)
                .map(|i| {
                    let x = ((i as f64 + seed) * 1.618).sin();
                    let magnitude = [1.0, 1e-3, 37.0, 1e5][i % 4];
                    if (i + seed as usize) % 11 == 5 {
                        0.0
                    } else {
                        x * magnitude
                    }
                })
                .collect()
        };
        for activation in Activation::ALL {
            for (len, count) in [(1, 1), (2, 3), (2, 7), (3, 4), (5, 2), (9, 5)] {
                for below in [0, 1, 3, 4, 5, 9] {
                    for newest_count in [1, count] {
                        for constant_inputs in [true, false] {
                            for infinite in [false, true] {
                                let width = len + 1;
                                let nodes = below * count + newest_count;
                                let node_grads = spread(nodes, 0.3);
                                let node_values = spread(nodes, 7.1);
                                let parameter_values = spread(count * width, 2.2);
                                let mut input_values = spread((below + 1) * len, 4.9);
                                if infinite {
                                    input_values[0] = f64::INFINITY;
                                }
                                let run = |batch: bool| {
                                    // gradients already there, as after the penalty's
                                    let mut parameter_grads = spread(count * width, 9.4);
                                    let mut input_grads = spread((below + 1) * len, 1.3);
                                    let shape = (len, count, newest_count, below);
                                    if batch {
                                        layer_gradients(
                                            activation,
                                            constant_inputs,
                                            shape,
                                            &mut parameter_grads,
                                            &mut input_grads,
                                            (&node_grads, &node_values),
                                            &parameter_values,
                                            &input_values,
                                        );
                                    } else {
                                        one_at_a_time(
                                            activation,
                                            constant_inputs,
                                            shape,
                                            (&mut parameter_grads, &mut input_grads),
                                            (&node_grads, &node_values),
                                            (&parameter_values, &input_values),
                                        );
                                    }
                                    let bits = |v: &[f64]| {
                                        v.iter().map(|g| g.to_bits()).collect::<Vec<u64>>()
                                    };
                                    (bits(&parameter_grads), bits(&input_grads))
                                };
                                let case = format!(
                                    "{activation:?}, {len} inputs, {count} neurons, {below} \
                                     below, newest {newest_count}, constant {constant_inputs}, \
                                     infinite {infinite}"
                                );
                                let (batch, reference) = (run(true), run(false));
                                assert_eq!(batch, reference, "{case}");
                            }
                        }
                    }
                }
            }
        }
    }

    /// A layer of two finite constant inputs takes `first_layer_gradients`, without a branch per
    /// neuron; inputs that take gradients take the branch. The parameters' gradients come out the
    /// same, to the bit, whatever the neurons' gradients and values are (zero and -0.0, off and
    /// on, NaN, the extremes of f64).
    #[test]
    fn the_first_layer_without_branches_gives_the_gradients_of_the_one_with() {
        let node_grads = [0.0, -0.0, 1.5, -2.25, 3e-300, f64::NAN, 0.5, 1e10];
        let node_values = [1.0, 2.0, 0.0, -0.0, 0.7, 0.3, -1.0, 5e-324];
        let parameter_values = [0.25; 24];
        let activations = [
            Activation::Relu,
            Activation::Tanh,
            Activation::Sigmoid,
            Activation::Linear,
        ];
        for activation in activations {
            for inputs in [[0.5, -3.0], [-0.0, 0.0], [1e308, -1e-308]] {
                let run = |constant_inputs| {
                    // gradients already there, zeros among them
                    let mut parameter_grads: Vec<f64> =
                        (0..24).map(|k| [0.0, -1.5, 2.0][k % 3]).collect();
                    let mut input_grads = [0.0; 2];
                    neuron_gradients(
                        activation,
                        constant_inputs,
                        2,
                        (
                            &mut parameter_grads,
                            &mut input_grads,
                            (&node_grads, &node_values),
                            &parameter_values,
                            &inputs,
                        ),
                    );
                    parameter_grads
                        .iter()
                        .map(|g| g.to_bits())
                        .collect::<Vec<u64>>()
                };
                assert_eq!(run(true), run(false), "{activation:?} on {inputs:?}");
            }
        }
    }
}
