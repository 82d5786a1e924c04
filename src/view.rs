//! The plane that maps and tiles are drawn over, computed once for the program's pictures and
//! the playground's page alike: which two columns are its axes, how far they reach, which row of
//! data each point of the plane stands for, and what a model shows there (the predicted class
//! and how sure it is, a regression's value, every unit's output).
//!
//! With more than two input columns the plane is a slice: the axes are two chosen columns and
//! every other column is held at its mean over the training set. With one column the vertical
//! axis feeds nothing (the map shows bands).
//!
//! ```
//! use rand::{SeedableRng, rngs::StdRng};
//! use scalargrad::{data::Generator, view::Plane};
//! let data = Generator::Moons.generate(50, 0.1, &mut StdRng::seed_from_u64(0));
//! let plane = Plane::new(&data, &data, None).expect("two columns");
//! assert_eq!(plane.title(), "x1 and x2");
//! let (x, y) = plane.cell(0, 0, 10); // the top-left cell's centre
//! assert!(x < plane.x.1 && y > plane.y.0);
//! ```

use crate::data::Dataset;
use crate::model::{Model, ModelScratch};
use crate::nn::metrics::predicted_class;

/// The largest span an axis is given: beyond it the arithmetic of tick placement overflows.
pub const WIDEST: f64 = f64::MAX / 8.0;

/// The region of two input columns a map shows, and the row each of its points stands for.
#[derive(Clone, Debug, PartialEq)]
pub struct Plane {
    /// The column on the horizontal axis.
    pub x_column: usize,
    /// The column on the vertical axis; `None` for data of one column.
    pub y_column: Option<usize>,
    /// The horizontal axis's extent (low, high).
    pub x: (f64, f64),
    /// The vertical axis's extent (low, high).
    pub y: (f64, f64),
    /// The row a point of the plane stands for, but for its axes: every column at its training
    /// mean.
    pub base: Vec<f64>,
    /// The data's column names.
    pub columns: Vec<String>,
}

/// An axis around `low..=high`, a tenth of its span added on each side, bounded whatever the
/// numbers: no NaN, no infinity, no zero width (all values equal, or none: a unit either side),
/// and no span the tick arithmetic cannot handle (values near 1e308).
pub fn axis_range(low: f64, high: f64) -> (f64, f64) {
    if !(low.is_finite() && high.is_finite() && low <= high) {
        return (-1.0, 1.0);
    }
    // halves first, so the span of -1e308..1e308 does not overflow
    let centre = (low / 2.0 + high / 2.0).clamp(-WIDEST, WIDEST);
    let half = (high / 2.0 - low / 2.0) * 1.2;
    let half = if half > 1e-9 * centre.abs().max(1.0) {
        half.min(WIDEST / 2.0)
    } else {
        1.0_f64.max(centre.abs() * 1e-6)
    };
    (centre - half, centre + half)
}

/// The smallest and largest of `values` that are finite (`(inf, -inf)` for none).
pub fn finite_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
}

impl Plane {
    /// The plane over columns `axes` of the data (by name; `None` for its first two), reaching
    /// over every row of `train` and `test`.
    ///
    /// # Errors
    /// An axis that names no column, the same column twice, or not two names.
    pub fn new(train: &Dataset, test: &Dataset, axes: Option<&[String]>) -> Result<Plane, String> {
        let columns = &train.columns;
        let (x_column, y_column) = match axes {
            None => (0, (columns.len() > 1).then_some(1)),
            Some([a, b]) => {
                let find = |name: &String| {
                    train.column(name).ok_or_else(|| {
                        let shown: Vec<&str> =
                            columns.iter().take(10).map(String::as_str).collect();
                        format!(
                            "no column {:?}; the columns are {}{}",
                            name.chars().take(100).collect::<String>(),
                            shown.join(", "),
                            if columns.len() > 10 { ", ..." } else { "" }
                        )
                    })
                };
                let (x, y) = (find(a)?, find(b)?);
                if x == y {
                    return Err(format!("{a:?} is named twice; choose two columns"));
                }
                (x, Some(y))
            }
            Some(other) => {
                return Err(format!(
                    "{} names; the plane takes two columns, e.g. {}",
                    other.len(),
                    columns
                        .iter()
                        .take(2)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(",")
                ));
            }
        };
        let along = |column: usize| {
            let values = train.rows().chain(test.rows()).map(move |row| row[column]);
            let (low, high) = finite_bounds(values);
            axis_range(low, high)
        };
        Ok(Plane {
            x_column,
            y_column,
            x: along(x_column),
            y: y_column.map_or((-1.0, 1.0), along),
            base: train.column_means(),
            columns: columns.clone(),
        })
    }

    /// The horizontal axis's name.
    pub fn x_name(&self) -> &str {
        &self.columns[self.x_column]
    }

    /// The vertical axis's name (empty without one).
    pub fn y_name(&self) -> &str {
        self.y_column.map_or("", |c| self.columns[c].as_str())
    }

    /// Whether some columns are held at their mean (the plane is a slice of the data's space).
    pub fn is_slice(&self) -> bool {
        self.columns.len() > 2
    }

    /// What the plane shows, for a picture's title: `x1 and x2`, or a slice with the number
    /// of columns held at their mean.
    pub fn title(&self) -> String {
        match (self.y_column, self.columns.len()) {
            (None, _) => self.x_name().to_string(),
            (Some(_), 2) => format!("{} and {}", self.x_name(), self.y_name()),
            (Some(_), columns) => format!(
                "{} and {}, a slice (the other {} inputs at their training mean)",
                self.x_name(),
                self.y_name(),
                columns - 2
            ),
        }
    }

    /// The row that point (`x`, `y`) of the plane stands for.
    pub fn row_at(&self, x: f64, y: f64) -> Vec<f64> {
        let mut row = self.base.clone();
        row[self.x_column] = x;
        if let Some(column) = self.y_column {
            row[column] = y;
        }
        row
    }

    /// The centre of cell (`i`, `j`) of a `cells` x `cells` grid over the plane: column `i` from
    /// the left, row `j` from the top.
    pub fn cell(&self, i: usize, j: usize, cells: usize) -> (f64, f64) {
        let (dx, dy) = self.cell_size(cells);
        (
            self.x.0 + dx * (i as f64 + 0.5),
            self.y.1 - dy * (j as f64 + 0.5),
        )
    }

    /// The width and height of a cell of a `cells` x `cells` grid.
    pub fn cell_size(&self, cells: usize) -> (f64, f64) {
        // each end divided first, so a span near 1e308 does not overflow
        (
            self.x.1 / cells as f64 - self.x.0 / cells as f64,
            self.y.1 / cells as f64 - self.y.0 / cells as f64,
        )
    }

    /// Every cell's row of a `cells` x `cells` grid, row by row from the top left.
    pub fn grid_rows(&self, cells: usize) -> impl Iterator<Item = Vec<f64>> + '_ {
        (0..cells * cells).map(move |k| {
            let (x, y) = self.cell(k % cells, k / cells, cells);
            self.row_at(x, y)
        })
    }

    /// Calls `visit(row)` for every cell of a `cells` x `cells` grid, row by row from the top
    /// left, with one row buffer for all (what [`Plane::grid_rows`] gives, without a row each).
    pub fn for_each_cell(&self, cells: usize, mut visit: impl FnMut(&[f64])) {
        let mut row = self.base.clone();
        for k in 0..cells * cells {
            let (x, y) = self.cell(k % cells, k / cells, cells);
            row[self.x_column] = x;
            if let Some(column) = self.y_column {
                row[column] = y;
            }
            visit(&row);
        }
    }

    /// Where `row` lies on the plane: its axis columns (0 on a missing vertical axis).
    pub fn position(&self, row: &[f64]) -> (f64, f64) {
        (row[self.x_column], self.y_column.map_or(0.0, |c| row[c]))
    }
}

/// The predicted class for a model's `outputs` and how sure it is (0 for a tie, 1 for certain):
/// with one output, its sign and |tanh(score)|; with one per class, the largest softmax
/// probability rescaled from [1/K, 1] to [0, 1].
pub fn class_and_confidence(outputs: &[f64]) -> (usize, f64) {
    let class = predicted_class(outputs);
    let confidence = match outputs {
        [score] => score.tanh().abs(),
        _ => {
            let top = outputs.iter().fold(f64::NEG_INFINITY, |m, &z| m.max(z));
            let total: f64 = outputs.iter().map(|&z| (z - top).exp()).sum();
            let k = outputs.len() as f64;
            ((1.0 / total) - 1.0 / k) / (1.0 - 1.0 / k)
        }
    };
    (
        class,
        if confidence.is_finite() {
            confidence.clamp(0.0, 1.0)
        } else {
            0.0
        },
    )
}

/// What a map shows at one cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MapCell {
    /// A classifier's predicted class and how sure it is (see [`class_and_confidence`]).
    Class {
        /// The class.
        class: usize,
        /// 0 for a tie, 1 for certain.
        confidence: f64,
    },
    /// A regression's prediction.
    Value(f64),
}

/// The model's map over `plane`: a `cells` x `cells` grid, row by row from the top left.
pub fn map(model: &Model, plane: &Plane, cells: usize) -> Vec<MapCell> {
    let predictor = model.predictor();
    let regression = model.classes() == 0;
    let mut scratch = ModelScratch::default();
    let mut map = Vec::with_capacity(cells * cells);
    plane.for_each_cell(cells, |row| {
        let outputs = predictor.outputs_into(row, &mut scratch);
        map.push(if regression {
            MapCell::Value(outputs[0])
        } else {
            let (class, confidence) = class_and_confidence(outputs);
            MapCell::Class { class, confidence }
        });
    });
    map
}

/// Every unit's value at every cell of a `cells` x `cells` grid over `plane` (row by row from
/// the top left): `grids[column][unit][cell]`, where column 0 is the network's inputs, then each
/// layer, the outputs last. What the tiles of network.png and of the page draw.
pub fn unit_grids(model: &Model, plane: &Plane, cells: usize) -> Vec<Vec<Vec<f64>>> {
    let predictor = model.predictor();
    let mut grids: Vec<Vec<Vec<f64>>> =
        vec![vec![Vec::with_capacity(cells * cells); model.inputs.len()]];
    grids.extend(
        model
            .network
            .widths()
            .iter()
            .map(|&w| vec![Vec::with_capacity(cells * cells); w]),
    );
    plane.for_each_cell(cells, |row| {
        for (column, values) in predictor.unit_values(row).iter().enumerate() {
            for (unit, &v) in values.iter().enumerate() {
                grids[column][unit].push(v);
            }
        }
    });
    grids
}

/// Multiply-adds one grid over the plane may cost (cells x the network's weights): a wide
/// network's pictures use fewer cells, so that drawing never takes minutes.
pub const GRID_BUDGET: usize = 300_000_000;

/// The cells per side of a grid over the plane for `model`: `wanted`, or fewer when `wanted`
/// squared forward passes would cost more than [`GRID_BUDGET`] multiply-adds (at least 8).
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use scalargrad::{data::Generator, model::Model, nn::Mlp, inputs::Inputs, nn::loss::Loss, view};
/// let data = Generator::Moons.generate(10, 0.1, &mut StdRng::seed_from_u64(0));
/// let model = |hidden: &[usize]| Model {
///     network: Mlp::new(2, hidden, &mut StdRng::seed_from_u64(0)),
///     inputs: Inputs::plain(data.columns.clone()),
///     class_names: data.class_names.clone(),
///     loss: Loss::Hinge,
///     label: "label".into(),
/// };
/// assert_eq!(view::cells_within(&model(&[16, 16, 1]), 150), 150);
/// // 2x1000 + 1000x1000 + 1000x1 weights: 300M / 1,003,000 = 299 passes, 17 cells per side.
/// assert_eq!(view::cells_within(&model(&[1000, 1000, 1]), 150), 17);
/// ```
pub fn cells_within(model: &Model, wanted: usize) -> usize {
    let mut inputs = model.network.input_count();
    let mut cost = 0usize;
    for width in model.network.widths() {
        cost = cost.saturating_add(inputs.saturating_mul(width));
        inputs = width;
    }
    let affordable = (GRID_BUDGET / cost.max(1)).isqrt();
    wanted.min(affordable).max(8)
}

/// The largest finite |value| of `values`, or 1 when there is none above 0: the scale a tile or
/// a colour bar is drawn on.
pub fn reach(values: impl Iterator<Item = f64>) -> f64 {
    let largest = values
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    if largest > 0.0 { largest } else { 1.0 }
}

/// The largest |target| of a regression's data (the scale its colours are drawn on).
pub fn target_reach(train: &Dataset, test: &Dataset) -> f64 {
    reach(train.labels.iter().chain(&test.labels).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(columns: usize, rows: &[&[f64]]) -> Dataset {
        Dataset {
            columns: (0..columns).map(|k| format!("c{k}")).collect(),
            inputs: rows.concat(),
            labels: vec![0.0; rows.len()],
            class_names: vec!["a".into(), "b".into()],
            label: "label".into(),
        }
    }

    #[test]
    fn axes_reach_over_the_data_with_a_margin_whatever_the_numbers() {
        assert_eq!(axis_range(0.0, 10.0), (-1.0, 11.0));
        assert_eq!(
            axis_range(2.0, 2.0),
            (1.0, 3.0),
            "equal values: a unit either side"
        );
        assert_eq!(
            axis_range(f64::INFINITY, f64::NEG_INFINITY),
            (-1.0, 1.0),
            "no values"
        );
        let (low, high) = axis_range(-1e308, 1e308);
        assert!(low.is_finite() && high.is_finite() && low < high);
        let (low, high) = axis_range(1e308, 1e308);
        assert!(low.is_finite() && high.is_finite() && low < high);
    }

    #[test]
    fn a_slice_holds_the_other_columns_at_their_training_mean() {
        let train = table(4, &[&[0.0, 10.0, 1.0, 5.0], &[2.0, 30.0, 3.0, 7.0]]);
        let axes = ["c2".to_string(), "c0".to_string()];
        let plane = Plane::new(&train, &train, Some(&axes)).expect("columns exist");
        assert_eq!((plane.x_column, plane.y_column), (2, Some(0)));
        assert_eq!(plane.base, [1.0, 20.0, 2.0, 6.0]);
        assert_eq!(plane.row_at(9.0, 8.0), [8.0, 20.0, 9.0, 6.0]);
        assert_eq!(
            plane.title(),
            "c2 and c0, a slice (the other 2 inputs at their training mean)"
        );
        let bad = ["c9".to_string(), "c0".to_string()];
        assert!(
            Plane::new(&train, &train, Some(&bad))
                .unwrap_err()
                .contains("no column \"c9\"")
        );
        let one = table(1, &[&[1.0], &[3.0]]);
        let plane = Plane::new(&one, &one, None).expect("one column");
        assert_eq!((plane.y_column, plane.y), (None, (-1.0, 1.0)));
        assert_eq!(plane.row_at(2.0, 0.5), [2.0]);
    }

    #[test]
    fn cells_run_from_the_top_left() {
        let data = table(2, &[&[0.0, 0.0], &[10.0, 10.0]]);
        let plane = Plane::new(&data, &data, None).expect("two columns");
        let (x, y) = plane.cell(0, 0, 12);
        assert_eq!((x, y), (-0.5, 10.5));
        let rows: Vec<Vec<f64>> = plane.grid_rows(12).collect();
        assert_eq!(rows.len(), 144);
        assert_eq!(rows[1], vec![0.5, 10.5], "the second cell is to the right");
        assert_eq!(
            rows[12],
            vec![-0.5, 9.5],
            "the 13th starts the second row down"
        );
    }

    #[test]
    fn confidence_runs_from_a_tie_to_certain() {
        assert_eq!(class_and_confidence(&[0.0]), (0, 0.0));
        assert_eq!(class_and_confidence(&[1000.0]).0, 1);
        assert_eq!(class_and_confidence(&[1000.0]).1, 1.0);
        assert_eq!(class_and_confidence(&[2.0, 2.0, 2.0]), (0, 0.0));
        let (class, sure) = class_and_confidence(&[0.0, 50.0, 0.0]);
        assert_eq!((class, sure), (1, 1.0));
        assert_eq!(class_and_confidence(&[f64::NAN]).1, 0.0);
    }
}
