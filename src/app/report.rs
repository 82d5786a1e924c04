//! A finished run (everything its files are made from) and what it says of itself: run.json
//! (enough to know what ran and run it again), the captions of its frames, and the summary it
//! prints.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use scalargrad::data::{Dataset, ImageShape, Task};
use scalargrad::model::Model;
use scalargrad::settings::Settings;
use scalargrad::train::{self, Measures, StepMetrics, Stop, TrainConfig, TrainResult};
use scalargrad::view::Plane;

use super::cli::Args;

/// Everything a finished run's files are made from.
pub(crate) struct Finished<'a> {
    /// The flags of the run.
    pub(crate) args: &'a Args,
    /// Its settings (the flags' training part).
    pub(crate) settings: &'a Settings,
    /// The configuration the settings resolved to for the data.
    pub(crate) config: &'a TrainConfig,
    /// What training did.
    pub(crate) result: &'a TrainResult,
    /// The training set.
    pub(crate) train: &'a Dataset,
    /// The held-out set.
    pub(crate) test: &'a Dataset,
    /// The plane the maps are drawn over.
    pub(crate) plane: &'a Plane,
    /// The image the inputs are, if they are one (weights.png, mistakes.png, saliency.png).
    pub(crate) image: Option<ImageShape>,
    /// The trained model's measures on the training set (no penalty in `data_loss`).
    pub(crate) trained: Measures,
    /// The same on the held-out set.
    pub(crate) held_out: Measures,
}

impl<'a> Finished<'a> {
    /// A finished run, with the trained model measured on both sets.
    pub(crate) fn new(
        args: &'a Args,
        config: &'a TrainConfig,
        result: &'a TrainResult,
        (train, test): (&'a Dataset, &'a Dataset),
        (plane, image): (&'a Plane, Option<ImageShape>),
    ) -> Finished<'a> {
        let penalty = config.penalty();
        Finished {
            args,
            settings: &args.settings.0,
            config,
            result,
            train,
            test,
            plane,
            image,
            trained: train::measure(&result.model, penalty, train),
            held_out: train::measure(&result.model, penalty, test),
        }
    }
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
    shape_of(model.network.input_count(), &model.network.widths())
}

/// run.json: enough to know what ran and to run it again.
#[derive(Serialize)]
pub(crate) struct RunRecord<'a> {
    scalargrad_version: &'static str,
    seed: u64,
    settings: &'a Settings,
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
    source: String,
    columns: &'a [String],
    label: &'a str,
    test_fraction: f64,
    train_examples: usize,
    test_examples: usize,
    class_names: &'a [String],
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

/// The record of `finished`'s run.
pub(crate) fn run_record<'a>(finished: &'a Finished<'a>) -> RunRecord<'a> {
    let result = finished.result;
    let last = result.metrics.last();
    let last_value = |pick: fn(&StepMetrics) -> f64| last.map(pick).and_then(finite);
    let model = &result.model;
    let task = model.task();
    let confusion = |m: &Measures| (task == Task::Classification).then(|| m.confusion.clone());
    let settings = finished.settings;
    RunRecord {
        scalargrad_version: env!("CARGO_PKG_VERSION"),
        seed: settings.seed,
        settings,
        data: DataRecord {
            source: match &settings.data {
                Some(path) => format!("file {path}"),
                None => format!("built-in {}", settings.dataset.name()),
            },
            columns: &finished.train.columns,
            label: &finished.train.label,
            test_fraction: settings.test_fraction,
            train_examples: finished.train.len(),
            test_examples: finished.test.len(),
            class_names: &finished.train.class_names,
        },
        config: finished.config,
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
            trained_loss: finite(finished.trained.loss),
            trained_accuracy: finite(finished.trained.accuracy),
            trained_rmse: finite(finished.trained.rmse),
            confusion: confusion(&finished.trained),
            test_confusion: confusion(&finished.held_out),
        },
        nodes_per_step: result.nodes_per_step,
        parameters: model.network.parameters_borrowed().len(),
        seconds: result.elapsed.as_secs_f64(),
    }
}

/// A frame's caption: the steps done, and the objective and accuracy (or RMSE) on the training
/// set of the model drawn.
pub(crate) fn frame_caption(
    config: &TrainConfig,
    model: &Model,
    train_set: &scalargrad::data::Dataset,
    done: usize,
) -> String {
    let measures = train::measure(model, config.penalty(), train_set);
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

/// The summary printed after a completed run: the final measures, the training time and the
/// pictures' time apart (ms per step with three significant digits), the files.
pub(crate) fn summary(
    result: &TrainResult,
    pictures: Duration,
    files: usize,
    out: &Path,
) -> String {
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
    let epochs = result.metrics.last().map_or(0.0, |m| m.epoch);
    text.push_str(&format!(
        "{} steps ({} epochs) in {} s ({} ms/step, {} nodes per step); pictures {} s\n",
        result.metrics.len(),
        significant(epochs, 3),
        significant(seconds, 3),
        significant(per_step, 3),
        result.nodes_per_step,
        significant(pictures.as_secs_f64(), 3)
    ));
    text.push_str(&format!("wrote {files} files to {}", out.display()));
    text
}

/// `value` with `digits` significant digits (`0.0281`, `12.3`).
pub(crate) fn significant(value: f64, digits: i32) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let decimals = (digits - 1 - value.abs().log10().floor() as i32).max(0) as usize;
    format!("{value:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_at_any_size() {
        assert_eq!(significant(0.028_123, 3), "0.0281");
        assert_eq!(significant(12.34, 3), "12.3");
        assert_eq!(significant(1234.6, 3), "1235");
        assert_eq!(readable(3e116), "3.000e116");
        assert_eq!(readable(0.5), "0.5000");
    }
}
