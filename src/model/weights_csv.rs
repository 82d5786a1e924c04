//! Initial weights from a CSV file: the reference workloads' `layer,neuron,kind,idx,value` files.

use std::path::Path;

use crate::data::DataError;
use crate::data::csv::csv_records;
use crate::data::quoted;

/// Reads the `value` column of a parameter file with a header row and `value` as its last column
/// (like `layer,neuron,kind,idx,value`), in file order: initial weights for `Mlp::parameters()`
/// (layer by layer, neuron by neuron, weights then bias), set with `engine::set_values`.
///
/// # Errors
/// A [`DataError`] naming the file and line: unreadable, empty, or a value that is not a finite
/// number.
pub fn weights_from_csv(path: &Path) -> Result<Vec<f64>, DataError> {
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
                let message = format!(
                    "the last column must be a finite number, found {}",
                    quoted(field)
                );
                return Err(error(Some(number), message));
            }
        }
    }
    if values.is_empty() {
        return Err(error(None, "no values after the header row".into()));
    }
    Ok(values)
}
