//! Seeing inside the engine: graph export, gradient explanations, anomaly detection.

use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;

use rand::{SeedableRng, rngs::StdRng};
use scalargrad::data::Generator;
use scalargrad::engine::{
    AnomalyKind, Detail, add, detect_anomalies, explain, mul, record_contributions, take_anomaly,
    to_dot, to_dot_with,
};
use scalargrad::nn::Mlp;
use scalargrad::nn::loss::Loss;
use scalargrad::train::{self, Stop, TrainConfig};
use scalargrad::{Node, backward, zero_grad};

/// Checks DOT text the way Graphviz would reject it: one `digraph { ... }`, balanced quotes and
/// record braces in every label, and every edge between declared nodes. Returns (declared nodes,
/// edges).
fn parse_dot(dot: &str) -> (BTreeSet<String>, Vec<(String, String)>) {
    let lines: Vec<&str> = dot.lines().collect();
    assert!(
        lines[0].starts_with("digraph ") && lines[0].ends_with('{'),
        "{}",
        lines[0]
    );
    assert_eq!(*lines.last().expect("lines"), "}");
    let mut declared = BTreeSet::new();
    let mut edges = Vec::new();
    for line in &lines[1..lines.len() - 1] {
        let line = line.trim();
        assert!(line.ends_with(';'), "statement without ';': {line}");
        if line.starts_with("rankdir") || line.starts_with("node [") {
            continue;
        }
        if let Some((from, to)) = line.trim_end_matches(';').split_once(" -> ") {
            edges.push((from.to_string(), to.to_string()));
            continue;
        }
        let (id, attributes) = line.split_once(" [").expect("a declaration");
        // quotes balance (ignoring escaped ones), and so do record braces inside the label
        let unescaped: Vec<char> = {
            let mut out = Vec::new();
            let mut chars = attributes.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    chars.next();
                } else {
                    out.push(c);
                }
            }
            out
        };
        assert_eq!(
            unescaped.iter().filter(|&&c| c == '"').count() % 2,
            0,
            "{line}"
        );
        let opens = unescaped.iter().filter(|&&c| c == '{').count();
        assert_eq!(
            opens,
            unescaped.iter().filter(|&&c| c == '}').count(),
            "{line}"
        );
        assert!(declared.insert(id.to_string()), "declared twice: {id}");
    }
    for (from, to) in &edges {
        assert!(declared.contains(from), "edge from undeclared {from}");
        assert!(declared.contains(to), "edge to undeclared {to}");
    }
    (declared, edges)
}

#[test]
fn dot_of_micrograds_neuron_has_every_value_and_op() {
    let x1 = Node::new(2.0).with_label("x1");
    let x2 = Node::new(0.0).with_label("x2");
    let w1 = Node::new(-3.0).with_label("w1");
    let w2 = Node::new(1.0).with_label("w2");
    let b = Node::new(6.881_373_587_019_543).with_label("b");
    let n = (&x1 * &w1 + &x2 * &w2 + &b).with_label("n");
    let o = n.tanh().with_label("o {odd|name}");
    o.backward();
    let dot = to_dot(&o);
    let (declared, edges) = parse_dot(&dot);
    // 5 leaves + 2 products + 2 sums + tanh = 10 values, 5 of them made by ops
    assert_eq!(declared.len(), 10 + 5);
    assert_eq!(
        edges.len(),
        5 /* op -> value */ + 2 * 4 + 1 /* value -> op */
    );
    for expected in [
        "x1 | value 2.0000 | grad -1.5000",
        "w1 | value -3.0000 | grad 1.0000",
        "x2 | value 0.0000 | grad 0.5000",
        "w2 | value 1.0000 | grad 0.0000",
        "n | value 0.8814 | grad 0.5000",
        "o \\{odd\\|name\\} | value 0.7071 | grad 1.0000",
        "label=\"tanh\", shape=ellipse",
    ] {
        assert!(dot.contains(expected), "missing {expected:?} in\n{dot}");
    }
}

#[test]
fn a_large_graph_is_summarised_one_box_per_layer() {
    let data = Generator::Moons.generate(10, 0.1, &mut StdRng::seed_from_u64(0));
    let model = train::build_model(&TrainConfig::default(), &data).expect("moons take hinge");
    let loss = train::example_graph(&model, &[0.5, -0.2], 1.0);
    let full = to_dot_with(&loss, Detail::Full);
    let (full_nodes, _) = parse_dot(&full);
    assert!(
        full_nodes.len() > 337,
        "every parameter drawn: {}",
        full_nodes.len()
    );
    let dot = to_dot(&loss);
    let (declared, edges) = parse_dot(&dot);
    assert!(declared.len() < 30, "{} boxes:\n{dot}", declared.len());
    assert_eq!(dot.matches("layer: 16 x relu(linear)").count(), 2, "{dot}");
    assert!(
        dot.contains("score = layer: 1 x linear | 16 inputs, 17 parameters"),
        "{dot}"
    );
    assert!(dot.contains("2 inputs, 48 parameters"));
    // inputs feed the first layer, which feeds the second
    let first = declared
        .iter()
        .find(|id| {
            dot.contains(&format!(
                "{id} [label=\"{{ layer: 16 x relu(linear) | 2 inputs"
            ))
        })
        .expect("first layer");
    assert!(edges.iter().filter(|(_, to)| to == first).count() == 2);
}

#[test]
fn explanations_sum_to_the_gradient() {
    record_contributions(true);
    // the notebook's puzzle: 20 = 2 (left from the first pass) + 9 + 9
    let x = Node::new(5.0).with_label("x");
    let y = Node::new(4.0).with_label("y");
    backward(&add(&x, &x));
    let z = mul(&add(&x, &y), &add(&x, &y));
    backward(&z);
    let why = explain(&x);
    assert_eq!(why.grad, 20.0);
    let terms: Vec<(u32, f64, f64, f64)> = why
        .contributions
        .iter()
        .map(|c| (c.pass, c.local, c.upstream, c.product))
        .collect();
    let first_pass = why.contributions[0].pass;
    assert_eq!(
        terms,
        [
            (first_pass, 1.0, 1.0, 1.0),
            (first_pass, 1.0, 1.0, 1.0),
            (first_pass + 1, 1.0, 9.0, 9.0),
            (first_pass + 1, 1.0, 9.0, 9.0)
        ]
    );
    assert!(why.contributions.iter().all(|c| c.consumer_op == "+"));
    assert_eq!(why.unexplained, 0.0);
    let text = why.to_string();
    assert!(text.starts_with("\"x\".grad = 20"), "{text}");
    assert!(text.ends_with("sum = 20"), "{text}");

    // after zero_grad the history starts again
    zero_grad(&z);
    backward(&z);
    assert_eq!(explain(&x).contributions.len(), 2);
    assert_eq!(explain(&x).grad, 18.0);

    // a bigger graph: every node's explanation adds up
    let a = Node::new(0.3);
    let b = Node::new(-1.2);
    let shared = (&a * &b).sin();
    let out = (&shared * &shared + a.exp() * &shared - b.tanh()).with_label("out");
    out.backward();
    for node in [&a, &b, &shared] {
        let why = explain(node);
        let total: f64 = why.contributions.iter().map(|c| c.product).sum();
        assert!(
            (total - why.grad).abs() <= 1e-15 * why.grad.abs().max(1.0),
            "{why}"
        );
        assert_eq!(why.unexplained, 0.0);
    }
    assert!(explain(&out).seeded);
    record_contributions(false);
    assert!(explain(&a).contributions.is_empty());
}

#[test]
fn anomalies_name_the_op_and_the_line() {
    detect_anomalies(true);
    let x = Node::new(3.0).with_label("x");
    let shifted = &x - 5.0;
    let (y, line) = (shifted.log() * 2.0, line!());
    assert!(y.value().is_nan());
    let anomaly = take_anomaly().expect("a NaN value");
    assert_eq!(anomaly.kind, AnomalyKind::Value);
    assert_eq!(anomaly.op, "log");
    assert_eq!(anomaly.inputs, vec![-2.0]);
    let location = anomaly.location.expect("a location");
    assert_eq!((location.file(), location.line()), (file!(), line));
    assert!(
        anomaly
            .to_string()
            .contains(&format!("made by `log` at {}:{line}", file!()))
    );
    assert!(take_anomaly().is_none(), "taken");

    // a gradient born infinite: d sqrt(z)/dz at 0
    let z = Node::new(0.0).with_label("z");
    let (root, line) = (z.pow(0.5), line!());
    let out = &root * 3.0;
    out.backward();
    let anomaly = take_anomaly().expect("an infinite gradient");
    assert_eq!(anomaly.kind, AnomalyKind::Gradient);
    assert_eq!(anomaly.label.as_deref(), Some("z"));
    let via = anomaly.via.expect("the edge");
    assert_eq!(
        (via.op, via.local, via.upstream),
        ("pow", f64::INFINITY, 3.0)
    );
    assert_eq!(via.location.expect("a location").line(), line);
    detect_anomalies(false);

    // while detection is off nothing is kept
    let _ = Node::new(-1.0).log();
    assert!(take_anomaly().is_none());
}

#[test]
fn a_diverging_run_reports_its_first_non_finite_number() {
    let data = Generator::Moons.generate(40, 0.1, &mut StdRng::seed_from_u64(0));
    let config = TrainConfig {
        lr: 1e6,
        loss: Loss::Mse,
        ..TrainConfig::default()
    };
    let result =
        train::train(&config, &data, &data, |_| {}, &AtomicBool::new(false)).expect("trains");
    assert!(matches!(result.stop, Stop::Diverged { .. }));
    let anomaly = result.anomaly.expect("found");
    assert!(!anomaly.number.is_finite());
    assert!(anomaly.location.is_some());
}

#[test]
fn the_examples_show_each_tool() {
    let explained = crate::common::run_example("explain");
    assert!(
        explained.starts_with("1 20 18\n\"x\".grad = 20\n"),
        "{explained}"
    );
    assert!(
        explained.contains("backward pass 1: +2") && explained.contains("sum = 20"),
        "{explained}"
    );
    let anomalies = crate::common::run_example("anomaly");
    assert!(anomalies.contains("value NaN at node #"), "{anomalies}");
    assert!(
        anomalies.contains("made by `log` at examples/anomaly.rs:14:"),
        "{anomalies}"
    );
    assert!(
        anomalies.contains("through `pow` made at examples/anomaly.rs:22:"),
        "{anomalies}"
    );
    let graph = crate::common::run_example("graph");
    let (declared, _) = parse_dot(&graph);
    assert_eq!(declared.len(), 10 + 5);
}

#[test]
fn anomalies_inside_a_whole_network_forward_are_caught_at_their_neuron() {
    // Mlp::forward records all its layers at once; detection must still see every node
    let model = Mlp::new(2, &[3, 1], &mut StdRng::seed_from_u64(0));
    let second = &model.layers()[0].neurons()[1];
    second.weights()[0].set_value(1e300);
    detect_anomalies(true);
    let inputs = [Node::new(1e300), Node::new(1.0)];
    let scores = model.forward(&inputs);
    detect_anomalies(false);
    assert!(!scores[0].value().is_finite());
    let anomaly = take_anomaly().expect("an infinite value");
    assert_eq!(anomaly.kind, AnomalyKind::Value);
    assert_eq!(anomaly.op, "relu(linear)");
    assert_eq!(anomaly.number, f64::INFINITY);
    // the second neuron's parents: its weights and bias, then the inputs
    let mut expected: Vec<f64> = second.weights().iter().map(Node::value).collect();
    expected.push(second.bias().value());
    expected.extend([1e300, 1.0]);
    let mut seen = anomaly.inputs.clone();
    seen.sort_by(f64::total_cmp);
    expected.sort_by(f64::total_cmp);
    assert_eq!(seen, expected);
    assert!(anomaly.location.is_some());
}
