//! What a run leaves behind: the files in `--out` (each written atomically) and the summary.

use std::path::{Path, PathBuf};

use serde::Serialize;

use scalargrad::data::{Dataset, Generator, Task};
use scalargrad::engine::to_dot;
use scalargrad::files::write_atomic;
use scalargrad::model::Model;
use scalargrad::model::SavedModel;
use scalargrad::model::safetensors::Dtype;
use scalargrad::train::{self, Measures, StepMetrics, Stop, TrainConfig, TrainResult};

use super::animation::Animation;
use super::cli::Args;
use super::error::AppError;
use super::graphviz::write_graph;
use super::plot;

/// The files a run of `task` writes to its output directory (besides `--graph`'s).
pub(crate) fn file_names(task: Task) -> Vec<&'static str> {
    let mut names = vec!["metrics.csv", "loss.png"];
    match task {
        Task::Classification => {
            names.extend(["accuracy.png", "decision_boundary.png", "confusion.png"]);
        }
        Task::Regression => names.extend(["surface.png", "fit.png"]),
    }
    names.extend(["network.png", "model.json", "model.safetensors", "run.json"]);
    names
}

/// Makes sure `dir` exists, a file can be created in it, and no output file's name is taken by
/// a directory, before any work is done.
///
/// # Errors
/// `AppError::Output` naming the directory or the file.
pub(crate) fn check_outputs(dir: &Path, task: Task, graph: bool) -> Result<(), AppError> {
    // and training.gif, unless --frames 0
    let fail = |path: &Path, message: String| AppError::Output {
        path: path.to_path_buf(),
        message: format!("{message} (choose another directory with --out)"),
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, e.to_string()))?;
    let probe = dir.join(".scalargrad-write-test");
    write_atomic(&probe, b"").map_err(|e| fail(dir, e.to_string()))?;
    std::fs::remove_file(&probe).map_err(|e| fail(dir, e.to_string()))?;
    let mut names = file_names(task);
    names.push("training.gif");
    if graph {
        names.extend(["graph.dot", "graph.svg", "graph.png"]);
    }
    for name in names {
        let path = dir.join(name);
        if path.is_dir() {
            return Err(fail(&path, "a directory has this file's name".into()));
        }
    }
    Ok(())
}

/// A number as people read it at any size: 4 decimals from 0.001 to 99999, else scientific
/// (`3.000e116`, not a 117-digit integer).
pub(crate) fn readable(value: f64) -> String {
    if !value.is_finite() {
        "n/a".to_string()
    } else if value == 0.0 || (1e-3..1e5).contains(&value.abs()) {
        format!("{value:.4}")
    } else {
        format!("{value:.3e}")
    }
}

/// A network's shape as `2-16-16-1`.
pub(crate) fn shape_of(inputs: usize, widths: &[usize]) -> String {
    let mut parts = vec![inputs.to_string()];
    parts.extend(widths.iter().map(ToString::to_string));
    parts.join("-")
}

/// The model's network shape as `2-16-16-1`.
pub(crate) fn shape(model: &Model) -> String {
    shape_of(model.network.inputs(), &model.network.widths())
}

/// run.json: enough to know what ran and to run it again.
#[derive(Serialize)]
struct RunRecord<'a> {
    scalargrad_version: &'static str,
    seed: u64,
    data: DataRecord<'a>,
    config: &'a TrainConfig,
    task: Task,
    class_names: &'a [String],
    stop: Stop,
    steps_done: usize,
    #[serde(rename = "final")]
    final_metrics: FinalRecord,
    nodes_per_step: usize,
    parameters: usize,
    seconds: f64,
}

/// Where the data came from and how it was split.
#[derive(Serialize)]
struct DataRecord<'a> {
    source: Source<'a>,
    test_fraction: f64,
    train_examples: usize,
    test_examples: usize,
    label_names: &'a [String],
}

/// A CSV file, or a built-in generator with its settings.
#[derive(Serialize)]
#[serde(untagged)]
enum Source<'a> {
    File {
        file: &'a Path,
    },
    Generated {
        generator: Generator,
        samples: usize,
        noise: f64,
    },
}

/// The last step's metrics, and the trained model's on the training and held-out sets; `null`
/// where not finite or not of the task.
#[derive(Serialize)]
struct FinalRecord {
    loss: Option<f64>,
    accuracy: Option<f64>,
    test_loss: Option<f64>,
    test_accuracy: Option<f64>,
    rmse: Option<f64>,
    r2: Option<f64>,
    test_rmse: Option<f64>,
    test_r2: Option<f64>,
    trained_loss: Option<f64>,
    trained_accuracy: Option<f64>,
    trained_rmse: Option<f64>,
    /// Counts on the training set by the trained model, rows the true class, columns the
    /// predicted one, in class order (classification).
    #[serde(skip_serializing_if = "Option::is_none")]
    confusion: Option<Vec<Vec<usize>>>,
    /// The same on the held-out set.
    #[serde(skip_serializing_if = "Option::is_none")]
    test_confusion: Option<Vec<Vec<usize>>>,
}

/// `Some(value)` if it is finite (JSON has no NaN).
fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

/// Pretty JSON of `value`, or the error naming the file it was for.
fn json_of(value: &impl Serialize, path: PathBuf) -> Result<Vec<u8>, AppError> {
    serde_json::to_vec_pretty(value).map_err(|error| AppError::Output {
        path,
        message: error.to_string(),
    })
}

/// Writes every output file for the steps done; returns their paths.
///
/// # Errors
/// `AppError::Output` naming the first file that could not be made or written.
pub(crate) fn write_outputs(
    args: &Args,
    config: &TrainConfig,
    result: &TrainResult,
    train_set: &Dataset,
    test_set: &Dataset,
) -> Result<Vec<PathBuf>, AppError> {
    let out = &args.out;
    let last = result.metrics.last();
    let last_value = |pick: fn(&StepMetrics) -> f64| last.map(pick).and_then(finite);
    let model = &result.model;
    let task = model.task();
    let trained = train::measure(config, model, train_set);
    let held_out = train::measure(config, model, test_set);
    let confusion = |m: &Measures| (task == Task::Classification).then(|| m.confusion.clone());
    let run = RunRecord {
        scalargrad_version: env!("CARGO_PKG_VERSION"),
        seed: args.seed,
        data: DataRecord {
            source: match &args.data {
                Some(path) => Source::File { file: path },
                None => Source::Generated {
                    generator: args.dataset,
                    samples: args.samples,
                    noise: args.noise,
                },
            },
            test_fraction: args.test_fraction,
            train_examples: train_set.len(),
            test_examples: test_set.len(),
            label_names: &train_set.label_names,
        },
        config,
        task,
        class_names: &model.class_names,
        stop: result.stop,
        steps_done: result.metrics.len(),
        final_metrics: FinalRecord {
            loss: last_value(|m| m.loss),
            accuracy: last_value(|m| m.accuracy),
            test_loss: last_value(|m| m.test_loss),
            test_accuracy: last_value(|m| m.test_accuracy),
            rmse: last_value(|m| m.rmse),
            r2: last_value(|m| m.r2),
            test_rmse: last_value(|m| m.test_rmse),
            test_r2: last_value(|m| m.test_r2),
            trained_loss: finite(trained.loss),
            trained_accuracy: finite(trained.accuracy),
            trained_rmse: finite(trained.rmse),
            confusion: confusion(&trained),
            test_confusion: confusion(&held_out),
        },
        nodes_per_step: result.nodes_per_step,
        parameters: model.network.parameters_borrowed().len(),
        seconds: result.elapsed.as_secs_f64(),
    };
    let config_json = serde_json::to_value(config).map_err(|error| AppError::Output {
        path: out.join("model.json"),
        message: error.to_string(),
    })?;
    let model_file = SavedModel {
        optimizer: Some(result.optimizer.clone()),
        steps_done: result.steps_done,
        ..SavedModel::of(model, config_json)
    };
    let picture = |name: &str, drawn: Result<Vec<u8>, plot::PlotError>| {
        drawn.map_err(|error| AppError::Output {
            path: out.join(name),
            message: error.to_string(),
        })
    };
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        (
            "metrics.csv",
            scalargrad::train::metrics_csv(task, &result.metrics).into_bytes(),
        ),
        (
            "loss.png",
            picture("loss.png", plot::loss_png(&result.metrics))?,
        ),
    ];
    match task {
        Task::Classification => {
            files.push((
                "accuracy.png",
                picture("accuracy.png", plot::accuracy_png(&result.metrics))?,
            ));
            files.push((
                "decision_boundary.png",
                picture(
                    "decision_boundary.png",
                    plot::decision_boundary_png(model, train_set, test_set),
                )?,
            ));
            files.push((
                "confusion.png",
                picture(
                    "confusion.png",
                    plot::confusion_png(
                        &model.class_names,
                        &trained.confusion,
                        &held_out.confusion,
                    ),
                )?,
            ));
        }
        Task::Regression => {
            files.push((
                "surface.png",
                picture("surface.png", plot::surface_png(model, train_set, test_set))?,
            ));
            files.push((
                "fit.png",
                picture("fit.png", plot::fit_png(model, train_set, test_set))?,
            ));
        }
    }
    files.push((
        "network.png",
        picture("network.png", plot::network_png(model, train_set, test_set))?,
    ));
    files.push(("model.json", json_of(&model_file, out.join("model.json"))?));
    files.push(("model.safetensors", model.to_safetensors(Dtype::F64)));
    files.push(("run.json", json_of(&run, out.join("run.json"))?));
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = out.join(name);
        write_atomic(&path, &bytes).map_err(|error| AppError::Output {
            path: path.clone(),
            message: error.to_string(),
        })?;
        written.push(path);
    }
    Ok(written)
}

/// Writes graph.dot (and its pictures, when Graphviz is installed) for the training example the
/// trained model gets most wrong, so the gradients in the picture are not 0. Returns the files
/// and whether Graphviz rendered them.
///
/// # Errors
/// `AppError::Output` if a file cannot be written or Graphviz fails.
pub(crate) fn write_example_graph(
    args: &Args,
    result: &TrainResult,
    train_set: &Dataset,
) -> Result<(Vec<PathBuf>, bool), AppError> {
    let model = &result.model;
    let predictor = model.predictor();
    let loss_of = |i: usize| {
        let outputs = predictor.outputs(train_set.points[i]);
        model.loss.of_example(&outputs, train_set.labels[i])
    };
    let Some(worst) = (0..train_set.len()).max_by(|&a, &b| loss_of(a).total_cmp(&loss_of(b)))
    else {
        return Ok((Vec::new(), true));
    };
    let loss = train::example_graph(model, train_set.points[worst], train_set.labels[worst]);
    let dot = to_dot(&loss);
    let files = write_graph(&dot, &args.out, "graph").map_err(|message| AppError::Output {
        path: args.out.join("graph.dot"),
        message,
    })?;
    Ok((files.written, files.rendered))
}

/// A frame's caption: the steps done, and the objective and accuracy (or RMSE) on the training
/// set of the model drawn.
pub(crate) fn frame_caption(
    config: &TrainConfig,
    model: &Model,
    train_set: &Dataset,
    done: usize,
) -> String {
    let measures = train::measure(config, model, train_set);
    match model.task() {
        Task::Classification => format!(
            "step {done}/{}   loss {}   accuracy {:.1}%",
            config.steps,
            readable(measures.loss),
            100.0 * measures.accuracy
        ),
        Task::Regression => format!(
            "step {done}/{}   loss {}   rmse {}",
            config.steps,
            readable(measures.loss),
            readable(measures.rmse)
        ),
    }
}

/// Writes training.gif.
///
/// # Errors
/// `AppError::Output` naming the file.
pub(crate) fn write_animation(out: &Path, movie: &Animation) -> Result<PathBuf, AppError> {
    let path = out.join("training.gif");
    let failed = |message: String| AppError::Output {
        path: path.clone(),
        message,
    };
    let bytes = movie.encode().map_err(|e| failed(e.to_string()))?;
    write_atomic(&path, &bytes).map_err(|e| failed(e.to_string()))?;
    Ok(path)
}

/// The summary printed after a completed run.
pub(crate) fn summary(result: &TrainResult, files: usize, out: &Path) -> String {
    let mut text = String::new();
    if let Some(last) = result.metrics.last() {
        let percent = |v: f64| finite(v).map_or("n/a".into(), |v| format!("{:.1}%", 100.0 * v));
        let line = match result.model.task() {
            Task::Classification => format!(
                "final (step {}): train loss {} accuracy {} | test loss {} accuracy {}\n",
                last.step,
                readable(last.loss),
                percent(last.accuracy),
                readable(last.test_loss),
                percent(last.test_accuracy)
            ),
            Task::Regression => format!(
                "final (step {}): train loss {} rmse {} r2 {} | test loss {} rmse {} r2 {}\n",
                last.step,
                readable(last.loss),
                readable(last.rmse),
                readable(last.r2),
                readable(last.test_loss),
                readable(last.test_rmse),
                readable(last.test_r2)
            ),
        };
        text.push_str(&line);
    }
    let seconds = result.elapsed.as_secs_f64();
    let per_step = 1000.0 * seconds / result.metrics.len().max(1) as f64;
    text.push_str(&format!(
        "{} steps in {:.2} s ({} ms/step, {} nodes per step)\n",
        result.metrics.len(),
        seconds,
        significant(per_step, 3),
        result.nodes_per_step
    ));
    text.push_str(&format!("wrote {files} files to {}", out.display()));
    text
}

/// `value` with `digits` significant digits (`0.0281`, `12.3`).
fn significant(value: f64, digits: i32) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let decimals = (digits - 1 - value.abs().log10().floor() as i32).max(0) as usize;
    format!("{value:.decimals$}")
}
