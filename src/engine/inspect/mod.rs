//! Seeing inside the engine: labels, and the hooks the tape and backward call while inspection
//! is on; gradient explanations (`explain.rs`), anomaly detection (`anomaly.rs`) and graph
//! pictures (`picture.rs`). Everything here is opt-in and costs nothing while it is off.

mod anomaly;
mod explain;
mod picture;

use std::collections::BTreeMap;
use std::panic::Location;

use super::node::Node;
use super::ops::Op;
use super::record::Records;
use super::tape::{Idx, Tape, with_tape};

pub use anomaly::{Anomaly, AnomalyKind, Via, detect_anomalies, take_anomaly};
pub use explain::{
    Contribution, Explanation, explain, record_contributions, record_contributions_to,
    take_contributions,
};
pub use picture::{
    Detail, Graph, GraphNode, GraphNodeKind, SUMMARY_THRESHOLD, graph, to_dot, to_dot_with,
};

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
    /// While recording: only the contributions to this node, when set.
    recording_only: Option<Idx>,
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
            recording_only: None,
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

    /// `forget_contributions_to` every node of `targets`, in one pass.
    pub(crate) fn forget_contributions_within(&mut self, targets: std::ops::Range<usize>) {
        if !self.contributions.is_empty() {
            self.contributions
                .retain(|c| !targets.contains(&(c.target as usize)));
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
        // and the push that follows would reload it, stalling on the stores that just wrote it;
        // an op by value would still be written to the stack before the test
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
        if self.recording && self.recording_only.is_none_or(|only| only == edge.target) {
            let consumer_op = records.op(edge.consumer).name();
            self.contributions.push(Contribution {
                pass: self.passes,
                target: edge.target,
                consumer: match self.labels.get(&edge.consumer) {
                    Some(label) => format!("{label:?}"),
                    None => format!("#{}", edge.consumer),
                },
                consumer_id: edge.consumer as usize,
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

/// A number for a picture or a report: 4 significant decimals.
fn short(x: f64) -> String {
    if x != 0.0 && (x.abs() >= 1e5 || x.abs() < 1e-3) {
        format!("{x:.3e}")
    } else {
        format!("{x:.4}")
    }
}
