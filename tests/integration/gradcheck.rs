//! Every op's value and derivatives against closed forms and finite differences, and random
//! expression graphs against a forward-mode (dual number) evaluation, finite differences and
//! `derivatives`. The generic checks take their ops from `UnaryOp::ALL`,
//! `BinaryOp::ALL` and `ConstantOp::ALL`, so a new op is tested without editing this file.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use scalargrad::engine::{
    self, BinaryOp, ConstantOp, Scalar, UnaryOp, binary, derivatives, gradcheck_inputs,
    softmax_cross_entropy, sum_of_squares, tape_length, unary, with_constant,
};
use scalargrad::{Node, backward, gradcheck};

/// One row per op: the op on inputs (a, b), and its value and partial derivatives in closed form.
struct OpRow {
    name: &'static str,
    op: fn(&Node, &Node) -> Node,
    exact: fn(f64, f64) -> (f64, f64, f64),
    points: &'static [(f64, f64)],
}

const POINTS: &[(f64, f64)] = &[(-2.5, 0.75), (-0.3, 1.7), (0.4, -1.1), (1.9, 3.2)];
const POSITIVE: &[(f64, f64)] = &[(0.3, 0.75), (1.7, -1.4), (4.0, 2.5), (0.05, 0.5)];

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn op_table() -> Vec<OpRow> {
    vec![
        OpRow {
            name: "add",
            op: |a, b| a + b,
            exact: |a, b| (a + b, 1.0, 1.0),
            points: POINTS,
        },
        OpRow {
            name: "sub",
            op: |a, b| a - b,
            exact: |a, b| (a - b, 1.0, -1.0),
            points: POINTS,
        },
        OpRow {
            name: "mul",
            op: |a, b| a * b,
            exact: |a, b| (a * b, b, a),
            points: POINTS,
        },
        OpRow {
            name: "add_constant (a + 0.75, a - 0.75, 0.75 + b)",
            op: |a, b| (a + 0.75) * (a - 0.75) * (0.75 + b),
            exact: |a, b| {
                let (p, m, q) = (a + 0.75, a - 0.75, 0.75 + b);
                (p * m * q, (m + p) * q, p * m)
            },
            points: POINTS,
        },
        OpRow {
            name: "mul_constant (a * -1.5, 2.5 * b)",
            op: |a, b| engine::add(&(a * -1.5), &(2.5 * b)),
            exact: |a, b| (a * -1.5 + 2.5 * b, -1.5, 2.5),
            points: POINTS,
        },
        OpRow {
            name: "div",
            op: |a, b| a / b,
            exact: |a, b| (a / b, 1.0 / b, -a / (b * b)),
            points: POINTS,
        },
        OpRow {
            name: "neg",
            op: |a, _| -a,
            exact: |a, _| (-a, -1.0, 0.0),
            points: POINTS,
        },
        OpRow {
            name: "pow",
            op: |a, _| a.pow(3.0),
            exact: |a, _| (a.powi(3), 3.0 * a * a, 0.0),
            points: POINTS,
        },
        OpRow {
            name: "pow (fractional)",
            op: |a, _| a.pow(-0.5),
            exact: |a, _| (a.powf(-0.5), -0.5 * a.powf(-1.5), 0.0),
            points: POSITIVE,
        },
        OpRow {
            name: "pow_node",
            op: |a, b| a.pow_node(b),
            exact: |a, b| (a.powf(b), b * a.powf(b - 1.0), a.powf(b) * a.ln()),
            points: POSITIVE,
        },
        OpRow {
            name: "exp",
            op: |a, _| a.exp(),
            exact: |a, _| (a.exp(), a.exp(), 0.0),
            points: POINTS,
        },
        OpRow {
            name: "log",
            op: |a, _| a.log(),
            exact: |a, _| (a.ln(), 1.0 / a, 0.0),
            points: POSITIVE,
        },
        OpRow {
            name: "sin",
            op: |a, _| a.sin(),
            exact: |a, _| (a.sin(), a.cos(), 0.0),
            points: POINTS,
        },
        OpRow {
            name: "cos",
            op: |a, _| a.cos(),
            exact: |a, _| (a.cos(), -a.sin(), 0.0),
            points: POINTS,
        },
        OpRow {
            name: "tanh",
            op: |a, _| a.tanh(),
            exact: |a, _| (a.tanh(), 1.0 / a.cosh().powi(2), 0.0),
            points: POINTS,
        },
        OpRow {
            name: "relu",
            op: |a, _| a.relu(),
            exact: |a, _| (a.max(0.0), if a > 0.0 { 1.0 } else { 0.0 }, 0.0),
            points: POINTS,
        },
        OpRow {
            name: "sigmoid",
            op: |a, _| a.sigmoid(),
            exact: |a, _| (sigmoid(a), sigmoid(a) * (1.0 - sigmoid(a)), 0.0),
            points: POINTS,
        },
        OpRow {
            name: "abs",
            op: |a, _| a.abs(),
            exact: |a, _| (a.abs(), a.signum(), 0.0),
            points: POINTS,
        },
        OpRow {
            name: "sum",
            op: |a, b| engine::sum(&[a.clone(), b.clone(), a.clone()]),
            exact: |a, b| (2.0 * a + b, 2.0, 1.0),
            points: POINTS,
        },
        OpRow {
            name: "linear",
            op: |a, b| engine::linear(&[a.clone(), Node::new(2.0)], &[b.clone(), a.clone()], b),
            exact: |a, b| (a * b + 2.0 * a + b, b + 2.0, a + 1.0),
            points: POINTS,
        },
        OpRow {
            name: "sum of squares",
            op: |a, b| sum_of_squares(&[a.clone(), b.clone()]),
            exact: |a, b| (a * a + b * b, 2.0 * a, 2.0 * b),
            points: POINTS,
        },
    ]
}

fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual - expected).abs() <= tolerance * expected.abs().max(1.0)
}

#[test]
fn every_op_matches_its_closed_form_and_finite_differences() {
    for row in op_table() {
        for &(a0, b0) in row.points {
            let (value, da, db) = (row.exact)(a0, b0);
            let a = Node::new(a0);
            let b = Node::new(b0);
            let out = (row.op)(&a, &b);
            backward(&out);
            let at = format!("{} at ({a0}, {b0})", row.name);
            assert!(
                close(out.value(), value, 1e-14),
                "{at}: value {}",
                out.value()
            );
            assert!(
                close(a.grad(), da, 1e-14),
                "{at}: d/da {} vs {da}",
                a.grad()
            );
            assert!(
                close(b.grad(), db, 1e-14),
                "{at}: d/db {} vs {db}",
                b.grad()
            );

            let checks =
                gradcheck_inputs(|v: &[Node]| (row.op)(&v[0], &v[1]), &[a0, b0], 1e-6, 1e-6);
            for check in checks {
                assert!(check.passed, "{at}:\n{check}");
            }
        }
    }
}

/// The central difference of `f` at `x` with step `h`.
fn central(f: impl Fn(f64) -> f64, x: f64, h: f64) -> f64 {
    (f(x + h) - f(x - h)) / (2.0 * h)
}

/// True where `f`'s slope jumps within `h` of `x` (a kink, as relu and abs have at 0), where a
/// finite difference does not measure the derivative.
fn near_a_kink(f: impl Fn(f64) -> f64, x: f64) -> bool {
    let h = 1e-3;
    let left = (f(x) - f(x - h)) / h;
    let right = (f(x + h) - f(x)) / h;
    (left - right).abs() > 0.1 * left.abs().max(right.abs()).max(1.0)
}

/// Each op's node against its own `value`, and its derivative (through `backward` and through
/// `derivatives`) against a central difference of that value.
fn check_op(name: &str, x0: f64, value: impl Fn(f64) -> f64, make: impl Fn(&Node) -> Node) {
    let expected = value(x0);
    if !expected.is_finite() || near_a_kink(&value, x0) {
        return;
    }
    let x = Node::new(x0);
    let out = make(&x);
    assert_eq!(out.value().to_bits(), expected.to_bits(), "{name} at {x0}");
    out.backward();
    let numeric = central(&value, x0, 1e-6);
    assert!(
        close(x.grad(), numeric, 1e-6),
        "{name} at {x0}: backward {} vs finite difference {numeric}",
        x.grad()
    );
    let as_node = derivatives(&out, std::slice::from_ref(&x)).remove(0);
    assert_eq!(
        as_node.value(),
        x.grad(),
        "{name} at {x0}: derivatives vs backward"
    );
}

const GENERIC_POINTS: [f64; 7] = [-2.5, -0.7, -0.3, 0.05, 0.4, 1.9, 3.2];

#[test]
fn every_listed_op_matches_finite_differences_of_its_value() {
    for &op in UnaryOp::ALL {
        for x0 in GENERIC_POINTS {
            check_op(op.name(), x0, |x| op.value(x), |x| unary(x, op));
        }
    }
    for &op in BinaryOp::ALL {
        for (a0, b0) in GENERIC_POINTS.iter().zip(GENERIC_POINTS.iter().rev()) {
            let (a0, b0) = (*a0, *b0);
            let b = Node::new(b0);
            check_op(op.name(), a0, |a| op.value(a, b0), |a| binary(a, &b, op));
            let a = Node::new(a0);
            check_op(op.name(), b0, |b| op.value(a0, b), |b| binary(&a, b, op));
        }
    }
    for &op in ConstantOp::ALL {
        for c in [-1.5, 0.0, 0.75, 3.0] {
            for x0 in GENERIC_POINTS {
                check_op(
                    op.name(),
                    x0,
                    |x| op.value(x, c),
                    |x| with_constant(x, c, op),
                );
            }
        }
    }
}

#[test]
fn at_a_kink_the_derivative_is_zero_both_ways() {
    for op in [UnaryOp::Relu, UnaryOp::Abs] {
        let x = Node::new(0.0);
        let out = unary(&x, op);
        out.backward();
        assert_eq!(x.grad(), 0.0, "{op:?}");
        let as_node = derivatives(&out, std::slice::from_ref(&x)).remove(0);
        assert_eq!(as_node.value(), 0.0, "{op:?}");
    }
}

#[test]
fn notebook_gradcheck_tables_pass() {
    type Function = fn(&Node) -> Node;
    let rows: [(Function, f64); 17] = [
        (|x| x + 3.0, 2.0),
        (|x| 3.0 + x, 2.0),
        (|x| x - 3.0, 5.0),
        (|x| 3.0 - x, 5.0),
        (|x| x * 4.0, 3.0),
        (|x| 4.0 * x, 3.0),
        (|x| x.pow(2.0), 2.0),
        (|x| -x, 3.0),
        (|x| x.exp(), 1.0),
        (|x| x.log(), 2.0),
        (|x| x.sin(), 1.5),
        (|x| (x + 1.0) * (x + 1.0), 2.0),
        (|x| (x - 2.0) * (x + 2.0), 3.0),
        (|x| (x + 1.0) * (1.0 + x), 2.0),
        (|x| x.exp() * x, 1.0),
        (|x| x.log() * x, 2.0),
        (|x| -(x + 3.0), 4.0),
    ];
    for (f, x0) in rows {
        let check = gradcheck(f, x0, 1e-4, 1e-4);
        assert!(check.passed, "{check}");
        assert!(check.diff < 1e-7, "{check}");
    }
}

// ---------------------------------------------------------------------------------------------
// Random expression graphs: every step may use any earlier value, so subexpressions are shared
// and paths merge. The engine's gradients must match forward-mode dual numbers (the ops' own
// local derivatives, chained forwards: this checks the reverse sweep, accumulation and sharing,
// while the tables above check the local derivatives), finite differences, and `derivatives`.

const INPUTS: usize = 3;

#[derive(Clone, Debug)]
enum Step {
    Unary(usize, UnaryOp),
    Binary(usize, usize, BinaryOp),
    WithConstant(usize, f64, ConstantOp),
    Sum(Vec<usize>),
    /// linear(weights = values[w..], inputs = values[x..], bias)
    Linear(Vec<(usize, usize)>, usize),
}

/// A number with its derivative along one input direction.
#[derive(Clone, Copy, Debug)]
struct Dual {
    value: f64,
    slope: f64,
}

impl Dual {
    fn add(self, o: Dual) -> Dual {
        Dual {
            value: self.value + o.value,
            slope: self.slope + o.slope,
        }
    }
    fn mul(self, o: Dual) -> Dual {
        Dual {
            value: self.value * o.value,
            slope: self.slope * o.value + self.value * o.slope,
        }
    }
}

/// Evaluates the program in dual numbers, seeding input `direction`. None if a value leaves the
/// region where the derivative is well defined and finite differences are accurate (not a
/// number, too large, or near a kink).
fn evaluate_dual(inputs: &[f64], program: &[Step], direction: usize) -> Option<Dual> {
    let mut values: Vec<Dual> = inputs
        .iter()
        .enumerate()
        .map(|(i, &v)| Dual {
            value: v,
            slope: if i == direction { 1.0 } else { 0.0 },
        })
        .collect();
    for step in program {
        let v = |i: usize| values[i % values.len()];
        let next = match step {
            Step::Unary(a, op) => {
                let x = v(*a);
                if near_a_kink(|t| op.value(t), x.value) {
                    return None;
                }
                let value = op.value(x.value);
                let local = op.derivative(|| x.value, &value).unwrap_or(0.0);
                Dual {
                    value,
                    slope: local * x.slope,
                }
            }
            Step::Binary(a, b, op) => {
                let (x, y) = (v(*a), v(*b));
                let value = op.value(x.value, y.value);
                let (dx, dy) = op.derivatives(|| x.value, || y.value, &value);
                Dual {
                    value,
                    slope: dx * x.slope + dy * y.slope,
                }
            }
            Step::WithConstant(a, c, op) => {
                let x = v(*a);
                if near_a_kink(|t| op.value(t, *c), x.value) {
                    return None;
                }
                let value = op.value(x.value, *c);
                let local = op.derivative(|| x.value, &value, *c);
                Dual {
                    value,
                    slope: local * x.slope,
                }
            }
            Step::Sum(terms) => terms.iter().fold(
                Dual {
                    value: 0.0,
                    slope: 0.0,
                },
                |t, &i| t.add(v(i)),
            ),
            Step::Linear(pairs, bias) => pairs
                .iter()
                .fold(v(*bias), |t, &(w, x)| t.add(v(w).mul(v(x)))),
        };
        // far from 0, or steep, a central difference loses the digits the check needs
        let steep = next.slope.is_nan() || next.slope.abs() > 1e3;
        if !next.value.is_finite() || next.value.abs() > 1e4 || steep {
            return None;
        }
        values.push(next);
    }
    values.last().copied()
}

/// Builds the same program from engine nodes.
fn evaluate_nodes(inputs: &[Node], program: &[Step]) -> Node {
    let mut values: Vec<Node> = inputs.to_vec();
    for step in program {
        let v = |i: usize| values[i % values.len()].clone();
        let next = match step {
            Step::Unary(a, op) => unary(&v(*a), *op),
            Step::Binary(a, b, op) => binary(&v(*a), &v(*b), *op),
            Step::WithConstant(a, c, op) => with_constant(&v(*a), *c, *op),
            Step::Sum(terms) => engine::sum(&terms.iter().map(|&i| v(i)).collect::<Vec<_>>()),
            Step::Linear(pairs, bias) => {
                let weights: Vec<Node> = pairs.iter().map(|&(w, _)| v(w)).collect();
                let xs: Vec<Node> = pairs.iter().map(|&(_, x)| v(x)).collect();
                engine::linear(&weights, &xs, &v(*bias))
            }
        };
        values.push(next);
    }
    values.pop().expect("at least one value")
}

fn step_strategy() -> impl Strategy<Value = Step> {
    let index = 0usize..64;
    let constant = prop_oneof![Just(-1.5), Just(0.5), Just(2.0), Just(3.0)];
    prop_oneof![
        3 => (index.clone(), prop::sample::select(UnaryOp::ALL)).prop_map(|(a, op)| Step::Unary(a, op)),
        3 => (index.clone(), index.clone(), prop::sample::select(BinaryOp::ALL))
            .prop_map(|(a, b, op)| Step::Binary(a, b, op)),
        2 => (index.clone(), constant, prop::sample::select(ConstantOp::ALL))
            .prop_map(|(a, c, op)| Step::WithConstant(a, c, op)),
        1 => prop::collection::vec(index.clone(), 1..5).prop_map(Step::Sum),
        1 => (
            prop::collection::vec((index.clone(), index.clone()), 1..4),
            index
        )
            .prop_map(|(pairs, bias)| Step::Linear(pairs, bias)),
    ]
}

fn relative_error(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

proptest! {
    #![proptest_config(Config {
        cases: 300,
        max_global_rejects: 100_000,
        rng_seed: RngSeed::Fixed(20261202),
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn random_graphs_match_dual_numbers_finite_differences_and_derivatives(
        inputs in prop::collection::vec(-2.0f64..2.0, INPUTS),
        program in prop::collection::vec(step_strategy(), 1..25),
    ) {
        let duals: Option<Vec<Dual>> =
            (0..INPUTS).map(|k| evaluate_dual(&inputs, &program, k)).collect();
        prop_assume!(duals.is_some());
        let duals = duals.unwrap_or_default();

        let nodes: Vec<Node> = inputs.iter().map(|&v| Node::new(v)).collect();
        let out = evaluate_nodes(&nodes, &program);
        out.backward();
        prop_assert!(relative_error(out.value(), duals[0].value) < 1e-12);
        for (k, node) in nodes.iter().enumerate() {
            prop_assert!(
                relative_error(node.grad(), duals[k].slope) < 1e-10,
                "input {}: backward {} vs dual {}", k, node.grad(), duals[k].slope
            );
        }
        // the derivative nodes hold what backward computed
        let as_nodes = derivatives(&out, &nodes);
        for (k, (node, derivative)) in nodes.iter().zip(&as_nodes).enumerate() {
            prop_assert!(
                relative_error(derivative.value(), node.grad()) < 1e-12,
                "input {}: derivatives {} vs backward {}", k, derivative.value(), node.grad()
            );
        }
        drop(as_nodes);
        // a second pass adds exactly the same again
        out.backward();
        for (k, node) in nodes.iter().enumerate() {
            prop_assert!(relative_error(node.grad(), 2.0 * duals[k].slope) < 1e-10);
        }

        let checks = gradcheck_inputs(|v: &[Node]| evaluate_nodes(v, &program), &inputs, 1e-6, 1e-4);
        for check in checks {
            prop_assert!(check.passed, "{}", check);
        }
    }
}

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
