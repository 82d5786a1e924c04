//! The training loop: each step zero_grad, forward, loss, backward, optimizer update.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::seq::index::sample;
use rand::{SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use crate::engine::{
    Anomaly, Node, add_grads, detect_anomalies, gradients, set_values, take_anomaly, tape_length,
    values,
};
use crate::nn::loss::{self, Loss, Penalty};
use crate::nn::optim::{OptimizerKind, Schedule};
use crate::nn::{Activation, Init, Mlp, MlpOptions, Module};

/// Everything that defines a training run (besides the data).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Widths of the hidden layers (a linear output neuron follows).
    pub hidden: Vec<usize>,
    /// Hidden-layer activation.
    pub activation: Activation,
    /// Weight initialisation.
    pub init: Init,
    /// The loss.
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
    /// L2 regularisation strength alpha (the loss adds alpha * sum p^2).
    pub l2: f64,
    /// Seed of every random choice (initial weights, batches).
    pub seed: u64,
    /// Threads that share each batch (data parallelism); 1 computes it all on this thread.
    pub threads: usize,
}

impl TrainConfig {
    /// The regularisation this configuration adds to the loss.
    pub fn penalty(&self) -> Penalty {
        Penalty {
            l2: self.l2,
            l1: 0.0,
        }
    }
}

impl Default for TrainConfig {
    /// micrograd's moons demo: MLP 2-16-16-1, ReLU, hinge loss + 1e-4 L2, SGD with learning rate
    /// decaying linearly from 1.0, 100 full-batch steps.
    fn default() -> TrainConfig {
        TrainConfig {
            hidden: vec![16, 16],
            activation: Activation::Relu,
            init: Init::Uniform,
            loss: Loss::Hinge,
            optimizer: OptimizerKind::Sgd,
            lr: 1.0,
            schedule: Schedule::Linear,
            steps: 100,
            batch_size: None,
            l2: 1e-4,
            seed: 42,
            threads: 1,
        }
    }
}

/// What one step measured.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    /// 0-based step number.
    pub step: usize,
    /// The training objective on this step's batch: mean loss + penalty (what `backward` ran on).
    pub loss: f64,
    /// Fraction of this step's batch classified correctly.
    pub accuracy: f64,
    /// The same objective on the held-out set (mean loss + the same penalty), NaN if there is none.
    pub test_loss: f64,
    /// Fraction of the held-out set classified correctly, NaN if there is none.
    pub test_accuracy: f64,
    /// Learning rate used by this step's update.
    pub lr: f64,
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

/// The result of a run.
#[derive(Debug)]
pub struct TrainResult {
    /// The trained model.
    pub model: Mlp,
    /// One entry per completed step.
    pub metrics: Vec<StepMetrics>,
    /// Why it ended.
    pub stop: Stop,
    /// Nodes in one step's graph (forward, loss and all), measured on the first step.
    pub nodes_per_step: usize,
    /// Wall-clock time of the training loop.
    pub elapsed: Duration,
    /// For a diverged run: the first node whose value became NaN or infinite in the diverging
    /// step (found by running that step's forward pass again with anomaly detection on).
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

/// The model a config describes, with its seeded initial weights.
pub fn build_model(config: &TrainConfig) -> Mlp {
    let mut widths = config.hidden.clone();
    widths.push(1);
    let options = MlpOptions {
        activation: config.activation,
        init: config.init,
    };
    Mlp::with_options(
        2,
        &widths,
        options,
        &mut rng_for(config.seed, purpose::INIT),
    )
}

/// The score (single output) of every point, as nodes.
pub fn scores(model: &Mlp, points: &[[f64; 2]]) -> Vec<Node> {
    points
        .iter()
        .map(|p| {
            let mut outputs = model.forward(&[Node::new(p[0]), Node::new(p[1])]);
            outputs.swap_remove(0)
        })
        .collect()
}

/// The training objective: mean loss of `scores` plus the penalty of the model's parameters.
pub fn objective(config: &TrainConfig, model: &Mlp, scores: &[Node], labels: &[f64]) -> Node {
    loss::objective(
        config.loss,
        scores,
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
    /// The model's score for each example of the batch.
    pub scores: Vec<f64>,
    /// Nodes recorded for this batch, on all threads together.
    pub nodes: usize,
}

/// Why training could not go on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TrainError {
    /// A helper thread of `Workers` stopped (it panicked), so its share of a batch is missing.
    #[error("a training worker thread stopped unexpectedly; run again with --threads 1")]
    WorkerStopped,
}

/// One share of a batch: examples, and the part of the batch's mean they make up.
struct Share<'a> {
    points: &'a [[f64; 2]],
    labels: &'a [f64],
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
    scores: Vec<f64>,
    nodes: usize,
}

/// The training step's gradient, written once for every path (one thread, each worker thread,
/// the anomaly re-run): builds the share's part of the objective, then zero_grad and backward,
/// leaving d(part)/d(p) in each of `model`'s parameters.
///
/// # Panics
/// If the share has no examples.
fn share_gradient(config: &TrainConfig, model: &Mlp, share: &Share<'_>) -> ShareGradient {
    let before = tape_length();
    let scores = scores(model, share.points);
    let mut part = config.loss.mean(&scores, share.labels);
    if share.weight != 1.0 {
        part *= share.weight;
    }
    if share.with_penalty
        && let Some(term) = config.penalty().term(model.parameters_borrowed())
    {
        part += term;
    }
    let nodes = tape_length() - before;
    model.zero_grad();
    part.backward();
    ShareGradient {
        loss: part.value(),
        scores: values(&scores),
        nodes,
    }
}

/// Computes the training objective on `batch` and its gradient, leaving d(objective)/d(p) in
/// each parameter's `.grad` (reset first), ready for an optimizer step.
///
/// With `workers`, the examples are split into shares: one for this thread, one for each helper
/// thread, which builds the graph of its share on its own copy of the model; the gradients are
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
    model: &Mlp,
    batch: &Dataset,
    workers: Option<&Workers>,
) -> Result<BatchGradient, TrainError> {
    assert!(
        !batch.is_empty(),
        "batch_gradient needs at least one example"
    );
    let Some(workers) = workers else {
        let whole = Share {
            points: &batch.points,
            labels: &batch.labels,
            weight: 1.0,
            with_penalty: true,
        };
        let gradient = share_gradient(config, model, &whole);
        return Ok(BatchGradient {
            loss: gradient.loss,
            scores: gradient.scores,
            nodes: gradient.nodes,
        });
    };
    let parameters = model.parameters_borrowed();
    let snapshot = Arc::new(ModelSnapshot {
        inputs: model.inputs(),
        widths: model.widths(),
        activation: model.hidden_activation(),
        weights: values(parameters),
        config: config.clone(),
        whole: batch.len(),
    });
    // Share k takes examples k, k + T, k + 2T, ... (T shares): neighbouring examples are often
    // alike (a sorted file), and alike examples cost alike (the same ReLUs off), so interleaving
    // balances the work where contiguous shares did not (the threads line of `cargo bench -p
    // scalargrad-bench --bench training`). Share 0 is this thread's.
    let count = (workers.senders.len() + 1).min(batch.len());
    let share_of = |share: usize| -> (Vec<[f64; 2]>, Vec<f64>) {
        let pick = |k: usize| k % count == share;
        let points = batch.points.iter().enumerate().filter(|(k, _)| pick(*k));
        let labels = batch.labels.iter().enumerate().filter(|(k, _)| pick(*k));
        (
            points.map(|(_, p)| *p).collect(),
            labels.map(|(_, y)| *y).collect(),
        )
    };
    for (share, sender) in (1..count).zip(&workers.senders) {
        let (points, labels) = share_of(share);
        let job = Job {
            snapshot: Arc::clone(&snapshot),
            share,
            points,
            labels,
        };
        sender.send(job).map_err(|_| TrainError::WorkerStopped)?;
    }
    // share 0 and the penalty on this thread, on the model itself, while the workers run
    let (points, labels) = share_of(0);
    let own = share_gradient(
        config,
        model,
        &Share {
            points: &points,
            labels: &labels,
            weight: labels.len() as f64 / batch.len() as f64,
            with_penalty: true,
        },
    );
    let (mut loss, mut nodes) = (own.loss, own.nodes);
    let mut all_scores = vec![0.0; batch.len()];
    for (j, score) in own.scores.into_iter().enumerate() {
        all_scores[j * count] = score;
    }
    let mut shares: Vec<Option<ShareResult>> = vec![None; count];
    for _ in 1..count {
        let result = workers
            .results
            .recv()
            .map_err(|_| TrainError::WorkerStopped)?;
        let slot = result.share;
        shares[slot] = Some(result);
    }
    // in share order, so the sums do not depend on which worker finished first
    for result in shares.into_iter().flatten() {
        loss += result.gradient.loss;
        for (j, score) in result.gradient.scores.into_iter().enumerate() {
            all_scores[result.share + j * count] = score;
        }
        nodes += result.gradient.nodes;
        add_grads(parameters, &result.grads);
    }
    Ok(BatchGradient {
        loss,
        scores: all_scores,
        nodes,
    })
}

/// The model's shape and weights at one step, and the run's configuration: what a worker needs
/// to rebuild the model and compute its share.
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
    points: Vec<[f64; 2]>,
    labels: Vec<f64>,
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

/// A worker thread's loop: answer jobs until the channel closes.
fn work(jobs: &Receiver<Job>, results: &Sender<ShareResult>) {
    let mut copy: Option<Mlp> = None;
    while let Ok(job) = jobs.recv() {
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
            points: &job.points,
            labels: &job.labels,
            weight: job.labels.len() as f64 / snapshot.whole as f64,
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
fn first_anomaly(config: &TrainConfig, model: &Mlp, batch: &Dataset) -> Option<Anomaly> {
    detect_anomalies(true);
    let _ = take_anomaly();
    let whole = Share {
        points: &batch.points,
        labels: &batch.labels,
        weight: 1.0,
        with_penalty: true,
    };
    share_gradient(config, model, &whole);
    let found = take_anomaly();
    detect_anomalies(false);
    found
}

/// The graph of one example's loss (no penalty) through `model`, with labelled inputs, score
/// and loss, after a backward pass: for drawing with `engine::to_dot`.
pub fn example_graph(config: &TrainConfig, model: &Mlp, point: [f64; 2], label: f64) -> Node {
    let inputs = [
        Node::new(point[0]).with_label("x1"),
        Node::new(point[1]).with_label("x2"),
    ];
    let score = model.forward(&inputs).swap_remove(0).with_label("score");
    let total = config.loss.mean(&[score], &[label]).with_label("loss");
    total.backward();
    total
}

/// The objective (mean loss plus the penalty, the formula training uses) and accuracy of
/// `model` on `data`, evaluated without a graph; NaN for no data.
pub fn evaluate(config: &TrainConfig, model: &Mlp, data: &Dataset) -> (f64, f64) {
    if data.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let predictor = model.predictor();
    let scores: Vec<f64> = data
        .points
        .iter()
        .map(|p| predictor.predict(p)[0])
        .collect();
    let parameters = values(model.parameters_borrowed());
    let loss = loss::objective(
        config.loss,
        &scores,
        &data.labels,
        config.penalty(),
        &parameters,
    );
    (loss, loss::accuracy(&scores, &data.labels))
}

/// Trains a fresh model on `train`, measuring `test` at every step.
///
/// `on_step` sees each step's metrics as soon as they are known. `interrupt` is checked before
/// every step: once it is set, training stops cleanly with `Stop::Interrupted`.
///
/// # Errors
/// `TrainError::WorkerStopped` if a helper thread (`config.threads > 1`) stopped.
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
    let model = build_model(config);
    let parameters = model.parameters();
    let mut optimizer = config.optimizer.build();
    let workers = (config.threads > 1).then(|| Workers::new(config.threads));
    let mut batch_rng = rng_for(config.seed, purpose::BATCHES);
    let mut metrics = Vec::with_capacity(config.steps);
    let mut nodes_per_step = 0;
    let mut stop = Stop::Completed;
    let mut anomaly = None;
    let started = Instant::now();
    for step in 0..config.steps {
        if interrupt.load(Ordering::SeqCst) {
            stop = Stop::Interrupted { step };
            break;
        }
        let batch = match config.batch_size {
            Some(size) if size < train.len() => {
                train.subset(&sample(&mut batch_rng, train.len(), size).into_vec())
            }
            _ => train.clone(),
        };
        let gradient = batch_gradient(config, &model, &batch, workers.as_ref())?;
        if step == 0 {
            nodes_per_step = gradient.nodes;
        }
        if !gradient.loss.is_finite() {
            stop = Stop::Diverged { step };
            anomaly = first_anomaly(config, &model, &batch);
            break;
        }
        let (test_loss, test_accuracy) = evaluate(config, &model, test);
        let lr = config.schedule.rate(config.lr, step, config.steps);
        optimizer.step(&parameters, lr);
        let measured = StepMetrics {
            step,
            loss: gradient.loss,
            accuracy: loss::accuracy(&gradient.scores, &batch.labels),
            test_loss,
            test_accuracy,
            lr,
        };
        on_step(&measured);
        metrics.push(measured);
    }
    Ok(TrainResult {
        model,
        metrics,
        stop,
        nodes_per_step,
        elapsed: started.elapsed(),
        anomaly,
    })
}
