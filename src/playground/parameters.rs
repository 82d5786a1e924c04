//! Every parameter in a table: its value, gradient, the optimizer's state for it and the
//! update the last step made, ordered as the page asks.

use serde_json::{Value, json};

use super::Session;
use super::views::number;
use crate::engine::{gradients, values};
use crate::nn::optim::OptimizerKind;

/// Most rows one answer lists (the rest are counted).
pub const MAX_PARAMETER_ROWS: usize = 500;

/// How the table is ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParameterOrder {
    /// As in the network: layer by layer, neuron by neuron, weights then bias.
    Network,
    /// Largest |gradient| first.
    Gradient,
    /// Largest |update| first.
    Update,
}

impl ParameterOrder {
    /// Every order, by the name the page uses.
    pub const ALL: [(ParameterOrder, &'static str); 3] = [
        (ParameterOrder::Network, "network"),
        (ParameterOrder::Gradient, "grad"),
        (ParameterOrder::Update, "update"),
    ];

    /// The order called `name`.
    pub fn named(name: &str) -> Option<ParameterOrder> {
        ParameterOrder::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(order, _)| *order)
    }
}

impl Session {
    /// The table: up to `limit` parameters (at most [`MAX_PARAMETER_ROWS`]) in `order`, each
    /// with where it is (`layer`, `neuron`, `input`, null for the bias), `value`, `grad` (the
    /// last step's), `update` (what the last step added to it) and the optimizer's state for
    /// it (momentum's `velocity`; Adam's first moment `m` and `sqrt_v`, the root of its second).
    pub fn parameters(&self, order: ParameterOrder, limit: usize) -> Value {
        let network = &self.trainer.model().network;
        let parameters = network.parameters_borrowed();
        let now = values(parameters);
        let grads = gradients(parameters);
        let update = self.trainer.last_update();
        let state = self.trainer.optimizer_state();
        let mut places = Vec::with_capacity(parameters.len());
        for (l, layer) in network.layers().iter().enumerate() {
            for (k, neuron) in layer.neurons().iter().enumerate() {
                for j in 0..neuron.weights().len() {
                    places.push((l, k, Some(j)));
                }
                places.push((l, k, None));
            }
        }
        let mut rows: Vec<usize> = (0..parameters.len()).collect();
        let magnitude = |values: &[f64], i: usize| values.get(i).map_or(0.0, |v| v.abs());
        match order {
            ParameterOrder::Network => {}
            ParameterOrder::Gradient => {
                rows.sort_by(|&a, &b| magnitude(&grads, b).total_cmp(&magnitude(&grads, a)))
            }
            ParameterOrder::Update => {
                let updates = update.clone().unwrap_or_default();
                rows.sort_by(|&a, &b| magnitude(&updates, b).total_cmp(&magnitude(&updates, a)))
            }
        }
        let listed: Vec<Value> = rows
            .iter()
            .take(limit.min(MAX_PARAMETER_ROWS))
            .map(|&i| {
                let (layer, neuron, input) = places[i];
                let mut row = json!({
                    "layer": layer, "neuron": neuron, "input": input,
                    "value": number(now[i]), "grad": number(grads[i]),
                    "update": update.as_ref().map_or(Value::Null, |u| number(u[i])),
                });
                match state.kind {
                    OptimizerKind::Sgd => {}
                    OptimizerKind::Momentum => {
                        row["velocity"] = state.velocity.get(i).map_or(json!(0.0), |v| number(*v));
                    }
                    OptimizerKind::Adam | OptimizerKind::AdamW => {
                        row["m"] = state.first_moment.get(i).map_or(json!(0.0), |v| number(*v));
                        row["sqrt_v"] = state
                            .second_moment
                            .get(i)
                            .map_or(json!(0.0), |v| number(v.sqrt()));
                    }
                }
                row
            })
            .collect();
        json!({
            "total": parameters.len(),
            "optimizer": state.kind.name(),
            "order": ParameterOrder::ALL.iter().find(|(o, _)| *o == order).map(|(_, n)| *n),
            "rows": listed,
        })
    }
}
