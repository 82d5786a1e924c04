//! The playground's sessions, without the web server: the settings a page sends, checked; the
//! data and a [`Trainer`]; stepping; and the views the page draws (the decision map and a tile
//! per neuron, the network's weights and gradients, loss curves, accuracy and confusion, one
//! point's computation graph, one gradient explained, the anomaly that stopped a run).
//!
//! The program's `scalargrad playground` serves these over HTTP, one session per browser tab,
//! each on its own thread (a `Session` holds engine nodes, which stay on the thread that made
//! them).
//!
//! ```
//! use scalargrad::playground::{Session, Settings};
//!
//! let mut session = Session::new(Settings::default(), None).expect("the defaults are valid");
//! let before = session.train_loss();
//! session.step(200);
//! assert_eq!(session.steps_done(), 200);
//! assert!(session.train_loss() < before);
//! ```

use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::data::{Dataset, Generator, MAX_CLASSES, Task, class_index};
use crate::engine::{Detail, GraphNodeKind, Node, gradients, graph, with_gradients_set_aside};
use crate::features::Feature;
use crate::model::Model;
use crate::nn::loss::{Loss, predicted_class};
use crate::nn::optim::{OptimizerKind, Schedule};
use crate::nn::safetensors::Dtype;
use crate::nn::{Activation, Init, SavedModel};
use crate::train::{
    Measures, Outcome, Start, StepMetrics, TrainConfig, Trainer, build_model, example_graph,
    measure, metrics_csv, purpose, rng_for,
};

/// The most hidden layers a session's network may have (TF Playground: 6).
pub const MAX_LAYERS: usize = 8;
/// The most neurons per hidden layer (TF Playground: 8).
pub const MAX_WIDTH: usize = 32;
/// The most points a built-in dataset may have.
pub const MAX_POINTS: usize = 5_000;
/// The most steps one request may ask for.
pub const MAX_STEPS_PER_REQUEST: usize = 1_000;
/// The time after which [`Session::step`] takes no further step, so that no request trains for
/// long (one step of the largest network on the most points takes well under it).
pub const STEP_TIME_LIMIT: Duration = Duration::from_secs(1);
/// The largest CSV file that can be uploaded, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 1 << 20;
/// The most rows an uploaded CSV file may have.
pub const MAX_UPLOAD_ROWS: usize = 10_000;
/// Cells per side of the decision map.
pub const MAP_SIZE: usize = 48;
/// Cells per side of a neuron's tile.
pub const TILE_SIZE: usize = 20;
/// Loss-curve points kept; beyond it every other point is dropped and the spacing doubles.
const CURVE_POINTS: usize = 2_000;
/// metrics.csv rows kept; beyond it every other row is dropped and the spacing doubles.
const METRICS_ROWS: usize = 100_000;

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
enum Source {
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

    fn source(&self) -> Result<Source, String> {
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
    fn config(&self, classes: usize, standardize: bool) -> TrainConfig {
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

/// Why a run stopped by itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Divergence {
    /// The step whose objective was not finite.
    pub step: usize,
    /// The first NaN or infinity and the op that made it (anomaly detection), if found.
    pub anomaly: Option<String>,
    /// What to change.
    pub suggestion: String,
}

/// Rows kept at a spacing that doubles whenever they reach a limit, so that a session that
/// plays for hours keeps a bounded, evenly spaced history.
#[derive(Clone, Debug)]
struct Thinned<T> {
    every: usize,
    limit: usize,
    rows: Vec<(usize, T)>,
}

impl<T> Thinned<T> {
    fn new(limit: usize) -> Thinned<T> {
        Thinned {
            every: 1,
            limit,
            rows: Vec::new(),
        }
    }

    /// Whether step `step` is kept at the current spacing.
    fn wants(&self, step: usize) -> bool {
        step.is_multiple_of(self.every)
    }

    fn push(&mut self, step: usize, row: T) {
        if !self.wants(step) {
            return;
        }
        self.rows.push((step, row));
        if self.rows.len() >= self.limit {
            self.every *= 2;
            let every = self.every;
            self.rows.retain(|(s, _)| s.is_multiple_of(every));
        }
    }
}

/// One point of the loss curves: the whole training and test sets after a step.
#[derive(Clone, Copy, Debug)]
struct CurvePoint {
    train_loss: f64,
    test_loss: f64,
    /// Accuracy (classification) or RMSE (regression) on each set.
    train_score: f64,
    test_score: f64,
}

/// One browser tab's run: settings, data, model, optimizer and history.
pub struct Session {
    settings: Settings,
    config: TrainConfig,
    upload: Option<Dataset>,
    train: Dataset,
    test: Dataset,
    trainer: Trainer,
    curve: Thinned<CurvePoint>,
    metrics: Thinned<StepMetrics>,
    data_version: u64,
    diverged: Option<Divergence>,
}

/// The score shown beside a loss: accuracy for classification, RMSE for regression.
fn score(measures: &Measures, task: Task) -> f64 {
    match task {
        Task::Classification => measures.accuracy,
        Task::Regression => measures.rmse,
    }
}

/// A number for JSON: finite numbers as they are, NaN and infinities as null.
fn number(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

/// A number rounded to 4 decimals (for the map: what the page colours, not what it reports).
fn rounded(x: f64) -> Value {
    number((x * 1e4).round() / 1e4)
}

impl Session {
    /// A session on `settings`'s data (`upload` for the dataset `upload`), with a fresh model.
    ///
    /// # Errors
    /// The first setting out of range (see [`Settings::check`]), a loss that cannot train the
    /// data's task, or `upload` chosen with no file sent.
    pub fn new(settings: Settings, upload: Option<Dataset>) -> Result<Session, String> {
        settings.check()?;
        let (train, test) = Session::data(&settings, upload.as_ref())?;
        let standardize = settings.dataset == "upload";
        let config = settings.config(train.classes(), standardize);
        config
            .loss
            .check(train.classes())
            .map_err(|why| format!("loss: {why}"))?;
        let mut trainer = Trainer::new(&config, Start::fresh(build_model(&config, &train)), &train);
        trainer.keep_last_step(true);
        let mut session = Session {
            settings,
            config,
            upload,
            train,
            test,
            trainer,
            curve: Thinned::new(CURVE_POINTS),
            metrics: Thinned::new(METRICS_ROWS),
            data_version: 1,
            diverged: None,
        };
        session.record_curve();
        Ok(session)
    }

    /// The training and test sets the settings describe.
    fn data(settings: &Settings, upload: Option<&Dataset>) -> Result<(Dataset, Dataset), String> {
        let all = match settings.source()? {
            Source::Upload => upload
                .cloned()
                .ok_or("dataset: upload chosen, but no CSV file was sent; send one first")?,
            Source::Builtin(generator) => {
                let classes = match (generator.class_range(), settings.classes) {
                    (Some(range), 0) => *range.start(),
                    (Some(_), chosen) => chosen.min(MAX_CLASSES),
                    (None, _) => 0,
                };
                let mut rng = rng_for(settings.seed, purpose::DATA);
                generator.generate_classes(settings.points, settings.noise, classes, &mut rng)
            }
        };
        let (train, test) = all.split(
            settings.test_fraction,
            &mut rng_for(settings.seed, purpose::SPLIT),
        );
        if train.is_empty() {
            return Err("test_fraction: it leaves no training points".to_string());
        }
        Ok((train, test))
    }

    /// Applies new settings: the learning rate, regularisation, batch size and speed apply from
    /// the next step on; anything else starts over (new data or a new network). Returns true
    /// when it started over.
    ///
    /// # Errors
    /// As [`Session::new`]; the session is unchanged then.
    pub fn apply(&mut self, settings: Settings) -> Result<bool, String> {
        settings.check()?;
        if self.settings.same_run(&settings) {
            self.config = settings.config(self.train.classes(), self.config.standardize);
            self.settings = settings;
            return Ok(false);
        }
        let fresh = Session::new(settings, self.upload.clone())?;
        let version = self.data_version + 1;
        *self = fresh;
        self.data_version = version;
        Ok(true)
    }

    /// Starts over with the same settings: new initial weights (the same for the same seed), an
    /// empty history.
    pub fn reset(&mut self) {
        let model = build_model(&self.config, &self.train);
        self.trainer = Trainer::new(&self.config, Start::fresh(model), &self.train);
        self.trainer.keep_last_step(true);
        self.curve = Thinned::new(CURVE_POINTS);
        self.metrics = Thinned::new(METRICS_ROWS);
        self.diverged = None;
        self.record_curve();
    }

    /// Uses `text` (CSV rows `x1,x2,label`, or `x1,x2,target` for `task` regression) as the
    /// session's data, and switches to it.
    ///
    /// # Errors
    /// Too large a file, or what reading it found (naming the line); the session is unchanged.
    pub fn upload(&mut self, text: &str, task: Task) -> Result<(), String> {
        if text.len() > MAX_UPLOAD_BYTES {
            return Err(format!("the file is larger than {MAX_UPLOAD_BYTES} bytes"));
        }
        let data = Dataset::parse_csv_for(text, Path::new("uploaded file"), task)
            .map_err(|e| e.to_string())?;
        if data.len() > MAX_UPLOAD_ROWS {
            return Err(format!(
                "the file has {} rows; at most {MAX_UPLOAD_ROWS}",
                data.len()
            ));
        }
        let settings = Settings {
            dataset: "upload".to_string(),
            loss: None,
            ..self.settings.clone()
        };
        let mut fresh = Session::new(settings, Some(data))?;
        fresh.data_version = self.data_version + 1;
        *self = fresh;
        Ok(())
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Steps taken since the start (or the last reset).
    pub fn steps_done(&self) -> usize {
        self.trainer.steps_done()
    }

    /// Which data the session has: it grows whenever the points change.
    pub fn data_version(&self) -> u64 {
        self.data_version
    }

    /// Why the run stopped by itself, if it did.
    pub fn diverged(&self) -> Option<&Divergence> {
        self.diverged.as_ref()
    }

    /// The objective on the whole training set now.
    pub fn train_loss(&self) -> f64 {
        measure(&self.config, self.trainer.model(), &self.train).loss
    }

    /// The model now.
    pub fn model(&self) -> &Model {
        self.trainer.model()
    }

    /// Takes up to `count` steps (at most [`MAX_STEPS_PER_REQUEST`], and no more than fit in
    /// about [`STEP_TIME_LIMIT`]); stops early if the run diverges. Returns the steps taken.
    pub fn step(&mut self, count: usize) -> usize {
        let mut taken = 0;
        let started = Instant::now();
        while taken < count.min(MAX_STEPS_PER_REQUEST)
            && self.diverged.is_none()
            && started.elapsed() < STEP_TIME_LIMIT
        {
            let outcome = self.trainer.step(&self.config, self.config.lr, &self.test);
            match outcome {
                Ok(Outcome::Stepped(metrics)) => {
                    self.metrics.push(metrics.step, metrics);
                    self.record_curve();
                    taken += 1;
                }
                Ok(Outcome::Diverged { step, anomaly }) => {
                    self.diverged = Some(Divergence {
                        step,
                        anomaly: anomaly.map(|a| a.to_string()),
                        suggestion: format!(
                            "the learning rate {} is too large for this network and data: lower it (e.g. to {}) and press Reset",
                            self.config.lr,
                            self.config.lr / 10.0
                        ),
                    });
                }
                Err(error) => {
                    // one thread: there are no helpers to stop; kept for completeness
                    self.diverged = Some(Divergence {
                        step: self.steps_done(),
                        anomaly: None,
                        suggestion: error.to_string(),
                    });
                }
            }
        }
        taken
    }

    /// Adds the current losses to the curve, if the curve's spacing wants this step.
    fn record_curve(&mut self) {
        let step = self.steps_done();
        if !self.curve.wants(step) {
            return;
        }
        let model = self.trainer.model();
        let task = self.train.task();
        let on_train = measure(&self.config, model, &self.train);
        let on_test = measure(&self.config, model, &self.test);
        self.curve.push(
            step,
            CurvePoint {
                train_loss: on_train.loss,
                test_loss: on_test.loss,
                train_score: score(&on_train, task),
                test_score: score(&on_test, task),
            },
        );
    }

    /// The square the map covers: the data's bounding box, padded, as (x1 low, x1 high, x2
    /// low, x2 high); a unit square around the data where its spread is 0 or not finite.
    fn extent(&self) -> [f64; 4] {
        let mut bounds = [
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for p in self.train.points.iter().chain(&self.test.points) {
            bounds[0] = bounds[0].min(p[0]);
            bounds[1] = bounds[1].max(p[0]);
            bounds[2] = bounds[2].min(p[1]);
            bounds[3] = bounds[3].max(p[1]);
        }
        let mut extent = [0.0; 4];
        for axis in 0..2 {
            let (low, high) = (bounds[2 * axis], bounds[2 * axis + 1]);
            let middle = low / 2.0 + high / 2.0;
            let half = (high / 2.0 - low / 2.0) * 1.15;
            let half = if half.is_finite() && half > 1e-9 * middle.abs().max(1.0) && half < 1e300 {
                half
            } else {
                1.0
            };
            let middle = if middle.is_finite() { middle } else { 0.0 };
            extent[2 * axis] = middle - half;
            extent[2 * axis + 1] = middle + half;
        }
        extent
    }

    /// The decision map (or regression surface) and every neuron's tile, over the data's
    /// bounding box (padded): the expensive part of a state, computed for each redraw.
    pub fn view(&self) -> Value {
        let model = self.trainer.model();
        let predictor = model.network.predictor();
        let extent = self.extent();
        let at = |i: usize, j: usize, size: usize| -> [f64; 2] {
            let fraction = |k: usize| (k as f64 + 0.5) / size as f64;
            [
                extent[0] + (extent[1] - extent[0]) * fraction(i),
                // row 0 is the top of the picture: the largest x2
                extent[3] - (extent[3] - extent[2]) * fraction(j),
            ]
        };
        let classes = model.classes();
        let mut map = Vec::with_capacity(MAP_SIZE * MAP_SIZE);
        for j in 0..MAP_SIZE {
            for i in 0..MAP_SIZE {
                let outputs = predictor.predict(&model.inputs.of(at(i, j, MAP_SIZE)));
                map.push(if outputs.len() == 1 {
                    rounded(outputs[0])
                } else {
                    // K classes: the class, and how sure (its softmax probability)
                    let class = predicted_class(&outputs);
                    let top = outputs[class];
                    let total: f64 = outputs.iter().map(|z| (z - top).exp()).sum();
                    json!([class, (100.0 / total).round()])
                });
            }
        }
        // tiles: each feature, each hidden neuron, each output, scaled to -100..100 by its
        // largest magnitude
        let mut tiles: Vec<Vec<Vec<f64>>> = Vec::new();
        for j in 0..TILE_SIZE {
            for i in 0..TILE_SIZE {
                let inputs = model.inputs.of(at(i, j, TILE_SIZE));
                let mut layers = vec![inputs.clone()];
                layers.extend(predictor.layer_outputs(&inputs));
                if tiles.is_empty() {
                    tiles = layers.iter().map(|l| vec![Vec::new(); l.len()]).collect();
                }
                for (layer, values) in layers.iter().enumerate() {
                    for (k, &v) in values.iter().enumerate() {
                        tiles[layer][k].push(v);
                    }
                }
            }
        }
        let tiles: Vec<Vec<Value>> = tiles
            .iter()
            .map(|layer| {
                layer
                    .iter()
                    .map(|values| {
                        let largest = values
                            .iter()
                            .filter(|v| v.is_finite())
                            .fold(0.0_f64, |m, v| m.max(v.abs()));
                        let scale = if largest > 0.0 { largest } else { 1.0 };
                        let cells: Vec<i64> = values
                            .iter()
                            .map(|v| (v / scale * 100.0).round().clamp(-100.0, 100.0) as i64)
                            .collect();
                        json!({"scale": number(largest), "cells": cells})
                    })
                    .collect()
            })
            .collect();
        json!({
            "extent": extent,
            "map_size": MAP_SIZE,
            "map": map,
            "tile_size": TILE_SIZE,
            "tiles": tiles,
            "classes": classes,
        })
    }

    /// The network's weights and the last step's gradients: `layers[l][k]` is neuron k of layer
    /// l with its `weights` (one per input), `bias`, and their `grads` (bias last).
    fn network(&self) -> Value {
        let model = self.trainer.model();
        let layers: Vec<Value> = model
            .network
            .layers()
            .iter()
            .map(|layer| {
                let neurons: Vec<Value> = layer
                    .neurons()
                    .iter()
                    .map(|neuron| {
                        let weights: Vec<Value> =
                            neuron.weights().iter().map(|w| number(w.value())).collect();
                        let mut grads: Vec<Value> =
                            gradients(neuron.weights()).into_iter().map(number).collect();
                        grads.push(number(neuron.bias().grad()));
                        json!({"weights": weights, "bias": number(neuron.bias().value()), "grads": grads})
                    })
                    .collect();
                Value::Array(neurons)
            })
            .collect();
        let features: Vec<&str> = model.inputs.features.iter().map(|f| f.name()).collect();
        json!({
            "features": features,
            "activation": model.network.hidden_activation(),
            "layers": layers,
        })
    }

    /// The points, for drawing: `[x1, x2, label]` each, and the class names.
    pub fn points(&self) -> Value {
        let rows = |data: &Dataset| -> Vec<Value> {
            data.points
                .iter()
                .zip(&data.labels)
                .map(|(p, &y)| {
                    let label = if data.classes() == 0 {
                        number(y)
                    } else {
                        json!(class_index(y, data.classes()))
                    };
                    json!([number(p[0]), number(p[1]), label])
                })
                .collect()
        };
        json!({
            "version": self.data_version,
            "train": rows(&self.train),
            "test": rows(&self.test),
            "class_names": self.train.label_names,
        })
    }

    /// Everything the page shows, as JSON: the step, losses and scores, curve points after step
    /// `since`, the confusion matrix, the network, the map and tiles, a divergence; the points
    /// too when the page's `data_version` is not the current one.
    pub fn state(&self, since: Option<usize>, data_version: u64) -> Value {
        let model = self.trainer.model();
        let task = self.train.task();
        let on_train = measure(&self.config, model, &self.train);
        let on_test = measure(&self.config, model, &self.test);
        let curve: Vec<Value> = self
            .curve
            .rows
            .iter()
            .filter(|(step, _)| since.is_none_or(|s| *step > s))
            .map(|(step, p)| {
                json!([
                    step,
                    number(p.train_loss),
                    number(p.test_loss),
                    number(p.train_score),
                    number(p.test_score)
                ])
            })
            .collect();
        let confusion = if self.test.is_empty() {
            &on_train.confusion
        } else {
            &on_test.confusion
        };
        let diverged = self
            .diverged
            .as_ref()
            .map(|d| json!({"step": d.step, "anomaly": d.anomaly, "suggestion": d.suggestion}));
        let mut state = json!({
            "step": self.steps_done(),
            "task": task,
            "loss_name": self.config.loss,
            "train_loss": number(on_train.loss),
            "test_loss": number(on_test.loss),
            "train_score": number(score(&on_train, task)),
            "test_score": number(score(&on_test, task)),
            "confusion": confusion,
            "confusion_of": if self.test.is_empty() { "train" } else { "test" },
            "curve": curve,
            "network": self.network(),
            "view": self.view(),
            "diverged": diverged,
            "data_version": self.data_version,
            "settings": self.settings,
        });
        if data_version != self.data_version {
            state["points"] = self.points();
        }
        state
    }

    /// The computation graph of training point `index`'s loss through the current network,
    /// after its backward pass: every value and gradient (summarised per layer for large
    /// networks, as `--graph` does), as nodes and edges for the page to draw.
    ///
    /// # Errors
    /// If there is no training point `index`.
    pub fn point_graph(&self, index: usize) -> Result<Value, String> {
        let (Some(&point), Some(&label)) =
            (self.train.points.get(index), self.train.labels.get(index))
        else {
            return Err(format!(
                "point: there are {} training points (0 to {})",
                self.train.len(),
                self.train.len().saturating_sub(1)
            ));
        };
        // the example's backward adds to the parameters' gradients, which hold the last
        // step's: the graph shows this example's alone, and the step's are kept
        let parameters = self.trainer.model().network.parameters_borrowed();
        let (loss, drawn) = with_gradients_set_aside(parameters, || {
            let loss = example_graph(self.trainer.model(), point, label);
            let drawn = graph(&loss, Detail::Auto);
            (loss, drawn)
        });
        let nodes: Vec<Value> = drawn
            .nodes
            .iter()
            .map(|node| match &node.kind {
                GraphNodeKind::Value { title, value, grad } => json!({
                    "id": node.id, "kind": "value", "title": title,
                    "value": number(*value), "grad": number(*grad),
                }),
                GraphNodeKind::Op { label, makes } => json!({
                    "id": node.id, "kind": "op", "title": label, "makes": makes,
                }),
                GraphNodeKind::Layer { title, neurons, op, inputs, parameters, values, grads } => json!({
                    "id": node.id, "kind": "layer",
                    "title": format!("{title}{}layer: {neurons} x {op}", if title.is_empty() { "" } else { " = " }),
                    "detail": format!("{inputs} inputs, {parameters} parameters"),
                    "values": [number(values.0), number(values.1)],
                    "grads": [number(grads.0), number(grads.1)],
                }),
            })
            .collect();
        let edges: Vec<Value> = drawn.edges.iter().map(|(a, b)| json!([a, b])).collect();
        Ok(json!({
            "point": [number(point[0]), number(point[1])],
            "label": number(label),
            "loss": number(loss.value()),
            "nodes": nodes,
            "edges": edges,
        }))
    }

    /// The last step's gradient of one parameter explained edge by edge: layer `layer` (0 is
    /// the first hidden layer), neuron `neuron`, the weight from input `input` or, for `None`,
    /// the bias.
    ///
    /// # Errors
    /// A parameter that does not exist, or no step taken yet.
    pub fn explain(
        &self,
        layer: usize,
        neuron: usize,
        input: Option<usize>,
    ) -> Result<Value, String> {
        let network = &self.trainer.model().network;
        let unit = network
            .layers()
            .get(layer)
            .ok_or_else(|| {
                format!(
                    "layer: the network has layers 0 to {}",
                    network.layers().len() - 1
                )
            })?
            .neurons()
            .get(neuron)
            .ok_or_else(|| {
                format!(
                    "neuron: layer {layer} has neurons 0 to {}",
                    network.layers()[layer].neurons().len() - 1
                )
            })?;
        let (node, name): (&Node, String) = match input {
            None => (
                unit.bias(),
                format!("bias of neuron {neuron} in layer {layer}"),
            ),
            Some(j) => (
                unit.weights().get(j).ok_or_else(|| {
                    format!(
                        "input: neuron {neuron} has inputs 0 to {}",
                        unit.weights().len() - 1
                    )
                })?,
                format!("weight from input {j} to neuron {neuron} in layer {layer}"),
            ),
        };
        let explanation = self
            .trainer
            .explain_last_step(&self.config, node)
            .ok_or("no step taken yet: press Step first")?;
        let terms: Vec<Value> = explanation
            .contributions
            .iter()
            .map(|c| {
                json!({"via": c.consumer, "op": c.consumer_op, "local": number(c.local), "upstream": number(c.upstream), "product": number(c.product)})
            })
            .collect();
        let sum: f64 = explanation.contributions.iter().map(|c| c.product).sum();
        Ok(json!({
            "parameter": name,
            "value": number(node.value()),
            "grad": number(explanation.grad),
            "terms": terms,
            "sum": number(sum + explanation.unexplained),
            "unexplained": number(explanation.unexplained),
            "batch": self.settings.batch_size.min(self.train.len()),
        }))
    }

    /// model.json: the model with its settings, optimizer state and steps, as `--out` writes it.
    pub fn model_json(&self) -> String {
        let config = serde_json::to_value(&self.config).expect("a configuration is plain data");
        let saved = SavedModel {
            optimizer: Some(self.trainer.optimizer_state()),
            steps_done: self.steps_done(),
            ..SavedModel::of(self.trainer.model(), config)
        };
        serde_json::to_string_pretty(&saved).expect("a model is plain data")
    }

    /// model.safetensors: the weights as float32 tensors, as `--out` writes them.
    pub fn model_safetensors(&self) -> Vec<u8> {
        self.trainer.model().to_safetensors(Dtype::F32)
    }

    /// metrics.csv: one row per kept step (every step until the history is long; then evenly
    /// spaced), as `--out` writes it.
    pub fn metrics_csv(&self) -> String {
        let rows: Vec<StepMetrics> = self.metrics.rows.iter().map(|(_, m)| *m).collect();
        metrics_csv(self.train.task(), &rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(change: impl FnOnce(&mut Settings)) -> Settings {
        let mut settings = Settings::default();
        change(&mut settings);
        settings
    }

    #[test]
    fn every_bad_setting_is_named() {
        let cases: Vec<(Settings, &str)> = vec![
            (with(|s| s.dataset = "nope".into()), "dataset"),
            (with(|s| s.points = 1), "points"),
            (with(|s| s.points = MAX_POINTS + 1), "points"),
            (with(|s| s.noise = f64::NAN), "noise"),
            (with(|s| s.test_fraction = 0.95), "test_fraction"),
            (with(|s| s.features.clear()), "features"),
            (
                with(|s| s.features = vec![Feature::X1, Feature::X1]),
                "features",
            ),
            (with(|s| s.hidden = vec![4; MAX_LAYERS + 1]), "hidden"),
            (with(|s| s.hidden = vec![MAX_WIDTH + 1]), "hidden"),
            (with(|s| s.hidden = vec![0]), "hidden"),
            (with(|s| s.lr = 0.0), "lr"),
            (with(|s| s.lr = f64::INFINITY), "lr"),
            (
                with(|s| s.regularization_rate = -1.0),
                "regularization_rate",
            ),
            (with(|s| s.batch_size = 0), "batch_size"),
            (with(|s| s.classes = 11), "classes"),
            (
                with(|s| (s.dataset, s.classes) = ("moons".into(), 3)),
                "classes",
            ),
        ];
        for (settings, field) in cases {
            let why = settings.check().expect_err(field);
            assert!(why.starts_with(field), "{why:?} should name {field}");
        }
    }

    #[test]
    fn a_loss_that_cannot_train_the_task_is_refused() {
        let settings = with(|s| (s.dataset, s.loss) = ("gauss".into(), Some(Loss::CrossEntropy)));
        let why = Session::new(settings, None).err().expect("refused");
        assert!(why.starts_with("loss"), "{why}");
        let why = Session::new(with(|s| s.dataset = "upload".into()), None)
            .err()
            .expect("no file");
        assert!(why.contains("no CSV file"), "{why}");
    }

    #[test]
    fn the_learning_rate_changes_without_starting_over() {
        let mut session = Session::new(Settings::default(), None).expect("valid");
        session.step(5);
        let started_over = session.apply(with(|s| s.lr = 0.05)).expect("valid");
        assert!(!started_over);
        assert_eq!(session.steps_done(), 5);
        session.step(1);
        let last = session.metrics.rows.last().expect("a row").1;
        assert_eq!(last.lr, 0.05);
        assert!(session.apply(with(|s| s.hidden = vec![3])).expect("valid"));
        assert_eq!(session.steps_done(), 0);
    }

    #[test]
    fn the_same_seed_gives_the_same_run_and_reset_starts_over() {
        let mut a = Session::new(Settings::default(), None).expect("valid");
        let mut b = Session::new(Settings::default(), None).expect("valid");
        a.step(30);
        b.step(30);
        assert_eq!(a.train_loss(), b.train_loss());
        let after_30 = a.train_loss();
        a.reset();
        assert_eq!(a.steps_done(), 0);
        a.step(30);
        assert_eq!(a.train_loss(), after_30);
    }

    #[test]
    fn the_explained_gradient_sums_to_the_gradient_of_the_last_step() {
        let settings =
            with(|s| (s.regularization, s.regularization_rate) = (Regularization::L2, 0.01));
        let mut session = Session::new(settings, None).expect("valid");
        assert!(session.explain(0, 0, Some(0)).is_err(), "no step yet");
        session.step(3);
        let network = &session.model().network;
        let grad = network.layers()[1].neurons()[1].weights()[2].grad();
        let before = gradients(network.parameters_borrowed());
        let why = session.explain(1, 1, Some(2)).expect("exists");
        // the step done again to explain it left the last step's gradients as they were
        let network = &session.model().network;
        assert_eq!(gradients(network.parameters_borrowed()), before);
        assert_eq!(why["grad"].as_f64(), Some(grad));
        let terms = why["terms"].as_array().expect("terms");
        // one term per example of the batch (through its neuron), and two from the penalty
        // alpha * sum p * p (p is both factors of its square)
        let through = |op: &str| terms.iter().filter(|t| t["op"] == op).count();
        assert_eq!(
            (through("tanh(linear)"), through("sum of squares")),
            (10, 2)
        );
        assert_eq!(terms.len(), 12);
        let sum: f64 = terms
            .iter()
            .map(|t| t["product"].as_f64().expect("a number"))
            .sum();
        assert!(
            (sum - grad).abs() <= 1e-12 * grad.abs().max(1.0),
            "{sum} vs {grad}"
        );
        // the weights were put back: the next step is the one it would have been
        let mut twin = Session::new(session.settings().clone(), None).expect("valid");
        twin.step(3);
        session.step(1);
        twin.step(1);
        assert_eq!(session.train_loss(), twin.train_loss());
        for bad in [(3, 0, None), (0, 4, None), (0, 0, Some(2))] {
            assert!(session.explain(bad.0, bad.1, bad.2).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_point_graph_shows_its_loss_and_every_value() {
        let session = Session::new(Settings::default(), None).expect("valid");
        let drawn = session.point_graph(0).expect("point 0");
        let nodes = drawn["nodes"].as_array().expect("nodes");
        let loss = nodes
            .iter()
            .find(|n| n["title"] == "loss")
            .expect("the loss node");
        assert_eq!(loss["value"], drawn["loss"]);
        assert_eq!(loss["grad"].as_f64(), Some(1.0));
        assert!(nodes.iter().any(|n| n["title"] == "x1"));
        assert!(
            session.point_graph(250).is_err(),
            "250 training points: 0 to 249"
        );
        // labelled parameters and neurons; the last step's gradients untouched
        assert!(nodes.iter().any(|n| n["title"] == "w[0][1][0]"));
        assert!(nodes.iter().any(|n| n["title"] == "h[1][0]"));
        let mut session = session;
        session.step(1);
        let before = gradients(session.model().network.parameters_borrowed());
        session.point_graph(5).expect("point 5");
        assert_eq!(
            gradients(session.model().network.parameters_borrowed()),
            before
        );
    }

    #[test]
    fn a_diverging_run_stops_and_names_the_first_non_finite_number() {
        let settings = with(|s| {
            (s.dataset, s.lr, s.hidden, s.activation) =
                ("gauss".into(), 100.0, vec![32, 32, 32], Activation::Relu);
            s.loss = Some(Loss::Mse);
        });
        let mut session = Session::new(settings, None).expect("valid");
        let taken = session.step(MAX_STEPS_PER_REQUEST);
        let diverged = session.diverged().expect("lr 100 diverges");
        assert!(taken < MAX_STEPS_PER_REQUEST);
        assert_eq!(diverged.step, taken);
        assert!(
            diverged
                .anomaly
                .as_deref()
                .is_some_and(|a| a.contains("inf") || a.contains("NaN")),
            "{diverged:?}"
        );
        assert!(diverged.suggestion.contains("lower"));
        assert_eq!(
            session.step(5),
            0,
            "a stopped run stays stopped until reset"
        );
        session.reset();
        assert!(session.diverged().is_none());
    }

    #[test]
    fn an_upload_replaces_the_data_and_a_bad_one_names_its_line() {
        let mut session = Session::new(Settings::default(), None).expect("valid");
        let why = session
            .upload("x1,x2,label\n0,0,a\n1,oops,b\n", Task::Classification)
            .expect_err("bad");
        assert!(why.contains("line 3"), "{why}");
        assert_eq!(session.settings().dataset, "moons", "unchanged");
        let mut rows = String::from("x1,x2,label\n");
        for i in 0..40 {
            rows.push_str(&format!(
                "{},{},{}\n",
                i,
                i % 7,
                if i % 2 == 0 { "even" } else { "odd" }
            ));
        }
        session.upload(&rows, Task::Classification).expect("valid");
        assert_eq!(session.settings().dataset, "upload");
        assert_eq!(session.points()["class_names"], json!(["even", "odd"]));
        session.step(3);
        assert_eq!(session.steps_done(), 3);
        let too_big = "0,0,a\n1,1,b\n".repeat(MAX_UPLOAD_ROWS / 2 + 1);
        assert!(
            session
                .upload(&too_big, Task::Classification)
                .expect_err("too many")
                .contains("rows")
        );
    }

    #[test]
    fn the_map_covers_extreme_and_equal_points() {
        let mut session = Session::new(Settings::default(), None).expect("valid");
        session
            .upload(
                "1e308,-1e308,a\n-1e308,1e308,b\n1e308,1e308,a\n-1e308,-1e308,b\n",
                Task::Classification,
            )
            .expect("valid");
        let extent = session.extent();
        assert!(extent.iter().all(|e| e.is_finite()), "{extent:?}");
        session
            .upload("2,2,a\n2,2,b\n2,2,a\n2,2,b\n", Task::Classification)
            .expect("valid");
        assert_eq!(session.extent(), [1.0, 3.0, 1.0, 3.0]);
        let view = session.view();
        assert_eq!(
            view["map"].as_array().map(Vec::len),
            Some(MAP_SIZE * MAP_SIZE)
        );
    }

    #[test]
    fn the_history_stays_bounded_and_evenly_spaced() {
        let mut thinned = Thinned::new(10);
        for step in 0..1000 {
            thinned.push(step, step);
        }
        assert!(thinned.rows.len() < 10);
        let spacing = thinned.rows[1].0 - thinned.rows[0].0;
        assert!(thinned.rows.windows(2).all(|w| w[1].0 - w[0].0 == spacing));
        assert_eq!(spacing, thinned.every);
    }
}
