//! What defines a run besides its data, and the model it starts from.

use serde::{Deserialize, Serialize};

use super::StepSettings;
use super::seed::{purpose, rng_for};
use crate::data::Dataset;
use crate::inputs::Inputs;
use crate::model::Model;
use crate::nn::loss::{Loss, Penalty};
use crate::nn::optim::{OptimizerKind, Schedule};
use crate::nn::{Activation, Init, Mlp, MlpOptions};

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
    /// When the run is counted in epochs: how many (each example once per epoch, in
    /// mini-batches after a seeded shuffle; `steps` is then `epochs` x the steps of one).
    /// `None`: each step draws a random subset.
    #[serde(default)]
    pub epochs: Option<usize>,
    /// Examples per step; `None` for the full training set (micrograd's demo).
    pub batch_size: Option<usize>,
    /// L2 regularisation strength alpha (the objective adds alpha * sum p^2).
    pub l2: f64,
    /// L1 regularisation strength beta (the objective adds beta * sum |p|).
    #[serde(default)]
    pub l1: f64,
    /// AdamW's decoupled weight decay (each step multiplies every parameter by
    /// `1 - lr * weight_decay` first); the other optimizers ignore it.
    #[serde(default)]
    pub weight_decay: f64,
    /// The network's inputs by name over the data's columns (`x1,x2,x1^2`, `a*b`, `sin(a)`),
    /// in order; `None` for every column as it is.
    #[serde(default)]
    pub features: Option<String>,
    /// Standardise every column to mean 0 and standard deviation 1 on the training set first.
    #[serde(default)]
    pub standardize: bool,
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
            l1: self.l1,
        }
    }

    /// The settings of step `step` (0-based) of this run: the scheduled learning rate, the batch
    /// size and the penalty; the held-out set measured (a run thins that out with
    /// [`HeldOutCadence`](super::HeldOutCadence)).
    pub fn step_settings(&self, step: usize) -> StepSettings {
        StepSettings {
            lr: self.schedule.rate(self.lr, step, self.steps),
            batch_size: self.batch_size,
            penalty: self.penalty(),
            measure_held_out: true,
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
            epochs: None,
            batch_size: None,
            l2: 1e-4,
            l1: 0.0,
            weight_decay: 0.01,
            features: None,
            standardize: false,
            seed: 42,
            threads: 1,
        }
    }
}

/// The most parameters a network may have: about 2 GB of memory with its graph and files
/// (a network of two hidden layers of 4096 has 16.8 million).
pub const MAX_PARAMETERS: usize = 20_000_000;

/// Why a configuration cannot make a model: the setting at fault, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    /// The setting's key (`hidden`).
    pub key: &'static str,
    /// Why, and what would work.
    pub message: String,
}

/// The weights and biases of a network of `inputs` inputs and layers `widths` (counted without
/// overflow, for any widths).
fn parameter_count(inputs: usize, widths: &[usize]) -> u128 {
    let mut fan_in = inputs as u128;
    let mut count = 0u128;
    for &width in widths {
        count += (fan_in + 1) * width as u128;
        fan_in = width as u128;
    }
    count
}

/// The model a config describes for data like `train` (its columns and classes, and the
/// standardisation of its columns if the config asks for it), with seeded initial weights.
///
/// # Errors
/// The setting at fault and why: the loss cannot train `train`'s task (see `Loss::check`), a
/// feature names no column, or the network would have more than [`MAX_PARAMETERS`].
pub fn build_model(config: &TrainConfig, train: &Dataset) -> Result<Model, ConfigError> {
    let refuse = |key: &'static str, message: String| ConfigError { key, message };
    let classes = train.classes();
    config
        .loss
        .check(classes)
        .map_err(|why| refuse("loss", why))?;
    let inputs = Inputs::for_data(config.features.as_deref(), config.standardize, train)
        .map_err(|why| refuse("features", why))?;
    let mut widths = config.hidden.clone();
    widths.push(config.loss.outputs(classes));
    let parameters = parameter_count(inputs.len(), &widths);
    if parameters > MAX_PARAMETERS as u128 {
        return Err(refuse(
            "hidden",
            format!(
                "a network of {parameters} parameters; at most {MAX_PARAMETERS} (fewer or \
                 narrower layers)"
            ),
        ));
    }
    let options = MlpOptions {
        activation: config.activation,
        init: config.init,
    };
    let network = Mlp::with_options(
        inputs.len(),
        &widths,
        options,
        &mut rng_for(config.seed, purpose::INIT),
    );
    Ok(Model {
        network,
        inputs,
        class_names: train.class_names.clone(),
        loss: config.loss,
        label: train.label.clone(),
    })
}
