//! The JSON views a page draws: the map and tiles, the network, the points, the whole state, a
//! point's graph and an explained gradient.

use serde_json::{Value, json};

use super::{MAP_SIZE, Session, TILE_SIZE};
use crate::data::{Dataset, Task, class_index};
use crate::engine::{Detail, GraphNodeKind, Node, gradients, graph, with_gradients_set_aside};
use crate::nn::metrics::predicted_class;
use crate::train::{Measures, example_graph, measure};

/// The score shown beside a loss: accuracy for classification, RMSE for regression.
pub(super) fn score(measures: &Measures, task: Task) -> f64 {
    match task {
        Task::Classification => measures.accuracy,
        Task::Regression => measures.rmse,
    }
}

/// A number for JSON: finite numbers as they are, NaN and infinities as null.
fn number(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

/// A number rounded to 4 decimals (for the map: what the page colours, not what it reports).
fn rounded(x: f64) -> Value {
    number((x * 1e4).round() / 1e4)
}

impl Session {
    /// The square the map covers: the data's bounding box, padded, as (x1 low, x1 high, x2
    /// low, x2 high); a unit square around the data where its spread is 0 or not finite.
    pub(super) fn extent(&self) -> [f64; 4] {
        let mut bounds = [
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for p in self.train.points.iter().chain(&self.test.points) {
            bounds[0] = bounds[0].min(p[0]);
            bounds[1] = bounds[1].max(p[0]);
            bounds[2] = bounds[2].min(p[1]);
            bounds[3] = bounds[3].max(p[1]);
        }
        let mut extent = [0.0; 4];
        for axis in 0..2 {
            let (low, high) = (bounds[2 * axis], bounds[2 * axis + 1]);
            let middle = low / 2.0 + high / 2.0;
            let half = (high / 2.0 - low / 2.0) * 1.15;
            let half = if half.is_finite() && half > 1e-9 * middle.abs().max(1.0) && half < 1e300 {
                half
            } else {
                1.0
            };
            let middle = if middle.is_finite() { middle } else { 0.0 };
            extent[2 * axis] = middle - half;
            extent[2 * axis + 1] = middle + half;
        }
        extent
    }

    /// The decision map (or regression surface) and every neuron's tile, over the data's
    /// bounding box (padded): the expensive part of a state, computed for each redraw.
    pub fn view(&self) -> Value {
        let model = self.trainer.model();
        let predictor = model.network.predictor();
        let extent = self.extent();
        let at = |i: usize, j: usize, size: usize| -> [f64; 2] {
            let fraction = |k: usize| (k as f64 + 0.5) / size as f64;
            [
                extent[0] + (extent[1] - extent[0]) * fraction(i),
                // row 0 is the top of the picture: the largest x2
                extent[3] - (extent[3] - extent[2]) * fraction(j),
            ]
        };
        let classes = model.classes();
        let mut map = Vec::with_capacity(MAP_SIZE * MAP_SIZE);
        for j in 0..MAP_SIZE {
            for i in 0..MAP_SIZE {
                let outputs = predictor.predict(&model.inputs.of(at(i, j, MAP_SIZE)));
                map.push(if outputs.len() == 1 {
                    rounded(outputs[0])
                } else {
                    // K classes: the class, and how sure (its softmax probability)
                    let class = predicted_class(&outputs);
                    let top = outputs[class];
                    let total: f64 = outputs.iter().map(|z| (z - top).exp()).sum();
                    json!([class, (100.0 / total).round()])
                });
            }
        }
        // tiles: each feature, each hidden neuron, each output, scaled to -100..100 by its
        // largest magnitude
        let mut tiles: Vec<Vec<Vec<f64>>> = Vec::new();
        for j in 0..TILE_SIZE {
            for i in 0..TILE_SIZE {
                let inputs = model.inputs.of(at(i, j, TILE_SIZE));
                let mut layers = vec![inputs.clone()];
                layers.extend(predictor.layer_outputs(&inputs));
                if tiles.is_empty() {
                    tiles = layers.iter().map(|l| vec![Vec::new(); l.len()]).collect();
                }
                for (layer, values) in layers.iter().enumerate() {
                    for (k, &v) in values.iter().enumerate() {
                        tiles[layer][k].push(v);
                    }
                }
            }
        }
        let tiles: Vec<Vec<Value>> = tiles
            .iter()
            .map(|layer| {
                layer
                    .iter()
                    .map(|values| {
                        let largest = values
                            .iter()
                            .filter(|v| v.is_finite())
                            .fold(0.0_f64, |m, v| m.max(v.abs()));
                        let scale = if largest > 0.0 { largest } else { 1.0 };
                        let cells: Vec<i64> = values
                            .iter()
                            .map(|v| (v / scale * 100.0).round().clamp(-100.0, 100.0) as i64)
                            .collect();
                        json!({"scale": number(largest), "cells": cells})
                    })
                    .collect()
            })
            .collect();
        json!({
            "extent": extent,
            "map_size": MAP_SIZE,
            "map": map,
            "tile_size": TILE_SIZE,
            "tiles": tiles,
            "classes": classes,
        })
    }

    /// The network's weights and the last step's gradients: `layers[l][k]` is neuron k of layer
    /// l with its `weights` (one per input), `bias`, and their `grads` (bias last).
    pub(super) fn network(&self) -> Value {
        let model = self.trainer.model();
        let layers: Vec<Value> = model
            .network
            .layers()
            .iter()
            .map(|layer| {
                let neurons: Vec<Value> = layer
                    .neurons()
                    .iter()
                    .map(|neuron| {
                        let weights: Vec<Value> =
                            neuron.weights().iter().map(|w| number(w.value())).collect();
                        let mut grads: Vec<Value> =
                            gradients(neuron.weights()).into_iter().map(number).collect();
                        grads.push(number(neuron.bias().grad()));
                        json!({"weights": weights, "bias": number(neuron.bias().value()), "grads": grads})
                    })
                    .collect();
                Value::Array(neurons)
            })
            .collect();
        let features: Vec<&str> = model.inputs.features.iter().map(|f| f.name()).collect();
        json!({
            "features": features,
            "activation": model.network.hidden_activation(),
            "layers": layers,
        })
    }

    /// The points, for drawing: `[x1, x2, label]` each, and the class names.
    pub fn points(&self) -> Value {
        let rows = |data: &Dataset| -> Vec<Value> {
            data.points
                .iter()
                .zip(&data.labels)
                .map(|(p, &y)| {
                    let label = if data.classes() == 0 {
                        number(y)
                    } else {
                        json!(class_index(y, data.classes()))
                    };
                    json!([number(p[0]), number(p[1]), label])
                })
                .collect()
        };
        json!({
            "version": self.data_version,
            "train": rows(&self.train),
            "test": rows(&self.test),
            "class_names": self.train.label_names,
        })
    }

    /// Everything the page shows, as JSON: the step, losses and scores, curve points after step
    /// `since`, the confusion matrix, the network, the map and tiles, a divergence; the points
    /// too when the page's `data_version` is not the current one.
    pub fn state(&self, since: Option<usize>, data_version: u64) -> Value {
        let model = self.trainer.model();
        let task = self.train.task();
        let on_train = measure(&self.config, model, &self.train);
        let on_test = measure(&self.config, model, &self.test);
        let curve: Vec<Value> = self
            .curve
            .rows
            .iter()
            .filter(|(step, _)| since.is_none_or(|s| *step > s))
            .map(|(step, p)| {
                json!([
                    step,
                    number(p.train_loss),
                    number(p.test_loss),
                    number(p.train_score),
                    number(p.test_score)
                ])
            })
            .collect();
        let confusion = if self.test.is_empty() {
            &on_train.confusion
        } else {
            &on_test.confusion
        };
        let diverged = self
            .diverged
            .as_ref()
            .map(|d| json!({"step": d.step, "anomaly": d.anomaly, "suggestion": d.suggestion}));
        let mut state = json!({
            "step": self.steps_done(),
            "task": task,
            "loss_name": self.config.loss,
            "train_loss": number(on_train.loss),
            "test_loss": number(on_test.loss),
            "train_score": number(score(&on_train, task)),
            "test_score": number(score(&on_test, task)),
            "confusion": confusion,
            "confusion_of": if self.test.is_empty() { "train" } else { "test" },
            "curve": curve,
            "network": self.network(),
            "view": self.view(),
            "diverged": diverged,
            "data_version": self.data_version,
            "settings": self.settings,
        });
        if data_version != self.data_version {
            state["points"] = self.points();
        }
        state
    }

    /// The computation graph of training point `index`'s loss through the current network,
    /// after its backward pass: every value and gradient (summarised per layer for large
    /// networks, as `--graph` does), as nodes and edges for the page to draw.
    ///
    /// # Errors
    /// If there is no training point `index`.
    pub fn point_graph(&self, index: usize) -> Result<Value, String> {
        let (Some(&point), Some(&label)) =
            (self.train.points.get(index), self.train.labels.get(index))
        else {
            return Err(format!(
                "point: there are {} training points (0 to {})",
                self.train.len(),
                self.train.len().saturating_sub(1)
            ));
        };
        // the example's backward adds to the parameters' gradients, which hold the last
        // step's: the graph shows this example's alone, and the step's are kept
        let parameters = self.trainer.model().network.parameters_borrowed();
        let (loss, drawn) = with_gradients_set_aside(parameters, || {
            let loss = example_graph(self.trainer.model(), point, label);
            let drawn = graph(&loss, Detail::Auto);
            (loss, drawn)
        });
        let nodes: Vec<Value> = drawn
            .nodes
            .iter()
            .map(|node| match &node.kind {
                GraphNodeKind::Value { title, value, grad } => json!({
                    "id": node.id, "kind": "value", "title": title,
                    "value": number(*value), "grad": number(*grad),
                }),
                GraphNodeKind::Op { label, makes } => json!({
                    "id": node.id, "kind": "op", "title": label, "makes": makes,
                }),
                GraphNodeKind::Layer { title, neurons, op, inputs, parameters, values, grads } => json!({
                    "id": node.id, "kind": "layer",
                    "title": format!("{title}{}layer: {neurons} x {op}", if title.is_empty() { "" } else { " = " }),
                    "detail": format!("{inputs} inputs, {parameters} parameters"),
                    "values": [number(values.0), number(values.1)],
                    "grads": [number(grads.0), number(grads.1)],
                }),
            })
            .collect();
        let edges: Vec<Value> = drawn.edges.iter().map(|(a, b)| json!([a, b])).collect();
        Ok(json!({
            "point": [number(point[0]), number(point[1])],
            "label": number(label),
            "loss": number(loss.value()),
            "nodes": nodes,
            "edges": edges,
        }))
    }

    /// The last step's gradient of one parameter explained edge by edge: layer `layer` (0 is
    /// the first hidden layer), neuron `neuron`, the weight from input `input` or, for `None`,
    /// the bias.
    ///
    /// # Errors
    /// A parameter that does not exist, or no step taken yet.
    pub fn explain(
        &self,
        layer: usize,
        neuron: usize,
        input: Option<usize>,
    ) -> Result<Value, String> {
        let network = &self.trainer.model().network;
        let unit = network
            .layers()
            .get(layer)
            .ok_or_else(|| {
                format!(
                    "layer: the network has layers 0 to {}",
                    network.layers().len() - 1
                )
            })?
            .neurons()
            .get(neuron)
            .ok_or_else(|| {
                format!(
                    "neuron: layer {layer} has neurons 0 to {}",
                    network.layers()[layer].neurons().len() - 1
                )
            })?;
        let (node, name): (&Node, String) = match input {
            None => (
                unit.bias(),
                format!("bias of neuron {neuron} in layer {layer}"),
            ),
            Some(j) => (
                unit.weights().get(j).ok_or_else(|| {
                    format!(
                        "input: neuron {neuron} has inputs 0 to {}",
                        unit.weights().len() - 1
                    )
                })?,
                format!("weight from input {j} to neuron {neuron} in layer {layer}"),
            ),
        };
        let explanation = self
            .trainer
            .explain_last_step(&self.config, node)
            .ok_or("no step taken yet: press Step first")?;
        let terms: Vec<Value> = explanation
            .contributions
            .iter()
            .map(|c| {
                json!({"via": c.consumer, "op": c.consumer_op, "local": number(c.local), "upstream": number(c.upstream), "product": number(c.product)})
            })
            .collect();
        let sum: f64 = explanation.contributions.iter().map(|c| c.product).sum();
        Ok(json!({
            "parameter": name,
            "value": number(node.value()),
            "grad": number(explanation.grad),
            "terms": terms,
            "sum": number(sum + explanation.unexplained),
            "unexplained": number(explanation.unexplained),
            "batch": self.settings.batch_size.min(self.train.len()),
        }))
    }
}
