//! Every op's value and derivatives against closed forms and finite differences, and random
//! expression graphs against an independent forward-mode (dual number) evaluation.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use scalargrad::engine::{self, gradcheck_inputs};
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
// and paths merge. The engine's gradients must match forward-mode dual numbers (an independent
// way of computing the same derivatives) and finite differences.

const INPUTS: usize = 3;

#[derive(Clone, Debug)]
enum Step {
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    /// a / (2 + sin b): a denominator that never reaches 0
    Div(usize, usize),
    Neg(usize),
    Pow(usize, f64),
    /// (1 + a^2) ^ (b / 4)
    PowNode(usize, usize),
    /// exp(tanh a)
    Exp(usize),
    /// log(1 + a^2)
    Log(usize),
    Sin(usize),
    Cos(usize),
    Tanh(usize),
    Relu(usize),
    Sigmoid(usize),
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
    fn constant(value: f64) -> Dual {
        Dual { value, slope: 0.0 }
    }
    fn add(self, o: Dual) -> Dual {
        Dual {
            value: self.value + o.value,
            slope: self.slope + o.slope,
        }
    }
    fn sub(self, o: Dual) -> Dual {
        Dual {
            value: self.value - o.value,
            slope: self.slope - o.slope,
        }
    }
    fn mul(self, o: Dual) -> Dual {
        Dual {
            value: self.value * o.value,
            slope: self.slope * o.value + self.value * o.slope,
        }
    }
    fn div(self, o: Dual) -> Dual {
        let value = self.value / o.value;
        Dual {
            value,
            slope: (self.slope - value * o.slope) / o.value,
        }
    }
    fn chain(self, value: f64, derivative: f64) -> Dual {
        Dual {
            value,
            slope: derivative * self.slope,
        }
    }
    fn exp(self) -> Dual {
        self.chain(self.value.exp(), self.value.exp())
    }
    fn ln(self) -> Dual {
        self.chain(self.value.ln(), 1.0 / self.value)
    }
    fn sin(self) -> Dual {
        self.chain(self.value.sin(), self.value.cos())
    }
    fn cos(self) -> Dual {
        self.chain(self.value.cos(), -self.value.sin())
    }
    fn tanh(self) -> Dual {
        let t = self.value.tanh();
        self.chain(t, 1.0 - t * t)
    }
    fn powf(self, n: f64) -> Dual {
        self.chain(self.value.powf(n), n * self.value.powf(n - 1.0))
    }
    fn pow_dual(self, e: Dual) -> Dual {
        // d(a^b) = a^b (b' ln a + b a'/a)
        let value = self.value.powf(e.value);
        Dual {
            value,
            slope: value * (e.slope * self.value.ln() + e.value * self.slope / self.value),
        }
    }
}

/// Evaluates the program in dual numbers, seeding input `direction`. None if a value leaves the
/// region where the derivative is well defined and finite differences are accurate.
fn evaluate_dual(inputs: &[f64], program: &[Step], direction: usize) -> Option<Dual> {
    let mut values: Vec<Dual> = inputs
        .iter()
        .enumerate()
        .map(|(i, &v)| Dual {
            value: v,
            slope: if i == direction { 1.0 } else { 0.0 },
        })
        .collect();
    let one = Dual::constant(1.0);
    for step in program {
        let v = |i: usize| values[i % values.len()];
        let next = match step {
            Step::Add(a, b) => v(*a).add(v(*b)),
            Step::Sub(a, b) => v(*a).sub(v(*b)),
            Step::Mul(a, b) => v(*a).mul(v(*b)),
            Step::Div(a, b) => v(*a).div(Dual::constant(2.0).add(v(*b).sin())),
            Step::Neg(a) => Dual::constant(0.0).sub(v(*a)),
            Step::Pow(a, n) => v(*a).powf(*n),
            Step::PowNode(a, b) => one
                .add(v(*a).powf(2.0))
                .pow_dual(v(*b).mul(Dual::constant(0.25))),
            Step::Exp(a) => v(*a).tanh().exp(),
            Step::Log(a) => one.add(v(*a).powf(2.0)).ln(),
            Step::Sin(a) => v(*a).sin(),
            Step::Cos(a) => v(*a).cos(),
            Step::Tanh(a) => v(*a).tanh(),
            Step::Relu(a) => {
                let x = v(*a);
                if x.value.abs() < 1e-3 {
                    return None; // too close to the kink for a finite difference
                }
                if x.value > 0.0 {
                    x
                } else {
                    Dual::constant(0.0)
                }
            }
            Step::Sigmoid(a) => {
                let s = 1.0 / (1.0 + (-v(*a).value).exp());
                v(*a).chain(s, s * (1.0 - s))
            }
            Step::Sum(terms) => terms.iter().fold(Dual::constant(0.0), |t, &i| t.add(v(i))),
            Step::Linear(pairs, bias) => pairs
                .iter()
                .fold(v(*bias), |t, &(w, x)| t.add(v(w).mul(v(x)))),
        };
        if !next.value.is_finite() || !next.slope.is_finite() || next.value.abs() > 1e4 {
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
            Step::Add(a, b) => v(*a) + v(*b),
            Step::Sub(a, b) => v(*a) - v(*b),
            Step::Mul(a, b) => v(*a) * v(*b),
            Step::Div(a, b) => v(*a) / (2.0 + v(*b).sin()),
            Step::Neg(a) => -v(*a),
            Step::Pow(a, n) => v(*a).pow(*n),
            Step::PowNode(a, b) => (1.0 + v(*a).pow(2.0)).pow_node(&(v(*b) * 0.25)),
            Step::Exp(a) => v(*a).tanh().exp(),
            Step::Log(a) => (1.0 + v(*a).pow(2.0)).log(),
            Step::Sin(a) => v(*a).sin(),
            Step::Cos(a) => v(*a).cos(),
            Step::Tanh(a) => v(*a).tanh(),
            Step::Relu(a) => v(*a).relu(),
            Step::Sigmoid(a) => v(*a).sigmoid(),
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
    prop_oneof![
        (index.clone(), index.clone()).prop_map(|(a, b)| Step::Add(a, b)),
        (index.clone(), index.clone()).prop_map(|(a, b)| Step::Sub(a, b)),
        (index.clone(), index.clone()).prop_map(|(a, b)| Step::Mul(a, b)),
        (index.clone(), index.clone()).prop_map(|(a, b)| Step::Div(a, b)),
        index.clone().prop_map(Step::Neg),
        (index.clone(), prop_oneof![Just(2.0), Just(3.0)]).prop_map(|(a, n)| Step::Pow(a, n)),
        (index.clone(), index.clone()).prop_map(|(a, b)| Step::PowNode(a, b)),
        index.clone().prop_map(Step::Exp),
        index.clone().prop_map(Step::Log),
        index.clone().prop_map(Step::Sin),
        index.clone().prop_map(Step::Cos),
        index.clone().prop_map(Step::Tanh),
        index.clone().prop_map(Step::Relu),
        index.clone().prop_map(Step::Sigmoid),
        prop::collection::vec(index.clone(), 1..5).prop_map(Step::Sum),
        (
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
        rng_seed: RngSeed::Fixed(20261128),
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn random_graphs_match_dual_numbers_and_finite_differences(
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
