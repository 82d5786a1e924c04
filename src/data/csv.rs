//! Reading tables from CSV text.
//!
//! A header row names the columns; a file without one has inputs `x1, x2, ...` and a last
//! `label` (or `target`) column. The label is the last column unless `--label` names another;
//! the inputs are every other column unless `--columns` picks some (in the order given). A
//! column the model reads must hold finite numbers on every row; a column it does not read may
//! hold anything. Blank lines are skipped; quoted fields, a byte-order mark and CRLF line ends are
//! understood.
//!
//! Labels become classes by the one rule of [`super::labels`].

use std::path::Path;

use super::labels::classes_of;
use super::{DataError, Dataset, MAX_COLUMNS, Task, quoted};

/// Which columns of a table are read, and as what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableOptions<'a> {
    /// Classes or a real target.
    pub task: Task,
    /// The label column's name (`--label`); `None` for the last column.
    pub label: Option<&'a str>,
    /// The input columns' names, in the order the model takes them (`--columns`); `None` for
    /// every column but the label, in file order.
    pub columns: Option<&'a [String]>,
}

impl TableOptions<'_> {
    /// Every column but the last is an input, the last is a class label.
    pub const CLASSES: TableOptions<'static> = TableOptions {
        task: Task::Classification,
        label: None,
        columns: None,
    };
}

/// Names for a message: the first ten, then how many more.
fn listed(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().take(10).map(|n| quoted(n)).collect();
    match names.len() {
        0..=10 => shown.join(", "),
        more => format!("{}, ... ({more} in all)", shown.join(", ")),
    }
}

/// A CSV text split into its header (if the first row is one) and data records, every record
/// as wide as the first.
struct Raw {
    header: Option<Vec<String>>,
    records: Vec<(usize, Vec<String>)>,
}

/// Whether `field` is a number (finite or not: `inf` is a number, just not a usable one).
fn is_number(field: &str) -> bool {
    field.parse::<f64>().is_ok()
}

impl Raw {
    /// Reads every record; the first is a header when none of its fields is a number.
    fn read(text: &str, path: &Path) -> Result<Raw, DataError> {
        let error = |line: Option<usize>, message: String| DataError {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut raw = Raw {
            header: None,
            records: Vec::new(),
        };
        let mut width = None;
        for record in csv_records(text) {
            let (line, fields) = record.map_err(|(line, message)| error(line, message))?;
            match width {
                None => {
                    width = Some(fields.len());
                    if !fields.iter().any(|f| is_number(f)) {
                        raw.header = Some(header_names(fields, path, line)?);
                        continue;
                    }
                }
                Some(width) if width != fields.len() => {
                    return Err(error(
                        Some(line),
                        format!(
                            "expected {width} columns (as the first line has), found {}",
                            fields.len()
                        ),
                    ));
                }
                Some(_) => {}
            }
            raw.records.push((line, fields));
        }
        if raw.records.is_empty() {
            return Err(error(None, "no data rows".into()));
        }
        Ok(raw)
    }

    /// The columns' names: the header's, or `x1, x2, ..., label` without one.
    fn names(&self, task: Task) -> Vec<String> {
        match &self.header {
            Some(names) => names.clone(),
            None => {
                let width = self.records[0].1.len();
                let mut names: Vec<String> = (1..width).map(|k| format!("x{k}")).collect();
                names.push(task.label_word().to_string());
                names
            }
        }
    }
}

/// A header's fields as column names: blank ones named `column{k}`, every name once.
fn header_names(fields: Vec<String>, path: &Path, line: usize) -> Result<Vec<String>, DataError> {
    let names: Vec<String> = fields
        .into_iter()
        .enumerate()
        .map(|(k, name)| {
            if name.is_empty() {
                format!("column{}", k + 1)
            } else {
                name
            }
        })
        .collect();
    for (k, name) in names.iter().enumerate() {
        if names[..k].contains(name) {
            return Err(DataError {
                path: path.to_path_buf(),
                line: Some(line),
                message: format!(
                    "the header names the column {} twice; each column needs its own name",
                    quoted(name)
                ),
            });
        }
    }
    Ok(names)
}

/// The index of column `name` in `names`, or a message naming `flag` and the columns there are.
fn find(names: &[String], name: &str, flag: &str) -> Result<usize, String> {
    names.iter().position(|n| n == name).ok_or_else(|| {
        format!(
            "{flag}: no column {}; the columns are {}",
            quoted(name),
            listed(names)
        )
    })
}

/// Reads a CSV table file; see [`parse_table`].
///
/// # Errors
/// A [`DataError`] naming the file and, where it applies, the line.
pub fn read_table(path: &Path, options: &TableOptions<'_>) -> Result<Dataset, DataError> {
    let text = std::fs::read_to_string(path).map_err(|error| DataError {
        path: path.to_path_buf(),
        line: None,
        message: format!("cannot read the file: {error}"),
    })?;
    parse_table(&text, path, options)
}

/// Parses CSV text as a table (see the module's doc); `path` is only used in messages.
///
/// ```
/// use std::path::Path;
/// use scalargrad::data::{Task, csv::{TableOptions, parse_table}};
/// let text = "height,species,width\n1.5,setosa,0.2\n4.7,versicolor,1.4\n";
/// let columns = ["width".to_string(), "height".to_string()];
/// let options = TableOptions { task: Task::Classification, label: Some("species"), columns: Some(&columns) };
/// let data = parse_table(text, Path::new("iris.csv"), &options).expect("a table");
/// assert_eq!(data.columns, ["width", "height"]);
/// assert_eq!(data.row(1), [1.4, 4.7]);
/// assert_eq!(data.class_names, ["setosa", "versicolor"]);
/// assert_eq!(data.labels, [0.0, 1.0]);
/// ```
///
/// # Errors
/// A [`DataError`] naming the file and, where it applies, the line: rows of different widths, a
/// `--label` or `--columns` name the header does not have (or no header to name them by), an
/// input that is not a finite number (naming its column and line), more than [`MAX_COLUMNS`]
/// inputs, fewer than two or more than [`super::MAX_CLASSES`] classes, a label longer than
/// [`super::labels::MAX_LABEL_CHARS`] characters, a target that is not a finite number, or no rows.
pub fn parse_table(
    text: &str,
    path: &Path,
    options: &TableOptions<'_>,
) -> Result<Dataset, DataError> {
    let error = |line: Option<usize>, message: String| DataError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let raw = Raw::read(text, path)?;
    let names = raw.names(options.task);
    if raw.header.is_none() && (options.label.is_some() || options.columns.is_some()) {
        return Err(error(
            Some(1),
            "the file has no header row, so its columns have no names for --label and \
             --columns; add a header (the first line naming every column)"
                .into(),
        ));
    }
    let label = match options.label {
        Some(name) => find(&names, name, "--label").map_err(|m| error(None, m))?,
        None => names.len() - 1,
    };
    let inputs: Vec<usize> = match options.columns {
        Some(chosen) => {
            let mut inputs = Vec::with_capacity(chosen.len());
            for name in chosen {
                let index = find(&names, name, "--columns").map_err(|m| error(None, m))?;
                if index == label {
                    return Err(error(
                        None,
                        format!("--columns: {} is the label column", quoted(name)),
                    ));
                }
                if inputs.contains(&index) {
                    return Err(error(
                        None,
                        format!("--columns: {} is listed twice", quoted(name)),
                    ));
                }
                inputs.push(index);
            }
            inputs
        }
        None => (0..names.len()).filter(|&k| k != label).collect(),
    };
    if inputs.is_empty() {
        return Err(error(
            None,
            "no input columns: a table needs at least one besides the label".into(),
        ));
    }
    if inputs.len() > MAX_COLUMNS {
        return Err(error(
            None,
            format!(
                "{} input columns; at most {MAX_COLUMNS} (choose some with --columns)",
                inputs.len()
            ),
        ));
    }
    let mut values = Vec::with_capacity(raw.records.len() * inputs.len());
    for (line, fields) in &raw.records {
        for &k in &inputs {
            values.push(finite_number(&fields[k], &names[k], *line, path)?);
        }
    }
    let labels: Vec<(&str, usize)> = raw
        .records
        .iter()
        .map(|(line, fields)| (fields[label].as_str(), *line))
        .collect();
    let (labels, class_names) = match options.task {
        Task::Regression => {
            let targets = labels
                .iter()
                .map(|&(field, line)| finite_number(field, &names[label], line, path))
                .collect::<Result<Vec<f64>, DataError>>()?;
            (targets, Vec::new())
        }
        Task::Classification => classes_of(&labels, path)?,
    };
    Ok(Dataset {
        columns: inputs.iter().map(|&k| names[k].clone()).collect(),
        inputs: values,
        labels,
        class_names,
        label: names[label].clone(),
    })
}

/// A finite number from `field` of column `column` on `line`.
fn finite_number(field: &str, column: &str, line: usize, path: &Path) -> Result<f64, DataError> {
    let error = |message: String| DataError {
        path: path.to_path_buf(),
        line: Some(line),
        message,
    };
    let value: f64 = field.parse().map_err(|_| {
        error(format!(
            "column {} is not a number: {} (leave it out with --columns, or make it the label \
             with --label)",
            quoted(column),
            quoted(field)
        ))
    })?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(error(format!(
            "column {} must be a finite number, found {}",
            quoted(column),
            quoted(field)
        )))
    }
}

/// The rows of a file as a model reads them: its inputs matched by header name (in any order),
/// or by position in a file without a header.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelRows {
    /// The header's names, if the file has one.
    pub header: Option<Vec<String>>,
    /// Every row's fields as written.
    pub fields: Vec<Vec<String>>,
    /// The model's inputs, row after row, in the model's column order.
    pub inputs: Vec<f64>,
    /// Each row's label field, where the file has a label column.
    pub labels: Option<Vec<String>>,
    /// Each row's line in the file.
    pub lines: Vec<usize>,
}

/// Reads the rows of `text` for a model whose inputs are `columns`: by header name when the
/// file has a header (other columns are kept as written but not read), else by position (the
/// model's inputs, then an optional label). The label column is `label` when given, else
/// `saved_label` if the header has it, else a last column that is not an input.
///
/// # Errors
/// A [`DataError`] naming the file and line: a column the model needs that the file lacks
/// (named), rows of the wrong width, an input that is not a finite number, or no rows.
pub fn model_rows(
    text: &str,
    path: &Path,
    columns: &[String],
    label: Option<&str>,
    saved_label: &str,
) -> Result<ModelRows, DataError> {
    let error = |line: Option<usize>, message: String| DataError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let raw = Raw::read(text, path)?;
    let width = raw.records[0].1.len();
    let (inputs, label_column): (Vec<usize>, Option<usize>) = match &raw.header {
        Some(names) => {
            let mut inputs = Vec::with_capacity(columns.len());
            for name in columns {
                let index = names.iter().position(|n| n == name).ok_or_else(|| {
                    error(
                        Some(1),
                        format!(
                            "no column {}, which the model takes as an input (it takes {}); the \
                             file's columns are {}",
                            quoted(name),
                            listed(columns),
                            listed(names)
                        ),
                    )
                })?;
                inputs.push(index);
            }
            let label_column = match label {
                Some(name) => Some(find(names, name, "--label").map_err(|m| error(None, m))?),
                None => names
                    .iter()
                    .position(|n| n == saved_label && !columns.contains(n))
                    .or_else(|| Some(width - 1).filter(|last| !inputs.contains(last))),
            };
            (inputs, label_column)
        }
        None => {
            if label.is_some() {
                return Err(error(
                    Some(1),
                    "the file has no header row, so --label cannot name a column".into(),
                ));
            }
            if width != columns.len() && width != columns.len() + 1 {
                return Err(error(
                    Some(raw.records[0].0),
                    format!(
                        "{width} columns; the model takes {} inputs ({}), so a file without a \
                         header has {} columns, or one more for a label",
                        columns.len(),
                        listed(columns),
                        columns.len()
                    ),
                ));
            }
            (
                (0..columns.len()).collect(),
                (width > columns.len()).then_some(columns.len()),
            )
        }
    };
    let mut rows = ModelRows {
        header: raw.header.clone(),
        fields: Vec::with_capacity(raw.records.len()),
        inputs: Vec::with_capacity(raw.records.len() * columns.len()),
        labels: label_column.map(|_| Vec::with_capacity(raw.records.len())),
        lines: Vec::with_capacity(raw.records.len()),
    };
    for (line, fields) in raw.records {
        for (&k, name) in inputs.iter().zip(columns) {
            rows.inputs
                .push(finite_number(&fields[k], name, line, path)?);
        }
        if let (Some(labels), Some(k)) = (rows.labels.as_mut(), label_column) {
            labels.push(fields[k].clone());
        }
        rows.lines.push(line);
        rows.fields.push(fields);
    }
    Ok(rows)
}

/// The records of CSV text as (1-based line, trimmed fields), read by the `csv` crate: quoted
/// fields, a byte-order mark and CRLF line ends are understood; blank lines are skipped. A record
/// that cannot be read ends the list with `Err((line, message))`.
pub(crate) type CsvRecord = Result<(usize, Vec<String>), (Option<usize>, String)>;

pub(crate) fn csv_records(text: &str) -> Vec<CsvRecord> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Dataset, String> {
        parse_table(text, Path::new("d.csv"), &TableOptions::CLASSES).map_err(|e| e.to_string())
    }

    fn parse_with(text: &str, options: &TableOptions<'_>) -> Result<Dataset, String> {
        parse_table(text, Path::new("d.csv"), options).map_err(|e| e.to_string())
    }

    #[test]
    fn csv_with_and_without_header() {
        let data = parse("x1,x2,label\n0.5,1,cat\n\n-2,3e-1,dog\n").expect("valid");
        assert_eq!(data.columns, ["x1", "x2"]);
        assert_eq!(data.inputs, vec![0.5, 1.0, -2.0, 0.3]);
        assert_eq!(data.labels, vec![0.0, 1.0]);
        assert_eq!(data.class_names, ["cat".to_string(), "dog".to_string()]);
        let data = parse("1,2,1\n3,4,0\n").expect("valid");
        assert_eq!(data.columns, ["x1", "x2"], "a file without a header");
        assert_eq!(data.labels, vec![1.0, 0.0], "0 < 1 numerically");
        let data = parse("1,2,10\n3,4,9\n").expect("valid");
        assert_eq!(
            data.labels,
            vec![1.0, 0.0],
            "9 < 10 numerically, not as text"
        );
    }

    #[test]
    fn a_header_of_many_columns_with_the_label_anywhere() {
        let text = "a,b,kind,c,d\n1,2,x,3,4\n5,6,y,7,8\n9,10,x,11,12\n";
        let data = parse_with(
            text,
            &TableOptions {
                task: Task::Classification,
                label: Some("kind"),
                columns: None,
            },
        )
        .expect("valid");
        assert_eq!(data.columns, ["a", "b", "c", "d"]);
        assert_eq!(data.row(2), [9.0, 10.0, 11.0, 12.0]);
        assert_eq!(data.labels, [0.0, 1.0, 0.0]);
        let chosen = ["d".to_string(), "a".to_string()];
        let data = parse_with(
            text,
            &TableOptions {
                task: Task::Classification,
                label: Some("kind"),
                columns: Some(&chosen),
            },
        )
        .expect("valid");
        assert_eq!(
            (data.columns.clone(), data.row(1).to_vec()),
            (vec!["d".to_string(), "a".to_string()], vec![8.0, 5.0])
        );
        // a text column that is not read may stay text
        let named = "name,size,ok\nann,1,yes\nbob,2,no\n";
        let size = ["size".to_string()];
        let data = parse_with(
            named,
            &TableOptions {
                task: Task::Classification,
                label: None,
                columns: Some(&size),
            },
        )
        .expect("valid");
        assert_eq!(data.inputs, [1.0, 2.0]);
        let why = parse(named).expect_err("name is read");
        assert_eq!(
            why,
            "d.csv line 2: column \"name\" is not a number: \"ann\" (leave it out with \
             --columns, or make it the label with --label)"
        );
    }

    #[test]
    fn label_and_column_names_are_checked() {
        let text = "a,b,c\n1,2,x\n3,4,y\n";
        let with = |label: Option<&str>, columns: Option<&[String]>| {
            parse_with(
                text,
                &TableOptions {
                    task: Task::Classification,
                    label,
                    columns,
                },
            )
        };
        assert_eq!(
            with(Some("z"), None).unwrap_err(),
            "d.csv: --label: no column \"z\"; the columns are \"a\", \"b\", \"c\""
        );
        let c = ["c".to_string()];
        assert_eq!(
            with(None, Some(&c)).unwrap_err(),
            "d.csv: --columns: \"c\" is the label column"
        );
        let twice = ["a".to_string(), "a".to_string()];
        assert!(
            with(None, Some(&twice))
                .unwrap_err()
                .contains("listed twice")
        );
        assert!(
            parse_with(
                "1,2,x\n3,4,y\n",
                &TableOptions {
                    task: Task::Classification,
                    label: Some("a"),
                    columns: None
                }
            )
            .unwrap_err()
            .contains("no header row")
        );
        assert!(parse("a,a,b\n1,2,x\n").unwrap_err().contains("twice"));
    }

    #[test]
    fn csv_quoted_fields_byte_order_mark_and_crlf() {
        let data =
            parse("\u{feff}x1,x2,label\r\n\"0.1\",\" 2\",\"a, b\"\r\n3,4,c\r\n").expect("valid");
        assert_eq!(data.inputs, vec![0.1, 2.0, 3.0, 4.0]);
        assert_eq!(data.class_names, ["a, b".to_string(), "c".to_string()]);
        // line numbers count physical lines, blank ones included
        assert_eq!(
            parse("1,2,a\r\n\r\n1,x,b\r\n").unwrap_err(),
            "d.csv line 3: column \"x2\" is not a number: \"x\" (leave it out with --columns, \
             or make it the label with --label)"
        );
    }

    #[test]
    fn csv_errors_name_the_line() {
        assert_eq!(
            parse("1,2,a\n1,2\n").unwrap_err(),
            "d.csv line 2: expected 3 columns (as the first line has), found 2"
        );
        assert!(
            parse("1,2,a\nNaN,1,b\n")
                .unwrap_err()
                .starts_with("d.csv line 2: column \"x1\" must be a finite number, found \"NaN\"")
        );
        let eleven: String = (0..11).map(|k| format!("1,2,c{k}\n")).collect();
        assert!(
            parse(&eleven)
                .unwrap_err()
                .starts_with("d.csv line 11: an 11th label \"c10\"; a classifier takes at most 10"),
        );
        assert_eq!(parse("").unwrap_err(), "d.csv: no data rows");
        assert_eq!(parse("x1,x2,y\n").unwrap_err(), "d.csv: no data rows");
        assert!(parse("1,2,a\n").unwrap_err().contains("only one label"));
        let long = "z".repeat(crate::data::labels::MAX_LABEL_CHARS + 1);
        let why = parse(&format!("1,2,a\n1,2,{long}\n")).unwrap_err();
        assert!(why.contains("a label of 101 characters"), "{why}");
        assert!(why.len() < 200, "the label is not echoed whole");
        let wide: String = format!(
            "{}\n",
            (0..=MAX_COLUMNS + 1)
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        assert!(parse(&wide).unwrap_err().contains("at most 1000"));
    }

    #[test]
    fn one_label_rule_numbers_by_value_texts_exactly() {
        let data = parse("0,0,10\n0,0,9\n0,0,-1\n0,0,9\n").expect("valid");
        assert_eq!(data.class_names, ["-1", "9", "10"]);
        assert_eq!(data.labels, vec![2.0, 1.0, 0.0, 1.0]);
        let data = parse("0,0,b\n0,0,c\n0,0,a\n").expect("valid");
        assert_eq!(data.class_names, ["a", "b", "c"]);
        assert_eq!(data.labels, vec![1.0, 2.0, 0.0]);
        // -0 and 0 are one value, so are 1, 1.0, +1 and 1e0 (named as first written)
        let data = parse("0,0,-0\n0,0,0\n0,0,1\n0,0,1.0\n0,0,+1\n0,0,1e0\n").expect("valid");
        assert_eq!(data.class_names, ["-0", "1"]);
        assert_eq!(data.labels, vec![0.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn csv_regression_targets_are_numbers() {
        let options = TableOptions {
            task: Task::Regression,
            label: None,
            columns: None,
        };
        let data = parse_with("x1,x2,y\n0,1,2.5\n1,0,-3\n", &options).expect("valid");
        assert_eq!(data.labels, vec![2.5, -3.0]);
        assert_eq!(data.task(), Task::Regression);
        let error = parse_with("0,1,2.5\n1,0,big\n", &options).expect_err("not a number");
        assert!(error.starts_with("d.csv line 2: column \"target\" is not a number: \"big\""));
    }

    #[test]
    fn a_model_reads_its_columns_by_name_in_any_order_or_by_position() {
        let columns = ["x1".to_string(), "x2".to_string()];
        let rows = model_rows(
            "extra,x2,label,x1\nq,2,a,1\nr,4,b,3\n",
            Path::new("p.csv"),
            &columns,
            None,
            "label",
        )
        .expect("valid");
        assert_eq!(rows.inputs, [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(rows.labels, Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(rows.fields[1], ["r", "4", "b", "3"]);
        let missing = model_rows("x1,y\n1,2\n", Path::new("p.csv"), &columns, None, "label")
            .expect_err("no x2");
        assert!(
            missing
                .to_string()
                .contains("no column \"x2\", which the model takes"),
            "{missing}"
        );
        let rows = model_rows("1,2\n3,4\n", Path::new("p.csv"), &columns, None, "label")
            .expect("positional");
        assert_eq!((rows.inputs.len(), rows.labels), (4, None));
        let rows = model_rows(
            "1,2,a\n3,4,b\n",
            Path::new("p.csv"),
            &columns,
            None,
            "label",
        )
        .expect("positional, with labels");
        assert_eq!(rows.labels, Some(vec!["a".to_string(), "b".to_string()]));
        assert!(model_rows("1\n", Path::new("p.csv"), &columns, None, "label").is_err());
    }
}
