//! A model as a user has it: the network, how a point becomes its inputs, and what its outputs
//! mean (the classes, or a regression target).

mod json;
pub mod safetensors;

use std::collections::BTreeMap;

use crate::data::Task;
use crate::engine::set_values;
use crate::features::{Feature, Inputs, Scaling};
use crate::nn::loss::Loss;
use crate::nn::metrics;
use crate::nn::{Activation, Mlp, Predictor};
use safetensors::{Dtype, SafetensorsError, Tensors};

pub use json::{LoadError, SavedModel};

/// A network with its input features and scaling, its loss and its classes.
#[derive(Clone, Debug)]
pub struct Model {
    /// The network: inputs as `inputs` makes them, one output (two classes, regression) or one
    /// per class (see `Loss::outputs`).
    pub network: Mlp,
    /// How a point becomes the network's inputs.
    pub inputs: Inputs,
    /// The class names, in class order; empty for regression.
    pub class_names: Vec<String>,
    /// The loss it is trained with (which also says how its outputs are read).
    pub loss: Loss,
}

impl Model {
    /// Classification or regression.
    pub fn task(&self) -> Task {
        if self.class_names.is_empty() {
            Task::Regression
        } else {
            Task::Classification
        }
    }

    /// Number of classes (0 for regression).
    pub fn classes(&self) -> usize {
        self.class_names.len()
    }

    /// Number of outputs of the network.
    pub fn outputs(&self) -> usize {
        self.network.widths().last().copied().unwrap_or(0)
    }

    /// The model's current weights as plain numbers, for fast evaluation of many points.
    pub fn predictor(&self) -> ModelPredictor {
        ModelPredictor {
            network: self.network.predictor(),
            inputs: self.inputs.clone(),
        }
    }
}

/// A [`Model`]'s weights at one moment with its input map: evaluates points without a graph.
#[derive(Clone, Debug)]
pub struct ModelPredictor {
    network: Predictor,
    inputs: Inputs,
}

impl ModelPredictor {
    /// The network's outputs at point `p` (the same numbers training computes, bit for bit).
    pub fn outputs(&self, p: [f64; 2]) -> Vec<f64> {
        self.network.predict(&self.inputs.of(p))
    }

    /// The outputs of every point, example after example.
    pub fn outputs_of(&self, points: &[[f64; 2]]) -> Vec<f64> {
        points.iter().flat_map(|&p| self.outputs(p)).collect()
    }

    /// The predicted class at `p` (see `loss::predicted_class`).
    pub fn class(&self, p: [f64; 2]) -> usize {
        metrics::predicted_class(&self.outputs(p))
    }
}

/// Why a model could not be made from a file's contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelFileError {
    /// The safetensors bytes are unusable.
    #[error("{0}")]
    Safetensors(#[from] SafetensorsError),
    /// The metadata scalargrad writes is missing or wrong.
    #[error("{0}")]
    Metadata(String),
}

impl Model {
    /// The metadata written with the weights, enough to load the model back: format, activation,
    /// features, loss, class names and the standardisation.
    pub fn metadata(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("format".to_string(), "scalargrad".to_string()),
            (
                "activation".to_string(),
                json(&self.network.hidden_activation()),
            ),
            ("features".to_string(), self.inputs.names()),
            ("loss".to_string(), json(&self.loss)),
            ("task".to_string(), json(&self.task())),
            ("classes".to_string(), json(&self.class_names)),
            ("scaling".to_string(), json(&self.inputs.scaling)),
        ])
    }

    /// The model as safetensors bytes (`torch.nn.Sequential` names) with [`Model::metadata`].
    pub fn to_safetensors(&self, dtype: Dtype) -> Vec<u8> {
        safetensors::to_bytes(&self.network, dtype, &self.metadata())
    }

    /// A model from safetensors bytes written by [`Model::to_safetensors`].
    ///
    /// # Errors
    /// If the bytes are not safetensors, a tensor is missing or misshapen, or the metadata is
    /// missing (a file from elsewhere) or inconsistent.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Model, ModelFileError> {
        let tensors = safetensors::parse(bytes)?;
        let field = |key: &str| {
            tensors.metadata.get(key).ok_or_else(|| {
                ModelFileError::Metadata(format!(
                    "no {key:?} in its metadata (not written by scalargrad)"
                ))
            })
        };
        let value = |key: &str| -> Result<serde_json::Value, ModelFileError> {
            serde_json::from_str(field(key)?).map_err(|error| {
                ModelFileError::Metadata(format!("the metadata {key:?} is not valid: {error}"))
            })
        };
        let activation: Activation = serde_json::from_value(value("activation")?)
            .map_err(|e| ModelFileError::Metadata(format!("activation: {e}")))?;
        let loss: Loss = serde_json::from_value(value("loss")?)
            .map_err(|e| ModelFileError::Metadata(format!("loss: {e}")))?;
        let class_names: Vec<String> = serde_json::from_value(value("classes")?)
            .map_err(|e| ModelFileError::Metadata(format!("classes: {e}")))?;
        let scaling: Option<Scaling> = serde_json::from_value(value("scaling")?)
            .map_err(|e| ModelFileError::Metadata(format!("scaling: {e}")))?;
        let features = Feature::parse_list(field("features")?)
            .map_err(|e| ModelFileError::Metadata(format!("features: {e}")))?;
        Model::from_tensors(
            &tensors,
            activation,
            Inputs { features, scaling },
            class_names,
            loss,
        )
    }

    /// A model of the shape `tensors` describe, with these inputs, classes and loss.
    ///
    /// # Errors
    /// If the tensors do not describe a network whose inputs and outputs fit.
    pub fn from_tensors(
        tensors: &Tensors,
        activation: Activation,
        inputs: Inputs,
        class_names: Vec<String>,
        loss: Loss,
    ) -> Result<Model, ModelFileError> {
        let (fan_in, widths) = tensors
            .shape()
            .ok_or_else(|| SafetensorsError::Missing("0.weight".to_string()))?;
        if fan_in != inputs.len() || widths.contains(&0) {
            return Err(ModelFileError::Metadata(format!(
                "the network takes {fan_in} inputs, but the features {} are {}",
                inputs.names(),
                inputs.len()
            )));
        }
        let weights = tensors.weights_for(fan_in, &widths)?;
        let network = Mlp::of_shape(fan_in, &widths, activation);
        set_values(network.parameters_borrowed(), &weights);
        Ok(Model {
            network,
            inputs,
            class_names,
            loss,
        })
    }
}

/// A small value's JSON text, for the metadata.
fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}
