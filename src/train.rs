//! The training loop: each step zero_grad, forward, loss, backward, optimizer update.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvError, Sender, TryRecvError, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rand::seq::index::sample;
use rand::{SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

use crate::data::{Dataset, Task};
use crate::engine::{
    Anomaly, Explanation, Node, NonzeroUnits, add_grads, detect_anomalies, explain, gradients,
    record_contributions, set_values, take_anomaly, tape_length, values, with_gradients_set_aside,
};
use crate::features::{Feature, Inputs, Scaling};
use crate::model::Model;
use crate::nn::loss::{self, Loss, Penalty};
use crate::nn::optim::{Optimizer, OptimizerKind, OptimizerState, Schedule};
use crate::nn::{Activation, Init, Mlp, MlpOptions, Module};

/// Everything that defines a training run (besides the data).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Widths of the hidden layers (a linear output layer follows).
    pub hidden: Vec<usize>,
    /// Hidden-layer activation.
    pub activation: Activation,
    /// Weight initialisation.
    pub init: Init,
    /// The loss (it also sets the number of outputs: see `Loss::outputs`).
    pub loss: Loss,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// Initial learning rate.
    pub lr: f64,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// Number of optimizer steps.
    pub steps: usize,
    /// Examples per step; `None` for the full training set (micrograd's demo).
    pub batch_size: Option<usize>,
    /// L2 regularisation strength alpha (the objective adds alpha * sum p^2).
    pub l2: f64,
    /// L1 regularisation strength beta (the objective adds beta * sum |p|).
    #[serde(default)]
    pub l1: f64,
    /// The network's inputs, computed from each point in this order.
    #[serde(default = "default_features")]
    pub features: Vec<Feature>,
    /// Standardise (x1, x2) to mean 0 and standard deviation 1 on the training set first.
    #[serde(default)]
    pub standardize: bool,
    /// Seed of every random choice (initial weights, batches).
    pub seed: u64,
    /// Threads that share each batch (data parallelism); 1 computes it all on this thread.
    pub threads: usize,
}

fn default_features() -> Vec<Feature> {
    Inputs::default().features
}

impl TrainConfig {
    /// The regularisation this configuration adds to the loss.
    pub fn penalty(&self) -> Penalty {
        Penalty {
            l2: self.l2,
            l1: self.l1,
        }
    }
}

impl Default for TrainConfig {
    /// micrograd's moons demo (MLP 2-16-16-1, ReLU, hinge loss + 1e-4 L2, SGD with a learning
    /// rate decaying linearly from 1.0, 100 full-batch steps), with weights scaled to the fan-in
    /// (He; micrograd's uniform(-1, 1) is `Init::Uniform`).
    fn default() -> TrainConfig {
        TrainConfig {
            hidden: vec![16, 16],
            activation: Activation::Relu,
            init: Init::He,
            loss: Loss::Hinge,
            optimizer: OptimizerKind::Sgd,
            lr: 1.0,
            schedule: Schedule::Linear,
            steps: 100,
            batch_size: None,
            l2: 1e-4,
            l1: 0.0,
            features: default_features(),
            standardize: false,
            seed: 42,
            threads: 1,
        }
    }
}

/// What one step measured. Measures that do not apply to the task are NaN.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    /// 0-based step number.
    pub step: usize,
    /// The training objective on this step's batch before its update: mean loss + penalty
    /// (what `backward` ran on).
    pub loss: f64,
    /// Fraction of this step's batch classified correctly (classification).
    pub accuracy: f64,
    /// The same objective on the held-out set, NaN if there is none.
    pub test_loss: f64,
    /// Fraction of the held-out set classified correctly (classification).
    pub test_accuracy: f64,
    /// Learning rate used by this step's update.
    pub lr: f64,
    /// Root mean squared error on this step's batch (regression).
    pub rmse: f64,
    /// R^2 on this step's batch (regression).
    pub r2: f64,
    /// Root mean squared error on the held-out set (regression).
    pub test_rmse: f64,
    /// R^2 on the held-out set (regression).
    pub test_r2: f64,
    /// The L2 norm of the parameter gradient the optimizer used on this step.
    pub grad_norm: f64,
    /// For a ReLU network, the fraction of hidden units that are 0 on every example of this
    /// step's batch (dead units learn nothing); NaN for other activations.
    pub dead_fraction: f64,
}

/// Why training ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Stop {
    /// All steps ran.
    Completed,
    /// The loss became NaN or infinite at `step`; that step's update was not applied.
    Diverged {
        /// The step whose loss was not finite.
        step: usize,
    },
    /// Interrupted (Ctrl-C) before `step` began.
    Interrupted {
        /// The first step not run.
        step: usize,
    },
}

/// Where a run starts: a model, and (to continue an earlier run exactly) the optimizer's state
/// and the number of steps already taken.
#[derive(Clone, Debug)]
pub struct Start {
    /// The model, with the weights training starts from.
    pub model: Model,
    /// The optimizer's state to continue from (ignored if it is another optimizer's); `None`
    /// starts it fresh.
    pub optimizer: Option<OptimizerState>,
    /// Steps already taken: the first step of this run is numbered so in its metrics.
    pub steps_done: usize,
}

impl Start {
    /// A fresh start from `model`'s weights.
    pub fn fresh(model: Model) -> Start {
        Start {
            model,
            optimizer: None,
            steps_done: 0,
        }
    }
}

/// The result of a run.
#[derive(Debug)]
pub struct TrainResult {
    /// The trained model.
    pub model: Model,
    /// The optimizer's state after the last step (saved with the model, to resume exactly).
    pub optimizer: OptimizerState,
    /// Steps taken in all, the earlier run's included.
    pub steps_done: usize,
    /// One entry per completed step.
    pub metrics: Vec<StepMetrics>,
    /// Why it ended.
    pub stop: Stop,
    /// Nodes in one step's graph (forward, loss and all), measured on the first step.
    pub nodes_per_step: usize,
    /// Wall-clock time of the training loop.
    pub elapsed: Duration,
    /// For a diverged run: the first node whose value became NaN or infinite in the diverging
    /// step (found by running that step again with anomaly detection on).
    pub anomaly: Option<Anomaly>,
}

/// A random-number generator for one purpose, derived from the run's seed, so that e.g. the
/// number of samples does not change the initial weights.
pub fn rng_for(seed: u64, purpose: u64) -> StdRng {
    StdRng::seed_from_u64(seed ^ purpose.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Seed purposes for `rng_for`.
pub mod purpose {
    /// Generating a built-in dataset.
    pub const DATA: u64 = 1;
    /// Splitting off the held-out set.
    pub const SPLIT: u64 = 2;
    /// Initial weights.
    pub const INIT: u64 = 3;
    /// Choosing mini-batches.
    pub const BATCHES: u64 = 4;
}

/// The model a config describes for data like `train` (its classes, and the standardisation of
/// its points if the config asks for it), with seeded initial weights.
///
/// # Panics
/// If the config's loss cannot train `train`'s task (see `Loss::check`), or it has no features.
pub fn build_model(config: &TrainConfig, train: &Dataset) -> Model {
    let classes = train.classes();
    if let Err(why) = config.loss.check(classes) {
        panic!("{why}");
    }
    assert!(
        !config.features.is_empty(),
        "a model needs at least one feature"
    );
    let mut widths = config.hidden.clone();
    widths.push(config.loss.outputs(classes));
    let options = MlpOptions {
        activation: config.activation,
        init: config.init,
    };
    let network = Mlp::with_options(
        config.features.len(),
        &widths,
        options,
        &mut rng_for(config.seed, purpose::INIT),
    );
    Model {
        network,
        inputs: Inputs {
            features: config.features.clone(),
            scaling: config.standardize.then(|| Scaling::of(&train.points)),
        },
        class_names: train.label_names.clone(),
        loss: config.loss,
    }
}

/// Examples as the network sees them: each point's inputs (`width` numbers, example after
/// example) and its label.
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
        for &p in &data.points {
            inputs.extend(p, &mut encoded);
        }
        Examples {
            inputs: encoded,
            width: inputs.len(),
            labels: data.labels.clone(),
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
        Examples {
            inputs: indices
                .iter()
                .flat_map(|&i| &self.inputs[i * width..(i + 1) * width])
                .copied()
                .collect(),
            width,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }

    /// Every `count`-th example from `first` (a thread's share of a batch).
    fn every(&self, first: usize, count: usize) -> Examples {
        let indices: Vec<usize> = (first..self.len()).step_by(count).collect();
        self.subset(&indices)
    }
}

/// The outputs of every example of `inputs` (`width` numbers each) as nodes, example after
/// example.
pub fn outputs(network: &Mlp, inputs: &[f64], width: usize) -> Vec<Node> {
    outputs_by(inputs, width, network.outputs(), |leaves, all| {
        all.extend(network.forward(leaves))
    })
}

/// `outputs`, also marking in `nonzero` each hidden neuron that is not 0 on some example.
fn outputs_marking(
    network: &Mlp,
    inputs: &[f64],
    width: usize,
    nonzero: &mut NonzeroUnits,
) -> Vec<Node> {
    outputs_by(inputs, width, network.outputs(), |leaves, all| {
        network.forward_marking_into(leaves, nonzero, all)
    })
}

/// The outputs for every example of `inputs` (`width` numbers each, each example given as input
/// leaves), example after example, as `forward(leaves, all)` appends them (`per_example` each)
/// to `all`.
fn outputs_by(
    inputs: &[f64],
    width: usize,
    per_example: usize,
    mut forward: impl FnMut(&[Node], &mut Vec<Node>),
) -> Vec<Node> {
    let mut all = Vec::with_capacity(inputs.len() / width.max(1) * per_example);
    let mut leaves = Vec::with_capacity(width); // one buffer for every example's input leaves
    for example in inputs.chunks_exact(width) {
        leaves.clear();
        leaves.extend(example.iter().map(|&x| Node::new(x)));
        forward(&leaves, &mut all);
    }
    all
}

/// The fraction of hidden units that are 0 on every example: of a ReLU network, from the flags
/// `outputs_marking` set (NaN for other activations or no hidden layer).
fn dead_fraction(network: &Mlp, nonzero: &[bool]) -> f64 {
    if network.hidden_activation() != Activation::Relu || nonzero.is_empty() {
        return f64::NAN;
    }
    nonzero.iter().filter(|&&alive| !alive).count() as f64 / nonzero.len() as f64
}

/// The score (single output) of every point, as nodes: `outputs` for the raw inputs x1, x2.
pub fn scores(model: &Mlp, points: &[[f64; 2]]) -> Vec<Node> {
    let inputs: Vec<f64> = points.iter().flatten().copied().collect();
    outputs(model, &inputs, 2)
}

/// The training objective of a one-output network: mean loss of `scores` plus the penalty of
/// its parameters.
pub fn objective(config: &TrainConfig, model: &Mlp, scores: &[Node], labels: &[f64]) -> Node {
    loss::objective(
        config.loss,
        scores,
        1,
        labels,
        config.penalty(),
        model.parameters_borrowed(),
    )
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

/// metrics.csv: a header, then one row per step (the columns of the task). Written by the
/// program's runs and the playground's download alike.
pub fn metrics_csv(task: Task, metrics: &[StepMetrics]) -> String {
    let mut csv = String::from(match task {
        Task::Classification => {
            "step,loss,accuracy,test_loss,test_accuracy,lr,grad_norm,dead_fraction\n"
        }
        Task::Regression => {
            "step,loss,rmse,r2,test_loss,test_rmse,test_r2,lr,grad_norm,dead_fraction\n"
        }
    });
    for m in metrics {
        let row = match task {
            Task::Classification => format!(
                "{},{},{},{},{},{},{},{}\n",
                m.step,
                m.loss,
                m.accuracy,
                m.test_loss,
                m.test_accuracy,
                m.lr,
                m.grad_norm,
                m.dead_fraction
            ),
            Task::Regression => format!(
                "{},{},{},{},{},{},{},{},{},{}\n",
                m.step,
                m.loss,
                m.rmse,
                m.r2,
                m.test_loss,
                m.test_rmse,
                m.test_r2,
                m.lr,
                m.grad_norm,
                m.dead_fraction
            ),
        };
        csv.push_str(&row);
    }
    csv
}

/// Why training could not go on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TrainError {
    /// A helper thread of `Workers` stopped (it panicked), so its share of a batch is missing.
    #[error("a training worker thread stopped unexpectedly; run again with --threads 1")]
    WorkerStopped,
}

/// One share of a batch, and the part of the batch's mean it makes up.
struct Share<'a> {
    examples: &'a Examples,
    /// This share's examples over the batch's: the share's mean loss times this is its part of
    /// the batch's mean loss (1 for a whole batch).
    weight: f64,
    /// Whether the penalty is added here (on exactly one share of a batch).
    with_penalty: bool,
}

/// A share's part of the objective and its gradient: what one thread computed.
#[derive(Clone)]
struct ShareGradient {
    loss: f64,
    outputs: Vec<f64>,
    nodes: usize,
    /// Per hidden neuron: not 0 on some example of the share.
    nonzero: Vec<bool>,
}

/// The training step's gradient, written once for every path (one thread, each worker thread,
/// the anomaly re-run): builds the share's part of the objective, then zero_grad and backward,
/// leaving d(part)/d(p) in each of `network`'s parameters.
///
/// # Panics
/// If the share has no examples.
fn share_gradient(config: &TrainConfig, network: &Mlp, share: &Share<'_>) -> ShareGradient {
    let before = tape_length();
    let examples = share.examples;
    let mut nonzero = NonzeroUnits::default();
    let outputs = outputs_marking(network, &examples.inputs, examples.width, &mut nonzero);
    let width = outputs.len() / examples.len();
    let mut part = config
        .loss
        .mean_of_outputs(&outputs, width, &examples.labels);
    if share.weight != 1.0 {
        part *= share.weight;
    }
    if share.with_penalty
        && let Some(term) = config.penalty().term(network.parameters_borrowed())
    {
        part += term;
    }
    let nodes = tape_length() - before;
    network.zero_grad();
    part.backward();
    ShareGradient {
        loss: part.value(),
        outputs: values(&outputs),
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
    config: &TrainConfig,
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
        let gradient = share_gradient(config, network, &whole);
        return Ok(BatchGradient {
            loss: gradient.loss,
            outputs: gradient.outputs,
            nodes: gradient.nodes,
            nonzero: gradient.nonzero,
        });
    };
    let parameters = network.parameters_borrowed();
    let snapshot = Arc::new(ModelSnapshot {
        inputs: network.inputs(),
        widths: network.widths(),
        activation: network.hidden_activation(),
        weights: values(parameters),
        config: config.clone(),
        whole: batch.len(),
    });
    // Share k takes examples k, k + T, k + 2T, ... (T shares): neighbouring examples are often
    // alike (a sorted file), and alike examples cost alike (the same ReLUs off), so interleaving
    // balances the work where contiguous shares did not (the threads line of `cargo bench -p
    // scalargrad-bench --bench training`). Share 0 is this thread's.
    let count = (workers.senders.len() + 1).min(batch.len());
    for (share, sender) in (1..count).zip(&workers.senders) {
        let job = Job {
            snapshot: Arc::clone(&snapshot),
            share,
            examples: batch.every(share, count),
        };
        sender.send(job).map_err(|_| TrainError::WorkerStopped)?;
    }
    // share 0 and the penalty on this thread, on the network itself, while the workers run
    let own_examples = batch.every(0, count);
    let own = share_gradient(
        config,
        network,
        &Share {
            examples: &own_examples,
            weight: own_examples.len() as f64 / batch.len() as f64,
            with_penalty: true,
        },
    );
    let width = own.outputs.len() / own_examples.len();
    let (mut loss, mut nodes, mut nonzero) = (own.loss, own.nodes, own.nonzero.clone());
    let mut all_outputs = vec![0.0; batch.len() * width];
    let mut place = |share: usize, outputs: &[f64]| {
        for (j, example) in outputs.chunks_exact(width).enumerate() {
            let at = (share + j * count) * width;
            all_outputs[at..at + width].copy_from_slice(example);
        }
    };
    place(0, &own.outputs);
    let mut shares: Vec<Option<ShareResult>> = vec![None; count];
    for _ in 1..count {
        let result = receive(&workers.results).map_err(|_| TrainError::WorkerStopped)?;
        let slot = result.share;
        shares[slot] = Some(result);
    }
    // in share order, so the sums do not depend on which worker finished first
    for result in shares.into_iter().flatten() {
        loss += result.gradient.loss;
        place(result.share, &result.gradient.outputs);
        nodes += result.gradient.nodes;
        for (flag, &other) in nonzero.iter_mut().zip(&result.gradient.nonzero) {
            *flag |= other;
        }
        add_grads(parameters, &result.grads);
    }
    Ok(BatchGradient {
        loss,
        outputs: all_outputs,
        nodes,
        nonzero,
    })
}

/// The network's shape and weights at one step, and the run's configuration: what a worker
/// needs to rebuild the network and compute its share.
struct ModelSnapshot {
    inputs: usize,
    widths: Vec<usize>,
    activation: Activation,
    weights: Vec<f64>,
    config: TrainConfig,
    whole: usize,
}

/// One share of a batch for one worker.
struct Job {
    snapshot: Arc<ModelSnapshot>,
    share: usize,
    examples: Examples,
}

/// A worker's answer: its share's part of the objective, and the gradient of every parameter.
#[derive(Clone)]
struct ShareResult {
    share: usize,
    gradient: ShareGradient,
    grads: Vec<f64>,
}

/// Helper threads for `batch_gradient`: with `Workers::new(T)` a batch is split into T shares,
/// one for the calling thread and one for each of T - 1 helpers. Each helper keeps a copy of the
/// model on its own tape and lives as long as this value, so its memory is reused step to step.
pub struct Workers {
    senders: Vec<Sender<Job>>,
    results: Receiver<ShareResult>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Prepares for `threads` threads in all: starts `threads - 1` helper threads.
    pub fn new(threads: usize) -> Workers {
        let (result_sender, results) = channel();
        let mut senders = Vec::new();
        let mut helpers = Vec::new();
        for _ in 1..threads {
            let (sender, jobs) = channel::<Job>();
            let results = result_sender.clone();
            helpers.push(std::thread::spawn(move || work(&jobs, &results)));
            senders.push(sender);
        }
        Workers {
            senders,
            results,
            threads: helpers,
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.senders.clear(); // closes the channels: each worker's loop ends
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// How long a thread waiting for a job or a result polls its channel before it blocks.
const POLL: Duration = Duration::from_millis(1);

/// The next message of `channel`, polled for up to `POLL` before blocking on it; `Err` once every
/// sender is gone. Between two steps the wait is short, and a blocked thread of a virtual
/// machine took long to wake: a helper blocked in `recv` started its share 50-330 us after the
/// job was sent (a tenth of a W-big step), a polling one 13-25 us after (the threads line of
/// `cargo bench -p scalargrad-bench --bench training` shows the difference). Between polls the
/// thread yields: with more threads than cores, a thread spinning on the CPU kept the others
/// from working (`bench/examples/w_big_threads.rs 4` on 2 cores: 3.4-4.0 ms per step spinning,
/// 1.4-1.8 yielding, 1.5-1.65 blocking at once).
fn receive<T>(channel: &Receiver<T>) -> Result<T, RecvError> {
    let start = Instant::now();
    loop {
        match channel.try_recv() {
            Ok(message) => return Ok(message),
            Err(TryRecvError::Disconnected) => return Err(RecvError),
            Err(TryRecvError::Empty) if start.elapsed() >= POLL => return channel.recv(),
            Err(TryRecvError::Empty) => std::thread::yield_now(),
        }
    }
}

/// A worker thread's loop: answer jobs until the channel closes.
fn work(jobs: &Receiver<Job>, results: &Sender<ShareResult>) {
    let mut copy: Option<Mlp> = None;
    while let Ok(job) = receive(jobs) {
        let snapshot = &job.snapshot;
        let fits = copy.as_ref().is_some_and(|model| {
            model.inputs() == snapshot.inputs
                && model.widths() == snapshot.widths
                && model.hidden_activation() == snapshot.activation
        });
        if !fits {
            drop(copy.take()); // the old copy goes first, so the new one sits at the tape's bottom
            // its weights are set from the job below, every step
            copy = Some(Mlp::of_shape(
                snapshot.inputs,
                &snapshot.widths,
                snapshot.activation,
            ));
        }
        let Some(model) = copy.as_ref() else { continue };
        let parameters = model.parameters_borrowed();
        set_values(parameters, &snapshot.weights);
        let share = Share {
            examples: &job.examples,
            weight: job.examples.len() as f64 / snapshot.whole as f64,
            with_penalty: false,
        };
        let gradient = share_gradient(&snapshot.config, model, &share);
        let result = ShareResult {
            share: job.share,
            gradient,
            grads: gradients(parameters),
        };
        if results.send(result).is_err() {
            return;
        }
    }
}

/// Runs the training step of `batch` again with anomaly detection on, and returns the first node
/// whose value (or gradient) became NaN or infinite.
fn first_anomaly(config: &TrainConfig, network: &Mlp, batch: &Examples) -> Option<Anomaly> {
    detect_anomalies(true);
    let _ = take_anomaly();
    let whole = Share {
        examples: batch,
        weight: 1.0,
        with_penalty: true,
    };
    share_gradient(config, network, &whole);
    let found = take_anomaly();
    detect_anomalies(false);
    found
}

/// The graph of one example's loss (no penalty) through `model`, with labelled parameters,
/// inputs, outputs and loss, after a backward pass: for drawing with `engine::to_dot`.
pub fn example_graph(model: &Model, point: [f64; 2], label: f64) -> Node {
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
        .of(point)
        .into_iter()
        .zip(&model.inputs.features)
        .map(|(x, feature)| Node::new(x).with_label(feature.name()))
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
    let total = model.loss.of_example(&outputs, label).with_label("loss");
    total.backward();
    total
}

/// How well a model does on a dataset. Measures that do not apply to the task are NaN.
#[derive(Clone, Debug, PartialEq)]
pub struct Measures {
    /// The training objective: the mean loss plus the penalty.
    pub loss: f64,
    /// The mean loss alone (no penalty).
    pub data_loss: f64,
    /// Fraction classified correctly (classification).
    pub accuracy: f64,
    /// Root mean squared error (regression).
    pub rmse: f64,
    /// R^2 (regression).
    pub r2: f64,
    /// `confusion[true class][predicted class]` counts (classification; empty for regression).
    pub confusion: Vec<Vec<usize>>,
}

/// Accuracy (classification), RMSE and R^2 (regression) of `outputs` (`width` per example)
/// against `labels`; the measures that do not apply are NaN. What a step reports of its batch,
/// whose loss it already has.
///
/// # Panics
/// If `labels` is empty.
fn scores_of(outputs: &[f64], labels: &[f64], classes: usize) -> (f64, f64, f64) {
    let width = outputs.len() / labels.len();
    if classes == 0 {
        (
            f64::NAN,
            loss::rmse(outputs, labels),
            loss::r_squared(outputs, labels),
        )
    } else {
        (
            loss::accuracy_of_outputs(outputs, width, labels, classes),
            f64::NAN,
            f64::NAN,
        )
    }
}

/// The measures of `outputs` (`width` per example) against `labels`, with `penalty` added to the
/// mean loss for the objective.
fn measures_of(
    loss: Loss,
    outputs: &[f64],
    labels: &[f64],
    classes: usize,
    penalty: f64,
) -> Measures {
    if labels.is_empty() {
        return Measures {
            loss: f64::NAN,
            data_loss: f64::NAN,
            accuracy: f64::NAN,
            rmse: f64::NAN,
            r2: f64::NAN,
            confusion: vec![vec![0; classes]; classes],
        };
    }
    let width = outputs.len() / labels.len();
    let data_loss = loss.mean_of_outputs(outputs, width, labels);
    let (accuracy, rmse, r2) = scores_of(outputs, labels, classes);
    let confusion = if classes == 0 {
        Vec::new()
    } else {
        loss::confusion(outputs, width, labels, classes)
    };
    Measures {
        loss: data_loss + penalty,
        data_loss,
        accuracy,
        rmse,
        r2,
        confusion,
    }
}

/// The measures of `model` on `data`, evaluated without a graph (the formulas training uses);
/// NaN for no data.
pub fn measure(config: &TrainConfig, model: &Model, data: &Dataset) -> Measures {
    if data.is_empty() {
        // no held-out set (`--test-fraction 0`): nothing to evaluate, no predictor to build
        return measures_of(model.loss, &[], &[], model.classes(), 0.0);
    }
    let outputs = model.predictor().outputs_of(&data.points);
    let parameters = values(model.network.parameters_borrowed());
    let penalty = config.penalty().term(&parameters).unwrap_or(0.0);
    measures_of(model.loss, &outputs, &data.labels, model.classes(), penalty)
}

/// The objective (mean loss plus the penalty) and accuracy of `model` on `data` (see
/// [`measure`]).
pub fn evaluate(config: &TrainConfig, model: &Model, data: &Dataset) -> (f64, f64) {
    let measures = measure(config, model, data);
    (measures.loss, measures.accuracy)
}

/// Trains a fresh model (see [`build_model`]) on `train`, measuring `test` at every step; see
/// [`train_model`].
///
/// # Errors
/// As [`train_model`].
///
/// # Panics
/// As [`build_model`].
///
/// ```
/// use std::sync::atomic::AtomicBool;
/// use rand::{SeedableRng, rngs::StdRng};
/// use scalargrad::{data::Generator, train::{TrainConfig, Stop, train}};
///
/// let data = Generator::Blobs.generate(40, 0.1, &mut StdRng::seed_from_u64(0));
/// let config = TrainConfig { hidden: vec![4], steps: 20, ..TrainConfig::default() };
/// let result = train(&config, &data, &data, |_| {}, &AtomicBool::new(false)).expect("trains");
/// assert_eq!(result.stop, Stop::Completed);
/// assert_eq!(result.metrics.len(), 20);
/// assert!(result.metrics[19].loss < result.metrics[0].loss);
/// ```
pub fn train(
    config: &TrainConfig,
    train: &Dataset,
    test: &Dataset,
    mut on_step: impl FnMut(&StepMetrics),
    interrupt: &AtomicBool,
) -> Result<TrainResult, TrainError> {
    let start = Start::fresh(build_model(config, train));
    train_model(config, start, train, test, |m, _| on_step(m), interrupt)
}

/// Trains from `start` (its model's weights, and the optimizer's state if given) on `train`,
/// measuring `test` at every step. Steps are numbered from `start.steps_done`; the learning
/// rate schedule runs over this run's `config.steps`. With full batches, 20 steps and then 20
/// more from the first run's model and optimizer state take the very steps of 40 in one go.
///
/// `on_step` sees each step's metrics as soon as they are known, with the model after that
/// step's update. `interrupt` is checked before every step: once it is set, training stops
/// cleanly with `Stop::Interrupted`.
///
/// # Errors
/// `TrainError::WorkerStopped` if a helper thread (`config.threads > 1`) stopped.
///
/// # Panics
/// If `train` is empty.
pub fn train_model(
    config: &TrainConfig,
    start: Start,
    train: &Dataset,
    test: &Dataset,
    mut on_step: impl FnMut(&StepMetrics, &Model),
    interrupt: &AtomicBool,
) -> Result<TrainResult, TrainError> {
    let first_step = start.steps_done;
    let mut trainer = Trainer::new(config, start, train);
    let mut metrics = Vec::with_capacity(config.steps);
    let mut stop = Stop::Completed;
    let mut anomaly = None;
    let started = Instant::now();
    for step in 0..config.steps {
        if interrupt.load(Ordering::SeqCst) {
            stop = Stop::Interrupted {
                step: first_step + step,
            };
            break;
        }
        let lr = config.schedule.rate(config.lr, step, config.steps);
        match trainer.step(config, lr, test)? {
            Outcome::Stepped(measured) => {
                on_step(&measured, trainer.model());
                metrics.push(measured);
            }
            Outcome::Diverged {
                step,
                anomaly: found,
            } => {
                stop = Stop::Diverged { step };
                anomaly = found;
                break;
            }
        }
    }
    let elapsed = started.elapsed();
    let nodes_per_step = trainer.nodes_per_step();
    let (model, optimizer, steps_done) = trainer.finish();
    Ok(TrainResult {
        model,
        optimizer,
        steps_done,
        metrics,
        stop,
        nodes_per_step,
        elapsed,
        anomaly,
    })
}

/// What one [`Trainer::step`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The step ran and updated the model; its metrics.
    Stepped(StepMetrics),
    /// The objective was NaN or infinite, so the update was not applied.
    Diverged {
        /// The step's number.
        step: usize,
        /// The first node whose value or gradient became NaN or infinite (found by running the
        /// step again with anomaly detection on).
        anomaly: Option<Anomaly>,
    },
}

/// The last step's batch and the weights it started from, kept to explain its gradients.
struct LastStep {
    batch: Examples,
    weights: Vec<f64>,
}

/// A run in progress, one step at a time: the model, the optimizer with its state, the training
/// examples and the batch sampler. [`train_model`] drives one for a fixed number of steps; the
/// playground drives one for as long as the page plays, changing the learning rate and the
/// regularisation between steps.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use scalargrad::{data::Generator, train::{Outcome, Start, TrainConfig, Trainer, build_model}};
///
/// let data = Generator::Moons.generate(30, 0.1, &mut StdRng::seed_from_u64(0));
/// let config = TrainConfig { hidden: vec![4], ..TrainConfig::default() };
/// let mut trainer = Trainer::new(&config, Start::fresh(build_model(&config, &data)), &data);
/// let Outcome::Stepped(first) = trainer.step(&config, 0.5, &data).expect("one thread") else {
///     panic!("diverged")
/// };
/// assert_eq!((first.step, trainer.steps_done()), (0, 1));
/// ```
pub struct Trainer {
    model: Model,
    parameters: Vec<Node>,
    optimizer: Box<dyn Optimizer>,
    examples: Examples,
    workers: Option<Workers>,
    batch_rng: StdRng,
    steps_done: usize,
    nodes_per_step: usize,
    keep_last_step: bool,
    last_step: Option<LastStep>,
}

impl Trainer {
    /// Prepares to train `start`'s model on `train` with `config`'s optimizer (continuing from
    /// `start`'s optimizer state when given), batch sampler seed and threads.
    pub fn new(config: &TrainConfig, start: Start, train: &Dataset) -> Trainer {
        let Start {
            model,
            optimizer: saved,
            steps_done,
        } = start;
        let examples = Examples::encode(&model.inputs, train);
        let parameters = model.network.parameters();
        let mut optimizer = config.optimizer.build();
        if let Some(state) = &saved {
            optimizer.restore(state);
        }
        Trainer {
            model,
            parameters,
            optimizer,
            examples,
            workers: (config.threads > 1).then(|| Workers::new(config.threads)),
            batch_rng: rng_for(config.seed, purpose::BATCHES),
            steps_done,
            nodes_per_step: 0,
            keep_last_step: false,
            last_step: None,
        }
    }

    /// The model as the latest step left it.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Steps taken in all (an earlier run's included).
    pub fn steps_done(&self) -> usize {
        self.steps_done
    }

    /// Nodes in one step's graph, measured on this trainer's first step (0 before it).
    pub fn nodes_per_step(&self) -> usize {
        self.nodes_per_step
    }

    /// The optimizer's state now (to save with the model and resume exactly).
    pub fn optimizer_state(&self) -> OptimizerState {
        self.optimizer.state()
    }

    /// The model, the optimizer's state and the steps taken: what a finished run keeps.
    pub fn finish(self) -> (Model, OptimizerState, usize) {
        let state = self.optimizer.state();
        (self.model, state, self.steps_done)
    }

    /// Keeps (or stops keeping) each step's batch and starting weights, so that
    /// [`Trainer::explain_last_step`] can itemise its gradients. Costs a copy of both per step.
    pub fn keep_last_step(&mut self, on: bool) {
        self.keep_last_step = on;
        if !on {
            self.last_step = None;
        }
    }

    /// One training step: a batch (`config.batch_size` examples drawn at random, or all),
    /// zero_grad, forward, the objective, backward, the optimizer's update at rate `lr`, and the
    /// step's measures (on the batch, and on `test`). `config`'s loss terms, batch size and
    /// regularisation may change from step to step; its optimizer, seed and threads are the
    /// ones given to [`Trainer::new`].
    ///
    /// # Errors
    /// `TrainError::WorkerStopped` if a helper thread (`config.threads > 1`) stopped.
    pub fn step(
        &mut self,
        config: &TrainConfig,
        lr: f64,
        test: &Dataset,
    ) -> Result<Outcome, TrainError> {
        let step = self.steps_done;
        let sampled;
        let batch = match config.batch_size {
            Some(size) if size < self.examples.len() => {
                let count = self.examples.len();
                sampled = self
                    .examples
                    .subset(&sample(&mut self.batch_rng, count, size).into_vec());
                &sampled
            }
            _ => &self.examples,
        };
        let model = &self.model;
        if self.keep_last_step {
            self.last_step = Some(LastStep {
                batch: batch.clone(),
                weights: values(&self.parameters),
            });
        }
        let gradient = batch_gradient(config, &model.network, batch, self.workers.as_ref())?;
        if self.nodes_per_step == 0 {
            self.nodes_per_step = gradient.nodes;
        }
        if !gradient.loss.is_finite() {
            let anomaly = first_anomaly(config, &model.network, batch);
            return Ok(Outcome::Diverged { step, anomaly });
        }
        // the batch's loss is the step's own; of its outputs only the scores are still needed
        let (accuracy, rmse, r2) = scores_of(&gradient.outputs, &batch.labels, model.classes());
        let on_test = measure(config, model, test);
        let grad_norm = gradients(&self.parameters)
            .iter()
            .map(|g| g * g)
            .sum::<f64>()
            .sqrt();
        let dead = dead_fraction(&model.network, &gradient.nonzero);
        self.optimizer.step(&self.parameters, lr);
        self.steps_done += 1;
        Ok(Outcome::Stepped(StepMetrics {
            step,
            loss: gradient.loss,
            accuracy,
            test_loss: on_test.loss,
            test_accuracy: on_test.accuracy,
            lr,
            rmse,
            r2,
            test_rmse: on_test.rmse,
            test_r2: on_test.r2,
            grad_norm,
            dead_fraction: dead,
        }))
    }

    /// Explains the gradient that `parameter` (a weight or bias of the model) had on the last
    /// step, edge by edge: the step is computed again from the weights and batch it started
    /// from with contributions recorded (the same numbers in the same order), then the weights
    /// and gradients are put back. `None` before the first kept step (see
    /// [`Trainer::keep_last_step`]).
    pub fn explain_last_step(&self, config: &TrainConfig, parameter: &Node) -> Option<Explanation> {
        let last = self.last_step.as_ref()?;
        let node = parameter;
        let now = values(&self.parameters);
        set_values(&self.parameters, &last.weights);
        let explanation = with_gradients_set_aside(&self.parameters, || {
            record_contributions(true);
            let whole = Share {
                examples: &last.batch,
                weight: 1.0,
                with_penalty: true,
            };
            share_gradient(config, &self.model.network, &whole);
            let explanation = explain(node);
            record_contributions(false);
            explanation
        });
        set_values(&self.parameters, &now);
        Some(explanation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `receive` gets a message that is already there, one that comes after it stopped polling,
    /// and reports a closed channel whether it closes before or while it waits.
    #[test]
    fn receive_gets_early_and_late_messages_and_sees_a_closed_channel() {
        for (delay, message) in [
            (Duration::ZERO, Some(1)),
            (POLL * 5, Some(2)),
            (Duration::ZERO, None),
            (POLL * 5, None),
        ] {
            let (sender, receiver) = channel();
            let thread = std::thread::spawn(move || {
                std::thread::sleep(delay);
                if let Some(message) = message {
                    sender.send(message).expect("the receiver waits");
                }
            });
            let received = receive(&receiver).ok();
            assert_eq!(received, message, "after {delay:?}");
            thread.join().expect("the sender does not panic");
        }
    }
}
