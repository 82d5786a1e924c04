//! How a point becomes a network's inputs: optional standardisation of (x1, x2), then the input
//! features (TF Playground's seven: x1, x2, x1^2, x2^2, x1x2, sin(x1), sin(x2)).

use serde::{Deserialize, Serialize};

/// One input of the network, computed from a (standardised) point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Feature {
    /// `x1`
    #[serde(rename = "x1")]
    X1,
    /// `x2`
    #[serde(rename = "x2")]
    X2,
    /// `x1^2`
    #[serde(rename = "x1^2")]
    X1Squared,
    /// `x2^2`
    #[serde(rename = "x2^2")]
    X2Squared,
    /// `x1 * x2`
    #[serde(rename = "x1x2")]
    X1TimesX2,
    /// `sin(x1)`
    #[serde(rename = "sin(x1)")]
    SinX1,
    /// `sin(x2)`
    #[serde(rename = "sin(x2)")]
    SinX2,
}

impl Feature {
    /// Every feature, in TF Playground's order.
    pub const ALL: [Feature; 7] = [
        Feature::X1,
        Feature::X2,
        Feature::X1Squared,
        Feature::X2Squared,
        Feature::X1TimesX2,
        Feature::SinX1,
        Feature::SinX2,
    ];

    /// The feature's name, as `--features` takes it (`x1`, `x1^2`, `sin(x1)`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Feature::X1 => "x1",
            Feature::X2 => "x2",
            Feature::X1Squared => "x1^2",
            Feature::X2Squared => "x2^2",
            Feature::X1TimesX2 => "x1x2",
            Feature::SinX1 => "sin(x1)",
            Feature::SinX2 => "sin(x2)",
        }
    }

    /// The feature's value at point `p`.
    pub fn value(self, p: [f64; 2]) -> f64 {
        match self {
            Feature::X1 => p[0],
            Feature::X2 => p[1],
            Feature::X1Squared => p[0] * p[0],
            Feature::X2Squared => p[1] * p[1],
            Feature::X1TimesX2 => p[0] * p[1],
            Feature::SinX1 => p[0].sin(),
            Feature::SinX2 => p[1].sin(),
        }
    }

    /// Parses a comma list of feature names (`x1,x2,x1^2`), in the order given.
    ///
    /// # Errors
    /// A message naming an unknown or repeated name, or an empty list.
    ///
    /// ```
    /// use scalargrad::features::Feature;
    /// assert_eq!(Feature::parse_list("x1x2, sin(x1)"), Ok(vec![Feature::X1TimesX2, Feature::SinX1]));
    /// assert!(Feature::parse_list("x1,x1").is_err());
    /// ```
    pub fn parse_list(text: &str) -> Result<Vec<Feature>, String> {
        let mut features = Vec::new();
        for part in text.split(',').map(str::trim) {
            let feature = Feature::ALL
                .into_iter()
                .find(|f| f.name() == part)
                .ok_or_else(|| {
                    let names: Vec<&str> = Feature::ALL.iter().map(|f| f.name()).collect();
                    format!(
                        "unknown feature {part:?}; the features are {}",
                        names.join(", ")
                    )
                })?;
            if features.contains(&feature) {
                return Err(format!("{part:?} is listed twice"));
            }
            features.push(feature);
        }
        Ok(features)
    }
}

/// Standardisation of (x1, x2): `(x - mean) / deviation`, per coordinate, from a training set.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    /// The mean of x1 and of x2.
    pub mean: [f64; 2],
    /// The standard deviation of x1 and of x2 (1 where all values are equal).
    pub deviation: [f64; 2],
}

impl Scaling {
    /// The scaling that gives `points` mean 0 and standard deviation 1 per coordinate,
    /// computed without overflow for any finite values (even near 1e308).
    ///
    /// ```
    /// use scalargrad::features::Scaling;
    /// let scaling = Scaling::of(&[[1.0, 5.0], [3.0, 5.0]]);
    /// assert_eq!(scaling.mean, [2.0, 5.0]);
    /// assert_eq!(scaling.deviation, [1.0, 1.0]); // x2 is constant: left unscaled
    /// assert_eq!(scaling.apply([3.0, 6.0]), [1.0, 1.0]);
    /// ```
    pub fn of(points: &[[f64; 2]]) -> Scaling {
        let mut mean = [0.0; 2];
        let mut deviation = [1.0; 2];
        for axis in 0..2 {
            // in units of the largest magnitude, so no sum or square overflows
            let unit = points.iter().fold(0.0f64, |m, p| m.max(p[axis].abs()));
            if unit == 0.0 || points.is_empty() {
                continue;
            }
            let n = points.len() as f64;
            let scaled_mean = points.iter().map(|p| p[axis] / unit).sum::<f64>() / n;
            let variance = points
                .iter()
                .map(|p| (p[axis] / unit - scaled_mean).powi(2))
                .sum::<f64>()
                / n;
            mean[axis] = scaled_mean * unit;
            let sd = variance.sqrt() * unit;
            if sd > 0.0 && sd.is_finite() {
                deviation[axis] = sd;
            }
        }
        Scaling { mean, deviation }
    }

    /// `p` standardised.
    pub fn apply(&self, p: [f64; 2]) -> [f64; 2] {
        // (x - mean) could overflow for x and mean of opposite signs near 1e308: divide first
        let scale =
            |axis: usize| p[axis] / self.deviation[axis] - self.mean[axis] / self.deviation[axis];
        [scale(0), scale(1)]
    }
}

/// How a point becomes the network's inputs: standardise (if a scaling is set), then compute the
/// features in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Inputs {
    /// The network's inputs, in order.
    pub features: Vec<Feature>,
    /// Standardisation applied to (x1, x2) first, if any.
    pub scaling: Option<Scaling>,
}

impl Default for Inputs {
    /// The raw point: x1, x2, unscaled.
    fn default() -> Inputs {
        Inputs {
            features: vec![Feature::X1, Feature::X2],
            scaling: None,
        }
    }
}

impl Inputs {
    /// Number of network inputs.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// True when there are no features (never for a usable model).
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The network's inputs for point `p`, appended to `out`.
    pub fn extend(&self, p: [f64; 2], out: &mut Vec<f64>) {
        let p = self.scaling.map_or(p, |scaling| scaling.apply(p));
        out.extend(self.features.iter().map(|f| f.value(p)));
    }

    /// The network's inputs for point `p`.
    ///
    /// ```
    /// use scalargrad::features::{Feature, Inputs};
    /// let inputs = Inputs { features: vec![Feature::X2Squared, Feature::X1], scaling: None };
    /// assert_eq!(inputs.of([2.0, 3.0]), vec![9.0, 2.0]);
    /// ```
    pub fn of(&self, p: [f64; 2]) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.features.len());
        self.extend(p, &mut out);
        out
    }

    /// The names of the features, comma-separated (`x1,x2`).
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.features.iter().map(|f| f.name()).collect();
        names.join(",")
    }
}
