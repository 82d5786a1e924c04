//! Softmax cross-entropy, the one formula behind both the fused node (`Op::SoftmaxCrossEntropy`)
//! and the same loss written from `exp`, `sum` and `log` (numbers, or nodes that are not
//! consecutive): its value and its local derivatives, over `Scalar`.

use super::scalar::Scalar;
use super::tape::Idx;
use super::{BinaryOp, UnaryOp};

/// `logsumexp(z) - z_class`, as `ln(sum_j exp(z_j - m)) + m - z_class` with `m` the largest
/// finite logit (0 if the largest is infinite: shifting by it would make every term NaN).
pub(crate) fn cross_entropy<S: Scalar>(logits: &[S], class: usize) -> S {
    let largest = logits
        .iter()
        .fold(f64::NEG_INFINITY, |m, z| m.max(z.number()));
    let shift = if largest.is_finite() { largest } else { 0.0 };
    let exponentials: Vec<S> = logits
        .iter()
        .map(|z| z.add_constant(-shift).unary(UnaryOp::Exp))
        .collect();
    S::sum(&exponentials)
        .unary(UnaryOp::Log)
        .add_constant(shift)
        .binary(&logits[class], BinaryOp::Sub)
}

/// [`cross_entropy`] of numbers, without a list of exponentials: the same additions in the
/// same order, so the same bits.
pub(crate) fn cross_entropy_value(logits: &[f64], class: usize) -> f64 {
    let largest = logits.iter().fold(f64::NEG_INFINITY, |m, &z| m.max(z));
    let shift = if largest.is_finite() { largest } else { 0.0 };
    let total = logits
        .iter()
        .fold(0.0, |total, &z| total + UnaryOp::Exp.value(z + -shift));
    UnaryOp::Log.value(total) + shift - logits[class]
}

/// Calls `each(j, d(out)/d(z_j))` for the `len` logits `z(j)` of a cross-entropy whose value is
/// `out`: `softmax_j - [j = class]`, with `softmax_j = exp(z_j - logsumexp(z))` and
/// `logsumexp(z) = out + z_class`.
pub(crate) fn cross_entropy_derivatives<S: Scalar>(
    z: impl Fn(Idx) -> S,
    len: Idx,
    class: Idx,
    out: &S,
    mut each: impl FnMut(Idx, S),
) {
    let log_sum = out.plus(&z(class));
    for j in 0..len {
        let probability = z(j).binary(&log_sum, BinaryOp::Sub).unary(UnaryOp::Exp);
        let local = if j == class {
            probability.add_constant(-1.0)
        } else {
            probability
        };
        each(j, local);
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
