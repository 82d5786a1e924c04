//! How a row of data becomes a network's inputs: optional standardisation of every column, then
//! the input features, each a column or a form of columns (`a^2`, `a*b`, `sin(a)`).
//!
//! On two-column data these are TF Playground's seven features (`x1`, `x2`, `x1^2`, `x2^2`,
//! `x1*x2`, `sin(x1)`, `sin(x2)`; `x1x2` is also understood, as TF Playground writes it).
//!
//! ```
//! use scalargrad::inputs::{Feature, Inputs};
//! let columns = ["height".to_string(), "width".to_string()];
//! let features = Feature::parse_list("width, height*width, sin(height)", &columns).expect("known");
//! let inputs = Inputs { columns: columns.to_vec(), features, scaling: None };
//! assert_eq!(inputs.of(&[2.0, 3.0]), vec![3.0, 6.0, 2f64.sin()]);
//! assert_eq!(inputs.names(), "width,height*width,sin(height)");
//! ```

use serde::{Deserialize, Serialize};

use crate::data::Dataset;

/// One input of the network, computed from a row (after its scaling, if any).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Feature {
    /// A column as it is (`a`).
    Column(usize),
    /// A column squared (`a^2`).
    Square(usize),
    /// Two columns multiplied (`a*b`).
    Product(usize, usize),
    /// The sine of a column (`sin(a)`).
    Sin(usize),
}

impl Feature {
    /// The feature's value, reading column `j` as `column(j)`.
    pub fn value_with(self, column: impl Fn(usize) -> f64) -> f64 {
        match self {
            Feature::Column(j) => column(j),
            Feature::Square(j) => column(j) * column(j),
            Feature::Product(i, j) => column(i) * column(j),
            Feature::Sin(j) => column(j).sin(),
        }
    }

    /// The feature's name over `columns` (`x1`, `x1^2`, `a*b`, `sin(a)`).
    ///
    /// # Panics
    /// If the feature reads a column beyond `columns`.
    pub fn name(self, columns: &[String]) -> String {
        match self {
            Feature::Column(j) => columns[j].clone(),
            Feature::Square(j) => format!("{}^2", columns[j]),
            Feature::Product(i, j) => format!("{}*{}", columns[i], columns[j]),
            Feature::Sin(j) => format!("sin({})", columns[j]),
        }
    }

    /// The columns it reads.
    fn reads(self) -> [usize; 2] {
        match self {
            Feature::Column(j) | Feature::Square(j) | Feature::Sin(j) => [j, j],
            Feature::Product(i, j) => [i, j],
        }
    }

    /// The feature named `text` over `columns`: a column's name, `name^2`, `a*b` or `sin(name)`
    /// (and `x1x2` for `x1*x2`, TF Playground's name for it).
    ///
    /// # Errors
    /// A message naming `text` and the columns there are.
    pub fn parse(text: &str, columns: &[String]) -> Result<Feature, String> {
        let text = text.trim();
        let column = |name: &str| columns.iter().position(|c| c == name.trim());
        if let Some(j) = column(text) {
            return Ok(Feature::Column(j));
        }
        if let Some(j) = text.strip_suffix("^2").and_then(column) {
            return Ok(Feature::Square(j));
        }
        if let Some(j) = text
            .strip_prefix("sin(")
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(column)
        {
            return Ok(Feature::Sin(j));
        }
        // `a*b` at any `*` that leaves two column names
        for (at, _) in text.match_indices('*') {
            if let (Some(i), Some(j)) = (column(&text[..at]), column(&text[at + 1..])) {
                return Ok(Feature::Product(i, j));
            }
        }
        if text == "x1x2"
            && let (Some(i), Some(j)) = (column("x1"), column("x2"))
        {
            return Ok(Feature::Product(i, j));
        }
        let shown: Vec<&str> = columns.iter().take(10).map(String::as_str).collect();
        let more = if columns.len() > 10 { ", ..." } else { "" };
        Err(format!(
            "unknown feature {:?}: a feature is a column (one of {}{more}), col^2, a*b or sin(col)",
            text.chars().take(100).collect::<String>(),
            shown.join(", ")
        ))
    }

    /// Parses a comma list of feature names (`x1,x2,x1^2`), in the order given.
    ///
    /// # Errors
    /// A message naming an unknown or repeated feature, or an empty list.
    pub fn parse_list(text: &str, columns: &[String]) -> Result<Vec<Feature>, String> {
        let mut features = Vec::new();
        for part in text.split(',') {
            let feature = Feature::parse(part, columns)?;
            if features.contains(&feature) {
                return Err(format!("{} is listed twice", feature.name(columns)));
            }
            features.push(feature);
        }
        Ok(features)
    }

    /// The features a page offers for data with `columns`: with two columns TF Playground's
    /// seven, else every column as it is.
    pub fn offered(columns: usize) -> Vec<Feature> {
        if columns == 2 {
            vec![
                Feature::Column(0),
                Feature::Column(1),
                Feature::Square(0),
                Feature::Square(1),
                Feature::Product(0, 1),
                Feature::Sin(0),
                Feature::Sin(1),
            ]
        } else {
            (0..columns).map(Feature::Column).collect()
        }
    }
}

/// Standardisation of every column: `(x - mean) / deviation`, from a training set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    /// Each column's mean.
    pub mean: Vec<f64>,
    /// Each column's standard deviation (1 where all its values are equal).
    pub deviation: Vec<f64>,
}

impl Scaling {
    /// The scaling that gives every column of `data` mean 0 and standard deviation 1,
    /// computed without overflow for any finite values (even near 1e308).
    ///
    /// ```
    /// use scalargrad::{data::Dataset, inputs::Scaling};
    /// let data = Dataset::of_points(&[[1.0, 5.0], [3.0, 5.0]], vec![0.0, 1.0], vec![]);
    /// let scaling = Scaling::of(&data);
    /// assert_eq!(scaling.mean, [2.0, 5.0]);
    /// assert_eq!(scaling.deviation, [1.0, 1.0]); // x2 is constant: left unscaled
    /// assert_eq!(scaling.apply(0, 3.0), 1.0);
    /// ```
    pub fn of(data: &Dataset) -> Scaling {
        let (mut mean, mut deviation) = (vec![0.0; data.width()], vec![1.0; data.width()]);
        for j in 0..data.width() {
            // in units of the largest magnitude, so no sum or square overflows
            let unit = data.rows().fold(0.0f64, |m, row| m.max(row[j].abs()));
            if unit == 0.0 || data.is_empty() {
                continue;
            }
            let n = data.len() as f64;
            let scaled_mean = data.rows().map(|row| row[j] / unit).sum::<f64>() / n;
            let variance = data
                .rows()
                .map(|row| (row[j] / unit - scaled_mean).powi(2))
                .sum::<f64>()
                / n;
            mean[j] = scaled_mean * unit;
            let sd = variance.sqrt() * unit;
            if sd > 0.0 && sd.is_finite() {
                deviation[j] = sd;
            }
        }
        Scaling { mean, deviation }
    }

    /// Column `j`'s value `x`, standardised.
    pub fn apply(&self, j: usize, x: f64) -> f64 {
        // (x - mean) could overflow for x and mean of opposite signs near 1e308: divide first
        x / self.deviation[j] - self.mean[j] / self.deviation[j]
    }
}

/// How a row becomes the network's inputs: standardise (if a scaling is set), then compute the
/// features in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Inputs {
    /// The data's columns a row holds, in order (what the model reads by name).
    pub columns: Vec<String>,
    /// The network's inputs, in order.
    pub features: Vec<Feature>,
    /// Standardisation applied to every column first, if any.
    pub scaling: Option<Scaling>,
}

impl Inputs {
    /// Every column as it is, unscaled.
    pub fn plain(columns: Vec<String>) -> Inputs {
        Inputs {
            features: (0..columns.len()).map(Feature::Column).collect(),
            columns,
            scaling: None,
        }
    }

    /// The inputs `features` names (every column when `None`) over `data`'s columns, standardised
    /// by `data`'s own scaling when `standardize`.
    ///
    /// # Errors
    /// A feature that names no column (see [`Feature::parse`]).
    pub fn for_data(
        features: Option<&str>,
        standardize: bool,
        data: &Dataset,
    ) -> Result<Inputs, String> {
        let features = match features {
            Some(text) => Feature::parse_list(text, &data.columns)?,
            None => (0..data.width()).map(Feature::Column).collect(),
        };
        Ok(Inputs {
            columns: data.columns.clone(),
            features,
            scaling: standardize.then(|| Scaling::of(data)),
        })
    }

    /// Checks that every feature reads a column there is and the scaling covers every column.
    ///
    /// # Errors
    /// What does not fit.
    pub fn check(&self) -> Result<(), String> {
        if self.features.is_empty() {
            return Err("no features: a model needs at least one input".into());
        }
        if let Some(bad) = self
            .features
            .iter()
            .find(|f| f.reads().iter().any(|&j| j >= self.columns.len()))
        {
            return Err(format!(
                "a feature reads column {:?} of {} columns",
                bad.reads(),
                self.columns.len()
            ));
        }
        if let Some(scaling) = &self.scaling {
            let width = self.columns.len();
            if scaling.mean.len() != width || scaling.deviation.len() != width {
                return Err(format!(
                    "the scaling has {} means and {} deviations for {width} columns",
                    scaling.mean.len(),
                    scaling.deviation.len()
                ));
            }
            let bad = |v: &f64| !v.is_finite();
            if scaling.mean.iter().any(bad) || scaling.deviation.iter().any(|d| bad(d) || *d <= 0.0)
            {
                return Err("the scaling's means must be finite and its deviations > 0".into());
            }
        }
        Ok(())
    }

    /// Number of network inputs.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// True when there are no features (never for a usable model).
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The network's inputs for `row` (one value per column), appended to `out`.
    ///
    /// # Panics
    /// If `row` is shorter than a feature's column.
    pub fn extend(&self, row: &[f64], out: &mut Vec<f64>) {
        match &self.scaling {
            None => out.extend(self.features.iter().map(|f| f.value_with(|j| row[j]))),
            Some(scaling) => out.extend(
                self.features
                    .iter()
                    .map(|f| f.value_with(|j| scaling.apply(j, row[j]))),
            ),
        }
    }

    /// The network's inputs for `row`.
    pub fn of(&self, row: &[f64]) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.features.len());
        self.extend(row, &mut out);
        out
    }

    /// Each feature's name.
    pub fn feature_names(&self) -> Vec<String> {
        self.features
            .iter()
            .map(|f| f.name(&self.columns))
            .collect()
    }

    /// The features' names, comma-separated (`x1,x2`).
    pub fn names(&self) -> String {
        self.feature_names().join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xy() -> Vec<String> {
        vec!["x1".to_string(), "x2".to_string()]
    }

    #[test]
    fn every_form_parses_and_names_itself_back() {
        let columns = vec!["a".to_string(), "b*c".to_string(), "d".to_string()];
        for (text, feature) in [
            ("a", Feature::Column(0)),
            ("b*c", Feature::Column(1)),
            (" d^2 ", Feature::Square(2)),
            ("a*d", Feature::Product(0, 2)),
            ("a*b*c", Feature::Product(0, 1)),
            ("sin(b*c)", Feature::Sin(1)),
        ] {
            assert_eq!(Feature::parse(text, &columns), Ok(feature), "{text}");
            assert_eq!(
                Feature::parse(&feature.name(&columns), &columns),
                Ok(feature)
            );
        }
        assert!(
            Feature::parse("e", &columns)
                .unwrap_err()
                .contains("unknown feature \"e\"")
        );
        assert_eq!(Feature::parse("x1x2", &xy()), Ok(Feature::Product(0, 1)));
        assert!(
            Feature::parse_list("x1,x1", &xy())
                .unwrap_err()
                .contains("twice")
        );
        assert_eq!(Feature::offered(2).len(), 7);
        assert_eq!(
            Feature::offered(5),
            (0..5).map(Feature::Column).collect::<Vec<_>>()
        );
    }

    #[test]
    fn scaling_comes_before_the_features() {
        let data = Dataset::of_points(&[[0.0, -16.0], [2.0, 16.0]], vec![0.0, 1.0], vec![]);
        let inputs = Inputs::for_data(Some("x1^2,x2"), true, &data).expect("known features");
        // x1: mean 1, deviation 1; x2: mean 0, deviation 16
        assert_eq!(inputs.of(&[3.0, 32.0]), vec![4.0, 2.0]);
        assert_eq!(inputs.check(), Ok(()));
        let mut broken = inputs.clone();
        broken.scaling.as_mut().expect("set").deviation[0] = 0.0;
        assert!(broken.check().is_err());
    }
}
