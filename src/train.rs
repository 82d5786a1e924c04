//! The training loop: each step zero_grad, forward, loss, backward, optimizer update.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::seq::index::sample;
use rand::{SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::engine::{Node, nodes_alive};
use crate::nn::loss::{self, Loss};
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
        }
    }
}

/// What one step measured.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    /// 0-based step number.
    pub step: usize,
    /// The training objective on this step's batch: mean loss + L2 term (what `backward` ran on).
    pub loss: f64,
    /// Fraction of this step's batch classified correctly.
    pub accuracy: f64,
    /// The same objective on the held-out set (mean loss + the same L2 term), NaN if there is none.
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

/// The training objective: mean loss of `scores` plus the L2 term over the model's parameters.
pub fn objective(config: &TrainConfig, model: &Mlp, scores: &[Node], labels: &[f64]) -> Node {
    let data_loss = config.loss.mean(scores, labels);
    if config.l2 == 0.0 {
        return data_loss;
    }
    data_loss + loss::l2(&model.parameters(), config.l2)
}

/// Loss (with the L2 term) and accuracy of `model` on `data`, evaluated without a graph.
pub fn evaluate(config: &TrainConfig, model: &Mlp, data: &Dataset) -> (f64, f64) {
    if data.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let scores: Vec<f64> = data.points.iter().map(|p| model.predict(p)[0]).collect();
    let penalty: f64 = model
        .parameters()
        .iter()
        .map(|p| p.value() * p.value())
        .sum::<f64>();
    let loss = loss::mean_value(config.loss, &scores, &data.labels) + config.l2 * penalty;
    (loss, loss::accuracy(&scores, &data.labels))
}

/// Trains a fresh model on `train`, measuring `test` at every step.
///
/// `on_step` sees each step's metrics as soon as they are known. `interrupt` is checked before
/// every step: once it is set, training stops cleanly with `Stop::Interrupted`.
///
/// ```
/// use std::sync::atomic::AtomicBool;
/// use rand::{SeedableRng, rngs::StdRng};
/// use scalargrad::{data::Generator, train::{TrainConfig, Stop, train}};
///
/// let data = Generator::Blobs.generate(40, 0.1, &mut StdRng::seed_from_u64(0));
/// let config = TrainConfig { hidden: vec![4], steps: 20, ..TrainConfig::default() };
/// let result = train(&config, &data, &data, |_| {}, &AtomicBool::new(false));
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
) -> TrainResult {
    let model = build_model(config);
    let parameters = model.parameters();
    let mut optimizer = config.optimizer.build();
    let mut batch_rng = rng_for(config.seed, purpose::BATCHES);
    let mut metrics = Vec::with_capacity(config.steps);
    let mut nodes_per_step = 0;
    let mut stop = Stop::Completed;
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
        let nodes_before = nodes_alive();
        let scores = scores(&model, &batch.points);
        let total = objective(config, &model, &scores, &batch.labels);
        if step == 0 {
            nodes_per_step = nodes_alive() - nodes_before;
        }
        if !total.value().is_finite() {
            stop = Stop::Diverged { step };
            break;
        }
        let score_values: Vec<f64> = scores.iter().map(Node::value).collect();
        let (test_loss, test_accuracy) = evaluate(config, &model, test);
        model.zero_grad();
        total.backward();
        let lr = config.schedule.rate(config.lr, step, config.steps);
        optimizer.step(&parameters, lr);
        let measured = StepMetrics {
            step,
            loss: total.value(),
            accuracy: loss::accuracy(&score_values, &batch.labels),
            test_loss,
            test_accuracy,
            lr,
        };
        on_step(&measured);
        metrics.push(measured);
    }
    TrainResult {
        model,
        metrics,
        stop,
        nodes_per_step,
        elapsed: started.elapsed(),
    }
}
