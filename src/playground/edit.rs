//! Points under the user's hand: a training point added, moved or removed on the map, training
//! going on with the edited data, and the data as CSV.

use super::{MAX_POINTS, Session};
use crate::data::{Dataset, Task};

/// Largest |coordinate| a point may be put at (the plane's extent follows the points).
pub const MAX_COORDINATE: f64 = 1e6;

/// One change to the training points, in the map's coordinates (the plane's two columns).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PointEdit {
    /// A new point at (x, y) with a class index or a target.
    Add {
        /// Horizontal coordinate.
        x: f64,
        /// Vertical coordinate.
        y: f64,
        /// Class index (classification) or target (regression).
        label: f64,
    },
    /// Training point `index` moved to (x, y).
    Move {
        /// Which training point.
        index: usize,
        /// Horizontal coordinate.
        x: f64,
        /// Vertical coordinate.
        y: f64,
    },
    /// Training point `index` removed.
    Remove {
        /// Which training point.
        index: usize,
    },
}

fn place(value: f64, name: &str) -> Result<f64, String> {
    if value.is_finite() && value.abs() <= MAX_COORDINATE {
        Ok(value)
    } else {
        Err(format!(
            "{name}: a point's coordinates are numbers within ±{MAX_COORDINATE}"
        ))
    }
}

impl Session {
    /// Applies `edit` to the training points; training goes on from the same weights with the
    /// edited data (the points' version grows, so the page reloads them).
    ///
    /// # Errors
    /// Data of more or fewer than two input columns (a map point would not say the other
    /// columns' values), a point index out of range, a class that the data does not have, a
    /// coordinate that is not a number within ±[`MAX_COORDINATE`], more than [`MAX_POINTS`]
    /// points, or removing the last one. The session is unchanged then.
    pub fn edit_points(&mut self, edit: PointEdit) -> Result<(), String> {
        let (Some(y_column), 2) = (self.plane.y_column, self.train.width()) else {
            return Err(format!(
                "points can be edited on data of two input columns (the map's plane); this data has {}",
                self.train.width()
            ));
        };
        let x_column = self.plane.x_column;
        let index_in = |index: usize, train: &Dataset| {
            if index < train.len() {
                Ok(index)
            } else {
                Err(format!(
                    "index: there are {} training points (0 to {})",
                    train.len(),
                    train.len().saturating_sub(1)
                ))
            }
        };
        let mut train = self.train.clone();
        match edit {
            PointEdit::Add { x, y, label } => {
                if train.len() + self.test.len() >= MAX_POINTS {
                    return Err(format!("the playground takes at most {MAX_POINTS} points"));
                }
                let label = match train.task() {
                    Task::Classification
                        if label.fract() == 0.0
                            && label >= 0.0
                            && (label as usize) < train.classes() =>
                    {
                        label
                    }
                    Task::Classification => {
                        return Err(format!(
                            "class: the data's classes are 0 to {}",
                            train.classes() - 1
                        ));
                    }
                    Task::Regression => place(label, "target")?,
                };
                let mut row = [0.0; 2];
                row[x_column] = place(x, "x")?;
                row[y_column] = place(y, "y")?;
                train.inputs.extend_from_slice(&row);
                train.labels.push(label);
            }
            PointEdit::Move { index, x, y } => {
                let index = index_in(index, &train)?;
                train.inputs[2 * index + x_column] = place(x, "x")?;
                train.inputs[2 * index + y_column] = place(y, "y")?;
            }
            PointEdit::Remove { index } => {
                let index = index_in(index, &train)?;
                if train.len() == 1 {
                    return Err("the last training point cannot be removed".to_string());
                }
                train.inputs.drain(2 * index..2 * index + 2);
                train.labels.remove(index);
            }
        }
        let axes = [
            self.plane.columns[x_column].clone(),
            self.plane.columns[y_column].clone(),
        ];
        self.plane = crate::view::Plane::new(&train, &self.test, Some(&axes))?;
        self.trainer.set_training_data(&train);
        self.train = train;
        self.data_version += 1;
        Ok(())
    }

    /// The data as it is now (training points, then test points) as CSV: a header of the input
    /// columns and the label, then one row per point, a class by its name.
    pub fn data_csv(&self) -> String {
        let mut text = self.train.columns.join(",");
        text.push(',');
        text.push_str(&self.train.label);
        text.push('\n');
        for data in [&self.train, &self.test] {
            for (row, &label) in data.rows().zip(&data.labels) {
                for value in row {
                    text.push_str(&format!("{value},"));
                }
                match data.class_names.get(label as usize) {
                    Some(name) if data.task() == Task::Classification => text.push_str(name),
                    _ => text.push_str(&format!("{label}")),
                }
                text.push('\n');
            }
        }
        text
    }
}
