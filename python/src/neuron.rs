//! micrograd's neuron, made in one call: the nodes its Python code makes, without the interpreter
//! in between; and the opt-in fast path, a whole network's forward pass as fused engine nodes.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;
use scalargrad::Node;
use scalargrad::engine::{self, Activation};

use crate::children::Children;
use crate::value::{self, Value};

/// `sum((wi*xi for wi, xi in zip(w, x)), b)`, then `.relu()` if `nonlin`: micrograd's
/// `Neuron.__call__`, node for node and in the same order (`b + w0*x0`, then `+ w1*x1`, ...).
/// Operands that are not Values go through Python's own operators, so any mix behaves as the
/// Python expression would.
#[pyfunction]
pub fn neuron<'py>(
    w: &Bound<'py, PyAny>,
    x: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    nonlin: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let py = w.py();
    let mut inputs = x.try_iter()?;
    let mut act = b.clone();
    for weight in w.try_iter()? {
        let weight = weight?;
        let Some(input) = inputs.next() else { break };
        let input = input?;
        let product = match weight.cast::<Value>() {
            Ok(weight) => match value::operand(py, &input)? {
                Some(input) => value::mul(weight, &input)?.into_any(),
                None => weight.mul(&input)?,
            },
            Err(_) => weight.mul(&input)?,
        };
        act = match (act.cast::<Value>(), product.cast::<Value>()) {
            (Ok(sum), Ok(term)) => value::add(sum, term)?.into_any(),
            _ => act.add(&product)?,
        };
    }
    if nonlin {
        act.call_method0("relu")
    } else {
        Ok(act)
    }
}

/// One neuron of the fast path: its weights, bias and activation as engine nodes.
struct FusedNeuron {
    weights: Vec<Node>,
    bias: Node,
    activation: Activation,
}

fn node_of(object: &Bound<'_, PyAny>) -> PyResult<Node> {
    let value = object.cast::<Value>().map_err(|_| {
        PyValueError::new_err("fused_scores: every weight and bias must be a Value")
    })?;
    Ok(value.get().node()?.clone())
}

/// The opt-in fast path: the network's output for each row of numbers, each neuron one fused
/// engine node (`activation(b + sum w x)`), with a Value made only for the outputs. `layers` is,
/// layer by layer, a list of `(weights, bias, nonlin)` for its neurons. The outputs have the
/// gradients micrograd's graph would give (to rounding: the sums are the same products added in
/// the same order) but no `_prev`: the graph inside is on the engine's tape, not in Python.
///
/// # Errors
/// `ValueError` if a row's length is not the first layer's input count, or a layer's input count
/// is not the previous layer's width.
#[pyfunction]
pub fn fused_scores<'py>(
    layers: &Bound<'py, PyAny>,
    rows: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let py = layers.py();
    let mut network: Vec<Vec<FusedNeuron>> = Vec::new();
    for layer in layers.try_iter()? {
        let mut neurons = Vec::new();
        for neuron in layer?.try_iter()? {
            let (weights, bias, nonlin): (Bound<'py, PyAny>, Bound<'py, PyAny>, bool) =
                neuron?.extract()?;
            let weights = weights
                .try_iter()?
                .map(|w| node_of(&w?))
                .collect::<PyResult<Vec<Node>>>()?;
            let activation = if nonlin {
                Activation::Relu
            } else {
                Activation::Linear
            };
            neurons.push(FusedNeuron {
                weights,
                bias: node_of(&bias)?,
                activation,
            });
        }
        network.push(neurons);
    }
    let mut width = network
        .first()
        .and_then(|l| l.first())
        .map_or(0, |n| n.weights.len());
    for (depth, layer) in network.iter().enumerate() {
        for neuron in layer {
            if neuron.weights.len() != width {
                return Err(PyValueError::new_err(format!(
                    "fused_scores: a neuron of layer {depth} has {} weights but its layer has {width} inputs",
                    neuron.weights.len()
                )));
            }
        }
        width = layer.len();
    }
    let first_width = network
        .first()
        .and_then(|l| l.first())
        .map_or(0, |n| n.weights.len());
    let outputs = PyList::empty(py);
    for (number, row) in rows.try_iter()?.enumerate() {
        let row: Vec<f64> = row?.extract()?;
        if row.len() != first_width {
            return Err(PyValueError::new_err(format!(
                "fused_scores: row {number} has {} numbers but the network takes {first_width} inputs",
                row.len()
            )));
        }
        let mut signal: Vec<Node> = row.iter().map(|&x| Node::new(x)).collect();
        for layer in &network {
            signal = layer
                .iter()
                .map(|n| engine::neuron(&n.weights, &signal, &n.bias, n.activation))
                .collect();
        }
        let mut made: Vec<Bound<'py, Value>> = signal
            .into_iter()
            .map(|node| value::made(py, node, Children::None, "neuron"))
            .collect::<PyResult<_>>()?;
        if made.len() == 1 {
            outputs.append(made.remove(0))?;
        } else {
            outputs.append(PyList::new(py, made)?)?;
        }
    }
    Ok(outputs)
}
