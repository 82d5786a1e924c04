//! Anomaly detection: the first NaN or infinity, with its op, inputs and the line that made it.

use std::fmt;
use std::panic::Location;

use super::super::tape::{Idx, with_tape};
use super::short;

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
    pub(super) node: Idx,
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

impl Anomaly {
    /// The anomalous node's place on the tape (`#n` in the message): how a binding that keeps
    /// its own record of where each node was made (the Python module's source lines) finds it.
    pub fn node_index(&self) -> usize {
        self.node as usize
    }
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
