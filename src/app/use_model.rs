//! Using a trained model: `predict`, `evaluate` and `export`.

use std::path::Path;

use serde_json::json;

use scalargrad::data::csv::{ModelRows, model_rows};
use scalargrad::data::labels::class_of;
use scalargrad::data::quoted;
use scalargrad::data::{DataError, Dataset, Task};
use scalargrad::files::write_atomic;
use scalargrad::model::{Bare, Model, ModelFileError};
use scalargrad::nn::loss::{Loss, Penalty};
use scalargrad::nn::metrics::{predicted_class, softmax};
use scalargrad::train;

use super::cli::{EvaluateArgs, ExportArgs, ModelArgs, PredictArgs};
use super::error::AppError;

/// The model `args` names: a model.json or model.safetensors written by scalargrad, or a
/// safetensors file from elsewhere read as the flags describe it.
///
/// # Errors
/// `AppError::Input` (exit 1) if the file cannot be read; `AppError::Weights` (exit 2) naming
/// the file and what is wrong with it.
pub(crate) fn load_model(args: &ModelArgs) -> Result<Model, AppError> {
    let bare = args.activation.map(|activation| Bare {
        activation,
        columns: args.columns.as_deref().map(scalargrad::settings::names),
        features: args.features.clone(),
        task: args.task.unwrap_or(Task::Classification),
    });
    match Model::load(&args.model, bare.as_ref()) {
        Ok(loaded) => Ok(loaded.model),
        Err(ModelFileError::Unreadable(message)) => Err(AppError::Input {
            path: args.model.clone(),
            message,
        }),
        Err(error) => Err(AppError::Weights {
            path: args.model.clone(),
            message: error.to_string(),
        }),
    }
}

/// Reads the rows of a CSV file for `model` (its columns by header name, or by position).
fn read_rows(model: &Model, path: &Path, label: Option<&str>) -> Result<ModelRows, AppError> {
    let text = std::fs::read_to_string(path).map_err(|error| AppError::Input {
        path: path.to_path_buf(),
        message: error.to_string(),
    })?;
    Ok(model_rows(
        &text,
        path,
        &model.inputs.columns,
        label,
        &model.label,
    )?)
}

/// `scalargrad predict`: one output row per input row, in order: the row's fields as written,
/// then the outputs, the probabilities (cross-entropy) and the prediction.
///
/// # Errors
/// A model or data file that cannot be read or used, or an output file that cannot be written.
pub(crate) fn predict(args: &PredictArgs) -> Result<(), AppError> {
    let model = load_model(&args.model)?;
    let rows = read_rows(&model, &args.data, None)?;
    let classes = &model.class_names;
    let width = rows.fields.first().map_or(0, Vec::len);
    let mut header: Vec<String> = match &rows.header {
        Some(names) => names.clone(),
        None => {
            let mut names = model.inputs.columns.clone();
            if width > names.len() {
                names.push(model.label.clone());
            }
            names
        }
    };
    if model.output_count() == 1 {
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
    let destination = || args.out.clone().unwrap_or_else(|| "standard output".into());
    let failed = |error: csv::Error| AppError::Output {
        path: destination(),
        message: error.to_string(),
    };
    writer.write_record(&header).map_err(failed)?;
    let predictor = model.predictor();
    let columns = model.inputs.columns.len();
    for (fields, row) in rows.fields.iter().zip(rows.inputs.chunks_exact(columns)) {
        let z = predictor.outputs(row);
        // Display of an f64 is the shortest text that reads back to the same bits
        let mut record: Vec<String> = fields.clone();
        record.extend(z.iter().map(ToString::to_string));
        if probabilities_too {
            record.extend(softmax(&z).iter().map(ToString::to_string));
        }
        record.push(match model.task() {
            Task::Regression => z[0].to_string(),
            Task::Classification => {
                let class = predicted_class(&z);
                classes
                    .get(class)
                    .cloned()
                    .unwrap_or_else(|| class.to_string())
            }
        });
        writer.write_record(&record).map_err(failed)?;
    }
    let bytes = writer.into_inner().map_err(|e| AppError::Output {
        path: destination(),
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

/// The examples of `path` with the model's labels: classes matched to its class names by the
/// one label rule of `data::csv`, or targets.
fn labelled(model: &Model, path: &Path, label: Option<&str>) -> Result<Dataset, AppError> {
    let rows = read_rows(model, path, label)?;
    let error = |line: Option<usize>, message: String| {
        AppError::Data(DataError {
            path: path.to_path_buf(),
            line,
            message,
        })
    };
    let Some(texts) = &rows.labels else {
        return Err(error(
            None,
            format!(
                "no label column: evaluate needs the model's inputs ({}) and a label (name it \
                 with --label)",
                model.inputs.columns.join(", ")
            ),
        ));
    };
    let mut labels = Vec::with_capacity(texts.len());
    for (text, &line) in texts.iter().zip(&rows.lines) {
        labels.push(match model.task() {
            Task::Regression => text
                .parse::<f64>()
                .ok()
                .filter(|t| t.is_finite())
                .ok_or_else(|| {
                    error(
                        Some(line),
                        format!("the target {} is not a finite number", quoted(text)),
                    )
                })?,
            Task::Classification => {
                let class = class_of(text, &model.class_names).ok_or_else(|| {
                    error(
                        Some(line),
                        format!(
                            "the label {} is not one of the model's classes {:?}",
                            quoted(text),
                            model.class_names
                        ),
                    )
                })?;
                class as f64
            }
        });
    }
    Ok(Dataset {
        columns: model.inputs.columns.clone(),
        inputs: rows.inputs,
        labels,
        class_names: model.class_names.clone(),
        label: model.label.clone(),
    })
}

/// `scalargrad evaluate`: the data loss (no penalty) and accuracy and confusion, or RMSE and R^2.
///
/// # Errors
/// A model or data file that cannot be read or used, or a label the model does not know.
pub(crate) fn evaluate(args: &EvaluateArgs) -> Result<(), AppError> {
    let model = load_model(&args.model)?;
    let data = labelled(&model, &args.data, args.label.as_deref())?;
    let measures = train::measure(&model, Penalty::default(), &data);
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
