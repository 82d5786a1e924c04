//! Losses (binary with labels -1 / +1 and one score, K classes with one output per class,
//! regression), the labels they take, and the regularisation penalty. Each formula is written
//! once, over [`Scalar`]: computed in `Node`s it
//! is part of the graph (`backward` differentiates it like anything else), computed in `f64` it
//! evaluates a model without a graph, with the same value bit for bit.

use serde::{Deserialize, Serialize};

use crate::engine::{BinaryOp, ConstantOp, Node, Scalar, UnaryOp};

/// The label a loss takes for class `class` of `classes`: with two classes -1 (the first) and +1
/// (the second), micrograd's convention for one output, which the hinge, logistic and mse losses
/// multiply by; with more classes the class index itself. A dataset holds class indices; this
/// is where they become what the formulas below expect.
///
/// ```
/// use scalargrad::nn::loss::{class_of_label, label_of_class};
/// assert_eq!((label_of_class(0, 2), label_of_class(1, 2)), (-1.0, 1.0));
/// assert_eq!(label_of_class(2, 3), 2.0);
/// assert_eq!(class_of_label(-1.0, 2), 0);
/// ```
pub fn label_of_class(class: usize, classes: usize) -> f64 {
    if classes == 2 {
        if class == 1 { 1.0 } else { -1.0 }
    } else {
        class as f64
    }
}

/// The class of a loss label with `classes` classes (the inverse of [`label_of_class`]).
pub fn class_of_label(label: f64, classes: usize) -> usize {
    if classes == 2 {
        usize::from(label > 0.0)
    } else {
        label as usize
    }
}

/// The labels the losses take for a dataset's: class indices become [`label_of_class`]'s (for
/// `classes` classes), regression targets (`classes` 0) stay as they are.
pub fn labels_for_loss(labels: &[f64], classes: usize) -> Vec<f64> {
    if classes == 0 {
        return labels.to_vec();
    }
    labels
        .iter()
        .map(|&class| label_of_class(class as usize, classes))
        .collect()
}

/// Which loss to train with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Loss {
    /// micrograd's max-margin loss: mean relu(1 - y * score) for two classes (one output);
    /// CS231n's multi-class SVM loss, mean sum_{j != y} relu(z_j - z_y + 1), for more.
    Hinge,
    /// Binary cross-entropy on the score (logistic regression): mean log(1 + e^(-y * score)).
    Logistic,
    /// Mean squared error between the score and the label (-1 / +1) or regression target.
    Mse,
    /// Softmax cross-entropy over one output per class: mean logsumexp(z) - z_label.
    CrossEntropy,
}

impl Loss {
    /// Every loss.
    pub const ALL: [Loss; 4] = [Loss::Hinge, Loss::Logistic, Loss::Mse, Loss::CrossEntropy];

    /// The loss's name, as `--loss` takes it (`hinge`, `cross-entropy`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Loss::Hinge => "hinge",
            Loss::Logistic => "logistic",
            Loss::Mse => "mse",
            Loss::CrossEntropy => "cross-entropy",
        }
    }

    /// What it is, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            Loss::Hinge => "max-margin (micrograd's; multi-class SVM for more than 2 classes)",
            Loss::Logistic => "binary cross-entropy on one score (2 classes)",
            Loss::Mse => "squared error (2 classes or regression)",
            Loss::CrossEntropy => "softmax cross-entropy, one output per class",
        }
    }

    /// The loss a task takes when none is given: hinge for two classes (micrograd's demo),
    /// cross-entropy for more, mse for regression (`classes` 0).
    pub fn default_for(classes: usize) -> Loss {
        match classes {
            0 => Loss::Mse,
            2 => Loss::Hinge,
            _ => Loss::CrossEntropy,
        }
    }

    /// The learning rate plain SGD trains with when none is given: 1 (micrograd's) for the
    /// losses whose gradient per example is bounded, 0.3 for mse, whose gradient grows with the
    /// error (at 1 it diverges on the built-in datasets).
    pub fn default_learning_rate(self) -> f64 {
        match self {
            Loss::Hinge | Loss::Logistic | Loss::CrossEntropy => 1.0,
            Loss::Mse => 0.3,
        }
    }

    /// How many outputs the network needs with this loss: one per class for cross-entropy and
    /// for hinge with more than two classes, else one (`classes` 0 is regression).
    pub fn outputs(self, classes: usize) -> usize {
        match self {
            Loss::CrossEntropy => classes,
            Loss::Hinge if classes > 2 => classes,
            Loss::Hinge | Loss::Logistic | Loss::Mse => 1,
        }
    }

    /// Whether this loss can train `classes` classes (0 for regression).
    ///
    /// # Errors
    /// A message saying which losses fit instead.
    pub fn check(self, classes: usize) -> Result<(), String> {
        let fits = match (self, classes) {
            (Loss::Mse, 0) => true,
            (Loss::Hinge | Loss::Logistic | Loss::CrossEntropy, 0) => false,
            (Loss::Hinge | Loss::CrossEntropy, _) => true,
            (Loss::Logistic | Loss::Mse, 2) => true,
            (Loss::Logistic | Loss::Mse, _) => false,
        };
        let name = self.name();
        match (fits, classes) {
            (true, _) => Ok(()),
            (false, 0) => Err(format!(
                "{name} is a classification loss; regression trains with mse"
            )),
            (false, _) => Err(format!(
                "{name} takes two classes, not {classes}; use cross-entropy or hinge"
            )),
        }
    }

    /// The loss of one example: the network's `outputs` against its `label` (-1 / +1 with one
    /// output, the class index with one output per class, the target for regression).
    ///
    /// # Panics
    /// If the number of outputs does not fit the loss (see [`Loss::outputs`]).
    pub fn of_example<S: Scalar>(self, outputs: &[S], label: f64) -> S {
        match (self, outputs) {
            (Loss::Hinge | Loss::Logistic | Loss::Mse, [score]) => self.of_score(score, label),
            (Loss::CrossEntropy, _) if outputs.len() >= 2 => {
                // softmax cross-entropy, stable, one fused node over a layer's outputs
                S::softmax_cross_entropy(outputs, class_of_label(label, outputs.len()))
            }
            (Loss::Hinge, _) if outputs.len() > 2 => {
                multiclass_hinge(outputs, class_of_label(label, outputs.len()))
            }
            _ => panic!("{self:?} does not take {} outputs", outputs.len()),
        }
    }

    /// The loss of one example with a single output `score`.
    fn of_score<S: Scalar>(self, score: &S, label: f64) -> S {
        match self {
            // micrograd's (1 + -y * score).relu(), as one node
            Loss::Hinge => score.with_constant(label, ConstantOp::Hinge),
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
            Loss::CrossEntropy => S::softmax_cross_entropy(std::slice::from_ref(score), 0),
        }
    }

    /// The mean loss of `scores` (one output per example) against `labels`, as micrograd
    /// computes it: the sum, then times 1/n.
    ///
    /// # Panics
    /// If `scores` and `labels` differ in length, or are empty.
    pub fn mean<S: Scalar>(self, scores: &[S], labels: &[f64]) -> S {
        self.mean_of_outputs(scores, 1, labels)
    }

    /// The mean loss of examples with `width` outputs each, `outputs` example after example.
    ///
    /// # Panics
    /// If there is not one label per `width` outputs, there are no examples, or the width does
    /// not fit the loss.
    pub fn mean_of_outputs<S: Scalar>(self, outputs: &[S], width: usize, labels: &[f64]) -> S {
        assert_eq!(outputs.len(), width * labels.len(), "one label per example");
        assert!(!labels.is_empty(), "the mean of no examples is undefined");
        let total = match self {
            // the batch's cross-entropies as one fused node (consecutive outputs, as
            // `forward_rows` gives), with the value and gradients of `of_example`'s one by one
            Loss::CrossEntropy if width >= 2 => {
                let classes: Vec<usize> = labels
                    .iter()
                    .map(|&label| class_of_label(label, width))
                    .collect();
                S::sum_of_softmax_cross_entropies(outputs, width, &classes)
            }
            Loss::Hinge | Loss::Logistic | Loss::Mse | Loss::CrossEntropy => {
                let losses: Vec<S> = outputs
                    .chunks_exact(width)
                    .zip(labels)
                    .map(|(example, &label)| self.of_example(example, label))
                    .collect();
                S::sum(&losses)
            }
        };
        total.mul_constant(1.0 / labels.len() as f64)
    }
}

/// CS231n's multi-class SVM loss with margin 1: `sum_{j != class} relu(z_j - z_class + 1)`.
fn multiclass_hinge<S: Scalar>(scores: &[S], class: usize) -> S {
    let margins: Vec<S> = scores
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != class)
        .map(|(_, z)| {
            z.binary(&scores[class], BinaryOp::Sub)
                .add_constant(1.0)
                .unary(UnaryOp::Relu)
        })
        .collect();
    S::sum(&margins)
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
        let squares = (self.l2 != 0.0).then(|| S::sum_of_squares(parameters).mul_constant(self.l2));
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

/// The training objective: the mean loss of `outputs` (`width` per example) plus the penalty of
/// `parameters`.
///
/// # Panics
/// As [`Loss::mean_of_outputs`].
pub fn objective<S: Scalar>(
    loss: Loss,
    outputs: &[S],
    width: usize,
    labels: &[f64],
    penalty: Penalty,
    parameters: &[S],
) -> S {
    let data_loss = loss.mean_of_outputs(outputs, width, labels);
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

/// The mean loss of plain-number scores, without a graph: `loss.mean` in `f64`.
pub fn mean_value(loss: Loss, scores: &[f64], labels: &[f64]) -> f64 {
    loss.mean(scores, labels)
}
