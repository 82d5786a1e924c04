//! Graph pictures: a graph as nodes and edges, summarised per layer when large, and as DOT.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::super::backward::for_each_reachable;
use super::super::node::Node;
use super::super::ops::Op;
use super::super::tape::{Idx, Tape, with_tape};
use super::short;

/// How much of a graph to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Everything up to `SUMMARY_THRESHOLD` nodes, a summary above.
    Auto,
    /// Every node.
    Full,
    /// Parameters folded into their neurons, and neurons that share inputs into one layer box.
    Summary,
}

/// Graphs with more nodes than this are summarised by `Detail::Auto`.
pub const SUMMARY_THRESHOLD: usize = 200;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '{' | '}' | '|' | '<' | '>' | '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The graph of everything `out` depends on, as Graphviz DOT: one record per value (label, value,
/// gradient) and one node per op, left to right, like micrograd's `draw_dot`. Graphs of more
/// than [`SUMMARY_THRESHOLD`] nodes are summarised (see [`to_dot_with`]).
///
/// ```
/// use scalargrad::{Node, engine::to_dot};
/// let x = Node::new(2.0).with_label("x");
/// let y = (&x * 3.0).with_label("y");
/// y.backward();
/// let dot = to_dot(&y);
/// assert!(dot.starts_with("digraph"));
/// assert!(dot.contains("x | value 2.0000 | grad 3.0000"));
/// ```
pub fn to_dot(out: &Node) -> String {
    to_dot_with(out, Detail::Auto)
}

/// Like [`to_dot`] with a chosen level of detail. A summary folds each neuron's weights and bias
/// into the neuron, and neurons that read the same inputs into one box per layer, so an MLP
/// shows as inputs -> layers -> loss.
pub fn to_dot_with(out: &Node, detail: Detail) -> String {
    graph(out, detail).to_dot()
}

/// A drawable graph: what [`graph`] finds behind a node, ready for DOT or a web page.
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    /// The boxes, each value (or layer) before the op that made it is needed.
    pub nodes: Vec<GraphNode>,
    /// `(from, to)` node ids: each input of an op, into the op or the layer that reads it.
    pub edges: Vec<(String, String)>,
    /// The box each node is drawn in, by its [`Node::id`]: its own, or in a summary its layer's
    /// (for a neuron, and for a weight or bias folded into its neuron): how a backward pass's
    /// edges are placed on the drawing.
    pub drawn_in: BTreeMap<usize, String>,
}

/// One box of a [`Graph`].
#[derive(Clone, Debug, PartialEq)]
pub struct GraphNode {
    /// `n<index>` for a value or layer, `op<index>` for the op that made value `index`.
    pub id: String,
    /// What the box shows.
    pub kind: GraphNodeKind,
}

/// What a [`GraphNode`] shows.
#[derive(Clone, Debug, PartialEq)]
pub enum GraphNodeKind {
    /// A value: its label (or `#index`), value and gradient.
    Value {
        /// The label, or `#index`.
        title: String,
        /// The forward value.
        value: f64,
        /// The gradient of the latest backward pass.
        grad: f64,
    },
    /// The op that made a value (drawn as an ellipse feeding it).
    Op {
        /// The op as it is written (`+`, `tanh`, `dense relu`, ...).
        label: String,
        /// The id of the value it made.
        makes: String,
    },
    /// A summary: the neurons of one layer that read the same inputs, with their weights.
    Layer {
        /// The label of a one-neuron layer (`loss = `), else empty.
        title: String,
        /// Neurons in the box.
        neurons: usize,
        /// Their op's name.
        op: &'static str,
        /// Inputs each neuron reads.
        inputs: usize,
        /// Weights and biases folded in.
        parameters: usize,
        /// Smallest and largest value of the neurons.
        values: (f64, f64),
        /// Smallest and largest gradient of the neurons.
        grads: (f64, f64),
    },
}

/// The graph of everything `out` depends on, at `detail` (see [`to_dot_with`]): each value with
/// its gradient, each op, and (summarised) each layer.
///
/// ```
/// use scalargrad::{Node, engine::{Detail, GraphNodeKind, graph}};
/// let x = Node::new(2.0).with_label("x");
/// let y = (&x * 3.0).with_label("y");
/// y.backward();
/// let drawn = graph(&y, Detail::Full);
/// assert!(drawn.nodes.iter().any(|n| n.kind == GraphNodeKind::Value { title: "x".into(), value: 2.0, grad: 3.0 }));
/// ```
pub fn graph(out: &Node, detail: Detail) -> Graph {
    let mut reachable = BTreeSet::new();
    for_each_reachable(out, |_, index| {
        reachable.insert(index);
    });
    with_tape(|tape| {
        let summarise = match detail {
            Detail::Auto => reachable.len() > SUMMARY_THRESHOLD,
            Detail::Full => false,
            Detail::Summary => true,
        };
        graph_of(tape, &reachable, summarise)
    })
}

impl Graph {
    /// The graph as Graphviz DOT: one record per value (label, value, gradient) and one
    /// ellipse per op, left to right.
    pub fn to_dot(&self) -> String {
        let mut dot = String::from(
            "digraph graph_of_node {\n  rankdir=LR;\n  node [shape=record, fontname=\"sans-serif\"];\n",
        );
        for node in &self.nodes {
            let id = &node.id;
            let _ = match &node.kind {
                GraphNodeKind::Value { title, value, grad } => writeln!(
                    dot,
                    "  {id} [label=\"{{ {} | value {} | grad {} }}\"];",
                    escape(title),
                    short(*value),
                    short(*grad)
                ),
                GraphNodeKind::Op { label, makes } => writeln!(
                    dot,
                    "  {id} [label=\"{}\", shape=ellipse];\n  {id} -> {makes};",
                    escape(label)
                ),
                GraphNodeKind::Layer {
                    title,
                    neurons,
                    op,
                    inputs,
                    parameters,
                    values,
                    grads,
                } => {
                    let range = |(low, high): (f64, f64)| {
                        if *neurons == 1 {
                            short(low)
                        } else {
                            format!("{} .. {}", short(low), short(high))
                        }
                    };
                    let title = if title.is_empty() {
                        String::new()
                    } else {
                        format!("{} = ", escape(title))
                    };
                    writeln!(
                        dot,
                        "  {id} [label=\"{{ {title}layer: {neurons} x {} | {inputs} inputs, {parameters} parameters | values {} | grads {} }}\", style=filled, fillcolor=\"#eef3fb\"];",
                        escape(op),
                        range(*values),
                        range(*grads)
                    )
                }
            };
        }
        for (from, to) in &self.edges {
            let _ = writeln!(dot, "  {from} -> {to};");
        }
        dot.push_str("}\n");
        dot
    }
}

/// The `reachable` nodes as a [`Graph`]. With `summarise`, parameters are folded into their
/// neurons and neurons that read the same inputs are grouped into one box per layer.
fn graph_of(tape: &Tape, reachable: &BTreeSet<Idx>, summarise: bool) -> Graph {
    // neurons (Dense nodes) grouped by the run of inputs they read
    let mut layers: BTreeMap<(Idx, Idx), Vec<Idx>> = BTreeMap::new();
    let mut folded: BTreeSet<Idx> = BTreeSet::new();
    let mut neuron_of: BTreeMap<Idx, Idx> = BTreeMap::new();
    for &i in reachable.iter().filter(|_| summarise) {
        if let Op::Dense {
            parameters,
            inputs,
            len,
            ..
        } = tape.records.op(i)
        {
            layers.entry((inputs, len)).or_default().push(i);
            folded.extend(parameters..=parameters + len);
            for parameter in parameters..=parameters + len {
                neuron_of.insert(parameter, i);
            }
        }
    }
    // where each neuron is drawn: the layer box named after its first neuron
    let mut unit_of: BTreeMap<Idx, Idx> = BTreeMap::new();
    for members in layers.values() {
        for &m in members {
            unit_of.insert(m, members[0]);
        }
    }
    let unit = |i: Idx| unit_of.get(&i).copied().unwrap_or(i);
    /// Where an edge ends: a value's box, or an op's ellipse.
    #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum End {
        Value(Idx),
        Op(Idx),
    }
    let mut nodes = Vec::new();
    let mut edges = BTreeSet::new();
    for &i in reachable {
        if folded.contains(&i) && !unit_of.contains_key(&i) {
            continue; // a weight or bias, shown inside its neuron's box
        }
        let op = tape.records.op(i);
        if let (Op::Dense { inputs, len, .. }, true) = (op, summarise) {
            let members = &layers[&(inputs, len)];
            if members[0] != i {
                continue;
            }
            let span = |numbers: &mut dyn Iterator<Item = f64>| {
                numbers.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                    (a.min(x), b.max(x))
                })
            };
            let title = match (members.len(), tape.inspection.labels.get(&i)) {
                (1, Some(label)) => label.clone(),
                _ => String::new(),
            };
            nodes.push(GraphNode {
                id: format!("n{i}"),
                kind: GraphNodeKind::Layer {
                    title,
                    neurons: members.len(),
                    op: op.name(),
                    inputs: len as usize,
                    parameters: members.len() * (len as usize + 1),
                    values: span(&mut members.iter().map(|&m| tape.values[m as usize])),
                    grads: span(&mut members.iter().map(|&m| tape.gradient(m))),
                },
            });
            for k in inputs..inputs + len {
                edges.insert((unit(k), End::Value(i)));
            }
            continue;
        }
        let title = tape
            .inspection
            .labels
            .get(&i)
            .cloned()
            .unwrap_or_else(|| format!("#{i}"));
        nodes.push(GraphNode {
            id: format!("n{i}"),
            kind: GraphNodeKind::Value {
                title,
                value: tape.values[i as usize],
                grad: tape.gradient(i),
            },
        });
        if !matches!(op, Op::Leaf | Op::Constant) {
            nodes.push(GraphNode {
                id: format!("op{i}"),
                kind: GraphNodeKind::Op {
                    label: op.label(),
                    makes: format!("n{i}"),
                },
            });
            op.for_each_parent(&tape.records.operands, |p| {
                edges.insert((unit(p), End::Op(i)));
            });
        }
    }
    let edges = edges
        .into_iter()
        .map(|(from, to)| {
            let to = match to {
                End::Value(to) => format!("n{to}"),
                End::Op(to) => format!("op{to}"),
            };
            (format!("n{from}"), to)
        })
        .collect();
    let drawn_in = reachable
        .iter()
        .map(|&i| {
            let neuron = neuron_of.get(&i).copied().unwrap_or(i);
            (i as usize, format!("n{}", unit(neuron)))
        })
        .collect();
    Graph {
        nodes,
        edges,
        drawn_in,
    }
}
