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
//! use scalargrad::playground::{Session, Settings};
//!
//! let mut session = Session::new(Settings::default(), None).expect("the defaults are valid");
//! let before = session.train_loss();
//! session.step(200);
//! assert_eq!(session.steps_done(), 200);
//! assert!(session.train_loss() < before);
//! ```
//!
//! Layout: `settings.rs` (what a page may ask for, checked), `views.rs` (the JSON the page
//! draws), `history.rs` (the curves and metrics kept while it plays).

mod history;
mod settings;
mod views;

use std::path::Path;
use std::time::{Duration, Instant};

use crate::data::{Dataset, MAX_CLASSES, Task};
use crate::model::Model;
use crate::model::SavedModel;
use crate::model::safetensors::Dtype;
use crate::train::{
    Outcome, Start, StepMetrics, TrainConfig, Trainer, build_model, measure, metrics_csv, purpose,
    rng_for,
};

use history::{CurvePoint, Thinned};
use settings::Source;
pub use settings::{Regularization, Settings};
use views::score;

/// The most hidden layers a session's network may have (TF Playground: 6).
pub const MAX_LAYERS: usize = 8;
/// The most neurons per hidden layer (TF Playground: 8).
pub const MAX_WIDTH: usize = 32;
/// The most points a built-in dataset may have.
pub const MAX_POINTS: usize = 5_000;
/// The most steps one request may ask for.
pub const MAX_STEPS_PER_REQUEST: usize = 1_000;
/// The time after which [`Session::step`] takes no further step, so that no request trains for
/// long (one step of the largest network on the most points takes well under it).
pub const STEP_TIME_LIMIT: Duration = Duration::from_secs(1);
/// The largest CSV file that can be uploaded, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 1 << 20;
/// The most rows an uploaded CSV file may have.
pub const MAX_UPLOAD_ROWS: usize = 10_000;
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

/// One browser tab's run: settings, data, model, optimizer and history.
pub struct Session {
    settings: Settings,
    config: TrainConfig,
    upload: Option<Dataset>,
    train: Dataset,
    test: Dataset,
    trainer: Trainer,
    curve: Thinned<CurvePoint>,
    metrics: Thinned<StepMetrics>,
    data_version: u64,
    diverged: Option<Divergence>,
}

impl Session {
    /// A session on `settings`'s data (`upload` for the dataset `upload`), with a fresh model.
    ///
    /// # Errors
    /// The first setting out of range (see [`Settings::check`]), a loss that cannot train the
    /// data's task, or `upload` chosen with no file sent.
    pub fn new(settings: Settings, upload: Option<Dataset>) -> Result<Session, String> {
        settings.check()?;
        let (train, test) = Session::data(&settings, upload.as_ref())?;
        let standardize = settings.dataset == "upload";
        let config = settings.config(train.classes(), standardize);
        config
            .loss
            .check(train.classes())
            .map_err(|why| format!("loss: {why}"))?;
        let mut trainer = Trainer::new(&config, Start::fresh(build_model(&config, &train)), &train);
        trainer.keep_last_step(true);
        let mut session = Session {
            settings,
            config,
            upload,
            train,
            test,
            trainer,
            curve: Thinned::new(CURVE_POINTS),
            metrics: Thinned::new(METRICS_ROWS),
            data_version: 1,
            diverged: None,
        };
        session.record_curve();
        Ok(session)
    }

    /// The training and test sets the settings describe.
    fn data(settings: &Settings, upload: Option<&Dataset>) -> Result<(Dataset, Dataset), String> {
        let all = match settings.source()? {
            Source::Upload => upload
                .cloned()
                .ok_or("dataset: upload chosen, but no CSV file was sent; send one first")?,
            Source::Builtin(generator) => {
                let classes = match (generator.class_range(), settings.classes) {
                    (Some(range), 0) => *range.start(),
                    (Some(_), chosen) => chosen.min(MAX_CLASSES),
                    (None, _) => 0,
                };
                let mut rng = rng_for(settings.seed, purpose::DATA);
                generator.generate_classes(settings.points, settings.noise, classes, &mut rng)
            }
        };
        let (train, test) = all.split(
            settings.test_fraction,
            &mut rng_for(settings.seed, purpose::SPLIT),
        );
        if train.is_empty() {
            return Err("test_fraction: it leaves no training points".to_string());
        }
        Ok((train, test))
    }

    /// Applies new settings: the learning rate, regularisation, batch size and speed apply from
    /// the next step on; anything else starts over (new data or a new network). Returns true
    /// when it started over.
    ///
    /// # Errors
    /// As [`Session::new`]; the session is unchanged then.
    pub fn apply(&mut self, settings: Settings) -> Result<bool, String> {
        settings.check()?;
        if self.settings.same_run(&settings) {
            self.config = settings.config(self.train.classes(), self.config.standardize);
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
        let model = build_model(&self.config, &self.train);
        self.trainer = Trainer::new(&self.config, Start::fresh(model), &self.train);
        self.trainer.keep_last_step(true);
        self.curve = Thinned::new(CURVE_POINTS);
        self.metrics = Thinned::new(METRICS_ROWS);
        self.diverged = None;
        self.record_curve();
    }

    /// Uses `text` (CSV rows `x1,x2,label`, or `x1,x2,target` for `task` regression) as the
    /// session's data, and switches to it.
    ///
    /// # Errors
    /// Too large a file, or what reading it found (naming the line); the session is unchanged.
    pub fn upload(&mut self, text: &str, task: Task) -> Result<(), String> {
        if text.len() > MAX_UPLOAD_BYTES {
            return Err(format!("the file is larger than {MAX_UPLOAD_BYTES} bytes"));
        }
        let data = Dataset::parse_csv_for(text, Path::new("uploaded file"), task)
            .map_err(|e| e.to_string())?;
        if data.len() > MAX_UPLOAD_ROWS {
            return Err(format!(
                "the file has {} rows; at most {MAX_UPLOAD_ROWS}",
                data.len()
            ));
        }
        let settings = Settings {
            dataset: "upload".to_string(),
            loss: None,
            ..self.settings.clone()
        };
        let mut fresh = Session::new(settings, Some(data))?;
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
        measure(&self.config, self.trainer.model(), &self.train).loss
    }

    /// The model now.
    pub fn model(&self) -> &Model {
        self.trainer.model()
    }

    /// Takes up to `count` steps (at most [`MAX_STEPS_PER_REQUEST`], and no more than fit in
    /// about [`STEP_TIME_LIMIT`]); stops early if the run diverges. Returns the steps taken.
    pub fn step(&mut self, count: usize) -> usize {
        let mut taken = 0;
        let started = Instant::now();
        while taken < count.min(MAX_STEPS_PER_REQUEST)
            && self.diverged.is_none()
            && started.elapsed() < STEP_TIME_LIMIT
        {
            let outcome = self.trainer.step(&self.config, self.config.lr, &self.test);
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
        let on_train = measure(&self.config, model, &self.train);
        let on_test = measure(&self.config, model, &self.test);
        self.curve.push(
            step,
            CurvePoint {
                train_loss: on_train.loss,
                test_loss: on_test.loss,
                train_score: score(&on_train, task),
                test_score: score(&on_test, task),
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
    use crate::engine::gradients;
    use crate::features::Feature;
    use crate::nn::Activation;
    use crate::nn::loss::Loss;
    use serde_json::json;

    fn with(change: impl FnOnce(&mut Settings)) -> Settings {
        let mut settings = Settings::default();
        change(&mut settings);
        settings
    }

    #[test]
    fn every_bad_setting_is_named() {
        let cases: Vec<(Settings, &str)> = vec![
            (with(|s| s.dataset = "nope".into()), "dataset"),
            (with(|s| s.points = 1), "points"),
            (with(|s| s.points = MAX_POINTS + 1), "points"),
            (with(|s| s.noise = f64::NAN), "noise"),
            (with(|s| s.test_fraction = 0.95), "test_fraction"),
            (with(|s| s.features.clear()), "features"),
            (
                with(|s| s.features = vec![Feature::X1, Feature::X1]),
                "features",
            ),
            (with(|s| s.hidden = vec![4; MAX_LAYERS + 1]), "hidden"),
            (with(|s| s.hidden = vec![MAX_WIDTH + 1]), "hidden"),
            (with(|s| s.hidden = vec![0]), "hidden"),
            (with(|s| s.lr = 0.0), "lr"),
            (with(|s| s.lr = f64::INFINITY), "lr"),
            (
                with(|s| s.regularization_rate = -1.0),
                "regularization_rate",
            ),
            (with(|s| s.batch_size = 0), "batch_size"),
            (with(|s| s.classes = 11), "classes"),
            (
                with(|s| (s.dataset, s.classes) = ("moons".into(), 3)),
                "classes",
            ),
        ];
        for (settings, field) in cases {
            let why = settings.check().expect_err(field);
            assert!(why.starts_with(field), "{why:?} should name {field}");
        }
    }

    #[test]
    fn a_loss_that_cannot_train_the_task_is_refused() {
        let settings = with(|s| (s.dataset, s.loss) = ("gauss".into(), Some(Loss::CrossEntropy)));
        let why = Session::new(settings, None).err().expect("refused");
        assert!(why.starts_with("loss"), "{why}");
        let why = Session::new(with(|s| s.dataset = "upload".into()), None)
            .err()
            .expect("no file");
        assert!(why.contains("no CSV file"), "{why}");
    }

    #[test]
    fn the_learning_rate_changes_without_starting_over() {
        let mut session = Session::new(Settings::default(), None).expect("valid");
        session.step(5);
        let started_over = session.apply(with(|s| s.lr = 0.05)).expect("valid");
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
        let mut a = Session::new(Settings::default(), None).expect("valid");
        let mut b = Session::new(Settings::default(), None).expect("valid");
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
        let settings =
            with(|s| (s.regularization, s.regularization_rate) = (Regularization::L2, 0.01));
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
        let session = Session::new(Settings::default(), None).expect("valid");
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
            (s.dataset, s.lr, s.hidden, s.activation) =
                ("gauss".into(), 100.0, vec![32, 32, 32], Activation::Relu);
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
        let mut session = Session::new(Settings::default(), None).expect("valid");
        let why = session
            .upload("x1,x2,label\n0,0,a\n1,oops,b\n", Task::Classification)
            .expect_err("bad");
        assert!(why.contains("line 3"), "{why}");
        assert_eq!(session.settings().dataset, "moons", "unchanged");
        let mut rows = String::from("x1,x2,label\n");
        for i in 0..40 {
            rows.push_str(&format!(
                "{},{},{}\n",
                i,
                i % 7,
                if i % 2 == 0 { "even" } else { "odd" }
            ));
        }
        session.upload(&rows, Task::Classification).expect("valid");
        assert_eq!(session.settings().dataset, "upload");
        assert_eq!(session.points()["class_names"], json!(["even", "odd"]));
        session.step(3);
        assert_eq!(session.steps_done(), 3);
        let too_big = "0,0,a\n1,1,b\n".repeat(MAX_UPLOAD_ROWS / 2 + 1);
        assert!(
            session
                .upload(&too_big, Task::Classification)
                .expect_err("too many")
                .contains("rows")
        );
    }

    #[test]
    fn the_map_covers_extreme_and_equal_points() {
        let mut session = Session::new(Settings::default(), None).expect("valid");
        session
            .upload(
                "1e308,-1e308,a\n-1e308,1e308,b\n1e308,1e308,a\n-1e308,-1e308,b\n",
                Task::Classification,
            )
            .expect("valid");
        let extent = session.extent();
        assert!(extent.iter().all(|e| e.is_finite()), "{extent:?}");
        session
            .upload("2,2,a\n2,2,b\n2,2,a\n2,2,b\n", Task::Classification)
            .expect("valid");
        assert_eq!(session.extent(), [1.0, 3.0, 1.0, 3.0]);
        let view = session.view();
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
