//! The fused ops that stand for a composed graph, softmax cross-entropy (one example or a
//! batch) and the sum of squares, against their closed forms, the graph they replace, finite
//! differences and their second derivatives.

use super::gradcheck::close;
use scalargrad::Node;
use scalargrad::engine::{
    self, Scalar, derivatives, gradcheck_inputs, softmax_cross_entropy, sum_of_squares, tape_length,
};

/// The softmax of `z`, computed directly in f64.
fn softmax(z: &[f64]) -> Vec<f64> {
    let largest = z.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
    let exps: Vec<f64> = z.iter().map(|v| (v - largest).exp()).collect();
    let total: f64 = exps.iter().sum();
    exps.iter().map(|e| e / total).collect()
}

#[test]
fn the_fused_cross_entropy_matches_closed_forms_its_composed_graph_and_finite_differences() {
    let cases: [(&[f64], usize); 5] = [
        (&[1.0, 2.0, 3.0], 0),
        (&[0.5, -0.25], 1),
        (&[-3.0, 0.0, 4.0, 1.5, -0.5], 2),
        (&[1000.0, -1000.0, 0.0], 1), // far apart: the shift keeps it finite
        (&[7.0], 0),                  // one class: loss 0, gradient 0
    ];
    for (z, class) in cases {
        let logits: Vec<Node> = z.iter().map(|&v| Node::new(v)).collect();
        let loss = softmax_cross_entropy(&logits, class);
        // the same number as the formula on f64 and as the loss written from exp, sum and log
        assert_eq!(loss.value(), f64::softmax_cross_entropy(z, class), "{z:?}");
        let p = softmax(z);
        let expected = -p[class].ln();
        assert!(
            close(loss.value(), expected, 1e-12) || expected.is_infinite(),
            "{z:?}: {} vs {expected}",
            loss.value()
        );
        loss.backward();
        for (j, logit) in logits.iter().enumerate() {
            let onehot = if j == class { 1.0 } else { 0.0 };
            assert!(
                close(logit.grad(), p[j] - onehot, 1e-12),
                "{z:?} d/dz{j}: {} vs {}",
                logit.grad(),
                p[j] - onehot
            );
        }
        // logits that are not consecutive nodes take the composed graph: the same value and
        // gradients
        let spaced: Vec<Node> = z.iter().map(|&v| Node::new(v) + 0.0).collect();
        let composed = softmax_cross_entropy(&spaced, class);
        assert_eq!(composed.value(), loss.value(), "{z:?}");
        composed.backward();
        for (a, b) in spaced.iter().zip(&logits) {
            assert!(close(a.grad(), b.grad(), 1e-12), "{z:?}");
        }
        if z.iter().all(|v| v.abs() < 100.0) {
            let checks =
                gradcheck_inputs(|v: &[Node]| softmax_cross_entropy(v, class), z, 1e-6, 1e-6);
            assert!(checks.iter().all(|c| c.passed), "{z:?}: {checks:?}");
        }
    }
}

/// A batch's cross-entropies recorded together are the examples' one by one and their sum: the
/// same value and gradients to the bit, on consecutive logits (one node) and on logits that are
/// not (the one-by-one path), and every node popped afterwards.
#[test]
fn a_batch_of_cross_entropies_is_each_examples_summed_to_the_bit() {
    let z = [
        1.0, 2.0, 3.0, 0.5, -1.0, 2.0, 1000.0, -1000.0, 0.0, -0.25, -0.25, -0.25,
    ];
    let classes = [2, 0, 1, 1];
    let fresh = || -> Vec<Node> { z.iter().map(|&v| Node::new(v)).collect() };
    let start = tape_length();
    let (batch_logits, single_logits) = (fresh(), fresh());
    let before = tape_length();
    let batch = engine::sum_of_softmax_cross_entropies(&batch_logits, 3, &classes);
    assert_eq!(tape_length(), before + 1, "one node for the batch");
    let losses: Vec<Node> = single_logits
        .chunks(3)
        .zip(classes)
        .map(|(example, class)| softmax_cross_entropy(example, class))
        .collect();
    let single = engine::sum(&losses);
    drop(losses);
    assert_eq!(batch.value().to_bits(), single.value().to_bits());
    assert_eq!(
        f64::sum_of_softmax_cross_entropies(&z, 3, &classes).to_bits(),
        batch.value().to_bits()
    );
    // through a later op, so that the upstream gradient is not 1
    let (batch, single) = (batch * 0.25, single * 0.25);
    batch.backward();
    single.backward();
    for (a, b) in batch_logits.iter().zip(&single_logits) {
        assert_eq!(a.grad().to_bits(), b.grad().to_bits());
    }
    // the closed form: d/dz_j of the sum is softmax_j - [j = class], per example
    for (example, class) in classes.iter().enumerate() {
        let p = softmax(&z[3 * example..3 * example + 3]);
        for (j, logit) in batch_logits[3 * example..3 * example + 3]
            .iter()
            .enumerate()
        {
            let onehot = if j == *class { 1.0 } else { 0.0 };
            assert!(close(logit.grad(), 0.25 * (p[j] - onehot), 1e-12));
        }
    }
    // logits that are not consecutive nodes: one by one, each the loss composed of exp, sum
    // and log (the same value; gradients within rounding of the fused node's)
    let spaced: Vec<Node> = z.iter().map(|&v| Node::new(v) + 0.0).collect();
    let composed = engine::sum_of_softmax_cross_entropies(&spaced, 3, &classes) * 0.25;
    assert_eq!(composed.value().to_bits(), batch.value().to_bits());
    composed.backward();
    for (a, b) in spaced.iter().zip(&batch_logits) {
        assert!(
            close(a.grad(), b.grad(), 1e-12),
            "{} vs {}",
            a.grad(),
            b.grad()
        );
    }
    drop((batch, single, composed, spaced));
    drop((batch_logits, single_logits));
    assert_eq!(tape_length(), start, "every node popped");
}

/// Logits that are not `width` per class, a width of 0 and a class past the logits are refused
/// before anything is recorded.
#[test]
fn a_batch_of_cross_entropies_refuses_a_bad_shape() {
    let bad: [(usize, usize, &[usize], &str); 4] = [
        (6, 3, &[0], "are not 3 for each of 1"),
        (6, 4, &[0, 1], "are not 4 for each of 2"),
        (0, 0, &[], "are not 0 for each of 0"),
        (6, 3, &[0, 3], "class 3 of 3 logits"),
    ];
    for (count, width, classes, message) in bad {
        let logits: Vec<Node> = (0..count).map(|k| Node::new(k as f64)).collect();
        let before = tape_length();
        let result = std::panic::catch_unwind(|| {
            engine::sum_of_softmax_cross_entropies(&logits, width, classes)
        });
        let why = result.expect_err("refused");
        let why = why.downcast_ref::<String>().expect("a formatted message");
        assert!(why.contains(message), "{why}");
        assert_eq!(tape_length(), before, "nothing recorded");
    }
}

/// The backward pass takes the softmax the forward pass saved; `derivatives` builds it again from
/// the logits, as nodes. The two give the same first derivatives, to the bit, and the nodes'
/// second derivatives are the softmax Hessian, example by example, across a batch.
#[test]
fn a_batch_of_cross_entropies_has_the_same_gradient_saved_and_rebuilt_and_the_softmax_hessian() {
    let z = [0.3, -1.2, 2.0, 1000.0, -1000.0, 0.5];
    let classes = [2, 1];
    let logits: Vec<Node> = z.iter().map(|&v| Node::new(v)).collect();
    let total = engine::sum_of_softmax_cross_entropies(&logits, 3, &classes);
    let first = derivatives(&total, &logits);
    total.backward();
    for (logit, derivative) in logits.iter().zip(&first) {
        assert_eq!(logit.grad().to_bits(), derivative.value().to_bits());
    }
    for (example, class) in classes.iter().enumerate() {
        let p = softmax(&z[3 * example..3 * example + 3]);
        for j in 0..3 {
            let onehot = if j == *class { 1.0 } else { 0.0 };
            let dj = &first[3 * example + j];
            assert!(close(dj.value(), p[j] - onehot, 1e-12), "example {example}");
            let second = derivatives(dj, &logits);
            for (k, dk) in second.iter().enumerate() {
                // d2/dz_j dz_k = p_j ([j = k] - p_k) within an example, 0 across examples
                let expected = if k / 3 == example {
                    let delta = if k % 3 == j { 1.0 } else { 0.0 };
                    p[j] * (delta - p[k % 3])
                } else {
                    0.0
                };
                assert!(
                    close(dk.value(), expected, 1e-12),
                    "example {example}: H[{j}][{k}] = {} vs {expected}",
                    dk.value()
                );
            }
        }
    }
}

#[test]
fn the_fused_cross_entropy_has_the_softmax_hessian() {
    // d2/dz_j dz_k = p_j ([j = k] - p_k), through `derivatives` of the fused node's derivatives
    let z = [0.3, -1.2, 2.0];
    let logits: Vec<Node> = z.iter().map(|&v| Node::new(v)).collect();
    let loss = softmax_cross_entropy(&logits, 2);
    let first = derivatives(&loss, &logits);
    let p = softmax(&z);
    for (j, dj) in first.iter().enumerate() {
        let second = derivatives(dj, &logits);
        for (k, dk) in second.iter().enumerate() {
            let delta = if j == k { 1.0 } else { 0.0 };
            let expected = p[j] * (delta - p[k]);
            assert!(
                close(dk.value(), expected, 1e-12),
                "H[{j}][{k}] = {} vs {expected}",
                dk.value()
            );
        }
    }
}

#[test]
fn a_sum_of_squares_is_linear_of_the_terms_with_themselves_to_the_bit() {
    // fused (consecutive terms) and not (every other node), against `linear(x, x, 0)` and the
    // f64 formula, through later ops so that the upstream gradient is not 1
    for len in [1, 2, 3, 4, 5, 8, 13, 100] {
        let values: Vec<f64> = (0..len).map(|k| (k as f64 * 0.917).sin() * 2.5).collect();
        let run = |make: &dyn Fn(&[Node]) -> Node, spaced: bool| {
            let all: Vec<Node> = values
                .iter()
                .flat_map(|&v| [Node::new(v), Node::new(-1.0)])
                .collect();
            let terms: Vec<Node> = if spaced {
                all.iter().step_by(2).cloned().collect()
            } else {
                values.iter().map(|&v| Node::new(v)).collect()
            };
            let before = tape_length();
            let total = make(&terms);
            let nodes = tape_length() - before;
            // the terms also feed another node, so their gradients are not 0 when the sum of
            // squares adds to them (where x + x and 2x would round alike)
            let others: Vec<Node> = terms.iter().map(|t| t.mul_constant(0.37).sin()).collect();
            let out = (total.mul_constant(1e-4) + engine::sum(&others)).tanh();
            out.backward();
            let grads: Vec<u64> = terms.iter().map(|t| t.grad().to_bits()).collect();
            (total.value().to_bits(), grads, nodes)
        };
        let linear = |t: &[Node]| engine::linear(t, t, &Node::new(0.0));
        let reference = run(&linear, false);
        let fused = run(&|t: &[Node]| sum_of_squares(t), false);
        let spaced = run(&|t: &[Node]| sum_of_squares(t), true);
        assert_eq!(fused.2, 1, "{len} consecutive terms make one node");
        assert_eq!(
            spaced.2,
            if len == 1 { 1 } else { 2 },
            "{len} spaced terms make linear and its zero bias (one term is consecutive)"
        );
        for (name, other) in [("fused", &fused), ("spaced", &spaced)] {
            assert_eq!(other.0, reference.0, "{name}, {len} terms: value");
            assert_eq!(other.1, reference.1, "{name}, {len} terms: gradients");
        }
        assert_eq!(f64::sum_of_squares(&values).to_bits(), reference.0, "{len}");
        let exact: f64 = values.iter().map(|v| v * v).sum();
        assert!(close(f64::from_bits(reference.0), exact, 1e-14), "{len}");
    }
}

#[test]
fn a_sum_of_squares_has_the_hessian_two_times_the_identity() {
    let terms: Vec<Node> = [0.5, -1.5, 2.0, 3.0, -0.25]
        .into_iter()
        .map(Node::new)
        .collect();
    let total = sum_of_squares(&terms);
    let first = derivatives(&total, &terms);
    for (j, dj) in first.iter().enumerate() {
        assert_eq!(dj.value(), 2.0 * terms[j].value(), "d/dx{j}");
        for (k, dk) in derivatives(dj, &terms).iter().enumerate() {
            let expected = if j == k { 2.0 } else { 0.0 };
            assert_eq!(dk.value(), expected, "H[{j}][{k}]");
        }
    }
}

#[test]
fn a_cross_entropy_of_many_logits_is_one_node_with_the_closed_form_gradient() {
    // the length and class are kept beside the record, not in it: no bound but the tape's
    for len in [16_383, 16_384, 70_000] {
        let z: Vec<f64> = (0..len).map(|k| (k % 7) as f64 * 0.25).collect();
        let logits: Vec<Node> = z.iter().map(|&v| Node::new(v)).collect();
        let class = len - 1;
        let before = tape_length();
        let loss = softmax_cross_entropy(&logits, class);
        assert_eq!(tape_length() - before, 1, "{len} logits");
        let p = softmax(&z);
        assert!(close(loss.value(), -p[class].ln(), 1e-12), "{len} logits");
        loss.backward();
        for j in [0, 1, class] {
            let onehot = if j == class { 1.0 } else { 0.0 };
            assert!(
                close(logits[j].grad(), p[j] - onehot, 1e-12),
                "{len}: d/dz{j}"
            );
        }
    }
}
