//! What a page may ask of a session: its settings, each checked against its range.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{MAX_LAYERS, MAX_POINTS, MAX_UPLOAD_ROWS, MAX_WIDTH};
use crate::data::Generator;
use crate::features::Feature;
use crate::nn::loss::Loss;
use crate::nn::optim::{OptimizerKind, Schedule};
use crate::nn::{Activation, Init};
use crate::train::TrainConfig;

/// Which regularisation the objective adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Regularization {
    /// None.
    None,
    /// rate * sum |p|.
    L1,
    /// rate * sum p^2.
    L2,
}

/// A session's settings: what the page's controls (and its URL) hold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// A built-in dataset's name (`moons`, `spiral`, `gauss`, ...) or `upload` for the CSV file
    /// sent to the session.
    pub dataset: String,
    /// Classes of a built-in dataset that can make several (0: its smallest number).
    pub classes: usize,
    /// Standard deviation of the noise added to a built-in dataset.
    pub noise: f64,
    /// Points of a built-in dataset.
    pub points: usize,
    /// Fraction of the points held out for testing.
    pub test_fraction: f64,
    /// The network's inputs.
    pub features: Vec<Feature>,
    /// Hidden-layer widths.
    pub hidden: Vec<usize>,
    /// Hidden-layer activation.
    pub activation: Activation,
    /// The loss; `None` picks the task's default (see `Loss::default_for`).
    pub loss: Option<Loss>,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// The learning rate.
    pub lr: f64,
    /// The regularisation.
    pub regularization: Regularization,
    /// Its strength.
    pub regularization_rate: f64,
    /// Examples per step.
    pub batch_size: usize,
    /// Seed of the data, the split, the initial weights and the batches.
    pub seed: u64,
    /// Steps per second while playing; 0 runs as fast as the machine goes.
    pub speed: usize,
}

impl Default for Settings {
    /// TF Playground's start: 500 points, half held out, x1 and x2, hidden layers of 4 and 2
    /// tanh neurons, batches of 10 (on the moons, with this engine's default loss).
    fn default() -> Settings {
        Settings {
            dataset: "moons".to_string(),
            classes: 0,
            noise: 0.1,
            points: 500,
            test_fraction: 0.5,
            features: vec![Feature::X1, Feature::X2],
            hidden: vec![4, 2],
            activation: Activation::Tanh,
            loss: None,
            optimizer: OptimizerKind::Sgd,
            lr: 0.1,
            regularization: Regularization::None,
            regularization_rate: 0.001,
            batch_size: 10,
            seed: 1,
            speed: 100,
        }
    }
}

/// Where a session's points come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Source {
    Builtin(Generator),
    Upload,
}

impl Settings {
    /// Checks every field, naming the first that is out of range and what it takes.
    ///
    /// # Errors
    /// A message such as `hidden: at most 8 layers`.
    pub fn check(&self) -> Result<(), String> {
        let source = self.source()?;
        if let Source::Builtin(generator) = source {
            if let Some(range) = generator.class_range()
                && self.classes != 0
                && !range.contains(&self.classes)
            {
                return Err(format!(
                    "classes: {} makes {} to {} classes (0 for {})",
                    self.dataset,
                    range.start(),
                    range.end(),
                    range.start()
                ));
            }
            if !(2..=MAX_POINTS).contains(&self.points) {
                return Err(format!("points: from 2 to {MAX_POINTS}"));
            }
        }
        if !(self.noise.is_finite() && (0.0..=2.0).contains(&self.noise)) {
            return Err("noise: a number from 0 to 2".to_string());
        }
        if !(self.test_fraction.is_finite() && (0.0..=0.9).contains(&self.test_fraction)) {
            return Err("test_fraction: a number from 0 to 0.9".to_string());
        }
        if self.features.is_empty() {
            return Err("features: choose at least one input".to_string());
        }
        if self.features.len() > Feature::ALL.len() {
            return Err("features: each feature at most once".to_string());
        }
        for (i, feature) in self.features.iter().enumerate() {
            if self.features[..i].contains(feature) {
                return Err(format!("features: {} is there twice", feature.name()));
            }
        }
        if self.hidden.len() > MAX_LAYERS {
            return Err(format!("hidden: at most {MAX_LAYERS} layers"));
        }
        if self.hidden.iter().any(|&w| !(1..=MAX_WIDTH).contains(&w)) {
            return Err(format!("hidden: each layer has 1 to {MAX_WIDTH} neurons"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr <= 100.0) {
            return Err("lr: a number greater than 0, at most 100".to_string());
        }
        if !(self.regularization_rate.is_finite()
            && (0.0..=10.0).contains(&self.regularization_rate))
        {
            return Err("regularization_rate: a number from 0 to 10".to_string());
        }
        if !(1..=MAX_UPLOAD_ROWS).contains(&self.batch_size) {
            return Err(format!("batch_size: from 1 to {MAX_UPLOAD_ROWS}"));
        }
        if self.speed > 100_000 {
            return Err("speed: at most 100000 steps per second (0 for as fast as it goes)".into());
        }
        Ok(())
    }

    pub(super) fn source(&self) -> Result<Source, String> {
        if self.dataset == "upload" {
            return Ok(Source::Upload);
        }
        serde_json::from_value(Value::String(self.dataset.clone()))
            .map(Source::Builtin)
            .map_err(|_| {
                let names: Vec<String> = Generator::ALL
                    .iter()
                    .map(|g| serde_json::to_string(g).expect("a name").replace('"', ""))
                    .collect();
                format!(
                    "dataset: unknown {:?}; one of {} or upload",
                    self.dataset,
                    names.join(", ")
                )
            })
    }

    /// True when `other` trains the very same network on the same data: only the learning
    /// rate, the regularisation, the batch size or the speed differ, which apply from the next
    /// step on without starting over.
    pub fn same_run(&self, other: &Settings) -> bool {
        let live = |s: &Settings| Settings {
            lr: 0.0,
            regularization: Regularization::None,
            regularization_rate: 0.0,
            batch_size: 0,
            speed: 0,
            ..s.clone()
        };
        live(self) == live(other)
    }

    /// The training configuration for data with `classes` classes (0 for regression).
    pub(super) fn config(&self, classes: usize, standardize: bool) -> TrainConfig {
        let (l1, l2) = match self.regularization {
            Regularization::None => (0.0, 0.0),
            Regularization::L1 => (self.regularization_rate, 0.0),
            Regularization::L2 => (0.0, self.regularization_rate),
        };
        TrainConfig {
            hidden: self.hidden.clone(),
            activation: self.activation,
            init: Init::for_activation(self.activation),
            loss: self.loss.unwrap_or(Loss::default_for(classes)),
            optimizer: self.optimizer,
            lr: self.lr,
            schedule: Schedule::Constant,
            steps: 0,
            batch_size: Some(self.batch_size),
            l2,
            l1,
            features: self.features.clone(),
            standardize,
            seed: self.seed,
            threads: 1,
        }
    }
}
