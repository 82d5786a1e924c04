//! What a run leaves behind: the files in `--out` (each written atomically) and the summary.

use std::path::{Path, PathBuf};

use serde::Serialize;

use scalargrad::data::{Dataset, Generator};
use scalargrad::engine::to_dot;
use scalargrad::files::write_atomic;
use scalargrad::nn::SavedModel;
use scalargrad::train::{self, StepMetrics, Stop, TrainConfig, TrainResult};

use super::cli::Args;
use super::error::AppError;
use super::graphviz::write_graph;
use super::plot;

/// Makes sure `dir` exists and a file can be created in it, before any work is done.
///
/// # Errors
/// `AppError::Output` naming the directory.
pub(crate) fn check_output_dir(dir: &Path) -> Result<(), AppError> {
    let fail = |error: std::io::Error| AppError::Output {
        path: dir.to_path_buf(),
        message: format!("{error} (choose another directory with --out)"),
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(".scalargrad-write-test");
    write_atomic(&probe, b"").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)
}

/// metrics.csv: a header, then one row per step.
fn metrics_csv(metrics: &[StepMetrics]) -> String {
    let mut csv = String::from("step,loss,accuracy,test_loss,test_accuracy,lr\n");
    for m in metrics {
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            m.step, m.loss, m.accuracy, m.test_loss, m.test_accuracy, m.lr
        ));
    }
    csv
}

/// run.json: enough to know what ran and to run it again.
#[derive(Serialize)]
struct RunRecord<'a> {
    scalargrad_version: &'static str,
    seed: u64,
    data: DataRecord<'a>,
    config: &'a TrainConfig,
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
    label_names: &'a [String; 2],
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

/// The last step's metrics, and the trained model's on the training set; `null` where not finite.
#[derive(Serialize)]
struct FinalRecord {
    loss: Option<f64>,
    accuracy: Option<f64>,
    test_loss: Option<f64>,
    test_accuracy: Option<f64>,
    trained_loss: Option<f64>,
    trained_accuracy: Option<f64>,
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
    let (trained_loss, trained_accuracy) = train::evaluate(config, &result.model, train_set);
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
        stop: result.stop,
        steps_done: result.metrics.len(),
        final_metrics: FinalRecord {
            loss: last_value(|m| m.loss),
            accuracy: last_value(|m| m.accuracy),
            test_loss: last_value(|m| m.test_loss),
            test_accuracy: last_value(|m| m.test_accuracy),
            trained_loss: finite(trained_loss),
            trained_accuracy: finite(trained_accuracy),
        },
        nodes_per_step: result.nodes_per_step,
        parameters: result.model.parameters_borrowed().len(),
        seconds: result.elapsed.as_secs_f64(),
    };
    let config_json = serde_json::to_value(config).map_err(|error| AppError::Output {
        path: out.join("model.json"),
        message: error.to_string(),
    })?;
    let model_file = SavedModel::from_model(&result.model, config_json);
    let plot_failure = |name: &str, error: plot::PlotError| AppError::Output {
        path: out.join(name),
        message: error.to_string(),
    };
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("metrics.csv", metrics_csv(&result.metrics).into_bytes()),
        (
            "loss.png",
            plot::loss_png(&result.metrics).map_err(|e| plot_failure("loss.png", e))?,
        ),
        (
            "accuracy.png",
            plot::accuracy_png(&result.metrics).map_err(|e| plot_failure("accuracy.png", e))?,
        ),
        (
            "decision_boundary.png",
            plot::decision_boundary_png(&result.model, train_set, test_set)
                .map_err(|e| plot_failure("decision_boundary.png", e))?,
        ),
        ("model.json", json_of(&model_file, out.join("model.json"))?),
        ("run.json", json_of(&run, out.join("run.json"))?),
    ];
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
    config: &TrainConfig,
    result: &TrainResult,
    train_set: &Dataset,
) -> Result<(Vec<PathBuf>, bool), AppError> {
    let predictor = result.model.predictor();
    let loss_of = |i: usize| {
        let score = predictor.predict(&train_set.points[i])[0];
        config.loss.mean(&[score], &[train_set.labels[i]])
    };
    let Some(worst) = (0..train_set.len()).max_by(|&a, &b| loss_of(a).total_cmp(&loss_of(b)))
    else {
        return Ok((Vec::new(), true));
    };
    let (point, label) = (train_set.points[worst], train_set.labels[worst]);
    let loss = train::example_graph(config, &result.model, point, label);
    let dot = to_dot(&loss);
    let files = write_graph(&dot, &args.out, "graph").map_err(|message| AppError::Output {
        path: args.out.join("graph.dot"),
        message,
    })?;
    Ok((files.written, files.rendered))
}

/// The summary printed after a completed run.
pub(crate) fn summary(result: &TrainResult, files: usize, out: &Path) -> String {
    let mut text = String::new();
    if let Some(last) = result.metrics.last() {
        let percent = |v: f64| finite(v).map_or("n/a".into(), |v| format!("{:.1}%", 100.0 * v));
        let value = |v: f64| finite(v).map_or("n/a".into(), |v| format!("{v:.4}"));
        text.push_str(&format!(
            "final (step {}): train loss {} accuracy {} | test loss {} accuracy {}\n",
            last.step,
            value(last.loss),
            percent(last.accuracy),
            value(last.test_loss),
            percent(last.test_accuracy)
        ));
    }
    let seconds = result.elapsed.as_secs_f64();
    text.push_str(&format!(
        "{} steps in {:.2} s ({:.2} ms/step, {} nodes per step)\n",
        result.metrics.len(),
        seconds,
        1000.0 * seconds / result.metrics.len().max(1) as f64,
        result.nodes_per_step
    ));
    text.push_str(&format!("wrote {files} files to {}", out.display()));
    text
}
