//! One training step's gradient: examples as the network sees them, the objective of a batch
//! (or of one thread's share of it), zero_grad and backward.

use super::Workers;
use crate::data::Dataset;
use crate::engine::{
    Anomaly, Node, NonzeroUnits, StackInputs, detect_anomalies, take_anomaly, tape_length, values,
};
use crate::inputs::Inputs;
use crate::nn::loss::{Loss, Penalty, labels_for_loss};
use crate::nn::{Activation, Mlp, Module};

/// What a training step minimises: the mean loss over the batch plus the penalty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Objective {
    /// The loss of each example.
    pub loss: Loss,
    /// The regularisation added once per batch.
    pub penalty: Penalty,
}

/// Examples as the network sees them: each row's inputs (`width` numbers, example after
/// example) and its label as the loss takes it (`nn::loss::label_of_class`).
#[derive(Clone, Debug, PartialEq)]
pub struct Examples {
    /// The inputs, `width` per example.
    pub inputs: Vec<f64>,
    /// Inputs per example.
    pub width: usize,
    /// One label per example.
    pub labels: Vec<f64>,
}

impl Examples {
    /// The examples of `data` through `inputs`.
    pub fn encode(inputs: &Inputs, data: &Dataset) -> Examples {
        let mut encoded = Vec::with_capacity(data.len() * inputs.len());
        for row in data.rows() {
            inputs.extend(row, &mut encoded);
        }
        Examples {
            inputs: encoded,
            width: inputs.len(),
            labels: labels_for_loss(&data.labels, data.classes()),
        }
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The examples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Examples {
        let width = self.width;
        // a row at a time (a flattening iterator copies one number at a time: 5% of a digits
        // step under perf)
        let mut inputs = Vec::with_capacity(indices.len() * width);
        for &i in indices {
            inputs.extend_from_slice(&self.inputs[i * width..(i + 1) * width]);
        }
        Examples {
            inputs,
            width,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }

    /// Every `count`-th example from `first` (a thread's share of a batch).
    pub(super) fn every(&self, first: usize, count: usize) -> Examples {
        let indices: Vec<usize> = (first..self.len()).step_by(count).collect();
        self.subset(&indices)
    }
}

/// The outputs of every example of `inputs` (`width` numbers each, each example's row recorded
/// as constants: data takes no gradient) as nodes, example after example.
///
/// # Panics
/// If `width` is not the network's number of inputs, or `inputs` is not a whole number of rows.
pub fn outputs(network: &Mlp, inputs: &[f64], width: usize) -> Vec<Node> {
    // a model of no layers takes rows of any width
    assert!(
        network.layers().is_empty() || width == network.input_count(),
        "train::outputs: rows of {width} for a network of {} inputs",
        network.input_count()
    );
    network.forward_rows(inputs)
}

/// `outputs`, also marking in `nonzero` each hidden neuron that is not 0 on some example: the
/// whole batch in one call, recorded layer by layer (`Mlp::forward_rows`).
fn outputs_marking(network: &Mlp, inputs: &[f64], nonzero: &mut NonzeroUnits) -> Vec<Node> {
    let mut all = Vec::new();
    network.forward_marking_into(StackInputs::Rows(inputs), nonzero, &mut all);
    all
}

/// The fraction of hidden units that are 0 on every example: of a ReLU network, from the flags
/// `outputs_marking` set (NaN for other activations or no hidden layer).
pub(super) fn dead_fraction(network: &Mlp, nonzero: &[bool]) -> f64 {
    if network.hidden_activation() != Activation::Relu || nonzero.is_empty() {
        return f64::NAN;
    }
    nonzero.iter().filter(|&&alive| !alive).count() as f64 / nonzero.len() as f64
}

/// What `batch_gradient` measured.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchGradient {
    /// The training objective: mean loss over the batch plus the penalty.
    pub loss: f64,
    /// The model's outputs for each example of the batch, example after example.
    pub outputs: Vec<f64>,
    /// Nodes recorded for this batch, on all threads together.
    pub nodes: usize,
    /// Per hidden neuron (layer after layer): whether it was not 0 on some example.
    pub nonzero: Vec<bool>,
}

/// Why training could not go on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TrainError {
    /// A helper thread of `Workers` stopped (it panicked), so its share of a batch is missing.
    #[error("a training worker thread stopped unexpectedly; run again with --threads 1")]
    WorkerStopped,
}

/// One share of a batch, and the part of the batch's mean it makes up.
pub(super) struct Share<'a> {
    pub(super) examples: &'a Examples,
    /// This share's examples over the batch's: the share's mean loss times this is its part of
    /// the batch's mean loss (1 for a whole batch).
    pub(super) weight: f64,
    /// Whether the penalty is added here (on exactly one share of a batch).
    pub(super) with_penalty: bool,
}

/// A share's part of the objective and its gradient: what one thread computed.
#[derive(Clone)]
pub(super) struct ShareGradient {
    pub(super) loss: f64,
    pub(super) outputs: Vec<f64>,
    pub(super) nodes: usize,
    /// Per hidden neuron: not 0 on some example of the share.
    pub(super) nonzero: Vec<bool>,
}

/// The training step's gradient, written once for every path (one thread, each worker thread,
/// the anomaly re-run): builds the share's part of the objective, then zero_grad and backward,
/// leaving d(part)/d(p) in each of `network`'s parameters.
///
/// # Panics
/// If the share has no examples.
pub(super) fn share_gradient(
    objective: Objective,
    network: &Mlp,
    share: &Share<'_>,
) -> ShareGradient {
    let before = tape_length();
    let examples = share.examples;
    let mut nonzero = NonzeroUnits::default();
    let outputs = outputs_marking(network, &examples.inputs, &mut nonzero);
    let width = outputs.len() / examples.len();
    let mut part = objective
        .loss
        .mean_of_outputs(&outputs, width, &examples.labels);
    if share.weight != 1.0 {
        part *= share.weight;
    }
    if share.with_penalty
        && let Some(term) = objective.penalty.term(network.parameters_borrowed())
    {
        part += term;
    }
    let nodes = tape_length() - before;
    network.zero_grad();
    part.backward();
    let outputs_values = values(&outputs);
    Node::drop_all(outputs);
    ShareGradient {
        loss: part.value(),
        outputs: outputs_values,
        nodes,
        nonzero: nonzero.flags(),
    }
}

/// Computes the training objective on `batch` and its gradient, leaving d(objective)/d(p) in
/// each parameter's `.grad` (reset first), ready for an optimizer step.
///
/// With `workers`, the examples are split into shares: one for this thread, one for each helper
/// thread, which builds the graph of its share on its own copy of the network; the gradients are
/// added up here. The result is the same as on one thread up to the order of the additions (the
/// last bits).
///
/// # Errors
/// `TrainError::WorkerStopped` if a helper thread has stopped.
///
/// # Panics
/// If `batch` is empty.
pub fn batch_gradient(
    objective: Objective,
    network: &Mlp,
    batch: &Examples,
    workers: Option<&Workers>,
) -> Result<BatchGradient, TrainError> {
    assert!(
        !batch.is_empty(),
        "batch_gradient needs at least one example"
    );
    let Some(workers) = workers else {
        let whole = Share {
            examples: batch,
            weight: 1.0,
            with_penalty: true,
        };
        let gradient = share_gradient(objective, network, &whole);
        return Ok(BatchGradient {
            loss: gradient.loss,
            outputs: gradient.outputs,
            nodes: gradient.nodes,
            nonzero: gradient.nonzero,
        });
    };
    workers.batch_gradient(objective, network, batch)
}

/// Runs the training step of `batch` again with anomaly detection on, and returns the first node
/// whose value (or gradient) became NaN or infinite.
pub(super) fn first_anomaly(
    objective: Objective,
    network: &Mlp,
    batch: &Examples,
) -> Option<Anomaly> {
    detect_anomalies(true);
    let _ = take_anomaly();
    let whole = Share {
        examples: batch,
        weight: 1.0,
        with_penalty: true,
    };
    share_gradient(objective, network, &whole);
    let found = take_anomaly();
    detect_anomalies(false);
    found
}
