//! Saving and loading a trained model as JSON.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Activation, Mlp, Module};
use crate::engine::Node;
use crate::files::write_atomic;

const FORMAT: &str = "scalargrad-mlp";
const VERSION: u32 = 1;

/// A model as stored on disk: architecture, weights, and the configuration it was trained with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedModel {
    /// Always `"scalargrad-mlp"`.
    pub format: String,
    /// Format version (1).
    pub version: u32,
    /// Number of inputs.
    pub inputs: usize,
    /// Neurons per layer, input side first.
    pub widths: Vec<usize>,
    /// Hidden-layer activation (the last layer is linear).
    pub activation: Activation,
    /// `weights[layer][neuron]` = that neuron's weights followed by its bias.
    pub weights: Vec<Vec<Vec<f64>>>,
    /// Whatever the trainer recorded about the run (its configuration), or null.
    pub config: serde_json::Value,
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
    /// Captures `model`'s architecture and current weights, with `config` stored alongside.
    pub fn from_model(model: &Mlp, config: serde_json::Value) -> SavedModel {
        SavedModel {
            format: FORMAT.to_string(),
            version: VERSION,
            inputs: model.inputs(),
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
        }
    }

    /// Rebuilds the model; it computes the same scores as the saved one, bit for bit.
    ///
    /// # Errors
    /// `LoadError::Invalid` if the format, version or weight shapes are not consistent.
    pub fn to_model(&self) -> Result<Mlp, LoadError> {
        if self.format != FORMAT || self.version != VERSION {
            return Err(LoadError::Invalid(format!(
                "format {:?} version {}, expected {FORMAT:?} version {VERSION}",
                self.format, self.version
            )));
        }
        // The architecture first (its weights are all overwritten below).
        let model = Mlp::of_shape(self.inputs, &self.widths, self.activation);
        let mut inputs = self.inputs;
        if self.weights.len() != self.widths.len() {
            return Err(LoadError::Invalid(
                "one weight list per layer expected".into(),
            ));
        }
        for (l, (layer, saved)) in model.layers().iter().zip(&self.weights).enumerate() {
            if saved.len() != layer.neurons().len() {
                return Err(LoadError::Invalid(format!(
                    "layer {l}: {} neurons saved, {} expected",
                    saved.len(),
                    layer.neurons().len()
                )));
            }
            for (n, (neuron, values)) in layer.neurons().iter().zip(saved).enumerate() {
                if values.len() != inputs + 1 {
                    return Err(LoadError::Invalid(format!(
                        "layer {l} neuron {n}: {} values saved, {} expected (weights then bias)",
                        values.len(),
                        inputs + 1
                    )));
                }
                for (parameter, &value) in neuron.parameters().iter().zip(values) {
                    parameter.set_value(value);
                }
            }
            inputs = layer.neurons().len();
        }
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
