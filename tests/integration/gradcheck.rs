//! Every op's value and derivatives against closed forms and finite differences, and random
//! expression graphs against a forward-mode (dual number) evaluation, finite differences and
//! `derivatives`. The generic checks take their ops from `UnaryOp::ALL`,
//! `BinaryOp::ALL` and `ConstantOp::ALL`, so a new op is tested without editing this file.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use scalargrad::engine::{
    self, BinaryOp, ConstantOp, UnaryOp, binary, derivatives, gradcheck_inputs, sum_of_squares,
    unary, with_constant,
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

pub(super) fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
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
