//! How well a model does: the measures of a step and of a dataset, and metrics.csv.

use serde::{Deserialize, Serialize};

use crate::data::{Dataset, Task};
use crate::engine::values;
use crate::model::Model;
use crate::nn::loss::{Loss, Penalty, labels_for_loss};
use crate::nn::metrics;

/// What one step measured. Measures that do not apply to the task are NaN.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    /// 0-based step number.
    pub step: usize,
    /// Epochs done after this step: the examples the steps so far took over the training
    /// rows (whole numbers at the ends of epochs when the run is counted in epochs).
    #[serde(default)]
    pub epoch: f64,
    /// The training objective on this step's batch before its update: mean loss + penalty
    /// (what `backward` ran on).
    pub loss: f64,
    /// Fraction of this step's batch classified correctly (classification).
    pub accuracy: f64,
    /// The same objective on the held-out set, NaN if there is none.
    pub test_loss: f64,
    /// Fraction of the held-out set classified correctly (classification).
    pub test_accuracy: f64,
    /// Learning rate used by this step's update.
    pub lr: f64,
    /// Root mean squared error on this step's batch (regression).
    pub rmse: f64,
    /// R^2 on this step's batch (regression).
    pub r2: f64,
    /// Root mean squared error on the held-out set (regression).
    pub test_rmse: f64,
    /// R^2 on the held-out set (regression).
    pub test_r2: f64,
    /// The L2 norm of the parameter gradient the optimizer used on this step.
    pub grad_norm: f64,
    /// For a ReLU network, the fraction of hidden units that are 0 on every example of this
    /// step's batch (dead units learn nothing); NaN for other activations.
    pub dead_fraction: f64,
}

/// metrics.csv: a header, then one row per step (the columns of the task). Written by the
/// program's runs and the playground's download alike.
pub fn metrics_csv(task: Task, metrics: &[StepMetrics]) -> String {
    let mut csv = String::from(match task {
        Task::Classification => {
            "step,epoch,loss,accuracy,test_loss,test_accuracy,lr,grad_norm,dead_fraction\n"
        }
        Task::Regression => {
            "step,epoch,loss,rmse,r2,test_loss,test_rmse,test_r2,lr,grad_norm,dead_fraction\n"
        }
    });
    for m in metrics {
        let row = match task {
            Task::Classification => format!(
                "{},{},{},{},{},{},{},{},{}\n",
                m.step,
                m.epoch,
                m.loss,
                m.accuracy,
                m.test_loss,
                m.test_accuracy,
                m.lr,
                m.grad_norm,
                m.dead_fraction
            ),
            Task::Regression => format!(
                "{},{},{},{},{},{},{},{},{},{},{}\n",
                m.step,
                m.epoch,
                m.loss,
                m.rmse,
                m.r2,
                m.test_loss,
                m.test_rmse,
                m.test_r2,
                m.lr,
                m.grad_norm,
                m.dead_fraction
            ),
        };
        csv.push_str(&row);
    }
    csv
}

/// How well a model does on a dataset. Measures that do not apply to the task are NaN.
#[derive(Clone, Debug, PartialEq)]
pub struct Measures {
    /// The training objective: the mean loss plus the penalty.
    pub loss: f64,
    /// The mean loss alone (no penalty).
    pub data_loss: f64,
    /// Fraction classified correctly (classification).
    pub accuracy: f64,
    /// Root mean squared error (regression).
    pub rmse: f64,
    /// R^2 (regression).
    pub r2: f64,
    /// `confusion[true class][predicted class]` counts (classification; empty for regression).
    pub confusion: Vec<Vec<usize>>,
}

/// Accuracy (classification), RMSE and R^2 (regression) of `outputs` (`width` per example)
/// against `labels` (as the loss takes them); the measures that do not apply are NaN. What a
/// step reports of its batch, whose loss it already has.
///
/// # Panics
/// If `labels` is empty.
pub(super) fn measures_of_outputs(
    outputs: &[f64],
    labels: &[f64],
    classes: usize,
) -> (f64, f64, f64) {
    let width = outputs.len() / labels.len();
    if classes == 0 {
        (
            f64::NAN,
            metrics::rmse(outputs, labels),
            metrics::r_squared(outputs, labels),
        )
    } else {
        (
            metrics::accuracy_of_outputs(outputs, width, labels, classes),
            f64::NAN,
            f64::NAN,
        )
    }
}

/// The measures of `outputs` (`width` per example) against `labels` (as the loss takes them),
/// with `penalty` added to the mean loss for the objective.
fn measures_of(
    loss: Loss,
    outputs: &[f64],
    labels: &[f64],
    classes: usize,
    penalty: f64,
) -> Measures {
    if labels.is_empty() {
        return Measures {
            loss: f64::NAN,
            data_loss: f64::NAN,
            accuracy: f64::NAN,
            rmse: f64::NAN,
            r2: f64::NAN,
            confusion: vec![vec![0; classes]; classes],
        };
    }
    let width = outputs.len() / labels.len();
    let data_loss = loss.mean_of_outputs(outputs, width, labels);
    let (accuracy, rmse, r2) = measures_of_outputs(outputs, labels, classes);
    let confusion = if classes == 0 {
        Vec::new()
    } else {
        metrics::confusion(outputs, width, labels, classes)
    };
    Measures {
        loss: data_loss + penalty,
        data_loss,
        accuracy,
        rmse,
        r2,
        confusion,
    }
}

/// Which steps of a run measure the held-out set. Measuring it is a forward pass per held-out
/// row, which on a set larger than a batch costs more than the step itself (digits: 359 rows
/// against batches of 32); so a run measures it every `every` steps, where `every` is four
/// times the held-out rows over a batch's rows, rounded up, and at most the steps of one epoch:
/// at most about a quarter of a batch's forward pass per step, and at least once an epoch. The
/// first and last steps are always measured (the summary's final figures are the last step's).
/// The other steps' held-out measures are NaN (left out of the pictures).
///
/// ```
/// use scalargrad::train::HeldOutCadence;
/// // 359 held out, batches of 32 from 1,438 rows (45 steps an epoch): every 45th step
/// let cadence = HeldOutCadence::new(359, 32, 1438);
/// let due: Vec<usize> = (0..100).filter(|&s| cadence.due(s, 100)).collect();
/// assert_eq!(due, [0, 44, 89, 99]);
/// // 100 held out, batches of 160 from 400 rows: every 3rd step
/// let due: Vec<usize> = (0..10).filter(|&s| HeldOutCadence::new(100, 160, 400).due(s, 10)).collect();
/// assert_eq!(due, [0, 2, 5, 8, 9]);
/// // full batches (the moons demo): every step
/// assert!((0..10).all(|s| HeldOutCadence::new(40, 160, 160).due(s, 10)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeldOutCadence {
    every: usize,
}

impl HeldOutCadence {
    /// The cadence of a run with `held_out` rows, batches of `batch` rows, `train` training rows.
    pub fn new(held_out: usize, batch: usize, train: usize) -> HeldOutCadence {
        let batch = batch.clamp(1, train.max(1));
        let steps_per_epoch = train.max(1).div_ceil(batch);
        HeldOutCadence {
            every: (4 * held_out).div_ceil(batch).clamp(1, steps_per_epoch),
        }
    }

    /// The cadence of a run of `config` on `train`, holding out `test` (no batch size: full
    /// batches).
    pub fn of_run(config: &super::TrainConfig, train: &Dataset, test: &Dataset) -> HeldOutCadence {
        let batch = config.batch_size.unwrap_or(train.len());
        HeldOutCadence::new(test.len(), batch, train.len())
    }

    /// True if step `step` (0-based, of a run of `steps`) measures the held-out set.
    pub fn due(self, step: usize, steps: usize) -> bool {
        step == 0 || (step + 1).is_multiple_of(self.every) || step + 1 >= steps
    }
}

/// The measures of nothing: NaN (a step that does not measure the held-out set, or no set).
pub(super) fn unmeasured(model: &Model) -> Measures {
    measures_of(model.loss, &[], &[], model.classes(), 0.0)
}

/// The measures of `model` on `data`, evaluated without a graph (the formulas training uses),
/// the objective with `penalty` on the model's weights; NaN for no data.
pub fn measure(model: &Model, penalty: Penalty, data: &Dataset) -> Measures {
    if data.is_empty() {
        // no held-out set (`--test-fraction 0`): nothing to evaluate, no predictor to build
        return unmeasured(model);
    }
    let outputs = model.predictor().outputs_of(data);
    let parameters = values(model.network.parameters_borrowed());
    let penalty = penalty.term(&parameters).unwrap_or(0.0);
    let labels = labels_for_loss(&data.labels, data.classes());
    measures_of(model.loss, &outputs, &labels, model.classes(), penalty)
}
