//! Seeing inside the engine: labels, graph pictures (Graphviz DOT), gradient explanations and
//! anomaly detection. Everything here is opt-in and costs nothing while it is off.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::panic::Location;

use super::backward::for_each_reachable;
use super::node::Node;
use super::ops::Op;
use super::record::Records;
use super::tape::{Idx, Tape, with_tape};

/// Per-tape inspection state.
#[derive(Default)]
pub(crate) struct Inspection {
    /// Names given with `Node::with_label`.
    labels: BTreeMap<Idx, String>,
    /// Where user code made each node, while anomaly detection is on.
    locations: BTreeMap<Idx, &'static Location<'static>>,
    /// Anomaly detection on?
    detecting: bool,
    /// The first anomaly since detection was turned on or the last was taken.
    anomaly: Option<Anomaly>,
    /// Recording gradient contributions?
    recording: bool,
    /// Every contribution recorded, oldest first.
    contributions: Vec<Contribution>,
    /// Number of backward passes run while recording.
    passes: u32,
}

impl Inspection {
    pub(crate) const fn new() -> Inspection {
        Inspection {
            labels: BTreeMap::new(),
            locations: BTreeMap::new(),
            detecting: false,
            anomaly: None,
            recording: false,
            contributions: Vec::new(),
            passes: 0,
        }
    }

    /// True when backward has to report each contribution (`observe`).
    pub(crate) fn observing(&self) -> bool {
        self.detecting || self.recording
    }

    /// Drops what is known about nodes `first` and above (they were popped).
    pub(crate) fn forget_from(&mut self, first: Idx) {
        if !self.labels.is_empty() {
            self.labels.split_off(&first);
        }
        if !self.locations.is_empty() {
            self.locations.split_off(&first);
        }
        if !self.contributions.is_empty() {
            // a contribution stays part of its target's history after its consumer is gone
            self.contributions.retain(|c| c.target < first);
        }
    }

    /// Forgets the recorded contributions to `target` (its gradient was reset).
    pub(crate) fn forget_contributions_to(&mut self, target: Idx) {
        if !self.contributions.is_empty() {
            self.contributions.retain(|c| c.target != target);
        }
    }

    /// True while anomaly detection watches every new node.
    pub(crate) fn detecting(&self) -> bool {
        self.detecting
    }

    /// Called for each new node, with the place in user code that made it.
    #[inline] // once per node: the common case (detection off) must cost one test
    pub(crate) fn created(
        &mut self,
        index: Idx,
        location: &'static Location<'static>,
        op: impl FnOnce() -> Op,
        values: &[f64],
        operands: &[Idx],
    ) {
        // `op` made here, only when needed: a reference to the new op would keep it in memory,
        // and the push that follows then reloads it, stalling on the stores that just wrote it
        // (perf on W showed it); an op by value was still written to the stack before the test
        // (four instructions per node in bench/examples/chain.rs)
        if self.detecting {
            self.watch_created(index, location, &op(), values, operands);
        }
    }

    #[cold]
    fn watch_created(
        &mut self,
        index: Idx,
        location: &'static Location<'static>,
        op: &Op,
        values: &[f64],
        operands: &[Idx],
    ) {
        self.locations.insert(index, location);
        let value = values[index as usize];
        if !value.is_finite() && self.anomaly.is_none() {
            let mut inputs = Vec::new();
            op.for_each_parent(operands, |p| inputs.push(values[p as usize]));
            self.anomaly = Some(Anomaly {
                kind: AnomalyKind::Value,
                node: index,
                op: op.name(),
                label: self.labels.get(&index).cloned(),
                location: Some(location),
                number: value,
                inputs,
                via: None,
            });
        }
    }

    /// Called by backward for each edge while observing: `local * upstream` was added to
    /// `target`'s gradient on behalf of `consumer`.
    #[cold]
    pub(crate) fn observe(&mut self, records: &Records, values: &[f64], edge: Edge) {
        if self.recording {
            let consumer_op = records.op(edge.consumer).name();
            self.contributions.push(Contribution {
                pass: self.passes,
                target: edge.target,
                consumer: match self.labels.get(&edge.consumer) {
                    Some(label) => format!("{label:?}"),
                    None => format!("#{}", edge.consumer),
                },
                consumer_op,
                local: edge.local,
                upstream: edge.upstream,
                product: edge.product,
            });
        }
        if self.detecting
            && self.anomaly.is_none()
            && !edge.product.is_finite()
            && edge.upstream.is_finite()
        {
            let op = records.op(edge.target);
            self.anomaly = Some(Anomaly {
                kind: AnomalyKind::Gradient,
                node: edge.target,
                op: op.name(),
                label: self.labels.get(&edge.target).cloned(),
                location: self.locations.get(&edge.target).copied(),
                number: edge.product,
                inputs: vec![values[edge.target as usize]],
                via: Some(Via {
                    op: records.op(edge.consumer).name(),
                    location: self.locations.get(&edge.consumer).copied(),
                    local: edge.local,
                    upstream: edge.upstream,
                }),
            });
        }
    }

    /// Starts a backward pass.
    pub(crate) fn start_pass(&mut self) {
        if self.recording {
            self.passes += 1;
        }
    }
}

/// One edge of a backward pass, as `observe` sees it.
pub(crate) struct Edge {
    pub(crate) consumer: Idx,
    pub(crate) target: Idx,
    pub(crate) local: f64,
    pub(crate) upstream: f64,
    pub(crate) product: f64,
}

/// Gives `node` a name, shown in graph pictures, explanations and anomaly reports.
pub(crate) fn set_label(node: &Node, label: String) {
    with_tape(|tape| {
        tape.inspection.labels.insert(node.index(), label);
    })
}

/// The label of node `index`, if it has one.
pub(crate) fn label_of(index: Idx) -> Option<String> {
    with_tape(|tape| tape.inspection.labels.get(&index).cloned())
}

/// How to call node `index` in a report: its label, else its op and number.
fn describe(tape: &Tape, index: Idx) -> String {
    match tape.inspection.labels.get(&index) {
        Some(label) => format!("{label:?}"),
        None => format!("#{index} ({})", tape.records.op(index).name()),
    }
}

// ---------------------------------------------------------------------------------------------
// Explaining a gradient

/// Starts (or stops) recording every contribution that backward passes add to gradients, so
/// that [`explain`] can itemise them. Recording costs time and memory; it is off by default.
pub fn record_contributions(on: bool) {
    with_tape(|tape| {
        tape.inspection.recording = on;
        if !on {
            tape.inspection.contributions.clear();
        }
    })
}

/// One term of a gradient: `local * upstream` added through one edge in one backward pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Contribution {
    /// Which recorded backward pass (1 for the first).
    pub pass: u32,
    target: Idx,
    /// The node that used this one (the edge's other end): its label, or its number.
    pub consumer: String,
    /// That node's op.
    pub consumer_op: &'static str,
    /// d(consumer)/d(this node).
    pub local: f64,
    /// d(output)/d(consumer) in that pass.
    pub upstream: f64,
    /// `local * upstream`, what was added.
    pub product: f64,
}

/// Why a node's gradient is what it is: every recorded contribution to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// How the node is called (its label, or its number and op).
    pub node: String,
    /// Its gradient now.
    pub grad: f64,
    /// True if the node was the output of the latest pass (seeded with d(out)/d(out) = 1).
    pub seeded: bool,
    /// Each recorded contribution, by pass: the terms that sum to the gradient.
    pub contributions: Vec<Contribution>,
    /// The part of the gradient not accounted for by recorded contributions (added while
    /// recording was off); 0 when everything was recorded.
    pub unexplained: f64,
}

/// Explains `node`'s gradient: every contribution recorded since it was last reset, by
/// backward pass and edge, summing to the gradient shown.
///
/// Contributions are recorded only while [`record_contributions`] is on.
///
/// ```
/// use scalargrad::{Node, backward, engine::{add, explain, mul, record_contributions}};
/// record_contributions(true);
/// let x = Node::new(5.0).with_label("x");
/// let y = Node::new(4.0).with_label("y");
/// backward(&add(&x, &x));                             // pass 1 adds 1 + 1
/// backward(&mul(&add(&x, &y), &add(&x, &y)));       // pass 2 adds 9 + 9
/// let why = explain(&x);
/// assert_eq!(why.grad, 20.0); // the notebook's puzzle: no zero_grad in between
/// let per_pass: Vec<(u32, f64)> = why.contributions.iter().map(|c| (c.pass, c.product)).collect();
/// assert_eq!(per_pass, [(1, 1.0), (1, 1.0), (2, 9.0), (2, 9.0)]);
/// println!("{why}");
/// record_contributions(false);
/// ```
pub fn explain(node: &Node) -> Explanation {
    with_tape(|tape| {
        let index = node.index();
        let is_leaf = tape.records.is_leaf(index as usize);
        let inspection = &tape.inspection;
        let mine = inspection
            .contributions
            .iter()
            .filter(|c| c.target == index);
        // a non-leaf gradient holds its latest pass only
        let latest = mine.clone().map(|c| c.pass).max();
        let contributions: Vec<Contribution> = mine
            .filter(|c| is_leaf || Some(c.pass) == latest)
            .cloned()
            .collect();
        let grad = tape.grads[index as usize];
        let total: f64 = contributions.iter().map(|c| c.product).sum();
        let seeded = !is_leaf && contributions.is_empty() && grad == 1.0;
        let seed = if seeded { 1.0 } else { 0.0 };
        Explanation {
            node: describe(tape, index),
            grad,
            seeded,
            contributions,
            unexplained: grad - total - seed,
        }
    })
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}.grad = {}", self.node, self.grad)?;
        if self.seeded {
            writeln!(
                f,
                "  seed: it is the output of the latest pass, d(out)/d(out) = 1"
            )?;
        }
        let mut pass = None;
        for c in &self.contributions {
            if pass != Some(c.pass) {
                let subtotal: f64 = self
                    .contributions
                    .iter()
                    .filter(|d| d.pass == c.pass)
                    .map(|d| d.product)
                    .sum();
                writeln!(f, "  backward pass {}: +{subtotal}", c.pass)?;
                pass = Some(c.pass);
            }
            writeln!(
                f,
                "    via {} (`{}`): local {} x upstream {} = {}",
                c.consumer, c.consumer_op, c.local, c.upstream, c.product
            )?;
        }
        if self.unexplained != 0.0 {
            writeln!(
                f,
                "  {} not recorded (added while record_contributions was off)",
                self.unexplained
            )?;
        }
        let total: f64 = self.contributions.iter().map(|c| c.product).sum::<f64>()
            + if self.seeded { 1.0 } else { 0.0 }
            + self.unexplained;
        write!(f, "  sum = {total}")
    }
}

// ---------------------------------------------------------------------------------------------
// Anomaly detection

/// Starts (or stops) anomaly detection, like PyTorch's `detect_anomaly`: while it is on, the
/// first node whose value or gradient becomes NaN or infinite is kept for [`take_anomaly`], with
/// its op, its inputs and the line of user code that made it. Costs a little time per node.
pub fn detect_anomalies(on: bool) {
    with_tape(|tape| {
        tape.inspection.detecting = on;
        if !on {
            tape.inspection.locations.clear();
        }
    })
}

/// Returns the first anomaly found since detection started (or since the last call), and clears
/// it.
///
/// ```
/// use scalargrad::{Node, engine::{detect_anomalies, take_anomaly}};
/// detect_anomalies(true);
/// let x = Node::new(-1.0);
/// let (y, line) = (x.log() * 2.0, line!()); // log of a negative number: NaN
/// let anomaly = take_anomaly().expect("found");
/// assert_eq!(anomaly.op, "log");
/// assert_eq!(anomaly.location.expect("known").line(), line);
/// detect_anomalies(false);
/// ```
pub fn take_anomaly() -> Option<Anomaly> {
    with_tape(|tape| tape.inspection.anomaly.take())
}

/// Whether an anomaly was a value or a gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnomalyKind {
    /// The forward value became NaN or infinite.
    Value,
    /// A contribution to the gradient became NaN or infinite (from finite numbers).
    Gradient,
}

/// The edge through which a gradient anomaly arrived.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Via {
    /// The op of the node that passed the gradient on.
    pub op: &'static str,
    /// Where that node was made, if detection was on then.
    pub location: Option<&'static Location<'static>>,
    /// Its local derivative with respect to the anomalous node.
    pub local: f64,
    /// Its own gradient.
    pub upstream: f64,
}

/// The first NaN or infinity, where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Anomaly {
    /// Value or gradient.
    pub kind: AnomalyKind,
    node: Idx,
    /// The op that made the node.
    pub op: &'static str,
    /// The node's label, if any.
    pub label: Option<String>,
    /// The line of user code that made the node (known if detection was on then).
    pub location: Option<&'static Location<'static>>,
    /// The non-finite number: the value, or the gradient contribution.
    pub number: f64,
    /// The op's input values (for a value anomaly), or the node's value (for a gradient one).
    pub inputs: Vec<f64>,
    /// For a gradient anomaly: the edge it came through.
    pub via: Option<Via>,
}

fn place(location: Option<&'static Location<'static>>) -> String {
    location.map_or_else(
        || "an unknown place (detection was off)".to_string(),
        |l| l.to_string(),
    )
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self
            .label
            .as_ref()
            .map_or_else(String::new, |l| format!(" {l:?}"));
        let inputs: Vec<String> = self.inputs.iter().take(8).map(|&v| short(v)).collect();
        let more = if self.inputs.len() > 8 { ", ..." } else { "" };
        match self.kind {
            AnomalyKind::Value => write!(
                f,
                "value {} at node #{}{name} made by `{}` at {} from inputs [{}{more}]",
                self.number,
                self.node,
                self.op,
                place(self.location),
                inputs.join(", ")
            ),
            AnomalyKind::Gradient => {
                write!(
                    f,
                    "gradient contribution {} to node #{}{name} (`{}`, made at {}, value {})",
                    self.number,
                    self.node,
                    self.op,
                    place(self.location),
                    inputs.join(", ")
                )?;
                if let Some(via) = &self.via {
                    write!(
                        f,
                        " through `{}` made at {}: local derivative {} x upstream {}",
                        via.op,
                        place(via.location),
                        via.local,
                        via.upstream
                    )?;
                }
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Graph pictures

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

/// A number for a picture: 4 significant decimals.
fn short(x: f64) -> String {
    if x != 0.0 && (x.abs() >= 1e5 || x.abs() < 1e-3) {
        format!("{x:.3e}")
    } else {
        format!("{x:.4}")
    }
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
                    grads: span(&mut members.iter().map(|&m| tape.grads[m as usize])),
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
                grad: tape.grads[i as usize],
            },
        });
        if op != Op::Leaf {
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
    Graph { nodes, edges }
}
