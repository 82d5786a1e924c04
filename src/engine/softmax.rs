//! Softmax cross-entropy, the one formula behind both the fused node (`Op::SoftmaxCrossEntropies`)
//! and the same loss written from `exp`, `sum` and `log` (numbers, or nodes that are not
//! consecutive): its value, its softmax and its local derivatives, over `Scalar`.

use super::scalar::Scalar;
use super::tape::Idx;
use super::{BinaryOp, UnaryOp};

/// `logsumexp(z) - z_class`, as `ln(sum_j exp(z_j - m)) + m - z_class` with `m` the largest
/// finite logit (see [`shift`]).
pub(crate) fn cross_entropy<S: Scalar>(logits: &[S], class: usize) -> S {
    let m = shift(logits);
    let exponentials: Vec<S> = logits.iter().map(|z| shifted_exp(z, m)).collect();
    from_total(&S::sum(&exponentials), m, &logits[class])
}

/// [`cross_entropy`] of numbers, without a list of exponentials: the same additions in the
/// same order, so the same bits.
pub(crate) fn cross_entropy_value(logits: &[f64], class: usize) -> f64 {
    let m = shift(logits);
    let total = logits
        .iter()
        .fold(0.0, |total, z| total + shifted_exp(z, m));
    from_total(&total, m, &logits[class])
}

/// [`cross_entropy_value`], pushing the softmax of `logits` onto `probabilities` on the way,
/// from the exponentials the value sums (what [`softmax`] computes, to the bit).
pub(crate) fn cross_entropy_saving(
    logits: &[f64],
    class: usize,
    probabilities: &mut Vec<f64>,
) -> f64 {
    let m = shift(logits);
    let start = probabilities.len();
    probabilities.extend(logits.iter().map(|z| shifted_exp(z, m)));
    let exponentials = &mut probabilities[start..];
    let total = exponentials.iter().fold(0.0, |total, e| total + e);
    for exponential in exponentials {
        *exponential = exponential.binary(&total, BinaryOp::Div);
    }
    from_total(&total, m, &logits[class])
}

/// `softmax(z)_j = exp(z_j - m) / sum_k exp(z_k - m)`, with `m` as in [`cross_entropy`].
pub(crate) fn softmax<S: Scalar>(logits: &[S]) -> Vec<S> {
    let m = shift(logits);
    let exponentials: Vec<S> = logits.iter().map(|z| shifted_exp(z, m)).collect();
    let total = S::sum(&exponentials);
    exponentials
        .iter()
        .map(|exponential| exponential.binary(&total, BinaryOp::Div))
        .collect()
}

/// `m`, the largest finite logit, or 0 if the largest is infinite (shifting by it would make
/// every term NaN). Shifting the logits by it changes neither the loss nor the softmax, and keeps
/// logits of +-1000 finite.
fn shift<S: Scalar>(logits: &[S]) -> f64 {
    let largest = logits
        .iter()
        .fold(f64::NEG_INFINITY, |m, z| m.max(z.number()));
    if largest.is_finite() { largest } else { 0.0 }
}

/// `exp(z - m)`.
fn shifted_exp<S: Scalar>(z: &S, m: f64) -> S {
    z.add_constant(-m).unary(UnaryOp::Exp)
}

/// The loss from the sum of the shifted exponentials: `ln(total) + m - z_class`.
fn from_total<S: Scalar>(total: &S, m: f64, z_class: &S) -> S {
    total
        .unary(UnaryOp::Log)
        .add_constant(m)
        .binary(z_class, BinaryOp::Sub)
}

/// Calls `each(j, d(out)/d(z_j))` for the logits `z(j)` of a cross-entropy against `class`:
/// `softmax_j - [j = class]`. A plain number takes the softmax the forward pass saved (`saved`,
/// one per logit, from [`cross_entropy_saving`]); a node builds it again from the logits
/// ([`softmax`], the same values to the bit), so that it can be differentiated again
/// (`Scalar::is_plain_number`).
pub(crate) fn cross_entropy_derivatives<S: Scalar>(
    z: impl Fn(Idx) -> S,
    class: Idx,
    saved: &[f64],
    mut each: impl FnMut(Idx, S),
) {
    let mut report = |j: Idx, probability: S| {
        let local = if j == class {
            probability.add_constant(-1.0)
        } else {
            probability
        };
        each(j, local);
    };
    if S::is_plain_number() {
        for (j, &probability) in (0..).zip(saved) {
            report(j, S::constant(probability));
        }
    } else {
        let logits: Vec<S> = (0..saved.len() as Idx).map(z).collect();
        for (j, probability) in (0..).zip(softmax(&logits)) {
            report(j, probability);
        }
    }
}

/// The sum of a batch's cross-entropies, each example's on its own, then `sum`: what
/// `sum_of_softmax_cross_entropies` computes, in any `Scalar`.
///
/// # Panics
/// As [`check_batch`].
#[track_caller]
pub(crate) fn cross_entropies_one_by_one<S: Scalar>(
    logits: &[S],
    width: usize,
    classes: &[usize],
) -> S {
    check_batch(logits.len(), width, classes);
    let losses: Vec<S> = logits
        .chunks_exact(width)
        .zip(classes)
        .map(|(example, &class)| S::softmax_cross_entropy(example, class))
        .collect();
    S::sum(&losses)
}

/// Checks that `count` logits are `width` (at least 1) for each class of `classes`, each class
/// an index of its logits.
///
/// # Panics
/// Naming what does not fit.
#[track_caller]
pub(crate) fn check_batch(count: usize, width: usize, classes: &[usize]) {
    assert!(
        width > 0 && count == width * classes.len(),
        "sum_of_softmax_cross_entropies: {count} logits are not {width} for each of {} classes",
        classes.len()
    );
    if let Some(&class) = classes.iter().find(|&&class| class >= width) {
        panic!("sum_of_softmax_cross_entropies: class {class} of {width} logits");
    }
}
