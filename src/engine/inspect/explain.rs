//! Explaining a gradient: every contribution backward passes added to it, by pass and edge.

use std::fmt;

use super::super::node::Node;
use super::super::tape::{Idx, with_tape};
use super::describe;

/// Starts (or stops) recording every contribution that backward passes add to gradients, so
/// that [`explain`] can itemise them. Recording costs time and memory; it is off by default.
pub fn record_contributions(on: bool) {
    with_tape(|tape| {
        let inspection = &mut tape.inspection;
        inspection.recording = on;
        inspection.recording_only = None;
        if !on {
            // the memory goes back too: a recording can be large
            inspection.contributions = Vec::new();
        }
    })
}

/// Starts recording, like [`record_contributions`]`(true)`, only the contributions to `node`:
/// what [`explain`] needs for that one node, in memory that grows with its uses rather than
/// with the graph. `record_contributions(false)` stops it.
///
/// ```
/// use scalargrad::{Node, backward, engine::{explain, mul, record_contributions, record_contributions_to}};
/// let (x, y) = (Node::new(3.0), Node::new(4.0));
/// record_contributions_to(&x);
/// backward(&mul(&mul(&x, &y), &y));
/// assert_eq!(explain(&x).contributions.len(), 1);      // x's one use, recorded
/// assert_eq!(explain(&y).unexplained, y.grad());      // y's were not
/// record_contributions(false);
/// ```
pub fn record_contributions_to(node: &Node) {
    let index = node.index();
    with_tape(|tape| {
        tape.inspection.recording = true;
        tape.inspection.recording_only = Some(index);
    })
}

/// One term of a gradient: `local * upstream` added through one edge in one backward pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Contribution {
    /// Which recorded backward pass (1 for the first).
    pub pass: u32,
    pub(super) target: Idx,
    /// The node that used this one (the edge's other end): its label, or its number.
    pub consumer: String,
    /// That node's place on the tape (its [`Node::id`]).
    pub consumer_id: usize,
    /// That node's op.
    pub consumer_op: &'static str,
    /// d(consumer)/d(this node).
    pub local: f64,
    /// d(output)/d(consumer) in that pass.
    pub upstream: f64,
    /// `local * upstream`, what was added.
    pub product: f64,
}

impl Contribution {
    /// The place on the tape (the [`Node::id`]) of the node that received this contribution.
    pub fn target_id(&self) -> usize {
        self.target as usize
    }
}

/// Every contribution recorded since recording started (or since the last call), oldest first,
/// taken: each edge a backward pass applied, in the order it applied them (how the lab replays a
/// pass edge by edge).
///
/// ```
/// use scalargrad::{Node, backward, engine::{record_contributions, take_contributions}};
/// let (x, y) = (Node::new(3.0), Node::new(4.0));
/// record_contributions(true);
/// let z = &x * &y;
/// backward(&z);
/// let edges: Vec<(usize, usize, f64)> =
///     take_contributions().iter().map(|c| (c.consumer_id, c.target_id(), c.local)).collect();
/// assert_eq!(edges, [(z.id(), x.id(), 4.0), (z.id(), y.id(), 3.0)]); // operands left to right
/// record_contributions(false);
/// ```
pub fn take_contributions() -> Vec<Contribution> {
    with_tape(|tape| std::mem::take(&mut tape.inspection.contributions))
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
        let grad = tape.gradient(index);
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
