//! The training loop: each step zero_grad, forward, loss, backward, optimizer update.
//!
//! Layout: `config.rs` (the configuration and the model it builds), `trainer.rs` (a run one step at
//! a time), `step.rs` (one step's gradient), `parallel.rs` (helper threads sharing a batch),
//! `measures.rs` (measures and metrics.csv), `seed.rs` (seeds by purpose), `example.rs` (one
//! example's graph).

mod batches;
mod config;
mod example;
mod measures;
mod parallel;
mod seed;
mod step;
mod trainer;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::engine::Anomaly;
use crate::model::Model;
use crate::nn::optim::OptimizerState;

pub use batches::{Batches, steps_per_epoch};
pub use config::{ConfigError, MAX_PARAMETERS, TrainConfig, build_model};
pub use example::example_graph;
pub use measures::{HeldOutCadence, Measures, StepMetrics, measure, metrics_csv};
pub use parallel::Workers;
pub use seed::{purpose, rng_for};
pub use step::{BatchGradient, Examples, Objective, TrainError, batch_gradient, outputs};
pub use trainer::{Outcome, Start, StepSettings, Trainer};

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
    /// Wall-clock time of the training steps (what `on_step` took is not counted: the program
    /// draws its animation there).
    pub elapsed: Duration,
    /// For a diverged run: the first node whose value became NaN or infinite in the diverging
    /// step (found by running that step again with anomaly detection on).
    pub anomaly: Option<Anomaly>,
}

/// Trains a fresh model (see [`build_model`]) on `train`, measuring `test` at every step; see
/// [`train_model`].
///
/// # Errors
/// As [`train_model`].
///
/// # Panics
/// If the config cannot train `train` (the message of [`build_model`]'s error).
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
    let model = build_model(config, train).unwrap_or_else(|why| panic!("{why}"));
    let start = Start::fresh(model);
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
    let cadence = HeldOutCadence::of_run(config, train, test);
    let mut metrics = Vec::with_capacity(config.steps);
    let mut stop = Stop::Completed;
    let mut anomaly = None;
    let started = Instant::now();
    let mut in_callback = Duration::ZERO;
    for step in 0..config.steps {
        if interrupt.load(Ordering::SeqCst) {
            stop = Stop::Interrupted {
                step: first_step + step,
            };
            break;
        }
        let settings = StepSettings {
            measure_held_out: cadence.due(step, config.steps),
            ..config.step_settings(step)
        };
        match trainer.step(&settings, test)? {
            Outcome::Stepped(measured) => {
                let callback = Instant::now();
                on_step(&measured, trainer.model());
                in_callback += callback.elapsed();
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
    let elapsed = started.elapsed().saturating_sub(in_callback);
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
