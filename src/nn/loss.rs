//! Losses for binary classification with labels -1 / +1 and a real-valued score, and the
//! regularisation penalty. Each formula is written once, over [`Scalar`]: computed in `Node`s it
//! is part of the graph (`backward` differentiates it like anything else), computed in `f64` it
//! evaluates a model without a graph, with the same value bit for bit.

use serde::{Deserialize, Serialize};

use crate::engine::{Node, Scalar, UnaryOp};

/// Which loss to train with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "app", derive(clap::ValueEnum))]
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
    /// The loss of one example: `score` against `label` (-1 or +1).
    pub fn of_example<S: Scalar>(self, score: &S, label: f64) -> S {
        match self {
            // micrograd's (1 + -y * score).relu()
            Loss::Hinge => score
                .mul_constant(-label)
                .add_constant(1.0)
                .unary(UnaryOp::Relu),
            // log(1 + e^z) for z = -y * score, computed without overflow for any score: for
            // z > 0 it is z + log(1 + e^-z), so the exponent stays <= 0
            Loss::Logistic => {
                let margin = score.mul_constant(-label);
                if margin.number() > 0.0 {
                    let rest = margin
                        .unary(UnaryOp::Neg)
                        .unary(UnaryOp::Exp)
                        .add_constant(1.0)
                        .unary(UnaryOp::Log);
                    margin.plus(&rest)
                } else {
                    margin
                        .unary(UnaryOp::Exp)
                        .add_constant(1.0)
                        .unary(UnaryOp::Log)
                }
            }
            // (score - label)^2
            Loss::Mse => score.add_constant(-label).power(2.0),
        }
    }

    /// The mean loss of `scores` against `labels` (each -1 or +1), as micrograd computes it:
    /// the sum, then times 1/n.
    ///
    /// # Panics
    /// If `scores` and `labels` differ in length, or are empty.
    pub fn mean<S: Scalar>(self, scores: &[S], labels: &[f64]) -> S {
        assert_eq!(scores.len(), labels.len(), "one label per score");
        assert!(!scores.is_empty(), "the mean of no examples is undefined");
        let losses: Vec<S> = scores
            .iter()
            .zip(labels)
            .map(|(score, &label)| self.of_example(score, label))
            .collect();
        S::sum(&losses).mul_constant(1.0 / losses.len() as f64)
    }
}

/// Mean hinge loss, micrograd's `(1 + -y * score).relu()` averaged.
///
/// ```
/// use scalargrad::{Node, nn::loss::hinge};
/// let scores = [Node::new(2.0), Node::new(0.5)];
/// assert_eq!(hinge(&scores, &[1.0, -1.0]).value(), 0.75); // (0 + 1.5) / 2
/// assert_eq!(hinge(&[2.0, 0.5], &[1.0, -1.0]), 0.75);     // the same formula in numbers
/// ```
///
/// # Panics
/// If `scores` and `labels` differ in length, or are empty.
pub fn hinge<S: Scalar>(scores: &[S], labels: &[f64]) -> S {
    Loss::Hinge.mean(scores, labels)
}

/// Mean logistic loss log(1 + e^(-y * score)), computed without overflow for any score.
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
pub fn logistic<S: Scalar>(scores: &[S], labels: &[f64]) -> S {
    Loss::Logistic.mean(scores, labels)
}

/// Mean squared error (score - label)^2.
///
/// # Panics
/// If `scores` and `labels` differ in length, or are empty.
pub fn mse<S: Scalar>(scores: &[S], labels: &[f64]) -> S {
    Loss::Mse.mean(scores, labels)
}

/// The regularisation added to a training objective: `l2 * sum p^2 + l1 * sum |p|` over every
/// parameter, weights and biases (micrograd's convention).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Penalty {
    /// L2 strength alpha (`alpha * sum p^2`).
    pub l2: f64,
    /// L1 strength beta (`beta * sum |p|`; d|p|/dp is 0 at p = 0).
    pub l1: f64,
}

impl Penalty {
    /// The penalty of `parameters`, or `None` when both strengths are 0 (nothing to add).
    ///
    /// The sum of squares is one `linear` node (`sum p * p`, with a zero bias) rather than one
    /// product node per parameter: the same derivative, 2p, at a hundredth of the nodes.
    ///
    /// ```
    /// use scalargrad::{Node, nn::loss::Penalty};
    /// let penalty = Penalty { l2: 0.5, l1: 0.25 };
    /// let p = [Node::new(-2.0), Node::new(1.0)];
    /// let term = penalty.term(&p).expect("non-zero");
    /// term.backward();
    /// assert_eq!(term.value(), 0.5 * 5.0 + 0.25 * 3.0);
    /// assert_eq!(p[0].grad(), 0.5 * 2.0 * -2.0 - 0.25); // 2 alpha p + beta sign(p)
    /// assert_eq!(penalty.term(&[-2.0, 1.0]), Some(term.value()));
    /// ```
    pub fn term<S: Scalar>(&self, parameters: &[S]) -> Option<S> {
        let squares = (self.l2 != 0.0)
            .then(|| S::linear(parameters, parameters, &S::constant(0.0)).mul_constant(self.l2));
        let absolutes = (self.l1 != 0.0).then(|| {
            let magnitudes: Vec<S> = parameters.iter().map(|p| p.unary(UnaryOp::Abs)).collect();
            S::sum(&magnitudes).mul_constant(self.l1)
        });
        match (squares, absolutes) {
            (Some(squares), Some(absolutes)) => Some(squares.plus(&absolutes)),
            (one, other) => one.or(other),
        }
    }
}

/// The training objective: the mean loss of `scores` plus the penalty of `parameters`.
///
/// # Panics
/// If `scores` and `labels` differ in length, or are empty.
pub fn objective<S: Scalar>(
    loss: Loss,
    scores: &[S],
    labels: &[f64],
    penalty: Penalty,
    parameters: &[S],
) -> S {
    let data_loss = loss.mean(scores, labels);
    match penalty.term(parameters) {
        Some(term) => data_loss.plus(&term),
        None => data_loss,
    }
}

/// L2 regularisation `alpha * sum p^2` over `parameters`, as micrograd adds it to the loss (the
/// L2 part of [`Penalty::term`]; 0 for alpha = 0).
pub fn l2(parameters: &[Node], alpha: f64) -> Node {
    Penalty { l2: alpha, l1: 0.0 }
        .term(parameters)
        .unwrap_or_else(|| Node::new(0.0))
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

/// The mean loss of plain-number scores, without a graph: `loss.mean` in `f64`.
pub fn mean_value(loss: Loss, scores: &[f64], labels: &[f64]) -> f64 {
    loss.mean(scores, labels)
}
