//! What defines a run besides its data, and the model it starts from.

use serde::{Deserialize, Serialize};

use super::seed::{purpose, rng_for};
use crate::data::Dataset;
use crate::features::{Feature, Inputs, Scaling};
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
