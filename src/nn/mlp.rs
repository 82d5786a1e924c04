//! Neurons, layers and the multi-layer perceptron, built from engine nodes.

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

use super::{Activation, Init, Module};
use crate::engine::{
    DenseLayer, Node, NonzeroUnits, StackInputs, dense_layers, dense_layers_marking_into,
    dense_layers_on_rows, dense_layers_single, neuron, values, zero_gradients,
};

/// One neuron: `activation(bias + sum_k weights[k] * inputs[k])`.
///
/// Its weights and bias are consecutive nodes (made one after the other by `new`), which lets a
/// layer record each neuron as a single node whose inner loops run over contiguous memory; the
/// fields are private to keep it so.
#[derive(Clone, Debug)]
pub struct Neuron {
    weights: Vec<Node>,
    bias: Node,
    activation: Activation,
}

impl Neuron {
    /// A neuron with `inputs` weights drawn by `init` and a zero bias.
    pub fn new(
        inputs: usize,
        outputs: usize,
        activation: Activation,
        init: Init,
        rng: &mut impl Rng,
    ) -> Neuron {
        Neuron {
            weights: (0..inputs)
                .map(|_| Node::new(init.weight(inputs, outputs, activation, rng)))
                .collect(),
            bias: Node::new(0.0),
            activation,
        }
    }

    /// One weight per input.
    pub fn weights(&self) -> &[Node] {
        &self.weights
    }

    /// The bias.
    pub fn bias(&self) -> &Node {
        &self.bias
    }

    /// The activation applied to the weighted sum.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The neuron's output node (one node, when the inputs are consecutive nodes).
    ///
    /// # Panics
    /// If `inputs` does not have one value per weight.
    pub fn forward(&self, inputs: &[Node]) -> Node {
        neuron(&self.weights, inputs, &self.bias, self.activation)
    }
}

impl Module for Neuron {
    fn parameters(&self) -> Vec<Node> {
        let mut parameters = self.weights.clone();
        parameters.push(self.bias.clone());
        parameters
    }

    fn zero_grad(&self) {
        // without collecting `parameters()`: no handles to clone and drop
        zero_gradients(&self.weights);
        self.bias.zero_grad();
    }
}

/// A layer of neurons that all see the same inputs.
///
/// Its neurons' parameters are consecutive nodes, neuron after neuron (made so by `new`), which
/// lets an `Mlp` record a whole forward pass at once; the field is private to keep it so.
#[derive(Clone, Debug)]
pub struct Layer {
    neurons: Vec<Neuron>,
}

impl Layer {
    /// The layer's neurons, one per output.
    pub fn neurons(&self) -> &[Neuron] {
        &self.neurons
    }

    /// A layer of `outputs` neurons with `inputs` weights each.
    pub fn new(
        inputs: usize,
        outputs: usize,
        activation: Activation,
        init: Init,
        rng: &mut impl Rng,
    ) -> Layer {
        Layer {
            neurons: (0..outputs)
                .map(|_| Neuron::new(inputs, outputs, activation, init, rng))
                .collect(),
        }
    }

    /// One output node per neuron (always a `Vec`, even for a single neuron).
    ///
    /// # Panics
    /// If `inputs` does not have one node per weight of each neuron.
    pub fn forward(&self, inputs: &[Node]) -> Vec<Node> {
        self.neurons.iter().map(|n| n.forward(inputs)).collect()
    }
}

impl Module for Layer {
    fn parameters(&self) -> Vec<Node> {
        self.neurons.iter().flat_map(Module::parameters).collect()
    }

    fn zero_grad(&self) {
        self.neurons.iter().for_each(Module::zero_grad);
    }
}

/// Architecture options of an [`Mlp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MlpOptions {
    /// Activation of every hidden layer (the last layer is linear).
    pub activation: Activation,
    /// How initial weights are drawn.
    pub init: Init,
}

impl Default for MlpOptions {
    /// micrograd's choice: ReLU hidden layers, weights uniform(-1, 1).
    fn default() -> MlpOptions {
        MlpOptions {
            activation: Activation::Relu,
            init: Init::Uniform,
        }
    }
}

/// A multi-layer perceptron: hidden layers with an activation, then a linear output layer.
#[derive(Clone, Debug)]
pub struct Mlp {
    layers: Vec<Layer>,
    /// The layers as one stack for `dense_layers`: worked out once, when the model is made.
    stack: Option<Vec<DenseLayer>>,
    /// Every parameter, in `parameters()` order: handed out as a slice, so a training step need
    /// not clone (and drop) a handle per parameter.
    parameters: Vec<Node>,
}

impl Mlp {
    /// micrograd's MLP: `nin` inputs, one layer per entry of `nouts` (ReLU hidden layers, a
    /// linear last layer), weights uniform(-1, 1), biases 0.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use scalargrad::nn::{Mlp, Module};
    /// let model = Mlp::new(2, &[16, 16, 1], &mut StdRng::seed_from_u64(0));
    /// assert_eq!(model.parameters().len(), 337); // (2+1)*16 + (16+1)*16 + (16+1)*1
    /// ```
    pub fn new(nin: usize, nouts: &[usize], rng: &mut impl Rng) -> Mlp {
        Mlp::with_options(nin, nouts, MlpOptions::default(), rng)
    }

    /// An MLP with the given hidden activation and initialisation.
    pub fn with_options(
        nin: usize,
        nouts: &[usize],
        options: MlpOptions,
        rng: &mut impl Rng,
    ) -> Mlp {
        let mut layers = Vec::with_capacity(nouts.len());
        let mut inputs = nin;
        for (i, &outputs) in nouts.iter().enumerate() {
            let last = i + 1 == nouts.len();
            let activation = if last {
                Activation::Linear
            } else {
                options.activation
            };
            layers.push(Layer::new(inputs, outputs, activation, options.init, rng));
            inputs = outputs;
        }
        let stack = stack_layout(&layers);
        let parameters = layers.iter().flat_map(Module::parameters).collect();
        Mlp {
            layers,
            stack,
            parameters,
        }
    }

    /// An MLP of this shape whose weights the caller overwrites at once (a loaded model, a worker
    /// thread's copy): placeholder weights drawn from a fixed seed.
    pub(crate) fn of_shape(inputs: usize, widths: &[usize], activation: Activation) -> Mlp {
        let options = MlpOptions {
            activation,
            init: Init::Uniform,
        };
        Mlp::with_options(inputs, widths, options, &mut StdRng::seed_from_u64(0))
    }

    /// Every parameter (layer by layer, neuron by neuron, weights then bias), as `parameters()`
    /// returns them, but borrowed: no handle is cloned.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use scalargrad::nn::{Mlp, Module};
    /// let model = Mlp::new(2, &[3, 1], &mut StdRng::seed_from_u64(0));
    /// assert_eq!(model.parameters_borrowed().len(), 13);
    /// assert_eq!(model.parameters_borrowed()[12].value(), model.parameters()[12].value());
    /// ```
    pub fn parameters_borrowed(&self) -> &[Node] {
        &self.parameters
    }

    /// The layers, input side first.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The output nodes for one example.
    ///
    /// # Panics
    /// If `inputs` does not have one node per input of the first layer.
    pub fn forward(&self, inputs: &[Node]) -> Vec<Node> {
        // the whole network in one tape access, handles only on the outputs, when the inputs
        // are consecutive nodes (as `Node::new` makes them one after the other)
        if let Some(stack) = &self.stack
            && let Some(outputs) = dense_layers(inputs, stack)
        {
            return outputs;
        }
        let Some((first, rest)) = self.layers.split_first() else {
            return inputs.to_vec();
        };
        let mut values = first.forward(inputs);
        for layer in rest {
            values = layer.forward(&values);
        }
        values
    }

    /// The output nodes for one row of data: [`Mlp::forward`] with the row as constants
    /// ([`Node::constant`]: data takes no gradient), recorded in the same tape access as the
    /// layers. The cheapest way to feed a network an example in a training loop.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use scalargrad::{Node, nn::Mlp};
    /// let model = Mlp::new(3, &[4, 2], &mut StdRng::seed_from_u64(1));
    /// let row = [0.5, -1.0, 2.0];
    /// let constants: Vec<Node> = row.iter().map(|&x| Node::constant(x)).collect();
    /// assert_eq!(
    ///     scalargrad::engine::values(&model.forward_row(&row)),
    ///     scalargrad::engine::values(&model.forward(&constants)),
    /// );
    /// ```
    ///
    /// # Panics
    /// If `row` does not have one number per input of the first layer.
    #[track_caller]
    pub fn forward_row(&self, row: &[f64]) -> Vec<Node> {
        // one row, not a table of several (which `forward_rows` takes)
        if row.len() == self.input_count()
            && let Some(stack) = &self.stack
            && let Some(outputs) = dense_layers_on_rows(row, stack)
        {
            return outputs;
        }
        self.forward(&constants(row))
    }

    /// The output nodes for many rows of data, one after another in `rows`: [`Mlp::forward_row`]
    /// of each row, every example's outputs one after the other. A whole batch is recorded in
    /// one tape access, layer by layer ([`crate::engine::dense_layers_on_rows`]), which is cheaper
    /// than a call per example, with the same values and gradients.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use scalargrad::{engine::values, nn::Mlp};
    /// let model = Mlp::new(2, &[4, 3], &mut StdRng::seed_from_u64(1));
    /// let rows = [0.5, -1.0, 2.0, 0.25];
    /// let mut one_by_one = values(&model.forward_row(&rows[..2]));
    /// one_by_one.extend(values(&model.forward_row(&rows[2..])));
    /// assert_eq!(values(&model.forward_rows(&rows)), one_by_one);
    /// ```
    ///
    /// # Panics
    /// If `rows` is not a whole number of rows of one number per input of the first layer.
    #[track_caller]
    pub fn forward_rows(&self, rows: &[f64]) -> Vec<Node> {
        if let Some(stack) = &self.stack
            && let Some(outputs) = dense_layers_on_rows(rows, stack)
        {
            return outputs;
        }
        // layer by layer, marking into flags nobody reads (the path for any layout)
        let mut outputs = Vec::new();
        let mut nonzero = NonzeroUnits::default();
        self.forward_marking_into(StackInputs::Rows(rows), &mut nonzero, &mut outputs);
        outputs
    }

    /// The output node of a network with one output (a score, or a regression's prediction):
    /// [`Mlp::forward`] without the list around it, as micrograd's `model(x)` returns a lone
    /// output. A training loop calls it once per example, and saves an allocation each time.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use scalargrad::{Node, nn::Mlp};
    /// let model = Mlp::new(2, &[4, 1], &mut StdRng::seed_from_u64(1));
    /// let inputs = [Node::new(0.5), Node::new(-1.0)];
    /// let score = model.output(&inputs);
    /// assert_eq!(score.value(), model.forward(&inputs)[0].value());
    /// ```
    ///
    /// # Panics
    /// If the network has more than one output (use [`Mlp::forward`]), or `inputs` does not
    /// have one node per input of the first layer.
    pub fn output(&self, inputs: &[Node]) -> Node {
        let outputs = self.output_count();
        assert_eq!(
            outputs, 1,
            "Mlp::output: the network has {outputs} outputs; Mlp::forward returns them all"
        );
        if let Some(stack) = &self.stack
            && let Some(output) = dense_layers_single(inputs, stack)
        {
            return output;
        }
        self.forward(inputs).remove(0)
    }

    /// Like [`Mlp::forward`], and marks in `nonzero` each hidden neuron whose value is not 0 on
    /// this example: which ReLU units are alive, read off the forward pass itself.
    ///
    /// # Panics
    /// As [`Mlp::forward`].
    pub fn forward_marking(&self, inputs: &[Node], nonzero: &mut NonzeroUnits) -> Vec<Node> {
        let mut outputs = Vec::new();
        self.forward_marking_into(StackInputs::Nodes(inputs), nonzero, &mut outputs);
        outputs
    }

    /// [`Mlp::forward_marking`] of given nodes (one example) or of rows of data (as
    /// [`Mlp::forward_rows`]), appending the outputs to `outputs`, example after example.
    ///
    /// # Panics
    /// As [`Mlp::forward`] (for rows: as [`Mlp::forward_rows`]).
    pub(crate) fn forward_marking_into(
        &self,
        inputs: StackInputs<'_>,
        nonzero: &mut NonzeroUnits,
        outputs: &mut Vec<Node>,
    ) {
        // nodes are reported as made here, as by `forward`
        let location = std::panic::Location::caller();
        if let Some(stack) = &self.stack
            && dense_layers_marking_into(inputs, stack, nonzero, outputs, location).is_some()
        {
            return;
        }
        match inputs {
            StackInputs::Nodes(nodes) => self.forward_layer_by_layer(nodes, nonzero, outputs),
            // a model of no layers passes its inputs through
            StackInputs::Rows(table) if self.layers.is_empty() => outputs.extend(constants(table)),
            StackInputs::Rows(table) => {
                let width = self.input_count();
                if width == 0 {
                    // rows of no numbers: how many there are cannot be told, so none
                    return;
                }
                assert!(
                    table.len().is_multiple_of(width),
                    "scalargrad::nn::Mlp: {} numbers are not whole rows of {width} inputs",
                    table.len()
                );
                for row in table.chunks(width) {
                    self.forward_layer_by_layer(&constants(row), nonzero, outputs);
                }
            }
        }
    }

    /// `forward_marking_into` of one example, a layer at a time (where the layers are not one
    /// stack).
    ///
    /// # Panics
    /// As [`Mlp::forward`].
    #[track_caller]
    fn forward_layer_by_layer(
        &self,
        inputs: &[Node],
        nonzero: &mut NonzeroUnits,
        outputs: &mut Vec<Node>,
    ) {
        let Some((first, rest)) = self.layers.split_first() else {
            outputs.extend_from_slice(inputs);
            return;
        };
        // every layer's neurons but the last layer's
        nonzero.cover(
            self.layers[..self.layers.len() - 1]
                .iter()
                .map(|l| l.neurons.len())
                .sum(),
        );
        let mut nodes = first.forward(inputs);
        let mut offset = 0;
        for layer in rest {
            nonzero.mark(offset, &values(&nodes));
            offset += nodes.len();
            nodes = layer.forward(&nodes);
        }
        outputs.extend(nodes);
    }

    /// Number of inputs of the first layer.
    pub fn input_count(&self) -> usize {
        self.layers
            .first()
            .and_then(|layer| layer.neurons.first())
            .map_or(0, |neuron| neuron.weights.len())
    }

    /// Number of outputs: the last layer's neurons (0 for a model of no layers, which passes
    /// whatever inputs it is given through).
    pub fn output_count(&self) -> usize {
        self.layers.last().map_or(0, |layer| layer.neurons.len())
    }

    /// Number of neurons of each layer, input side first.
    pub fn widths(&self) -> Vec<usize> {
        self.layers
            .iter()
            .map(|layer| layer.neurons.len())
            .collect()
    }

    /// The hidden layers' activation (that of the first layer; `Linear` for a one-layer model).
    pub fn hidden_activation(&self) -> Activation {
        self.layers
            .first()
            .and_then(|layer| layer.neurons.first())
            .map_or(Activation::Linear, |neuron| neuron.activation)
    }
}

impl Module for Mlp {
    fn parameters(&self) -> Vec<Node> {
        self.parameters.clone()
    }

    fn zero_grad(&self) {
        zero_gradients(&self.parameters);
    }
}

/// A row of data as constants, one after the other (where a stack cannot take the row itself).
fn constants(row: &[f64]) -> Vec<Node> {
    row.iter().map(|&x| Node::constant(x)).collect()
}

/// The layers as one stack for `dense_layers`, if each layer's parameters are consecutive nodes
/// (neuron after neuron, as `Layer::new` makes them) with one activation and width; `None`
/// otherwise (then `forward` goes layer by layer).
fn stack_layout(layers: &[Layer]) -> Option<Vec<DenseLayer>> {
    let stack: Option<Vec<DenseLayer>> = layers
        .iter()
        .map(|layer| {
            let first = layer.neurons.first()?;
            let uniform = layer.neurons.iter().all(|n| {
                n.activation == first.activation && n.weights.len() == first.weights.len()
            });
            // a layer too wide for a node index gets `None` and goes layer by layer, where
            // `neuron` refuses it with a clear message
            uniform
                .then(|| {
                    DenseLayer::new(&layer.parameters(), first.weights.len(), first.activation)
                })
                .flatten()
        })
        .collect();
    stack.filter(|stack| !stack.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn init_draws_in_range_and_is_seeded() {
        let mut rng = StdRng::seed_from_u64(3);
        let a = Mlp::with_options(
            4,
            &[8, 1],
            MlpOptions {
                activation: Activation::Tanh,
                init: Init::Glorot,
            },
            &mut rng,
        );
        let bound = (6.0f64 / 12.0).sqrt();
        assert!(
            a.layers[0]
                .neurons
                .iter()
                .flat_map(|n| &n.weights)
                .all(|w| w.value().abs() < bound)
        );
        let b = Mlp::with_options(
            4,
            &[8, 1],
            MlpOptions {
                activation: Activation::Tanh,
                init: Init::Glorot,
            },
            &mut StdRng::seed_from_u64(3),
        );
        let values = |m: &Mlp| m.parameters().iter().map(Node::value).collect::<Vec<_>>();
        assert_eq!(values(&a), values(&b));
        assert_eq!(a.hidden_activation(), Activation::Tanh);
        assert_eq!(a.layers[1].neurons[0].activation, Activation::Linear);
    }
}
