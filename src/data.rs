//! Two-dimensional data: built-in generators and CSV files, for classification (2 to 10 classes)
//! and regression.
//!
//! Labels inside the crate: with two classes -1 (the first class) and +1 (the second), what the
//! hinge and logistic losses expect; with more classes the class index 0..K; for regression the
//! real target. A CSV file's own label values are kept as class names.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

/// The most classes a dataset may have.
pub const MAX_CLASSES: usize = 10;

/// What a model learns: a class per point, or a real number per point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "app", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Classes (the labels are classes).
    Classification,
    /// A real target (the labels are numbers).
    Regression,
}

/// Points in the plane, each with a label (see the module's doc for what a label holds).
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// The inputs (x1, x2).
    pub points: Vec<[f64; 2]>,
    /// Per point: -1 / +1 for two classes, the class index for more, the target for regression.
    pub labels: Vec<f64>,
    /// The class names in class order (e.g. the values found in a CSV file); empty for
    /// regression.
    pub label_names: Vec<String>,
}

/// The label of class `class` of `classes`: -1 / +1 for two classes, else the index itself.
pub fn class_label(class: usize, classes: usize) -> f64 {
    if classes == 2 {
        if class == 1 { 1.0 } else { -1.0 }
    } else {
        class as f64
    }
}

/// The class index of `label` with `classes` classes (the inverse of [`class_label`]).
pub fn class_index(label: f64, classes: usize) -> usize {
    if classes == 2 {
        usize::from(label > 0.0)
    } else {
        label as usize
    }
}

/// A built-in dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "app", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Generator {
    /// Two interleaving half circles (sklearn's make_moons), as in micrograd's demo; 2 classes.
    Moons,
    /// A ring around a disc (sklearn's make_circles with factor 0.5); 2 classes.
    Circles,
    /// Four quadrants, labelled by the sign of x1 * x2; 2 classes.
    Xor,
    /// K spiral arms (CS231n's recipe; the noise is on the angle); 2 to 10 classes.
    Spiral,
    /// K Gaussian blobs on a circle around the origin; 2 to 10 classes.
    Blobs,
    /// A yin-yang sign: yin, yang and its two dots (EurekaLabs' micrograd); 3 classes.
    Yinyang,
    /// Regression: a plane, the target rising from -1.2 to 1.2 across [-1, 1]^2 (TF
    /// Playground's regress-plane, its [-6, 6]^2 scaled to [-1, 1]^2).
    Plane,
    /// Regression: six bumps of height +1 or -1 over [-1, 1]^2 (TF Playground's
    /// regress-gaussian, scaled the same way).
    Gauss,
}

/// `n` evenly spaced numbers from `start` to `end` inclusive, like numpy's `linspace`.
fn linspace(start: f64, end: f64, n: usize) -> impl Iterator<Item = f64> {
    let step = if n > 1 {
        (end - start) / (n - 1) as f64
    } else {
        0.0
    };
    (0..n).map(move |i| start + step * i as f64)
}

/// How many of `samples` points each of `classes` classes gets: as equal as can be, the last
/// classes taking one more where it does not divide.
fn class_sizes(samples: usize, classes: usize) -> Vec<usize> {
    let (each, extra) = (samples / classes, samples % classes);
    (0..classes)
        .map(|j| each + usize::from(j >= classes - extra))
        .collect()
}

impl Generator {
    /// Every built-in dataset.
    pub const ALL: [Generator; 8] = [
        Generator::Moons,
        Generator::Circles,
        Generator::Xor,
        Generator::Spiral,
        Generator::Blobs,
        Generator::Yinyang,
        Generator::Plane,
        Generator::Gauss,
    ];

    /// Classification or regression.
    pub fn task(self) -> Task {
        match self {
            Generator::Moons
            | Generator::Circles
            | Generator::Xor
            | Generator::Spiral
            | Generator::Blobs
            | Generator::Yinyang => Task::Classification,
            Generator::Plane | Generator::Gauss => Task::Regression,
        }
    }

    /// The numbers of classes this dataset can make; `None` for regression.
    pub fn class_range(self) -> Option<std::ops::RangeInclusive<usize>> {
        match self {
            Generator::Moons | Generator::Circles | Generator::Xor => Some(2..=2),
            Generator::Spiral | Generator::Blobs => Some(2..=MAX_CLASSES),
            Generator::Yinyang => Some(3..=3),
            Generator::Plane | Generator::Gauss => None,
        }
    }

    /// `samples` points with the smallest number of classes this dataset makes (0 for
    /// regression); see [`Generator::generate_classes`].
    ///
    /// # Panics
    /// If `noise` is negative, NaN or infinite.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use scalargrad::data::Generator;
    /// let data = Generator::Moons.generate(100, 0.0, &mut StdRng::seed_from_u64(0));
    /// assert_eq!(data.points.len(), 100);
    /// assert_eq!(data.points[0], [1.0, 0.0]); // the outer moon starts at (cos 0, sin 0)
    /// assert_eq!(data.labels.iter().filter(|&&y| y > 0.0).count(), 50);
    /// ```
    pub fn generate(self, samples: usize, noise: f64, rng: &mut impl Rng) -> Dataset {
        let classes = self.class_range().map_or(0, |range| *range.start());
        self.generate_classes(samples, noise, classes, rng)
    }

    /// `samples` points in `classes` classes (ignored for regression) with Gaussian noise of
    /// standard deviation `noise` added to each coordinate (for `Spiral` to the angle, for the
    /// regression datasets to the target),
    /// drawn from `rng` (so the same seed gives the same data). The classes come in order, as
    /// equal in size as can be.
    ///
    /// # Panics
    /// If `noise` is negative, NaN or infinite, or `classes` is not in
    /// [`Generator::class_range`] for a classification dataset.
    pub fn generate_classes(
        self,
        samples: usize,
        noise: f64,
        classes: usize,
        rng: &mut impl Rng,
    ) -> Dataset {
        assert!(
            noise.is_finite() && noise >= 0.0,
            "the noise must be a finite standard deviation >= 0, not {noise}"
        );
        let normal = |sd: f64| Normal::new(0.0, sd).expect("a finite standard deviation >= 0");
        if self.task() == Task::Regression {
            return self.regression(samples, normal(noise), rng);
        }
        assert!(
            self.class_range()
                .is_some_and(|range| range.contains(&classes)),
            "{self:?} makes {:?} classes, not {classes}",
            self.class_range()
        );
        let sizes = class_sizes(samples, classes);
        let mut points: Vec<[f64; 2]> = Vec::with_capacity(samples);
        let mut jitter_points = true;
        match self {
            Generator::Moons => {
                points.extend(linspace(0.0, PI, sizes[0]).map(|t| [t.cos(), t.sin()]));
                points.extend(
                    linspace(0.0, PI, sizes[1]).map(|t| [1.0 - t.cos(), 1.0 - t.sin() - 0.5]),
                );
            }
            Generator::Circles => {
                let ring = |n: usize, radius: f64| {
                    (0..n).map(move |i| {
                        let t = 2.0 * PI * i as f64 / n as f64;
                        [radius * t.cos(), radius * t.sin()]
                    })
                };
                points.extend(ring(sizes[0], 1.0));
                points.extend(ring(sizes[1], 0.5));
            }
            Generator::Xor => {
                // draw points until each quadrant pair has its share, so labels stay balanced
                let (mut negative, mut positive) = (Vec::new(), Vec::new());
                while negative.len() < sizes[0] || positive.len() < sizes[1] {
                    let p: [f64; 2] = [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
                    if p[0] * p[1] < 0.0 && negative.len() < sizes[0] {
                        negative.push(p);
                    } else if p[0] * p[1] > 0.0 && positive.len() < sizes[1] {
                        positive.push(p);
                    }
                }
                points.extend(negative);
                points.extend(positive);
            }
            Generator::Spiral => {
                // CS231n: for class j, r = linspace(0, 1, n), t = linspace(4j, 4(j + 1), n) + noise
                jitter_points = false;
                let angle_noise = normal(noise);
                for (j, &n) in sizes.iter().enumerate() {
                    let j = j as f64;
                    let radii = linspace(0.0, 1.0, n);
                    for (r, t) in radii.zip(linspace(4.0 * j, 4.0 * (j + 1.0), n)) {
                        let t = t + angle_noise.sample(rng);
                        points.push([r * t.sin(), r * t.cos()]);
                    }
                }
            }
            Generator::Blobs => {
                // centres on a circle of radius sqrt 2; with two classes (-1, -1) and (1, 1)
                let spread = normal(0.5);
                for (j, &n) in sizes.iter().enumerate() {
                    let angle = 1.25 * PI + 2.0 * PI * j as f64 / classes as f64;
                    let centre = [2f64.sqrt() * angle.cos(), 2f64.sqrt() * angle.sin()];
                    for _ in 0..n {
                        points.push([
                            centre[0] + spread.sample(rng),
                            centre[1] + spread.sample(rng),
                        ]);
                    }
                }
            }
            Generator::Yinyang => {
                for (class, &n) in sizes.iter().enumerate() {
                    points.extend((0..n).map(|_| yinyang_point(class, rng)));
                }
            }
            Generator::Plane | Generator::Gauss => unreachable!("regression returned above"),
        }
        if jitter_points && noise > 0.0 {
            let jitter = normal(noise);
            for point in &mut points {
                point[0] += jitter.sample(rng);
                point[1] += jitter.sample(rng);
            }
        }
        let labels = sizes
            .iter()
            .enumerate()
            .flat_map(|(class, &n)| std::iter::repeat_n(class_label(class, classes), n))
            .collect();
        let label_names = if classes == 2 {
            vec!["-1".to_string(), "+1".to_string()]
        } else {
            (0..classes).map(|class| class.to_string()).collect()
        };
        let label_names = match self {
            Generator::Yinyang => ["yin", "yang", "dot"].map(String::from).to_vec(),
            _ => label_names,
        };
        Dataset {
            points,
            labels,
            label_names,
        }
    }

    /// `samples` points uniform in [-1, 1]^2 (TF Playground's [-6, 6]^2 divided by 6, the scale
    /// of the other datasets), each target with `noise` added.
    fn regression(self, samples: usize, noise: Normal<f64>, rng: &mut impl Rng) -> Dataset {
        let mut points = Vec::with_capacity(samples);
        let mut labels = Vec::with_capacity(samples);
        for _ in 0..samples {
            // TF Playground's units, [-6, 6]^2, for its formulas
            let at = [rng.random_range(-6.0..6.0), rng.random_range(-6.0..6.0)];
            let target = match self {
                Generator::Gauss => gaussian_bumps(at),
                _ => (at[0] + at[1]) / 10.0,
            };
            labels.push(target + noise.sample(rng));
            points.push([at[0] / 6.0, at[1] / 6.0]);
        }
        Dataset {
            points,
            labels,
            label_names: Vec::new(),
        }
    }
}

/// TF Playground's regress-gaussian target: of six bumps of height +1 or -1 falling linearly to 0
/// at distance 2, the one largest in size at `p`.
fn gaussian_bumps(p: [f64; 2]) -> f64 {
    const BUMPS: [(f64, f64, f64); 6] = [
        (-4.0, 2.5, 1.0),
        (0.0, 2.5, -1.0),
        (4.0, 2.5, 1.0),
        (-4.0, -2.5, -1.0),
        (0.0, -2.5, 1.0),
        (4.0, -2.5, -1.0),
    ];
    BUMPS.iter().fold(0.0, |best: f64, &(x, y, sign)| {
        let distance = ((p[0] - x).powi(2) + (p[1] - y).powi(2)).sqrt();
        let height = sign * (1.0 - distance / 2.0).clamp(0.0, 1.0);
        if height.abs() > best.abs() {
            height
        } else {
            best
        }
    })
}

/// A point of class `class` (0 yin, 1 yang, 2 the dots) of a yin-yang sign of radius 2 around
/// the origin, drawn by rejection from the disc.
fn yinyang_point(class: usize, rng: &mut impl Rng) -> [f64; 2] {
    // the sign in the unit square's disc of radius 0.5 around (0.5, 0.5), dots of radius 0.1
    let (r_small, r_big) = (0.1, 0.5);
    let distance = |x: f64, y: f64, cx: f64, cy: f64| ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
    loop {
        let (x, y) = (rng.random_range(0.0..1.0), rng.random_range(0.0..1.0));
        if distance(x, y, r_big, r_big) > r_big {
            continue;
        }
        let right = distance(x, y, 1.5 * r_big, r_big);
        let left = distance(x, y, 0.5 * r_big, r_big);
        let yin = right <= r_small
            || (left > r_small && left <= 0.5 * r_big)
            || (y > r_big && right > 0.5 * r_big);
        let found = if right < r_small || left < r_small {
            2
        } else if yin {
            0
        } else {
            1
        };
        if found == class {
            return [(x / r_big - 1.0) * 2.0, (y / r_big - 1.0) * 2.0];
        }
    }
}

impl Dataset {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when there are no examples.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Classification (there are class names) or regression.
    pub fn task(&self) -> Task {
        if self.label_names.is_empty() {
            Task::Regression
        } else {
            Task::Classification
        }
    }

    /// Number of classes (0 for regression).
    pub fn classes(&self) -> usize {
        self.label_names.len()
    }

    /// The examples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        Dataset {
            points: indices.iter().map(|&i| self.points[i]).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            label_names: self.label_names.clone(),
        }
    }

    /// Shuffles the examples with `rng` and splits off `test_fraction` of them (rounded down)
    /// as a held-out set: returns (train, test).
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

    /// Reads a CSV file of `x1,x2,label` rows for classification (see [`Dataset::parse_csv`]).
    ///
    /// # Errors
    /// A [`DataError`] naming the file and, where it applies, the line.
    pub fn from_csv(path: &Path) -> Result<Dataset, DataError> {
        Dataset::from_csv_for(path, Task::Classification)
    }

    /// Reads a CSV file of `x1,x2,label` rows (classification) or `x1,x2,target` rows
    /// (regression); see [`Dataset::parse_csv_for`].
    ///
    /// # Errors
    /// A [`DataError`] naming the file and, where it applies, the line.
    pub fn from_csv_for(path: &Path, task: Task) -> Result<Dataset, DataError> {
        let text = std::fs::read_to_string(path).map_err(|error| DataError {
            path: path.to_path_buf(),
            line: None,
            message: format!("cannot read the file: {error}"),
        })?;
        Dataset::parse_csv_for(&text, path, task)
    }

    /// Parses CSV text of `x1,x2,label` rows for classification; `path` is only used in error
    /// messages. See [`Dataset::parse_csv_for`].
    ///
    /// # Errors
    /// As [`Dataset::parse_csv_for`].
    pub fn parse_csv(text: &str, path: &Path) -> Result<Dataset, DataError> {
        Dataset::parse_csv_for(text, path, Task::Classification)
    }

    /// Parses CSV text of `x1,x2,label` rows (a header row is optional; blank lines are
    /// skipped; quoted fields, a byte-order mark and CRLF line ends are understood); `path` is
    /// only used in error messages.
    ///
    /// For classification the labels must take 2 to 10 distinct values: they are ordered
    /// numerically when all are numbers, else as text, and class k is the k-th. For regression
    /// the third column is the target, a finite number.
    ///
    /// # Errors
    /// A [`DataError`] naming the file and line: a wrong number of columns, a coordinate or
    /// target that is not a finite number, fewer than two or more than ten labels, or no data.
    pub fn parse_csv_for(text: &str, path: &Path, task: Task) -> Result<Dataset, DataError> {
        let error = |line: Option<usize>, message: String| DataError {
            path: path.to_path_buf(),
            line,
            message,
        };
        let third = match task {
            Task::Classification => "label",
            Task::Regression => "target",
        };
        let rows = read_rows(text, path, false, third)?;
        let points = rows.points;
        let raw_labels: Vec<(String, usize)> =
            rows.labels.into_iter().flatten().zip(rows.lines).collect();
        let number =
            |field: &str, column: &str, line: usize| finite_number(field, column, line, path);
        if task == Task::Regression {
            let labels = raw_labels
                .iter()
                .map(|(field, line)| number(field, "target", *line))
                .collect::<Result<Vec<f64>, DataError>>()?;
            return Ok(Dataset {
                points,
                labels,
                label_names: Vec::new(),
            });
        }
        let mut names: Vec<String> = Vec::new();
        for (label, line) in &raw_labels {
            if !names.contains(label) {
                if names.len() == MAX_CLASSES {
                    return Err(error(
                        Some(*line),
                        format!(
                            "an 11th label {label:?}; a classifier takes at most {MAX_CLASSES} classes \
                             (for a real-valued target use --task regression)"
                        ),
                    ));
                }
                names.push(label.clone());
            }
        }
        if names.len() < 2 {
            return Err(error(
                None,
                format!("only one label ({:?}); a classifier needs two", names[0]),
            ));
        }
        let numbers: Option<Vec<f64>> = names.iter().map(|n| n.parse::<f64>().ok()).collect();
        match numbers {
            Some(values) => {
                let mut order: Vec<usize> = (0..names.len()).collect();
                order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
                names = order.into_iter().map(|k| names[k].clone()).collect();
            }
            None => names.sort(),
        }
        let classes = names.len();
        let labels = raw_labels
            .iter()
            .map(|(label, _)| {
                let class = names
                    .iter()
                    .position(|n| n == label)
                    .expect("every label is named");
                class_label(class, classes)
            })
            .collect();
        Ok(Dataset {
            points,
            labels,
            label_names: names,
        })
    }
}

/// Reads the `value` column of a parameter file with a header row and `value` as its last column
/// (like `layer,neuron,kind,idx,value`), in file order: initial weights for `Mlp::parameters()`
/// (layer by layer, neuron by neuron, weights then bias), set with `engine::set_values`.
///
/// # Errors
/// A [`DataError`] naming the file and line: unreadable, empty, or a value that is not a finite
/// number.
pub fn parameters_from_csv(path: &Path) -> Result<Vec<f64>, DataError> {
    let error = |line: Option<usize>, message: String| DataError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| error(None, format!("cannot read the file: {e}")))?;
    let mut values = Vec::new();
    for record in csv_records(&text).into_iter().skip(1) {
        let (number, fields) = record.map_err(|(line, message)| error(line, message))?;
        let field = fields.last().map_or("", String::as_str);
        match field.parse::<f64>() {
            Ok(value) if value.is_finite() => values.push(value),
            _ => {
                let message = format!("the last column must be a finite number, found {field:?}");
                return Err(error(Some(number), message));
            }
        }
    }
    if values.is_empty() {
        return Err(error(None, "no values after the header row".into()));
    }
    Ok(values)
}

/// The rows of a CSV file of points: x1, x2, and (optionally, or always) a third column.
#[derive(Clone, Debug, PartialEq)]
pub struct PointRows {
    /// The header row's fields, if the file has one.
    pub header: Option<Vec<String>>,
    /// The points, in file order.
    pub points: Vec<[f64; 2]>,
    /// Each row's third column, as written (`None` in a file of two columns).
    pub labels: Vec<Option<String>>,
    /// Each row's line in the file.
    pub lines: Vec<usize>,
}

/// A finite number from `field` of `column` on `line`.
fn finite_number(field: &str, column: &str, line: usize, path: &Path) -> Result<f64, DataError> {
    let error = |message: String| DataError {
        path: path.to_path_buf(),
        line: Some(line),
        message,
    };
    let value: f64 = field
        .parse()
        .map_err(|_| error(format!("column {column} is not a number: {field:?}")))?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(error(format!(
            "column {column} must be a finite number, found {field}"
        )))
    }
}

/// Reads CSV text of `x1,x2,<third>` rows (a header row is optional), or with `third_optional`
/// also `x1,x2` rows (every row as many columns as the first); `path` is only used in messages.
///
/// # Errors
/// A [`DataError`] naming the file and line: a wrong number of columns, a coordinate that is not
/// a finite number, or no data.
pub fn read_rows(
    text: &str,
    path: &Path,
    third_optional: bool,
    third: &str,
) -> Result<PointRows, DataError> {
    let error = |line: Option<usize>, message: String| DataError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let expected = if third_optional {
        format!("2 or 3 columns (x1,x2 and an optional {third})")
    } else {
        format!("3 columns (x1,x2,{third})")
    };
    let mut rows = PointRows {
        header: None,
        points: Vec::new(),
        labels: Vec::new(),
        lines: Vec::new(),
    };
    let mut width = None;
    for record in csv_records(text) {
        let (line, fields) = record.map_err(|(line, message)| error(line, message))?;
        let fits = fields.len() == 3 || (third_optional && fields.len() == 2);
        if !fits || width.is_some_and(|w| w != fields.len()) {
            return Err(error(
                Some(line),
                format!("expected {expected}, found {}", fields.len()),
            ));
        }
        let first_row = width.is_none();
        width = Some(fields.len());
        if first_row && fields[0].parse::<f64>().is_err() && fields[1].parse::<f64>().is_err() {
            rows.header = Some(fields);
            continue;
        }
        rows.points.push([
            finite_number(&fields[0], "x1", line, path)?,
            finite_number(&fields[1], "x2", line, path)?,
        ]);
        rows.labels.push(fields.get(2).cloned());
        rows.lines.push(line);
    }
    if rows.points.is_empty() {
        return Err(error(
            None,
            format!("no data rows (expected lines of x1,x2,{third})"),
        ));
    }
    Ok(rows)
}

/// The records of CSV text as (1-based line, trimmed fields), read by the `csv` crate: quoted
/// fields, a byte-order mark and CRLF line ends are understood; blank lines are skipped. A record
/// that cannot be read ends the list with `Err((line, message))`.
type CsvRecord = Result<(usize, Vec<String>), (Option<usize>, String)>;

fn csv_records(text: &str) -> Vec<CsvRecord> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    // The line of a record is counted from where the reader stands after it (just past its line
    // end): the crate's own line numbers and record positions miss CRLF ends and blank lines.
    // The count goes on from the previous record's, so reading the file stays linear.
    let (mut counted_to, mut newlines) = (0usize, 0usize);
    let mut line_before = |byte: u64| {
        let end = (byte as usize).min(text.len());
        if end >= counted_to {
            newlines += text.as_bytes()[counted_to..end]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted_to = end;
        } else {
            // an error is placed where its record began, behind the count: counted afresh
            return 1 + text.as_bytes()[..end]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
        }
        1 + newlines
    };
    let mut records = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return records,
            Ok(true) => {
                let line = line_before(reader.position().byte().saturating_sub(1));
                records.push(Ok((line, record.iter().map(str::to_string).collect())));
            }
            Err(error) => {
                let line = error.position().map(|p| line_before(p.byte()));
                records.push(Err((line, format!("not readable as CSV: {error}"))));
                return records;
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    fn parse(text: &str) -> Result<Dataset, String> {
        Dataset::parse_csv(text, Path::new("d.csv")).map_err(|e| e.to_string())
    }

    #[test]
    fn csv_with_and_without_header() {
        let data = parse("x1,x2,label\n0.5,1,cat\n\n-2,3e-1,dog\n").expect("valid");
        assert_eq!(data.points, vec![[0.5, 1.0], [-2.0, 0.3]]);
        assert_eq!(data.labels, vec![-1.0, 1.0]);
        assert_eq!(data.label_names, ["cat".to_string(), "dog".to_string()]);
        let data = parse("1,2,1\n3,4,0\n").expect("valid");
        assert_eq!(data.labels, vec![1.0, -1.0], "0 < 1 numerically");
        let data = parse("1,2,10\n3,4,9\n").expect("valid");
        assert_eq!(
            data.labels,
            vec![1.0, -1.0],
            "9 < 10 numerically, not as text"
        );
    }

    #[test]
    fn csv_quoted_fields_byte_order_mark_and_crlf() {
        let data =
            parse("\u{feff}x1,x2,label\r\n\"0.1\",\" 2\",\"a, b\"\r\n3,4,c\r\n").expect("valid");
        assert_eq!(data.points, vec![[0.1, 2.0], [3.0, 4.0]]);
        assert_eq!(data.label_names, ["a, b".to_string(), "c".to_string()]);
        // line numbers count physical lines, blank ones included
        assert_eq!(
            parse("1,2,a\r\n\r\n1,x,b\r\n").unwrap_err(),
            "d.csv line 3: column x2 is not a number: \"x\""
        );
    }

    #[test]
    fn csv_errors_name_the_line() {
        assert_eq!(
            parse("1,2,a\n1,2\n").unwrap_err(),
            "d.csv line 2: expected 3 columns (x1,x2,label), found 2"
        );
        assert_eq!(
            parse("1,2,a\n1,x,b\n").unwrap_err(),
            "d.csv line 2: column x2 is not a number: \"x\""
        );
        assert_eq!(
            parse("1,2,a\nNaN,1,b\n").unwrap_err(),
            "d.csv line 2: column x1 must be a finite number, found NaN"
        );
        assert_eq!(
            parse("1,inf,a\n").unwrap_err(),
            "d.csv line 1: column x2 must be a finite number, found inf"
        );
        let eleven: String = (0..11).map(|k| format!("1,2,c{k}\n")).collect();
        assert!(
            parse(&eleven)
                .unwrap_err()
                .starts_with("d.csv line 11: an 11th label \"c10\"; a classifier takes at most 10"),
        );
        assert_eq!(
            parse("").unwrap_err(),
            "d.csv: no data rows (expected lines of x1,x2,label)"
        );
        assert_eq!(
            parse("x1,x2,y\n").unwrap_err(),
            "d.csv: no data rows (expected lines of x1,x2,label)"
        );
        assert!(parse("1,2,a\n").unwrap_err().contains("only one label"));
    }

    #[test]
    fn csv_classes_are_sorted_numerically_or_as_text() {
        let data = parse("0,0,10\n0,0,9\n0,0,-1\n0,0,9\n").expect("valid");
        assert_eq!(data.label_names, ["-1", "9", "10"]);
        assert_eq!(
            data.labels,
            vec![2.0, 1.0, 0.0, 1.0],
            "class indices for 3 classes"
        );
        let data = parse("0,0,b\n0,0,c\n0,0,a\n").expect("valid");
        assert_eq!(data.label_names, ["a", "b", "c"]);
        assert_eq!(data.labels, vec![1.0, 2.0, 0.0]);
    }

    #[test]
    fn csv_regression_targets_are_numbers() {
        let path = Path::new("r.csv");
        let data = Dataset::parse_csv_for("x1,x2,y\n0,1,2.5\n1,0,-3\n", path, Task::Regression)
            .expect("valid");
        assert_eq!(data.labels, vec![2.5, -3.0]);
        assert_eq!(data.task(), Task::Regression);
        let error = Dataset::parse_csv_for("0,1,2.5\n1,0,big\n", path, Task::Regression)
            .expect_err("not a number")
            .to_string();
        assert_eq!(
            error,
            "r.csv line 2: column target is not a number: \"big\""
        );
    }

    #[test]
    fn every_generator_makes_its_classes_in_equal_shares() {
        for generator in Generator::ALL {
            let counts: Vec<usize> = generator.class_range().map_or(vec![0], Iterator::collect);
            for classes in counts {
                let mut rng = StdRng::seed_from_u64(9);
                let data = generator.generate_classes(103, 0.1, classes, &mut rng);
                assert_eq!(data.len(), 103, "{generator:?}");
                assert_eq!(data.classes(), classes, "{generator:?}");
                assert!(
                    data.points
                        .iter()
                        .flatten()
                        .all(|v| v.is_finite() && v.abs() < 5.0)
                );
                for class in 0..classes {
                    let share = data
                        .labels
                        .iter()
                        .filter(|&&y| class_index(y, classes) == class)
                        .count();
                    assert!(
                        share == 103 / classes || share == 103 / classes + 1,
                        "{generator:?}"
                    );
                }
                if classes == 0 {
                    assert!(data.labels.iter().all(|y| y.is_finite() && y.abs() <= 1.5));
                }
            }
        }
    }

    #[test]
    fn generators_are_balanced_seeded_and_noisy() {
        for generator in [
            Generator::Moons,
            Generator::Circles,
            Generator::Xor,
            Generator::Spiral,
            Generator::Blobs,
        ] {
            let a = generator.generate(101, 0.1, &mut StdRng::seed_from_u64(5));
            let b = generator.generate(101, 0.1, &mut StdRng::seed_from_u64(5));
            let c = generator.generate(101, 0.1, &mut StdRng::seed_from_u64(6));
            assert_eq!(a, b, "{generator:?}");
            assert_ne!(a, c, "{generator:?}");
            assert_eq!(a.labels.iter().filter(|&&y| y < 0.0).count(), 50);
            assert!(
                a.points
                    .iter()
                    .flatten()
                    .all(|v| v.is_finite() && v.abs() < 5.0)
            );
        }
    }

    #[test]
    fn moons_follow_sklearn_without_noise() {
        let data = Generator::Moons.generate(4, 0.0, &mut StdRng::seed_from_u64(0));
        let expected = [
            [1.0, 0.0],
            [PI.cos(), PI.sin()],
            [0.0, 0.5],
            [1.0 - PI.cos(), 1.0 - PI.sin() - 0.5],
        ];
        assert_eq!(data.points, expected);
        assert_eq!(data.labels, vec![-1.0, -1.0, 1.0, 1.0]);
    }
}
