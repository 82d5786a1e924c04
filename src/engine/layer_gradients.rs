//! The backward pass in numbers over slices cut once: a layer's gradients over every example of
//! a batch (`layer_gradients`) and a run of parents sharing one upstream gradient
//! (`add_chained`), the arithmetic `NumberAdjoints` in `backward.rs` hands its visits to. The
//! chain rule here is `backward::chain`, applied in the same order as the node-by-node sweep,
//! so the gradients are the same bit for bit.

use super::backward::chain;
use super::dense::Activation;

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
    // then each whole example below it, newest first
    let parameters = count * width;
    for j in (0..examples_below).rev() {
        let (nodes, inputs) = (j * count..(j + 1) * count, j * len..(j + 1) * len);
        neuron_gradients(
            activation,
            constant_inputs,
            len,
            (
                &mut parameter_grads[..parameters],
                &mut input_grads[inputs.clone()],
                (&node_grads[nodes.clone()], &node_values[nodes]),
                &parameter_values[..parameters],
                &input_values[inputs],
            ),
        );
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
        // as `upstream` and `Op::local_derivatives`: nothing flows from a zero gradient or
        // a zero slope
        if upstream == 0.0 {
            continue;
        }
        let Some(slope) = activation.slope(out) else {
            continue;
        };
        let inner = chain(&slope, &upstream);
        let (weight_grads, bias_grad) = grads.split_at_mut(len);
        add_chained_here(weight_grads, input_values, inner);
        if !constant_inputs {
            add_chained_here(input_grads, &values[..len], inner);
        }
        bias_grad[0] += chain(&slope, &upstream);
    }
}

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
        // as `neuron_gradients`: nothing flows from a zero gradient or a zero slope
        let slope = activation.slope(out);
        let passes = (upstream != 0.0) & slope.is_some();
        let inner = if passes {
            chain(&slope.unwrap_or(0.0), &upstream)
        } else {
            0.0
        };
        grads[0] += chain(&x0, &inner);
        grads[1] += chain(&x1, &inner);
        grads[2] += inner;
    }
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
