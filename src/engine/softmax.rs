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
