//! Losses for binary classification with labels -1 / +1 and a real-valued score, and L2
//! regularisation. Each is a few node ops, so `backward` differentiates it like anything else.

use serde::{Deserialize, Serialize};

use crate::engine::{Node, linear, sum};

/// Which loss to train with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Loss {
    /// micrograd's max-margin loss: mean relu(1 - y * score).
    Hinge,
    /// Binary cross-entropy on the score (logistic regression): mean log(1 + e^(-y * score)).
    Logistic,
    /// Mean squared error between score and label.
    Mse,
}

impl Loss {
    /// The mean loss of `scores` against `labels` (each -1 or +1).
    ///
    /// # Panics
    /// If `scores` and `labels` differ in length, or are empty.
    pub fn mean(self, scores: &[Node], labels: &[f64]) -> Node {
        match self {
            Loss::Hinge => hinge(scores, labels),
            Loss::Logistic => logistic(scores, labels),
            Loss::Mse => mse(scores, labels),
        }
    }
}

/// mean_i of `per_example(score_i, label_i)`, as micrograd computes it: sum, then times 1/n.
fn mean_of(scores: &[Node], labels: &[f64], per_example: impl Fn(&Node, f64) -> Node) -> Node {
    assert_eq!(scores.len(), labels.len(), "one label per score");
    assert!(!scores.is_empty(), "the mean of no examples is undefined");
    let losses: Vec<Node> = scores
        .iter()
        .zip(labels)
        .map(|(score, &label)| per_example(score, label))
        .collect();
    sum(&losses) * (1.0 / losses.len() as f64)
}

/// Mean hinge loss, micrograd's `(1 + -y * score).relu()` averaged.
///
/// ```
/// use scalargrad::{Node, nn::loss::hinge};
/// let scores = [Node::new(2.0), Node::new(0.5)];
/// assert_eq!(hinge(&scores, &[1.0, -1.0]).value(), 0.75); // (0 + 1.5) / 2
/// ```
///
/// # Panics
/// If `scores` and `labels` differ in length, or are empty.
pub fn hinge(scores: &[Node], labels: &[f64]) -> Node {
    mean_of(scores, labels, |score, label| (1.0 + -label * score).relu())
}

/// Mean logistic loss log(1 + e^(-y * score)), computed without overflow for any score:
/// for z = -y * score > 0 it is z + log(1 + e^-z), else log(1 + e^z).
///
/// ```
/// use scalargrad::{Node, nn::loss::logistic};
/// let huge = Node::new(1000.0);
/// let loss = logistic(&[huge.clone()], &[-1.0]);
/// loss.backward();
/// assert_eq!(loss.value(), 1000.0); // not inf
/// assert_eq!(huge.grad(), 1.0);
/// ```
///
/// # Panics
/// If `scores` and `labels` differ in length, or are empty.
pub fn logistic(scores: &[Node], labels: &[f64]) -> Node {
    mean_of(scores, labels, |score, label| {
        let margin = -label * score;
        if margin.value() > 0.0 {
            // log(1 + e^z) = z + log(1 + e^-z): the exponent stays <= 0
            &margin + (1.0 + (-&margin).exp()).log()
        } else {
            (1.0 + margin.exp()).log()
        }
    })
}

/// Mean squared error (score - label)^2.
///
/// # Panics
/// If `scores` and `labels` differ in length, or are empty.
pub fn mse(scores: &[Node], labels: &[f64]) -> Node {
    mean_of(scores, labels, |score, label| (score - label).pow(2.0))
}

/// L2 regularisation `alpha * sum p^2` over `parameters`, as micrograd adds it to the loss.
///
/// The sum of squares is one `linear` node (`sum p * p`, with a zero bias) rather than one
/// product node per parameter: the same derivative, 2p, at a hundredth of the nodes.
pub fn l2(parameters: &[Node], alpha: f64) -> Node {
    alpha * linear(parameters, parameters, &Node::new(0.0))
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

/// The loss of plain-number scores, without a graph (for evaluation): the same value `mean`
/// computes.
pub fn mean_value(loss: Loss, scores: &[f64], labels: &[f64]) -> f64 {
    let per_example = |score: f64, label: f64| match loss {
        Loss::Hinge => (1.0 + -label * score).max(0.0),
        Loss::Logistic => {
            let margin = -label * score;
            if margin > 0.0 {
                margin + (1.0 + (-margin).exp()).ln()
            } else {
                (1.0 + margin.exp()).ln()
            }
        }
        Loss::Mse => (score - label).powf(2.0),
    };
    let total = scores
        .iter()
        .zip(labels)
        .fold(0.0, |total, (&s, &y)| total + per_example(s, y));
    total * (1.0 / scores.len() as f64)
}
