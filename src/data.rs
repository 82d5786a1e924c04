//! Two-dimensional binary classification data: built-in generators and CSV files.
//!
//! Labels are always -1 and +1 inside the crate (what the hinge loss expects); a CSV file's own
//! two label values are mapped onto them and kept as names.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

/// Points in the plane with a label of -1 or +1 each.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// The inputs (x1, x2).
    pub points: Vec<[f64; 2]>,
    /// The labels, -1 or +1.
    pub labels: Vec<f64>,
    /// What -1 and +1 stand for (e.g. the two values found in a CSV file).
    pub label_names: [String; 2],
}

/// A built-in dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "app", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Generator {
    /// Two interleaving half circles (sklearn's make_moons), as in micrograd's demo.
    Moons,
    /// A ring around a disc (sklearn's make_circles with factor 0.5).
    Circles,
    /// Four quadrants, labelled by the sign of x1 * x2.
    Xor,
    /// Two interleaved spiral arms, 1.5 turns each.
    Spiral,
    /// Two Gaussian blobs around (-1, -1) and (1, 1).
    Blobs,
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

impl Generator {
    /// `samples` points with Gaussian noise of standard deviation `noise` added to each
    /// coordinate, drawn from `rng` (so the same seed gives the same data). Half the points (the
    /// first half) are labelled -1.
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
        let first = samples / 2;
        let second = samples - first;
        let mut points: Vec<[f64; 2]> = Vec::with_capacity(samples);
        match self {
            Generator::Moons => {
                points.extend(linspace(0.0, PI, first).map(|t| [t.cos(), t.sin()]));
                points.extend(
                    linspace(0.0, PI, second).map(|t| [1.0 - t.cos(), 1.0 - t.sin() - 0.5]),
                );
            }
            Generator::Circles => {
                let ring = |n: usize, radius: f64| {
                    (0..n).map(move |i| {
                        let t = 2.0 * PI * i as f64 / n as f64;
                        [radius * t.cos(), radius * t.sin()]
                    })
                };
                points.extend(ring(first, 1.0));
                points.extend(ring(second, 0.5));
            }
            Generator::Xor => {
                // draw points until each quadrant pair has its share, so labels stay balanced
                let (mut negative, mut positive) = (Vec::new(), Vec::new());
                while negative.len() < first || positive.len() < second {
                    let p: [f64; 2] = [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
                    if p[0] * p[1] < 0.0 && negative.len() < first {
                        negative.push(p);
                    } else if p[0] * p[1] > 0.0 && positive.len() < second {
                        positive.push(p);
                    }
                }
                points.extend(negative);
                points.extend(positive);
            }
            Generator::Spiral => {
                let arm = |n: usize, offset: f64| {
                    linspace(0.0, 1.0, n).map(move |r| {
                        let t = 3.0 * PI * r + offset;
                        [r * t.cos(), r * t.sin()]
                    })
                };
                points.extend(arm(first, 0.0));
                points.extend(arm(second, PI));
            }
            Generator::Blobs => {
                let spread = Normal::new(0.0, 0.5).expect("0.5 is a valid standard deviation");
                let mut blob = |n: usize, center: f64| {
                    (0..n)
                        .map(|_| [center + spread.sample(rng), center + spread.sample(rng)])
                        .collect::<Vec<_>>()
                };
                let negative = blob(first, -1.0);
                let positive = blob(second, 1.0);
                points.extend(negative);
                points.extend(positive);
            }
        }
        assert!(
            noise.is_finite() && noise >= 0.0,
            "the noise must be a finite standard deviation >= 0, not {noise}"
        );
        if noise > 0.0 {
            let normal = Normal::new(0.0, noise).expect("a finite positive standard deviation");
            for point in &mut points {
                point[0] += normal.sample(rng);
                point[1] += normal.sample(rng);
            }
        }
        let mut labels = vec![-1.0; first];
        labels.resize(samples, 1.0);
        Dataset {
            points,
            labels,
            label_names: ["-1".to_string(), "+1".to_string()],
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

    /// Reads a CSV file of `x1,x2,label` rows (a header row is optional; blank lines are
    /// skipped). The label column must hold exactly two distinct values: numbers are ordered
    /// numerically, other text alphabetically, and the first becomes -1, the second +1.
    ///
    /// # Errors
    /// A [`DataError`] naming the file and line: a wrong number of columns, a coordinate that is
    /// not a number or is NaN or infinite, a third label, fewer than two labels, or no data.
    pub fn from_csv(path: &Path) -> Result<Dataset, DataError> {
        let text = std::fs::read_to_string(path).map_err(|error| DataError {
            path: path.to_path_buf(),
            line: None,
            message: format!("cannot read the file: {error}"),
        })?;
        Dataset::parse_csv(&text, path)
    }

    /// Parses CSV text as `from_csv` does; `path` is only used in error messages.
    ///
    /// # Errors
    /// As [`Dataset::from_csv`].
    pub fn parse_csv(text: &str, path: &Path) -> Result<Dataset, DataError> {
        let error = |line: Option<usize>, message: String| DataError {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut points = Vec::new();
        let mut raw_labels: Vec<(String, usize)> = Vec::new();
        let mut seen_data = false;
        for record in csv_records(text) {
            let (number, fields) = record.map_err(|(line, message)| error(line, message))?;
            if fields.len() != 3 {
                return Err(error(
                    Some(number),
                    format!("expected 3 columns (x1,x2,label), found {}", fields.len()),
                ));
            }
            if !seen_data && fields[0].parse::<f64>().is_err() && fields[1].parse::<f64>().is_err()
            {
                seen_data = true; // a header row
                continue;
            }
            seen_data = true;
            let mut point = [0.0; 2];
            for (k, field) in fields[..2].iter().enumerate() {
                let value: f64 = field.parse().map_err(|_| {
                    error(
                        Some(number),
                        format!("column x{} is not a number: {field:?}", k + 1),
                    )
                })?;
                if !value.is_finite() {
                    return Err(error(
                        Some(number),
                        format!("column x{} must be a finite number, found {field}", k + 1),
                    ));
                }
                point[k] = value;
            }
            points.push(point);
            raw_labels.push((fields[2].clone(), number));
        }
        if points.is_empty() {
            return Err(error(
                None,
                "no data rows (expected lines of x1,x2,label)".into(),
            ));
        }
        let mut names: Vec<String> = Vec::new();
        for (label, number) in &raw_labels {
            if !names.contains(label) {
                if names.len() == 2 {
                    return Err(error(
                        Some(*number),
                        format!(
                            "a third label {label:?}; the file must have exactly two (found {:?} and {:?} before)",
                            names[0], names[1]
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
        match (names[0].parse::<f64>(), names[1].parse::<f64>()) {
            (Ok(a), Ok(b)) if a > b => names.swap(0, 1),
            (Ok(_), Ok(_)) => {}
            _ if names[0] > names[1] => names.swap(0, 1),
            _ => {}
        }
        let labels = raw_labels
            .iter()
            .map(|(label, _)| if *label == names[0] { -1.0 } else { 1.0 })
            .collect();
        Ok(Dataset {
            points,
            labels,
            label_names: [names[0].clone(), names[1].clone()],
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
    let line_before = |byte: u64| {
        let end = (byte as usize).min(text.len());
        1 + text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
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
        assert!(
            parse("1,2,a\n1,2,b\n1,2,c\n")
                .unwrap_err()
                .starts_with("d.csv line 3: a third label \"c\"")
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
