//! model.json: a trained model as JSON, with the optimizer's state to continue its run.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Model, two_columns};
use crate::engine::Node;
use crate::files::write_atomic;
use crate::inputs::{Feature, Inputs, Scaling};
use crate::nn::loss::Loss;
use crate::nn::optim::OptimizerState;
use crate::nn::{Activation, Mlp, Module};

const FORMAT: &str = "scalargrad-mlp";
/// Version 3 adds the columns (names of the data's input columns) and the label column, and
/// names features by those columns; version 2 added the features, scaling, classes and loss (a
/// version 1 file has x1, x2, two classes and the hinge loss). Every version loads.
const VERSION: u32 = 3;
/// The most steps a saved model may have taken: far beyond any run (a run takes at most a
/// million), and small enough that a resumed run's count cannot overflow.
pub const MAX_STEPS_DONE: usize = 1_000_000_000_000_000;

/// A model as stored on disk: architecture, weights, and the configuration it was trained with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedModel {
    /// Always `"scalargrad-mlp"`.
    pub format: String,
    /// Format version (1 to 3).
    pub version: u32,
    /// Number of network inputs (features).
    pub inputs: usize,
    /// Neurons per layer, input side first.
    pub widths: Vec<usize>,
    /// Hidden-layer activation (the last layer is linear).
    pub activation: Activation,
    /// `weights[layer][neuron]` = that neuron's weights followed by its bias.
    pub weights: Vec<Vec<Vec<f64>>>,
    /// Whatever the trainer recorded about the run (its configuration), or null.
    pub config: serde_json::Value,
    /// The data's input columns a row holds, by name (`x1`, `x2` before version 3).
    #[serde(default = "two_columns")]
    pub columns: Vec<String>,
    /// The network's inputs, in order, by name over the columns (`x1`, `x1^2`, `a*b`,
    /// `sin(a)`).
    #[serde(default = "raw_features")]
    pub features: Vec<String>,
    /// The standardisation applied to every column before the features, if any.
    #[serde(default)]
    pub scaling: Option<Scaling>,
    /// The name of the column the labels came from (`label` or `target` before version 3).
    #[serde(default)]
    pub label: Option<String>,
    /// The class names in class order (output k is class k); empty for regression.
    #[serde(default = "two_classes")]
    pub class_names: Vec<String>,
    /// The loss the model was trained with.
    #[serde(default = "hinge")]
    pub loss: Loss,
    /// The optimizer's state after the last step, to resume exactly (`--init-from`).
    #[serde(default)]
    pub optimizer: Option<OptimizerState>,
    /// Steps taken to train it.
    #[serde(default)]
    pub steps_done: usize,
}

fn raw_features() -> Vec<String> {
    two_columns()
}

fn two_classes() -> Vec<String> {
    crate::data::numbered_classes(2)
}

fn hinge() -> Loss {
    Loss::Hinge
}

/// Why a model file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read the model file: {0}")]
    Io(std::io::Error),
    /// The file is not valid JSON of the expected shape.
    #[error("not a scalargrad model file: {0}")]
    Json(serde_json::Error),
    /// The JSON is well formed but does not describe a consistent model.
    #[error("inconsistent model file: {0}")]
    Invalid(String),
}

impl SavedModel {
    /// Captures a whole model: its network's weights, inputs, classes and loss, with `config`
    /// stored alongside.
    pub fn of(model: &Model, config: serde_json::Value) -> SavedModel {
        SavedModel {
            columns: model.inputs.columns.clone(),
            features: model.inputs.feature_names(),
            scaling: model.inputs.scaling.clone(),
            class_names: model.class_names.clone(),
            loss: model.loss,
            label: Some(model.label.clone()),
            ..SavedModel::from_model(&model.network, config)
        }
    }

    /// The whole model back: the network (see [`SavedModel::to_model`]) with its inputs,
    /// classes and loss.
    ///
    /// # Errors
    /// As [`SavedModel::to_model`], and `LoadError::Invalid` if the features do not match the
    /// network's inputs.
    pub fn model(&self) -> Result<Model, LoadError> {
        let network = self.to_model()?;
        let features = self
            .features
            .iter()
            .map(|name| Feature::parse(name, &self.columns))
            .collect::<Result<Vec<Feature>, String>>()
            .map_err(|why| LoadError::Invalid(format!("features: {why}")))?;
        if self.features.len() != self.inputs {
            return Err(LoadError::Invalid(format!(
                "{} features listed for a network of {} inputs",
                self.features.len(),
                self.inputs
            )));
        }
        let task = crate::data::Task::of_classes(&self.class_names);
        let model = Model {
            network,
            inputs: Inputs {
                columns: self.columns.clone(),
                features,
                scaling: self.scaling.clone(),
            },
            class_names: self.class_names.clone(),
            loss: self.loss,
            label: self
                .label
                .clone()
                .unwrap_or_else(|| task.label_word().to_string()),
        };
        model.check().map_err(LoadError::Invalid)?;
        Ok(model)
    }

    /// Captures a network's architecture and current weights, with `config` stored alongside
    /// (as a two-class model on columns `x1 .. xN` as they are; [`SavedModel::of`] keeps a whole
    /// model).
    pub fn from_model(model: &Mlp, config: serde_json::Value) -> SavedModel {
        SavedModel {
            format: FORMAT.to_string(),
            version: VERSION,
            inputs: model.input_count(),
            widths: model.widths(),
            activation: model.hidden_activation(),
            weights: model
                .layers()
                .iter()
                .map(|layer| {
                    layer
                        .neurons()
                        .iter()
                        .map(|n| n.parameters().iter().map(Node::value).collect())
                        .collect()
                })
                .collect(),
            config,
            columns: (1..=model.input_count()).map(|k| format!("x{k}")).collect(),
            features: (1..=model.input_count()).map(|k| format!("x{k}")).collect(),
            scaling: None,
            label: None,
            class_names: two_classes(),
            loss: Loss::Hinge,
            optimizer: None,
            steps_done: 0,
        }
    }

    /// Rebuilds the model; it computes the same scores as the saved one, bit for bit.
    ///
    /// # Errors
    /// `LoadError::Invalid` if the format, version or weight shapes are not consistent.
    pub fn to_model(&self) -> Result<Mlp, LoadError> {
        if self.format != FORMAT || !(1..=VERSION).contains(&self.version) {
            return Err(LoadError::Invalid(format!(
                "format {:?} version {}, expected {FORMAT:?} version 1 to {VERSION}",
                self.format, self.version
            )));
        }
        // every shape is checked against the file before anything is built, so a corrupt file
        // cannot ask for a network of billions of nodes
        if self.inputs == 0 || self.widths.is_empty() || self.widths.contains(&0) {
            return Err(LoadError::Invalid(format!(
                "a network of {} inputs and layers {:?}: every count must be at least 1",
                self.inputs, self.widths
            )));
        }
        if self.steps_done > MAX_STEPS_DONE {
            return Err(LoadError::Invalid(format!(
                "steps_done is {}; a model takes at most {MAX_STEPS_DONE} steps",
                self.steps_done
            )));
        }
        if self.weights.len() != self.widths.len() {
            return Err(LoadError::Invalid(format!(
                "{} weight lists for {} layers",
                self.weights.len(),
                self.widths.len()
            )));
        }
        let mut inputs = self.inputs;
        for (l, (saved, &width)) in self.weights.iter().zip(&self.widths).enumerate() {
            if saved.len() != width {
                return Err(LoadError::Invalid(format!(
                    "layer {l}: {} neurons saved, {width} expected",
                    saved.len()
                )));
            }
            for (n, values) in saved.iter().enumerate() {
                if values.len() != inputs + 1 {
                    return Err(LoadError::Invalid(format!(
                        "layer {l} neuron {n}: {} values saved, {} expected (weights then bias)",
                        values.len(),
                        inputs + 1
                    )));
                }
                if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
                    return Err(LoadError::Invalid(format!(
                        "layer {l} neuron {n}: the value {bad} is not finite"
                    )));
                }
            }
            inputs = width;
        }
        // the architecture, then the saved weights in `parameters()` order
        let model = Mlp::of_shape(self.inputs, &self.widths, self.activation);
        let weights: Vec<f64> = self.weights.iter().flatten().flatten().copied().collect();
        crate::engine::set_values(model.parameters_borrowed(), &weights);
        Ok(model)
    }

    /// Writes the model as pretty JSON, atomically.
    ///
    /// # Errors
    /// Any I/O error; the previous file at `path`, if any, is then left as it was.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        write_atomic(path, json.as_bytes())
    }

    /// Reads a model file written by `save`.
    ///
    /// # Errors
    /// `LoadError::Io` if it cannot be read, `LoadError::Json` if it is not a model file.
    pub fn load(path: &Path) -> Result<SavedModel, LoadError> {
        let text = std::fs::read_to_string(path).map_err(LoadError::Io)?;
        serde_json::from_str(&text).map_err(LoadError::Json)
    }
}
