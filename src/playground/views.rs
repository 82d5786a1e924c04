//! The JSON views a page draws: the map and tiles, the network, the points, the whole state, a
//! point's graph and an explained gradient.

use serde_json::{Value, json};

use super::cost::MAX_TERMS;
use super::{MAP_SIZE, Session, TILE_SIZE};
use crate::data::{Dataset, ImageShape, Task};
use crate::engine::{
    Contribution, Detail, Graph, GraphNodeKind, Node, gradients, graph, record_contributions,
    take_contributions, with_gradients_set_aside,
};
use crate::inputs::Feature;
use crate::train::{Measures, example_graph, measure};
use crate::view::{self, MapCell};

/// The measure shown beside a loss: accuracy for classification, RMSE for regression.
pub(super) fn metric(measures: &Measures, task: Task) -> f64 {
    match task {
        Task::Classification => measures.accuracy,
        Task::Regression => measures.rmse,
    }
}

/// A number for JSON: finite numbers as they are, NaN and infinities as null.
pub(super) fn number(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

/// A number rounded to 4 decimals (for the map: what the page colours, not what it reports).
fn rounded(x: f64) -> Value {
    number((x * 1e4).round() / 1e4)
}

impl Session {
    /// The decision map (or regression surface) and every neuron's tile, over the plane (two
    /// columns of the data, the others at their training mean): the expensive part of a state,
    /// computed for each redraw. A map cell is `[class, confidence in percent]` for a
    /// classifier, the prediction for a regression; a tile's cells are its unit's values scaled
    /// to -100..100 by its largest magnitude (`scale`).
    pub fn view(&self) -> Value {
        let model = self.trainer.model();
        let map: Vec<Value> = view::map(model, &self.plane, MAP_SIZE)
            .into_iter()
            .map(|cell| match cell {
                MapCell::Class { class, confidence } => {
                    json!([class, (100.0 * confidence).round()])
                }
                MapCell::Value(value) => rounded(value),
            })
            .collect();
        let mut grids = view::unit_grids(model, &self.plane, TILE_SIZE);
        if let Some(shape) = self.image_inputs() {
            // inputs that are pixels: each input's tile marks its pixel, and each first-layer
            // unit's tile is its weights drawn as the image (what it looks for)
            let pixel_of = |cell: usize, shape: ImageShape| {
                let (row, column) = (cell / TILE_SIZE, cell % TILE_SIZE);
                (row * shape.height / TILE_SIZE) * shape.width + column * shape.width / TILE_SIZE
            };
            let cells = TILE_SIZE * TILE_SIZE;
            grids[0] = (0..shape.width * shape.height)
                .map(|input| {
                    (0..cells)
                        .map(|c| {
                            if pixel_of(c, shape) == input {
                                1.0
                            } else {
                                0.0
                            }
                        })
                        .collect()
                })
                .collect();
            if let Some(first) = model.network.layers().first() {
                grids[1] = first
                    .neurons()
                    .iter()
                    .map(|neuron| {
                        let weights: Vec<f64> = neuron.weights().iter().map(Node::value).collect();
                        (0..cells).map(|c| weights[pixel_of(c, shape)]).collect()
                    })
                    .collect();
            }
        }
        let tiles: Vec<Vec<Value>> = grids
            .iter()
            .map(|column| {
                column
                    .iter()
                    .map(|values| {
                        let scale = view::reach(values.iter().copied());
                        let cells: Vec<i64> = values
                            .iter()
                            .map(|v| (v / scale * 100.0).round().clamp(-100.0, 100.0) as i64)
                            .collect();
                        json!({"scale": number(scale), "cells": cells})
                    })
                    .collect()
            })
            .collect();
        let plane = &self.plane;
        json!({
            "extent": [plane.x.0, plane.x.1, plane.y.0, plane.y.1],
            "axes": [plane.x_name(), plane.y_name()],
            "title": plane.title(),
            "map_size": MAP_SIZE,
            "map": map,
            "tile_size": TILE_SIZE,
            "tiles": tiles,
            "classes": model.classes(),
        })
    }

    /// The image the network's inputs are, when they are the data's columns and those are an
    /// image's pixels (named `r0c0 ..`): its tiles show pixels and weight images then.
    pub(super) fn image_inputs(&self) -> Option<ImageShape> {
        let shape = ImageShape::of_columns(&self.train.columns)?;
        (self.trainer.model().inputs.feature_names() == self.train.columns).then_some(shape)
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
        // the features this data offers (TF Playground's seven on two columns), for toggling
        let offered: Vec<String> = Feature::offered(self.train.width())
            .into_iter()
            .map(|f| f.name(&self.train.columns))
            .collect();
        json!({
            "features": model.inputs.feature_names(),
            "offered": offered,
            "activation": model.network.hidden_activation(),
            "layers": layers,
        })
    }

    /// The points, for drawing: `[x, y, label]` each, where the point lies on the plane and its
    /// class (or target); the class names, and the data's columns.
    pub fn points(&self) -> Value {
        let rows = |data: &Dataset| -> Vec<Value> {
            data.rows()
                .zip(&data.labels)
                .map(|(row, &label)| {
                    let (x, y) = self.plane.position(row);
                    json!([number(x), number(y), number(label)])
                })
                .collect()
        };
        json!({
            "version": self.data_version,
            "train": rows(&self.train),
            "test": rows(&self.test),
            "class_names": self.train.class_names,
            "columns": self.train.columns,
        })
    }

    /// Everything the page shows, as JSON: the step, losses and metrics, curve points after step
    /// `since`, the confusion matrix, the network, the map and tiles, a divergence; the points
    /// too when the page's `data_version` is not the current one.
    pub fn state(&self, since: Option<usize>, data_version: u64) -> Value {
        let model = self.trainer.model();
        let task = self.train.task();
        let on_train = measure(model, self.config.penalty(), &self.train);
        let on_test = measure(model, self.config.penalty(), &self.test);
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
                    number(p.train_metric),
                    number(p.test_metric)
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
            "train_metric": number(metric(&on_train, task)),
            "test_metric": number(metric(&on_test, task)),
            "confusion": confusion,
            "confusion_of": if self.test.is_empty() { "train" } else { "test" },
            "curve": curve,
            "network": self.network(),
            "view": self.view(),
            "image": self.image_inputs().map(|shape| [shape.width, shape.height]),
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
        let Some(&label) = self.train.labels.get(index) else {
            return Err(format!(
                "point: there are {} training points (0 to {})",
                self.train.len(),
                self.train.len().saturating_sub(1)
            ));
        };
        // the example's backward adds to the parameters' gradients, which hold the last
        // step's: the graph shows this example's alone, and the step's are kept
        let parameters = self.trainer.model().network.parameters_borrowed();
        let (loss, drawn, contributions) = with_gradients_set_aside(parameters, || {
            // every edge of the example's backward pass, in the order it is applied
            record_contributions(true);
            let loss = example_graph(self.trainer.model(), self.train.row(index), label);
            let contributions = take_contributions();
            record_contributions(false);
            let drawn = graph(&loss, Detail::Auto);
            (loss, drawn, contributions)
        });
        let backward = backward_steps(&drawn, &contributions);
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
            "point": self.train.row(index).iter().map(|&v| number(v)).collect::<Vec<Value>>(),
            "columns": self.train.columns,
            "label": number(label),
            "loss": number(loss.value()),
            "nodes": nodes,
            "edges": edges,
            "backward": backward,
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
            .explain_last_step(node)
            .ok_or("no step taken yet: press Step first")?;
        // the answer lists at most MAX_TERMS terms; the rest are counted and summed
        let listed = explanation.contributions.len().min(MAX_TERMS);
        let (shown, rest) = explanation.contributions.split_at(listed);
        let terms: Vec<Value> = shown
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
            "more_terms": rest.len(),
            "more_sum": number(rest.iter().map(|c| c.product).sum()),
            "batch": Session::batch(&self.config, &self.train),
        }))
    }
}

/// Terms listed per backward step (a layer's step in a summary has one per weight).
const TERMS_PER_STEP: usize = 8;

/// A backward pass as steps on the drawing: consecutive edges whose user is drawn in the same
/// box make one step (node by node in a full drawing, layer by layer in a summary), each with
/// the boxes its gradient flows into and its first terms (`local x upstream = product`).
fn backward_steps(drawn: &Graph, contributions: &[Contribution]) -> Vec<Value> {
    let mut steps: Vec<(String, Vec<String>, Vec<Value>, usize)> = Vec::new();
    for contribution in contributions {
        let (Some(from), Some(to)) = (
            drawn.drawn_in.get(&contribution.consumer_id),
            drawn.drawn_in.get(&contribution.target_id()),
        ) else {
            continue;
        };
        if steps.last().is_none_or(|(box_id, ..)| box_id != from) {
            steps.push((from.clone(), Vec::new(), Vec::new(), 0));
        }
        let (_, into, terms, more) = steps.last_mut().expect("a step was just pushed");
        if to != from && !into.contains(to) {
            into.push(to.clone());
        }
        if terms.len() < TERMS_PER_STEP {
            terms.push(json!({
                "to": to,
                "local": number(contribution.local),
                "upstream": number(contribution.upstream),
                "product": number(contribution.product),
            }));
        } else {
            *more += 1;
        }
    }
    steps
        .into_iter()
        .map(|(box_id, into, terms, more)| json!({ "box": box_id, "into": into, "terms": terms, "more": more }))
        .collect()
}
