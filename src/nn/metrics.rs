//! How good a model's outputs are: the class it predicts, accuracy, the confusion matrix, RMSE
//! and R^2, in plain numbers.

use super::loss::class_of_label;

/// The class a model predicts from its outputs: with one output, class 1 where it is > 0 (a
/// score of exactly 0 counts as class 0, label -1); with one output per class, the largest (the
/// first of equals).
pub fn predicted_class(outputs: &[f64]) -> usize {
    match outputs {
        [score] => usize::from(*score > 0.0),
        _ => {
            outputs
                .iter()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |(best, top), (k, &z)| {
                    if z > top { (k, z) } else { (best, top) }
                })
                .0
        }
    }
}

/// Each class's probability from one output per class: softmax(z), computed from z - max(z) so
/// that no exponential overflows.
///
/// ```
/// let p = scalargrad::nn::metrics::softmax(&[1.0, 1.0, 1000.0]);
/// assert_eq!(p[2], 1.0);
/// assert_eq!(p[0], p[1]);
/// ```
pub fn softmax(z: &[f64]) -> Vec<f64> {
    let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exponentials: Vec<f64> = z.iter().map(|v| (v - top).exp()).collect();
    let total: f64 = exponentials.iter().sum();
    exponentials.iter().map(|e| e / total).collect()
}

/// Fraction of examples (`width` outputs each) whose predicted class is their label's.
pub fn accuracy_of_outputs(outputs: &[f64], width: usize, labels: &[f64], classes: usize) -> f64 {
    if labels.is_empty() {
        return f64::NAN;
    }
    let correct = outputs
        .chunks_exact(width)
        .zip(labels)
        .filter(|&(example, &label)| predicted_class(example) == class_of_label(label, classes))
        .count();
    correct as f64 / labels.len() as f64
}

/// The confusion matrix: `counts[true class][predicted class]`, for examples of `width` outputs.
pub fn confusion(outputs: &[f64], width: usize, labels: &[f64], classes: usize) -> Vec<Vec<usize>> {
    let mut counts = vec![vec![0; classes]; classes];
    for (example, &label) in outputs.chunks_exact(width).zip(labels) {
        let predicted = predicted_class(example).min(classes.saturating_sub(1));
        counts[class_of_label(label, classes)][predicted] += 1;
    }
    counts
}

/// Root mean squared error of `predictions` against `targets` (NaN for none).
pub fn rmse(predictions: &[f64], targets: &[f64]) -> f64 {
    let n = targets.len() as f64;
    let squares = predictions
        .iter()
        .zip(targets)
        .map(|(p, t)| (p - t).powi(2));
    (squares.sum::<f64>() / n).sqrt()
}

/// The coefficient of determination R^2 = 1 - SS_res / SS_tot (NaN for none; 1 for a perfect fit
/// of constant targets, -inf for an imperfect one).
pub fn r_squared(predictions: &[f64], targets: &[f64]) -> f64 {
    let n = targets.len() as f64;
    let mean = targets.iter().sum::<f64>() / n;
    let residual: f64 = predictions
        .iter()
        .zip(targets)
        .map(|(p, t)| (t - p).powi(2))
        .sum();
    let total: f64 = targets.iter().map(|t| (t - mean).powi(2)).sum();
    if total == 0.0 {
        if residual == 0.0 {
            1.0
        } else {
            f64::NEG_INFINITY
        }
    } else {
        1.0 - residual / total
    }
}

/// Fraction of `scores` whose sign matches the label (a score of exactly 0 counts as -1).
pub fn accuracy(scores: &[f64], labels: &[f64]) -> f64 {
    if scores.is_empty() {
        return 0.0;
    }
    let correct = scores
        .iter()
        .zip(labels)
        .filter(|&(&score, &label)| (score > 0.0) == (label > 0.0))
        .count();
    correct as f64 / scores.len() as f64
}
