//! One example's graph: its loss through the model, labelled, after backward.

use crate::engine::Node;
use crate::model::Model;
use crate::nn::loss::labels_for_loss;

/// The graph of one example's loss (no penalty) through `model`, with labelled parameters,
/// inputs, outputs and loss, after a backward pass: for drawing with `engine::to_dot`. `row`
/// holds one value per column, `label` the example's class index (or target).
pub fn example_graph(model: &Model, row: &[f64], label: f64) -> Node {
    // name the parameters as a reader would: w[layer][neuron][input], b[layer][neuron]
    for (l, layer) in model.network.layers().iter().enumerate() {
        for (k, neuron) in layer.neurons().iter().enumerate() {
            for (j, weight) in neuron.weights().iter().enumerate() {
                let _ = weight.clone().with_label(format!("w[{l}][{k}][{j}]"));
            }
            let _ = neuron.bias().clone().with_label(format!("b[{l}][{k}]"));
        }
    }
    let inputs: Vec<Node> = model
        .inputs
        .of(row)
        .into_iter()
        .zip(model.inputs.feature_names())
        .map(|(x, name)| Node::new(x).with_label(name))
        .collect();
    // layer by layer, to name each hidden neuron's output h[layer][neuron]
    let layers = model.network.layers();
    let mut outputs = inputs;
    for (l, layer) in layers.iter().enumerate() {
        outputs = layer.forward(&outputs);
        if l + 1 < layers.len() {
            outputs = outputs
                .into_iter()
                .enumerate()
                .map(|(k, h)| h.with_label(format!("h[{l}][{k}]")))
                .collect();
        }
    }
    let outputs: Vec<Node> = if outputs.len() == 1 {
        outputs.into_iter().map(|o| o.with_label("score")).collect()
    } else {
        let names = model.class_names.iter();
        outputs
            .into_iter()
            .zip(names)
            .map(|(o, name)| o.with_label(format!("score {name}")))
            .collect()
    };
    let label = labels_for_loss(&[label], model.classes())[0];
    let total = model.loss.of_example(&outputs, label).with_label("loss");
    total.backward();
    total
}
