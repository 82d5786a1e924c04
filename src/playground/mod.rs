//! The playground's sessions, without the web server: the settings a page sends, checked; the
//! data and a [`Trainer`]; stepping; and the views the page draws (the decision map and a tile
//! per neuron, the network's weights and gradients, loss curves, accuracy and confusion, one
//! point's computation graph, one gradient explained, the anomaly that stopped a run).
//!
//! The program's `scalargrad playground` serves these over HTTP, one session per browser tab,
//! each on its own thread (a `Session` holds engine nodes, which stay on the thread that made
//! them).
//!
//! ```
//! use scalargrad::playground::{Session, starting_settings};
//!
//! let mut session = Session::new(starting_settings(), None).expect("the defaults are valid");
//! let before = session.train_loss();
//! session.step(200);
//! assert_eq!(session.steps_done(), 200);
//! assert!(session.train_loss() < before);
//! ```
//!
//! Layout: `limits.rs` (what a page may ask for, checked, and where a session starts),
//! `cost.rs` (what a step and an explanation will compute, checked before they start),
//! `views.rs` (the JSON the page draws), `history.rs` (the curves and metrics kept while it
//! plays).

pub mod cost;
mod edit;
mod history;
mod limits;
mod pad;
mod parameters;
mod views;

use std::path::Path;
use std::time::{Duration, Instant};

use crate::data::{Dataset, Task};
use crate::model::Model;
use crate::model::SavedModel;
use crate::model::safetensors::Dtype;
use crate::nn::optim::Schedule;
use crate::settings::{SettingError, Settings};
use crate::train::{
    HeldOutCadence, Outcome, Start, StepMetrics, StepSettings, TrainConfig, Trainer, build_model,
    measure, metrics_csv, purpose, rng_for,
};
use crate::view::Plane;

pub use edit::{MAX_COORDINATE, PointEdit};
use history::{CurvePoint, Thinned};
pub use limits::{
    IDLE_CONNECTION, MAX_COLUMNS, MAX_CONNECTIONS, MAX_LAYERS, MAX_POINTS, MAX_UPLOAD_BYTES,
    MAX_UPLOAD_ROWS, MAX_WIDTH, REQUEST_WITHIN, check, same_run, starting_settings,
};
pub use parameters::{MAX_PARAMETER_ROWS, ParameterOrder};
use views::metric;

/// The most steps one request may ask for.
pub const MAX_STEPS_PER_REQUEST: usize = 1_000;
/// The time after which [`Session::step`] takes no further step, so that no request trains for
/// long (one step of the largest network on the most points takes well under it).
pub const STEP_TIME_LIMIT: Duration = Duration::from_secs(1);
/// Cells per side of the decision map.
pub const MAP_SIZE: usize = 48;
/// Cells per side of a neuron's tile.
pub const TILE_SIZE: usize = 20;
/// Loss-curve points kept; beyond it every other point is dropped and the spacing doubles.
const CURVE_POINTS: usize = 2_000;
/// metrics.csv rows kept; beyond it every other row is dropped and the spacing doubles.
const METRICS_ROWS: usize = 100_000;

/// Why a run stopped by itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Divergence {
    /// The step whose objective was not finite.
    pub step: usize,
    /// The first NaN or infinity and the op that made it (anomaly detection), if found.
    pub anomaly: Option<String>,
    /// What to change.
    pub suggestion: String,
}

/// A CSV file sent to a session: its name (what the `data` setting holds) and text, kept to
/// read again when the label or the columns change.
#[derive(Clone, Debug, PartialEq)]
pub struct Upload {
    /// The file's name, as the page gives it.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// One browser tab's run: settings, data, model, optimizer and history.
pub struct Session {
    settings: Settings,
    config: TrainConfig,
    upload: Option<Upload>,
    train: Dataset,
    test: Dataset,
    plane: Plane,
    trainer: Trainer,
    curve: Thinned<CurvePoint>,
    metrics: Thinned<StepMetrics>,
    data_version: u64,
    diverged: Option<Divergence>,
}

impl Session {
    /// A session on `settings`'s data (the `upload`ed table when the `data` setting names it),
    /// with a fresh model.
    ///
    /// # Errors
    /// The first setting out of range (see [`check`]), a loss that cannot train the data's task,
    /// a table that cannot be read (its line named), or `data` naming no uploaded file.
    pub fn new(settings: Settings, upload: Option<Upload>) -> Result<Session, SettingError> {
        check(&settings)?;
        let (train, test) = Session::data(&settings, upload.as_ref())?;
        let config = Session::config(&settings, &train)?;
        let plane = Session::plane(&settings, &train, &test)?;
        let model = build_model(&config, &train)?;
        cost::check_step(&model.network, Session::batch(&config, &train))?;
        let mut trainer = Trainer::new(&config, Start::fresh(model), &train);
        trainer.keep_last_step(true);
        let mut session = Session {
            settings,
            config,
            upload,
            train,
            test,
            plane,
            trainer,
            curve: Thinned::new(CURVE_POINTS),
            metrics: Thinned::new(METRICS_ROWS),
            data_version: 1,
            diverged: None,
        };
        session.record_curve();
        Ok(session)
    }

    /// The run's configuration: the settings resolved for the data, with a constant rate (a
    /// session plays for as long as it is asked to).
    fn config(settings: &Settings, train: &Dataset) -> Result<TrainConfig, SettingError> {
        let playing = Settings {
            schedule: Schedule::Constant,
            ..settings.clone()
        };
        playing.resolve(train)
    }

    /// The examples one step takes: the batch size, or every training point.
    fn batch(config: &TrainConfig, train: &Dataset) -> usize {
        config.batch_size.unwrap_or(usize::MAX).min(train.len())
    }

    /// The plane the map is drawn over: the `plot_columns`, or the first two.
    fn plane(settings: &Settings, train: &Dataset, test: &Dataset) -> Result<Plane, SettingError> {
        let axes = settings.plot_columns.as_deref().map(crate::settings::names);
        Plane::new(train, test, axes.as_deref()).map_err(|message| SettingError {
            key: "plot_columns",
            message,
        })
    }

    /// The training and test sets the settings describe.
    fn data(
        settings: &Settings,
        upload: Option<&Upload>,
    ) -> Result<(Dataset, Dataset), SettingError> {
        let refuse = |key: &'static str, message: String| SettingError { key, message };
        let all = match &settings.data {
            Some(name) => {
                let upload = upload.filter(|u| &u.name == name).ok_or_else(|| {
                    refuse(
                        "data",
                        "names no uploaded file: send the CSV file first".to_string(),
                    )
                })?;
                let columns = settings.column_names();
                let options = settings.table_options(&columns)?;
                let data = crate::data::csv::parse_table(&upload.text, Path::new(name), &options)
                    .map_err(|error| refuse("data", error.to_string()))?;
                if data.len() > MAX_UPLOAD_ROWS {
                    return Err(refuse(
                        "data",
                        format!(
                            "the file has {} rows; at most {MAX_UPLOAD_ROWS}",
                            data.len()
                        ),
                    ));
                }
                if data.width() > MAX_COLUMNS {
                    return Err(refuse(
                        "columns",
                        format!(
                            "{} input columns; the playground takes at most {MAX_COLUMNS} (choose some \
                             with columns)",
                            data.width()
                        ),
                    ));
                }
                data
            }
            None => settings.generate(&mut rng_for(settings.seed, purpose::DATA))?,
        };
        let (train, test) = all.split(
            settings.test_fraction,
            &mut rng_for(settings.seed, purpose::SPLIT),
        );
        if train.is_empty() {
            return Err(refuse(
                "test_fraction",
                "it leaves no training points".to_string(),
            ));
        }
        Ok((train, test))
    }

    /// Applies new settings: those that apply live (the learning rate, regularisation, batch
    /// size, speed, the plane's columns) from the next step on; anything else starts over (new
    /// data or a new network). Returns true when it started over.
    ///
    /// # Errors
    /// As [`Session::new`]; the session is unchanged then.
    pub fn apply(&mut self, settings: Settings) -> Result<bool, SettingError> {
        check(&settings)?;
        if same_run(&self.settings, &settings) {
            let plane = Session::plane(&settings, &self.train, &self.test)?;
            let config = Session::config(&settings, &self.train)?;
            let batch = Session::batch(&config, &self.train);
            cost::check_step(&self.trainer.model().network, batch)?;
            self.config = config;
            self.plane = plane;
            self.settings = settings;
            return Ok(false);
        }
        let fresh = Session::new(settings, self.upload.clone())?;
        let version = self.data_version + 1;
        *self = fresh;
        self.data_version = version;
        Ok(true)
    }

    /// Starts over with the same settings: new initial weights (the same for the same seed), an
    /// empty history.
    pub fn reset(&mut self) {
        let model = build_model(&self.config, &self.train)
            .expect("the settings built a model when the session started");
        self.trainer = Trainer::new(&self.config, Start::fresh(model), &self.train);
        self.trainer.keep_last_step(true);
        self.curve = Thinned::new(CURVE_POINTS);
        self.metrics = Thinned::new(METRICS_ROWS);
        self.diverged = None;
        self.record_curve();
    }

    /// Uses `upload` (a CSV table: a header naming the columns, the label last unless the
    /// `label` names another) as the session's data for `task`, every other column an input,
    /// standardised, and switches to it.
    ///
    /// # Errors
    /// Too large a file, or what reading it found (naming the line); the session is unchanged.
    pub fn upload(
        &mut self,
        upload: Upload,
        task: Task,
        label: Option<String>,
    ) -> Result<(), SettingError> {
        if upload.text.len() > MAX_UPLOAD_BYTES {
            return Err(SettingError {
                key: "data",
                message: format!("the file is larger than {MAX_UPLOAD_BYTES} bytes"),
            });
        }
        let settings = Settings {
            data: Some(upload.name.clone()),
            task: Some(task),
            label,
            columns: None,
            standardize: true,
            loss: None,
            classes: None,
            features: None,
            plot_columns: None,
            ..self.settings.clone()
        };
        let mut fresh = Session::new(settings, Some(upload))?;
        fresh.data_version = self.data_version + 1;
        *self = fresh;
        Ok(())
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Steps taken since the start (or the last reset).
    pub fn steps_done(&self) -> usize {
        self.trainer.steps_done()
    }

    /// Which data the session has: it grows whenever the points change.
    pub fn data_version(&self) -> u64 {
        self.data_version
    }

    /// Why the run stopped by itself, if it did.
    pub fn diverged(&self) -> Option<&Divergence> {
        self.diverged.as_ref()
    }

    /// The objective on the whole training set now.
    pub fn train_loss(&self) -> f64 {
        measure(self.trainer.model(), self.config.penalty(), &self.train).loss
    }

    /// The model now.
    pub fn model(&self) -> &Model {
        self.trainer.model()
    }

    /// What the next step takes from the settings: the rate, the batch size, the penalty.
    fn step_settings(&self) -> StepSettings {
        StepSettings {
            lr: self.config.lr,
            batch_size: self.config.batch_size,
            penalty: self.config.penalty(),
            // the held-out measures of metrics.csv on the program's cadence (the page's figures
            // and curve measure on their own); a session has no last step
            measure_held_out: HeldOutCadence::of_run(&self.config, &self.train, &self.test)
                .due(self.steps_done(), usize::MAX),
        }
    }

    /// Takes up to `count` steps (at most [`MAX_STEPS_PER_REQUEST`], and no more than fit in
    /// about [`STEP_TIME_LIMIT`]); stops early if the run diverges. Returns the steps taken.
    pub fn step(&mut self, count: usize) -> usize {
        self.step_until(count, || false)
    }

    /// As [`Session::step`], also stopping as soon as `stop()` is true (checked before each
    /// step: the server stops when the request's client has gone).
    pub fn step_until(&mut self, count: usize, stop: impl Fn() -> bool) -> usize {
        let mut taken = 0;
        let started = Instant::now();
        while taken < count.min(MAX_STEPS_PER_REQUEST)
            && self.diverged.is_none()
            && started.elapsed() < STEP_TIME_LIMIT
            && !stop()
        {
            let outcome = self.trainer.step(&self.step_settings(), &self.test);
            match outcome {
                Ok(Outcome::Stepped(metrics)) => {
                    self.metrics.push(metrics.step, metrics);
                    self.record_curve();
                    taken += 1;
                }
                Ok(Outcome::Diverged { step, anomaly }) => {
                    self.diverged = Some(Divergence {
                        step,
                        anomaly: anomaly.map(|a| a.to_string()),
                        suggestion: format!(
                            "the learning rate {} is too large for this network and data: lower it (e.g. to {}) and press Reset",
                            self.config.lr,
                            self.config.lr / 10.0
                        ),
                    });
                }
                Err(error) => {
                    // one thread: there are no helpers to stop; kept for completeness
                    self.diverged = Some(Divergence {
                        step: self.steps_done(),
                        anomaly: None,
                        suggestion: error.to_string(),
                    });
                }
            }
        }
        taken
    }

    /// Adds the current losses to the curve, if the curve's spacing wants this step.
    fn record_curve(&mut self) {
        let step = self.steps_done();
        if !self.curve.wants(step) {
            return;
        }
        let model = self.trainer.model();
        let task = self.train.task();
        let on_train = measure(model, self.config.penalty(), &self.train);
        let on_test = measure(model, self.config.penalty(), &self.test);
        self.curve.push(
            step,
            CurvePoint {
                train_loss: on_train.loss,
                test_loss: on_test.loss,
                train_metric: metric(&on_train, task),
                test_metric: metric(&on_test, task),
            },
        );
    }

    /// model.json: the model with its settings, optimizer state and steps, as `--out` writes it.
    pub fn model_json(&self) -> String {
        let config = serde_json::to_value(&self.config).expect("a configuration is plain data");
        let saved = SavedModel {
            optimizer: Some(self.trainer.optimizer_state()),
            steps_done: self.steps_done(),
            ..SavedModel::of(self.trainer.model(), config)
        };
        serde_json::to_string_pretty(&saved).expect("a model is plain data")
    }

    /// model.safetensors: the weights as float32 tensors, as `--out` writes them.
    pub fn model_safetensors(&self) -> Vec<u8> {
        self.trainer.model().to_safetensors(Dtype::F32)
    }

    /// metrics.csv: one row per kept step (every step until the history is long; then evenly
    /// spaced), as `--out` writes it.
    pub fn metrics_csv(&self) -> String {
        let rows: Vec<StepMetrics> = self.metrics.rows.iter().map(|(_, m)| *m).collect();
        metrics_csv(self.train.task(), &rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Builtin;
    use crate::engine::gradients;
    use crate::nn::Activation;
    use crate::nn::loss::Loss;
    use serde_json::json;

    fn with(change: impl FnOnce(&mut Settings)) -> Settings {
        let mut settings = starting_settings();
        change(&mut settings);
        settings
    }

    fn dataset(name: &str) -> Builtin {
        Builtin::named(name).expect("a built-in dataset")
    }

    fn upload(text: &str) -> Upload {
        Upload {
            name: "file.csv".into(),
            text: text.into(),
        }
    }

    #[test]
    fn a_loss_that_cannot_train_the_task_is_refused() {
        let settings = with(|s| (s.dataset, s.loss) = (dataset("gauss"), Some(Loss::CrossEntropy)));
        let why = Session::new(settings, None).err().expect("refused");
        assert_eq!(why.key, "loss", "{why}");
        let why = Session::new(with(|s| s.data = Some("file.csv".into())), None)
            .err()
            .expect("no file");
        assert!(why.to_string().contains("send the CSV file first"), "{why}");
        let why = Session::new(
            with(|s| (s.dataset, s.classes) = (dataset("moons"), Some(3))),
            None,
        )
        .err()
        .expect("moons has two classes");
        assert_eq!(why.key, "classes", "{why}");
    }

    /// metrics.csv's held-out measures follow the program's cadence: 250 held out, batches of
    /// 10 from 250 points, so every 25th step (an epoch), and the first.
    #[test]
    fn held_out_measures_are_on_the_programs_cadence() {
        let mut session = Session::new(starting_settings(), None).expect("valid");
        session.step(60);
        let measured: Vec<usize> = session
            .metrics
            .rows
            .iter()
            .filter(|(_, m)| !m.test_loss.is_nan())
            .map(|&(step, _)| step)
            .collect();
        assert_eq!(measured, [0, 24, 49]);
        assert!(session.metrics.rows.iter().all(|(_, m)| !m.loss.is_nan()));
    }

    #[test]
    fn the_learning_rate_changes_without_starting_over() {
        let mut session = Session::new(starting_settings(), None).expect("valid");
        session.step(5);
        let started_over = session.apply(with(|s| s.lr = Some(0.05))).expect("valid");
        assert!(!started_over);
        assert_eq!(session.steps_done(), 5);
        session.step(1);
        let last = session.metrics.rows.last().expect("a row").1;
        assert_eq!(last.lr, 0.05);
        assert!(session.apply(with(|s| s.hidden = vec![3])).expect("valid"));
        assert_eq!(session.steps_done(), 0);
    }

    #[test]
    fn the_same_seed_gives_the_same_run_and_reset_starts_over() {
        let mut a = Session::new(starting_settings(), None).expect("valid");
        let mut b = Session::new(starting_settings(), None).expect("valid");
        a.step(30);
        b.step(30);
        assert_eq!(a.train_loss(), b.train_loss());
        let after_30 = a.train_loss();
        a.reset();
        assert_eq!(a.steps_done(), 0);
        a.step(30);
        assert_eq!(a.train_loss(), after_30);
    }

    #[test]
    fn the_explained_gradient_sums_to_the_gradient_of_the_last_step() {
        let settings = with(|s| s.l2 = 0.01);
        let mut session = Session::new(settings, None).expect("valid");
        assert!(session.explain(0, 0, Some(0)).is_err(), "no step yet");
        session.step(3);
        let network = &session.model().network;
        let grad = network.layers()[1].neurons()[1].weights()[2].grad();
        let before = gradients(network.parameters_borrowed());
        let why = session.explain(1, 1, Some(2)).expect("exists");
        // the step done again to explain it left the last step's gradients as they were
        let network = &session.model().network;
        assert_eq!(gradients(network.parameters_borrowed()), before);
        assert_eq!(why["grad"].as_f64(), Some(grad));
        let terms = why["terms"].as_array().expect("terms");
        // one term per example of the batch (through its neuron), and two from the penalty
        // alpha * sum p * p (p is both factors of its square)
        let through = |op: &str| terms.iter().filter(|t| t["op"] == op).count();
        assert_eq!(
            (through("tanh(linear)"), through("sum of squares")),
            (10, 2)
        );
        assert_eq!(terms.len(), 12);
        let sum: f64 = terms
            .iter()
            .map(|t| t["product"].as_f64().expect("a number"))
            .sum();
        assert!(
            (sum - grad).abs() <= 1e-12 * grad.abs().max(1.0),
            "{sum} vs {grad}"
        );
        // the weights were put back: the next step is the one it would have been
        let mut twin = Session::new(session.settings().clone(), None).expect("valid");
        twin.step(3);
        session.step(1);
        twin.step(1);
        assert_eq!(session.train_loss(), twin.train_loss());
        for bad in [(3, 0, None), (0, 4, None), (0, 0, Some(2))] {
            assert!(session.explain(bad.0, bad.1, bad.2).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_point_graph_shows_its_loss_and_every_value() {
        let session = Session::new(starting_settings(), None).expect("valid");
        let drawn = session.point_graph(0).expect("point 0");
        let nodes = drawn["nodes"].as_array().expect("nodes");
        let loss = nodes
            .iter()
            .find(|n| n["title"] == "loss")
            .expect("the loss node");
        assert_eq!(loss["value"], drawn["loss"]);
        assert_eq!(loss["grad"].as_f64(), Some(1.0));
        assert!(nodes.iter().any(|n| n["title"] == "x1"));
        assert!(
            session.point_graph(250).is_err(),
            "250 training points: 0 to 249"
        );
        // labelled parameters and neurons; the last step's gradients untouched
        assert!(nodes.iter().any(|n| n["title"] == "w[0][1][0]"));
        assert!(nodes.iter().any(|n| n["title"] == "h[1][0]"));
        let mut session = session;
        session.step(1);
        let before = gradients(session.model().network.parameters_borrowed());
        session.point_graph(5).expect("point 5");
        assert_eq!(
            gradients(session.model().network.parameters_borrowed()),
            before
        );
    }

    #[test]
    fn a_diverging_run_stops_and_names_the_first_non_finite_number() {
        let settings = with(|s| {
            (s.dataset, s.lr, s.hidden, s.activation) = (
                dataset("gauss"),
                Some(100.0),
                vec![32, 32, 32],
                Activation::Relu,
            );
            s.loss = Some(Loss::Mse);
        });
        let mut session = Session::new(settings, None).expect("valid");
        let taken = session.step(MAX_STEPS_PER_REQUEST);
        let diverged = session.diverged().expect("lr 100 diverges");
        assert!(taken < MAX_STEPS_PER_REQUEST);
        assert_eq!(diverged.step, taken);
        assert!(
            diverged
                .anomaly
                .as_deref()
                .is_some_and(|a| a.contains("inf") || a.contains("NaN")),
            "{diverged:?}"
        );
        assert!(diverged.suggestion.contains("lower"));
        assert_eq!(
            session.step(5),
            0,
            "a stopped run stays stopped until reset"
        );
        session.reset();
        assert!(session.diverged().is_none());
    }

    #[test]
    fn an_upload_replaces_the_data_and_a_bad_one_names_its_line() {
        let mut session = Session::new(starting_settings(), None).expect("valid");
        let why = session
            .upload(
                upload("x1,x2,label\n0,0,a\n1,oops,b\n"),
                Task::Classification,
                None,
            )
            .expect_err("bad");
        assert!(why.to_string().contains("line 3"), "{why}");
        assert_eq!(session.settings().data, None, "unchanged");
        let mut rows = String::from("x1,x2,label\n");
        for i in 0..40 {
            rows.push_str(&format!(
                "{},{},{}\n",
                i,
                i % 7,
                if i % 2 == 0 { "even" } else { "odd" }
            ));
        }
        session
            .upload(upload(&rows), Task::Classification, None)
            .expect("valid");
        assert_eq!(session.settings().data.as_deref(), Some("file.csv"));
        assert_eq!(session.points()["class_names"], json!(["even", "odd"]));
        session.step(3);
        assert_eq!(session.steps_done(), 3);
        let too_big = "0,0,a\n1,1,b\n".repeat(MAX_UPLOAD_ROWS / 2 + 1);
        assert!(
            session
                .upload(upload(&too_big), Task::Classification, None)
                .expect_err("too many")
                .to_string()
                .contains("rows")
        );
    }

    /// A table of five columns with its label second: the map is a slice over two chosen
    /// columns, the others at their training mean; changing the slice does not start over.
    #[test]
    fn a_wide_upload_trains_and_its_map_is_a_slice() {
        let mut text = String::from("a,kind,b,c,d,e\n");
        for i in 0..60 {
            let v = i as f64 / 10.0;
            text.push_str(&format!(
                "{v},{},{},{},{},{}\n",
                if v * v > 9.0 { "big" } else { "small" },
                -v,
                v * 0.5,
                1.0,
                i % 3
            ));
        }
        let mut session = Session::new(starting_settings(), None).expect("valid");
        let why = session
            .upload(upload(&text), Task::Classification, None)
            .expect_err("kind is text, and not the last column");
        assert!(
            why.to_string().contains("column \"kind\" is not a number"),
            "{why}"
        );
        session
            .upload(upload(&text), Task::Classification, Some("kind".into()))
            .expect("valid");
        assert_eq!(session.model().inputs.columns, ["a", "b", "c", "d", "e"]);
        let mut settings = session.settings().clone();
        settings.columns = Some("e,a,b".into());
        assert!(
            session.apply(settings).expect("columns"),
            "other inputs start over"
        );
        assert_eq!(session.model().inputs.columns, ["e", "a", "b"]);
        session.step(20);
        let view = session.view();
        assert_eq!(view["axes"], json!(["e", "a"]));
        assert!(
            view["title"]
                .as_str()
                .is_some_and(|t| t.contains("the other 1 inputs"))
        );
        let mut settings = session.settings().clone();
        settings.plot_columns = Some("b,e".into());
        assert!(!session.apply(settings).expect("live"), "the same run");
        assert_eq!(session.steps_done(), 20);
        assert_eq!(session.view()["axes"], json!(["b", "e"]));
        let mut settings = session.settings().clone();
        settings.plot_columns = Some("e,zzz".into());
        assert_eq!(
            session.apply(settings).expect_err("no column").key,
            "plot_columns"
        );
    }

    #[test]
    fn the_map_covers_extreme_and_equal_points() {
        let mut session = Session::new(starting_settings(), None).expect("valid");
        session
            .upload(
                upload("1e308,-1e308,a\n-1e308,1e308,b\n1e308,1e308,a\n-1e308,-1e308,b\n"),
                Task::Classification,
                None,
            )
            .expect("valid");
        let extent = session.view()["extent"].clone();
        assert!(
            extent
                .as_array()
                .is_some_and(|e| e.iter().all(|v| v.as_f64().is_some_and(f64::is_finite))),
            "{extent:?}"
        );
        session
            .upload(
                upload("2,2,a\n2,2,b\n2,2,a\n2,2,b\n"),
                Task::Classification,
                None,
            )
            .expect("valid");
        let view = session.view();
        assert_eq!(view["extent"], json!([1.0, 3.0, 1.0, 3.0]));
        assert_eq!(
            view["map"].as_array().map(Vec::len),
            Some(MAP_SIZE * MAP_SIZE)
        );
    }

    #[test]
    fn the_history_stays_bounded_and_evenly_spaced() {
        let mut thinned = Thinned::new(10);
        for step in 0..1000 {
            thinned.push(step, step);
        }
        assert!(thinned.rows.len() < 10);
        let spacing = thinned.rows[1].0 - thinned.rows[0].0;
        assert!(thinned.rows.windows(2).all(|w| w[1].0 - w[0].0 == spacing));
        assert_eq!(spacing, thinned.every);
    }
}
