//! The lab: every preset prints what the notebook printed, a backward pass replays edge by edge
//! with the engine's numbers, and bad or oversized programs are named errors.

use scalargrad::lab::{self, Event, LabError, PRESETS};

fn run(program: &str) -> lab::LabRun {
    lab::run(program).unwrap_or_else(|e| panic!("{e}\n{program}"))
}

#[test]
fn every_preset_prints_what_the_notebook_printed() {
    // the notebook's saved outputs, in order (its gradient-check table is cut short in the file)
    let notebook = include_str!("../data/notebook_output.txt");
    let printed: String = PRESETS[..11]
        .iter()
        .map(|p| run(p.program).output)
        .collect();
    assert!(
        printed.starts_with(notebook),
        "the presets print:\n{printed}\nthe notebook printed:\n{notebook}"
    );
    let table = run(PRESETS[10].program);
    assert_eq!(table.checks.len(), 17);
    assert!(table.checks.iter().all(|c| c.passed));
    assert_eq!(table.checks[11].expression, "(x + 1)(x + 1)");
    assert_eq!(table.checks[11].analytic, 6.0); // d/dx (x + 1)^2 at 2
}

#[test]
fn a_second_backward_adds_the_same_here_and_more_in_the_notebooks_engine() {
    let preset = PRESETS
        .iter()
        .find(|p| p.name == "backward twice")
        .expect("listed");
    let ran = run(preset.program);
    // z = 2 x^2: dz/dx = 4x = 12 per pass
    assert_eq!(ran.output, "12\n24\n");
    let x = ran
        .nodes
        .iter()
        .find(|n| n.label.as_deref() == Some("x"))
        .expect("x");
    assert_eq!(x.grad, 24.0);
    // the notebook keeps y.grad = 2 from the first pass and adds 2 more: x gets 4 * 3 * 2 = 24
    assert_eq!(x.notebook_grad, 12.0 + 24.0);
}

/// (target, from, local, upstream, before, after) of every edge, by label.
fn edges(ran: &lab::LabRun) -> Vec<(String, String, f64, f64, f64, f64)> {
    let name = |id: usize| {
        let node = ran
            .nodes
            .iter()
            .find(|n| n.id == id)
            .expect("every edge names a node");
        node.label
            .clone()
            .unwrap_or_else(|| format!("{}#{}", node.op, id))
    };
    ran.events
        .iter()
        .filter_map(|e| match e {
            Event::Edge {
                node,
                from,
                local,
                upstream,
                before,
                after,
                ..
            } => Some((name(*node), name(*from), *local, *upstream, *before, *after)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_events_of_a_square_of_a_sum_one_by_one() {
    let ran = run("x = Node(5)\ny = Node(4)\nz = (x + y) * (x + y)\nbackward(z)");
    // five creations (x, y, the two sums, z), the seed, six edges
    let kinds: Vec<&str> = ran
        .events
        .iter()
        .map(|e| match e {
            Event::Create { .. } => "create",
            Event::Seed { .. } => "seed",
            Event::Edge { .. } => "edge",
            Event::Reset { .. } => "reset",
            Event::Print { .. } => "print",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "create", "create", "create", "create", "create", "seed", "edge", "edge", "edge",
            "edge", "edge", "edge"
        ]
    );
    let values: Vec<f64> = ran.nodes.iter().map(|n| n.value).collect();
    assert_eq!(values, [5.0, 4.0, 9.0, 9.0, 81.0]);
    let (first, second) = (
        format!("+#{}", ran.nodes[2].id),
        format!("+#{}", ran.nodes[3].id),
    );
    let s = |x: &str| x.to_string();
    // consumers in reverse creation order (z, the second sum, the first), each one's operands
    // left to right: z's (local = the other sum, 9), then each sum's (local 1, upstream 9);
    // x and y collect 9 + 9 = 18
    assert_eq!(
        edges(&ran),
        [
            (first.clone(), s("z"), 9.0, 1.0, 0.0, 9.0),
            (second.clone(), s("z"), 9.0, 1.0, 0.0, 9.0),
            (s("x"), second.clone(), 1.0, 9.0, 0.0, 9.0),
            (s("y"), second, 1.0, 9.0, 0.0, 9.0),
            (s("x"), first.clone(), 1.0, 9.0, 9.0, 18.0),
            (s("y"), first, 1.0, 9.0, 9.0, 18.0),
        ]
    );
    // the timeline ends where the engine does
    for node in &ran.nodes {
        let last = ran.events.iter().rev().find_map(|e| match e {
            Event::Edge { node: n, after, .. } | Event::Seed { node: n, after, .. }
                if *n == node.id =>
            {
                Some(*after)
            }
            _ => None,
        });
        assert_eq!(last.unwrap_or(0.0), node.grad, "node {}", node.id);
    }
    let texts: Vec<String> = ran
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Edge { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        texts[4],
        format!("x.grad += #{}.grad x local = 9 x 1 -> 18", ran.nodes[2].id)
    );
    // the notebook's post-order DFS: x, y, the first sum, the second sum, z
    let ids: Vec<usize> = ran.nodes.iter().map(|n| n.id).collect();
    assert_eq!(ran.topo, [ids[0], ids[1], ids[2], ids[3], ids[4]]);
    assert_eq!(ran.focus, Some(ids[4]));
    let named: Vec<(&str, f64, f64)> = ran
        .variables
        .iter()
        .map(|v| (v.name.as_str(), v.value, v.grad))
        .collect();
    assert_eq!(
        named,
        [("x", 5.0, 18.0), ("y", 4.0, 18.0), ("z", 81.0, 1.0)]
    );
}

#[test]
fn zero_grad_and_a_second_backward_show_their_resets() {
    let ran = run(
        "x = Node(2)\nz = x * x + 1\nz.backward()\nz.backward()\nzero_grad(z)\nprint(x.grad, z.grad)",
    );
    let resets: Vec<(&str, usize)> = ran
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Reset { by, nodes, .. } => Some((*by, nodes.len())),
            _ => None,
        })
        .collect();
    // the second backward starts the product and the sum from 0; zero_grad resets all four nodes
    assert_eq!(resets, [("backward", 2), ("zero_grad", 4)]);
    assert_eq!(ran.output, "0 0\n");
}

#[test]
fn bad_programs_are_named_errors() {
    let long = format!("x = Node(1)\n{}", "y = x * 2\n".repeat(3000));
    let many_nodes = format!(
        "x = Node(1)\n{}",
        format!("z = x{}\n", "*x".repeat(99)).repeat(90)
    );
    let chain = format!("y = y{}\n", "*x".repeat(99)).repeat(10);
    let many_events = format!("x = Node(1)\ny = x\n{chain}{}", "backward(y)\n".repeat(30));
    let deep = format!("x = {}1{}", "(".repeat(150), ")".repeat(150));
    let wide = format!("x = Node(1)\nz = x{}", " * x".repeat(120));
    let cases: [(&str, &str); 12] = [
        (
            "x = Node(5)\ny = x +",
            "line 2, column 8: expected an expression, found the end of the line",
        ),
        (
            "x = Node(5)\nz = x * w",
            "line 2, column 9: `w` is not defined",
        ),
        (
            "x = Node(5)\nz = frob(x)",
            "line 2, column 5: unknown function `frob`",
        ),
        ("x = 5 $ 3", "line 1, column 7: unexpected character `$`"),
        (
            "print(x",
            "line 1, column 8: expected `)` to close `print(`",
        ),
        (
            "x = Node(1)\nbackward(3)",
            "line 2, column 1: `backward` needs a node",
        ),
        (
            "x = Node(1)\ngradcheck(x * y, 1.0)",
            "gradcheck takes an expression in one variable",
        ),
        (&long, "the lab runs programs of up to 20000"),
        (&many_nodes, "more than 5000 nodes"),
        (&many_events, "more than 50000 steps to show"),
        (&deep, "nested more than 100 levels deep"),
        (
            &wide,
            "line 2, column 407: more than 100 operations on one line",
        ),
    ];
    for (program, expected) in cases {
        let error = lab::run(program).expect_err(expected).to_string();
        assert!(
            error.contains(expected),
            "{error:?} should contain {expected:?}"
        );
    }
    assert!(matches!(lab::run(&long), Err(LabError::Limit(_))));
}

#[test]
fn a_power_keeps_its_exponent_for_the_drawing() {
    let ran = run("x = Node(5)\nz = x ** 2\nw = x ** x");
    let exponents: Vec<Option<f64>> = ran.nodes.iter().map(|n| n.exponent).collect();
    // x, x ** 2 (a number exponent), x ** x (a node exponent: none)
    assert_eq!(exponents, [None, Some(2.0), None]);
}

#[test]
fn numbers_print_as_the_notebooks_python_prints_them() {
    let ran =
        run("x = Node(2.5)\nz = x * 4\nbackward(z)\nprint(z.value, x.grad, 2.0, 7, 1 / 3, z.grad)");
    assert_eq!(ran.output, "10 4 2.0 7 0.3333333333333333 1\n");
}
