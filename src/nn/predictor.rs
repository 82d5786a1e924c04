//! Evaluating an MLP without a graph: its weights copied out as plain numbers.

use super::{Activation, Mlp};
use crate::engine::{dot, values};

impl Mlp {
    /// The outputs for plain numbers, without recording a graph (inference, like PyTorch's
    /// `no_grad`): the same numbers `forward` computes, bit for bit. To evaluate many inputs,
    /// take a [`Predictor`] once with `predictor()`.
    ///
    /// # Panics
    /// If `inputs` does not have one value per input of the first layer.
    pub fn predict(&self, inputs: &[f64]) -> Vec<f64> {
        self.predictor().predict(inputs)
    }

    /// A copy of the current weights as plain numbers, for fast repeated inference.
    pub fn predictor(&self) -> Predictor {
        // all the numbers in one read, in `parameters()` order: per neuron its weights, then bias
        let mut numbers = values(self.parameters_borrowed()).into_iter();
        let layers = self
            .layers()
            .iter()
            .map(|layer| {
                let neurons = layer.neurons();
                let (mut weights, mut biases) = (Vec::new(), Vec::with_capacity(neurons.len()));
                for neuron in neurons {
                    weights.extend(numbers.by_ref().take(neuron.weights().len()));
                    biases.extend(numbers.next());
                }
                PredictorLayer {
                    inputs: neurons.first().map_or(0, |n| n.weights().len()),
                    weights,
                    biases,
                    activation: neurons
                        .first()
                        .map_or(Activation::Linear, |n| n.activation()),
                }
            })
            .collect();
        Predictor { layers }
    }
}

/// One layer of a [`Predictor`]: row-major weights (`weights[k * inputs + j]`) and biases.
#[derive(Clone, Debug, PartialEq)]
struct PredictorLayer {
    inputs: usize,
    weights: Vec<f64>,
    biases: Vec<f64>,
    activation: Activation,
}

/// An `Mlp`'s weights at one moment, as plain numbers: evaluates without touching the graph.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use scalargrad::{Node, nn::Mlp};
/// let model = Mlp::new(2, &[4, 1], &mut StdRng::seed_from_u64(0));
/// let predictor = model.predictor();
/// let from_graph = model.forward(&[Node::new(0.5), Node::new(-1.0)])[0].value();
/// assert_eq!(predictor.predict(&[0.5, -1.0])[0], from_graph);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Predictor {
    layers: Vec<PredictorLayer>,
}

impl Predictor {
    /// Every layer's outputs for `inputs`, the first layer's first (the last is
    /// [`Predictor::predict`]'s): what each neuron computes, for pictures and telemetry.
    ///
    /// # Panics
    /// If `inputs` does not have one value per input of the first layer.
    pub fn layer_outputs(&self, inputs: &[f64]) -> Vec<Vec<f64>> {
        let mut outputs: Vec<Vec<f64>> = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let values = outputs.last().map_or(inputs, Vec::as_slice);
            assert_eq!(values.len(), layer.inputs, "one input per weight");
            let next = layer
                .biases
                .iter()
                .enumerate()
                .map(|(k, &bias)| {
                    let weights = &layer.weights[k * layer.inputs..(k + 1) * layer.inputs];
                    layer.activation.apply_value(dot(bias, weights, values))
                })
                .collect();
            outputs.push(next);
        }
        outputs
    }

    /// The weights of layer `l` as rows, `weights(l)[k][j]` from input j to neuron k.
    pub fn weights(&self, l: usize) -> Vec<&[f64]> {
        let layer = &self.layers[l];
        layer.weights.chunks(layer.inputs.max(1)).collect()
    }

    /// The model's outputs for `inputs`, the same numbers `Mlp::forward` computes, bit for bit.
    ///
    /// # Panics
    /// If `inputs` does not have one value per input of the first layer.
    pub fn predict(&self, inputs: &[f64]) -> Vec<f64> {
        self.predict_into(inputs, &mut Scratch::default()).to_vec()
    }

    /// [`Predictor::predict`] into `scratch`'s buffers, reused from one call to the next: no
    /// allocation per input once they have grown (a map's thousands of cells).
    ///
    /// # Panics
    /// If `inputs` does not have one value per input of the first layer.
    pub fn predict_into<'s>(&self, inputs: &[f64], scratch: &'s mut Scratch) -> &'s [f64] {
        let Scratch { values, next } = scratch;
        values.clear();
        values.extend_from_slice(inputs);
        for layer in &self.layers {
            assert_eq!(values.len(), layer.inputs, "one input per weight");
            next.clear();
            next.extend(layer.biases.iter().enumerate().map(|(k, &bias)| {
                let weights = &layer.weights[k * layer.inputs..(k + 1) * layer.inputs];
                layer.activation.apply_value(dot(bias, weights, values))
            }));
            std::mem::swap(values, next);
        }
        values
    }
}

/// Buffers a [`Predictor`] reuses from one evaluation to the next.
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    values: Vec<f64>,
    next: Vec<f64>,
}
