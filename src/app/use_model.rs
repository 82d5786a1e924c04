//! Using a trained model: `predict`, `evaluate` and `export`.

use std::path::Path;

use serde_json::json;

use scalargrad::data::{Dataset, Task, class_label, read_rows};
use scalargrad::features::Inputs;
use scalargrad::files::write_atomic;
use scalargrad::model::Model;
use scalargrad::model::SavedModel;
use scalargrad::model::safetensors;
use scalargrad::nn::loss::Loss;
use scalargrad::train::{self, TrainConfig};

use super::cli::{EvaluateArgs, ExportArgs, ModelArgs, PredictArgs};
use super::error::AppError;

/// The model `args` names: a model.json (its text starts with `{`) or a safetensors file, with
/// scalargrad's metadata or, for a file from elsewhere, the activation and features given.
///
/// # Errors
/// `AppError::Input` (exit 1) if the file cannot be read; `AppError::Weights` (exit 2) naming
/// the file and what is wrong with it.
pub(crate) fn load_model(args: &ModelArgs) -> Result<Model, AppError> {
    let path = &args.model;
    let bytes = std::fs::read(path).map_err(|error| AppError::Input {
        path: path.clone(),
        message: error.to_string(),
    })?;
    let bad = |message: String| AppError::Weights {
        path: path.clone(),
        message,
    };
    if bytes.first() == Some(&b'{') {
        let saved: SavedModel = serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("not a scalargrad model.json: {e}")))?;
        return saved.model().map_err(|e| bad(e.to_string()));
    }
    let tensors = safetensors::parse(&bytes).map_err(|e| bad(e.to_string()))?;
    if tensors.metadata.get("format").map(String::as_str) == Some("scalargrad") {
        return Model::from_safetensors(&bytes).map_err(|e| bad(e.to_string()));
    }
    let (Some(activation), Some(features)) = (args.activation, &args.features) else {
        return Err(bad(
            "it has no scalargrad metadata; give the network's --activation and --features".into(),
        ));
    };
    let outputs = tensors
        .shape()
        .map_or(0, |(_, widths)| widths.last().copied().unwrap_or(0));
    let (class_names, loss) = match (args.task.unwrap_or(Task::Classification), outputs) {
        (Task::Regression, _) => (Vec::new(), Loss::Mse),
        (Task::Classification, 1) => (vec!["-1".to_string(), "+1".to_string()], Loss::Hinge),
        (Task::Classification, k) => ((0..k).map(|c| c.to_string()).collect(), Loss::CrossEntropy),
    };
    let inputs = Inputs {
        features: features.0.clone(),
        scaling: None,
    };
    Model::from_tensors(&tensors, activation, inputs, class_names, loss)
        .map_err(|e| bad(e.to_string()))
}

/// Reads the points (and their optional third column) of a CSV file.
fn read_points(path: &Path, third: &str) -> Result<scalargrad::data::PointRows, AppError> {
    let text = std::fs::read_to_string(path).map_err(|error| AppError::Input {
        path: path.to_path_buf(),
        message: error.to_string(),
    })?;
    Ok(read_rows(&text, path, true, third)?)
}

/// softmax(z).
fn probabilities(z: &[f64]) -> Vec<f64> {
    let top = z.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
    let exponentials: Vec<f64> = z.iter().map(|v| (v - top).exp()).collect();
    let total: f64 = exponentials.iter().sum();
    exponentials.iter().map(|e| e / total).collect()
}

/// `scalargrad predict`: one output row per input row, in order.
///
/// # Errors
/// A model or data file that cannot be read or used, or an output file that cannot be written.
pub(crate) fn predict(args: &PredictArgs) -> Result<(), AppError> {
    let model = load_model(&args.model)?;
    let third = match model.task() {
        Task::Classification => "label",
        Task::Regression => "target",
    };
    let rows = read_points(&args.data, third)?;
    let classes = &model.class_names;
    let mut header: Vec<String> = match &rows.header {
        Some(names) => names.clone(),
        None => ["x1", "x2", third]
            [..2 + usize::from(rows.labels.first().is_some_and(Option::is_some))]
            .iter()
            .map(ToString::to_string)
            .collect(),
    };
    let outputs = model.outputs();
    if outputs == 1 {
        header.push("score".into());
    } else {
        header.extend(classes.iter().map(|c| format!("score_{c}")));
    }
    let probabilities_too = model.loss == Loss::CrossEntropy;
    if probabilities_too {
        header.extend(classes.iter().map(|c| format!("probability_{c}")));
    }
    header.push("predicted".into());
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |error: csv::Error| AppError::Output {
        path: args.out.clone().unwrap_or_else(|| "standard output".into()),
        message: error.to_string(),
    };
    writer.write_record(&header).map_err(failed)?;
    let predictor = model.predictor();
    for (point, label) in rows.points.iter().zip(&rows.labels) {
        let z = predictor.outputs(*point);
        // Display of an f64 is the shortest text that reads back to the same bits
        let mut record: Vec<String> = vec![point[0].to_string(), point[1].to_string()];
        record.extend(label.iter().cloned());
        record.extend(z.iter().map(ToString::to_string));
        if probabilities_too {
            record.extend(probabilities(&z).iter().map(ToString::to_string));
        }
        record.push(match model.task() {
            Task::Regression => z[0].to_string(),
            Task::Classification => {
                let class = scalargrad::nn::metrics::predicted_class(&z);
                classes
                    .get(class)
                    .cloned()
                    .unwrap_or_else(|| class.to_string())
            }
        });
        writer.write_record(&record).map_err(failed)?;
    }
    let bytes = writer.into_inner().map_err(|e| AppError::Output {
        path: args.out.clone().unwrap_or_else(|| "standard output".into()),
        message: e.to_string(),
    })?;
    match &args.out {
        Some(path) => write_atomic(path, &bytes).map_err(|error| AppError::Output {
            path: path.clone(),
            message: error.to_string(),
        }),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&bytes)
                .map_err(|error| AppError::Output {
                    path: "standard output".into(),
                    message: error.to_string(),
                })
        }
    }
}

/// The class of `label` among `classes`: the same number (`1` is `+1`) when both are numbers,
/// else the same text.
fn class_of(label: &str, classes: &[String]) -> Option<usize> {
    let number = label.parse::<f64>().ok();
    classes
        .iter()
        .position(|name| match (number, name.parse::<f64>().ok()) {
            (Some(a), Some(b)) => a == b,
            _ => name == label,
        })
}

/// The examples of `path` as the model's labels: classes matched to its class names, or targets.
fn labelled(model: &Model, path: &Path) -> Result<Dataset, AppError> {
    let rows = read_points(
        path,
        if model.task() == Task::Regression {
            "target"
        } else {
            "label"
        },
    )?;
    let error = |line: usize, message: String| {
        AppError::Data(scalargrad::data::DataError {
            path: path.to_path_buf(),
            line: Some(line),
            message,
        })
    };
    let mut labels = Vec::with_capacity(rows.points.len());
    for (label, &line) in rows.labels.iter().zip(&rows.lines) {
        let Some(label) = label else {
            return Err(error(
                line,
                "no label column; evaluate needs x1,x2,label rows".into(),
            ));
        };
        labels.push(match model.task() {
            Task::Regression => label
                .parse::<f64>()
                .ok()
                .filter(|t| t.is_finite())
                .ok_or_else(|| {
                    error(line, format!("the target {label:?} is not a finite number"))
                })?,
            Task::Classification => {
                let class = class_of(label, &model.class_names).ok_or_else(|| {
                    error(
                        line,
                        format!(
                            "the label {label:?} is not one of the model's classes {:?}",
                            model.class_names
                        ),
                    )
                })?;
                class_label(class, model.classes())
            }
        });
    }
    Ok(Dataset {
        points: rows.points,
        labels,
        label_names: model.class_names.clone(),
    })
}

/// `scalargrad evaluate`: the data loss (no penalty) and accuracy and confusion, or RMSE and R^2.
///
/// # Errors
/// A model or data file that cannot be read or used, or a label the model does not know.
pub(crate) fn evaluate(args: &EvaluateArgs) -> Result<(), AppError> {
    let model = load_model(&args.model)?;
    let data = labelled(&model, &args.data)?;
    let no_penalty = TrainConfig {
        l2: 0.0,
        l1: 0.0,
        ..TrainConfig::default()
    };
    let measures = train::measure(&no_penalty, &model, &data);
    let finite = |v: f64| v.is_finite().then_some(v);
    let text = match (model.task(), args.json) {
        (Task::Classification, true) => json!({
            "loss": finite(measures.data_loss),
            "examples": data.len(),
            "accuracy": finite(measures.accuracy),
            "confusion": measures.confusion,
        })
        .to_string(),
        (Task::Regression, true) => json!({
            "loss": finite(measures.data_loss),
            "examples": data.len(),
            "rmse": finite(measures.rmse),
            "r2": finite(measures.r2),
        })
        .to_string(),
        (Task::Classification, false) => {
            let mut text = format!(
                "examples {}\nloss {}\naccuracy {:.2}%\nconfusion (rows: true class, columns: predicted)\n",
                data.len(),
                measures.data_loss,
                100.0 * measures.accuracy
            );
            let width = model
                .class_names
                .iter()
                .map(String::len)
                .max()
                .unwrap_or(1)
                .max(6);
            text.push_str(&format!("{:>width$}", ""));
            for name in &model.class_names {
                text.push_str(&format!(" {name:>width$}"));
            }
            for (name, row) in model.class_names.iter().zip(&measures.confusion) {
                text.push_str(&format!("\n{name:>width$}"));
                for count in row {
                    text.push_str(&format!(" {count:>width$}"));
                }
            }
            text
        }
        (Task::Regression, false) => format!(
            "examples {}\nloss {}\nrmse {}\nr2 {}",
            data.len(),
            measures.data_loss,
            measures.rmse,
            measures.r2
        ),
    };
    println!("{text}");
    Ok(())
}

/// `scalargrad export`: the model's weights as safetensors, in `--dtype`.
///
/// # Errors
/// A model file that cannot be read or used, or an output file that cannot be written.
pub(crate) fn export(args: &ExportArgs) -> Result<(), AppError> {
    let model = load_model(&args.model)?;
    let bytes = model.to_safetensors(args.dtype);
    write_atomic(&args.out, &bytes).map_err(|error| AppError::Output {
        path: args.out.clone(),
        message: error.to_string(),
    })?;
    println!("wrote {}", args.out.display());
    Ok(())
}
