//! A run in progress, one step at a time.

use rand::rngs::StdRng;

use super::batches::Batches;
use super::measures::{measures_of_outputs, unmeasured};
use super::seed::{purpose, rng_for};
use super::step::{Share, batch_gradient, dead_fraction, first_anomaly, share_gradient};
use super::{Examples, Objective, StepMetrics, TrainConfig, TrainError, Workers, measure};
use crate::data::Dataset;
use crate::engine::{
    Anomaly, Explanation, Node, explain, gradients, record_contributions, record_contributions_to,
    set_values, values, with_gradients_set_aside,
};
use crate::model::Model;
use crate::nn::Module;
use crate::nn::loss::Penalty;
use crate::nn::optim::{Optimizer, OptimizerState};

/// What may change from one step to the next: the playground changes these while it plays; a
/// run of the program takes them from its configuration ([`TrainConfig::step_settings`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepSettings {
    /// The learning rate of this step's update.
    pub lr: f64,
    /// Examples per step; `None` for the whole training set.
    pub batch_size: Option<usize>,
    /// The regularisation added to the step's objective.
    pub penalty: Penalty,
    /// Whether the step measures the held-out set (NaN in its metrics if not; see
    /// [`HeldOutCadence`](super::HeldOutCadence)).
    pub measure_held_out: bool,
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

/// The last step's batch, the weights it started from and its objective, kept to explain its
/// gradients.
struct LastStep {
    batch: Examples,
    weights: Vec<f64>,
    objective: Objective,
}

/// A run in progress, one step at a time: the model, the optimizer with its state, the training
/// examples and the batch sampler. [`super::train_model`] drives one for a fixed number of steps; the
/// playground drives one for as long as the page plays, changing the learning rate and the
/// regularisation between steps.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use scalargrad::{data::Generator, train::{Outcome, Start, TrainConfig, Trainer, build_model}};
///
/// let data = Generator::Moons.generate(30, 0.1, &mut StdRng::seed_from_u64(0));
/// let config = TrainConfig { hidden: vec![4], ..TrainConfig::default() };
/// let model = build_model(&config, &data).expect("the loss fits the data");
/// let mut trainer = Trainer::new(&config, Start::fresh(model), &data);
/// let Outcome::Stepped(first) = trainer.step(&config.step_settings(0), &data).expect("one thread") else {
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
    batches: Batches,
    /// Examples the steps so far took (from the start, counting a resumed model's steps at
    /// the batch size): the epochs done are this over the training rows.
    examples_seen: u64,
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
        let mut optimizer = config.optimizer.build(config.weight_decay);
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
            batches: if config.epochs.is_some() {
                Batches::epochs()
            } else {
                Batches::Random
            },
            examples_seen: steps_done as u64
                * config.batch_size.unwrap_or(usize::MAX).min(train.len()) as u64,
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

    /// Trains on `train` from the next step on (the same model, optimizer state and batch
    /// sampler): how the playground goes on after its points are edited.
    pub fn set_training_data(&mut self, train: &Dataset) {
        self.examples = Examples::encode(&self.model.inputs, train);
    }

    /// What the last kept step added to each parameter (its value now minus the value it
    /// started from), in the order of the model's parameters; `None` before the first kept step
    /// (see [`Trainer::keep_last_step`]).
    pub fn last_update(&self) -> Option<Vec<f64>> {
        let last = self.last_step.as_ref()?;
        Some(
            values(&self.parameters)
                .iter()
                .zip(&last.weights)
                .map(|(now, before)| now - before)
                .collect(),
        )
    }

    /// Keeps (or stops keeping) each step's batch and starting weights, so that
    /// [`Trainer::explain_last_step`] can itemise its gradients. Costs a copy of both per step.
    pub fn keep_last_step(&mut self, on: bool) {
        self.keep_last_step = on;
        if !on {
            self.last_step = None;
        }
    }

    /// One training step: a batch (`settings.batch_size` examples drawn at random, or all),
    /// zero_grad, forward, the objective (the model's loss and `settings.penalty`), backward,
    /// the optimizer's update at rate `settings.lr`, and the step's measures (on the batch, and
    /// on `test`). The optimizer, the batch sampler's seed and the threads are the ones given to
    /// [`Trainer::new`].
    ///
    /// # Errors
    /// `TrainError::WorkerStopped` if a helper thread stopped.
    pub fn step(&mut self, settings: &StepSettings, test: &Dataset) -> Result<Outcome, TrainError> {
        let step = self.steps_done;
        let objective = Objective {
            loss: self.model.loss,
            penalty: settings.penalty,
        };
        let sampled;
        let rows = self.examples.len();
        let batch = match self
            .batches
            .next(rows, settings.batch_size, &mut self.batch_rng)
        {
            Some(chosen) => {
                sampled = self.examples.subset(&chosen);
                &sampled
            }
            None => &self.examples,
        };
        self.examples_seen += batch.len() as u64;
        let model = &self.model;
        if self.keep_last_step {
            self.last_step = Some(LastStep {
                batch: batch.clone(),
                weights: values(&self.parameters),
                objective,
            });
        }
        let gradient = batch_gradient(objective, &model.network, batch, self.workers.as_ref())?;
        if self.nodes_per_step == 0 {
            self.nodes_per_step = gradient.nodes;
        }
        if !gradient.loss.is_finite() {
            let anomaly = first_anomaly(objective, &model.network, batch);
            return Ok(Outcome::Diverged { step, anomaly });
        }
        // the batch's loss is the step's own; of its outputs only the measures are still needed
        let (accuracy, rmse, r2) =
            measures_of_outputs(&gradient.outputs, &batch.labels, model.classes());
        let on_test = if settings.measure_held_out {
            measure(model, settings.penalty, test)
        } else {
            unmeasured(model)
        };
        let grad_norm = gradients(&self.parameters)
            .iter()
            .map(|g| g * g)
            .sum::<f64>()
            .sqrt();
        let dead = dead_fraction(&model.network, &gradient.nonzero);
        self.optimizer.step(&self.parameters, settings.lr);
        self.steps_done += 1;
        Ok(Outcome::Stepped(StepMetrics {
            step,
            epoch: self.examples_seen as f64 / rows.max(1) as f64,
            loss: gradient.loss,
            accuracy,
            test_loss: on_test.loss,
            test_accuracy: on_test.accuracy,
            lr: settings.lr,
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
    pub fn explain_last_step(&self, parameter: &Node) -> Option<Explanation> {
        let last = self.last_step.as_ref()?;
        let node = parameter;
        let now = values(&self.parameters);
        set_values(&self.parameters, &last.weights);
        let explanation = with_gradients_set_aside(&self.parameters, || {
            record_contributions_to(node);
            let whole = Share {
                examples: &last.batch,
                weight: 1.0,
                with_penalty: true,
            };
            share_gradient(last.objective, &self.model.network, &whole);
            let explanation = explain(node);
            record_contributions(false);
            explanation
        });
        set_values(&self.parameters, &now);
        Some(explanation)
    }
}
