//! Every training setting, once: its name, what it means, the values it takes, its default, and
//! whether it applies while the playground plays. The program's flags (`app/cli.rs`), the
//! playground's checks and the page's controls (which ask the server for this list) are made
//! from [`SETTINGS`]; a new setting is one entry of the `settings!` list below.
//!
//! ```
//! use scalargrad::settings::{SETTINGS, Settings};
//! let mut settings = Settings::default();
//! settings.set("hidden", "8,8").expect("widths");
//! settings.set("lr", "0.5").expect("a rate");
//! assert_eq!((settings.hidden.clone(), settings.lr), (vec![8, 8], Some(0.5)));
//! let error = settings.set("lr", "-1").expect_err("out of range");
//! assert_eq!(error.to_string(), "lr: must be a finite number greater than 0, e.g. 0.1");
//! assert!(SETTINGS.iter().any(|s| s.key == "test_fraction"));
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::data::csv::TableOptions;
use crate::data::{Builtin, Dataset, MAX_CLASSES, Task};
use crate::nn::loss::Loss;
use crate::nn::optim::{OptimizerKind, Schedule};
use crate::nn::{Activation, Init};
use crate::train::TrainConfig;

mod range;

pub use range::{Choice, Range};
use range::{SettingValue, choices};

/// Where a setting applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The program's flags and the playground alike.
    Everywhere,
    /// The program's flags only (a run of fixed length).
    Program,
    /// The playground only (it plays).
    Playground,
}

impl Scope {
    /// Whether a setting of this scope is a flag of the program.
    pub fn in_program(self) -> bool {
        matches!(self, Scope::Everywhere | Scope::Program)
    }

    /// Whether a setting of this scope is a control of the playground.
    pub fn in_playground(self) -> bool {
        matches!(self, Scope::Everywhere | Scope::Playground)
    }
}

/// One setting: its key (the JSON field; the flag is the key with `-` for `_`), help, range,
/// scope, whether it applies live, and how to read, set and check its value in [`Settings`].
#[derive(Clone, Copy)]
pub struct Setting {
    /// The JSON field and the URL key (`test_fraction`); the flag is `--test-fraction`.
    pub key: &'static str,
    /// What it means (the first line is the short help).
    pub help: &'static str,
    /// The values it takes.
    pub range: Range,
    /// Where it applies.
    pub scope: Scope,
    /// Whether the playground applies a change without starting over.
    pub live: bool,
    set: fn(&mut Settings, &str) -> Result<(), String>,
    check: fn(&Settings) -> Result<(), String>,
    get: fn(&Settings) -> Value,
}

impl Setting {
    /// The flag that sets it (`--test-fraction`).
    pub fn flag(&self) -> String {
        format!("--{}", self.key.replace('_', "-"))
    }

    /// The value `settings` hold, as JSON (`null` for a setting left to its data-dependent
    /// default).
    pub fn value_in(&self, settings: &Settings) -> Value {
        (self.get)(settings)
    }

    /// The value `settings` hold as a flag would write it (empty for none).
    pub fn text_in(&self, settings: &Settings) -> String {
        match self.value_in(settings) {
            Value::Null => String::new(),
            Value::String(text) => text,
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        }
    }

    /// Whether `text` is a value this setting takes (the flag's parser).
    ///
    /// # Errors
    /// What it must be.
    pub fn check_text(&self, text: &str) -> Result<(), String> {
        let mut scratch = Settings::default();
        (self.set)(&mut scratch, text)
    }

    /// This setting's entry in the page's vocabulary: key, help, range and choices.
    pub fn describe(&self) -> Value {
        let range = match self.range {
            Range::Choice(choices) => json!({
                "kind": "choice",
                "choices": choices().iter().map(|c| json!({
                    "name": c.name, "describe": c.describe, "task": c.task,
                    "classes": c.classes, "generated": c.generated,
                    "defaults": c.defaults.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
                })).collect::<Vec<_>>(),
            }),
            Range::Whole { min, max } => json!({"kind": "whole", "min": min, "max": max}),
            Range::Number {
                min, max, above, ..
            } => {
                json!({"kind": "number", "min": min, "max": if max == f64::MAX { Value::Null } else { json!(max) }, "above": above})
            }
            Range::Widths { most, min, max } => {
                json!({"kind": "widths", "most": most, "min": min, "max": max})
            }
            Range::Text => json!({"kind": "text"}),
            Range::Switch => json!({"kind": "switch"}),
        };
        json!({
            "key": self.key,
            "help": self.help.lines().next().unwrap_or_default(),
            "range": range,
            "live": self.live,
        })
    }
}

/// Defines [`Settings`] (the values, their defaults) and [`SETTINGS`] (each one's key, help,
/// range, scope and access) from one list, so that a setting is written once.
macro_rules! settings {
    ($(
        $(#[doc = $doc:literal])+
        $key:ident: $type:ty = $default:expr, $range:expr, $scope:ident, live: $live:literal;
    )*) => {
        /// Every training setting's value, as the program's flags, the playground's JSON and a
        /// saved run's record hold them. `Settings::default()` is the program's default run
        /// (micrograd's moons demo); options left `None` take a default that depends on the
        /// data or another setting ([`Settings::resolve`]).
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct Settings {
            $( $(#[doc = $doc])+ pub $key: $type, )*
        }

        impl Default for Settings {
            fn default() -> Settings {
                Settings { $( $key: $default, )* }
            }
        }

        /// Every setting, in the order the program's `--help` lists them.
        pub const SETTINGS: &[Setting] = &[$(
            Setting {
                key: stringify!($key),
                help: concat!($($doc, "\n"),+),
                range: $range,
                scope: Scope::$scope,
                live: $live,
                set: |settings, text| {
                    settings.$key = <$type as SettingValue>::parse(text, &$range)?;
                    Ok(())
                },
                check: |settings| <$type as SettingValue>::check(&settings.$key, &$range),
                get: |settings| serde_json::to_value(&settings.$key).expect("plain data"),
            },
        )*];
    };
}

/// The most hidden layers `--hidden` takes (network.png stays readable within 4000 pixels).
pub const MAX_LAYERS: usize = 32;
/// The widest hidden layer `--hidden` takes.
pub const MAX_WIDTH: usize = 4096;

settings! {
    /// Built-in dataset (see the list); ignored with --data. digits brings its own defaults for
    /// the settings not given: --hidden 64 --optimizer adam --batch-size 32 --steps 1500.
    dataset: Builtin = Builtin::Generated(crate::data::Generator::Moons),
        Range::Choice(choices::<Builtin>), Everywhere, live: false;
    /// A CSV table to train on instead of the built-in dataset: a header names the columns
    /// (without one: x1,x2,...,label); the label is the last column unless --label names
    /// another.
    data: Option<String> = None, Range::Text, Everywhere, live: false;
    /// The label (or target) column of a --data table [default: its last column].
    label: Option<String> = None, Range::Text, Everywhere, live: false;
    /// The input columns of a --data table, comma-separated, in the order the model takes
    /// them [default: every column but the label].
    columns: Option<String> = None, Range::Text, Everywhere, live: false;
    /// Classification or regression [default: the dataset's; classification for a table].
    task: Option<Task> = None, Range::Choice(choices::<Task>), Everywhere, live: false;
    /// Classes of a dataset that can make several (spiral, blobs: 2 to 10) [default: its
    /// smallest number].
    classes: Option<usize> = None, Range::Whole { min: 2, max: MAX_CLASSES as u64 },
        Everywhere, live: false;
    /// Points a generated dataset has.
    samples: usize = 100, Range::Whole { min: 2, max: 1_000_000 }, Everywhere, live: false;
    /// Standard deviation of the Gaussian noise on generated points (for spiral added to the
    /// angle, for plane and gauss to the target).
    noise: f64 = 0.1,
        Range::Number { min: 0.0, max: 10.0, above: false, example: "0.1" }, Everywhere,
        live: false;
    /// Fraction of the rows held out as a test set (a seeded shuffle first).
    test_fraction: f64 = 0.2,
        Range::Number { min: 0.0, max: 0.9, above: false, example: "0.2" }, Everywhere,
        live: false;
    /// The network's inputs, comma-separated, in order: columns and forms of them (col^2, a*b,
    /// sin(col); TF Playground's x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2) on two columns)
    /// [default: every column as it is].
    features: Option<String> = None, Range::Text, Everywhere, live: false;
    /// Standardise every input column to mean 0 and deviation 1 on the training set (saved
    /// with the model).
    standardize: bool = false, Range::Switch, Everywhere, live: false;
    /// Hidden layer widths, comma-separated (a linear output layer follows).
    hidden: Vec<usize> = vec![16, 16],
        Range::Widths { most: MAX_LAYERS, min: 1, max: MAX_WIDTH }, Everywhere, live: false;
    /// Activation of the hidden layers.
    activation: Activation = Activation::Relu, Range::Choice(choices::<Activation>),
        Everywhere, live: false;
    /// Initial weights [default: he for relu, glorot for tanh and sigmoid].
    init: Option<Init> = None, Range::Choice(choices::<Init>), Program, live: false;
    /// Loss [default: hinge for 2 classes, cross-entropy for more, mse for regression].
    loss: Option<Loss> = None, Range::Choice(choices::<Loss>), Everywhere, live: false;
    /// Optimizer.
    optimizer: OptimizerKind = OptimizerKind::Sgd, Range::Choice(choices::<OptimizerKind>),
        Everywhere, live: false;
    /// Learning rate (where the schedule starts) [default: 1 for SGD (0.3 for mse), a tenth
    /// of that with momentum, 0.01 for adam and adamw].
    lr: Option<f64> = None,
        Range::Number { min: 0.0, max: f64::MAX, above: true, example: "0.1" }, Everywhere,
        live: true;
    /// Learning-rate schedule.
    schedule: Schedule = Schedule::Linear, Range::Choice(choices::<Schedule>), Program,
        live: false;
    /// Number of training steps (each a batch drawn at random).
    steps: usize = 100, Range::Whole { min: 1, max: MAX_STEPS as u64 }, Program, live: false;
    /// Train for this many epochs instead of --steps: each epoch takes every training example
    /// once, in batches of --batch-size after a seeded shuffle (epochs x ceil(rows / batch
    /// size) steps). Give --steps or --epochs, not both.
    epochs: Option<usize> = None, Range::Whole { min: 1, max: 100_000 }, Program, live: false;
    /// Examples per step [default: the whole training set].
    batch_size: Option<usize> = None, Range::Whole { min: 1, max: 1_000_000 }, Everywhere,
        live: true;
    /// L2 regularisation: the objective adds l2 * sum p^2 over every weight and bias.
    l2: f64 = 1e-4,
        Range::Number { min: 0.0, max: f64::MAX, above: false, example: "1e-4" }, Everywhere,
        live: true;
    /// L1 regularisation: the objective adds l1 * sum |p| over every weight and bias (d|p|/dp
    /// is 0 at p = 0).
    l1: f64 = 0.0,
        Range::Number { min: 0.0, max: f64::MAX, above: false, example: "1e-4" }, Everywhere,
        live: true;
    /// AdamW's decoupled weight decay: each step first multiplies every parameter by
    /// 1 - lr * weight_decay (PyTorch's AdamW; --optimizer adamw only).
    weight_decay: f64 = 0.01,
        Range::Number { min: 0.0, max: f64::MAX, above: false, example: "0.01" }, Everywhere,
        live: false;
    /// Seed of the data, the split, the initial weights and the batches: the same seed gives
    /// the same run.
    seed: u64 = 42, Range::Whole { min: 0, max: u64::MAX }, Everywhere, live: false;
    /// Threads that share each batch (each builds the graph of its share; the gradients are
    /// summed). Pays off for large batches and networks.
    threads: usize = 1, Range::Whole { min: 1, max: 256 }, Program, live: false;
    /// The two input columns the plane pictures are drawn over, comma-separated (the other
    /// columns held at their training mean) [default: the first two].
    plot_columns: Option<String> = None, Range::Text, Everywhere, live: true;
    /// Draw the inputs as a WxH image, row by row, in weights.png, mistakes.png and
    /// saliency.png [default: when the columns are named r0c0 .. r7c7, as the digits'].
    image: Option<String> = None, Range::Text, Program, live: false;
    /// Steps per second while the playground plays (0: as fast as it goes).
    speed: usize = 100, Range::Whole { min: 0, max: 100_000 }, Playground, live: true;
}

/// Most steps a run takes (given as --steps, or made by --epochs).
pub const MAX_STEPS: usize = 1_000_000;

/// A setting that cannot work, named.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct SettingError {
    /// The setting's key (`classes`).
    pub key: &'static str,
    /// Why, and what would work.
    pub message: String,
}

impl From<crate::train::ConfigError> for SettingError {
    fn from(error: crate::train::ConfigError) -> SettingError {
        SettingError {
            key: error.key,
            message: error.message,
        }
    }
}

fn refuse(key: &'static str, message: String) -> SettingError {
    SettingError { key, message }
}

/// Names of a comma list, trimmed (an empty list has none).
pub fn names(text: &str) -> Vec<String> {
    text.split(',')
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

impl Settings {
    /// The setting called `key`.
    pub fn setting(key: &str) -> Option<&'static Setting> {
        SETTINGS.iter().find(|s| s.key == key)
    }

    /// Sets the setting `key` from text, as its flag reads it.
    ///
    /// # Errors
    /// An unknown key, or a value out of the setting's range (named).
    pub fn set(&mut self, key: &str, text: &str) -> Result<(), SettingError> {
        let setting = Settings::setting(key).ok_or_else(|| {
            refuse(
                "settings",
                format!("no setting {:?}", key.chars().take(40).collect::<String>()),
            )
        })?;
        (setting.set)(self, text).map_err(|message| refuse(setting.key, message))
    }

    /// Checks every setting against its range (what a page's JSON may hold unchecked).
    ///
    /// # Errors
    /// The first setting out of range, named.
    pub fn check(&self) -> Result<(), SettingError> {
        for setting in SETTINGS {
            (setting.check)(self).map_err(|message| refuse(setting.key, message))?;
        }
        Ok(())
    }

    /// The task these settings train: `task` if given, else the built-in dataset's
    /// (classification for a table).
    ///
    /// # Errors
    /// `task` contradicting the built-in dataset.
    pub fn resolved_task(&self) -> Result<Task, SettingError> {
        let inherent = match self.data {
            Some(_) => None,
            None => Some(self.dataset.task()),
        };
        match (self.task, inherent) {
            (Some(asked), Some(made)) if asked != made => Err(refuse(
                "task",
                format!(
                    "the {} dataset is for {}, not {}; for {} choose {}",
                    self.dataset.name(),
                    made.name(),
                    asked.name(),
                    asked.name(),
                    match asked {
                        Task::Regression =>
                            "--dataset plane or gauss, or a table with a target column",
                        Task::Classification => "another dataset",
                    }
                ),
            )),
            (Some(asked), _) => Ok(asked),
            (None, Some(made)) => Ok(made),
            (None, None) => Ok(Task::Classification),
        }
    }

    /// How a table is read with these settings: its task, label column and input columns.
    ///
    /// # Errors
    /// As [`Settings::resolved_task`].
    pub fn table_options<'a>(
        &'a self,
        columns: &'a Option<Vec<String>>,
    ) -> Result<TableOptions<'a>, SettingError> {
        Ok(TableOptions {
            task: self.resolved_task()?,
            label: self.label.as_deref(),
            columns: columns.as_deref(),
        })
    }

    /// The input columns `columns` names, if it is given.
    pub fn column_names(&self) -> Option<Vec<String>> {
        self.columns.as_deref().map(names)
    }

    /// The built-in dataset these settings describe, generated from `seed`'s data stream.
    ///
    /// # Errors
    /// `classes` the dataset cannot make, or given for regression; `task` contradicting it;
    /// `label` or `columns` (which name a table's columns).
    pub fn generate(&self, rng: &mut impl rand::Rng) -> Result<Dataset, SettingError> {
        self.resolved_task()?;
        for (key, given) in [
            ("label", self.label.is_some()),
            ("columns", self.columns.is_some()),
        ] {
            if given {
                return Err(refuse(
                    key,
                    "names a column of a table (--data); the built-in datasets have x1 and x2"
                        .into(),
                ));
            }
        }
        let builtin = self.dataset;
        let classes = match (builtin.class_range(), self.classes) {
            (None, Some(_)) => {
                return Err(refuse(
                    "classes",
                    format!(
                        "{} is a regression dataset; it has no classes",
                        builtin.name()
                    ),
                ));
            }
            (None, None) => 0,
            (Some(range), None) => *range.start(),
            (Some(range), Some(k)) if range.contains(&k) => k,
            (Some(range), Some(k)) => {
                return Err(refuse(
                    "classes",
                    format!(
                        "{} makes {} classes, not {k}; spiral and blobs make 2 to {MAX_CLASSES}",
                        builtin.name(),
                        if range.start() == range.end() {
                            range.start().to_string()
                        } else {
                            format!("{} to {}", range.start(), range.end())
                        }
                    ),
                ));
            }
        };
        Ok(builtin.load(self.samples, self.noise, classes, rng))
    }

    /// The training configuration for the training set `data` (its classes, columns and rows):
    /// the loss, learning rate and initialisation a run takes when none is given, and the steps
    /// that `epochs` makes, checked against the data.
    ///
    /// # Errors
    /// A loss that cannot train the data's task, `classes` given for a table, features or
    /// plot columns that name no column, or more than the most steps in `epochs`.
    pub fn resolve(&self, data: &Dataset) -> Result<TrainConfig, SettingError> {
        let classes = data.classes();
        if self.data.is_some() && self.classes.is_some() {
            return Err(refuse(
                "classes",
                "a table's classes are its labels; leave it out with --data".into(),
            ));
        }
        let loss = self.loss.unwrap_or(Loss::default_for(classes));
        loss.check(classes).map_err(|why| refuse("loss", why))?;
        if let Some(features) = &self.features {
            crate::inputs::Feature::parse_list(features, &data.columns)
                .map_err(|why| refuse("features", why))?;
        }
        let lr = self.lr.unwrap_or_else(|| {
            self.optimizer
                .default_learning_rate(loss.default_learning_rate())
        });
        let steps = match self.epochs {
            None => self.steps,
            Some(epochs) => {
                let each = crate::train::steps_per_epoch(data.len().max(1), self.batch_size);
                let steps = epochs.saturating_mul(each);
                if steps > MAX_STEPS {
                    return Err(refuse(
                        "epochs",
                        format!(
                            "{epochs} epochs of {each} steps is more than {MAX_STEPS} steps: fewer epochs or a larger batch size"
                        ),
                    ));
                }
                steps
            }
        };
        Ok(TrainConfig {
            hidden: self.hidden.clone(),
            activation: self.activation,
            init: self.init.unwrap_or(Init::for_activation(self.activation)),
            loss,
            optimizer: self.optimizer,
            lr,
            schedule: self.schedule,
            steps,
            epochs: self.epochs,
            batch_size: self.batch_size,
            l2: self.l2,
            l1: self.l1,
            weight_decay: self.weight_decay,
            features: self.features.clone(),
            standardize: self.standardize,
            seed: self.seed,
            threads: self.threads,
        })
    }

    /// Applies the built-in dataset's own defaults ([`Builtin::defaults`]) to every setting
    /// for which `given(key)` is false (a table, `data`, has none).
    ///
    /// ```
    /// use scalargrad::settings::Settings;
    /// let mut settings = Settings::default();
    /// settings.set("dataset", "digits").expect("a dataset");
    /// settings.set("steps", "10").expect("steps");
    /// settings.apply_dataset_defaults(|key| key == "steps");
    /// assert_eq!((settings.hidden.clone(), settings.steps), (vec![64], 10));
    /// ```
    ///
    /// # Panics
    /// If a dataset's default is not a valid value of its setting (a test checks every one).
    pub fn apply_dataset_defaults(&mut self, given: impl Fn(&str) -> bool) {
        if self.data.is_some() {
            return;
        }
        for &(key, value) in self.dataset.defaults() {
            if !given(key) {
                self.set(key, value)
                    .expect("a dataset's defaults are valid values of their settings");
            }
        }
    }

    /// The vocabulary a page builds its controls from: every setting of the playground's scope
    /// with its range and help.
    pub fn vocabulary() -> Value {
        Value::Array(
            SETTINGS
                .iter()
                .filter(|s| s.scope.in_playground())
                .map(Setting::describe)
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_datasets_defaults_are_valid_values_of_their_settings() {
        for builtin in Builtin::all() {
            for &(key, value) in builtin.defaults() {
                let mut settings = Settings::default();
                assert!(
                    settings.set(key, value).is_ok(),
                    "{}: {key} = {value}",
                    builtin.name()
                );
            }
        }
        // a table has none, and a setting given explicitly keeps its value
        let mut settings = Settings::default();
        settings.set("dataset", "digits").expect("a dataset");
        settings.set("data", "t.csv").expect("a path");
        settings.apply_dataset_defaults(|_| false);
        assert_eq!(settings.hidden, vec![16, 16]);
    }

    /// Each row: a setting, a text, and the start of the message (or `None` for accepted).
    #[test]
    fn every_setting_reads_its_range_and_refuses_the_rest() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            (
                "steps",
                "0",
                Some("must be a whole number from 1 to 1000000"),
            ),
            ("steps", "5", None),
            (
                "hidden",
                "0",
                Some("must be comma-separated layer widths from 1 to 4096"),
            ),
            (
                "hidden",
                "a,b",
                Some("must be comma-separated layer widths"),
            ),
            ("hidden", "", None),
            (
                "hidden",
                &"1,".repeat(MAX_LAYERS + 1),
                Some("must be comma-separated"),
            ),
            ("lr", "nan", Some("must be a finite number greater than 0")),
            ("lr", "-1", Some("must be a finite number greater than 0")),
            ("lr", "1e308", None),
            ("dataset", "mooons", Some("must be one of moons, circles")),
            ("dataset", "spiral", None),
            ("noise", "inf", Some("must be a number from 0 to 10")),
            (
                "batch_size",
                "0",
                Some("must be a whole number from 1 to 1000000"),
            ),
            (
                "samples",
                "1",
                Some("must be a whole number from 2 to 1000000"),
            ),
            ("classes", "11", Some("must be a whole number from 2 to 10")),
            ("l1", "-1", Some("must be a finite number of 0 or more")),
            ("seed", "18446744073709551615", None),
            ("seed", "-1", Some("must be a whole number from 0")),
            ("loss", "cross-entropy", None),
            ("standardize", "maybe", Some("must be true or false")),
        ];
        for &(key, text, expected) in cases {
            let mut settings = Settings::default();
            match (settings.set(key, text), expected) {
                (Ok(()), None) => assert!(settings.check().is_ok(), "{key} {text}"),
                (Err(error), Some(start)) => {
                    assert_eq!(error.key, key);
                    assert!(error.message.starts_with(start), "{key} {text}: {error}");
                }
                (result, _) => panic!("{key} {text:?}: {result:?}"),
            }
        }
        assert!(Settings::default().set("nope", "1").is_err());
    }

    #[test]
    fn json_settings_are_checked_against_the_same_ranges() {
        let settings: Settings =
            serde_json::from_str(r#"{"hidden": [0], "lr": 0.1}"#).expect("JSON of settings");
        assert_eq!(settings.check().expect_err("width 0").key, "hidden");
        let settings: Settings = serde_json::from_str(r#"{"lr": -2}"#).expect("JSON");
        assert_eq!(settings.check().expect_err("negative").key, "lr");
        assert!(serde_json::from_str::<Settings>(r#"{"nope": 1}"#).is_err());
        assert!(serde_json::from_str::<Settings>(r#"{"dataset": "digitz"}"#).is_err());
        assert_eq!(Settings::default().check(), Ok(()));
    }

    #[test]
    fn defaults_that_depend_on_the_data_are_resolved_once() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let moons = Settings::default().generate(&mut rng).expect("moons");
        let config = Settings::default().resolve(&moons).expect("fits");
        assert_eq!(
            (config.loss, config.lr, config.init),
            (Loss::Hinge, 1.0, Init::He)
        );
        let adam = Settings {
            optimizer: OptimizerKind::Adam,
            ..Settings::default()
        };
        assert_eq!(adam.resolve(&moons).expect("fits").lr, 0.01);
        let spiral = Settings {
            dataset: Builtin::named("spiral").expect("a dataset"),
            classes: Some(3),
            loss: Some(Loss::Logistic),
            ..Settings::default()
        };
        let data = spiral.generate(&mut rng).expect("3 classes");
        assert_eq!(
            spiral
                .resolve(&data)
                .expect_err("logistic takes 2")
                .to_string(),
            "loss: logistic takes two classes, not 3; use cross-entropy or hinge"
        );
        let three_moons = Settings {
            classes: Some(3),
            ..Settings::default()
        };
        assert!(
            three_moons
                .generate(&mut rng)
                .expect_err("moons has 2")
                .to_string()
                .starts_with("classes: moons makes 2 classes, not 3")
        );
        let regression = Settings {
            task: Some(Task::Regression),
            ..Settings::default()
        };
        assert!(
            regression
                .generate(&mut rng)
                .expect_err("moons classifies")
                .to_string()
                .starts_with("task: the moons dataset is for classification")
        );
    }

    #[test]
    fn the_page_vocabulary_lists_the_playground_settings_with_their_ranges() {
        let vocabulary = Settings::vocabulary();
        let keys: Vec<&str> = vocabulary
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|s| s["key"].as_str())
            .collect();
        assert!(keys.contains(&"lr") && keys.contains(&"speed") && keys.contains(&"dataset"));
        assert!(!keys.contains(&"steps") && !keys.contains(&"threads"));
        let dataset = vocabulary
            .as_array()
            .and_then(|all| all.iter().find(|s| s["key"] == "dataset"))
            .expect("the dataset setting");
        let spiral = &dataset["range"]["choices"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == "spiral").cloned())
            .expect("spiral");
        assert_eq!(spiral["classes"], json!([2, 10]));
    }
}
