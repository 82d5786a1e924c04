//! A model as a user has it: the network, how a row of data becomes its inputs, and what its
//! outputs mean (the classes, or a regression target); and the files that hold one.
//!
//! Layout: `json.rs` (model.json, which also keeps the optimizer's state), `safetensors.rs` (the
//! weights in PyTorch's names), `weights_csv.rs` (initial weights from a CSV file). [`Model::load`]
//! reads either file, telling them apart by their structure.

mod json;
pub mod safetensors;
mod weights_csv;

use std::collections::BTreeMap;
use std::path::Path;

use crate::data::{Dataset, Task, numbered_classes};
use crate::engine::{Node, set_values, with_gradients_set_aside};
use crate::inputs::{Feature, Inputs, Scaling};
use crate::nn::loss::Loss;
use crate::nn::metrics;
use crate::nn::optim::OptimizerState;
use crate::nn::{Activation, Mlp, Predictor, Scratch};

pub use json::{LoadError, SavedModel};
use safetensors::{Dtype, SafetensorsError, Tensors};
pub use weights_csv::weights_from_csv;

/// A network with its inputs (columns, features, scaling), its loss and its classes.
#[derive(Clone, Debug)]
pub struct Model {
    /// The network: inputs as `inputs` makes them, one output (two classes, regression) or one
    /// per class (see `Loss::outputs`).
    pub network: Mlp,
    /// How a row becomes the network's inputs.
    pub inputs: Inputs,
    /// The class names, in class order; empty for regression.
    pub class_names: Vec<String>,
    /// The loss it is trained with (which also says how its outputs are read).
    pub loss: Loss,
    /// The name of the column its labels came from (`label`, `species`, ...).
    pub label: String,
}

impl Model {
    /// Classification or regression.
    pub fn task(&self) -> Task {
        Task::of_classes(&self.class_names)
    }

    /// Number of classes (0 for regression).
    pub fn classes(&self) -> usize {
        self.class_names.len()
    }

    /// Number of outputs of the network.
    pub fn output_count(&self) -> usize {
        self.network.output_count()
    }

    /// The model's current weights as plain numbers, for fast evaluation of many rows.
    pub fn predictor(&self) -> ModelPredictor {
        ModelPredictor {
            network: self.network.predictor(),
            inputs: self.inputs.clone(),
        }
    }

    /// Checks that the inputs, classes, loss and network fit together.
    ///
    /// # Errors
    /// What does not fit.
    pub fn check(&self) -> Result<(), String> {
        self.inputs.check()?;
        if self.network.input_count() != self.inputs.len() {
            return Err(format!(
                "the network takes {} inputs, but the features {} are {}",
                self.network.input_count(),
                self.inputs.names(),
                self.inputs.len()
            ));
        }
        self.loss.check(self.classes())?;
        let expected = match self.classes() {
            0 => 1,
            classes => self.loss.outputs(classes),
        };
        if self.output_count() != expected {
            let needs = match self.classes() {
                0 => "a regression target needs 1".to_string(),
                classes => format!(
                    "{classes} classes with the {} loss need {expected}",
                    self.loss.name()
                ),
            };
            let outputs = match self.output_count() {
                1 => "1 output".to_string(),
                count => format!("{count} outputs"),
            };
            return Err(format!("the network has {outputs}, but {needs}"));
        }
        Ok(())
    }
}

impl Model {
    /// d(output `output`)/d(each network input) at `row`: which inputs raise that output, and
    /// how much (for an image, its saliency map). One forward pass with a graph and a backward
    /// from the output; the parameters' gradients are left as they were.
    ///
    /// # Panics
    /// If `output` is not below [`Model::output_count`].
    pub fn input_gradient(&self, row: &[f64], output: usize) -> Vec<f64> {
        let parameters = self.network.parameters_borrowed();
        with_gradients_set_aside(parameters, || {
            let inputs: Vec<Node> = self.inputs.of(row).into_iter().map(Node::new).collect();
            let outputs = self.network.forward(&inputs);
            outputs[output].backward();
            inputs.iter().map(Node::grad).collect()
        })
    }
}

/// A [`Model`]'s weights at one moment with its input map: evaluates rows without a graph.
#[derive(Clone, Debug)]
pub struct ModelPredictor {
    network: Predictor,
    inputs: Inputs,
}

impl ModelPredictor {
    /// The network's outputs for `row` (one value per column; the same numbers training
    /// computes, bit for bit).
    pub fn outputs(&self, row: &[f64]) -> Vec<f64> {
        self.network.predict(&self.inputs.of(row))
    }

    /// [`ModelPredictor::outputs`] into `scratch`'s buffers, reused from one call to the next.
    pub fn outputs_into<'s>(&self, row: &[f64], scratch: &'s mut ModelScratch) -> &'s [f64] {
        scratch.inputs.clear();
        self.inputs.extend(row, &mut scratch.inputs);
        self.network
            .predict_into(&scratch.inputs, &mut scratch.network)
    }

    /// The outputs of every row of `data`, row after row.
    pub fn outputs_of(&self, data: &Dataset) -> Vec<f64> {
        let mut scratch = ModelScratch::default();
        let mut all = Vec::with_capacity(data.len());
        for row in data.rows() {
            all.extend_from_slice(self.outputs_into(row, &mut scratch));
        }
        all
    }

    /// The predicted class of `row` (see `metrics::predicted_class`).
    pub fn class(&self, row: &[f64]) -> usize {
        metrics::predicted_class(&self.outputs(row))
    }

    /// Every layer's outputs for `row`, the first hidden layer's first (see
    /// `Predictor::layer_outputs`), after the network's inputs.
    pub fn unit_values(&self, row: &[f64]) -> Vec<Vec<f64>> {
        let inputs = self.inputs.of(row);
        let mut values = vec![inputs.clone()];
        values.extend(self.network.layer_outputs(&inputs));
        values
    }
}

/// Buffers a [`ModelPredictor`] reuses from one row to the next.
#[derive(Clone, Debug, Default)]
pub struct ModelScratch {
    inputs: Vec<f64>,
    network: Scratch,
}

/// Why a model file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelFileError {
    /// The file could not be read (exit code 1).
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    /// The safetensors bytes are unusable.
    #[error("{0}")]
    Safetensors(#[from] SafetensorsError),
    /// The file's contents do not describe a usable model.
    #[error("{0}")]
    Invalid(String),
}

/// How to read a safetensors file that has no scalargrad metadata (one from PyTorch, say).
#[derive(Clone, Debug, PartialEq)]
pub struct Bare {
    /// The hidden layers' activation.
    pub activation: Activation,
    /// The columns a row holds; `None` for `x1, x2` when `features` is given, else `x1 .. xN`
    /// for a network of N inputs.
    pub columns: Option<Vec<String>>,
    /// The network's inputs over the columns; `None` for every column as it is.
    pub features: Option<String>,
    /// Classification (one output: two classes -1/+1; K outputs: K classes) or regression.
    pub task: Task,
}

/// A model read from a file, with what the file says of its run.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The model.
    pub model: Model,
    /// The optimizer's state after the run's last step, if the file keeps one (model.json).
    pub optimizer: Option<OptimizerState>,
    /// Steps the run had taken.
    pub steps_done: usize,
}

/// The formats a model file comes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// model.json.
    Json,
    /// safetensors.
    Safetensors,
    /// Neither: not a model file.
    Neither,
}

impl Format {
    /// The format of `bytes`, told by structure: safetensors when the first 8 bytes are the
    /// length of a JSON object that follows within the file; JSON when the text starts with `{`
    /// (after white space or a byte-order mark); else neither. (A JSON file's first 8 bytes read
    /// as a length far beyond its size; a safetensors file may start with `{`, whose header
    /// length's first byte is 0x7B.)
    pub fn of(bytes: &[u8]) -> Format {
        if let Some(length) = bytes.get(..8) {
            let length = u64::from_le_bytes(length.try_into().expect("8 bytes"));
            let header_fits = usize::try_from(length)
                .ok()
                .and_then(|n| n.checked_add(8))
                .is_some_and(|end| end <= bytes.len());
            if header_fits && bytes.get(8) == Some(&b'{') {
                return Format::Safetensors;
            }
        }
        let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        match text.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Format::Json,
            Some(_) | None => Format::Neither,
        }
    }
}

impl Model {
    /// Reads a model file: a model.json or model.safetensors written by scalargrad, or (with
    /// `bare` saying what it lacks) a safetensors file from elsewhere.
    ///
    /// # Errors
    /// `Unreadable` if the file cannot be read; otherwise what is wrong with its contents.
    pub fn load(path: &Path, bare: Option<&Bare>) -> Result<Loaded, ModelFileError> {
        let bytes =
            std::fs::read(path).map_err(|error| ModelFileError::Unreadable(error.to_string()))?;
        Model::from_bytes(&bytes, bare)
    }

    /// [`Model::load`] for a file's bytes.
    ///
    /// # Errors
    /// As [`Model::load`].
    pub fn from_bytes(bytes: &[u8], bare: Option<&Bare>) -> Result<Loaded, ModelFileError> {
        match Format::of(bytes) {
            Format::Neither => Err(ModelFileError::Invalid(
                "not a model file: neither a scalargrad model.json (JSON) nor a safetensors file \
                 (whose first 8 bytes are the length of the JSON header that follows)"
                    .into(),
            )),
            Format::Json => {
                let saved: SavedModel = serde_json::from_slice(bytes).map_err(|e| {
                    ModelFileError::Invalid(format!("not a scalargrad model.json: {e}"))
                })?;
                let model = saved
                    .model()
                    .map_err(|e| ModelFileError::Invalid(e.to_string()))?;
                Ok(Loaded {
                    model,
                    optimizer: saved.optimizer,
                    steps_done: saved.steps_done,
                })
            }
            Format::Safetensors => {
                let tensors = safetensors::parse(bytes)?;
                let model =
                    if tensors.metadata.get("format").map(String::as_str) == Some("scalargrad") {
                        Model::from_tensors_with_metadata(&tensors)?
                    } else {
                        let bare = bare.ok_or_else(|| {
                            ModelFileError::Invalid(
                                "it has no scalargrad metadata; give the network's --activation \
                             (and --features or --columns if it is not every column x1 .. xN)"
                                    .into(),
                            )
                        })?;
                        Model::from_bare_tensors(&tensors, bare)?
                    };
                Ok(Loaded {
                    model,
                    optimizer: None,
                    steps_done: 0,
                })
            }
        }
    }

    /// The metadata written with the weights, enough to load the model back: format,
    /// activation, columns, features, loss, classes, label column and the standardisation.
    pub fn metadata(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("format".to_string(), "scalargrad".to_string()),
            (
                "activation".to_string(),
                json(&self.network.hidden_activation()),
            ),
            ("columns".to_string(), json(&self.inputs.columns)),
            ("features".to_string(), json(&self.inputs.feature_names())),
            ("loss".to_string(), json(&self.loss)),
            ("task".to_string(), json(&self.task())),
            ("classes".to_string(), json(&self.class_names)),
            ("label".to_string(), self.label.clone()),
            ("scaling".to_string(), json(&self.inputs.scaling)),
        ])
    }

    /// The model as safetensors bytes (`torch.nn.Sequential` names) with [`Model::metadata`].
    pub fn to_safetensors(&self, dtype: Dtype) -> Vec<u8> {
        safetensors::to_bytes(&self.network, dtype, &self.metadata())
    }

    /// A model from safetensors tensors with scalargrad's metadata (this version's, or an
    /// earlier one's: features as a comma list over `x1, x2`).
    fn from_tensors_with_metadata(tensors: &Tensors) -> Result<Model, ModelFileError> {
        let invalid = |key: &str, why: String| {
            ModelFileError::Invalid(format!("the metadata {key:?} is not valid: {why}"))
        };
        let field = |key: &str| {
            tensors.metadata.get(key).ok_or_else(|| {
                ModelFileError::Invalid(format!(
                    "no {key:?} in its metadata (not written by scalargrad)"
                ))
            })
        };
        let parsed = |key: &str| -> Result<serde_json::Value, ModelFileError> {
            serde_json::from_str(field(key)?).map_err(|e| invalid(key, e.to_string()))
        };
        let activation: Activation = serde_json::from_value(parsed("activation")?)
            .map_err(|e| invalid("activation", e.to_string()))?;
        let loss: Loss =
            serde_json::from_value(parsed("loss")?).map_err(|e| invalid("loss", e.to_string()))?;
        let class_names: Vec<String> = serde_json::from_value(parsed("classes")?)
            .map_err(|e| invalid("classes", e.to_string()))?;
        let scaling: Option<Scaling> = serde_json::from_value(parsed("scaling")?)
            .map_err(|e| invalid("scaling", e.to_string()))?;
        let columns: Vec<String> = match tensors.metadata.get("columns") {
            Some(text) => {
                serde_json::from_str(text).map_err(|e| invalid("columns", e.to_string()))?
            }
            None => two_columns(),
        };
        let features_text = field("features")?;
        let features = if features_text.starts_with('[') {
            let names: Vec<String> = serde_json::from_str(features_text)
                .map_err(|e| invalid("features", e.to_string()))?;
            names
                .iter()
                .map(|name| Feature::parse(name, &columns))
                .collect::<Result<Vec<Feature>, String>>()
        } else {
            Feature::parse_list(features_text, &columns)
        }
        .map_err(|why| invalid("features", why))?;
        let task = Task::of_classes(&class_names);
        let label = tensors
            .metadata
            .get("label")
            .cloned()
            .unwrap_or_else(|| task.label_word().to_string());
        Model::from_tensors(
            tensors,
            activation,
            Inputs {
                columns,
                features,
                scaling,
            },
            class_names,
            loss,
            label,
        )
    }

    /// A model from tensors without metadata, read as `bare` says.
    fn from_bare_tensors(tensors: &Tensors, bare: &Bare) -> Result<Model, ModelFileError> {
        let (fan_in, widths) = tensors.shape()?;
        let columns = match (&bare.columns, &bare.features) {
            (Some(columns), _) => columns.clone(),
            (None, Some(_)) => two_columns(),
            (None, None) => (1..=fan_in).map(|k| format!("x{k}")).collect(),
        };
        let features = match &bare.features {
            Some(text) => Feature::parse_list(text, &columns).map_err(ModelFileError::Invalid)?,
            None => (0..columns.len()).map(Feature::Column).collect(),
        };
        let outputs = widths.last().copied().unwrap_or(0);
        let (class_names, loss) = match (bare.task, outputs) {
            (Task::Regression, _) => (Vec::new(), Loss::Mse),
            (Task::Classification, 1) => (numbered_classes(2), Loss::Hinge),
            (Task::Classification, k) => (numbered_classes(k), Loss::CrossEntropy),
        };
        Model::from_tensors(
            tensors,
            bare.activation,
            Inputs {
                columns,
                features,
                scaling: None,
            },
            class_names,
            loss,
            bare.task.label_word().to_string(),
        )
    }

    /// A model of the shape `tensors` describe, with these inputs, classes and loss.
    ///
    /// # Errors
    /// If the tensors do not describe a network whose inputs and outputs fit, or a weight is
    /// not finite.
    pub fn from_tensors(
        tensors: &Tensors,
        activation: Activation,
        inputs: Inputs,
        class_names: Vec<String>,
        loss: Loss,
        label: String,
    ) -> Result<Model, ModelFileError> {
        let (fan_in, widths) = tensors.shape()?;
        if fan_in != inputs.len() || widths.contains(&0) {
            return Err(ModelFileError::Invalid(format!(
                "the network takes {fan_in} inputs, but the features {} are {}",
                inputs.names(),
                inputs.len()
            )));
        }
        let weights = tensors.weights_for(fan_in, &widths)?;
        if let Some(bad) = weights.iter().find(|w| !w.is_finite()) {
            return Err(ModelFileError::Invalid(format!(
                "a weight is {bad}: every weight must be a finite number"
            )));
        }
        let network = Mlp::of_shape(fan_in, &widths, activation);
        set_values(network.parameters_borrowed(), &weights);
        let model = Model {
            network,
            inputs,
            class_names,
            loss,
            label,
        };
        model.check().map_err(ModelFileError::Invalid)?;
        Ok(model)
    }
}

/// The columns of files written before tables: `x1`, `x2`.
fn two_columns() -> Vec<String> {
    vec!["x1".to_string(), "x2".to_string()]
}

/// A small value's JSON text, for the metadata.
fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_is_told_by_structure_not_the_first_byte() {
        assert_eq!(
            Format::of(b"{\n  \"format\": \"scalargrad-mlp\"}"),
            Format::Json
        );
        assert_eq!(Format::of(b"{}"), Format::Json);
        assert_eq!(Format::of(b" \n{}"), Format::Json);
        assert_eq!(Format::of(b""), Format::Neither);
        assert_eq!(
            Format::of(b"\x10\0\0\0\0\0\0\0not json at all!"),
            Format::Neither
        );
        // a header of 123 bytes (0x7B, `{`) in a file long enough: safetensors
        let mut bytes = 123u64.to_le_bytes().to_vec();
        bytes.push(b'{');
        bytes.extend(std::iter::repeat_n(b' ', 122));
        assert_eq!(bytes[0], b'{');
        assert_eq!(Format::of(&bytes), Format::Safetensors);
    }
}
