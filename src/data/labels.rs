//! The one rule that tells classes apart everywhere (training, `evaluate`, `predict`): when
//! every label is a number, a class is a value (`1`, `1.0`, `+1` and `1e0` are one class, named
//! as first written); otherwise a class is a text, compared exactly.

use std::path::Path;

use super::{DataError, MAX_CLASSES, quoted};

/// The longest label text a table may hold, in characters.
pub const MAX_LABEL_CHARS: usize = 100;

/// The label's value when it is a number, for the class rule.
fn label_number(label: &str) -> Option<f64> {
    label.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The classes of `labels` (each with its line) by the module's rule: their names in class
/// order (numerically when every label is a number, else as text) and each label's class index.
///
/// # Errors
/// Fewer than two or more than [`MAX_CLASSES`] classes, or a label longer than
/// [`MAX_LABEL_CHARS`].
pub fn classes_of(
    labels: &[(&str, usize)],
    path: &Path,
) -> Result<(Vec<f64>, Vec<String>), DataError> {
    let error = |line: Option<usize>, message: String| DataError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let numeric = labels
        .iter()
        .all(|(label, _)| label_number(label).is_some());
    let mut names: Vec<String> = Vec::new();
    for &(label, line) in labels {
        if label.chars().count() > MAX_LABEL_CHARS {
            return Err(error(
                Some(line),
                format!(
                    "a label of {} characters; at most {MAX_LABEL_CHARS} (is this the label \
                     column? choose it with --label)",
                    label.chars().count()
                ),
            ));
        }
        if class_among(label, &names, numeric).is_none() {
            if names.len() == MAX_CLASSES {
                return Err(error(
                    Some(line),
                    format!(
                        "an 11th label {}; a classifier takes at most {MAX_CLASSES} classes (for a \
                         real-valued target use --task regression)",
                        quoted(label)
                    ),
                ));
            }
            names.push(label.to_string());
        }
    }
    if names.len() < 2 {
        return Err(error(
            None,
            format!(
                "only one label ({}); a classifier needs two",
                quoted(&names[0])
            ),
        ));
    }
    if numeric {
        names.sort_by(|a, b| {
            let (a, b) = (label_number(a), label_number(b));
            a.partial_cmp(&b).expect("finite numbers are ordered")
        });
    } else {
        names.sort();
    }
    let classes = labels
        .iter()
        .map(|&(label, _)| {
            class_among(label, &names, numeric).expect("every label is among the names") as f64
        })
        .collect();
    Ok((classes, names))
}

/// The class of `label` among `names`, by value when `numeric`, else by text.
fn class_among(label: &str, names: &[String], numeric: bool) -> Option<usize> {
    if numeric {
        let value = label_number(label);
        names.iter().position(|name| label_number(name) == value)
    } else {
        names.iter().position(|name| name == label)
    }
}

/// The class of `label` among a model's `class_names`, by the module's rule: by value when the
/// label and every class name are numbers (`1` is `+1`), else by exact text.
pub fn class_of(label: &str, class_names: &[String]) -> Option<usize> {
    let numeric = label_number(label).is_some()
        && class_names.iter().all(|name| label_number(name).is_some());
    class_among(label, class_names, numeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn numbers_are_classes_by_value_texts_by_exact_text() {
        let numbers = names(&["-0", "1"]);
        assert_eq!(class_of("+1", &numbers), Some(1));
        assert_eq!(class_of("1e0", &numbers), Some(1));
        assert_eq!(class_of("0.0", &numbers), Some(0));
        assert_eq!(class_of("2", &numbers), None);
        let mixed = names(&["cat", "1"]);
        assert_eq!(class_of("1.0", &mixed), None, "mixed names compare as text");
        assert_eq!(class_of("1", &mixed), Some(1));
        assert_eq!(class_of("Cat", &mixed), None);
    }

    #[test]
    fn classes_are_sorted_by_value_when_every_label_is_a_number() {
        let labels = [("10", 1), ("9", 2), ("-1", 3), ("9.0", 4)];
        let (classes, names) = classes_of(&labels, Path::new("t.csv")).expect("valid");
        assert_eq!(names, ["-1", "9", "10"]);
        assert_eq!(classes, vec![2.0, 1.0, 0.0, 1.0]);
    }

    #[test]
    fn refuses_one_class_eleven_classes_and_long_labels() {
        let path = Path::new("t.csv");
        let one = classes_of(&[("a", 1), ("a", 2)], path).unwrap_err();
        assert!(one.to_string().contains("only one label"), "{one}");
        let texts: Vec<String> = (0..11).map(|i| format!("c{i}")).collect();
        let eleven: Vec<(&str, usize)> = texts.iter().map(|t| (t.as_str(), 1)).collect();
        let error = classes_of(&eleven, path).unwrap_err();
        assert!(error.to_string().contains("at most 10 classes"), "{error}");
        let long = "x".repeat(MAX_LABEL_CHARS + 1);
        let error = classes_of(&[(&long, 7), ("a", 8)], path).unwrap_err();
        assert_eq!(error.line, Some(7));
        assert!(
            error.to_string().contains("a label of 101 characters"),
            "{error}"
        );
    }
}
