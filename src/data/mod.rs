//! Data sets: rows of named numeric input columns, each with a class (classification) or a real
//! target (regression).
//!
//! A [`Dataset`] comes from a built-in source ([`Builtin`]: the generated two-column sets of
//! `plane.rs`) or from a CSV table (`csv.rs`: a header names the columns, `--label` picks the
//! label, `--columns` the inputs). Labels inside a dataset are class indices 0..K (or targets);
//! how a loss wants them (-1/+1 for two classes) is the loss's business (`nn::loss`).
//!
//! ```
//! use rand::{SeedableRng, rngs::StdRng};
//! use scalargrad::data::Generator;
//! let data = Generator::Moons.generate(100, 0.1, &mut StdRng::seed_from_u64(0));
//! assert_eq!(data.columns, ["x1", "x2"]);
//! assert_eq!((data.len(), data.width(), data.classes()), (100, 2, 2));
//! assert_eq!(data.row(0).len(), 2);
//! ```

pub mod csv;
pub mod digits;
mod image;
pub mod labels;
mod plane;

use std::path::PathBuf;

use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

pub use image::{ImageShape, MAX_SIDE};
pub use plane::Generator;

/// The most classes a dataset may have.
pub const MAX_CLASSES: usize = 10;
/// The most input columns a dataset may have.
pub const MAX_COLUMNS: usize = 1_000;

/// What a model learns: a class per row, or a real number per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Classes (the labels are classes).
    Classification,
    /// A real target (the labels are numbers).
    Regression,
}

impl Task {
    /// Both tasks.
    pub const ALL: [Task; 2] = [Task::Classification, Task::Regression];

    /// The task's name (`classification`, `regression`).
    pub fn name(self) -> &'static str {
        match self {
            Task::Classification => "classification",
            Task::Regression => "regression",
        }
    }

    /// The task of a model or data with these class names: regression when there are none.
    pub fn of_classes(class_names: &[String]) -> Task {
        if class_names.is_empty() {
            Task::Regression
        } else {
            Task::Classification
        }
    }

    /// What it learns.
    pub fn describe(self) -> &'static str {
        match self {
            Task::Classification => "a class per row",
            Task::Regression => "a real number per row",
        }
    }

    /// What a row's label is called in this task: `label` (a class) or `target` (a number).
    pub fn label_word(self) -> &'static str {
        match self {
            Task::Classification => "label",
            Task::Regression => "target",
        }
    }
}

/// The names classes get when nothing names them: `-1` and `+1` for two (micrograd's labels),
/// else the class numbers `0`, `1`, ...
pub fn numbered_classes(classes: usize) -> Vec<String> {
    match classes {
        2 => vec!["-1".to_string(), "+1".to_string()],
        _ => (0..classes).map(|class| class.to_string()).collect(),
    }
}

/// Rows of named input columns, each with a label.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// The input columns' names, in order.
    pub columns: Vec<String>,
    /// The inputs, row after row, one number per column.
    pub inputs: Vec<f64>,
    /// Per row: its class index 0..K (classification) or its target (regression).
    pub labels: Vec<f64>,
    /// The class names in class order; empty for regression.
    pub class_names: Vec<String>,
    /// The label column's name (`label` or `target` where the data names none).
    pub label: String,
}

impl Dataset {
    /// A dataset of two columns `x1`, `x2` from points in the plane.
    pub fn of_points(points: &[[f64; 2]], labels: Vec<f64>, class_names: Vec<String>) -> Dataset {
        let task = Task::of_classes(&class_names);
        Dataset {
            columns: vec!["x1".to_string(), "x2".to_string()],
            inputs: points.iter().flatten().copied().collect(),
            labels,
            class_names,
            label: task.label_word().to_string(),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of input columns.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// Row `i`'s inputs, one per column.
    ///
    /// # Panics
    /// If there is no row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        let width = self.width();
        &self.inputs[i * width..(i + 1) * width]
    }

    /// Every row's inputs, in order.
    pub fn rows(&self) -> impl Iterator<Item = &[f64]> + '_ {
        (0..self.len()).map(|i| self.row(i))
    }

    /// The index of the column named `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Classification (there are class names) or regression.
    pub fn task(&self) -> Task {
        Task::of_classes(&self.class_names)
    }

    /// Number of classes (0 for regression).
    pub fn classes(&self) -> usize {
        self.class_names.len()
    }

    /// The mean of every column over the rows (0 for no rows), computed without overflow for
    /// any finite values.
    pub fn column_means(&self) -> Vec<f64> {
        (0..self.width())
            .map(|j| {
                let unit = self.rows().fold(0.0f64, |m, row| m.max(row[j].abs()));
                if unit == 0.0 || self.is_empty() {
                    return 0.0;
                }
                self.rows().map(|row| row[j] / unit).sum::<f64>() / self.len() as f64 * unit
            })
            .collect()
    }

    /// The rows at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        Dataset {
            columns: self.columns.clone(),
            inputs: indices.iter().flat_map(|&i| self.row(i)).copied().collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            class_names: self.class_names.clone(),
            label: self.label.clone(),
        }
    }

    /// Shuffles the rows with `rng` and splits off `test_fraction` of them (rounded down) as a
    /// held-out set: returns (train, test). Files are often sorted by class; the shuffle makes
    /// both sets mixed.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use scalargrad::data::Generator;
    /// let mut rng = StdRng::seed_from_u64(0);
    /// let data = Generator::Blobs.generate(100, 0.1, &mut rng);
    /// let (train, test) = data.split(0.2, &mut rng);
    /// assert_eq!((train.len(), test.len()), (80, 20));
    /// ```
    pub fn split(&self, test_fraction: f64, rng: &mut impl Rng) -> (Dataset, Dataset) {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(rng);
        let test = ((self.len() as f64 * test_fraction).floor() as usize).min(self.len());
        let (test_indices, train_indices) = order.split_at(test);
        (self.subset(train_indices), self.subset(test_indices))
    }
}

/// A built-in dataset, as `--dataset` names it: a generated set in the plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// Points generated in the plane (two columns, `x1` and `x2`).
    Generated(Generator),
    /// The 1,797 8x8 handwritten digits shipped with the program ([`digits`]).
    Digits,
}

impl Builtin {
    /// Every built-in dataset, in the order the program lists them.
    pub fn all() -> Vec<Builtin> {
        let mut all: Vec<Builtin> = Generator::ALL.into_iter().map(Builtin::Generated).collect();
        all.push(Builtin::Digits);
        all
    }

    /// The built-in dataset called `name`.
    pub fn named(name: &str) -> Option<Builtin> {
        Builtin::all().into_iter().find(|b| b.name() == name)
    }

    /// Its name (`moons`, `spiral`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Generated(generator) => generator.name(),
            Builtin::Digits => "digits",
        }
    }

    /// What it is, in a sentence.
    pub fn describe(self) -> &'static str {
        match self {
            Builtin::Generated(generator) => generator.describe(),
            Builtin::Digits => {
                "1,797 handwritten digits of 8x8 pixels (UCI optdigits, CC BY 4.0); 10 classes"
            }
        }
    }

    /// Classification or regression.
    pub fn task(self) -> Task {
        match self {
            Builtin::Generated(generator) => generator.task(),
            Builtin::Digits => Task::Classification,
        }
    }

    /// The numbers of classes it can make; `None` for regression.
    pub fn class_range(self) -> Option<std::ops::RangeInclusive<usize>> {
        match self {
            Builtin::Generated(generator) => generator.class_range(),
            Builtin::Digits => Some(10..=10),
        }
    }

    /// The settings it trains well with where they differ from the program's defaults (the
    /// moons'), as `(key, value)` text: they apply to every such setting not given explicitly.
    pub fn defaults(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Builtin::Generated(_) => &[],
            // about 33 epochs of mini-batches of 32: 98% of the held-out digits in about a second
            Builtin::Digits => &[
                ("hidden", "64"),
                ("optimizer", "adam"),
                ("batch_size", "32"),
                ("steps", "1500"),
            ],
        }
    }

    /// Whether `samples` and `noise` shape it (a generated set) or its rows are fixed.
    pub fn generated(self) -> bool {
        match self {
            Builtin::Generated(_) => true,
            Builtin::Digits => false,
        }
    }

    /// Its rows: for a generated set `samples` of them with `noise` and `classes` classes (0 for
    /// its smallest number, and for regression), drawn from `rng`.
    ///
    /// # Panics
    /// As [`Generator::generate_classes`].
    pub fn load(self, samples: usize, noise: f64, classes: usize, rng: &mut impl Rng) -> Dataset {
        match self {
            Builtin::Generated(generator) => {
                let classes = match (generator.class_range(), classes) {
                    (Some(range), 0) => *range.start(),
                    (_, chosen) => chosen,
                };
                generator.generate_classes(samples, noise, classes, rng)
            }
            Builtin::Digits => digits::digits(),
        }
    }
}

impl Serialize for Builtin {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Builtin {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Builtin, D::Error> {
        let name = String::deserialize(deserializer)?;
        Builtin::named(&name).ok_or_else(|| {
            let names: Vec<&str> = Builtin::all().into_iter().map(Builtin::name).collect();
            serde::de::Error::custom(format!(
                "unknown dataset {:?}; one of {}",
                name.chars().take(40).collect::<String>(),
                names.join(", ")
            ))
        })
    }
}

/// A problem with a data file, with the file and (where it applies) the line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", .path.display(), .line.map(|line| format!(" line {line}")).unwrap_or_default())]
pub struct DataError {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line, when the problem is on one line.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// The most characters of a file's text a message repeats.
pub const MAX_QUOTED_CHARS: usize = 100;

/// Text from a file for a message: quoted, and cut after [`MAX_QUOTED_CHARS`] characters (a
/// message names what it found without repeating a whole line of it).
pub fn quoted(text: &str) -> String {
    if text.chars().count() <= MAX_QUOTED_CHARS {
        format!("{text:?}")
    } else {
        let start: String = text.chars().take(MAX_QUOTED_CHARS).collect();
        format!("{start:?}... ({} characters)", text.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn rows_subsets_and_means_follow_the_columns() {
        let data = Dataset {
            columns: vec!["a".into(), "b".into(), "c".into()],
            inputs: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            labels: vec![0.0, 1.0],
            class_names: vec!["no".into(), "yes".into()],
            label: "ok".into(),
        };
        assert_eq!(data.row(1), [4.0, 5.0, 6.0]);
        assert_eq!(data.column("c"), Some(2));
        assert_eq!(data.column_means(), [2.5, 3.5, 4.5]);
        let swapped = data.subset(&[1, 0]);
        assert_eq!(swapped.inputs, [4.0, 5.0, 6.0, 1.0, 2.0, 3.0]);
        assert_eq!(swapped.labels, [1.0, 0.0]);
        let huge = Dataset::of_points(&[[1e308, -1e308], [1e308, -1e308]], vec![0.0; 2], vec![]);
        assert_eq!(huge.column_means(), [1e308, -1e308], "no overflow");
    }

    #[test]
    fn every_builtin_loads_its_task_and_classes() {
        for builtin in Builtin::all() {
            let data = builtin.load(40, 0.1, 0, &mut StdRng::seed_from_u64(1));
            assert_eq!(data.task(), builtin.task(), "{builtin:?}");
            assert_eq!(
                data.classes(),
                builtin.class_range().map_or(0, |r| *r.start()),
                "{builtin:?}"
            );
            // a generated set has the samples asked for; a shipped one its own rows
            let rows = if builtin.generated() { 40 } else { 1797 };
            assert_eq!(data.len(), rows, "{builtin:?}");
        }
    }
}
